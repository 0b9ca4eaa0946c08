"""Administrative unit boundaries (communes, province, former units) from a map file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shapely

from ingest import maps
from ingest.parcels import polygons_in
from landreg.services.boundaries import load_unit_boundaries
from landreg.services.ingest import BatchInfo, IngestResult
from landreg.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from ingest.pipeline import IngestOptions


def ingest_units(
    uow: UnitOfWork, path: Path, size: int, digest: str, options: IngestOptions
) -> IngestResult:
    """Load the boundary of every unit the file names (a ``code`` field per feature)."""
    srid = uow.database.cadastral_srid
    boundaries: dict[str, shapely.Geometry] = {}
    notes = []
    for name in maps.list_layers(path):
        layer = maps.read_layer(path, name)
        if "code" not in layer.attributes.columns:
            notes.append(f"layer {name}: no code field; skipped")
            continue
        transform, _, note = maps.resolve_crs(
            layer, confirmed=options.crs, expected=None, expected_srid=srid, where="the province"
        )
        geometry, no_polygon = polygons_in(layer, transform)
        codes = layer.attributes["code"].astype(str)
        boundaries |= {code: geometry[i] for i, code in enumerate(codes) if not no_polygon.iloc[i]}
        notes.append(f"layer {name}: {note}")
    info = BatchInfo(
        "admin",
        options.source or f"admin:{path.parent.name}/{path.stem}",
        path.name,
        size,
        digest,
        layer=None,
        actor=options.actor,
        warnings=notes,
    )
    result = load_unit_boundaries(uow, info, boundaries)
    uow.commit()
    return result
