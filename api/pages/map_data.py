"""The data of the cadastral staff's map (``/app/ban-do/...``): vector tiles, the register's
revision and open counts, search, a parcel's record as a fragment and its boundary, the
findings queue, a fix's preview, the three actions, and the queue's export.

These answer the map's page with the session cookie (the only credential a page has), so
they live under ``/app``: JSON and tiles for registry officers, cadastral staff and
administrators; the actions for cadastral staff and administrators, with the session's form
token in ``X-Form-Token``. Refusals are problem+json, never a redirect. Each reads or acts
through the same services as the API (``queue``, ``parcel_record``, ``register``,
``export``); coordinates sent to the browser are WGS 84 longitude/latitude.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

import shapely

from api.deps import UowDep, reads_of
from api.pages.render import LOCAL_ZONE, language, page, translator
from api.pages.session import MapData, MapEdit
from api.params import LARGEST_OFFSET, RowId
from api.routes.findings import BoundedBodyRoute
from api.routes.tiles import MAX_ZOOM, MVT, check_tile
from landreg.domain.map_features import MapLayerName
from landreg.domain.model import Finding, Parcel
from landreg.services import UnitOfWork, map_search, map_workbench, queue
from landreg.services.export import findings_table, write_findings
from spatial.crs import reproject
from spatial.edits import boundary_from_geojson

router = APIRouter(include_in_schema=False, route_class=BoundedBodyRoute)

PREFIX = "/app/ban-do"
NO_STORE = {"Cache-Control": "no-store"}
Layer = Annotated[str, PathParam(pattern="^(parcels|findings|communes|strips)$")]
Zoom = Annotated[int, PathParam(ge=0, le=MAX_ZOOM)]
TileIndex = Annotated[int, PathParam(ge=0, le=2**MAX_ZOOM - 1)]
RuleFilter = Annotated[str | None, Query(max_length=40)]
SeverityFilter = Annotated[str | None, Query(pattern="^(error|warning)$")]
CommuneFilter = Annotated[str | None, Query(pattern=r"^\d{5}$")]
StatusFilter = Annotated[str, Query(pattern="^(open|fixed|dismissed|closed|all)$")]
Day = Annotated[date | None, Query(description="a day in Viet Nam, YYYY-MM-DD")]


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers=NO_STORE)


# --- tiles and the register's state -------------------------------------------------------


@router.get(PREFIX + "/tiles/{layer}/{z}/{x}/{y}.pbf")
async def map_tile(
    request: Request, _: MapData, layer: Layer, z: Zoom, x: TileIndex, y: TileIndex
) -> Response:
    """A vector tile of parcels, open findings or communes (no holder, no identity number);
    204 when nothing is in it. Private: a shared cache never keeps it."""
    check_tile(z, x, y)
    data = await reads_of(request).tiles.tile(MapLayerName(layer), z, x, y)
    headers = {"Cache-Control": "private, no-cache"}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


@router.get(PREFIX + "/trang-thai")
def map_state(uow: UowDep, _: MapData) -> JSONResponse:
    """The register's revision (changes with any change of a parcel or finding) and the open
    findings counted: the page asks every half minute and redraws when it changed."""
    return _json(_state(uow))


def _state(uow: UnitOfWork) -> dict[str, int]:
    state = map_workbench.revision(uow)
    return {
        "revision": state.revision,
        "open": state.open,
        "open_errors": state.open_errors,
        "open_warnings": state.open_warnings,
    }


# --- search, a parcel ------------------------------------------------------------------------


@router.get(PREFIX + "/tim")
def map_search_box(
    uow: UowDep, _: MapData, q: Annotated[str, Query(max_length=200)] = ""
) -> JSONResponse:
    """At most ten parcels a parcel key (new or old numbers), certificate serial or address
    fragment may mean, each with where to fly to."""
    hits = map_search.search(uow, q)
    items = [
        {
            "kind": hit.kind,
            "label_vi": hit.label_vi,
            "label_en": hit.label_en,
            "parcel_id": hit.parcel_id,
            "bbox": list(hit.bounds) if hit.bounds else None,
        }
        for hit in hits
    ]
    return _json({"items": items})


@router.get(PREFIX + "/thua/{parcel_id:int}.geojson")
def parcel_geojson(uow: UowDep, _: MapData, parcel_id: RowId, at: Day = None) -> JSONResponse:
    """The parcel's boundary in force on ``at`` (now by default), as a GeoJSON Feature."""
    parcel = map_workbench.parcel_on(uow, parcel_id, at)
    srid = uow.database.cadastral_srid
    feature = _parcel_feature(parcel, srid)
    label_vi, _en = map_search.parcel_label(parcel)
    feature["properties"] = {
        "id": parcel.id,
        "version": parcel.version,
        "key_vi": label_vi,
        "commune_code": parcel.commune_code,
        "map_sheet": parcel.map_sheet,
        "parcel_number": parcel.parcel_number,
    }
    bounds = map_search.bounds_of(parcel, srid)
    feature["bbox"] = list(bounds) if bounds else None
    return _json(feature)


