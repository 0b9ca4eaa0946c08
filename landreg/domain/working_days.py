"""Working days of the one-stop shop ("ngày làm việc"): weekends, public holidays, swaps.

Legal deadlines of land procedures count working days. A day is a working day when it is
Monday to Friday and not a day off (a public holiday, a compensatory day off), or when it is
a weekend day the Government made a make-up working day. The days off come from
``landreg/reference/holidays.toml``, which the province edits; it covers a range of years,
and asking about a day outside that range raises instead of guessing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from landreg.errors import ConfigurationError, ValidationError

HOLIDAY_KEYS = (
    "new_year",
    "tet",
    "hung_kings",
    "reunification_day",
    "labour_day",
    "national_day",
    "culture_day",
)
SOURCES = ("official", "announced", "computed")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Days off and make-up working days for a range of years.

    Parameters
    ----------
    first_year, last_year : int
        The years the calendar covers; any other day raises :class:`ValidationError`.
    days_off : frozenset of date
        Public holidays and compensatory days off ("ngày nghỉ lễ", "nghỉ bù"), weekend or not.
    make_up_working_days : frozenset of date
        Weekend days worked in exchange for a day off ("ngày làm bù").
    uncertain : frozenset of date
        Listed days that are computed or not yet confirmed by an announcement.
    """

    first_year: int
    last_year: int
    days_off: frozenset[date]
    make_up_working_days: frozenset[date]
    uncertain: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.first_year > self.last_year:
            raise ConfigurationError(
                f"holiday calendar first_year {self.first_year} is after {self.last_year}",
                field="first_year",
                value=self.first_year,
                detail_vi=f"lịch ngày nghỉ có năm đầu (first_year) {self.first_year} sau năm "
                f"cuối ({self.last_year})",
            )
        clash = sorted(self.days_off & self.make_up_working_days)
        if clash:
            raise ConfigurationError(
                f"{clash[0]} is both a day off and a make-up working day",
                field="make_up_working_days",
                value=clash[0].isoformat(),
                detail_vi=f"ngày {clash[0]:%d/%m/%Y} vừa là ngày nghỉ vừa là ngày làm bù",
            )

    def _check_covered(self, day: date) -> None:
        if not self.first_year <= day.year <= self.last_year:
            raise ValidationError(
                f"date {day.isoformat()} is outside the holiday calendar "
                f"({self.first_year}-{self.last_year}); add the year to holidays.toml",
                field="date",
                value=day.isoformat(),
                detail_vi=f"ngày {day:%d/%m/%Y} nằm ngoài lịch ngày nghỉ ({self.first_year}-"
                f"{self.last_year}); hãy bổ sung năm đó vào holidays.toml",
            )

    def is_working_day(self, day: date) -> bool:
        """Whether the one-stop shop works on ``day``.

        Parameters
        ----------
        day : date
            A day of a year the calendar covers.

        Returns
        -------
        bool
            True for Monday-Friday that are not days off, and for make-up working days.
        """
        self._check_covered(day)
        if day in self.make_up_working_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The date ``count`` working days after ``day``.

        ``day`` counts as day 0 when it is a working day; a non-working day is first moved to
        the next working day (as a dossier received on a Saturday counts from Monday), so
        ``count`` 0 gives the day itself or the next working day. Same as numpy's
        ``busday_offset(day, count, roll="forward")``.

        Parameters
        ----------
        day : date
            Start day.
        count : int
            Working days to add, zero or more.

        Returns
        -------
        date
            Always a working day.
        """
        if count < 0:
            raise ValidationError(
                f"working days to add must be zero or more, not {count}",
                field="count",
                value=count,
                detail_vi=f"số ngày làm việc cộng thêm phải từ 0 trở lên, không phải {count}",
            )
        day = self.next_working_day(day)
        for _ in range(count):
            day = self.next_working_day(day + _ONE_DAY)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``.

        Inverts :meth:`add_working_days` from a working day:
        ``working_days_between(d, add_working_days(d, n)) == n``. Negative when ``end`` is
        before ``start``; zero when they are the same day.

        Parameters
        ----------
        start : date
            Excluded.
        end : date
            Included.

        Returns
        -------
        int
            The number of working days in ``(start, end]`` (or minus those of ``(end, start]``).
        """
        if end < start:
            return -self.working_days_between(end, start)
        self._check_covered(start)
        self._check_covered(end)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def working_days_in(self, start: date, end: date) -> frozenset[date]:
        """The working days in ``(start, end]``: what a clock pause from ``start`` to ``end``
        takes out of a deadline, as a set so that overlapping pauses count once."""
        days = set()
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                days.add(day)
            day += _ONE_DAY
        return frozenset(days)


