"""The map: current parcels and open findings as GeoJSON features and as vector tiles.

Built for many small requests: each answer is one query, and the database writes the
features (GeoJSON text on both backends; Mapbox Vector Tiles with ``ST_AsMVT`` on PostGIS).
SpatiaLite has no MVT encoder, so there the features are clipped and encoded in Python with
``mapbox-vector-tile``. Holders and identity numbers are never selected.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.orm import Session

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.store.lookups import Lookups
from landreg.store.repository import _SPATIAL_INDEX
from landreg.store.tables import Base
from spatial.crs import reproject

WEB_MERCATOR = 3857
WEB_MERCATOR_HALF_WIDTH = 20037508.342789244
TILE_EXTENT = 4096
TILE_BUFFER = 64  # pixels of the neighbouring tiles drawn too, so outlines join at the edges
GEOGRAPHIC_PRECISION = 8  # decimals of degrees (about a millimetre)
PROJECTED_PRECISION = 3  # decimals of metres


@dataclass(frozen=True, slots=True)
class MapLayer:
    """A table published on the map: which rows, which columns, from which zoom on."""

    name: str
    table: Table
    properties: tuple[str, ...]
    tile_properties: tuple[str, ...]
    min_zoom: int
    json_properties: frozenset[str] = frozenset()
    condition: Callable[[Table], ColumnElement[bool]] = field(default=lambda table: true())


_PARCEL_PROPERTIES = ("commune_code", "map_sheet", "parcel_number", "legal_area",
                      "measured_area", "land_use_code", "address")  # fmt: skip
_FINDING_TILE_PROPERTIES = ("rule", "severity", "status", "commune_code", "message_vi",
                            "message_en")  # fmt: skip

PARCELS = MapLayer(
    name="parcels",
    table=Base.metadata.tables["parcel"],
    properties=_PARCEL_PROPERTIES,
    tile_properties=_PARCEL_PROPERTIES,
    min_zoom=13,
)
FINDINGS = MapLayer(
    name="findings",
    table=Base.metadata.tables["finding"],
    properties=(*_FINDING_TILE_PROPERTIES, "measured"),
    tile_properties=_FINDING_TILE_PROPERTIES,
    min_zoom=10,
    json_properties=frozenset({"measured"}),
    condition=lambda table: table.c.status == "open",
)
MAP_LAYERS = {layer.name: layer for layer in (PARCELS, FINDINGS)}


@dataclass(frozen=True, slots=True)
class FeatureRequest:
    """Which features, and in which CRS and axis order their coordinates are written."""

    out_srid: int
    swap_axes: bool = False
    frame: BaseGeometry | None = None  # in the cadastral CRS
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FeaturePage:
    """Features of one page, as GeoJSON Feature texts joined by commas, and how many matched."""

    matched: int
    returned: int
    features: str


class MapQueries:
    """Map reads over one session; nothing here writes."""

    def __init__(self, session: Session, cadastral_srid: int) -> None:
        self.session = session
        self.srid = cadastral_srid
        self.postgis = session.get_bind().dialect.name != "sqlite"

    # --- OGC API Features -----------------------------------------------------------------

    def feature_page(self, layer: MapLayer, request: FeatureRequest) -> FeaturePage:
        """One page of features in id order, and the number matched: one query."""
        statement = self.page_statement(layer, request.out_srid, request.swap_axes,
                                        request.frame is not None)  # fmt: skip
        count, text = self.session.execute(statement, page_values(request)).one()
        return _page(request, count, text)

    def page_statement(
        self, layer: MapLayer, out_srid: int, swap_axes: bool, framed: bool
    ) -> Select[Any]:
        """The count and the page's features joined by commas; the frame (WKT), limit and
        offset are the parameters ``frame``, ``page_limit`` and ``page_offset``."""
        table = layer.table
        conditions = self._conditions(layer, bindparam("frame", type_=Text) if framed else None)
        matched = select(func.count()).select_from(table).where(*conditions).scalar_subquery()
        page = (
            select(table.c.id, self._feature(layer, out_srid, swap_axes).label("feature"))
            .where(*conditions)
            .order_by(table.c.id)
            .limit(bindparam("page_limit", type_=Integer))
            .offset(bindparam("page_offset", type_=Integer))
            .subquery()
        )
        if self.postgis:
            joined = func.string_agg(page.c.feature, aggregate_order_by(literal(","), page.c.id))
        else:  # SQLite keeps the order of the (not flattened, limited) subquery
            joined = func.group_concat(page.c.feature, ",")
        return select(matched, select(joined).scalar_subquery())

    def feature(self, layer: MapLayer, feature_id: int, request: FeatureRequest) -> str | None:
        """One feature as GeoJSON text; None when the layer has no such feature."""
        statement = self.feature_statement(layer, request.out_srid, request.swap_axes)
        text: str | None = self.session.execute(statement, {"feature_id": feature_id}).scalar()
        return text

    def feature_statement(self, layer: MapLayer, out_srid: int, swap_axes: bool) -> Select[Any]:
        """One feature's GeoJSON text; its id is the parameter ``feature_id``."""
        table = layer.table
        return select(self._feature(layer, out_srid, swap_axes)).where(
            table.c.id == bindparam("feature_id", type_=Integer), layer.condition(table)
        )

    def extent(self, layer: MapLayer) -> tuple[float, float, float, float] | None:
        """Bounds of the layer in the cadastral CRS; the communes' when their boundaries are
        loaded (a small table, so the collection's description stays fast), else the layer's."""
        units = Base.metadata.tables["admin_unit"]
        bounds = self._bounds(units, units.c.level.in_(("commune", "ward")))
        return bounds or self._bounds(layer.table, layer.condition(layer.table))

    def _bounds(self, table: Table, condition: Any) -> tuple[float, float, float, float] | None:
        if self.postgis:
            box = func.ST_Extent(table.c.geom)
            corners = (func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box))
        else:
            box = func.Extent(table.c.geom)
            corners = (func.MbrMinX(box), func.MbrMinY(box), func.MbrMaxX(box), func.MbrMaxY(box))
        row = self.session.execute(select(*corners).where(condition)).one()
        if row[0] is None:
            return None
        west, south, east, north = (float(value) for value in row)
        return west, south, east, north

    def _conditions(self, layer: MapLayer, frame: Any) -> list[Any]:
        table = layer.table
        conditions: list[Any] = [layer.condition(table)]
        if frame is None:
            return conditions
        shape = func.ST_GeomFromText(frame, self.srid)
        conditions.append(func.ST_Intersects(table.c.geom, shape))
        if not self.postgis:  # SpatiaLite only uses its R*Tree when the query names it
            conditions.append(table.c.id.in_(self._index_candidates(table, shape)))
        return conditions

    def _index_candidates(self, table: Table, shape: Any) -> Select[Any]:
        return select(_SPATIAL_INDEX.c.rowid).where(
            _SPATIAL_INDEX.c.f_table_name == table.name,
            _SPATIAL_INDEX.c.f_geometry_column == "geom",
            _SPATIAL_INDEX.c.search_frame == shape,
        )

    def _feature(self, layer: MapLayer, out_srid: int, swap_axes: bool) -> Any:
        """The GeoJSON Feature text of a row, written by the database."""
        table = layer.table
        geometry: Any = table.c.geom
        if out_srid != self.srid:
            geometry = func.ST_Transform(geometry, out_srid)
        if swap_axes:
            geometry = (
                func.ST_FlipCoordinates(geometry)
                if self.postgis
                else func.SwapCoordinates(geometry)
            )
        precision = PROJECTED_PRECISION if out_srid != 4326 else GEOGRAPHIC_PRECISION
        properties: list[Any] = []
        for name in layer.properties:
            value: Any = table.c[name]
            if name in layer.json_properties and not self.postgis:
                value = func.json(value)  # SQLite keeps JSON as text
            properties += [_name(name), value]
        if self.postgis:
            shape: Any = cast(func.ST_AsGeoJSON(geometry, precision), JSON)
            build = func.json_build_object
        else:
            shape = func.json(func.AsGeoJSON(geometry, precision))
            build = func.json_object
        feature = build(
            _name("type"),
            _name("Feature"),
            _name("id"),
            table.c.id,
            _name("geometry"),
            shape,
            _name("properties"),
            build(*properties),
        )
        return cast(feature, Text) if self.postgis else feature

    # --- vector tiles -----------------------------------------------------------------------

    def tile(self, layer: MapLayer, z: int, x: int, y: int) -> bytes:
        """The Mapbox Vector Tile of one XYZ tile in Web Mercator; empty bytes when nothing is
        in it, or when the zoom is below the layer's ``min_zoom`` (too many features to draw)."""
        if z < layer.min_zoom:
            return b""
        frame = self._tile_frame(z, x, y)
        if self.postgis:
            return self._postgis_tile(layer, z, x, y, frame)
        return self._spatialite_tile(layer, z, x, y, frame)

    def _tile_frame(self, z: int, x: int, y: int) -> BaseGeometry:
        """The tile with its buffer, in the cadastral CRS (edges densified, so no sliver of the
        tile is missed where the projections bend)."""
        west, south, east, north = tile_bounds(z, x, y)
        margin = (east - west) * TILE_BUFFER / TILE_EXTENT
        box = shapely.box(west - margin, south - margin, east + margin, north + margin)
        box = shapely.segmentize(box, (east - west) / 8)
        return shapely.envelope(reproject(box, WEB_MERCATOR, self.srid))

    def _postgis_tile(self, layer: MapLayer, z: int, x: int, y: int, frame: BaseGeometry) -> bytes:
        table = layer.table
        shape = func.ST_GeomFromText(frame.wkt, self.srid)
        geometry = func.ST_AsMVTGeom(
            func.ST_Transform(table.c.geom, WEB_MERCATOR),
            func.ST_TileEnvelope(z, x, y),
            TILE_EXTENT,
            TILE_BUFFER,
            True,
        ).label("geom")
        rows = (
            select(table.c.id, geometry, *(table.c[name] for name in layer.tile_properties))
            .where(table.c.geom.op("&&")(shape), layer.condition(table))
            .subquery("tile_features")
        )
        statement = select(
            func.ST_AsMVT(rows.table_valued(), layer.name, TILE_EXTENT, "geom", "id")
        ).where(rows.c.geom.is_not(None))
        data = self.session.execute(statement).scalar()
        return bytes(data) if data else b""

    def _spatialite_tile(
        self, layer: MapLayer, z: int, x: int, y: int, frame: BaseGeometry
    ) -> bytes:
        import mapbox_vector_tile  # only the embedded backend needs it

        table = layer.table
        shape = func.ST_GeomFromText(frame.wkt, self.srid)
        names = layer.tile_properties
        statement = select(
            table.c.id, *(table.c[name] for name in names), func.AsBinary(table.c.geom)
        ).where(
            layer.condition(table),
            table.c.geom.is_not(None),
            table.c.id.in_(self._index_candidates(table, shape)),
        )
        rows = self.session.execute(statement).all()
        if not rows:
            return b""
        blobs = np.array([bytes(row[-1]) for row in rows], dtype=object)
        geometries = reproject(shapely.from_wkb(blobs), self.srid, WEB_MERCATOR)
        west, south, east, _ = tile_bounds(z, x, y)
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
            [{"name": layer.name, "features": features}],
            default_options={"extents": TILE_EXTENT},
        )
        return data