@router.get(PREFIX + "/thua/{parcel_id:int}")
def parcel_fragment(
    request: Request, uow: UowDep, _: MapData, parcel_id: RowId, at: Day = None
) -> Response:
    """The parcel as a fragment of HTML: its record as on the dossier page, each value with
    its file and row; on ``at``, the version in force that day; its open findings; its
    history; its source records."""
    view = map_workbench.parcel_view(uow, parcel_id, at)
    t = translator(language(request))
    current: Parcel = view.record["parcel"]
    title_vi, title_en = map_search.parcel_label(current)
    return page(
        request, "parcel_fragment.html", view=view, title=t(title_vi, title_en),
        history_dates=json.dumps([d.isoformat() for d in view.history_dates]),
        versions=[_version_shown(v) for v in view.versions], shown=_moments(view.shown),
        sources=_sources(view.record, t),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Shown:
    """A version's moments as the page writes them (aware, so shown in Viet Nam's time)."""

    version: int
    valid_from: datetime | None
    valid_to: datetime | None
    who: str | None
    why_vi: str
    why_en: str


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC).astimezone(LOCAL_ZONE)


def _version_shown(entry: map_workbench.VersionEntry) -> _Shown:
    return _Shown(
        entry.version, _aware(entry.valid_from), _aware(entry.valid_to), entry.who,
        entry.why_vi, entry.why_en,
    )  # fmt: skip


def _moments(parcel: Parcel) -> dict[str, Any]:
    return {
        "version": parcel.version, "reference": parcel.reference,
        "national_id": parcel.national_id,
        "legal_area": parcel.legal_area, "measured_area": parcel.measured_area,
        "land_use_code": parcel.land_use, "map_land_use_code": parcel.land_use_code,
        "address": parcel.address, "valid_from": _aware(parcel.valid_from),
        "valid_to": _aware(parcel.valid_to),
    }  # fmt: skip


def _sources(record: dict[str, Any], t: Any) -> list[dict[str, Any]]:
    """The source records behind the record: the map's feature, the register's rows."""
    found: dict[tuple[Any, Any], dict[str, Any]] = {}
    origin = record["fields"]["key"]["from"]
    if origin and (origin.get("file") or origin.get("source")):
        found[(origin.get("file"), origin.get("row"))] = {
            **origin, "what": t("Thửa trên bản đồ địa chính", "Parcel on the cadastral map")
        }  # fmt: skip
    for holder in record["holders"]:
        origin = holder["from"]
        if origin and (origin.get("file") or origin.get("source")):
            found.setdefault(
                (origin.get("file"), origin.get("row")),
                {**origin, "what": t("Dòng sổ địa chính", "Land register row")},
            )
    return list(found.values())


def _parcel_feature(parcel: Parcel, srid: int) -> dict[str, Any]:
    geometry = None
    if parcel.geometry is not None and not parcel.geometry.is_empty:
        geometry = shapely.geometry.mapping(reproject(parcel.geometry, srid, 4326))
    return {"type": "Feature", "id": parcel.id, "geometry": geometry, "properties": {}}


# --- the findings queue --------------------------------------------------------------------


