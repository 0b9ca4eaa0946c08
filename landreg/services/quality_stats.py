"""Data quality at a moment: parcels checked, open findings by rule and commune, their history.

A finding is open at a moment ``t`` when it was created at or before ``t`` and not closed
(fixed, dismissed, or no longer found by a reconciliation) by then: ``created_at ≤ t`` and
``closed_at`` empty or later than ``t``. Reading every finding's two times this way gives the
state at ``as_of`` and at the end of every earlier week alike, so the history needs no log of
its own. (A finding closed and found again later is open again under its first creation time:
the history counts it as open in between.)

Weeks are ISO weeks of the province's local time (Asia/Ho_Chi_Minh, UTC+7), Monday to Sunday;
each week is read at its last second, the current one at ``as_of``. The share of parcels with
no open error counts a parcel as having one when an open error-severity finding names it, or
names a register entry linked to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.rules import RuleCode, rule
from landreg.services.dossier_stats import as_of_moment, week_key, week_start
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject

WGS84 = 4326
TIME_ZONE = "Asia/Ho_Chi_Minh"
ERROR = "error"
# Commune boundaries for a province-wide map: simplified to about this many metres, and
# written with six decimals of a degree (about 0.1 m).
BOUNDARY_TOLERANCE_M = 20.0
DEGREE_DECIMALS = 6
DEFAULT_WEEKS = 52


@dataclass(frozen=True, slots=True)
class RuleOpen:
    """Open findings of one rule (its names in Vietnamese and English, its severity)."""

    rule: str
    title_vi: str
    title_en: str
    severity: str
    open: int


@dataclass(frozen=True, slots=True)
class CommuneOpen:
    """A commune's parcels, open findings and open errors (error-severity findings); errors
    per 1,000 parcels (None for a commune with no parcel). ``code`` None: findings placed in
    no commune."""

    code: str | None
    name: str | None
    parcels: int
    open: int
    open_errors: int

    @property
    def errors_per_1000(self) -> float | None:
        """Open errors per 1,000 parcels."""
        return None if self.parcels == 0 else self.open_errors * 1000 / self.parcels


@dataclass(frozen=True, slots=True)
class WeekOpen:
    """Findings open at ``at`` (the end of the week, or ``as_of`` for its week), in total, of
    error severity, by rule and by commune (code → count; every rule and commune of the
    series is listed in every week, with zeros)."""

    week: str
    starts_on: date
    at: datetime
    open: int
    open_errors: int
    by_rule: Mapping[str, int]
    by_commune: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class QualityStats:
    """Everything ``GET /stats/quality`` shows. ``as_of`` is local time (UTC+7).

    ``parcels``: parcels in the register now; ``parcels_checked``: those a reconciliation
    looked at in their current version by ``as_of``; ``parcels_with_open_errors``: those an
    open error-severity finding names (directly or through a linked register entry).
    """

    as_of: datetime
    parcels: int
    parcels_checked: int
    parcels_with_open_errors: int
    open_findings: int
    open_errors: int
    by_rule: tuple[RuleOpen, ...]
    by_commune: tuple[CommuneOpen, ...]
    weeks: tuple[WeekOpen, ...]

    @property
    def parcels_without_open_errors(self) -> int:
        """Parcels no open error-severity finding names."""
        return self.parcels - self.parcels_with_open_errors

    @property
    def share_without_open_errors(self) -> float | None:
        """Parcels without an open error, in percent of all parcels (None without parcels)."""
        if self.parcels == 0:
            return None
        return self.parcels_without_open_errors * 100 / self.parcels


@dataclass(frozen=True, slots=True)
class CommuneShape:
    """A commune for the map: its figures and its boundary (WGS 84, simplified; None when
    no boundary is loaded)."""

    figures: CommuneOpen
    boundary: BaseGeometry | None


def to_utc(local: datetime) -> datetime:
    """A naive local moment (UTC+7) as the register's naive UTC."""
    return local.replace(tzinfo=LOCAL_TIME).astimezone(UTC).replace(tzinfo=None)


