"""What the cadastral staff's map workbench reads: how the register stands (so the page knows
when to redraw), the lists its filters offer, where each finding lies, and a parcel as the
map shows it when clicked: its record, its history, the version in force on a day.

The actions (fix, hand edit, dismissal) are :mod:`landreg.services.queue`'s, the same the API
calls; the search box is :mod:`landreg.services.map_search`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from landreg.clock import as_utc
from landreg.domain import reference
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.map_features import MapRevision, VersionNote
from landreg.domain.messages import fix_label
from landreg.domain.model import Finding, Parcel
from landreg.domain.rules import RULES, Severity, rule
from landreg.errors import NotFoundError
from landreg.services.map_search import Bounds, geographic_bounds
from landreg.services.parcel_record import parcel_record
from landreg.services.queue import automatic_fix
from landreg.services.register import parcel_as_of, parcel_history
from landreg.store.unit_of_work import UnitOfWork

SEVERITY_NAMES = {Severity.ERROR: ("Lỗi", "Error"), Severity.WARNING: ("Cảnh báo", "Warning")}


def revision(uow: UnitOfWork) -> MapRevision:
    """How the register stands: a number that changes with any change of a parcel or a
    finding (by anyone), and the open findings counted."""
    return uow.map.revision()


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """What the findings queue can be filtered by: (code, Vietnamese, English) of each rule
    and severity, (code, name) of each commune and ward."""

    rules: list[tuple[str, str, str]]
    communes: list[tuple[str, str]]
    severities: list[tuple[str, str, str]]


def filter_choices() -> FilterChoices:
    """Every rule of the catalogue, every current commune and ward, both severities."""
    rules = sorted(
        ((str(code), r.title_vi, r.title_en) for code, r in RULES.items()), key=lambda r: r[0]
    )
    communes = sorted(
        ((code, unit.name) for code, unit in reference.communes().items()),
        key=lambda pair: (pair[1].split(" ", 1)[-1], pair[0]),
    )
    severities = [(str(s), *SEVERITY_NAMES[s]) for s in Severity]
    return FilterChoices(rules, communes, severities)


def rule_names(code: str) -> tuple[str, str]:
    """A rule's name in Vietnamese and English (its code when the catalogue lacks it)."""
    try:
        found = rule(code)
    except (KeyError, ValueError):
        return code, code
    return found.title_vi, found.title_en


def fix_names(finding: Finding) -> tuple[str, str] | None:
    """The name of the fix the queue can apply to the finding; None when there is none."""
    fix = automatic_fix(finding)
    return None if fix is None else fix_label(fix)


def finding_bounds(uow: UnitOfWork, findings: list[Finding]) -> dict[int, Bounds]:
    """Where to zoom for each finding (WGS 84): its location, or for one without (a value of
    the register) the parcels it names; a finding with neither is left out."""
    srid = uow.database.cadastral_srid
    placed: dict[int, Bounds] = {}
    unplaced = [f for f in findings if f.location is None or f.location.is_empty]
    boxes = uow.map.parcel_bounds(sorted({pid for f in unplaced for pid in f.parcel_ids}))
    for finding in findings:
        if finding.id is None:
            continue
        if finding.location is not None and not finding.location.is_empty:
            placed[finding.id] = geographic_bounds(finding.location.bounds, srid)
            continue
        corners = [boxes[pid] for pid in finding.parcel_ids if pid in boxes]
        if corners:
            joined = (
                min(c[0] for c in corners), min(c[1] for c in corners),
                max(c[2] for c in corners), max(c[3] for c in corners),
            )  # fmt: skip
            placed[finding.id] = geographic_bounds(joined, srid)
    return placed


def end_of_local_day(day: date) -> datetime:
    """The last moment of a day in Viet Nam, as the register stores moments (naive UTC)."""
    return as_utc(datetime.combine(day, time.max, tzinfo=LOCAL_TIME))


