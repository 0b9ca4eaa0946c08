"""The findings work queue: staff list findings, apply the suggested fix, edit a parcel by
hand or dismiss with a reason.

Every action is audited (before and after) and versions the finding; a fix that changes a
parcel makes a new version of it, so the previous boundary or value stays in history.

Each action locks the finding before it checks its version and status (``SELECT … FOR
UPDATE`` on PostGIS; the unit of work's write lock on SpatiaLite), and writes the finding,
the parcel and the audit entry in that one transaction: of many staff acting on one finding
at once exactly one succeeds, the others are told it changed meanwhile (409), whether they
sent the version they read or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.clock import utcnow
from landreg.domain.model import Finding, Parcel
from landreg.domain.rules import RuleCode, rule
from landreg.errors import ConflictError, NotFoundError, ValidationError
from landreg.services.register import changed_parcel
from landreg.services.spatial_refusals import spatial_refusals
from landreg.store.unit_of_work import UnitOfWork
from spatial.geometry import to_multipolygon

OPEN = "open"


def page(
    uow: UnitOfWork,
    *,
    rule: str | None = None,
    severity: str | None = None,
    commune: str | None = None,
    status: str = OPEN,
    area: BaseGeometry | None = None,
    limit: int,
    offset: int,
) -> tuple[int, list[Finding]]:
    """How many findings match and one page of them, in id order: of a ``status`` (``all``
    for every one), and where given of a rule, severity, commune, or meeting ``area`` (a
    polygon in the cadastral CRS)."""
    return uow.findings.page(
        rule=rule,
        severity=severity,
        commune=commune,
        status=None if status == "all" else status,
        area=area,
        limit=limit,
        offset=offset,
    )


def one(uow: UnitOfWork, finding_id: int) -> Finding:
    """One finding, whatever its status; raises :class:`NotFoundError`."""
    return uow.findings.get(finding_id)


def _finding(uow: UnitOfWork, finding_id: int, expected_version: int | None) -> Finding:
    """The open finding, locked for this unit of work, at the version the caller expects."""
    uow.begin_writing()
    finding = uow.findings.get_for_update(finding_id)
    if expected_version is not None and finding.version != expected_version:
        raise ConflictError(
            f"finding {finding_id} is at version {finding.version}, not {expected_version}: "
            "someone acted on it meanwhile",
            field="version",
            value=expected_version,
            detail_vi=f"phát hiện {finding_id} đang ở phiên bản {finding.version}, không phải "
            f"{expected_version}: người khác vừa xử lý phát hiện này; hãy tải lại",
        )
    return _still_open(finding)


def _still_open(finding: Finding) -> Finding:
    """The finding, if it is still open; a closed one is a conflict (someone acted on it)."""
    if finding.status != OPEN:
        raise ConflictError(
            f"finding {finding.id} is {finding.status}, not open",
            field="status",
            value=finding.status,
            detail_vi=f"phát hiện {finding.id} {_STATUS_VI.get(finding.status, finding.status)}"
            ", không còn mở để xử lý",
        )
    return finding


# A finding's statuses as the queue's reader says them.
_STATUS_VI = {
    "closed": "đã đóng (nguyên nhân không còn)",
    "fixed": "đã được sửa",
    "dismissed": "đã được bỏ qua",
}


def dismiss(
    uow: UnitOfWork,
    finding_id: int,
    reason: str,
    *,
    actor: str,
    expected_version: int | None = None,
) -> Finding:
    """Dismiss a finding with the reason (a dismissed finding stays dismissed when found again)."""
    if len(reason.strip()) < 5:
        raise ValidationError(
            "say why the finding is dismissed (5 characters or more)",
            field="reason",
            value=reason,
            detail_vi="hãy ghi lý do bỏ qua phát hiện (từ 5 ký tự trở lên)",
        )
    finding = _finding(uow, finding_id, expected_version)
    closed = _close(uow, finding, "dismissed", reason.strip(), actor)
    uow.commit()
    return closed


@dataclass(frozen=True, slots=True)
class ParcelChange:
    """One parcel as a fix leaves it: ``after`` is None when the fix retires it."""

    parcel_id: int
    before: Parcel
    after: Parcel | None
    why: str


@dataclass(frozen=True, slots=True)
class FixPlan:
    """What a finding's suggested fix does to its parcels, worked out before anything is
    written: the same plan is shown as a preview and carried out by :func:`apply_fix`."""

    finding: Finding
    fix: str
    changes: tuple[ParcelChange, ...]
    description: str


@dataclass(frozen=True, slots=True)
class FixPreview:
    """The finding's parcels now (``before``) and as its fix would leave them (``after``; a
    parcel the fix retires is left out), in the cadastral CRS; nothing stored."""

    finding: Finding
    before: list[Parcel]
    after: list[Parcel]
    changed: list[int]
    retired: list[int]
    description: str


def automatic_fix(finding: Finding) -> str | None:
    """The kind of fix :func:`apply_fix` can carry out for the finding (``make_valid``…), None
    when it has none (staff edit the record by hand or dismiss the finding)."""
    fix = (finding.suggestion or {}).get("fix", "review")
    return fix if fix in _PLANNERS else None


def preview_fix(uow: UnitOfWork, finding_id: int) -> FixPreview:
    """The finding's parcels before and after its suggested fix, computed as
    :func:`apply_fix` computes them, without writing anything."""
    finding = _still_open(uow.findings.get(finding_id))
    plan = _fix_plan(uow, finding, lock=False)
    planned = {change.parcel_id: change for change in plan.changes}
    before, after = [], []
    for parcel_id in dict.fromkeys(finding.parcel_ids):
        change = planned.get(parcel_id)
        now = change.before if change is not None else _current(uow, parcel_id)
        if now is None:
            continue
        before.append(now)
        if change is None:
            after.append(now)
        elif change.after is not None:
            after.append(change.after)
    return FixPreview(
        finding=finding,
        before=before,
        after=after,
        changed=[c.parcel_id for c in plan.changes if c.after is not None],
        retired=[c.parcel_id for c in plan.changes if c.after is None],
        description=plan.description,
    )


def _current(uow: UnitOfWork, parcel_id: int) -> Parcel | None:
    try:
        return uow.parcels.get(parcel_id)
    except NotFoundError:  # retired since the finding was raised
        return None


def apply_fix(
    uow: UnitOfWork, finding_id: int, *, actor: str, expected_version: int | None = None
) -> Finding:
    """Apply the finding's suggested fix; the changed parcel gets a new version."""
    finding = _finding(uow, finding_id, expected_version)
    plan = _fix_plan(uow, finding, lock=True)
    for change in plan.changes:
        _carry_out(uow, change, actor)
    closed = _close(uow, finding, "fixed", plan.description, actor)
    uow.commit()
    return closed