@router.get(PREFIX + "/loc")
def finding_filters(_: MapData) -> JSONResponse:
    """What the queue can be filtered by: rules, communes, severities."""
    choices = map_workbench.filter_choices()
    return _json(
        {
            "rules": [{"code": c, "vi": vi, "en": en} for c, vi, en in choices.rules],
            "communes": [{"code": c, "name": name} for c, name in choices.communes],
            "severities": [{"code": c, "vi": vi, "en": en} for c, vi, en in choices.severities],
        }
    )


@router.get(PREFIX + "/phat-hien")
def finding_list(
    uow: UowDep,
    _: MapData,
    rule: RuleFilter = None,
    severity: SeverityFilter = None,
    commune: CommuneFilter = None,
    status: StatusFilter = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=LARGEST_OFFSET)] = 0,
) -> JSONResponse:
    """A page of findings, filtered, each with its geometry and where to zoom."""
    total, found = queue.page(
        uow, rule=rule, severity=severity, commune=commune, status=status, limit=limit,
        offset=offset,
    )  # fmt: skip
    return _json({"total": total, "items": _items(uow, found)})


@router.get(PREFIX + "/phat-hien/{finding_id}")
def finding_one(uow: UowDep, _: MapData, finding_id: RowId) -> JSONResponse:
    """One finding, whatever its status."""
    return _json(_items(uow, [queue.one(uow, finding_id)])[0])


def _items(uow: UnitOfWork, findings: list[Finding]) -> list[dict[str, Any]]:
    srid = uow.database.cadastral_srid
    bounds = map_workbench.finding_bounds(uow, findings)
    return [_item(finding, srid, bounds.get(finding.id or 0)) for finding in findings]


def _item(finding: Finding, srid: int, bounds: tuple[float, ...] | None) -> dict[str, Any]:
    rule_vi, rule_en = map_workbench.rule_names(finding.rule)
    fix = map_workbench.fix_names(finding)
    geometry = None
    if finding.location is not None and not finding.location.is_empty:
        geometry = shapely.geometry.mapping(reproject(finding.location, srid, 4326))
    return {
        "id": finding.id, "rule": finding.rule, "rule_vi": rule_vi, "rule_en": rule_en,
        "severity": finding.severity, "status": finding.status,
        "commune_code": finding.commune_code, "message_vi": finding.message_vi,
        "message_en": finding.message_en, "version": finding.version,
        "parcel_ids": list(dict.fromkeys(finding.parcel_ids)),
        "fix": None if fix is None else {"label_vi": fix[0], "label_en": fix[1]},
        "geometry": geometry, "bbox": list(bounds) if bounds else None,
    }  # fmt: skip


@router.get(PREFIX + "/phat-hien/{finding_id}/xem-truoc")
def fix_preview(uow: UowDep, _: MapData, finding_id: RowId) -> JSONResponse:
    """The finding's parcels before and after its suggested fix (nothing stored); 422 when
    the finding has no automatic fix."""
    preview = queue.preview_fix(uow, finding_id)
    srid = uow.database.cadastral_srid
    fix = map_workbench.fix_names(preview.finding)

    def collection(parcels: list[Parcel]) -> dict[str, Any]:
        features = []
        for parcel in parcels:
            feature = _parcel_feature(parcel, srid)
            changed = parcel.id in preview.changed
            feature["properties"] = {
                "id": parcel.id, "key": parcel.reference, "version": parcel.version,
                "land_use_code": parcel.land_use_code,
                "area": None if parcel.geometry is None else round(parcel.geometry.area, 2),
                "change": "retired" if parcel.id in preview.retired
                else "changed" if changed else "unchanged",
            }  # fmt: skip
            features.append(feature)
        return {"type": "FeatureCollection", "features": features}

    return _json(
        {
            "finding_id": finding_id,
            "fix": None if fix is None else {"label_vi": fix[0], "label_en": fix[1]},
            "before": collection(preview.before),
            "after": collection(preview.after),
        }
    )


class FixBody(BaseModel):
    """Apply the suggested fix of the finding at the version the page showed."""

    expected_version: int


class EditBody(BaseModel):
    """Redraw one of the finding's parcels (WGS 84) and say what was changed."""

    parcel_id: int = Field(ge=1)
    geometry: dict[str, Any]
    note: str = Field(max_length=2000)
    expected_version: int


