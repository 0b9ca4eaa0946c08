"""A dossier's deadline clock: pauses, effective due date, overdue and on-time classification.

Given a dossier's history of status changes, the clock finds its receipt, its due date on
receipt (:mod:`landreg.domain.dossier_deadline`), and the pauses: the clock stops ("tạm dừng
tính thời hạn") while the office waits for the citizen's documents or for the financial
obligations to be paid, and during public posting or inheritance settlement. Each pause takes
the working days in ``(start day, end day]`` out of the deadline, so the due date moves by
exactly the paused working days (overlapping pauses count once). Overdue is derived from the
due date, never stored as a status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from landreg.domain.dossier_deadline import LOCAL_TIME, Deadline, first_due_date, to_local
from landreg.domain.dossier_workflow import INITIAL_STATUSES, DossierStatus, check_transition
from landreg.domain.working_days import HolidayCalendar, holiday_calendar
from landreg.errors import ValidationError


class PauseReason(StrEnum):
    """Why the deadline clock is stopped."""

    ADDITIONAL_DOCUMENTS = "additional_documents"
    FINANCIAL_OBLIGATION = "financial_obligation"
    PUBLIC_POSTING = "public_posting"
    INHERITANCE_SETTLEMENT = "inheritance_settlement"

    @property
    def label_vi(self) -> str:
        """What the pause waits for, in Vietnamese."""
        return _PAUSE_VI[self]


_PAUSE_VI = {
    PauseReason.ADDITIONAL_DOCUMENTS: "chờ bổ sung giấy tờ",
    PauseReason.FINANCIAL_OBLIGATION: "chờ thực hiện nghĩa vụ tài chính",
    PauseReason.PUBLIC_POSTING: "niêm yết công khai",
    PauseReason.INHERITANCE_SETTLEMENT: "giải quyết thừa kế",
}


# Pauses recorded as a status of the dossier; the others are passed as explicit periods.
_STATUS_PAUSES = {
    DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED: PauseReason.ADDITIONAL_DOCUMENTS,
    DossierStatus.FINANCIAL_OBLIGATION_REQUIRED: PauseReason.FINANCIAL_OBLIGATION,
}


@dataclass(frozen=True, slots=True)
class ClockPause:
    """A period ``[start, end)`` during which the deadline does not run.

    ``end`` None: still paused. It takes the working days in ``(start day, end day]`` out of
    the deadline.
    """

    start: datetime
    end: datetime | None
    reason: PauseReason

    def __post_init__(self) -> None:
        if self.end is not None and to_local(self.end) < to_local(self.start):
            raise ValidationError(
                f"{self.reason.value} pause ends {self.end.isoformat()} before it starts "
                f"{self.start.isoformat()}",
                field="pause.end",
                value=self.end.isoformat(),
                detail_vi=f"thời gian tạm dừng ({self.reason.label_vi}) kết thúc lúc "
                f"{_shown(self.end)}, trước khi bắt đầu ({_shown(self.start)})",
            )


@dataclass(frozen=True, slots=True)
class DossierEvent:
    """A status change of a dossier at a local time ("lịch sử xử lý")."""

    at: datetime
    status: DossierStatus


def _parse_events(
    events: Iterable[DossierEvent | tuple[datetime, DossierStatus | str | int]],
) -> list[DossierEvent]:
    parsed = []
    for event in events:
        if isinstance(event, DossierEvent):
            parsed.append(DossierEvent(to_local(event.at), event.status))
        else:
            at, status = event
            parsed.append(DossierEvent(to_local(at), DossierStatus.parse(status)))
    return parsed


def _check_history(events: Sequence[DossierEvent], as_of: datetime) -> None:
    """Raise for an empty history, a bad first status, times out of order or in the future,
    and any status change the lifecycle does not allow."""
    if not events:
        raise ValidationError(
            "a dossier history needs at least one event",
            field="events",
            detail_vi="quá trình xử lý hồ sơ phải có ít nhất một bước",
        )
    if events[0].status not in INITIAL_STATUSES:
        raise ValidationError(
            f"a dossier history starts with 'new' or 'received', not {events[0].status.value!r}",
            field="events[0].status",
            value=events[0].status.value,
            detail_vi=f"quá trình xử lý hồ sơ phải bắt đầu bằng «{DossierStatus.NEW.label_vi}» "
            f"hoặc «{DossierStatus.RECEIVED.label_vi}», không phải «{events[0].status.label_vi}»",
        )
    for i, event in enumerate(events):
        if event.at > as_of:
            raise ValidationError(
                f"event {i} ({event.status.value}) at {event.at.isoformat()} is in the future "
                f"(now {as_of.isoformat()})",
                field=f"events[{i}].at",
                value=event.at.isoformat(),
                detail_vi=f"bước {i} («{event.status.label_vi}») lúc {_shown(event.at)} ở "
                f"tương lai (bây giờ là {_shown(as_of)})",
            )
        if i and event.at < events[i - 1].at:
            raise ValidationError(
                f"event {i} ({event.status.value}) at {event.at.isoformat()} is before the "
                f"previous event ({events[i - 1].status.value}) at {events[i - 1].at.isoformat()}",
                field=f"events[{i}].at",
                value=event.at.isoformat(),
                detail_vi=f"bước {i} («{event.status.label_vi}») lúc {_shown(event.at)} sớm "
                f"hơn bước trước («{events[i - 1].status.label_vi}») lúc "
                f"{_shown(events[i - 1].at)}",
            )
        if i and event.status != events[i - 1].status:
            check_transition(events[i - 1].status, event.status)


def status_pauses(events: Sequence[DossierEvent]) -> tuple[ClockPause, ...]:
    """The clock pauses a (checked, time-ordered) history records as statuses.

    Parameters
    ----------
    events : sequence of DossierEvent

    Returns
    -------
    tuple of ClockPause
        One per stretch spent waiting for documents or for the financial obligations; the
        last is open (``end`` None) when the dossier still waits.
    """
    pauses = []
    for i, event in enumerate(events):
        reason = _STATUS_PAUSES.get(event.status)
        if reason is None or (i and events[i - 1].status == event.status):
            continue
        end = next((e.at for e in events[i + 1 :] if e.status != event.status), None)
        pauses.append(ClockPause(event.at, end, reason))
    return tuple(pauses)


@dataclass(frozen=True, slots=True)
class DossierClock:
    """Where a dossier stands against its deadline at ``as_of``.

    Parameters
    ----------
    deadline : Deadline
        The procedure's deadline.
    status : DossierStatus
        Status after the last event.
    as_of : datetime
        The local time the clock was read at.
    received_at : datetime or None
        Receipt at the one-stop shop; None when the dossier was never received.
    first_due_date : date or None
        Due date on receipt, before pauses.
    due_date : date or None
        Effective due date: ``first_due_date`` moved by ``paused_working_days``.
    paused_working_days : int
        Working days the clock was stopped.
    pauses : tuple of ClockPause
        The pauses counted (from statuses, then the explicit ones).
    processed_at : datetime or None
        When processing finished ("Đã xử lý xong"), the moment on-time is judged by.
    """

    deadline: Deadline
    status: DossierStatus
    as_of: datetime
    received_at: datetime | None
    first_due_date: date | None
    due_date: date | None
    paused_working_days: int
    pauses: tuple[ClockPause, ...]
    processed_at: datetime | None

    @property
    def is_paused(self) -> bool:
        """True while the clock is stopped at ``as_of``."""
        return any(pause.end is None for pause in self.pauses)


def _check_extra_pause(pause: ClockPause, received_at: datetime | None, as_of: datetime) -> None:
    if pause.reason in _STATUS_PAUSES.values():
        raise ValidationError(
            f"{pause.reason.value} pauses come from the dossier's statuses, not from a period",
            field="pauses.reason",
            value=pause.reason.value,
            detail_vi=f"thời gian tạm dừng «{pause.reason.label_vi}» lấy từ trạng thái của hồ "
            "sơ, không ghi riêng thành một khoảng thời gian",
        )
    start, end = to_local(pause.start), to_local(pause.end or as_of)
    if received_at is None or start < received_at:
        raise ValidationError(
            f"{pause.reason.value} pause starts {start.isoformat()}, before the dossier was "
            f"received ({received_at.isoformat() if received_at else 'never'})",
            field="pauses.start",
            value=start.isoformat(),
            detail_vi=f"thời gian tạm dừng ({pause.reason.label_vi}) bắt đầu lúc {_shown(start)}"
            + (
                f", trước khi hồ sơ được tiếp nhận ({_shown(received_at)})"
                if received_at
                else ", nhưng hồ sơ chưa được tiếp nhận"
            ),
        )
    if end > as_of:
        raise ValidationError(
            f"{pause.reason.value} pause ends {end.isoformat()}, in the future",
            field="pauses.end",
            value=end.isoformat(),
            detail_vi=f"thời gian tạm dừng ({pause.reason.label_vi}) kết thúc lúc {_shown(end)}, "
            "ở tương lai",
        )


def _shown(moment: datetime) -> str:
    """A moment as a Vietnamese reader writes it, in local time: ``09:30 04/01/2024``."""
    return f"{to_local(moment):%H:%M %d/%m/%Y}"


def _paused_days(
    pauses: Sequence[ClockPause], as_of: datetime, calendar: HolidayCalendar
) -> frozenset[date]:
    days: frozenset[date] = frozenset()
    for pause in pauses:
        end = to_local(pause.end) if pause.end is not None else as_of
        days |= calendar.working_days_in(to_local(pause.start).date(), end.date())
    return days


def dossier_clock(
    deadline: Deadline,
    events: Iterable[DossierEvent | tuple[datetime, DossierStatus | str | int]],
    *,
    pauses: Sequence[ClockPause] = (),
    as_of: datetime | None = None,
    calendar: HolidayCalendar | None = None,
) -> DossierClock:
    """Read a dossier's clock from its history.

    Parameters
    ----------
    deadline : Deadline
        From :func:`~landreg.domain.dossier_deadline.procedure_deadline`.
    events : iterable of DossierEvent or (datetime, status)
        The history in time order, local time (UTC+7) or timezone-aware. Repeating the
        current status (a note such as an apology letter) is not a transition.
    pauses : sequence of ClockPause
        Public posting and inheritance settlement periods, which are not statuses.
    as_of : datetime, optional
        When to read the clock; now by default.
    calendar : HolidayCalendar, optional
        The province's calendar by default.

    Returns
    -------
    DossierClock

    Raises
    ------
    ValidationError
        Empty history, first status other than new or received, events out of order or in
        the future, pauses before receipt, dates outside the holiday calendar.
    TransitionNotAllowedError
        A status change the lifecycle does not allow.
    """
    calendar = calendar or holiday_calendar()
    now = to_local(as_of) if as_of is not None else datetime.now(LOCAL_TIME).replace(tzinfo=None)
    history = _parse_events(events)
    _check_history(history, now)
    received_at = next((e.at for e in history if e.status is DossierStatus.RECEIVED), None)
    processed_at = next((e.at for e in history if e.status is DossierStatus.PROCESSED), None)
    for pause in pauses:
        _check_extra_pause(pause, received_at, now)
    counted = (*status_pauses(history), *pauses)
    first_due = due = None
    paused = 0
    if received_at is not None:
        paused = len(_paused_days(counted, now, calendar))
        first_due = first_due_date(deadline, received_at, calendar)
        due = calendar.add_working_days(first_due, paused)
    return DossierClock(
        deadline, history[-1].status, now, received_at, first_due, due, paused, counted,
        processed_at,
    )  # fmt: skip


class Timeliness(StrEnum):
    """A dossier against its due date: early / on time / late once processed; on track /
    at risk / overdue while open; not counted when never received, withdrawn or stopped."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    NOT_COUNTED = "not_counted"

    @property
    def label_vi(self) -> str:
        """Vietnamese wording of the public-service portal."""
        return _TIMELINESS_VI[self]


