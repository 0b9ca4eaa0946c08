"""The map's layers as OGC API features: current parcels and open findings as GeoJSON.

Built for many small requests: each answer is one query, and the database writes the
features (GeoJSON text on both backends). :class:`MapStatements` builds the statements for
either backend; :class:`SessionMapReads` runs them through a session in a worker thread
(SpatiaLite), :class:`PooledMapReads` compiles them once for each shape of request and runs
them on the look-ups' connections from the event loop (PostGIS). Holders and identity numbers
are never selected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import anyio
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
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

import shapely

from landreg.domain.map_features import FeaturePage, FeatureRequest, MapLayerName
from landreg.store.database import RegisterDatabase
from landreg.store.reads.lookups import Lookups
from landreg.store.repository import _SPATIAL_INDEX
from landreg.store.tables import Base
from spatial.crs import reproject

GEOGRAPHIC_PRECISION = 8  # decimals of degrees (about a millimetre)
PROJECTED_PRECISION = 3  # decimals of metres
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class MapLayer:
    """A table published on the map: which rows, which columns, from which zoom on; the
    features' ids (``feature_id``) and the rows' ids in SpatiaLite's spatial index
    (``row_id``), both the table's ``id`` unless it has none."""

    name: MapLayerName
    table: Table
    properties: tuple[str, ...]
    tile_properties: tuple[str, ...]
    min_zoom: int
    json_properties: frozenset[str] = frozenset()
    condition: Callable[[Table], ColumnElement[bool]] = field(default=lambda table: true())
    feature_id: Callable[[Table], ColumnElement[int]] = field(default=lambda table: table.c.id)
    row_id: Callable[[Table], ColumnElement[int]] = field(default=lambda table: table.c.id)
    # properties of the OGC items computed from the table's columns (tiles send the columns)
    computed: Mapping[str, Callable[[Table], ColumnElement[Any]]] = field(default_factory=dict)


# ``land_use_code`` is the map's, ``legal_land_use_code`` the land register's (shown first)
_PARCEL_PROPERTIES = ("commune_code", "map_sheet", "parcel_number", "legal_area",
                      "measured_area", "land_use_code", "legal_land_use_code",
                      "address")  # fmt: skip
_FINDING_TILE_PROPERTIES = ("rule", "severity", "status", "commune_code", "message_vi",
                            "message_en")  # fmt: skip

PARCELS = MapLayer(
    name=MapLayerName.PARCELS,
    table=Base.metadata.tables["parcel"],
    properties=(
        *(name for name in _PARCEL_PROPERTIES if name != "legal_land_use_code"),
        "map_land_use_code",
        "national_id",
    ),
    tile_properties=_PARCEL_PROPERTIES,
    min_zoom=13,
    # the land use of the parcel's record: the land register's where it has one
    computed={
        "land_use_code": lambda t: func.coalesce(t.c.legal_land_use_code, t.c.land_use_code),
        "map_land_use_code": lambda t: t.c.land_use_code,
    },
)
FINDINGS = MapLayer(
    name=MapLayerName.FINDINGS,
    table=Base.metadata.tables["finding"],
    properties=(*_FINDING_TILE_PROPERTIES, "measured"),
    tile_properties=_FINDING_TILE_PROPERTIES,
    min_zoom=10,
    json_properties=frozenset({"measured"}),
    condition=lambda table: table.c.status == "open",
)
# The communes' and wards' boundaries in force, by their five-digit code (which is the
# features' id); the staff's map only, never on the public tiles or the OGC API.
COMMUNES = MapLayer(
    name=MapLayerName.COMMUNES,
    table=Base.metadata.tables["admin_unit"],
    properties=("code", "name"),
    tile_properties=("code", "name"),
    min_zoom=8,
    # (not ``IN``: the pooled statements are compiled once, without expanding parameters)
    condition=lambda table: (
        ((table.c.level == "commune") | (table.c.level == "ward")) & table.c.valid_to.is_(None)
    ),
    feature_id=lambda table: cast(table.c.code, Integer),
    row_id=lambda table: literal_column(f"{table.name}.rowid", Integer),
)
# Roads, canals and verges drawn between the parcels (land, not a gap): the staff's map only.
STRIPS = MapLayer(
    name=MapLayerName.STRIPS,
    table=Base.metadata.tables["map_strip"],
    properties=("commune_code", "kind", "land_use_text"),
    tile_properties=("commune_code", "kind", "land_use_text"),
    min_zoom=13,
)
MAP_LAYERS = {layer.name: layer for layer in (PARCELS, FINDINGS, COMMUNES, STRIPS)}