class DismissBody(BaseModel):
    """Dismiss the finding, saying why."""

    reason: str = Field(max_length=2000)
    expected_version: int


@router.post(PREFIX + "/phat-hien/{finding_id}/sua")
def fix_finding(uow: UowDep, staff: MapEdit, finding_id: RowId, body: FixBody) -> JSONResponse:
    """Apply the suggested fix (as ``POST /findings/{id}/fix``): audited, the parcel gets
    a new version; a stale version or a closed finding is a conflict (409)."""
    done = queue.apply_fix(
        uow, finding_id, actor=staff.name, expected_version=body.expected_version
    )
    return _acted(uow, done)


@router.post(PREFIX + "/phat-hien/{finding_id}/chinh-tay")
def edit_finding(
    request: Request, uow: UowDep, staff: MapEdit, finding_id: RowId, body: EditBody
) -> JSONResponse:
    """Redraw a parcel of the finding by hand (as ``POST /findings/{id}/edit``): the boundary
    is checked as ingest checks one; an invalid one is refused (422) with GEOS's reason and
    place in Vietnamese, and nothing is stored."""
    changes = {
        "geometry": boundary_from_geojson(body.geometry),
        "srid": 4326,
        "store_as_drawn": False,
        "max_vertices": request.app.state.settings.cadastre.max_edit_vertices,
    }
    done = queue.apply_edit(
        uow, finding_id, body.parcel_id, changes, body.note, actor=staff.name,
        expected_version=body.expected_version,
    )  # fmt: skip
    return _acted(uow, done)


@router.post(PREFIX + "/phat-hien/{finding_id}/bo-qua")
def dismiss_finding(
    uow: UowDep, staff: MapEdit, finding_id: RowId, body: DismissBody
) -> JSONResponse:
    """Dismiss the finding with the reason (as ``POST /findings/{id}/dismiss``)."""
    done = queue.dismiss(
        uow, finding_id, body.reason, actor=staff.name, expected_version=body.expected_version
    )
    return _acted(uow, done)


def _acted(uow: UnitOfWork, finding: Finding) -> JSONResponse:
    """The finding as the action left it, and the register's revision after it."""
    return _json({"finding": _items(uow, [finding])[0], "revision": _state(uow)["revision"]})


# --- the export ----------------------------------------------------------------------------

_MEDIA = {"gpkg": "application/geopackage+sqlite3", "csv": "text/csv; charset=utf-8"}


@router.get(PREFIX + "/xuat.gpkg")
def export_gpkg(
    uow: UowDep, _: MapData, rule: RuleFilter = None, severity: SeverityFilter = None,
    commune: CommuneFilter = None, status: StatusFilter = "open",
) -> Response:  # fmt: skip
    """The findings of the queue's filter as a GeoPackage (cadastral CRS; opens in QGIS)."""
    return _export(uow, "gpkg", rule, severity, commune, status)


@router.get(PREFIX + "/xuat.csv")
def export_csv(
    uow: UowDep, _: MapData, rule: RuleFilter = None, severity: SeverityFilter = None,
    commune: CommuneFilter = None, status: StatusFilter = "open",
) -> Response:  # fmt: skip
    """The findings of the queue's filter as CSV (UTF-8, the location as WKT)."""
    return _export(uow, "csv", rule, severity, commune, status)


def _export(
    uow: UnitOfWork, fmt: str, rule: str | None, severity: str | None, commune: str | None,
    status: str,
) -> Response:  # fmt: skip
    table = findings_table(
        uow, rule=rule, status=None if status == "all" else status, commune=commune
    )
    if severity is not None:
        table = table[table["severity"] == severity]
    stamp = datetime.now(LOCAL_ZONE).strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryDirectory(prefix="landreg-export-") as folder:
        path = write_findings(table, Path(folder) / f"phat-hien.{fmt}", fmt)
        data = path.read_bytes()
    headers = {
        "Content-Disposition": f'attachment; filename="phat-hien-{stamp}.{fmt}"',
        **NO_STORE,
    }
    return Response(data, media_type=_MEDIA[fmt], headers=headers)
