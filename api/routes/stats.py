"""Statistics for registry officers and cadastral staff: dossiers against their deadlines.

No personal data: dossiers are named by their receipt code, never by applicant, identity
number or phone; apology letters are given by their new return date, not their text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import UowDep
from api.schemas import LocalTime, Problem
from api.security import InternalDep
from landreg.errors import ValidationError
from landreg.services.dossier_stats import as_of_moment, dossier_stats
from landreg.services.dossier_stats_types import (
    DossierStats,
    GroupCounts,
    TimelinessCounts,
    WatchedDossier,
)

router = APIRouter(prefix="/stats", tags=["statistics"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    422: {"model": Problem},
}


class CountsOut(BaseModel):
    """Dossiers by class against their due date; the on-time rate of the processed ones."""

    key: str = Field(description="procedure, office or month (YYYY-MM); 'total' for all")
    dossiers: int
    processed: int = Field(description="early + on time + late: the rate's denominator")
    early: int
    on_time: int
    late: int
    on_track: int
    at_risk: int
    overdue: int
    not_counted: int = Field(description="never received, withdrawn or stopped")
    not_readable: int = Field(description="history the clock cannot read (see `unreadable`)")
    on_time_rate: float | None = Field(description="(early + on time) ÷ processed × 100")


class WatchedOut(BaseModel):
    """An overdue or at-risk dossier."""

    code: str
    procedure: str
    office: str | None
    status: str
    status_vi: str
    timeliness: str
    due_date: date
    working_days_late: int = Field(description="positive: past due; negative: days left")
    paused: bool = Field(description="the clock is stopped (waiting for the citizen)")


class ApologyOut(BaseModel):
    """A late or overdue dossier: apology recorded by the source, or the new date to give."""

    code: str
    procedure: str
    office: str | None
    timeliness: str
    due_date: date
    working_days_late: int
    recorded: bool
    new_return_date: date | None = Field(description="for the letter still to send")


class UnreadableOut(BaseModel):
    """A dossier whose history the clock cannot read, and why."""

    code: str
    procedure: str
    office: str | None
    status: str
    reason: str


class DueDateDifferenceOut(BaseModel):
    """A due date computed differently from the source's."""

    code: str
    procedure: str
    status: str
    computed: date
    recorded: date
    working_days_apart: int


class DueDateCheckOut(BaseModel):
    """Computed due dates against the source's, for dossiers that have both."""

    compared: int
    agree: int
    disagree: int
    examples: list[DueDateDifferenceOut]


class DossierStatsOut(BaseModel):
    """Dossiers against their deadlines at ``as_of``."""

    as_of: LocalTime = Field(description="local time (UTC+7)")
    office: str | None
    procedure: str | None
    filed_after_as_of: int
    histories_cut: int = Field(description="dossiers with events after as_of, read up to it")
    totals: CountsOut
    by_procedure: list[CountsOut]
    by_office: list[CountsOut]
    by_month: list[CountsOut] = Field(description="processed dossiers by month of processing")
    watch: list[WatchedOut] = Field(description="overdue and at-risk, most late first")
    apologies: list[ApologyOut]
    unreadable: list[UnreadableOut]
    due_dates: DueDateCheckOut


def _counts(key: str, c: TimelinessCounts) -> CountsOut:
    return CountsOut(
        key=key, dossiers=c.dossiers, processed=c.resolved, early=c.early, on_time=c.on_time,
        late=c.late, on_track=c.on_track, at_risk=c.at_risk, overdue=c.overdue,
        not_counted=c.not_counted, not_readable=c.unreadable, on_time_rate=c.on_time_rate,
    )  # fmt: skip


def _groups(groups: tuple[GroupCounts, ...]) -> list[CountsOut]:
    return [_counts(group.key, group.counts) for group in groups]


def _watched(w: WatchedDossier) -> WatchedOut:
    return WatchedOut(
        code=w.code, procedure=w.procedure, office=w.office, status=w.status.value,
        status_vi=w.status.label_vi, timeliness=w.timeliness.value, due_date=w.due_date,
        working_days_late=w.working_days_late, paused=w.paused,
    )  # fmt: skip


def _out(stats: DossierStats) -> DossierStatsOut:
    check = stats.due_dates
    return DossierStatsOut(
        as_of=stats.as_of, office=stats.office, procedure=stats.procedure,
        filed_after_as_of=stats.filed_after_as_of, histories_cut=stats.histories_cut,
        totals=_counts("total", stats.totals), by_procedure=_groups(stats.by_procedure),
        by_office=_groups(stats.by_office), by_month=_groups(stats.by_month),
        watch=[_watched(w) for w in stats.watch],
        # The letter itself names the applicant: only its dates leave the register.
        apologies=[ApologyOut.model_validate(a, from_attributes=True) for a in stats.apologies],
        unreadable=[
            UnreadableOut.model_validate(u, from_attributes=True) for u in stats.unreadable
        ],
        due_dates=DueDateCheckOut(
            compared=check.compared, agree=check.agree, disagree=check.disagree,
            examples=[
                DueDateDifferenceOut.model_validate(d, from_attributes=True)
                for d in check.examples
            ],
        ),
    )  # fmt: skip


@router.get(
    "/dossiers",
    response_model=DossierStatsOut,
    responses=ERRORS,
    summary="On-time rate, overdue and at-risk dossiers",
)
def dossier_statistics(
    uow: UowDep,
    principal: InternalDep,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="local date (its end) or date-time, ISO 8601; now by default",
            examples=["2024-01-05"],
        ),
    ] = None,
    office: Annotated[str | None, Query(max_length=80, examples=["H55.707"])] = None,
    procedure: Annotated[
        str | None,
        Query(max_length=120, examples=["transfer", "Chuyển nhượng quyền sử dụng đất"]),
    ] = None,
) -> DossierStatsOut:
    """The portal's on-time rate ((early + on time) ÷ processed) overall and by procedure,
    office and month of processing; overdue and at-risk dossiers, most late first; late
    dossiers and their apology letters; histories not readable; due dates that disagree
    with the source."""
    moment = _as_of(as_of)
    return _out(dossier_stats(uow, as_of=moment, office=office, procedure=procedure))


def _as_of(text: str | None) -> datetime:
    """``as_of`` read at the edge: ISO 8601, a moment Python's dates can hold once taken to
    local time (the service refuses a day outside the holiday calendar)."""
    try:
        return as_of_moment(text)
    except OverflowError:  # an offset carrying 9999-12-31 past the last day there is
        raise ValidationError(
            "as_of is out of range once taken to local time (UTC+7)",
            field="as_of",
            value=text,
            detail_vi="as_of nằm ngoài phạm vi khi đổi sang giờ địa phương (UTC+7)",
        ) from None
