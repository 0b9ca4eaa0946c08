"""Vector tiles (Mapbox Vector Tile) of parcels and open findings, XYZ in Web Mercator.

``/tiles/parcels/{z}/{x}/{y}.pbf`` for web maps and QGIS ("Vector Tiles" connection with the
URL template). The database draws them (``ST_AsMVT`` on PostGIS; encoded in Python on
SpatiaLite). A tile with nothing in it, or below the layer's first zoom (parcels from z 13,
findings from z 10), is answered 204 No Content. Below zoom 16 a parcel tile holds at most
2,500 parcels, the largest, none under one screen pixel; from zoom 16 every parcel.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import ReadsDep
from api.schemas import Problem
from api.security import MAP_SECURITY, InternalDep, MapReaderDep
from landreg.domain.map_features import MapLayerName
from landreg.errors import ValidationError
from landreg.services.reads import RegisterReads

router = APIRouter(prefix="/tiles", tags=["vector tiles"])

MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}, "description": "the tile"},
    204: {"description": "nothing in this tile"},
    401: {"model": Problem},
    403: {"model": Problem},
    422: {"model": Problem},
}
Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="zoom level")]
# Below 2^z at zoom z (checked in the route); 2^22 - 1 at the deepest zoom.
Column = Annotated[int, Path(ge=0, le=2**MAX_ZOOM - 1, description="tile column, 0 at the west")]
Row = Annotated[int, Path(ge=0, le=2**MAX_ZOOM - 1, description="tile row, 0 at the north")]


@router.get(
    "/parcels/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses=RESPONSES,
    summary="A vector tile of the parcels",
    openapi_extra=MAP_SECURITY,
)
async def parcel_tile(
    reads: ReadsDep, principal: MapReaderDep, z: Zoom, x: Column, y: Row
) -> Response:
    """Current parcels with key, areas, land use and address (layer ``parcels``)."""
    # The map is public unless the province closes it; then a shared cache must not keep it.
    scope = "public" if principal is None else "private"
    return await _tile(reads, MapLayerName.PARCELS, z, x, y, f"{scope}, max-age=300")


@router.get(
    "/findings/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses=RESPONSES,
    summary="A vector tile of the open findings",
)
async def finding_tile(reads: ReadsDep, _: InternalDep, z: Zoom, x: Column, y: Row) -> Response:
    """Open findings with rule, severity and messages (layer ``findings``)."""
    return await _tile(reads, MapLayerName.FINDINGS, z, x, y, "private, max-age=60")


async def _tile(
    reads: RegisterReads, layer: MapLayerName, z: int, x: int, y: int, cache: str
) -> Response:
    check_tile(z, x, y)
    data = await reads.tiles.tile(layer, z, x, y)
    headers = {"Cache-Control": cache}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


def check_tile(z: int, x: int, y: int) -> None:
    """Refuses (422) a column or row past the edge of the world at zoom ``z``."""
    tiles = 1 << z  # tiles along each axis at zoom z
    for name, value in (("x", x), ("y", y)):
        if value >= tiles:
            raise ValidationError(
                f"{name} must be below {tiles} at zoom {z}",
                field=name,
                value=value,
                detail_vi=f"{name} phải nhỏ hơn {tiles} ở mức thu phóng {z}",
            )
