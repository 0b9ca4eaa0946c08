"""Web pages for people: the register's overview, in Vietnamese with English alongside."""

from __future__ import annotations

from html import escape
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

import landreg
from api.deps import DatabaseDep
from landreg.services.database import describe

router = APIRouter(include_in_schema=False)

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

PAGE = Template("""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>landreg — Sổ địa chính điện tử</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:52rem;padding:1rem;color:#1d2733}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}
td,th{padding:.4rem .6rem;border-bottom:1px solid #dde3ea;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.en{color:#5b6b7c;font-size:.9em}
</style></head><body>
<h1>landreg — Hệ thống đăng ký đất đai <span class="en">/ land registration</span></h1>
<p>Cơ sở dữ liệu: <b>$backend</b> · phiên bản lược đồ $revision · hệ tọa độ EPSG:$srid
<span class="en">(database, schema revision, cadastral CRS)</span></p>
<table><tr><th>Dữ liệu <span class="en">/ data</span></th>
<th>Số bản ghi <span class="en">/ records</span></th></tr>
$rows</table>
<p><a href="/docs">API (OpenAPI)</a> · <a href="/health">health</a> · landreg $version</p>
</body></html>""")


@router.get("/", response_class=HTMLResponse)
def overview(database: DatabaseDep) -> HTMLResponse:
    """What the register holds, as a page."""
    info = describe(database)
    counts = info.get("counts")
    if not isinstance(counts, dict):  # no schema yet: nothing counted
        counts = {}
    rows = "\n".join(
        f"<tr><td>{escape(vi)} <span class='en'>/ {escape(en)}</span></td>"
        f"<td class='n'>{int(counts.get(name, 0)):,}</td></tr>"
        for name, (vi, en) in LABELS.items()
    )
    html = PAGE.substitute(
        backend=escape(str(info["backend"])),
        revision=escape(str(info.get("schema_revision"))),
        srid=escape(str(info.get("cadastral_srid", "?"))),
        rows=rows,
        version=landreg.__version__,
    )
    return HTMLResponse(html)
