"""Register the coordinate reference systems landreg needs in the database's ``spatial_ref_sys``.

PostGIS 3.3 and SpatiaLite 5 do not know VN-2000 / TM-3 105-30 and 105-45 (EPSG:9209, 9210);
SpatiaLite created in WGS84 mode knows none of the VN-2000 systems. Without them the
database cannot store or transform cadastral geometries.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from landreg.errors import CRSError
from spatial.crs import CADASTRAL_PROJ4, crs_for, is_projected_metres, proj4_for, wkt_for

# VN-2000 geographic, UTM 48N/49N, and the two cadastral TM-3 zones of the province.
REQUIRED_SRIDS = (4326, 4756, 3405, 3406, 9209, 9210)


def prepare_spatial_database(connection: Connection, cadastral_srid: int) -> None:
    """Create the spatial extension where needed and register the CRSs landreg uses."""
    if not is_projected_metres(cadastral_srid):
        raise CRSError(
            f"cadastral_srid EPSG:{cadastral_srid} is not a projected CRS in metres; "
            "areas could not be measured in it",
            field="cadastral_srid",
            value=cadastral_srid,
            detail_vi=f"hệ tọa độ địa chính EPSG:{cadastral_srid} không phải hệ tọa độ phẳng "
            "tính bằng mét; không thể đo diện tích theo hệ này",
        )
    srids = sorted({*REQUIRED_SRIDS, cadastral_srid})
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        for srid in srids:
            _register_postgis(connection, srid)
    else:
        for srid in srids:
            _register_spatialite(connection, srid)


def _known(connection: Connection, srid: int) -> bool:
    query = text("SELECT count(*) FROM spatial_ref_sys WHERE srid = :srid")
    return bool(connection.execute(query, {"srid": srid}).scalar())


def _register_postgis(connection: Connection, srid: int) -> None:
    if _known(connection, srid):
        return
    connection.execute(
        text(
            "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
            "VALUES (:srid, 'EPSG', :srid, :wkt, :proj4)"
        ),
        {"srid": srid, "wkt": wkt_for(srid), "proj4": proj4_for(srid)},
    )


def _register_spatialite(connection: Connection, srid: int) -> None:
    if _known(connection, srid):
        return
    if srid not in CADASTRAL_PROJ4:
        connection.execute(text("SELECT InsertEpsgSrid(:srid)"), {"srid": srid})
        if _known(connection, srid):
            return
    connection.execute(
        text(
            "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, ref_sys_name, proj4text, "
            "srtext) VALUES (:srid, 'epsg', :srid, :name, :proj4, :wkt)"
        ),
        {"srid": srid, "name": crs_for(srid).name, "proj4": proj4_for(srid), "wkt": wkt_for(srid)},
    )
