"""The findings work queue: cadastral staff apply the suggested fix or dismiss with a reason.

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

from sqlalchemy import select

import shapely
from geoalchemy2.shape import to_shape

from landreg.clock import utcnow
from landreg.errors import ConflictError, NotFoundError, ValidationError
from landreg.services.register import changed_parcel
from landreg.store import versioning
from landreg.store.tables import FindingRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.geometry import to_multipolygon

OPEN = "open"


def _finding(uow: UnitOfWork, finding_id: int, expected_version: int | None) -> FindingRow:
    """The open finding, locked for this unit of work, at the version the caller expects."""
    uow.begin_writing()
    row = uow.session.scalar(
        select(FindingRow)
        .where(FindingRow.id == finding_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFoundError(f"no finding {finding_id}", field="finding_id", value=finding_id)
    if expected_version is not None and row.version != expected_version:
        raise ConflictError(
            f"finding {finding_id} is at version {row.version}, not {expected_version}: "
            "someone acted on it meanwhile",
            field="version",
            value=expected_version,
        )
    if row.status != OPEN:
        raise ConflictError(
            f"finding {finding_id} is {row.status}, not open", field="status", value=row.status
        )
    return row


def dismiss(
    uow: UnitOfWork,
    finding_id: int,
    reason: str,
    *,
    actor: str,
    expected_version: int | None = None,
) -> FindingRow:
    """Dismiss a finding with the reason (a dismissed finding stays dismissed when found again)."""
    if len(reason.strip()) < 5:
        raise ValidationError(
            "say why the finding is dismissed (5 characters or more)", field="reason", value=reason
        )
    row = _finding(uow, finding_id, expected_version)
    _close(uow, row, "dismissed", reason.strip(), actor)
    uow.commit()
    return row


def apply_fix(
    uow: UnitOfWork, finding_id: int, *, actor: str, expected_version: int | None = None
) -> FindingRow:
    """Apply the finding's suggested fix; the changed parcel gets a new version."""
    row = _finding(uow, finding_id, expected_version)
    fix = (row.suggestion or {}).get("fix", "review")
    appliers = {
        "make_valid": _make_valid,
        "snap_to_neighbour": _snap,
        "take_register_value": _take_register_value,
        "merge_duplicates": _retire_copy,
    }
    if fix not in appliers:
        raise ValidationError(
            f"rule {row.rule} has no automatic fix: edit the record and "
            "dismiss the finding with what was done",
            field="fix",
            value=fix,
        )
    description = appliers[fix](uow, row, actor)
    _close(uow, row, "fixed", description, actor)
    uow.commit()
    return row


def apply_edit(
    uow: UnitOfWork,
    finding_id: int,
    parcel_id: int,
    changes: dict[str, Any],
    note: str,
    *,
    actor: str,
    expected_version: int | None = None,
) -> FindingRow:
    """Resolve a finding by editing one of its parcels (boundary, legal area, land use,
    address) by hand: the parcel gets a new version and the finding is closed as fixed,
    together or not at all."""
    if len(note.strip()) < 5:
        raise ValidationError(
            "say what was changed (5 characters or more)", field="note", value=note
        )
    row = _finding(uow, finding_id, expected_version)
    if parcel_id not in _parcel_ids(row):
        raise ValidationError(
            f"parcel {parcel_id} is not one of finding {finding_id}'s parcels",
            field="parcel_id",
            value=parcel_id,
        )
    changed_parcel(uow, parcel_id, changes, actor=actor)
    _close(uow, row, "fixed", f"edited by hand: {note.strip()}", actor)
    uow.commit()
    return row


def _close(uow: UnitOfWork, row: FindingRow, status: str, resolution: str, actor: str) -> None:
    before = {"status": row.status, "version": row.version}
    row.status, row.resolution, row.resolved_by = status, resolution, actor
    row.closed_at, row.version = utcnow(), row.version + 1
    uow.audit.record(
        actor=actor,
        action=status,
        entity_type="finding",
        entity_id=row.id,
        before=before,
        after={"status": status, "resolution": resolution, "version": row.version},
    )


