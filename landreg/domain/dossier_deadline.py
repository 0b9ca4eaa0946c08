"""The legal deadline of a dossier and its due date on receipt ("ngày hẹn trả kết quả").

The legal deadline of each procedure is a number of working days in
``landreg/reference/procedures.toml``, counted from the day after receipt (a dossier received
on a non-working day counts from the next working day). Mortgage registration and release
are due the day they are received, or the next working day when received at or after the
cut-off (``same_day_cutoff``, 15:00). Remote communes get ``remote_extra_days`` more (not the
same-day procedures). Times are local time of Vietnam (UTC+7); naive datetimes are taken as
local time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from landreg.domain.reference import procedures_config
from landreg.domain.working_days import HolidayCalendar, holiday_calendar
from landreg.errors import UnknownReferenceError, ValidationError

LOCAL_TIME = timezone(timedelta(hours=7), "ICT")


def to_local(moment: datetime) -> datetime:
    """``moment`` as naive local time (UTC+7); a naive datetime is returned unchanged."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_TIME).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Deadline:
    """The legal deadline of one dossier's procedure ("thời hạn giải quyết").

    Parameters
    ----------
    procedure : str
        Key of the procedure in ``procedures.toml`` (``transfer``, ``mortgage_release``…).
    working_days : int
        Working days after the day of receipt, remote-commune days included.
    same_day : bool
        Due the day of receipt (mortgages); ``working_days`` is then 0.
    cutoff : time or None
        For same-day procedures, receipt at or after this time is due the next working day.
    """

    procedure: str
    working_days: int
    same_day: bool = False
    cutoff: time | None = None

    def __post_init__(self) -> None:
        if self.working_days < 0:
            raise ValidationError(
                f"deadline of {self.procedure} cannot be {self.working_days} working days",
                field="working_days",
                value=self.working_days,
                detail_vi=f"thời hạn giải quyết thủ tục {self.procedure} không thể là "
                f"{self.working_days} ngày làm việc",
            )


def _variant_days(procedure: str, entry: Mapping[str, Any], key: str, flag: str) -> int:
    if key not in entry:
        raise ValidationError(
            f"{flag} does not apply to procedure {procedure!r}",
            field=flag,
            value=procedure,
            detail_vi=f"{flag} không áp dụng cho thủ tục {procedure!r}",
        )
    return int(entry[key])


def procedure_deadline(
    procedure: str,
    *,
    remote: bool = False,
    combined_with_first_registration: bool = False,
    area_changes: bool = False,
    config: Mapping[str, Any] | None = None,
) -> Deadline:
    """The deadline of a procedure from the procedures table.

    Parameters
    ----------
    procedure : str
        Procedure key (``procedures.<key>`` in ``procedures.toml``).
    remote : bool
        The parcel lies in a commune flagged remote ("xã vùng sâu, vùng xa").
    combined_with_first_registration : bool
        First certificate filed together with first registration (20 days, not 3).
    area_changes : bool
        Certificate exchange where the area changes (10 days, not 5).
    config : mapping, optional
        The parsed procedures table; the shipped one by default.

    Returns
    -------
    Deadline

    Raises
    ------
    UnknownReferenceError
        The procedure is not in the table.
    ValidationError
        A variant flag the procedure does not have.
    """
    table = procedures_config() if config is None else config
    entry = table["procedures"].get(procedure)
    if entry is None:
        raise UnknownReferenceError(
            f"procedure {procedure!r} is not in the procedures table",
            field="procedure",
            value=procedure,
            detail_vi=f"thủ tục {procedure!r} không có trong danh mục thủ tục",
        )
    days = int(entry["working_days"])
    if combined_with_first_registration:
        days = _variant_days(
            procedure, entry, "combined_with_first_registration", "combined_with_first_registration"
        )
    if area_changes:
        days = _variant_days(procedure, entry, "working_days_if_area_changes", "area_changes")
    same_day = bool(entry.get("same_day", False))
    if remote and not same_day:
        days += int(table["remote_extra_days"])
    cutoff = time.fromisoformat(table["same_day_cutoff"]) if same_day else None
    return Deadline(procedure, days, same_day, cutoff)


def first_due_date(
    deadline: Deadline, received_at: datetime, calendar: HolidayCalendar | None = None
) -> date:
    """The due date on receipt, before any pause of the clock.

    Parameters
    ----------
    deadline : Deadline
    received_at : datetime
        Time of receipt at the one-stop shop (local time).
    calendar : HolidayCalendar, optional
        The province's calendar by default.

    Returns
    -------
    date
        A working day.
    """
    calendar = calendar or holiday_calendar()
    received_at = to_local(received_at)
    day, days = received_at.date(), deadline.working_days
    if deadline.same_day and deadline.cutoff is not None and calendar.is_working_day(day):
        days += received_at.time() >= deadline.cutoff
    return calendar.add_working_days(day, days)
