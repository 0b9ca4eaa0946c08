"""Parcel lookups: by id, by key, at a point, and as it was on a date."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import UowDep, database_of, looked_up
from api.params import (
    CRS_HELP,
    LARGEST_OFFSET,
    Moment,
    RowId,
    box_in_crs,
    checked_srid,
    parse_box,
    point_in_crs,
)
from api.schemas import ParcelOut, ParcelRecordOut, Problem
from api.security import MAP_SECURITY, InternalDep, MapReaderDep, OfficerDep
from landreg.domain.identifiers import ParcelKey
from landreg.errors import NotFoundError
from landreg.services import register
from landreg.services.parcel_record import parcel_record
from landreg.store import parcel_json
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/parcels", tags=["parcels"])
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": Problem}, 422: {"model": Problem}}

OutCrs = Annotated[
    int,
    Query(
        alias="crs",
        description=f"CRS of the returned geometry, {CRS_HELP} or the register's own",
        examples=[4326, 9209],
    ),
]


@router.get(
    "",
    response_model=list[ParcelOut],
    responses=ERRORS,
    summary="Parcels by key",
    openapi_extra=MAP_SECURITY,
)
def parcels_by_key(
    uow: UowDep,
    _: MapReaderDep,
    commune_code: Annotated[
        str, Query(description="5-digit commune code", examples=["25459"], max_length=20)
    ],
    map_sheet: Annotated[
        str, Query(description="map sheet number", examples=["12"], max_length=20)
    ],
    parcel_number: Annotated[
        str, Query(description="parcel number", examples=["345"], max_length=20)
    ],
    out_srid: OutCrs = 4326,
) -> list[ParcelOut]:
    """Current parcels with this key; more than one means the register holds a duplicate key."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    key = ParcelKey.parse(commune_code, map_sheet, parcel_number)
    return [ParcelOut.from_parcel(p, srid, out_srid) for p in uow.parcels.by_key(key)]


@router.get(
    "/at",
    response_model=list[ParcelOut],
    responses=ERRORS,
    summary="Parcels at a point",
    openapi_extra=MAP_SECURITY,
)
async def parcels_at(
    request: Request,
    _: MapReaderDep,
    x: Annotated[
        float,
        Query(
            description="longitude, or easting in `point_crs`", allow_inf_nan=False, ge=-1e7, le=1e7
        ),
    ],
    y: Annotated[
        float,
        Query(
            description="latitude, or northing in `point_crs`", allow_inf_nan=False, ge=-1e7, le=1e7
        ),
    ],
    point_crs: Annotated[int, Query(description=f"CRS of x/y, {CRS_HELP}")] = 4326,
    out_srid: OutCrs = 4326,
) -> Response:
    """Parcels containing the point (longitude/latitude in WGS 84 unless ``point_crs`` says)."""
    database = database_of(request)
    srid = database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    checked_srid(point_crs, "point_crs", srid)
    cx, cy = point_in_crs(x, y, point_crs, srid)
    lookups = looked_up(request)
    if lookups is None:
        return _json(await run_in_threadpool(_parcels_at, database, cx, cy, out_srid))
    return _json(await parcel_json.parcels_at(lookups, cx, cy, srid, out_srid))


def _parcels_at(database: RegisterDatabase, x: float, y: float, out_srid: int) -> str:
    """The ORM path (SpatiaLite); x, y already in the cadastral CRS."""
    srid = database.cadastral_srid
    with UnitOfWork(database) as uow:
        found = register.parcels_at_point(uow, x, y, srid)
        return _listed([ParcelOut.from_parcel(p, srid, out_srid) for p in found])


def _listed(parcels: list[ParcelOut]) -> str:
    return "[" + ",".join(p.model_dump_json() for p in parcels) + "]"


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


@router.get(
    "/within",
    response_model=list[ParcelOut],
    responses=ERRORS,
    summary="Parcels in a box",
    openapi_extra=MAP_SECURITY,
)
async def parcels_within(
    request: Request,
    _: MapReaderDep,
    bbox: Annotated[
        str,
        Query(description="minx,miny,maxx,maxy in `bbox_crs`, at most 5 km", max_length=200),
    ],
    bbox_crs: Annotated[int, Query(description=f"CRS of the box, {CRS_HELP}")] = 4326,
    limit: Annotated[int, Query(ge=1, le=register.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=LARGEST_OFFSET)] = 0,
    out_srid: OutCrs = 4326,
) -> Response:
    """Current parcels intersecting the box, in id order, a page at a time."""
    database = database_of(request)
    srid = database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    checked_srid(bbox_crs, "bbox_crs", srid)
    frame = box_in_crs(parse_box(bbox), bbox_crs, srid, max_span_m=register.MAX_BOX_M, shown=bbox)
    bounds = frame.bounds
    lookups = looked_up(request)
    if lookups is None:
        return _json(
            await run_in_threadpool(_parcels_within, database, bounds, limit, offset, out_srid)
        )
    return _json(await parcel_json.parcels_in_box(lookups, bounds, srid, out_srid, limit, offset))


