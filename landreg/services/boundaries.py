"""Administrative unit boundaries: loading them, and where a map layer should lie."""

from __future__ import annotations

from shapely.geometry.base import BaseGeometry

from ingest.batches import BatchInfo
from landreg.clock import utcnow
from landreg.services.ingest import IngestResult
from landreg.store.unit_of_work import UnitOfWork


def expected_area(uow: UnitOfWork, communes: list[str]) -> BaseGeometry:
    """Where a layer of these communes should lie (in the cadastral CRS): their boundaries,
    else the province's loaded boundary, else the province's extent shipped with the units;
    ``[]`` for the province itself."""
    return uow.units.expected_area(communes)


def where_checked(uow: UnitOfWork, communes: list[str]) -> str | None:
    """What :func:`expected_area` of these communes is, said to a person: None for their own
    boundaries, ``the province`` when it falls back to the province's."""
    return None if uow.units.has_boundaries(communes) else "the province"


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
    known = uow.units.codes()
    for code, shape in boundaries.items():
        if code not in known:
            result.warnings.append(f"unit {code} is not in the reference table; skipped")
            continue
        uow.units.set_boundary(code, shape)
        result.changed += 1
    result.batch_id = uow.batches.open(info, utcnow())
    uow.batches.record(result.batch_id, {"rows_read": result.rows_read, "changed": result.changed})
    return result
