"""Parcels as the API shows them (``ParcelOut``), as JSON text: the busiest look-ups.

:class:`PooledParcelReads` (PostGIS): one statement with bound parameters, the GeoJSON and
the answer's fields built by the database (as tipg does), no ORM object, no shapely or pyproj
per request; it runs on the event loop through :mod:`landreg.store.reads.lookups`. The
geometry is reprojected by PostGIS, which migration 0003 makes use landreg's VN-2000
parameters. :class:`SessionParcelReads` (SpatiaLite, and a parcel as it was at a time): the
parcel repository in a worker thread, the same fields written from the domain parcel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
import pydantic_core

import shapely

from landreg.clock import as_utc
from landreg.domain.dossier_deadline import to_local
from landreg.domain.model import Parcel
from landreg.errors import NotFoundError
from landreg.store.database import RegisterDatabase
from landreg.store.reads.lookups import Lookups
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject

Bounds = tuple[float, float, float, float]

_OBJECT = """
json_build_object(
    'id', p.id,
    'key', CASE WHEN p.map_sheet IS NOT NULL AND p.parcel_number IS NOT NULL
                THEN p.commune_code || '-' || p.map_sheet || '-' || p.parcel_number
                ELSE 'P:' || p.commune_code || ':' || coalesce(p.source_key, p.id::text) END,
    'national_id', p.national_id,
    'commune_code', p.commune_code,
    'map_sheet', p.map_sheet,
    'parcel_number', p.parcel_number,
    'old_map_sheet', p.old_map_sheet,
    'old_parcel_number', p.old_parcel_number,
    'legal_area', p.legal_area,
    'measured_area', CASE WHEN p.geom IS NULL THEN NULL ELSE ST_Area(p.geom) END,
    'land_use_code', coalesce(p.legal_land_use_code, p.land_use_code),
    'map_land_use_code', p.land_use_code,
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


class PooledParcelReads:
    """Parcels written by PostGIS in one statement on the look-ups' connections; a parcel as
    it was at a time goes to ``history`` (the versions are not on the hot path)."""

    def __init__(self, lookups: Lookups, history: SessionParcelReads) -> None:
        self.lookups = lookups
        self.history = history
        self.database = history.database

    async def by_id(self, parcel_id: int, at: datetime | None, out_srid: int) -> str:
        """The parcel's JSON; :class:`NotFoundError` when there is no such parcel."""
        if at is not None:
            return await self.history.by_id(parcel_id, at, out_srid)
        found = await self.lookups.first(_BY_ID, {"parcel_id": parcel_id, "out_srid": out_srid})
        if found is None:
            raise NotFoundError(
                f"no parcel with id {parcel_id}",
                field="parcel_id",
                value=parcel_id,
                detail_vi=f"không có thửa đất mang số {parcel_id}",
            )
        return str(found[0])

    async def at_point(self, x: float, y: float, out_srid: int) -> str:
        """A JSON array of the parcels containing the point (x, y), given in the cadastral CRS
        (the spatial index answers)."""
        srid = self.database.cadastral_srid
        found = await self.lookups.first(
            _AT_POINT, {"x": x, "y": y, "srid": srid, "out_srid": out_srid}
        )
        return str(found[0]) if found else "[]"

    async def within(self, bounds: Bounds, out_srid: int, limit: int, offset: int) -> str:
        """A JSON array of a page of the parcels intersecting the box (cadastral CRS), by id."""
        west, south, east, north = bounds
        found = await self.lookups.first(
            _IN_BOX,
            {"west": west, "south": south, "east": east, "north": north,
             "srid": self.database.cadastral_srid, "out_srid": out_srid,
             "limit": limit, "offset": offset},
        )  # fmt: skip
        return str(found[0]) if found else "[]"


class SessionParcelReads:
    """Parcels through the ORM's parcel repository, in a worker thread."""

    def __init__(self, database: RegisterDatabase) -> None:
        self.database = database

    async def by_id(self, parcel_id: int, at: datetime | None, out_srid: int) -> str:
        """The parcel (as it was at ``at``)'s JSON; :class:`NotFoundError` when there is none."""
        return await anyio.to_thread.run_sync(self._by_id, parcel_id, at, out_srid)

    async def at_point(self, x: float, y: float, out_srid: int) -> str:
        """A JSON array of the parcels containing the point (cadastral CRS)."""
        return await anyio.to_thread.run_sync(self._at_point, x, y, out_srid)

    async def within(self, bounds: Bounds, out_srid: int, limit: int, offset: int) -> str:
        """A JSON array of a page of the parcels intersecting the box (cadastral CRS), by id."""
        return await anyio.to_thread.run_sync(self._within, bounds, out_srid, limit, offset)

    def _by_id(self, parcel_id: int, at: datetime | None, out_srid: int) -> str:
        srid = self.database.cadastral_srid
        with UnitOfWork(self.database) as uow:
            found = uow.parcels.get(parcel_id)
            if at is not None:
                then = uow.parcels.as_of(parcel_id, as_utc(at))
                if then is None:
                    local = to_local(as_utc(at).replace(tzinfo=UTC))  # a naive time is UTC
                    raise NotFoundError(
                        f"parcel {parcel_id} did not exist at {at.isoformat()}",
                        field="at",
                        value=at.isoformat(),
                        detail_vi=f"thửa đất {parcel_id} chưa có vào lúc {local:%H:%M %d/%m/%Y}",
                    )
                found = then
        return _parcel_json(found, srid, out_srid)

    def _at_point(self, x: float, y: float, out_srid: int) -> str:
        srid = self.database.cadastral_srid
        with UnitOfWork(self.database) as uow:
            found = uow.parcels.at_point(x, y, srid)
        return _listed(found, srid, out_srid)

    def _within(self, bounds: Bounds, out_srid: int, limit: int, offset: int) -> str:
        srid = self.database.cadastral_srid
        with UnitOfWork(self.database) as uow:
            found = uow.parcels.in_box(shapely.box(*bounds).wkt, limit, offset)
        return _listed(found, srid, out_srid)


def _parcel_json(parcel: Parcel, cadastral_srid: int, out_srid: int) -> str:
    """A domain parcel as the API shows it, as the statements above write it: the same fields
    in the same order (the API's ``ParcelOut``), the boundary reprojected to ``out_srid``."""
    return pydantic_core.to_json(_document(parcel, cadastral_srid, out_srid)).decode()


def _listed(parcels: list[Parcel], cadastral_srid: int, out_srid: int) -> str:
    return "[" + ",".join(_parcel_json(p, cadastral_srid, out_srid) for p in parcels) + "]"


def _document(parcel: Parcel, cadastral_srid: int, out_srid: int) -> dict[str, Any]:
    geometry = None
    if parcel.geometry is not None:
        geometry = shapely.geometry.mapping(reproject(parcel.geometry, cadastral_srid, out_srid))
    return {
        "id": parcel.id or 0,
        "key": parcel.reference,
        "national_id": parcel.national_id,
        "commune_code": parcel.commune_code,
        "map_sheet": parcel.map_sheet,
        "parcel_number": parcel.parcel_number,
        "old_map_sheet": parcel.old_map_sheet,
        "old_parcel_number": parcel.old_parcel_number,
        "legal_area": _number(parcel.legal_area),
        "measured_area": parcel.measured_area,
        "land_use_code": parcel.land_use,
        "map_land_use_code": parcel.land_use_code,
        "address": parcel.address,
        "version": parcel.version,
        "valid_from": _utc(parcel.valid_from),
        "valid_to": _utc(parcel.valid_to),
        "crs": f"EPSG:{out_srid}",
        "geometry": geometry,
    }


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def _utc(moment: datetime | None) -> datetime | None:
    """The register keeps its times in UTC without an offset; the answer carries it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
