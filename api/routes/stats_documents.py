"""The statistics documents of ``/stats/*`` (the feed of the provincial operations centre)
and of the dashboard's page, built once here so that both show the very same figures.

No personal data: dossiers are named by their receipt code, never by applicant, identity
number or phone; apology letters are given by their new return date, not their text.
Field names are stable: a new figure is a new field, never a renamed one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shapely.geometry import mapping

from api.schemas import LocalTime
from landreg.services import UnitOfWork
from landreg.services.dossier_stats import dossier_stats
from landreg.services.dossier_stats_types import (
    DossierStats,
    GroupCounts,
    TimelinessCounts,
    WatchedDossier,
)
from landreg.services.quality_stats import (
    TIME_ZONE,
    CommuneOpen,
    QualityStats,
    commune_shapes,
    quality_stats,
)

TimeZone = Field(default=TIME_ZONE, description="the IANA time zone of every time and date: UTC+7")


class CountsOut(BaseModel):
    """Dossiers by class against their due date; the on-time rate of the processed ones."""

    key: str = Field(description="procedure, office or month (YYYY-MM); 'total' for all")
    dossiers: int = Field(description="dossiers filed by as_of")
    processed: int = Field(description="early + on time + late: the rate's denominator")
    early: int = Field(description="processed before the due date")
    on_time: int = Field(description="processed on the due date")
    late: int = Field(description="processed after the due date")
    on_track: int = Field(description="open, more than at_risk_days working days left")
    at_risk: int = Field(description="open, due within one working day")
    overdue: int = Field(description="open and past the due date")
    not_counted: int = Field(description="never received, withdrawn or stopped")
    not_readable: int = Field(description="history the clock cannot read (see `unreadable`)")
    on_time_rate: float | None = Field(
        description="percent: (early + on time) ÷ processed × 100; null when none processed"
    )


class WeekOut(BaseModel):
    """Dossiers received and processed in one ISO week (Monday to Sunday, local time)."""

    week: str = Field(description="ISO week, e.g. 2024-W01", examples=["2024-W01"])
    starts_on: date = Field(description="its Monday")
    received: int = Field(description="dossiers filed at the one-stop shop that week")
    processed: int = Field(description="dossiers whose processing ended that week")


class WatchedOut(BaseModel):
    """An overdue or at-risk dossier."""

    code: str = Field(description="receipt code")
    procedure: str
    office: str | None
    status: str
    status_vi: str
    timeliness: str = Field(description="overdue or at_risk")
    due_date: date
    working_days_late: int = Field(description="positive: past due; negative: days left")
    paused: bool = Field(description="the clock is stopped (waiting for the citizen)")


class ApologyOut(BaseModel):
    """A late or overdue dossier: apology recorded by the source, or the new date to give."""

    code: str
    procedure: str
    office: str | None
    timeliness: str = Field(description="late (processed late) or overdue (still open)")
    due_date: date
    working_days_late: int
    recorded: bool = Field(description="the source records an apology letter already")
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

    as_of: LocalTime = Field(description="local time (UTC+7) the figures are read at")
    time_zone: str = TimeZone
    office: str | None = Field(description="the office asked for; null: every office")
    procedure: str | None = Field(description="the procedure asked for; null: every one")
    filed_after_as_of: int = Field(description="dossiers filed after as_of, left out")
    histories_cut: int = Field(description="dossiers with events after as_of, read up to it")
    totals: CountsOut
    by_procedure: list[CountsOut]
    by_office: list[CountsOut]
    by_month: list[CountsOut] = Field(description="processed dossiers by month of processing")
    by_week: list[WeekOut] = Field(
        description="every ISO week from the first dossier's to as_of's, weeks with none too"
    )
    watch: list[WatchedOut] = Field(description="overdue and at-risk, most late first")
    apologies: list[ApologyOut] = Field(description="late and overdue dossiers")
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


def dossiers_out(stats: DossierStats) -> DossierStatsOut:
    """The dossier statistics as the feed writes them."""
    check = stats.due_dates
    return DossierStatsOut(
        as_of=stats.as_of, office=stats.office, procedure=stats.procedure,
        filed_after_as_of=stats.filed_after_as_of, histories_cut=stats.histories_cut,
        totals=_counts("total", stats.totals), by_procedure=_groups(stats.by_procedure),
        by_office=_groups(stats.by_office), by_month=_groups(stats.by_month),
        by_week=[WeekOut.model_validate(w, from_attributes=True) for w in stats.by_week],
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


def dossiers_document(
    uow: UnitOfWork, as_of: datetime, office: str | None = None, procedure: str | None = None
) -> DossierStatsOut:
    """``GET /stats/dossiers``: the same figures as ``landreg dossiers stats``."""
    return dossiers_out(dossier_stats(uow, as_of=as_of, office=office, procedure=procedure))


class RuleOut(BaseModel):
    """Open findings of one rule at as_of."""

    rule: str = Field(description="rule code, e.g. GEOM_OVERLAP", examples=["GEOM_OVERLAP"])
    title_vi: str = Field(description="the rule's name in Vietnamese")
    title_en: str = Field(description="the rule's name in English")
    severity: Literal["error", "warning"]
    open: int = Field(description="findings of the rule open at as_of")


class CommuneOut(BaseModel):
    """One commune or ward at as_of."""

    code: str | None = Field(description="5-digit commune code; null: findings in no commune")
    name: str | None
    parcels: int = Field(description="parcels in the register now")
    open: int = Field(description="findings open at as_of")
    open_errors: int = Field(description="error-severity findings open at as_of")
    errors_per_1000: float | None = Field(
        description="open_errors per 1,000 parcels; null when the commune has no parcel"
    )


class CountOut(BaseModel):
    """How many findings of one rule or commune were open."""

    key: str = Field(description="rule code or commune code")
    open: int


class QualityWeekOut(BaseModel):
    """Findings open at the end of one ISO week (local time), or at as_of for its week."""

    week: str = Field(description="ISO week, e.g. 2024-W01", examples=["2024-W01"])
    starts_on: date = Field(description="its Monday")
    at: LocalTime = Field(description="the moment counted: Sunday 23:59:59, or as_of")
    open: int
    open_errors: int = Field(description="of error severity")
    by_rule: list[CountOut] = Field(description="every rule of the series, zeros included")
    by_commune: list[CountOut] = Field(description="every commune of the series, zeros included")


class QualityStatsOut(BaseModel):
    """The register's data quality at ``as_of``: parcels checked, open findings, history."""

    as_of: LocalTime = Field(description="local time (UTC+7) the figures are read at")
    time_zone: str = TimeZone
    parcels: int = Field(description="parcels in the register now")
    parcels_checked: int = Field(
        description="parcels a reconciliation checked in their current version by as_of"
    )
    parcels_with_open_errors: int = Field(
        description="parcels an open error-severity finding names (directly or through a "
        "linked register entry)"
    )
    parcels_without_open_errors: int = Field(description="parcels - parcels_with_open_errors")
    share_without_open_errors: float | None = Field(
        description="percent (0-100) of parcels without an open error; null with no parcel"
    )
    open_findings: int = Field(description="findings open at as_of, every severity")
    open_errors: int = Field(description="error-severity findings open at as_of")
    open_warnings: int = Field(description="warning-severity findings open at as_of")
    by_rule: list[RuleOut] = Field(description="rules with open findings, most first")
    by_commune: list[CommuneOut] = Field(description="communes in code order")
    weeks: list[QualityWeekOut] = Field(
        description="the last weeks (at most `weeks`, from the first finding's week) to as_of"
    )


