"""Statistics for the provincial operations centre (IOC), leaders, officers and staff:
dossiers against their deadlines, the register's data quality, communes for a map.

Every answer says the moment it is read at (``as_of``, local time with its offset) and its
``time_zone``, may be kept by the caller for a minute (``Cache-Control: private,
max-age=60``) and carries a strong ``ETag`` of its bytes: a request with that ETag in
``If-None-Match`` is answered 304 without a body while nothing changed. The documents are
built in :mod:`api.routes.stats_documents`, which the dashboard's page reads too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import UowDep
from api.routes.stats_documents import (
    CommuneCollectionOut,
    DossierStatsOut,
    QualityStatsOut,
    communes_document,
    dossiers_document,
    quality_document,
)
from api.schemas import Problem
from api.security import require
from landreg.domain.access import Principal, Role
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.errors import ValidationError
from landreg.services.dossier_stats import as_of_moment
from landreg.services.quality_stats import DEFAULT_WEEKS

router = APIRouter(prefix="/stats", tags=["statistics"])
CACHE_CONTROL = "private, max-age=60"
GEOJSON = "application/geo+json"
# Leaders read the figures, and nothing else of the register.
StatsReaderDep = Annotated[
    Principal,
    Depends(require(Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF, Role.LEADER)),
]
_CACHE_HEADERS = {
    "Cache-Control": {
        "description": "private, max-age=60: the caller may keep the answer for a minute",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "strong validator of the answer's bytes; send it back in "
        "If-None-Match to be answered 304 while nothing changed",
        "schema": {"type": "string"},
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"headers": _CACHE_HEADERS},
    304: {"description": "not modified: the ETag sent is still current", "headers": _CACHE_HEADERS},
    401: {"model": Problem, "description": "no bearer token or API key, or not valid"},
    403: {"model": Problem, "description": "a role other than officer, staff, leader, admin"},
    422: {"model": Problem},
}
AS_OF_HELP = (
    "local date (its end, 23:59:59) or date-time, ISO 8601; without it: now, to the end of "
    "the current minute (so that calls within a minute share one answer and its ETag)"
)
AsOf = Annotated[str | None, Query(max_length=40, description=AS_OF_HELP, examples=["2024-01-05"])]


def read_as_of(text: str | None) -> datetime:
    """``as_of`` read at the edge: ISO 8601, or the end of the current minute when not
    given; a moment Python's dates can hold once taken to local time (the dossier service
    refuses a day outside the holiday calendar)."""
    if text is None or not text.strip():
        now = datetime.now(LOCAL_TIME).replace(tzinfo=None)
        return now.replace(second=59, microsecond=0)
    try:
        return as_of_moment(text)
    except OverflowError:  # an offset carrying 9999-12-31 past the last day there is
        raise ValidationError(
            "as_of is out of range once taken to local time (UTC+7)",
            field="as_of",
            value=text,
            detail_vi="as_of nằm ngoài phạm vi khi đổi sang giờ địa phương (UTC+7)",
        ) from None


def _etag_matches(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks of it)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags


def cached(request: Request, document: BaseModel, media_type: str = "application/json") -> Response:
    """``document`` as JSON with its strong ETag and a minute's private caching; 304 with no
    body when the caller already holds these very bytes."""
    body = document.model_dump_json().encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if _etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get(
    "/dossiers",
    response_model=DossierStatsOut,
    responses=ERRORS,
    summary="On-time rate, overdue and at-risk dossiers, dossiers per week",
)
def dossier_statistics(
    request: Request,
    uow: UowDep,
    principal: StatsReaderDep,
    as_of: AsOf = None,
    office: Annotated[str | None, Query(max_length=80, examples=["H55.707"])] = None,
    procedure: Annotated[
        str | None,
        Query(max_length=120, examples=["transfer", "Chuyển nhượng quyền sử dụng đất"]),
    ] = None,
) -> Response:
    """The operations centre's feed of dossiers (see docs/ioc-feed.md). The portal's on-time
    rate ((early + on time) ÷ processed × 100, in percent) overall and by procedure, office
    and month of processing; dossiers received and processed per ISO week; overdue and
    at-risk dossiers, most late first; late dossiers and their apology letters; histories not
    readable; due dates that disagree with the source. The same figures as ``landreg dossiers
    stats --as-of`` on the same database. For officers, cadastral staff, leaders and
    administrators (bearer token or ``X-API-Key``)."""
    moment = read_as_of(as_of)
    return cached(request, dossiers_document(uow, moment, office, procedure))


@router.get(
    "/quality",
    response_model=QualityStatsOut,
    responses=ERRORS,
    summary="Data quality: parcels checked, open findings by rule and commune, per week",
)
def quality_statistics(
    request: Request,
    uow: UowDep,
    principal: StatsReaderDep,
    as_of: AsOf = None,
    weeks: Annotated[
        int, Query(ge=1, le=260, description="how many weeks of history, ending at as_of")
    ] = DEFAULT_WEEKS,
) -> Response:
    """The operations centre's feed of data quality (see docs/ioc-feed.md). Parcels, parcels
    checked by a reconciliation, the share of parcels no open error-severity finding names;
    findings open at ``as_of`` by rule and by commune (with open errors per 1,000 parcels);
    and the findings open at the end of each ISO week, by rule and by commune, read from
    every finding's creation and closing times. For officers, cadastral staff, leaders and
    administrators (bearer token or ``X-API-Key``)."""
    moment = read_as_of(as_of)
    return cached(request, quality_document(uow, moment, weeks))


@router.get(
    "/communes",
    response_model=CommuneCollectionOut,
    responses={**ERRORS, 200: {"headers": _CACHE_HEADERS, "content": {GEOJSON: {}}}},
    summary="Communes with open errors per 1,000 parcels (GeoJSON, WGS 84)",
)
def commune_statistics(
    request: Request, uow: UowDep, principal: StatsReaderDep, as_of: AsOf = None
) -> Response:
    """The operations centre's commune map (see docs/ioc-feed.md). Every commune and ward
    with a boundary or parcels as a GeoJSON FeatureCollection in WGS 84 (lon/lat; boundaries
    simplified to about 20 m, coordinates to 6 decimals), each with its code, name, parcels,
    open errors at ``as_of`` and open errors per 1,000 parcels: ready for a choropleth. For
    officers, cadastral staff, leaders and administrators (bearer token or ``X-API-Key``)."""
    moment = read_as_of(as_of)
    return cached(request, communes_document(uow, moment), GEOJSON)
