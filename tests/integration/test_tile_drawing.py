"""How parcels are drawn into vector tiles, on both backends: where they lie, and which ones a
zoomed-out tile keeps (the largest, none under a pixel, at most ``MAX_FEATURES``; every parcel
from ``FULL_DETAIL_ZOOM`` on)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
from sqlalchemy import func, select

import shapely

from landreg.domain.delivery import IngestOptions
from landreg.domain.map_features import MapLayerName
from landreg.services.sources import ingest_path
from landreg.store.database import RegisterDatabase
from landreg.store.reads import tiles
from landreg.store.reads.factory import reads_for
from landreg.store.tables import ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"


@pytest.fixture
def parcels(register_db) -> tuple[RegisterDatabase, dict[int, shapely.Geometry]]:
    """One commune's map taken in; its parcels' outlines by id (cadastral CRS)."""
    for path in ("admin/units.gpkg", "maps/long_an_cu/27694_phuong_long_an.gpkg"):
        ingest_path(register_db, SAMPLE / path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        rows = uow.session.execute(
            select(ParcelRow.id, func.ST_AsBinary(ParcelRow.geom)).where(
                ParcelRow.geom.is_not(None)
            )
        ).all()
    return register_db, {row[0]: shapely.from_wkb(bytes(row[1])) for row in rows}


def _drawn(database: RegisterDatabase, z: int, x: int, y: int) -> dict[int, dict]:
    """The parcels' features of a tile as the served reads draw it, by id."""
    reads = reads_for(database, size=2, timeout=10)

    async def draw() -> bytes:
        await reads.open()
        try:
            return await reads.tiles.tile(MapLayerName.PARCELS, z, x, y)
        finally:
            await reads.close()

    data = asyncio.run(draw())
    if not data:
        return {}
    return {f["id"]: f for f in mapbox_vector_tile.decode(data)["parcels"]["features"]}


def _tile_of(point: shapely.Point, z: int, srid: int) -> tuple[int, int]:
    lon_lat = reproject(point, srid, 4326)
    n = 2**z
    row = (1 - math.asinh(math.tan(math.radians(lon_lat.y))) / math.pi) / 2 * n
    return int((lon_lat.x + 180) / 360 * n), int(row)


def _busiest_tile(outlines: dict[int, shapely.Geometry], z: int, srid: int) -> tuple[int, int]:
    places = [_tile_of(shapely.centroid(g), z, srid) for g in outlines.values()]
    found, counts = np.unique(np.array(places), axis=0, return_counts=True)
    x, y = found[np.argmax(counts)]
    return int(x), int(y)


def _inside(outlines: dict[int, shapely.Geometry], z: int, x: int, y: int, srid: int) -> dict:
    """The parcels lying wholly inside the tile (no clipping to compare), in Web Mercator."""
    box = shapely.box(*tiles.tile_bounds(z, x, y))
    ids = list(outlines)
    mercator = reproject(np.array([outlines[i] for i in ids]), srid, tiles.WEB_MERCATOR)
    return {i: g for i, g in zip(ids, mercator, strict=True) if box.contains(g)}


def _in_tile_units(geometry: shapely.Geometry, z: int, x: int, y: int) -> shapely.Geometry:
    """A Web Mercator geometry in the decoded tile's units (origin south-west, y up)."""
    west, south, east, _ = tiles.tile_bounds(z, x, y)
    scale = tiles.TILE_EXTENT / (east - west)
    return shapely.transform(geometry, lambda xy: (xy - (west, south)) * scale)


@pytest.mark.parametrize("z", [13, 15, 18])
def test_parcels_are_drawn_where_they_lie(parcels, z):
    """Within two tile units of the parcel projected exactly (a tile unit is 1.2 m at zoom 13
    and 4 cm at zoom 18); PostGIS fits an affine map to the projection over each tile."""
    database, outlines = parcels
    srid = database.cadastral_srid
    x, y = _busiest_tile(outlines, z, srid)
    drawn = _drawn(database, z, x, y)
    inside = _inside(outlines, z, x, y, srid)
    compared = [i for i in inside if i in drawn]
    assert len(compared) >= min(len(inside), 5) > 0
    for parcel_id in compared:
        shape = shapely.geometry.shape(drawn[parcel_id]["geometry"])
        expected = _in_tile_units(inside[parcel_id], z, x, y)
        assert shapely.hausdorff_distance(shape, expected) <= 2.0, parcel_id


def test_a_zoomed_out_tile_keeps_the_largest_parcels_and_a_close_one_keeps_them_all(
    parcels, monkeypatch
):
    database, outlines = parcels
    srid = database.cadastral_srid
    z = 14
    x, y = _busiest_tile(outlines, z, srid)
    inside = _inside(outlines, z, x, y, srid)
    monkeypatch.setattr(tiles, "MAX_FEATURES", len(inside) // 3)
    kept = _drawn(database, z, x, y)
    assert 0 < len(kept) <= tiles.MAX_FEATURES
    area = {i: outlines[i].area for i in outlines}
    smallest_kept = min(area[i] for i in kept)
    left_out = [i for i in inside if i not in kept]
    assert left_out and max(area[i] for i in left_out) <= smallest_kept
    assert smallest_kept >= tiles._min_area(tiles.tile_place(z, x, y, srid))
    # From the full-detail zoom every parcel is drawn: those left out are in their own tiles.
    z = tiles.FULL_DETAIL_ZOOM
    for parcel_id in left_out[:5]:
        point = reproject(shapely.point_on_surface(inside[parcel_id]), tiles.WEB_MERCATOR, srid)
        assert parcel_id in _drawn(database, z, *_tile_of(point, z, srid))