def _local_times(values: pd.Series) -> pd.Series:
    """Stored naive UTC times as naive local ones (NaT stays NaT)."""
    return pd.to_datetime(values) + pd.Timedelta(hours=7)


def _through(moment: datetime) -> datetime:
    """The last instant of ``moment``'s second: a moment given to the second counts what
    happened during that second too (times are stored to the microsecond)."""
    return moment.replace(microsecond=999_999)


def _open_at(findings: pd.DataFrame, moment: datetime) -> pd.Series:
    """Which findings were open at the local ``moment`` (through its second)."""
    at = pd.Timestamp(_through(moment))
    closed = findings["closed_local"]
    return (findings["created_local"] <= at) & (closed.isna() | (closed > at))


def _findings(uow: UnitOfWork, now: datetime) -> pd.DataFrame:
    """Findings created by the local moment ``now``, with their times in local time."""
    findings = uow.quality_stats.findings(to_utc(_through(now)))
    findings["created_local"] = _local_times(findings["created_at"])
    findings["closed_local"] = _local_times(findings["closed_at"])
    return findings


def quality_stats(
    uow: UnitOfWork,
    *,
    as_of: date | datetime | str | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> QualityStats:
    """The register's data quality at ``as_of`` (now by default; a date means its end), with
    the open findings at the end of each of the last ``weeks`` weeks."""
    now = as_of_moment(as_of)
    repository = uow.quality_stats
    findings = _findings(uow, now)
    open_now = findings[_open_at(findings, now)]
    errors_now = open_now[open_now["severity"] == ERROR]
    parcels = repository.parcels_by_commune()
    names = repository.unit_names()
    return QualityStats(
        as_of=now,
        parcels=sum(parcels.values()),
        parcels_checked=repository.checked_parcels(to_utc(_through(now))),
        parcels_with_open_errors=len(_parcels_named(uow, errors_now["id"].tolist())),
        open_findings=len(open_now),
        open_errors=len(errors_now),
        by_rule=_by_rule(open_now),
        by_commune=_by_commune(open_now, parcels, names),
        weeks=_weeks(findings, now, max(1, weeks)),
    )


def _parcels_named(uow: UnitOfWork, finding_ids: list[int]) -> set[int]:
    """Current parcels the findings name, directly or through a linked register entry."""
    parcels: set[int] = set()
    entries: set[int] = set()
    for subjects in uow.quality_stats.subjects(finding_ids).values():
        for subject in subjects:
            if not isinstance(subject, dict) or subject.get("id") is None:
                continue
            if subject.get("table") == "parcel":
                parcels.add(int(subject["id"]))
            elif subject.get("table") == "register_entry":
                entries.add(int(subject["id"]))
    parcels |= uow.quality_stats.parcels_of_entries(entries)
    return uow.quality_stats.current_parcels(parcels)


def _titles(code: str) -> tuple[str, str]:
    try:
        known = rule(code)
    except ValueError:  # a rule retired since the finding was stored
        return code, code
    return known.title_vi, known.title_en


def _by_rule(open_now: pd.DataFrame) -> tuple[RuleOpen, ...]:
    """Open findings per rule, most first (then in the catalogue's order)."""
    order = {str(code): n for n, code in enumerate(RuleCode)}
    counted = Counter(zip(open_now["rule"], open_now["severity"], strict=True))
    rows = []
    for (code, severity), count in counted.items():
        title_vi, title_en = _titles(code)
        rows.append(RuleOpen(code, title_vi, title_en, severity, count))
    return tuple(sorted(rows, key=lambda r: (-r.open, order.get(r.rule, len(order)), r.rule)))


def _by_commune(
    open_now: pd.DataFrame, parcels: Mapping[str, int], names: Mapping[str, str]
) -> tuple[CommuneOpen, ...]:
    """Every commune with parcels or open findings, in code order (findings placed in no
    commune last)."""
    codes = [None if pd.isna(c) else str(c) for c in open_now["commune_code"]]
    all_open = Counter(codes)
    errors = Counter(
        code for code, severity in zip(codes, open_now["severity"], strict=True)
        if severity == ERROR
    )  # fmt: skip
    known = sorted({*parcels, *(c for c in all_open if c is not None)})
    ordered: list[str | None] = [*known, *([None] if None in all_open else [])]
    return tuple(
        CommuneOpen(
            code,
            None if code is None else names.get(code, code),
            parcels.get(code, 0) if code is not None else 0,
            all_open[code],
            errors[code],
        )
        for code in ordered
    )


def _weeks(findings: pd.DataFrame, now: datetime, count: int) -> tuple[WeekOpen, ...]:
    """Open findings at the end of each week, from the week of the first finding (at most
    ``count`` weeks back) to the week of ``now``."""
    if findings.empty:
        return ()
    last = week_start(now.date())
    first = max(
        week_start(findings["created_local"].min().date()), last - timedelta(weeks=count - 1)
    )
    rules = sorted(set(findings["rule"]))
    communes = sorted({str(c) for c in findings["commune_code"] if not pd.isna(c)})
    series = []
    monday = first
    while monday <= last:
        end = datetime.combine(monday + timedelta(days=6), datetime.max.time()).replace(
            microsecond=0
        )
        moment = min(end, now)
        open_then = findings[_open_at(findings, moment)]
        series.append(
            WeekOpen(
                week=week_key(monday),
                starts_on=monday,
                at=moment,
                open=len(open_then),
                open_errors=int((open_then["severity"] == ERROR).sum()),
                by_rule=_tally(open_then["rule"], rules),
                by_commune=_tally(open_then["commune_code"].dropna().astype(str), communes),
            )
        )
        monday += timedelta(days=7)
    return tuple(series)


def _tally(values: Iterable[Any], keys: list[str]) -> dict[str, int]:
    counted = Counter(values)
    return {key: int(counted[key]) for key in keys}


def commune_shapes(
    uow: UnitOfWork, *, as_of: date | datetime | str | None = None
) -> tuple[datetime, tuple[CommuneShape, ...]]:
    """``as_of`` read as local time, and every current commune with a boundary or parcels:
    its figures at ``as_of`` and its boundary for a choropleth (WGS 84, simplified together
    so that neighbours still share their edges)."""
    now = as_of_moment(as_of)
    findings = _findings(uow, now)
    repository = uow.quality_stats
    units = repository.communes()
    counted = _by_commune(
        findings[_open_at(findings, now)], repository.parcels_by_commune(), repository.unit_names()
    )
    figures = {c.code: c for c in counted if c.code is not None}
    boundaries = _boundaries(units["wkb"].tolist(), uow.database.cadastral_srid)
    shapes = []
    for code, name, boundary in zip(units["code"], units["name"], boundaries, strict=True):
        if boundary is None and code not in figures:
            continue
        known = figures.get(code) or CommuneOpen(code, name, 0, 0, 0)
        shapes.append(CommuneShape(known, boundary))
    return now, tuple(shapes)


def _boundaries(blobs: list[bytes | None], srid: int) -> list[BaseGeometry | None]:
    """The boundaries simplified as one coverage, in WGS 84 with rounded coordinates."""
    shapes = np.array(
        [None if blob is None else shapely.from_wkb(blob) for blob in blobs], dtype=object
    )
    present = np.array([shape is not None and not shape.is_empty for shape in shapes])
    if present.any():
        simple = shapely.coverage_simplify(shapes[present], BOUNDARY_TOLERANCE_M)
        simple = reproject(simple, srid, WGS84)
        shapes[present] = shapely.transform(
            simple, lambda coords: np.round(coords, DEGREE_DECIMALS)
        )
    return [shape if ok else None for shape, ok in zip(shapes, present, strict=True)]
