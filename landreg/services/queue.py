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

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.clock import utcnow
from landreg.domain.model import Finding
from landreg.domain.rules import RuleCode, rule
from landreg.errors import ConflictError, ValidationError
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
    if finding.status != OPEN:
        raise ConflictError(
            f"finding {finding_id} is {finding.status}, not open",
            field="status",
            value=finding.status,
            detail_vi=f"phát hiện {finding_id} {_STATUS_VI.get(finding.status, finding.status)}"
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


def apply_fix(
    uow: UnitOfWork, finding_id: int, *, actor: str, expected_version: int | None = None
) -> Finding:
    """Apply the finding's suggested fix; the changed parcel gets a new version."""
    finding = _finding(uow, finding_id, expected_version)
    fix = (finding.suggestion or {}).get("fix", "review")
    appliers = {
        "make_valid": _make_valid,
        "snap_to_neighbour": _snap,
        "take_register_value": _take_register_value,
        "merge_duplicates": _retire_copy,
    }
    if fix not in appliers:
        raise ValidationError(
            f"rule {finding.rule} has no automatic fix: edit the record and "
            "dismiss the finding with what was done",
            field="fix",
            value=fix,
            detail_vi=f"quy tắc {finding.rule} ({_rule_title_vi(finding.rule)}) không có cách "
            "sửa tự động: hãy sửa hồ sơ thửa đất rồi bỏ qua phát hiện, ghi rõ việc đã làm",
        )
    description = appliers[fix](uow, finding, actor)
    closed = _close(uow, finding, "fixed", description, actor)
    uow.commit()
    return closed


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


def _new_geometry(uow: UnitOfWork, parcel_id: int, geometry: Any, actor: str, why: str) -> None:
    parcel = uow.parcels.get(parcel_id)
    with spatial_refusals():
        parcel.geometry = to_multipolygon(geometry)
    uow.parcels.change(parcel_id, parcel, actor=actor, expected_version=parcel.version, at=utcnow())
    uow.audit.record(
        actor=actor,
        action="fix",
        entity_type="parcel",
        entity_id=parcel_id,
        after={"why": why, "area": parcel.geometry.area},
    )


def _make_valid(uow: UnitOfWork, finding: Finding, actor: str) -> str:
    [parcel_id] = finding.parcel_ids[:1]
    current = uow.parcels.get(parcel_id).geometry
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
    _new_geometry(uow, parcel_id, shapely.union_all(polygons), actor, "make valid")
    return "geometry made valid"


def _snap(uow: UnitOfWork, finding: Finding, actor: str) -> str:
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
    shapes = {pid: uow.parcels.get(pid).geometry for pid in ids}
    parcels = {pid: shape for pid, shape in shapes.items() if shape is not None}
    ids = list(parcels)
    if finding.rule == RuleCode.GEOM_GAP:
        target = max(
            ids, key=lambda pid: parcels[pid].boundary.intersection(piece.buffer(0.01)).length
        )
        _new_geometry(uow, target, shapely.union(parcels[target], piece), actor, "gap filled")
        return f"gap given to parcel {target}"
    target = max(ids, key=lambda pid: parcels[pid].area)
    _new_geometry(uow, target, shapely.difference(parcels[target], piece), actor, "overlap removed")
    return f"overlap cut from parcel {target}"


def _take_register_value(uow: UnitOfWork, finding: Finding, actor: str) -> str:
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
    parcel.land_use_code = value
    uow.parcels.change(parcel_id, parcel, actor=actor, expected_version=parcel.version, at=utcnow())
    return f"land use set to the register's {value}"


def _retire_copy(uow: UnitOfWork, finding: Finding, actor: str) -> str:
    ids = finding.parcel_ids
    copy = max(ids)
    uow.parcels.get(copy, lock=True)
    if uow.parcels.is_referenced(copy):
        raise ConflictError(
            f"parcel {copy} still has rights or links; merge them first",
            field="parcel_id",
            value=copy,
            detail_vi=f"thửa {copy} vẫn còn quyền hoặc liên kết hồ sơ; hãy gộp chúng trước",
        )
    uow.parcels.retire(copy, at=utcnow())
    uow.audit.record(
        actor=actor,
        action="retire",
        entity_type="parcel",
        entity_id=copy,
        after={"why": f"duplicate of parcel {min(ids)}"},
    )
    return f"duplicate parcel {copy} retired into history"


def _rule_title_vi(code: str) -> str:
    """The rule's Vietnamese name; its code when the catalogue no longer has it."""
    try:
        return rule(code).title_vi
    except ValueError:
        return code