class MapStatements:
    """The map's read statements for one backend; nothing here runs or writes."""

    def __init__(self, cadastral_srid: int, postgis: bool) -> None:
        self.srid = cadastral_srid
        self.postgis = postgis

    def page_statement(
        self, layer: MapLayer, out_srid: int, swap_axes: bool, framed: bool
    ) -> Select[Any]:
        """The count and the page's features joined by commas; the frame (WKT), limit and
        offset are the parameters ``frame``, ``page_limit`` and ``page_offset``."""
        table = layer.table
        conditions = self._conditions(layer, bindparam("frame", type_=Text) if framed else None)
        matched = select(func.count()).select_from(table).where(*conditions).scalar_subquery()
        key = layer.feature_id(table).label("id")
        page = (
            select(key, self._feature(layer, out_srid, swap_axes).label("feature"))
            .where(*conditions)
            .order_by(key)
            .limit(bindparam("page_limit", type_=Integer))
            .offset(bindparam("page_offset", type_=Integer))
            .subquery()
        )
        if self.postgis:
            joined = func.string_agg(page.c.feature, aggregate_order_by(literal(","), page.c.id))
        else:  # SQLite keeps the order of the (not flattened, limited) subquery
            joined = func.group_concat(page.c.feature, ",")
        return select(matched, select(joined).scalar_subquery())

    def feature_statement(self, layer: MapLayer, out_srid: int, swap_axes: bool) -> Select[Any]:
        """One feature's GeoJSON text; its id is the parameter ``feature_id``."""
        table = layer.table
        return select(self._feature(layer, out_srid, swap_axes)).where(
            layer.feature_id(table) == bindparam("feature_id", type_=Integer),
            layer.condition(table),
        )

    def extent_statements(self, layer: MapLayer) -> tuple[Select[Any], Select[Any]]:
        """The corners of the communes' boundaries (a small table, so the collection's
        description stays fast), and of the layer's features, for when there are none."""
        units = Base.metadata.tables["admin_unit"]
        return (
            self._bounds(units, units.c.level.in_(("commune", "ward"))),
            self._bounds(layer.table, layer.condition(layer.table)),
        )

    def _bounds(self, table: Table, condition: Any) -> Select[Any]:
        if self.postgis:
            box = func.ST_Extent(table.c.geom)
            corners = (func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box))
        else:
            box = func.Extent(table.c.geom)
            corners = (func.MbrMinX(box), func.MbrMinY(box), func.MbrMaxX(box), func.MbrMaxY(box))
        return select(*corners).where(condition)

    def _conditions(self, layer: MapLayer, frame: Any) -> list[Any]:
        table = layer.table
        conditions: list[Any] = [layer.condition(table)]
        if frame is None:
            return conditions
        shape = func.ST_GeomFromText(frame, self.srid)
        conditions.append(func.ST_Intersects(table.c.geom, shape))
        if not self.postgis:  # SpatiaLite only uses its R*Tree when the query names it
            conditions.append(layer.row_id(table).in_(index_candidates(table, shape)))
        return conditions

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
            value: Any = layer.computed[name](table) if name in layer.computed else table.c[name]
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
            layer.feature_id(table),
            _name("geometry"),
            shape,
            _name("properties"),
            build(*properties),
        )
        return cast(feature, Text) if self.postgis else feature


class SessionMapReads:
    """The map's features through a session in a worker thread (SpatiaLite)."""

    def __init__(self, database: RegisterDatabase) -> None:
        self.database = database

    async def feature_page(self, layer: MapLayerName, request: FeatureRequest) -> FeaturePage:
        """One page of features in id order, and the number matched: one query."""
        return await anyio.to_thread.run_sync(self._feature_page, MAP_LAYERS[layer], request)

    async def feature(
        self, layer: MapLayerName, feature_id: int, request: FeatureRequest
    ) -> str | None:
        """One feature as GeoJSON text; None when the layer has no such feature."""
        return await anyio.to_thread.run_sync(self._feature, MAP_LAYERS[layer], feature_id, request)

    async def extent(self, layer: MapLayerName) -> Bounds | None:
        """Bounds of the layer in WGS 84; the communes' when they are loaded."""
        return await anyio.to_thread.run_sync(self._extent, MAP_LAYERS[layer])

    def _statements(self) -> MapStatements:
        database = self.database
        return MapStatements(database.cadastral_srid, database.backend == "postgis")

    def _feature_page(self, layer: MapLayer, request: FeatureRequest) -> FeaturePage:
        statement = self._statements().page_statement(
            layer, request.out_srid, request.swap_axes, request.frame is not None
        )
        with self.database.sessions() as session:
            count, text = session.execute(statement, page_values(request)).one()
        return page_of(request, count, text)

    def _feature(self, layer: MapLayer, feature_id: int, request: FeatureRequest) -> str | None:
        statement = self._statements().feature_statement(layer, request.out_srid, request.swap_axes)
        with self.database.sessions() as session:
            text: str | None = session.execute(statement, {"feature_id": feature_id}).scalar()
        return text

    def _extent(self, layer: MapLayer) -> Bounds | None:
        with self.database.sessions() as session:
            for statement in self._statements().extent_statements(layer):
                bounds = _corners(session.execute(statement).one())
                if bounds is not None:
                    return geographic(bounds, self.database.cadastral_srid)
        return None


