"""Parcels as JSON written by PostGIS itself: the read path of the busiest look-ups.

One statement with bound parameters, the GeoJSON and the answer's fields built by the
database (as tipg does), no ORM object, no shapely or pyproj per request; it runs on the
event loop through :mod:`landreg.store.lookups`. The fields are those of the API's
``ParcelOut``; the geometry is reprojected by PostGIS, which migration 0003 makes use
landreg's VN-2000 parameters.
"""

from __future__ import annotations

from landreg.store.lookups import Lookups

_OBJECT = """
json_build_object(
    'id', p.id,
    'key', CASE WHEN p.map_sheet IS NOT NULL AND p.parcel_number IS NOT NULL
                THEN p.commune_code || '-' || p.map_sheet || '-' || p.parcel_number
                ELSE 'P:' || p.commune_code || ':' || coalesce(p.source_key, p.id::text) END,
    'commune_code', p.commune_code,
    'map_sheet', p.map_sheet,
    'parcel_number', p.parcel_number,
    'old_map_sheet', p.old_map_sheet,
    'old_parcel_number', p.old_parcel_number,
    'legal_area', p.legal_area,
    'measured_area', CASE WHEN p.geom IS NULL THEN NULL ELSE ST_Area(p.geom) END,
    'land_use_code', p.land_use_code,
    'address', p.address,
    'version', p.version,
    'valid_from', to_char(p.valid_from, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'valid_to', NULL,
    'crs', 'EPSG:' || CAST(%(out_srid)s AS integer),
    'geometry', ST_AsGeoJSON(ST_Transform(p.geom, CAST(%(out_srid)s AS integer)), 9)::json
)"""

_BY_ID = f"SELECT {_OBJECT}::text FROM parcel AS p WHERE p.id = %(parcel_id)s"
_AT_POINT = (
    f"SELECT coalesce(json_agg({_OBJECT} ORDER BY p.id), '[]'::json)::text FROM parcel AS p "
    "WHERE ST_Intersects(p.geom,"
    "                    ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), CAST(%(srid)s AS integer)))"
)


_BOX = "ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, CAST(%(srid)s AS integer))"
_IN_BOX = (
    f"SELECT coalesce(json_agg(o ORDER BY i), '[]'::json)::text FROM ("
    f"  SELECT p.id AS i, {_OBJECT} AS o FROM parcel AS p"
    f"   WHERE p.geom && {_BOX} AND ST_Intersects(p.geom, {_BOX})"
    "   ORDER BY p.id LIMIT %(limit)s OFFSET %(offset)s) AS page"
)


async def parcels_in_box(
    lookups: Lookups,
    bounds: tuple[float, float, float, float],
    srid: int,
    out_srid: int,
    limit: int,
    offset: int,
) -> str:
    """A JSON array of a page of the parcels intersecting the box (cadastral CRS), by id."""
    west, south, east, north = bounds
    found = await lookups.first(
        _IN_BOX,
        {"west": west, "south": south, "east": east, "north": north, "srid": srid,
         "out_srid": out_srid, "limit": limit, "offset": offset},
    )  # fmt: skip
    return str(found[0]) if found else "[]"


async def parcel_by_id(lookups: Lookups, parcel_id: int, out_srid: int) -> str | None:
    """The parcel's JSON, or None when there is no such parcel."""
    found = await lookups.first(_BY_ID, {"parcel_id": parcel_id, "out_srid": out_srid})
    return None if found is None else str(found[0])


async def parcels_at(lookups: Lookups, x: float, y: float, srid: int, out_srid: int) -> str:
    """A JSON array of the parcels containing the point (x, y), given in the cadastral CRS
    ``srid`` (the spatial index answers)."""
    found = await lookups.first(_AT_POINT, {"x": x, "y": y, "srid": srid, "out_srid": out_srid})
    return str(found[0]) if found else "[]"