def _dates(values: Any, field: str) -> list[date]:
    if not isinstance(values, list):
        raise ConfigurationError(
            f"{field} must be a list of dates",
            field=field,
            value=values,
            detail_vi=f"{field} phải là một danh sách ngày",
        )
    days = []
    for value in values:
        try:
            days.append(date.fromisoformat(str(value)))
        except ValueError as error:
            raise ConfigurationError(
                f"{field} holds a value that is not a YYYY-MM-DD date: {error}",
                field=field,
                value=values,
                detail_vi=f"{field} có giá trị {str(value)!r} không phải ngày dạng YYYY-MM-DD",
            ) from None
    return days


def _year_days(year: int, entry: Mapping[str, Any]) -> tuple[set[date], set[date], set[date]]:
    """Days off, make-up working days and uncertain days of one year's table."""
    source = entry.get("source")
    if source not in SOURCES:
        raise ConfigurationError(
            f"years.{year}.source must be one of {', '.join(SOURCES)}",
            field=f"years.{year}.source",
            value=source,
            detail_vi=f"years.{year}.source phải là một trong: {', '.join(SOURCES)}",
        )
    unknown = set(entry) - {*HOLIDAY_KEYS, "source", "compensatory_days_off"}
    unknown -= {"make_up_working_days", "uncertain"}
    if unknown:
        name = sorted(unknown)[0]
        raise ConfigurationError(
            f"years.{year} has an unknown key {name!r}",
            field=f"years.{year}",
            value=name,
            detail_vi=f"years.{year} có khóa không xác định {name!r}",
        )
    off = set()
    for key in (*HOLIDAY_KEYS, "compensatory_days_off"):
        off.update(_dates(entry.get(key, []), f"years.{year}.{key}"))
    key = "make_up_working_days"
    make_up = set(_dates(entry.get(key, []), f"years.{year}.{key}"))
    uncertain = set(_dates(entry.get("uncertain", []), f"years.{year}.uncertain"))
    _check_year_days(year, off, make_up, uncertain)
    return off, make_up, uncertain


def _check_year_days(year: int, off: set[date], make_up: set[date], uncertain: set[date]) -> None:
    for day in sorted(off | make_up | uncertain):
        if day.year != year:
            raise ConfigurationError(
                f"{day.isoformat()} is listed under years.{year}",
                field=f"years.{year}",
                value=day.isoformat(),
                detail_vi=f"ngày {day:%d/%m/%Y} được ghi nhầm dưới years.{year}",
            )
    for day in sorted(make_up):
        if day.weekday() < 5:
            raise ConfigurationError(
                f"make-up working day {day.isoformat()} is not a Saturday or Sunday",
                field=f"years.{year}.make_up_working_days",
                value=day.isoformat(),
                detail_vi=f"ngày làm bù {day:%d/%m/%Y} không phải thứ Bảy hoặc Chủ nhật",
            )
    stray = sorted(uncertain - off - make_up)
    if stray:
        raise ConfigurationError(
            f"uncertain day {stray[0].isoformat()} is neither a day off nor a make-up working day",
            field=f"years.{year}.uncertain",
            value=stray[0].isoformat(),
            detail_vi=f"ngày chưa chắc chắn {stray[0]:%d/%m/%Y} không phải ngày nghỉ cũng không "
            "phải ngày làm bù",
        )


def parse_holiday_calendar(document: Mapping[str, Any]) -> HolidayCalendar:
    """Build a calendar from the parsed ``holidays.toml``.

    Parameters
    ----------
    document : mapping
        ``first_year``, ``last_year`` and a ``years`` table with one entry per year.

    Returns
    -------
    HolidayCalendar

    Raises
    ------
    ConfigurationError
        A year missing from the range, a malformed date, a date under the wrong year, a
        make-up working day on a weekday.
    """
    first, last = document.get("first_year"), document.get("last_year")
    if not isinstance(first, int) or not isinstance(last, int):
        raise ConfigurationError(
            "holidays.toml needs integer first_year and last_year",
            field="first_year",
            value=first,
            detail_vi="holidays.toml phải có first_year và last_year là số nguyên",
        )
    years = document.get("years", {})
    off: set[date] = set()
    make_up: set[date] = set()
    uncertain: set[date] = set()
    for year in range(first, last + 1):
        if str(year) not in years:
            raise ConfigurationError(
                f"holidays.toml covers {first}-{last} but has no [years.{year}]",
                field="years",
                value=year,
                detail_vi=f"holidays.toml áp dụng cho {first}-{last} nhưng thiếu [years.{year}]",
            )
        year_off, year_make_up, year_uncertain = _year_days(year, years[str(year)])
        off |= year_off
        make_up |= year_make_up
        uncertain |= year_uncertain
    return HolidayCalendar(first, last, frozenset(off), frozenset(make_up), frozenset(uncertain))


def load_holiday_calendar(path: Path | None = None) -> HolidayCalendar:
    """Read a holiday calendar file; without ``path``, the one shipped in ``landreg/reference``."""
    if path is None:
        text = resources.files("landreg.reference").joinpath("holidays.toml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_holiday_calendar(tomllib.loads(text))


@cache
def holiday_calendar() -> HolidayCalendar:
    """The province's holiday calendar, read once from ``landreg/reference/holidays.toml``."""
    return load_holiday_calendar()