class PooledMapReads:
    """The map's features on the look-ups' connections (PostGIS): the statements of
    :class:`MapStatements`, compiled once for each shape of request, run from the event loop."""

    def __init__(self, lookups: Lookups, database: RegisterDatabase) -> None:
        self.lookups = lookups
        self.database = database

    async def feature_page(self, layer: MapLayerName, request: FeatureRequest) -> FeaturePage:
        """One page of features in id order, and the number matched."""
        sql, defaults = _compiled_page(
            layer, self.database.cadastral_srid, request.out_srid, request.swap_axes,
            request.frame is not None,
        )  # fmt: skip
        found = await self.lookups.first(sql, defaults | page_values(request))
        count, text = found if found is not None else (0, None)
        return page_of(request, count, text)

    async def feature(
        self, layer: MapLayerName, feature_id: int, request: FeatureRequest
    ) -> str | None:
        """One feature as GeoJSON text; None when the layer has no such feature."""
        sql, defaults = _compiled_feature(
            layer, self.database.cadastral_srid, request.out_srid, request.swap_axes
        )
        found = await self.lookups.first(sql, defaults | {"feature_id": feature_id})
        return None if found is None else str(found[0])

    async def extent(self, layer: MapLayerName) -> Bounds | None:
        """Bounds of the layer in WGS 84; the communes' when they are loaded."""
        srid = self.database.cadastral_srid
        for sql, defaults in _compiled_extent(layer, srid):
            found = await self.lookups.first(sql, defaults)
            bounds = None if found is None else _corners(found)
            if bounds is not None:
                return geographic(bounds, srid)
        return None


def page_values(request: FeatureRequest) -> dict[str, Any]:
    """The parameters of :meth:`MapStatements.page_statement` for a request."""
    values: dict[str, Any] = {"page_limit": request.limit, "page_offset": request.offset}
    if request.frame is not None:
        values["frame"] = request.frame.wkt
    return values


def page_of(request: FeatureRequest, count: int, text: str | None) -> FeaturePage:
    """The page a request got, from the count matched and the features' joined texts."""
    returned = max(0, min(request.limit, int(count) - request.offset))
    return FeaturePage(matched=int(count), returned=returned, features=text or "")


def index_candidates(table: Table, shape: Any) -> Select[Any]:
    """Ids of the rows whose boxes meet ``shape``, from SpatiaLite's R*Tree (which SpatiaLite
    only uses when the query names its ``SpatialIndex`` table)."""
    return select(_SPATIAL_INDEX.c.rowid).where(
        _SPATIAL_INDEX.c.f_table_name == table.name,
        _SPATIAL_INDEX.c.f_geometry_column == "geom",
        _SPATIAL_INDEX.c.search_frame == shape,
    )


def geographic(bounds: Bounds, cadastral_srid: int) -> Bounds:
    """Bounds in the cadastral CRS as WGS 84 longitude/latitude bounds (edges densified, so
    that the box holds all of it where the projections bend)."""
    box = shapely.segmentize(shapely.box(*bounds), max(bounds[2] - bounds[0], 1.0) / 8)
    west, south, east, north = reproject(box, cadastral_srid, 4326).bounds
    return west, south, east, north


def _corners(row: Any) -> Bounds | None:
    if row[0] is None:
        return None
    west, south, east, north = (float(value) for value in row)
    return west, south, east, north


@lru_cache(maxsize=64)
def _compiled_page(
    layer: MapLayerName, srid: int, out_srid: int, swap_axes: bool, framed: bool
) -> tuple[str, dict[str, Any]]:
    statement = MapStatements(srid, postgis=True).page_statement(
        MAP_LAYERS[layer], out_srid, swap_axes, framed
    )
    return postgis_sql(statement)


@lru_cache(maxsize=64)
def _compiled_feature(
    layer: MapLayerName, srid: int, out_srid: int, swap_axes: bool
) -> tuple[str, dict[str, Any]]:
    statements = MapStatements(srid, postgis=True)
    return postgis_sql(statements.feature_statement(MAP_LAYERS[layer], out_srid, swap_axes))


@lru_cache(maxsize=8)
def _compiled_extent(layer: MapLayerName, srid: int) -> tuple[tuple[str, dict[str, Any]], ...]:
    statements = MapStatements(srid, postgis=True).extent_statements(MAP_LAYERS[layer])
    return tuple(postgis_sql(statement) for statement in statements)


def postgis_sql(statement: Select[Any]) -> tuple[str, dict[str, Any]]:
    """psycopg's SQL for a statement, and the values of its constant parameters (a list of
    values given to ``IN`` written out as parameters of their own)."""
    compiled = statement.compile(
        dialect=PGDialect_psycopg(), compile_kwargs={"render_postcompile": True}
    )
    return str(compiled), dict(compiled.params)


def _name(text: str) -> Any:
    """A constant key or value of a JSON object (typed, so PostgreSQL knows it is text)."""
    return literal(text)
