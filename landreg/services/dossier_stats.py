"""Dossiers against their deadlines: on-time rate, overdue and at-risk lists, apology letters.

Each dossier's clock is read from its history as it stood at ``as_of`` (events dated later
are not yet known then; a dossier filed later is left out and counted). The on-time rate is
the portal's: (early + on time) ÷ processed × 100, by procedure, office and month of
processing. A history the clock cannot read (a first status other than new or received, a
status change the lifecycle forbids, an unknown procedure) is counted under "history not
readable" with its reason, never dropped.

A late or overdue dossier needs an apology letter ("phiếu xin lỗi và hẹn lại ngày trả kết
quả"). When the source has none (no event whose step or note says "xin lỗi"), one is drafted:

- still open (overdue): issued at ``as_of``, the new return date ``apology_working_days``
  working days later (3 by default), but never more than the procedure's whole deadline and
  at least the next working day — the office promises what it can still keep;
- processed late: the letter that should have been sent, issued on the due date, with the
  day processing ended as the new return date.

The due date landreg computes is also compared with the one the source recorded (``due_on``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd

from landreg.domain.dossier_apology import ApologyLetter, apology_letter
from landreg.domain.dossier_clock import (
    DossierClock,
    DossierEvent,
    Timeliness,
    dossier_clock,
    on_time_rate,
    timeliness,
)
from landreg.domain.dossier_deadline import LOCAL_TIME, procedure_deadline, to_local
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.procedures import procedure_code
from landreg.domain.reference import procedures_config
from landreg.domain.working_days import HolidayCalendar, holiday_calendar
from landreg.errors import LandRegError, UnknownReferenceError, ValidationError
from landreg.services.dossier_link_scoring import commune_codes
from landreg.services.dossier_stats_types import (
    ApologyNeed,
    DossierStats,
    DueDateCheck,
    DueDateDifference,
    GroupCounts,
    StatsOptions,
    TimelinessCounts,
    UnreadableHistory,
    WatchedDossier,
    WeekCounts,
)
from landreg.services.source_checks import folded_names
from landreg.store.unit_of_work import UnitOfWork

_T = Timeliness
APOLOGY_WORDS = ("xin loi", "apolog")


@dataclass(frozen=True, slots=True)
class _Assessed:
    """One dossier read: its row, and its clock and class or why it could not be read."""

    row: Any
    clock: DossierClock | None
    kind: Timeliness | None
    reason: str | None
    apology_recorded: bool


def as_of_moment(value: date | datetime | str | None) -> datetime:
    """The local moment statistics are read at: a date means the end of that day, a
    timezone-aware time is taken to UTC+7, None is now. Text is ISO 8601."""
    if value is None:
        return datetime.now(LOCAL_TIME).replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                "as_of must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)",
                field="as_of",
                value=value,
                detail_vi="thời điểm tính as_of phải là ngày (YYYY-MM-DD) hoặc ngày và giờ "
                "(YYYY-MM-DDTHH:MM)",
            ) from None
    if not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59))
    return to_local(value)


def dossier_stats(
    uow: UnitOfWork,
    *,
    as_of: date | datetime | str | None = None,
    office: str | None = None,
    procedure: str | None = None,
    options: StatsOptions | None = None,
    calendar: HolidayCalendar | None = None,
) -> DossierStats:
    """Read every dossier's clock at ``as_of`` (now by default) and sum it up.

    Filters by ``office`` (the receiving agency, e.g. ``H55.707``) and ``procedure`` (a key
    of ``procedures.toml``). Raises :class:`ValidationError` for an ``as_of`` that is not a
    date or outside the holiday calendar, :class:`UnknownReferenceError` for an unknown
    procedure.
    """
    options = options or StatsOptions()
    calendar = calendar or holiday_calendar()
    now = as_of_moment(as_of)
    procedure = None if procedure is None else procedure_code(procedure)
    _check_query(now, procedure, calendar)
    dossiers = uow.dossier_stats.dossiers(office=office, procedure=procedure)
    events = uow.dossier_stats.events(office=office, procedure=procedure)
    filed = dossiers[pd.to_datetime(dossiers["received_at"]) <= pd.Timestamp(now)]
    known = events[pd.to_datetime(events["at"]) <= pd.Timestamp(now)]
    cut = set(events.loc[~events.index.isin(known.index), "dossier_id"]) & set(filed["id"])
    remote = _remote(filed, uow.dossier_stats.remote_communes())
    assessed = _assess_all(filed, known, remote, now, options, calendar)
    return DossierStats(
        as_of=now,
        office=office,
        procedure=procedure,
        filed_after_as_of=len(dossiers) - len(filed),
        histories_cut=len(cut),
        totals=_counts([a.kind for a in assessed]),
        by_procedure=_grouped(assessed, lambda a: a.row.procedure),
        by_office=_grouped(assessed, lambda a: a.row.office or "?"),
        by_month=_grouped([a for a in assessed if a.kind in _RESOLVED], _month),
        by_week=_by_week(assessed, now),
        watch=_watch(assessed, calendar),
        apologies=_apologies(assessed, now, options, calendar),
        unreadable=_unreadable(assessed),
        due_dates=_due_dates(assessed, options.examples, calendar),
    )


def _check_query(now: datetime, procedure: str | None, calendar: HolidayCalendar) -> None:
    """Raise for a moment outside the holiday calendar or an unknown procedure."""
    calendar.is_working_day(now.date())  # raises for a day the calendar does not cover
    if procedure is not None and procedure not in procedures_config()["procedures"]:
        raise UnknownReferenceError(
            f"procedure {procedure!r} is not in the procedures table",
            field="procedure",
            value=procedure,
            detail_vi=f"thủ tục {procedure!r} không có trong danh mục thủ tục",
        )


def _unreadable(assessed: Iterable[_Assessed]) -> tuple[UnreadableHistory, ...]:
    return tuple(
        UnreadableHistory(a.row.code, a.row.procedure, a.row.office, a.row.status, a.reason)
        for a in assessed
        if a.reason is not None
    )


_RESOLVED = frozenset({_T.EARLY, _T.ON_TIME, _T.LATE})


def _remote(dossiers: pd.DataFrame, remote_communes: frozenset[str]) -> pd.Series:
    """Whether each dossier's commune is one of the ``remote_communes``: the linked parcel's
    commune, else the commune as written on the form."""
    commune = dossiers["linked_commune"].astype("string")
    commune = commune.fillna(commune_codes(dossiers["declared_commune"]))
    return commune.isin(list(remote_communes)).fillna(False).astype(bool)


def _histories(events: pd.DataFrame) -> tuple[dict[int, list[tuple[Any, str]]], set[int]]:
    """(time, status) of each dossier's events, and the dossiers with an apology event."""
    histories: dict[int, list[tuple[Any, str]]] = defaultdict(list)
    for dossier_id, at, status in zip(
        events["dossier_id"], events["at"], events["to_status"], strict=True
    ):
        histories[int(dossier_id)].append((pd.Timestamp(at).to_pydatetime(), status))
    said = folded_names(events["step"].fillna("") + " " + events["note"].fillna(""))
    apologised = said.str.contains("|".join(APOLOGY_WORDS), regex=True)
    return histories, {int(i) for i in events.loc[apologised.to_numpy(), "dossier_id"]}