def _commune(c: CommuneOpen) -> CommuneOut:
    return CommuneOut(
        code=c.code, name=c.name, parcels=c.parcels, open=c.open, open_errors=c.open_errors,
        errors_per_1000=c.errors_per_1000,
    )  # fmt: skip


def quality_out(stats: QualityStats) -> QualityStatsOut:
    """The data-quality statistics as the feed writes them."""
    return QualityStatsOut(
        as_of=stats.as_of, parcels=stats.parcels, parcels_checked=stats.parcels_checked,
        parcels_with_open_errors=stats.parcels_with_open_errors,
        parcels_without_open_errors=stats.parcels_without_open_errors,
        share_without_open_errors=stats.share_without_open_errors,
        open_findings=stats.open_findings, open_errors=stats.open_errors,
        open_warnings=stats.open_findings - stats.open_errors,
        by_rule=[RuleOut.model_validate(r, from_attributes=True) for r in stats.by_rule],
        by_commune=[_commune(c) for c in stats.by_commune],
        weeks=[
            QualityWeekOut(
                week=w.week, starts_on=w.starts_on, at=w.at, open=w.open,
                open_errors=w.open_errors,
                by_rule=[CountOut(key=k, open=n) for k, n in w.by_rule.items()],
                by_commune=[CountOut(key=k, open=n) for k, n in w.by_commune.items()],
            )
            for w in stats.weeks
        ],
    )  # fmt: skip


def quality_document(uow: UnitOfWork, as_of: datetime, weeks: int) -> QualityStatsOut:
    """``GET /stats/quality``."""
    return quality_out(quality_stats(uow, as_of=as_of, weeks=weeks))


class CommuneProperties(BaseModel):
    """What the commune map shows of one commune."""

    code: str = Field(description="5-digit commune code")
    name: str
    parcels: int = Field(description="parcels in the register now")
    open_errors: int = Field(description="error-severity findings open at as_of")
    errors_per_1000: float | None = Field(
        description="open_errors per 1,000 parcels; null when the commune has no parcel"
    )


class CommuneFeature(BaseModel):
    """A commune as a GeoJSON Feature (RFC 7946), its id the commune code."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] | None = Field(
        description="(Multi)Polygon in WGS 84, lon/lat, simplified to about 20 m; null when "
        "no boundary is loaded"
    )
    properties: CommuneProperties


class CommuneCollectionOut(BaseModel):
    """Communes and wards as a GeoJSON FeatureCollection (WGS 84) for a choropleth."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    as_of: LocalTime = Field(description="local time (UTC+7) the figures are read at")
    time_zone: str = TimeZone
    features: list[CommuneFeature]


def communes_document(uow: UnitOfWork, as_of: datetime) -> CommuneCollectionOut:
    """``GET /stats/communes``."""
    moment, shapes = commune_shapes(uow, as_of=as_of)
    features = []
    for shape in shapes:
        c = shape.figures
        features.append(
            CommuneFeature(
                id=str(c.code),
                geometry=None if shape.boundary is None else dict(mapping(shape.boundary)),
                properties=CommuneProperties(
                    code=str(c.code),
                    name=c.name or str(c.code),
                    parcels=c.parcels,
                    open_errors=c.open_errors,
                    errors_per_1000=c.errors_per_1000,
                ),
            )
        )
    return CommuneCollectionOut(as_of=moment, features=features)
