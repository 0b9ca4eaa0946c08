"""The map's layers as Mapbox Vector Tiles, XYZ in Web Mercator.

PostGIS draws a tile in one statement (``ST_AsMVT``): :class:`PooledTileReads` runs it on the
look-ups' connections from the event loop, :class:`SessionTileReads` through a session. SpatiaLite
has no MVT encoder, so there :class:`SessionTileReads` clips the features and encodes them in
Python with ``mapbox-vector-tile``, in a worker thread. Holders and identity numbers are never
selected.

Built to stay quick on a whole province (a million parcels; up to 66,000 of them under one
tile at zoom 13):

* Where a tile is small enough for the projection from the cadastral CRS to Web Mercator to be
  an affine map to within :data:`AFFINE_TOLERANCE` of a tile unit (zoom 13 and deeper in
  Vietnam), the statement applies that map (``ST_Affine``, fitted here for the tile) instead of
  reprojecting every vertex (``ST_Transform``, ten times the work).
* Outlines are simplified to half a tile unit before they are drawn (long boundaries at low
  zooms lose the vertices closer together than that; parcels nothing anyone can see).
* Below :data:`FULL_DETAIL_ZOOM`, a layer of areas (parcels, communes) leaves out the areas
  smaller than one screen pixel and draws at most :data:`MAX_FEATURES` of them, the largest
  first: the others appear at the next zooms, and from :data:`FULL_DETAIL_ZOOM` on every
  feature is drawn. Layers of points, lines or mixed shapes (findings) are always drawn whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio
import numpy as np
from sqlalchemy import Float, Integer, Select, Table, Text, bindparam, func, select
from sqlalchemy.orm import Session

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.domain.map_features import MapLayerName
from landreg.store.database import RegisterDatabase
from landreg.store.reads.lookups import Lookups
from landreg.store.reads.map import MAP_LAYERS, MapLayer, index_candidates, postgis_sql
from spatial.crs import reproject, transformer

WEB_MERCATOR = 3857
WEB_MERCATOR_HALF_WIDTH = 20037508.342789244
TILE_EXTENT = 4096
TILE_BUFFER = 64  # units of the neighbouring tiles drawn too, so outlines join at the edges
TILE_PIXELS = 512  # a vector tile is drawn over 512 screen pixels (MapLibre, QGIS)
FULL_DETAIL_ZOOM = 16  # from this zoom on, every feature of every layer is in its tile
MAX_FEATURES = 2500  # areas drawn at most in one tile below FULL_DETAIL_ZOOM, largest first
MIN_PIXELS = 1.0  # below FULL_DETAIL_ZOOM, areas smaller than this many pixels are left out
AFFINE_TOLERANCE = 0.25  # tile units an affine stand-in for the projection may be off by
_FIT_STEPS = 9  # points along each side of the grid the affine map is fitted on
_AFFINE = ("affine_a", "affine_b", "affine_d", "affine_e", "affine_x", "affine_y")
_AREAL = frozenset({"POLYGON", "MULTIPOLYGON"})

Affine = tuple[float, float, float, float, float, float]


@dataclass(frozen=True, slots=True)
class TilePlace:
    """Where a tile lies in the cadastral CRS, and how its features are drawn into it.

    ``frame`` is the tile with its buffer (a box in the cadastral CRS holding all of it),
    ``unit`` one tile unit in cadastral metres, ``affine`` the coefficients (a, b, d, e, x, y
    as ``ST_Affine`` takes them) of the affine map from the cadastral CRS to Web Mercator over
    the tile, or None where the projection bends too much for one.
    """

    z: int
    x: int
    y: int
    frame: BaseGeometry
    unit: float
    affine: Affine | None


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
        with self.database.sessions() as session:
            if self.database.backend == "postgis":
                sql, values = tile_sql(layer.name, z, x, y, srid)
                found = session.connection().exec_driver_sql(sql, values).scalar()
                return bytes(found) if found else b""
            return _spatialite_tile(session, layer, tile_place(z, x, y, srid), srid)


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
        found = await self.lookups.first(*tile_sql(layer, z, x, y, self.database.cadastral_srid))
        return bytes(found[0]) if found is not None and found[0] else b""


def tile_sql(
    layer: MapLayerName, z: int, x: int, y: int, cadastral_srid: int
) -> tuple[str, dict[str, Any]]:
    """The statement drawing one tile of a layer on PostGIS (psycopg's SQL) and its values."""
    place = tile_place(z, x, y, cadastral_srid)
    shown = MAP_LAYERS[layer]
    generalised = _generalised(shown, z)
    sql, defaults = _compiled_tile(layer, cadastral_srid, place.affine is not None, generalised)
    values = defaults | {
        "tile_z": z,
        "tile_x": x,
        "tile_y": y,
        "frame": place.frame.wkt,
        "tolerance": place.unit / 2,
    }
    if place.affine is not None:
        values |= dict(zip(_AFFINE, place.affine, strict=True))
    if generalised:
        values |= {"min_area": _min_area(place), "max_features": MAX_FEATURES}
    return sql, values


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east, north of an XYZ tile in Web Mercator metres (y counted from the north)."""
    size = 2 * WEB_MERCATOR_HALF_WIDTH / (2**z)
    west = -WEB_MERCATOR_HALF_WIDTH + x * size
    north = WEB_MERCATOR_HALF_WIDTH - y * size
    return west, north - size, west + size, north


def tile_frame(z: int, x: int, y: int, cadastral_srid: int) -> BaseGeometry:
    """The tile with its buffer, in the cadastral CRS (a box holding all of it where the
    projections bend)."""
    return tile_place(z, x, y, cadastral_srid).frame


@lru_cache(maxsize=4096)
def tile_place(z: int, x: int, y: int, cadastral_srid: int) -> TilePlace:
    """The tile's frame, unit and affine map, from a grid of points over the tile and its
    buffer projected into the cadastral CRS."""
    west, south, east, north = tile_bounds(z, x, y)
    margin = (east - west) * TILE_BUFFER / TILE_EXTENT
    steps = np.linspace(0.0, 1.0, _FIT_STEPS)
    mercator_x, mercator_y = np.meshgrid(
        west - margin + steps * (east - west + 2 * margin),
        south - margin + steps * (north - south + 2 * margin),
    )
    mercator = np.column_stack([mercator_x.ravel(), mercator_y.ravel()])
    cadastral = np.column_stack(
        transformer(WEB_MERCATOR, cadastral_srid).transform(mercator[:, 0], mercator[:, 1])
    )
    low, high = cadastral.min(axis=0), cadastral.max(axis=0)
    frame = shapely.box(low[0], low[1], high[0], high[1])
    unit = float(high[0] - low[0]) / (TILE_EXTENT + 2 * TILE_BUFFER)
    mercator_unit = (east - west) / TILE_EXTENT
    return TilePlace(z, x, y, frame, unit, _affine_fit(cadastral, mercator, mercator_unit))


def _affine_fit(cadastral: np.ndarray, mercator: np.ndarray, mercator_unit: float) -> Affine | None:
    """Least-squares affine map from the cadastral points to their Web Mercator images, or None
    when it misses one by more than :data:`AFFINE_TOLERANCE` tile units."""
    centre = cadastral.mean(axis=0)
    design = np.column_stack([cadastral - centre, np.ones(len(cadastral))])
    coefficients, *_ = np.linalg.lstsq(design, mercator, rcond=None)
    missed = np.hypot(*(design @ coefficients - mercator).T).max()
    if missed > AFFINE_TOLERANCE * mercator_unit:
        return None
    (a, d), (b, e), (x0, y0) = coefficients
    x_off = x0 - a * centre[0] - b * centre[1]
    y_off = y0 - d * centre[0] - e * centre[1]
    return float(a), float(b), float(d), float(e), float(x_off), float(y_off)


def _generalised(layer: MapLayer, z: int) -> bool:
    """Whether the tile leaves out small areas and caps its features: areal layers below
    :data:`FULL_DETAIL_ZOOM`."""
    kind = str(getattr(layer.table.c.geom.type, "geometry_type", "")).upper()
    return z < FULL_DETAIL_ZOOM and kind in _AREAL


def _min_area(place: TilePlace) -> float:
    """Square metres (cadastral) of :data:`MIN_PIXELS` screen pixels at the tile's zoom."""
    pixel = place.unit * TILE_EXTENT / TILE_PIXELS
    return MIN_PIXELS * pixel * pixel


def _postgis_statement(layer: MapLayer, srid: int, affine: bool, generalised: bool) -> Select[Any]:
    """``ST_AsMVT`` of the layer's rows whose boxes meet the frame; the parameters are the
    tile's numbers ``tile_z``, ``tile_x``, ``tile_y``, the ``frame`` (WKT, cadastral CRS), the
    simplification ``tolerance`` (metres), the affine map's coefficients (when ``affine``) and
    ``min_area`` and ``max_features`` (when ``generalised``)."""
    table = layer.table
    frame = func.ST_GeomFromText(_parameter("frame", Text), srid)
    chosen = select(
        layer.feature_id(table).label("id"),
        table.c.geom,
        *(table.c[name] for name in layer.tile_properties),
    ).where(table.c.geom.op("&&")(frame), layer.condition(table))
    if generalised:  # the largest areas first; the LIMIT keeps the drawing below it
        area = _area(table)
        chosen = (
            chosen.where(area >= _parameter("min_area", Float))
            .order_by(area.desc(), layer.feature_id(table))
            .limit(_parameter("max_features", Integer))
        )
    rows = chosen.subquery("chosen")
    outline = func.ST_Simplify(rows.c.geom, _parameter("tolerance", Float), True)
    if affine:
        projected = func.ST_Affine(outline, *(_parameter(name, Float) for name in _AFFINE))
    else:
        projected = func.ST_Transform(outline, WEB_MERCATOR)
    envelope = func.ST_TileEnvelope(
        _parameter("tile_z", Integer),
        _parameter("tile_x", Integer),
        _parameter("tile_y", Integer),
    )
    drawn = select(
        rows.c.id,
        func.ST_AsMVTGeom(projected, envelope, TILE_EXTENT, TILE_BUFFER, True).label("geom"),
        *(rows.c[name] for name in layer.tile_properties),
    ).subquery("tile_features")
    # ST_AsMVT leaves out the rows whose geometry is NULL (drawn to nothing in this tile).
    return select(func.ST_AsMVT(drawn.table_valued(), layer.name.value, TILE_EXTENT, "geom", "id"))


def _area(table: Table) -> Any:
    """A feature's area in square metres: the parcels' measured area, which the register keeps
    beside each outline (reading it is cheaper than measuring every outline under a tile),
    or the outline's."""
    if "measured_area" in table.c:
        return table.c.measured_area
    return func.ST_Area(table.c.geom)


def _parameter(name: str, kind: Any) -> Any:
    """A value given when the statement runs (not required when it is compiled, which a
    layer's ``IN`` condition makes SQLAlchemy check)."""
    return bindparam(name, type_=kind, required=False)


@lru_cache(maxsize=32)
def _compiled_tile(
    layer: MapLayerName, srid: int, affine: bool, generalised: bool
) -> tuple[str, dict[str, Any]]:
    return postgis_sql(_postgis_statement(MAP_LAYERS[layer], srid, affine, generalised))


def _spatialite_tile(session: Session, layer: MapLayer, place: TilePlace, srid: int) -> bytes:
    import mapbox_vector_tile  # only the embedded backend needs it

    table = layer.table
    shape = func.ST_GeomFromText(place.frame.wkt, srid)
    names = layer.tile_properties
    statement = select(
        layer.feature_id(table),
        *(table.c[name] for name in names),
        _area(table).label("tile_area"),
        func.AsBinary(table.c.geom),
    ).where(
        layer.condition(table),
        table.c.geom.is_not(None),
        layer.row_id(table).in_(index_candidates(table, shape)),
    )
    rows = session.execute(statement).all()
    blobs = np.array([bytes(row[-1]) for row in rows], dtype=object)
    cadastral = shapely.from_wkb(blobs)
    if _generalised(layer, place.z) and len(rows):
        rows, cadastral = _largest(rows, cadastral, place)
    if not rows:
        return b""
    geometries = reproject(cadastral, srid, WEB_MERCATOR)
    west, south, east, _ = tile_bounds(place.z, place.x, place.y)
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


def _largest(
    rows: Sequence[Any], geometries: np.ndarray, place: TilePlace
) -> tuple[list[Any], np.ndarray]:
    """The rows PostGIS keeps in a generalised tile: areas of at least a pixel, the
    :data:`MAX_FEATURES` largest, ties by id."""
    areas = np.array([row[-2] for row in rows], dtype=float)
    ids = np.array([row[0] for row in rows])
    order = np.lexsort((ids, -areas))
    order = order[areas[order] >= _min_area(place)][:MAX_FEATURES]
    return [rows[i] for i in order], geometries[order]


def _tile_features(rows: Sequence[Any], geometries: Any, names: tuple[str, ...]) -> list[Any]:
    """Features for the MVT encoder: id, clipped geometry and the non-null properties."""
    features = []
    for row, geometry in zip(rows, geometries, strict=True):
        if geometry.is_empty:
            continue
        values = zip(names, row[1:-2], strict=True)
        properties = {name: value for name, value in values if value is not None}
        features.append({"id": row[0], "geometry": geometry, "properties": properties})
    return features