def _fix_plan(uow: UnitOfWork, finding: Finding, *, lock: bool) -> FixPlan:
    """The finding's suggested fix worked out on its parcels as they are now; with ``lock``
    a parcel to be retired is locked first (the others are locked as they are changed)."""
    fix = automatic_fix(finding)
    if fix is None:
        shown = (finding.suggestion or {}).get("fix", "review")
        raise ValidationError(
            f"rule {finding.rule} has no automatic fix: edit the record and "
            "dismiss the finding with what was done",
            field="fix",
            value=shown,
            detail_vi=f"quy tắc {finding.rule} ({_rule_title_vi(finding.rule)}) không có cách "
            "sửa tự động: hãy sửa hồ sơ thửa đất rồi bỏ qua phát hiện, ghi rõ việc đã làm",
        )
    changes, description = _PLANNERS[fix](uow, finding, lock)
    return FixPlan(finding, fix, tuple(changes), description)


def _carry_out(uow: UnitOfWork, change: ParcelChange, actor: str) -> None:
    """Store one planned change: a new version of the parcel, or the parcel retired."""
    parcel_id = change.parcel_id
    if change.after is None:
        uow.parcels.retire(parcel_id, at=utcnow())
        uow.audit.record(
            actor=actor, action="retire", entity_type="parcel", entity_id=parcel_id,
            after={"why": change.why},
        )  # fmt: skip
        return
    uow.parcels.change(
        parcel_id, change.after, actor=actor, expected_version=change.before.version, at=utcnow()
    )
    after: dict[str, Any] = {"why": change.why}
    if change.after.geometry is not change.before.geometry and change.after.geometry is not None:
        after["area"] = change.after.geometry.area
    if change.after.land_use_code != change.before.land_use_code:
        after["land_use_code"] = change.after.land_use_code
    uow.audit.record(
        actor=actor, action="fix", entity_type="parcel", entity_id=parcel_id, after=after
    )


def apply_edit(
    uow: UnitOfWork,
    finding_id: int,
    parcel_id: int,
    changes: dict[str, Any],
    note: str,
    *,
    actor: str,
    expected_version: int | None = None,
) -> Finding:
    """Resolve a finding by editing one of its parcels (boundary, legal area, land use,
    address) by hand: the parcel gets a new version and the finding is closed as fixed,
    together or not at all."""
    if len(note.strip()) < 5:
        raise ValidationError(
            "say what was changed (5 characters or more)",
            field="note",
            value=note,
            detail_vi="hãy ghi nội dung đã sửa (từ 5 ký tự trở lên)",
        )
    finding = _finding(uow, finding_id, expected_version)
    if parcel_id not in finding.parcel_ids:
        raise ValidationError(
            f"parcel {parcel_id} is not one of finding {finding_id}'s parcels",
            field="parcel_id",
            value=parcel_id,
            detail_vi=f"thửa {parcel_id} không thuộc các thửa của phát hiện {finding_id}",
        )
    changed_parcel(uow, parcel_id, changes, actor=actor)
    closed = _close(uow, finding, "fixed", f"edited by hand: {note.strip()}", actor)
    uow.commit()
    return closed