def page_values(request: FeatureRequest) -> dict[str, Any]:
    """The parameters of :meth:`MapQueries.page_statement` for a request."""
    values: dict[str, Any] = {"page_limit": request.limit, "page_offset": request.offset}
    if request.frame is not None:
        values["frame"] = request.frame.wkt
    return values


def _page(request: FeatureRequest, count: int, text: str | None) -> FeaturePage:
    returned = max(0, min(request.limit, int(count) - request.offset))
    return FeaturePage(matched=int(count), returned=returned, features=text or "")


class LookedUpMap:
    """The OGC API features of a served PostGIS register, on the look-ups' pool (see
    :mod:`landreg.store.lookups`): the same statements as :class:`MapQueries`, compiled once
    for each shape of request and run from the event loop."""

    def __init__(self, lookups: Lookups, cadastral_srid: int) -> None:
        self.lookups = lookups
        self.srid = cadastral_srid

    async def feature_page(self, layer: MapLayer, request: FeatureRequest) -> FeaturePage:
        """One page of features in id order, and the number matched."""
        sql, defaults = _compiled_page(
            layer.name, self.srid, request.out_srid, request.swap_axes, request.frame is not None
        )
        found = await self.lookups.first(sql, defaults | page_values(request))
        count, text = found if found is not None else (0, None)
        return _page(request, count, text)

    async def feature(
        self, layer: MapLayer, feature_id: int, request: FeatureRequest
    ) -> str | None:
        """One feature as GeoJSON text; None when the layer has no such feature."""
        sql, defaults = _compiled_feature(
            layer.name, self.srid, request.out_srid, request.swap_axes
        )
        found = await self.lookups.first(sql, defaults | {"feature_id": feature_id})
        return None if found is None else str(found[0])


