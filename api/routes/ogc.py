"""OGC API – Features (Part 1 Core with GeoJSON, Part 2 CRS) for current parcels and open findings.

QGIS and GDAL's OAPIF driver open ``/ogc``. Coordinates are WGS 84 longitude/latitude (CRS84)
unless ``crs`` asks for VN-2000 / TM-3 (EPSG:9209, 9210) or EPSG:4326 (latitude first);
``bbox-crs`` says the CRS of ``bbox``. The database writes the features; a route only adds
the envelope and links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shapely.geometry.base import BaseGeometry

from api.deps import database_of, reads_of
from api.params import LARGEST_ID, LARGEST_OFFSET, box_in_crs, parse_box
from api.schemas import Problem
from api.security import MAP_SECURITY, InternalDep, MapReaderDep, current_principal, reads_map
from landreg.domain.access import Principal, Role
from landreg.domain.map_features import FeatureRequest, MapLayerName
from landreg.errors import NotFoundError, ValidationError

router = APIRouter(prefix="/ogc", tags=["OGC API Features"])

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
MAX_LIMIT = 1000
MAX_BBOX_M = 300_000  # the whole province fits; a continent does not
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}
FEATURES = {200: {"content": {GEOJSON: {}}, "description": "GeoJSON"}, **ERRORS}
DESCRIPTIONS = {
    "parcels": (
        "Parcels",
        "Current parcels (thửa đất): key, legal and measured area, land use, address.",
    ),
    "findings": (
        "Open findings",
        "Open data-quality findings with their place: overlaps, gaps, invalid geometry, "
        "register/map disagreements (officers and cadastral staff).",
    ),
}


@dataclass(frozen=True, slots=True)
class OutputCrs:
    """A CRS the API writes or reads coordinates in."""

    uri: str
    srid: int
    swap_axes: bool = False  # EPSG:4326 is latitude first; the database stores x = longitude


def supported_crs(cadastral_srid: int) -> dict[str, OutputCrs]:
    """The CRSs of both collections, by URI: CRS84 first (the default), the storage CRS too."""
    crss = [OutputCrs(CRS84, 4326), OutputCrs(EPSG_URI.format(4326), 4326, swap_axes=True)]
    for srid in sorted({9209, 9210, cadastral_srid}):
        crss.append(OutputCrs(EPSG_URI.format(srid), srid))
    return {crs.uri: crs for crs in crss}


def parse_crs(text: str, cadastral_srid: int, field: str) -> OutputCrs:
    """A supported CRS from its URI, ``EPSG:9209``, ``[EPSG:9209]`` or ``OGC:CRS84``."""
    cleaned = text.strip().strip("[]")
    upper = cleaned.upper()
    if upper in ("CRS84", "OGC:CRS84"):
        cleaned = CRS84
    elif upper.startswith("EPSG:") and upper[5:].isdigit():
        cleaned = EPSG_URI.format(int(upper[5:]))
    elif cleaned.startswith("https://"):
        cleaned = "http://" + cleaned.removeprefix("https://")
    found = supported_crs(cadastral_srid).get(cleaned)
    if found is None:
        known = ", ".join(supported_crs(cadastral_srid))
        raise ValidationError(
            f"{field} must be one of {known}",
            field=field,
            value=text,
            detail_vi=f"{field} phải là một trong {known}",
        )
    return found


@dataclass(frozen=True, slots=True)
class ItemsParams:
    """The query parameters of an items request."""

    bbox: str | None
    bbox_crs: str | None
    crs: str | None
    limit: int
    offset: int


async def items_params(
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in `bbox-crs` (CRS84: lon,lat; EPSG:4326: lat,lon)",
            examples=["106.35,10.53,106.37,10.55"],
            max_length=200,
        ),
    ] = None,
    bbox_crs: Annotated[
        str | None,
        Query(alias="bbox-crs", description="CRS of bbox (default CRS84)", max_length=200),
    ] = None,
    crs: Annotated[
        str | None,
        Query(description="CRS of the returned coordinates (default CRS84)", max_length=200),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="features per page")] = 10,
    offset: Annotated[
        int, Query(ge=0, le=LARGEST_OFFSET, description="features skipped (follow `next`)")
    ] = 0,
) -> ItemsParams:
    """Parameters of ``/items``; FastAPI checks ranges, the route checks CRSs and bbox."""
    return ItemsParams(bbox, bbox_crs, crs, limit, offset)


ItemsDep = Annotated[ItemsParams, Depends(items_params)]
CrsParam = Annotated[
    str | None, Query(description="CRS of the returned coordinates", max_length=200)
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body)


@router.get("", summary="Landing page")
def landing_page(request: Request) -> JSONResponse:
    """Links to the API definition, the conformance classes and the collections."""
    base = _base(request)
    return _json(
        {
            "title": "landreg — cadastral map",
            "description": "Current parcels and open findings of the land register.",
            "links": [
                _link(base, "self", "application/json", "this document"),
                _link(f"{base}/api", "service-desc", OPENAPI, "the API definition"),
                _link(str(request.base_url) + "docs", "service-doc", "text/html", "the API docs"),
                _link(f"{base}/conformance", "conformance", "application/json", "conformance"),
                _link(f"{base}/collections", "data", "application/json", "the collections"),
            ],
        }
    )


@router.get("/api", summary="The API definition (OpenAPI 3)")
def api_definition(request: Request) -> JSONResponse:
    """The OpenAPI document, with the media type OGC clients ask for."""
    return JSONResponse(request.app.openapi(), media_type=OPENAPI)


@router.get("/conformance", summary="Conformance classes")
def conformance() -> JSONResponse:
    """The parts of OGC API – Features this server implements."""
    return _json({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="The collections you may read")
async def collections(
    request: Request,
    principal: Annotated[Principal | None, Depends(current_principal)],
) -> JSONResponse:
    """Parcels (unless the map is closed and you are not signed in) and, for officers and
    staff, open findings."""
    shown = []
    if _may_read_map(request, principal):
        shown.append(await _collection(request, MapLayerName.PARCELS))
    if principal is not None and principal.may(Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF):
        shown.append(await _collection(request, MapLayerName.FINDINGS))
    base = _base(request)
    return _json(
        {
            "links": [_link(f"{base}/collections", "self", "application/json", "collections")],
            "collections": shown,
        }
    )


def _may_read_map(request: Request, principal: Principal | None) -> bool:
    return reads_map(request, principal)


@router.get(
    "/collections/parcels",
    summary="The parcels collection",
    responses=ERRORS,
    openapi_extra=MAP_SECURITY,
)
async def parcels_collection(request: Request, _: MapReaderDep) -> JSONResponse:
    """Extent, CRSs and links of the parcels."""
    return _json(await _collection(request, MapLayerName.PARCELS))


@router.get("/collections/findings", summary="The findings collection", responses=ERRORS)
async def findings_collection(request: Request, _: InternalDep) -> JSONResponse:
    """Extent, CRSs and links of the open findings."""
    return _json(await _collection(request, MapLayerName.FINDINGS))


@router.get(
    "/collections/parcels/items",
    summary="Parcels",
    response_class=Response,
    responses=FEATURES,
    openapi_extra=MAP_SECURITY,
)
async def parcel_items(request: Request, _: MapReaderDep, params: ItemsDep) -> Response:
    """Current parcels in id order, a page at a time, optionally in a bounding box."""
    return await _items(request, MapLayerName.PARCELS, params)


@router.get(
    "/collections/findings/items",
    summary="Open findings",
    response_class=Response,
    responses=FEATURES,
)
async def finding_items(request: Request, _: InternalDep, params: ItemsDep) -> Response:
    """Open findings in id order, a page at a time, optionally in a bounding box."""
    return await _items(request, MapLayerName.FINDINGS, params)


@router.get(
    "/collections/parcels/items/{feature_id}",
    summary="One parcel",
    response_class=Response,
    responses=FEATURES,
    openapi_extra=MAP_SECURITY,
)
async def parcel_item(
    request: Request, _: MapReaderDep, feature_id: str, crs: CrsParam = None
) -> Response:
    """A current parcel by id."""
    return await _item(request, MapLayerName.PARCELS, feature_id, crs)


@router.get(
    "/collections/findings/items/{feature_id}",
    summary="One open finding",
    response_class=Response,
    responses=FEATURES,
)
async def finding_item(
    request: Request, _: InternalDep, feature_id: str, crs: CrsParam = None
) -> Response:
    """An open finding by id."""
    return await _item(request, MapLayerName.FINDINGS, feature_id, crs)


@router.get("/collections/{collection_id}", include_in_schema=False)
@router.get("/collections/{collection_id}/items", include_in_schema=False)
@router.get("/collections/{collection_id}/items/{feature_id}", include_in_schema=False)
def unknown_collection(collection_id: str) -> Response:
    """Any other collection does not exist."""
    raise NotFoundError(
        f"no collection {collection_id!r}: there are parcels and findings",
        field="collection_id",
        value=collection_id,
        detail_vi=f"không có tập dữ liệu {collection_id!r}: chỉ có parcels (thửa đất) và "
        "findings (phát hiện)",
    )


async def _collection(request: Request, layer: MapLayerName) -> dict[str, Any]:
    srid = database_of(request).cadastral_srid
    url = f"{_base(request)}/collections/{layer}"
    title, description = DESCRIPTIONS[layer]
    body: dict[str, Any] = {
        "id": layer.value,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": list(supported_crs(srid)),
        "storageCrs": EPSG_URI.format(srid),
        "links": [
            _link(url, "self", "application/json", title),
            _link(f"{url}/items", "items", GEOJSON, f"{title} (GeoJSON)"),
        ],
    }
    bounds = await reads_of(request).map.extent(layer)
    if bounds is not None:
        body["extent"] = {"spatial": {"bbox": [[round(v, 6) for v in bounds]], "crs": CRS84}}
    return body


async def _items(request: Request, layer: MapLayerName, params: ItemsParams) -> Response:
    srid = database_of(request).cadastral_srid
    out = parse_crs(params.crs, srid, "crs") if params.crs else supported_crs(srid)[CRS84]
    frame = _bbox_frame(params.bbox, params.bbox_crs, srid) if params.bbox else None
    wanted = FeatureRequest(out.srid, out.swap_axes, frame, params.limit, params.offset)
    page = await reads_of(request).map.feature_page(layer, wanted)
    url = f"{_base(request)}/collections/{layer}"
    links = [
        _link(str(request.url), "self", GEOJSON, "this page"),
        _link(url, "collection", "application/json", "the collection"),
    ]
    if params.offset + page.returned < page.matched:
        after = request.url.include_query_params(offset=params.offset + params.limit)
        links.append(_link(str(after), "next", GEOJSON, "next page"))
    if params.offset > 0:
        before = request.url.include_query_params(offset=max(0, params.offset - params.limit))
        links.append(_link(str(before), "prev", GEOJSON, "previous page"))
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.returned,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + page.features + "]}"
    return Response(body.encode(), media_type=GEOJSON, headers={"Content-Crs": f"<{out.uri}>"})


async def _item(
    request: Request, layer: MapLayerName, feature_id: str, crs: str | None
) -> Response:
    srid = database_of(request).cadastral_srid
    out = parse_crs(crs, srid, "crs") if crs else supported_crs(srid)[CRS84]
    text = None
    if _is_row_id(feature_id):
        wanted = FeatureRequest(out.srid, out.swap_axes)
        text = await reads_of(request).map.feature(layer, int(feature_id), wanted)
    if text is None:
        raise NotFoundError(
            f"no feature {feature_id} in {layer}",
            field="featureId",
            value=feature_id,
            detail_vi=f"không có đối tượng {feature_id} trong {layer}",
        )
    url = f"{_base(request)}/collections/{layer}"
    links = [
        _link(str(request.url), "self", GEOJSON, "this feature"),
        _link(url, "collection", "application/json", "the collection"),
    ]
    body = text.rstrip()[:-1] + ',"links":' + json.dumps(links) + "}"
    return Response(body.encode(), media_type=GEOJSON, headers={"Content-Crs": f"<{out.uri}>"})


def _is_row_id(text: str) -> bool:
    """Digits of an id the database can hold (anything else names no feature: 404)."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= LARGEST_ID


def _bbox_frame(text: str, bbox_crs: str | None, srid: int) -> BaseGeometry:
    """The bounding box as a polygon in the cadastral CRS (heights dropped, EPSG:4326's
    latitude-first order read as such); :mod:`api.params` checks order, range and size."""
    crs = parse_crs(bbox_crs, srid, "bbox-crs") if bbox_crs else supported_crs(srid)[CRS84]
    minx, miny, maxx, maxy = parse_box(text, heights=True)
    if crs.swap_axes:  # EPSG:4326 order is latitude, longitude
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    return box_in_crs((minx, miny, maxx, maxy), crs.srid, srid, max_span_m=MAX_BBOX_M, shown=text)


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}
