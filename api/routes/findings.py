"""The findings work queue: list and filter, one finding, apply its fix or dismiss it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import Message

import shapely

from api.deps import UowDep
from api.params import (
    CRS_HELP,
    LARGEST_OFFSET,
    RowId,
    box_in_crs,
    checked_srid,
    parse_box,
)
from api.schemas import Problem, UtcTime
from api.security import InternalDep, StaffDep
from landreg.domain.model import Finding
from landreg.errors import ValidationError
from landreg.services import drawn_boundaries, queue
from spatial.crs import reproject
from spatial.edits import body_limit, boundary_from_geojson


class BoundedBodyRoute(APIRoute):
    """A findings route whose request body may not exceed what an edit with a boundary of
    ``LANDREG_MAX_EDIT_VERTICES`` vertices takes: refused by its Content-Length before a byte
    is read, else (a chunked body) stopped as it arrives, never parsed whole."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            limit = body_limit(request.app.state.settings.cadastre.max_edit_vertices)
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
            seen = 0

            async def counted() -> Message:
                nonlocal seen
                message = await request.receive()
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
                return message

            try:
                return await handler(Request(request.scope, counted))
            except HTTPException:  # FastAPI's answer to the body read being stopped
                if seen > limit:
                    raise _too_large(limit) from None
                raise

        return bounded


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        f"the request body is larger than {limit // 1024} KiB, more than a parcel boundary "
        "of LANDREG_MAX_EDIT_VERTICES vertices takes",
        field="body",
        detail_vi=f"nội dung yêu cầu lớn hơn {limit // 1024} KiB, nhiều hơn một ranh giới thửa "
        "có LANDREG_MAX_EDIT_VERTICES đỉnh cần",
    )


router = APIRouter(prefix="/findings", tags=["findings"], route_class=BoundedBodyRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
}
MAX_BBOX_M = 50_000
OutCrs = Annotated[int, Query(alias="crs", description=f"CRS of the geometry, {CRS_HELP}")]


class FindingOut(BaseModel):
    """A finding: rule, severity, records, measured values, explanation, fix, location."""

    id: int
    rule: str
    severity: str
    status: str
    commune_code: str | None
    subjects: list[dict[str, Any]]
    measured: dict[str, Any] | None
    suggestion: dict[str, Any] | None
    message_vi: str
    message_en: str
    created_at: UtcTime
    closed_at: UtcTime | None
    resolution: str | None
    resolved_by: str | None
    version: int
    crs: str
    geometry: dict[str, Any] | None


class FindingPage(BaseModel):
    """A page of findings."""

    total: int
    limit: int
    offset: int
    items: list[FindingOut]


class Dismissal(BaseModel):
    """Why a finding is dismissed."""

    reason: str = Field(min_length=5, max_length=2000)
    expected_version: int | None = Field(default=None, description="optimistic locking")


class Edit(BaseModel):
    """Resolve by editing one of the finding's parcels by hand."""

    parcel_id: int
    note: str = Field(min_length=5, max_length=2000, description="what was changed and why")
    geometry: dict[str, Any] | None = Field(
        default=None,
        description="GeoJSON (Multi)Polygon, 2D, valid, in its commune; at most "
        "LANDREG_MAX_EDIT_VERTICES vertices",
    )
    crs: int = Field(default=4326, description="EPSG code of the geometry")
    store_as_drawn: bool = Field(
        default=False,
        description="keep an invalid geometry as drawn (a GEOM_INVALID finding is opened for "
        "the parcel) instead of having it refused with GEOS's reason",
    )
    legal_area: float | None = Field(default=None, gt=0, lt=1e8)
    land_use_code: str | None = Field(default=None, max_length=10)
    address: str | None = Field(default=None, max_length=500)
    expected_version: int | None = Field(default=None, description="optimistic locking")

    def changes(self, max_vertices: int) -> dict[str, Any]:
        """The parcel fields to change, and how a drawn boundary is to be taken."""
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("legal_area", "land_use_code", "address")
            if getattr(self, name) is not None
        }
        if self.geometry is not None:
            changes["geometry"] = boundary_from_geojson(self.geometry)
            changes["srid"] = self.crs
            changes["store_as_drawn"] = self.store_as_drawn
            changes["max_vertices"] = max_vertices
        if not changes:
            raise ValidationError(
                "nothing to change", field="geometry", detail_vi="không có gì để thay đổi"
            )
        return changes


class EditOut(FindingOut):
    """The finding the edit resolved, and the finding a boundary stored as drawn opened."""

    opened: FindingOut | None = Field(
        default=None, description="the GEOM_INVALID finding of a boundary stored as drawn"
    )


class Fix(BaseModel):
    """Apply the suggested fix."""

    expected_version: int | None = Field(default=None, description="optimistic locking")