def _close(uow: UnitOfWork, finding: Finding, status: str, resolution: str, actor: str) -> Finding:
    """The finding closed as ``status``, audited with what it was before, in this unit."""
    closed = uow.findings.close(
        finding, status=status, resolution=resolution, actor=actor, at=utcnow()
    )
    uow.audit.record(
        actor=actor,
        action=status,
        entity_type="finding",
        entity_id=finding.id,
        before={"status": finding.status, "version": finding.version},
        after={"status": status, "resolution": resolution, "version": closed.version},
    )
    return closed


def _reshaped(parcel_id: int, parcel: Parcel, geometry: Any, why: str) -> ParcelChange:
    """The parcel with a new boundary (as a register keeps one: a multipolygon)."""
    with spatial_refusals():
        boundary = to_multipolygon(geometry)
    return ParcelChange(parcel_id, parcel, replace(parcel, geometry=boundary), why)


Planned = tuple[list[ParcelChange], str]


def _make_valid(uow: UnitOfWork, finding: Finding, lock: bool) -> Planned:
    [parcel_id] = finding.parcel_ids[:1]
    parcel = uow.parcels.get(parcel_id)
    current = parcel.geometry
    if finding.rule == RuleCode.GEOM_PARTS_OVERLAP:
        # the parts of one parcel overlap: the parcel is their union (GEOS's make_valid would
        # keep the overlap out, as a hole)
        current = shapely.union_all(shapely.get_parts(current))
    repaired = shapely.make_valid(current)
    polygons = [
        p for p in shapely.get_parts(repaired) if p.geom_type in ("Polygon", "MultiPolygon")
    ]
    if not polygons:
        raise ValidationError(
            "make-valid leaves no area: redraw the parcel",
            field="geometry",
            value=finding.id,
            detail_vi="sửa ranh giới cho hợp lệ thì thửa không còn diện tích: hãy vẽ lại thửa",
        )
    change = _reshaped(parcel_id, parcel, shapely.union_all(polygons), "make valid")
    return [change], "geometry made valid"


def _snap(uow: UnitOfWork, finding: Finding, lock: bool) -> Planned:
    """An overlap is cut from the parcel that grew; a gap goes to its longest neighbour."""
    ids = finding.parcel_ids
    piece = finding.location
    if piece is None or not ids:
        raise ValidationError(
            "the finding has no location to snap",
            field="geometry",
            value=finding.id,
            detail_vi="phát hiện không có vị trí để khớp ranh giới",
        )
    found = {pid: uow.parcels.get(pid) for pid in ids}
    shapes: dict[int, BaseGeometry] = {
        pid: p.geometry for pid, p in found.items() if p.geometry is not None
    }
    parcels = {pid: found[pid] for pid in shapes}
    ids = list(parcels)
    if finding.rule == RuleCode.GEOM_GAP:
        target = max(
            ids, key=lambda pid: shapes[pid].boundary.intersection(piece.buffer(0.01)).length
        )
        grown = shapely.union(shapes[target], piece)
        return [_reshaped(target, parcels[target], grown, "gap filled")], (
            f"gap given to parcel {target}"
        )
    target = max(ids, key=lambda pid: shapes[pid].area)
    cut = shapely.difference(shapes[target], piece)
    return [_reshaped(target, parcels[target], cut, "overlap removed")], (
        f"overlap cut from parcel {target}"
    )


def _take_register_value(uow: UnitOfWork, finding: Finding, lock: bool) -> Planned:
    [parcel_id] = finding.parcel_ids[:1]
    value = (finding.suggestion or {}).get("value")
    if not value or "," in value:
        raise ValidationError(
            "the register holds no single value to take",
            field="value",
            value=value,
            detail_vi="sổ địa chính không có một giá trị duy nhất để lấy",
        )
    parcel = uow.parcels.get(parcel_id)
    change = ParcelChange(
        parcel_id, parcel, replace(parcel, land_use_code=value), "land use from the register"
    )
    return [change], f"land use set to the register's {value}"


def _retire_copy(uow: UnitOfWork, finding: Finding, lock: bool) -> Planned:
    ids = finding.parcel_ids
    copy = max(ids)
    parcel = uow.parcels.get(copy, lock=lock)
    if uow.parcels.is_referenced(copy):
        raise ConflictError(
            f"parcel {copy} still has rights or links; merge them first",
            field="parcel_id",
            value=copy,
            detail_vi=f"thửa {copy} vẫn còn quyền hoặc liên kết hồ sơ; hãy gộp chúng trước",
        )
    change = ParcelChange(copy, parcel, None, f"duplicate of parcel {min(ids)}")
    return [change], f"duplicate parcel {copy} retired into history"


# The fixes :func:`apply_fix` carries out, by the kind a rule suggests (``Rule.fix``).
_PLANNERS: dict[str, Callable[[UnitOfWork, Finding, bool], Planned]] = {
    "make_valid": _make_valid,
    "snap_to_neighbour": _snap,
    "take_register_value": _take_register_value,
    "merge_duplicates": _retire_copy,
}


def _rule_title_vi(code: str) -> str:
    """The rule's Vietnamese name; its code when the catalogue no longer has it."""
    try:
        return rule(code).title_vi
    except ValueError:
        return code