def local_day(moment: datetime) -> date:
    """The day in Viet Nam of a moment the register stored (naive UTC)."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TIME).date()


def parcel_on(uow: UnitOfWork, parcel_id: int, day: date | None) -> Parcel:
    """The parcel's version in force at the end of ``day`` (local), or now; raises
    :class:`NotFoundError` for a parcel the register does not have, or did not have yet."""
    if day is None:
        return uow.parcels.get(parcel_id)
    found = parcel_as_of(uow, parcel_id, end_of_local_day(day))
    if found is None:
        raise NotFoundError(
            f"parcel {parcel_id} was not in the register yet on {day.isoformat()}",
            field="at",
            value=day.isoformat(),
            detail_vi=f"thửa {parcel_id} chưa có trong sổ địa chính vào ngày "
            f"{day.strftime('%d/%m/%Y')}",
        )
    return found


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One version of a parcel as its history shows it: when, who, why (both languages)."""

    version: int
    valid_from: datetime
    valid_to: datetime | None
    who: str | None
    why_vi: str
    why_en: str
    parcel: Parcel


@dataclass(frozen=True, slots=True)
class ParcelView:
    """A parcel as the map shows it when clicked: the record (``parcel_record``), the
    version in force on the day asked for (``shown``; the current one unless a day was
    asked for), every version, and the days they began (local)."""

    record: dict[str, Any]
    shown: Parcel
    day: date | None
    versions: list[VersionEntry]
    history_dates: list[date]


def parcel_view(uow: UnitOfWork, parcel_id: int, day: date | None = None) -> ParcelView:
    """The record, the version in force on ``day`` and the history of one parcel."""
    record = parcel_record(uow, parcel_id)
    shown = parcel_on(uow, parcel_id, day)
    versions = _versions(uow, parcel_id)
    dates = sorted({local_day(v.valid_from) for v in versions})
    return ParcelView(record, shown, day, versions, dates)


def _versions(uow: UnitOfWork, parcel_id: int) -> list[VersionEntry]:
    """Every version, oldest first, with who made it and why: the source file it came in,
    or the finding whose fix or hand edit made it."""
    parcels = {p.version: p for p in parcel_history(uow, parcel_id)}
    notes = uow.map.version_notes(parcel_id)
    fixed = [uow.findings.get(i) for i in uow.map.finding_ids_naming(parcel_id, status="fixed")]
    files = uow.batches.batch_files({n.batch_id for n in notes if n.batch_id is not None})
    entries = []
    delivered: int | None = None  # the batch of the version before
    for note in notes:
        parcel = parcels.get(note.version)
        if parcel is None:
            continue
        taken_in = note.batch_id is not None and note.batch_id != delivered
        delivered = note.batch_id
        why_vi, why_en = _why(note, parcel, fixed, files if taken_in else {})
        entries.append(
            VersionEntry(note.version, note.valid_from, note.valid_to, note.changed_by,
                         why_vi, why_en, parcel)
        )  # fmt: skip
    return entries


def _why(
    note: VersionNote, parcel: Parcel, fixed: list[Finding], files: dict[int, str]
) -> tuple[str, str]:
    """Why a version was made: the finding closed by it (closed in its lifetime), else the
    file it was taken in from (``files`` is empty when it came in no new batch), else a
    change of the record by a person."""
    for finding in fixed:
        closed = finding.closed_at
        if closed is None or closed < note.valid_from:
            continue
        if note.valid_to is not None and closed >= note.valid_to:
            continue
        title_vi, title_en = rule_names(finding.rule)
        resolution = finding.resolution or ""
        if resolution.startswith("edited by hand:"):
            said = resolution.removeprefix("edited by hand:").strip()
            return (
                f"Sửa tay theo phát hiện {finding.id} ({title_vi}): {said}",
                f"Edited by hand for finding {finding.id} ({title_en}): {said}",
            )
        fix_vi, fix_en = fix_label((finding.suggestion or {}).get("fix"))
        return (
            f"{fix_vi} theo phát hiện {finding.id} ({title_vi})",
            f"{fix_en} for finding {finding.id} ({title_en})",
        )
    if note.batch_id is not None and note.batch_id in files:
        row = parcel.source.row if parcel.source else None
        at_vi = f", dòng {row}" if row else ""
        at_en = f", row {row}" if row else ""
        name = files[note.batch_id]
        return f"Nhận từ tệp {name}{at_vi}", f"Taken in from {name}{at_en}"
    return "Sửa thông tin thửa", "Record changed"