def _assess_all(
    dossiers: pd.DataFrame,
    events: pd.DataFrame,
    remote: pd.Series,
    now: datetime,
    options: StatsOptions,
    calendar: HolidayCalendar,
) -> list[_Assessed]:
    histories, apologised = _histories(events)
    assessed = []
    for row, is_remote in zip(dossiers.itertuples(index=False), remote, strict=True):
        recorded = int(row.id) in apologised
        try:
            clock = dossier_clock(
                procedure_deadline(row.procedure, remote=bool(is_remote)),
                [
                    DossierEvent(at, DossierStatus.parse(s))
                    for at, s in histories.get(int(row.id), [])
                ],
                as_of=now,
                calendar=calendar,
            )
            kind = timeliness(clock, at_risk_days=options.at_risk_days, calendar=calendar)
        except LandRegError as error:
            assessed.append(_Assessed(row, None, None, error.detail, recorded))
            continue
        assessed.append(_Assessed(row, clock, kind, None, recorded))
    return assessed


def _counts(kinds: Sequence[Timeliness | None]) -> TimelinessCounts:
    seen = Counter(kinds)
    return TimelinessCounts(
        dossiers=len(kinds),
        early=seen[_T.EARLY],
        on_time=seen[_T.ON_TIME],
        late=seen[_T.LATE],
        on_track=seen[_T.ON_TRACK],
        at_risk=seen[_T.AT_RISK],
        overdue=seen[_T.OVERDUE],
        not_counted=seen[_T.NOT_COUNTED],
        unreadable=seen[None],
        on_time_rate=on_time_rate(k for k in kinds if k is not None),
    )


def _grouped(
    assessed: Iterable[_Assessed], key: Callable[[_Assessed], str]
) -> tuple[GroupCounts, ...]:
    groups: dict[str, list[Timeliness | None]] = defaultdict(list)
    for one in assessed:
        groups[key(one)].append(one.kind)
    return tuple(GroupCounts(name, _counts(kinds)) for name, kinds in sorted(groups.items()))