_TIMELINESS_VI = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
    Timeliness.ON_TRACK: "Trong hạn",
    Timeliness.AT_RISK: "Sắp đến hạn",
    Timeliness.OVERDUE: "Quá hạn",
    Timeliness.NOT_COUNTED: "Không tính",
}
RESOLVED = frozenset({Timeliness.EARLY, Timeliness.ON_TIME, Timeliness.LATE})


def timeliness(
    clock: DossierClock, *, at_risk_days: int = 1, calendar: HolidayCalendar | None = None
) -> Timeliness:
    """Classify a dossier against its due date.

    Parameters
    ----------
    clock : DossierClock
    at_risk_days : int
        An open dossier with this many working days left or fewer is at risk (0: due today).
    calendar : HolidayCalendar, optional
        The province's calendar by default.

    Returns
    -------
    Timeliness
        Processed before the due date: early; on it: on time; after it: late. Open: overdue
        once the due date has passed, at risk within ``at_risk_days``, else on track.
    """
    if clock.due_date is None:
        return Timeliness.NOT_COUNTED
    if clock.processed_at is not None:
        done = clock.processed_at.date()
        if done < clock.due_date:
            return Timeliness.EARLY
        return Timeliness.ON_TIME if done == clock.due_date else Timeliness.LATE
    if not clock.status.is_open:
        return Timeliness.NOT_COUNTED
    today = clock.as_of.date()
    if today > clock.due_date:
        return Timeliness.OVERDUE
    left = (calendar or holiday_calendar()).working_days_between(today, clock.due_date)
    return Timeliness.AT_RISK if left <= at_risk_days else Timeliness.ON_TRACK


def on_time_rate(classes: Iterable[Timeliness]) -> float | None:
    """(early + on time) ÷ resolved × 100, the portal's on-time rate; None when none resolved.

    Parameters
    ----------
    classes : iterable of Timeliness

    Returns
    -------
    float or None
        Percentage of processed dossiers that were early or on time.
    """
    resolved = on_time = 0
    for value in classes:
        resolved += value in RESOLVED
        on_time += value in (Timeliness.EARLY, Timeliness.ON_TIME)
    return None if resolved == 0 else 100.0 * on_time / resolved
