"""The map's layers as Mapbox Vector Tiles, XYZ in Web Mercator.

PostGIS draws a tile in one statement (``ST_AsMVT``): :class:`PooledTileReads` runs it on the
look-ups' connections from the event loop, :class:`SessionTileReads` through a session. SpatiaLite
has no MVT encoder, so there :class:`SessionTileReads` clips the features and encodes them in
Python with ``mapbox-vector-tile``, in a worker thread. Holders and identity numbers are never
selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import anyio
import numpy as np
from sqlalchemy import Integer, Select, Text, bindparam, func, select
from sqlalchemy.orm import Session

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.domain.map_features import MapLayerName
from landreg.store.database import RegisterDatabase
from landreg.store.reads.lookups import Lookups
from landreg.store.reads.map import MAP_LAYERS, MapLayer, index_candidates, postgis_sql
from spatial.crs import reproject

WEB_MERCATOR = 3857
WEB_MERCATOR_HALF_WIDTH = 20037508.342789244
TILE_EXTENT = 4096
TILE_BUFFER = 64  # pixels of the neighbouring tiles drawn too, so outlines join at the edges


class SessionTileReads:
    """Tiles through a session in a worker thread: PostGIS draws them, or (SpatiaLite) they
    are encoded in Python."""

    def __init__(self, database: RegisterDatabase) -> None:
        self.database = database

    async def tile(self, layer: MapLayerName, z: int, x: int, y: int) -> bytes:
        """The tile; empty bytes when nothing is in it, or when the zoom is below the layer's
        ``min_zoom`` (too many features to draw)."""
        shown = MAP_LAYERS[layer]
        if z < shown.min_zoom:
            return b""
        return await anyio.to_thread.run_sync(self._tile, shown, z, x, y)

    def _tile(self, layer: MapLayer, z: int, x: int, y: int) -> bytes:
        srid = self.database.cadastral_srid
        frame = tile_frame(z, x, y, srid)
        with self.database.sessions() as session:
            if self.database.backend == "postgis":
                data = session.execute(
                    _postgis_statement(layer, srid), _tile_values(z, x, y, frame)
                ).scalar()
                return bytes(data) if data else b""
            return _spatialite_tile(session, layer, (z, x, y), frame, srid)


class PooledTileReads:
    """Tiles drawn by PostGIS in one statement on the look-ups' connections."""

    def __init__(self, lookups: Lookups, database: RegisterDatabase) -> None:
        self.lookups = lookups
        self.database = database

    async def tile(self, layer: MapLayerName, z: int, x: int, y: int) -> bytes:
        """The tile; empty bytes when nothing is in it, or when the zoom is below the layer's
        ``min_zoom`` (too many features to draw)."""
        if z < MAP_LAYERS[layer].min_zoom:
            return b""
        srid = self.database.cadastral_srid
        sql, defaults = _compiled_tile(layer, srid)
        frame = tile_frame(z, x, y, srid)
        found = await self.lookups.first(sql, defaults | _tile_values(z, x, y, frame))
        return bytes(found[0]) if found is not None and found[0] else b""


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east, north of an XYZ tile in Web Mercator metres (y counted from the north)."""
    size = 2 * WEB_MERCATOR_HALF_WIDTH / (2**z)
    west = -WEB_MERCATOR_HALF_WIDTH + x * size
    north = WEB_MERCATOR_HALF_WIDTH - y * size
    return west, north - size, west + size, north


def tile_frame(z: int, x: int, y: int, cadastral_srid: int) -> BaseGeometry:
    """The tile with its buffer, in the cadastral CRS (edges densified, so no sliver of the
    tile is missed where the projections bend)."""
    west, south, east, north = tile_bounds(z, x, y)
    margin = (east - west) * TILE_BUFFER / TILE_EXTENT
    box = shapely.box(west - margin, south - margin, east + margin, north + margin)
    box = shapely.segmentize(box, (east - west) / 8)
    return shapely.envelope(reproject(box, WEB_MERCATOR, cadastral_srid))


def _tile_values(z: int, x: int, y: int, frame: BaseGeometry) -> dict[str, Any]:
    return {"tile_z": z, "tile_x": x, "tile_y": y, "frame": frame.wkt}


def _postgis_statement(layer: MapLayer, srid: int) -> Select[Any]:
    """``ST_AsMVT`` of the layer's rows whose boxes meet the frame; the tile's numbers and
    the frame (WKT, cadastral CRS) are the parameters ``tile_z``, ``tile_x``, ``tile_y``,
    ``frame``."""
    table = layer.table
    shape = func.ST_GeomFromText(bindparam("frame", type_=Text), srid)
    envelope = func.ST_TileEnvelope(
        bindparam("tile_z", type_=Integer),
        bindparam("tile_x", type_=Integer),
        bindparam("tile_y", type_=Integer),
    )
    geometry = func.ST_AsMVTGeom(
        func.ST_Transform(table.c.geom, WEB_MERCATOR), envelope, TILE_EXTENT, TILE_BUFFER, True
    ).label("geom")
    rows = (
        select(table.c.id, geometry, *(table.c[name] for name in layer.tile_properties))
        .where(table.c.geom.op("&&")(shape), layer.condition(table))
        .subquery("tile_features")
    )
    return select(
        func.ST_AsMVT(rows.table_valued(), layer.name.value, TILE_EXTENT, "geom", "id")
    ).where(rows.c.geom.is_not(None))


@lru_cache(maxsize=8)
def _compiled_tile(layer: MapLayerName, srid: int) -> tuple[str, dict[str, Any]]:
    return postgis_sql(_postgis_statement(MAP_LAYERS[layer], srid))


def _spatialite_tile(
    session: Session, layer: MapLayer, tile: tuple[int, int, int], frame: BaseGeometry, srid: int
) -> bytes:
    import mapbox_vector_tile  # only the embedded backend needs it

    table = layer.table
    shape = func.ST_GeomFromText(frame.wkt, srid)
    names = layer.tile_properties
    statement = select(
        table.c.id, *(table.c[name] for name in names), func.AsBinary(table.c.geom)
    ).where(
        layer.condition(table),
        table.c.geom.is_not(None),
        table.c.id.in_(index_candidates(table, shape)),
    )
    rows = session.execute(statement).all()
    if not rows:
        return b""
    blobs = np.array([bytes(row[-1]) for row in rows], dtype=object)
    geometries = reproject(shapely.from_wkb(blobs), srid, WEB_MERCATOR)
    west, south, east, _ = tile_bounds(*tile)
    margin = (east - west) * TILE_BUFFER / TILE_EXTENT
    clipped = shapely.clip_by_rect(
        geometries, west - margin, south - margin, east + margin, south + (east - west) + margin
    )
    # To tile units (y up; the encoder turns it down), for all features in one pass.
    scale = TILE_EXTENT / (east - west)
    local = shapely.transform(clipped, lambda xy: (xy - (west, south)) * scale)
    features = _tile_features(rows, local, names)
    if not features:
        return b""
    data: bytes = mapbox_vector_tile.encode(
        [{"name": layer.name.value, "features": features}],
        default_options={"extents": TILE_EXTENT},
    )
    return data


def _tile_features(rows: Sequence[Any], geometries: Any, names: tuple[str, ...]) -> list[Any]:
    """Features for the MVT encoder: id, clipped geometry and the non-null properties."""
    features = []
    for row, geometry in zip(rows, geometries, strict=True):
        if geometry.is_empty:
            continue
        values = zip(names, row[1:-1], strict=True)
        properties = {name: value for name, value in values if value is not None}
        features.append({"id": row[0], "geometry": geometry, "properties": properties})
    return features