def _month(one: _Assessed) -> str:
    processed = one.clock.processed_at if one.clock is not None else None
    return processed.strftime("%Y-%m") if processed is not None else "?"


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def week_key(monday: date) -> str:
    """An ISO week as ``2024-W01`` (the ISO year, which may differ from the calendar's)."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _by_week(assessed: Sequence[_Assessed], now: datetime) -> tuple[WeekCounts, ...]:
    """Dossiers received (filed) and processed per ISO week, from the first week with either
    to the week of ``now``; processed counts those the on-time rate counts."""
    received = Counter(week_start(pd.Timestamp(a.row.received_at).date()) for a in assessed)
    processed = Counter(
        week_start(a.clock.processed_at.date())
        for a in assessed
        if a.kind in _RESOLVED and a.clock is not None and a.clock.processed_at is not None
    )
    if not received and not processed:
        return ()
    monday, last = min(received | processed), week_start(now.date())
    weeks = []
    while monday <= last:
        weeks.append(WeekCounts(week_key(monday), monday, received[monday], processed[monday]))
        monday += timedelta(days=7)
    return tuple(weeks)


def _working_days_late(clock: DossierClock, due: date, calendar: HolidayCalendar) -> int:
    """Working days past ``due`` (negative: left) on processing, or at ``as_of``."""
    end = clock.processed_at.date() if clock.processed_at is not None else clock.as_of.date()
    return calendar.working_days_between(due, end)


def _watch(assessed: Iterable[_Assessed], calendar: HolidayCalendar) -> tuple[WatchedDossier, ...]:
    """Overdue and at-risk dossiers, most late first."""
    watched = [
        WatchedDossier(
            a.row.code,
            a.row.procedure,
            a.row.office,
            a.clock.status,
            a.kind,
            a.clock.due_date,
            _working_days_late(a.clock, a.clock.due_date, calendar),
            a.clock.is_paused,
        )
        for a in assessed
        if a.kind in (_T.OVERDUE, _T.AT_RISK) and a.clock is not None and a.clock.due_date
    ]
    return tuple(sorted(watched, key=lambda w: (-w.working_days_late, w.due_date, w.code)))


def _apologies(
    assessed: Iterable[_Assessed], now: datetime, options: StatsOptions, calendar: HolidayCalendar
) -> tuple[ApologyNeed, ...]:
    """Every late or overdue dossier: its recorded apology, or the letter it needs."""
    needs = []
    for one in assessed:
        clock = one.clock
        if one.kind not in (_T.LATE, _T.OVERDUE) or clock is None or clock.due_date is None:
            continue
        late = _working_days_late(clock, clock.due_date, calendar)
        letter = None
        if not one.apology_recorded:
            letter = _letter(one, clock, clock.due_date, late, now, options, calendar)
        needs.append(
            ApologyNeed(
                one.row.code,
                one.row.procedure,
                one.row.office,
                one.kind,
                clock.due_date,
                late,
                one.apology_recorded,
                letter.new_return_date if letter else None,
                letter,
            )
        )
    return tuple(sorted(needs, key=lambda n: (n.recorded, -n.working_days_late, n.code)))


def _letter(
    one: _Assessed,
    clock: DossierClock,
    due: date,
    late: int,
    now: datetime,
    options: StatsOptions,
    calendar: HolidayCalendar,
) -> ApologyLetter:
    """The apology letter a dossier needs, dated as the module explains."""
    if clock.processed_at is not None:
        issued, new = due, calendar.next_working_day(clock.processed_at.date())
    else:
        days = max(1, min(options.apology_working_days, clock.deadline.working_days))
        issued = now.date()
        new = calendar.add_working_days(calendar.next_working_day(issued), days)
    return apology_letter(
        clock,
        office=f"Chi nhánh Văn phòng đăng ký đất đai {one.row.office or ''}".strip(),
        dossier_code=one.row.code,
        applicant_name=one.row.applicant_name or "người nộp hồ sơ",
        new_return_date=new,
        issued_on=issued,
        reason_vi=f"hồ sơ đã quá thời hạn giải quyết {max(late, 0)} ngày làm việc",
        reason_en=f"processing exceeded the legal deadline by {max(late, 0)} working day(s)",
        calendar=calendar,
    )


def _due_dates(
    assessed: Iterable[_Assessed], examples: int, calendar: HolidayCalendar
) -> DueDateCheck:
    """Computed due dates against the source's ``due_on``."""
    compared = agree = 0
    differences: list[DueDateDifference] = []
    for one in assessed:
        recorded = one.row.due_on
        if one.clock is None or one.clock.due_date is None or recorded is None or pd.isna(recorded):
            continue
        compared += 1
        if one.clock.due_date == recorded:
            agree += 1
        elif len(differences) < examples:
            apart = calendar.working_days_between(recorded, one.clock.due_date)
            differences.append(
                DueDateDifference(
                    one.row.code,
                    one.row.procedure,
                    one.clock.status,
                    one.clock.due_date,
                    recorded,
                    apart,
                )
            )
    return DueDateCheck(compared, agree, tuple(differences))
