"""Parcels as JSON written by PostGIS itself: the read path of the busiest look-ups.

One statement with bound parameters, the GeoJSON and the answer's fields built by the
database (as tipg does), no ORM object, no shapely or pyproj per request. The fields are
those of the API's ``ParcelOut``; the geometry is reprojected by PostGIS, which migration
0003 makes use landreg's VN-2000 parameters.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

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
    'crs', 'EPSG:' || CAST(:out_srid AS integer),
    'geometry', ST_AsGeoJSON(ST_Transform(p.geom, CAST(:out_srid AS integer)), 9)::json
)"""

_BY_ID = text(f"SELECT {_OBJECT}::text FROM parcel AS p WHERE p.id = :parcel_id")
_AT_POINT = text(
    f"SELECT coalesce(json_agg({_OBJECT} ORDER BY p.id), '[]'::json)::text FROM parcel AS p "
    "WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:x, :y), CAST(:srid AS integer)))"
)


_IN_BOX = text(
    f"SELECT coalesce(json_agg(o ORDER BY i), '[]'::json)::text FROM ("
    f"  SELECT p.id AS i, {_OBJECT} AS o FROM parcel AS p"
    "   WHERE p.geom && ST_MakeEnvelope(:west, :south, :east, :north, CAST(:srid AS integer))"
    "     AND ST_Intersects(p.geom,"
    "                       ST_MakeEnvelope(:west, :south, :east, :north, CAST(:srid AS integer)))"
    "   ORDER BY p.id LIMIT :limit OFFSET :offset) AS page"
)


def parcels_in_box(
    connection: Connection,
    bounds: tuple[float, float, float, float],
    srid: int,
    out_srid: int,
    limit: int,
    offset: int,
) -> str:
    """A JSON array of a page of the parcels intersecting the box (cadastral CRS), by id."""
    west, south, east, north = bounds
    found = connection.execute(
        _IN_BOX,
        {"west": west, "south": south, "east": east, "north": north, "srid": srid,
         "out_srid": out_srid, "limit": limit, "offset": offset},
    ).scalar_one()  # fmt: skip
    return str(found)


def parcel_by_id(connection: Connection, parcel_id: int, out_srid: int) -> str | None:
    """The parcel's JSON, or None when there is no such parcel."""
    found = connection.execute(_BY_ID, {"parcel_id": parcel_id, "out_srid": out_srid})
    return found.scalar_one_or_none()


def parcels_at(connection: Connection, x: float, y: float, srid: int, out_srid: int) -> str:
    """A JSON array of the parcels containing the point (x, y), given in the cadastral CRS
    ``srid`` (the spatial index answers)."""
    found = connection.execute(
        _AT_POINT, {"x": x, "y": y, "srid": srid, "out_srid": out_srid}
    ).scalar_one()
    return str(found)
