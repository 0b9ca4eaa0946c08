"""Administrative unit boundaries: loading them, and where a map layer should lie."""

from __future__ import annotations

from sqlalchemy import select, update

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry

from landreg.services.ingest import BatchInfo, IngestResult, open_batch
from landreg.store.tables import AdminUnit
from landreg.store.unit_of_work import UnitOfWork


def expected_area(uow: UnitOfWork, communes: list[str]) -> BaseGeometry | None:
    """Where a layer of these communes should lie: their boundaries, else the whole province.

    None when no boundaries have been loaded yet (then only missing CRSs are caught).
    """
    statement = select(AdminUnit.geom).where(AdminUnit.geom.is_not(None))
    if communes:
        found = [
            to_shape(g) for g in uow.session.scalars(statement.where(AdminUnit.code.in_(communes)))
        ]
        if found:
            return shapely.union_all(found)
    shapes = [
        to_shape(g) for g in uow.session.scalars(statement.where(AdminUnit.valid_to.is_(None)))
    ]
    return shapely.union_all(shapes) if shapes else None


def load_unit_boundaries(
    uow: UnitOfWork, info: BatchInfo, boundaries: dict[str, BaseGeometry]
) -> IngestResult:
    """Set the boundaries of known administrative units (a commune map, a province outline)."""
    result = IngestResult(
        "loaded",
        info.source_name,
        info.file_name,
        rows_read=len(boundaries),
        warnings=list(info.warnings),
    )
    known = set(uow.session.scalars(select(AdminUnit.code)))
    srid = uow.database.cadastral_srid
    for code, shape in boundaries.items():
        if code not in known:
            result.warnings.append(f"unit {code} is not in the reference table; skipped")
            continue
        uow.session.execute(
            update(AdminUnit)
            .where(AdminUnit.code == code)
            .values(geom=from_shape(shape, srid=srid))
        )
        result.changed += 1
    batch = open_batch(uow, info)
    batch.counts = {"rows_read": result.rows_read, "changed": result.changed}
    result.batch_id = batch.id
    return result