def _parcel_ids(row: FindingRow) -> list[int]:
    return [int(s["id"]) for s in row.subjects if s["table"] == "parcel"]


def _new_geometry(uow: UnitOfWork, parcel_id: int, geometry: Any, actor: str, why: str) -> None:
    parcel = uow.parcels.get(parcel_id)
    parcel.geometry = to_multipolygon(geometry)
    uow.parcels.change(parcel_id, parcel, actor=actor, expected_version=parcel.version, at=utcnow())
    uow.audit.record(
        actor=actor,
        action="fix",
        entity_type="parcel",
        entity_id=parcel_id,
        after={"why": why, "area": parcel.geometry.area},
    )


def _make_valid(uow: UnitOfWork, row: FindingRow, actor: str) -> str:
    [parcel_id] = _parcel_ids(row)[:1]
    current = uow.parcels.get(parcel_id).geometry
    repaired = shapely.make_valid(current)
    polygons = [
        p for p in shapely.get_parts(repaired) if p.geom_type in ("Polygon", "MultiPolygon")
    ]
    if not polygons:
        raise ValidationError(
            "make-valid leaves no area: redraw the parcel", field="geometry", value=row.id
        )
    _new_geometry(uow, parcel_id, shapely.union_all(polygons), actor, "make valid")
    return "geometry made valid"


def _snap(uow: UnitOfWork, row: FindingRow, actor: str) -> str:
    """An overlap is cut from the parcel that grew; a gap goes to its longest neighbour."""
    ids = _parcel_ids(row)
    if row.geom is None or not ids:
        raise ValidationError("the finding has no location to snap", field="geometry", value=row.id)
    piece = to_shape(row.geom)
    shapes = {pid: uow.parcels.get(pid).geometry for pid in ids}
    parcels = {pid: shape for pid, shape in shapes.items() if shape is not None}
    ids = list(parcels)
    if row.rule == "GEOM_GAP":
        target = max(
            ids, key=lambda pid: parcels[pid].boundary.intersection(piece.buffer(0.01)).length
        )
        _new_geometry(uow, target, shapely.union(parcels[target], piece), actor, "gap filled")
        return f"gap given to parcel {target}"
    target = max(ids, key=lambda pid: parcels[pid].area)
    _new_geometry(uow, target, shapely.difference(parcels[target], piece), actor, "overlap removed")
    return f"overlap cut from parcel {target}"


def _take_register_value(uow: UnitOfWork, row: FindingRow, actor: str) -> str:
    [parcel_id] = _parcel_ids(row)[:1]
    value = (row.suggestion or {}).get("value")
    if not value or "," in value:
        raise ValidationError(
            "the register holds no single value to take", field="value", value=value
        )
    parcel = uow.parcels.get(parcel_id)
    parcel.land_use_code = value
    uow.parcels.change(parcel_id, parcel, actor=actor, expected_version=parcel.version, at=utcnow())
    return f"land use set to the register's {value}"


def _retire_copy(uow: UnitOfWork, row: FindingRow, actor: str) -> str:
    ids = _parcel_ids(row)
    copy = max(ids)
    versioning.current_row(uow.session, "parcel", copy, lock=True)
    if versioning.is_referenced(uow.session, "parcel", copy):
        raise ConflictError(
            f"parcel {copy} still has rights or links; merge them first",
            field="parcel_id",
            value=copy,
        )
    versioning.archive_version(uow.session, "parcel", copy, utcnow())
    uow.session.execute(
        versioning.VERSIONED_TABLES["parcel"]
        .delete()
        .where(versioning.VERSIONED_TABLES["parcel"].c.id == copy)
    )
    uow.audit.record(
        actor=actor,
        action="retire",
        entity_type="parcel",
        entity_id=copy,
        after={"why": f"duplicate of parcel {min(ids)}"},
    )
    return f"duplicate parcel {copy} retired into history"