def _parcels_within(
    database: RegisterDatabase,
    bounds: tuple[float, float, float, float],
    limit: int,
    offset: int,
    out_srid: int,
) -> str:
    """The ORM path (SpatiaLite); the box's bounds already in the cadastral CRS."""
    srid = database.cadastral_srid
    with UnitOfWork(database) as uow:
        found = register.parcels_in_box(uow, bounds, srid, limit, offset)
        return _listed([ParcelOut.from_parcel(p, srid, out_srid) for p in found])


@router.get(
    "/by-serial/{serial}",
    response_model=list[ParcelOut],
    responses=ERRORS,
    summary="Parcels of a certificate",
)
def parcels_by_serial(
    uow: UowDep, _: InternalDep, serial: str, out_srid: OutCrs = 4326
) -> list[ParcelOut]:
    """Parcels whose register entries carry this certificate serial ("AB 01234567")."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    return [
        ParcelOut.from_parcel(p, srid, out_srid) for p in register.parcels_by_serial(uow, serial)
    ]


class HolderQuery(BaseModel):
    """Whose parcels: an identity number (sent in the body, so that it stays out of URLs and
    the logs that keep them)."""

    identity_number: str = Field(pattern=r"^\d{9}(\d{3})?$")


@router.post(
    "/by-holder",
    response_model=list[ParcelOut],
    responses=ERRORS,
    summary="Parcels of a holder (registry officers)",
)
def parcels_by_holder(
    uow: UowDep, officer: OfficerDep, body: HolderQuery, out_srid: OutCrs = 4326
) -> list[ParcelOut]:
    """Parcels the register lists this person as a holder of; the look-up is audited."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    found = register.parcels_of_holder(uow, body.identity_number)
    uow.audit.record(
        actor=officer.name, action="lookup", entity_type="holder", entity_id=None,
        after={"identity_number_end": body.identity_number[-3:], "parcels": len(found)},
    )  # fmt: skip
    uow.commit()
    return [ParcelOut.from_parcel(p, srid, out_srid) for p in found]


@router.get(
    "/{parcel_id}",
    response_model=ParcelOut,
    responses=ERRORS,
    summary="One parcel",
    openapi_extra=MAP_SECURITY,
)
async def parcel(
    request: Request,
    _: MapReaderDep,
    parcel_id: RowId,
    at: Annotated[Moment | None, Query(description="the parcel as it was at this time")] = None,
    out_srid: OutCrs = 4326,
) -> Response:
    """The current version of a parcel, or the version in force at ``at``."""
    database = database_of(request)
    checked_srid(out_srid, "crs", database.cadastral_srid)
    lookups = looked_up(request)
    if at is not None or lookups is None:
        return _json(await run_in_threadpool(_parcel, database, parcel_id, at, out_srid))
    found = await parcel_json.parcel_by_id(lookups, parcel_id, out_srid)
    if found is None:
        raise NotFoundError(f"no parcel with id {parcel_id}", field="parcel_id", value=parcel_id)
    return _json(found)


def _parcel(database: RegisterDatabase, parcel_id: int, at: datetime | None, out_srid: int) -> str:
    """The ORM path (SpatiaLite, and the parcel as it was at a time)."""
    srid = database.cadastral_srid
    with UnitOfWork(database) as uow:
        if at is None:
            return ParcelOut.from_parcel(
                uow.parcels.get(parcel_id), srid, out_srid
            ).model_dump_json()
        then = register.parcel_as_of(uow, parcel_id, at)
    if then is None:
        raise NotFoundError(
            f"parcel {parcel_id} did not exist at {at.isoformat()}",
            field="at",
            value=at.isoformat(),
        )
    return ParcelOut.from_parcel(then, srid, out_srid).model_dump_json()


@router.get(
    "/{parcel_id}/record",
    response_model=ParcelRecordOut,
    response_model_by_alias=True,
    responses=ERRORS,
    summary="The parcel's current record, every field with its source",
)
def parcel_full_record(
    uow: UowDep, principal: InternalDep, parcel_id: RowId, out_srid: OutCrs = 4326
) -> ParcelRecordOut:
    """Boundary and measured area from the map; legal area, land use, holders and shares,
    certificates, mortgages and seizures from the land register; open findings. Holders'
    identity numbers are shown to officers and staff only."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    record = parcel_record(uow, parcel_id)
    return ParcelRecordOut.model_validate(
        record | {"parcel": ParcelOut.from_parcel(record["parcel"], srid, out_srid)}
    )


@router.get(
    "/{parcel_id}/history",
    response_model=list[ParcelOut],
    responses=ERRORS,
    summary="Every version of a parcel",
)
def parcel_history(
    uow: UowDep, _: InternalDep, parcel_id: RowId, out_srid: OutCrs = 4326
) -> list[ParcelOut]:
    """All versions, oldest first; each shows when it was in force."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    return [ParcelOut.from_parcel(p, srid, out_srid) for p in uow.parcels.versions(parcel_id)]