def _out(finding: Finding, srid: int, out_srid: int) -> FindingOut:
    geometry = None
    if finding.location is not None:
        geometry = shapely.geometry.mapping(reproject(finding.location, srid, out_srid))
    data = {
        name: getattr(finding, name) for name in FindingOut.model_fields if hasattr(finding, name)
    }
    return FindingOut(**(data | {"crs": f"EPSG:{out_srid}", "geometry": geometry}))


@router.get("", response_model=FindingPage, responses=ERRORS, summary="Findings, filtered")
def list_findings(
    uow: UowDep,
    principal: InternalDep,
    rule: Annotated[str | None, Query(max_length=40)] = None,
    severity: Annotated[str | None, Query(pattern="^(error|warning)$")] = None,
    commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    status: Annotated[str, Query(pattern="^(open|closed|fixed|dismissed|all)$")] = "open",
    bbox: Annotated[
        str | None,
        Query(description="minx,miny,maxx,maxy in `bbox_crs`, at most 50 km", max_length=200),
    ] = None,
    bbox_crs: Annotated[int, Query(description=f"CRS of the box, {CRS_HELP}")] = 4326,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=LARGEST_OFFSET)] = 0,
    out_srid: OutCrs = 4326,
) -> FindingPage:
    """Open findings by default; filter by rule, severity, commune, status or a bounding box."""
    srid = uow.database.cadastral_srid
    checked_srid(out_srid, "crs", srid)
    checked_srid(bbox_crs, "bbox_crs", srid)
    area = None
    if bbox:
        area = box_in_crs(parse_box(bbox), bbox_crs, srid, max_span_m=MAX_BBOX_M, shown=bbox)
    total, found = queue.page(
        uow, rule=rule, severity=severity, commune=commune, status=status, area=area,
        limit=limit, offset=offset,
    )  # fmt: skip
    return FindingPage(
        total=total, limit=limit, offset=offset, items=[_out(f, srid, out_srid) for f in found]
    )


@router.get("/{finding_id}", response_model=FindingOut, responses=ERRORS, summary="A finding")
def one_finding(
    uow: UowDep,
    principal: InternalDep,
    finding_id: RowId,
    out_srid: OutCrs = 4326,
) -> FindingOut:
    """One finding with its location."""
    checked_srid(out_srid, "crs", uow.database.cadastral_srid)
    return _out(queue.one(uow, finding_id), uow.database.cadastral_srid, out_srid)


@router.post(
    "/{finding_id}/fix",
    response_model=FindingOut,
    responses=ERRORS,
    summary="Apply the suggested fix",
)
def fix_finding(uow: UowDep, principal: StaffDep, finding_id: RowId, body: Fix) -> FindingOut:
    """Apply the fix the finding suggests; the parcel it changes keeps its old version."""
    row = queue.apply_fix(
        uow, finding_id, actor=principal.name, expected_version=body.expected_version
    )
    return _out(row, uow.database.cadastral_srid, 4326)


@router.post(
    "/{finding_id}/edit",
    response_model=EditOut,
    responses=ERRORS,
    summary="Edit one of its parcels by hand",
)
def edit_finding(
    uow: UowDep, principal: StaffDep, request: Request, finding_id: RowId, body: Edit
) -> EditOut:
    """Change a parcel of the finding (boundary, legal area, land use, address) and close the
    finding as fixed; the parcel keeps its old version, both are audited.

    A boundary is checked as ingest checks one: a 2D (Multi)Polygon of finite coordinates,
    at most ``LANDREG_MAX_EDIT_VERTICES`` vertices, in its commune, and valid: an invalid one
    is refused with GEOS's reason and place, unless ``store_as_drawn`` keeps it as drawn with
    a GEOM_INVALID finding, given back as ``opened``.
    """
    max_vertices: int = request.app.state.settings.cadastre.max_edit_vertices
    row = queue.apply_edit(
        uow, finding_id, body.parcel_id, body.changes(max_vertices), body.note,
        actor=principal.name, expected_version=body.expected_version,
    )  # fmt: skip
    srid = uow.database.cadastral_srid
    edited = _out(row, srid, 4326)
    opened = None
    if body.geometry is not None and body.store_as_drawn:
        found = drawn_boundaries.invalid_finding_of(uow, body.parcel_id)
        opened = None if found is None else _out(found, srid, 4326)
    return EditOut(**edited.model_dump(), opened=opened)


@router.post(
    "/{finding_id}/dismiss",
    response_model=FindingOut,
    responses=ERRORS,
    summary="Dismiss with a reason",
)
def dismiss_finding(
    uow: UowDep, principal: StaffDep, finding_id: RowId, body: Dismissal
) -> FindingOut:
    """Dismiss a finding; it stays dismissed when reconciliation finds it again."""
    row = queue.dismiss(
        uow, finding_id, body.reason, actor=principal.name, expected_version=body.expected_version
    )
    return _out(row, uow.database.cadastral_srid, 4326)
