"""The register's overview: what it holds, counted (``/tong-quan-du-lieu``, linked from every
page's footer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import DatabaseDep
from api.pages.render import page
from landreg.services.database import describe

router = APIRouter(include_in_schema=False)
OVERVIEW_PATH = "/tong-quan-du-lieu"

LABELS = {
    "admin_unit": ("Đơn vị hành chính", "Administrative units"),
    "parcel": ("Thửa đất", "Parcels"),
    "map_strip": ("Đường, kênh trên bản đồ", "Roads and canals on the map"),
    "register_entry": ("Dòng sổ địa chính", "Land register entries"),
    "party": ("Chủ sử dụng", "Parties"),
    "land_right": ("Quyền sử dụng", "Rights"),
    "certificate": ("Giấy chứng nhận", "Certificates"),
    "restriction": ("Hạn chế (thế chấp, kê biên)", "Restrictions"),
    "dossier": ("Hồ sơ", "Dossiers"),
    "finding": ("Vấn đề dữ liệu", "Findings"),
    "source_batch": ("Lô dữ liệu nguồn", "Source batches"),
    "quarantine": ("Dòng bị cách ly", "Quarantined rows"),
}


@router.get(OVERVIEW_PATH, response_class=HTMLResponse)
def overview(request: Request, database: DatabaseDep) -> HTMLResponse:
    """What the register holds, as a page."""
    info = describe(database)
    counts = info.get("counts")
    if not isinstance(counts, dict):  # no schema yet: nothing counted
        counts = {}
    rows = [(vi, en, int(counts.get(name, 0))) for name, (vi, en) in LABELS.items()]
    return page(
        request, "overview.html", rows=rows, backend=str(info["backend"]),
        revision=str(info.get("schema_revision")), srid=str(info.get("cadastral_srid", "?")),
    )  # fmt: skip