class _PostgisStatements(MapQueries):
    """:class:`MapQueries`' statement builders for PostGIS, without a session."""

    def __init__(self, cadastral_srid: int) -> None:
        self.srid = cadastral_srid
        self.postgis = True


@lru_cache(maxsize=64)
def _compiled_page(
    layer: str, srid: int, out_srid: int, swap_axes: bool, framed: bool
) -> tuple[str, dict[str, Any]]:
    statement = _PostgisStatements(srid).page_statement(
        MAP_LAYERS[layer], out_srid, swap_axes, framed
    )
    return _sql(statement)


@lru_cache(maxsize=64)
def _compiled_feature(
    layer: str, srid: int, out_srid: int, swap_axes: bool
) -> tuple[str, dict[str, Any]]:
    return _sql(_PostgisStatements(srid).feature_statement(MAP_LAYERS[layer], out_srid, swap_axes))


def _sql(statement: Select[Any]) -> tuple[str, dict[str, Any]]:
    """psycopg's SQL for a statement, and the values of its constant parameters."""
    compiled = statement.compile(dialect=PGDialect_psycopg())
    return str(compiled), dict(compiled.params)


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


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east, north of an XYZ tile in Web Mercator metres (y counted from the north)."""
    size = 2 * WEB_MERCATOR_HALF_WIDTH / (2**z)
    west = -WEB_MERCATOR_HALF_WIDTH + x * size
    north = WEB_MERCATOR_HALF_WIDTH - y * size
    return west, north - size, west + size, north


def tile_count(z: int) -> int:
    """Tiles along each axis at zoom ``z``."""
    return int(math.ldexp(1, z))


def _name(text: str) -> Any:
    """A constant key or value of a JSON object (typed, so PostgreSQL knows it is text)."""
    return literal(text)
