"""Parcel lookups: by id, by key, at a point, and as it was on a date; every parcel as a file."""

from __future__ import annotations

import pathlib
import shutil
import tempfile
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.deps import UowDep, database_of, reads_of
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
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.services import national_ids, parcel_export, register
from landreg.services.parcel_record import parcel_record

router = APIRouter(prefix="/parcels", tags=["parcels"])
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": Problem}, 422: {"model": Problem}}
# 12 characters of the GeoHash alphabet (digits and lower-case letters but a, i, l, o).
NATIONAL_ID_PATTERN = r"^[0-9b-hjkmnp-z]{12}$"

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
    found = register.parcels_by_key(uow, commune_code, map_sheet, parcel_number)
    return [ParcelOut.from_parcel(p, srid, out_srid) for p in found]


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
    srid = database_of(request).cadastral_srid
    checked_srid(out_srid, "crs", srid)
    checked_srid(point_crs, "point_crs", srid)
    cx, cy = point_in_crs(x, y, point_crs, srid)
    return _json(await reads_of(request).parcels.at_point(cx, cy, out_srid))


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
    srid = database_of(request).cadastral_srid
    checked_srid(out_srid, "crs", srid)
    checked_srid(bbox_crs, "bbox_crs", srid)
    frame = box_in_crs(parse_box(bbox), bbox_crs, srid, max_span_m=register.MAX_BOX_M, shown=bbox)
    return _json(await reads_of(request).parcels.within(frame.bounds, out_srid, limit, offset))


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


@router.get(
    "/by-national-id/{national_id}",
    response_model=ParcelOut,
    responses=ERRORS,
    summary="The parcel with a national parcel identifier",
    openapi_extra=MAP_SECURITY,
)
def parcel_by_national_id(
    uow: UowDep,
    _: MapReaderDep,
    national_id: Annotated[
        str,
        Path(
            description="national parcel identifier (mã định danh thửa đất): 12 characters "
            "of the GeoHash alphabet",
            pattern=NATIONAL_ID_PATTERN,
            examples=["w3gvk2j8x1mq"],
        ),
    ],
    out_srid: OutCrs = 4326,
) -> ParcelOut:
    """The current parcel that holds this identifier; 404 when none does."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    found = national_ids.parcel_with_national_id(uow, national_id)
    return ParcelOut.from_parcel(found, srid, out_srid)


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
    found = register.looked_up_holder(uow, body.identity_number, actor=officer.name)
    return [ParcelOut.from_parcel(p, srid, out_srid) for p in found]


# What each export format is served as.
EXPORT_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


# Declared before /{parcel_id}, which would otherwise take "export" for an id.
@router.get(
    "/export",
    response_class=FileResponse,
    responses=ERRORS | {200: {"content": {media: {} for media in EXPORT_MEDIA.values()}}},
    summary="Every current parcel as a file (officers and staff)",
)
def parcels_export(
    uow: UowDep,
    principal: InternalDep,
    fmt: Annotated[
        str,
        Query(
            alias="format",
            pattern="^(csv|geojson|gpkg)$",
            description="csv (no geometry, UTF-8 for Excel), geojson (WGS 84) or gpkg "
            "(the cadastral CRS)",
        ),
    ] = "gpkg",
    commune: Annotated[
        str | None,
        Query(
            description="only this ward or commune: its code, old or new, or its name",
            max_length=120,
            examples=["25459"],
        ),
    ] = None,
    personal: Annotated[
        bool, Query(description="add the holders' identity numbers (the export is audited)")
    ] = False,
) -> FileResponse:
    """One row per current parcel: national identifier, key, legal and measured area, land
    use, address, certificates, holders and shares, mortgages and seizures, and the register
    row each came from. Holders' names are given to the officers and staff this route
    admits; their identity numbers only with ``personal=true``."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="landreg-parcels-"))
    try:
        path = folder / f"thua-dat.{fmt}"
        parcel_export.export_parcels(
            uow, path, fmt, commune=commune, personal=personal, actor=principal.name
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    stamp = datetime.now(LOCAL_TIME).strftime("%Y%m%d-%H%M")
    return FileResponse(
        path,
        media_type=EXPORT_MEDIA[fmt],
        filename=f"thua-dat-{stamp}.{fmt}",
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


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
    checked_srid(out_srid, "crs", database_of(request).cadastral_srid)
    return _json(await reads_of(request).parcels.by_id(parcel_id, at, out_srid))


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
    return [
        ParcelOut.from_parcel(p, srid, out_srid) for p in register.parcel_history(uow, parcel_id)
    ]
