"""The findings work queue: list and filter, one finding, apply its fix or dismiss it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

import shapely
from geoalchemy2.shape import to_shape
from shapely.errors import GEOSException

from api.deps import UowDep
from api.schemas import Problem, UtcTime
from api.security import InternalDep, StaffDep
from landreg.errors import NotFoundError, ValidationError
from landreg.services import queue
from landreg.store.tables import FindingRow
from spatial.crs import crs_for, reproject

router = APIRouter(prefix="/findings", tags=["findings"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
}
MAX_BBOX_M = 50_000


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
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON (Multi)Polygon")
    crs: int = Field(default=4326, description="EPSG code of the geometry")
    legal_area: float | None = Field(default=None, gt=0, lt=1e8)
    land_use_code: str | None = Field(default=None, max_length=10)
    address: str | None = Field(default=None, max_length=500)
    expected_version: int | None = Field(default=None, description="optimistic locking")

    def changes(self) -> dict[str, Any]:
        """The parcel fields to change."""
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("legal_area", "land_use_code", "address")
            if getattr(self, name) is not None
        }
        if self.geometry is not None:
            try:
                changes["geometry"] = shapely.geometry.shape(self.geometry)
            except (GEOSException, ValueError, KeyError, TypeError, AttributeError):
                raise ValidationError(
                    "geometry must be a GeoJSON Polygon or MultiPolygon", field="geometry"
                ) from None
            changes["srid"] = self.crs
        if not changes:
            raise ValidationError("nothing to change", field="geometry")
        return changes


class Fix(BaseModel):
    """Apply the suggested fix."""

    expected_version: int | None = Field(default=None, description="optimistic locking")


def _out(row: FindingRow, srid: int, out_srid: int) -> FindingOut:
    geometry = None
    if row.geom is not None:
        geometry = shapely.geometry.mapping(reproject(to_shape(row.geom), srid, out_srid))
    data = {name: getattr(row, name) for name in FindingOut.model_fields if hasattr(row, name)}
    return FindingOut(**(data | {"crs": f"EPSG:{out_srid}", "geometry": geometry}))


@router.get("", response_model=FindingPage, responses=ERRORS, summary="Findings, filtered")
def list_findings(
    uow: UowDep,
    principal: InternalDep,
    rule: Annotated[str | None, Query(max_length=40)] = None,
    severity: Annotated[str | None, Query(pattern="^(error|warning)$")] = None,
    commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    status: Annotated[str, Query(pattern="^(open|closed|fixed|dismissed|all)$")] = "open",
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in `bbox_crs`")] = None,
    bbox_crs: int = 4326,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    out_srid: Annotated[int, Query(alias="crs")] = 4326,
) -> FindingPage:
    """Open findings by default; filter by rule, severity, commune, status or a bounding box."""
    crs_for(out_srid)
    statement = select(FindingRow)
    for column, value in (
        (FindingRow.rule, rule),
        (FindingRow.severity, severity),
        (FindingRow.commune_code, commune),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if status != "all":
        statement = statement.where(FindingRow.status == status)
    srid = uow.database.cadastral_srid
    if bbox:
        statement = statement.where(FindingRow.geom.ST_Intersects(_bbox(bbox, bbox_crs, srid)))
    total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = uow.session.scalars(statement.order_by(FindingRow.id).limit(limit).offset(offset))
    return FindingPage(
        total=total, limit=limit, offset=offset, items=[_out(row, srid, out_srid) for row in rows]
    )


def _bbox(text: str, bbox_srid: int, srid: int) -> Any:
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise ValidationError(
            "bbox must be four numbers: minx,miny,maxx,maxy", field="bbox", value=text
        ) from None
    if minx >= maxx or miny >= maxy:
        raise ValidationError("bbox minimum must be below its maximum", field="bbox", value=text)
    box = reproject(shapely.box(minx, miny, maxx, maxy), bbox_srid, srid)
    west, south, east, north = box.bounds
    if max(east - west, north - south) > MAX_BBOX_M:
        raise ValidationError(
            f"bbox may span at most {MAX_BBOX_M // 1000} km", field="bbox", value=text
        )
    return func.ST_GeomFromText(box.wkt, srid)


@router.get("/{finding_id}", response_model=FindingOut, responses=ERRORS, summary="A finding")
def one_finding(
    uow: UowDep,
    principal: InternalDep,
    finding_id: int,
    out_srid: Annotated[int, Query(alias="crs")] = 4326,
) -> FindingOut:
    """One finding with its location."""
    crs_for(out_srid)
    row = uow.session.get(FindingRow, finding_id)
    if row is None:
        raise NotFoundError(f"no finding {finding_id}", field="finding_id", value=finding_id)
    return _out(row, uow.database.cadastral_srid, out_srid)


@router.post(
    "/{finding_id}/fix",
    response_model=FindingOut,
    responses=ERRORS,
    summary="Apply the suggested fix",
)
def fix_finding(uow: UowDep, principal: StaffDep, finding_id: int, body: Fix) -> FindingOut:
    """Apply the fix the finding suggests; the parcel it changes keeps its old version."""
    row = queue.apply_fix(
        uow, finding_id, actor=principal.name, expected_version=body.expected_version
    )
    return _out(row, uow.database.cadastral_srid, 4326)


@router.post(
    "/{finding_id}/edit",
    response_model=FindingOut,
    responses=ERRORS,
    summary="Edit one of its parcels by hand",
)
def edit_finding(uow: UowDep, principal: StaffDep, finding_id: int, body: Edit) -> FindingOut:
    """Change a parcel of the finding (boundary, legal area, land use, address) and close the
    finding as fixed; the parcel keeps its old version, both are audited."""
    row = queue.apply_edit(
        uow, finding_id, body.parcel_id, body.changes(), body.note,
        actor=principal.name, expected_version=body.expected_version,
    )  # fmt: skip
    return _out(row, uow.database.cadastral_srid, 4326)


@router.post(
    "/{finding_id}/dismiss",
    response_model=FindingOut,
    responses=ERRORS,
    summary="Dismiss with a reason",
)
def dismiss_finding(
    uow: UowDep, principal: StaffDep, finding_id: int, body: Dismissal
) -> FindingOut:
    """Dismiss a finding; it stays dismissed when reconciliation finds it again."""
    row = queue.dismiss(
        uow, finding_id, body.reason, actor=principal.name, expected_version=body.expected_version
    )
    return _out(row, uow.database.cadastral_srid, 4326)
