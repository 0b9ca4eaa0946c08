"""The cadastral map workbench at ``/app/ban-do``: the register's own vector tiles, the
findings queue beside them, a parcel's record when it is clicked.

The page is one HTML document; ``api/static/js/map.js`` draws the map (MapLibre GL JS, vendored,
with a style of its own that loads nothing from outside landreg) and calls the map's data under
``/app/ban-do/...`` (:mod:`api.pages.map_data`) with the session cookie. Cadastral staff and
administrators see the actions (apply the suggested fix, edit a boundary by hand, dismiss);
registry officers read. Every text the script shows comes from here, in the page's language.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ReadsDep
from api.pages.render import language, page
from api.pages.session import MAP_EDITORS, MapPage, csrf_of
from landreg.domain.map_features import MapLayerName

router = APIRouter(include_in_schema=False)

# Parcels are coloured by groups of land-use codes (Circular 08/2024 Appendix II, with the
# legacy codes still on old maps): key, Vietnamese and English names, fill colour, codes.
LAND_USE_GROUPS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("residential", "Đất ở", "Residential", "#f4a6b7", ("ONT", "ODT")),
    ("rice", "Đất trồng lúa", "Rice", "#f5e663", ("LUA", "LUC", "LUK", "LUN")),
    ("annual", "Đất trồng cây hằng năm khác", "Other annual crops", "#e9d7a6",
     ("BHK", "HNK", "NHK")),
    ("perennial", "Đất trồng cây lâu năm", "Perennial crops", "#e3a857",
     ("CLN", "LNQ", "LNC", "LNK")),
    ("forest", "Đất rừng", "Forest", "#6fb86c", ("RSX", "RPH", "RDD")),
    ("road", "Đất giao thông", "Roads", "#a3a3a3", ("DGT",)),
    ("water", "Đất thủy lợi, sông, mặt nước", "Canals and water", "#6fa8dc",
     ("DTL", "SON", "MNC")),
)  # fmt: skip
OTHER_LAND_USE = ("other", "Đất khác", "Other land", "#cfc7dd")
SEVERITY_COLOURS = {"error": "#c4161c", "warning": "#e8a317"}
# Below this zoom the tiles carry no parcels (too many to draw); the page says so.
PARCELS_FROM_ZOOM = 13
# Where the map opens when the register holds nothing yet: the province (Tây Ninh).
PROVINCE_BOUNDS = (105.8, 10.4, 106.8, 11.8)

# The texts the script writes into the page: (Vietnamese, English).
SCRIPT_TEXTS: dict[str, tuple[str, str]] = {
    "loading": ("Đang tải…", "Loading…"),
    "load_failed": ("Không tải được dữ liệu; hãy thử lại", "could not load the data; try again"),
    "no_results": ("Không tìm thấy thửa đất nào khớp", "no parcel matches"),
    "results": ("Kết quả tìm kiếm", "Search results"),
    "count_open": ("Đang mở", "Open"),
    "count_errors": ("lỗi", "errors"),
    "count_warnings": ("cảnh báo", "warnings"),
    "matched": ("phát hiện khớp bộ lọc", "findings match the filter"),
    "none_matched": ("Không có phát hiện nào khớp bộ lọc", "no finding matches the filter"),
    "page": ("Trang", "Page"),
    "of": ("trên", "of"),
    "previous": ("Trang trước", "Previous page"),
    "next": ("Trang sau", "Next page"),
    "all": ("Tất cả", "All"),
    "commune": ("Xã, phường", "Commune"),
    "parcels": ("Thửa", "Parcels"),
    "finding": ("Phát hiện", "Finding"),
    "status_open": ("Đang mở", "Open"),
    "status_fixed": ("Đã sửa", "Fixed"),
    "status_dismissed": ("Đã bỏ qua", "Dismissed"),
    "status_closed": ("Đã đóng", "Closed"),
    "suggested_fix": ("Cách sửa đề xuất", "Suggested fix"),
    "apply_fix": ("Áp dụng cách sửa đề xuất", "Apply the suggested fix"),
    "edit_by_hand": ("Sửa ranh giới bằng tay", "Edit the boundary by hand"),
    "dismiss": ("Bỏ qua", "Dismiss"),
    "preview_title": ("Xem trước cách sửa", "Preview of the fix"),
    "before": ("Trước khi sửa", "Before"),
    "after": ("Sau khi sửa", "After"),
    "confirm_fix": ("Xác nhận áp dụng", "Confirm and apply"),
    "cancel": ("Huỷ", "Cancel"),
    "fixed": (
        "Đã áp dụng cách sửa; phát hiện đã đóng",
        "The fix was applied; the finding is closed",
    ),
    "edit_title": ("Sửa ranh giới thửa", "Edit the parcel's boundary"),
    "edit_help": (
        "Kéo các đỉnh trên bản đồ; bấm vào điểm giữa một cạnh để thêm đỉnh.",
        "Drag the vertices on the map; click the middle of an edge to add one.",
    ),
    "edit_parcel": ("Thửa cần sửa", "Parcel to edit"),
    "note": ("Ghi chú (vì sao sửa, ít nhất 5 ký tự)", "Note (why, at least 5 characters)"),
    "save": ("Lưu ranh giới", "Save the boundary"),
    "saved": ("Đã lưu ranh giới mới của thửa", "The parcel's new boundary was saved"),
    "note_short": ("Hãy ghi chú ít nhất 5 ký tự", "write a note of at least 5 characters"),
    "reason": ("Lý do bỏ qua (ít nhất 5 ký tự)", "Reason for dismissing (at least 5 characters)"),
    "confirm_dismiss": ("Bỏ qua phát hiện", "Dismiss the finding"),
    "dismissed": ("Đã bỏ qua phát hiện", "The finding was dismissed"),
    "reason_short": ("Hãy ghi lý do ít nhất 5 ký tự", "write a reason of at least 5 characters"),
    "conflict": (
        "Phát hiện này vừa được người khác thay đổi; danh sách đã được tải lại",
        "someone else has just changed this finding; the list was reloaded",
    ),
    "no_fix": ("Phát hiện này không có cách sửa đề xuất", "this finding has no suggested fix"),
    "read_only": ("Tài khoản này chỉ xem", "this account only reads"),
    "opened_parcel": ("Đang xem", "Showing"),
    "as_of": ("Xem theo ngày", "As of date"),
    "as_of_hint": (
        "Kéo để xem hồ sơ và ranh giới thửa theo từng phiên bản",
        "Drag to see the parcel's record and boundary version by version",
    ),
    "today": ("hiện nay", "now"),
    "close": ("Đóng", "Close"),
    "zoom_to": ("Phóng tới phát hiện", "Zoom to the finding"),
    "parcel_short": ("thửa", "parcel"),
    "sheet_short": ("tờ", "sheet"),
    "map": ("Bản đồ địa chính", "Cadastral map"),
    "zoom_in": ("Phóng to", "Zoom in"),
    "zoom_out": ("Thu nhỏ", "Zoom out"),
    "reset_north": ("Quay về hướng bắc", "Reset bearing to north"),
    "updated": ("Bản đồ đã cập nhật thay đổi mới", "The map shows the latest changes"),
}


def _texts(lang: str) -> dict[str, str]:
    return {key: (en if lang == "en" else vi) for key, (vi, en) in SCRIPT_TEXTS.items()}


def land_use_legend(lang: str) -> list[dict[str, Any]]:
    """The land-use groups as the legend and the style use them: key, name, colour, codes."""
    groups = [*LAND_USE_GROUPS, (*OTHER_LAND_USE, ())]
    return [
        {"key": key, "name": en if lang == "en" else vi, "colour": colour, "codes": list(codes)}
        for key, vi, en, colour, codes in groups
    ]


@router.get("/app/ban-do")
async def map_workbench(request: Request, reads: ReadsDep, person: MapPage) -> Response:
    """The map, the findings queue and the parcel panel, opened on the register's extent."""
    lang = language(request)
    bounds = await reads.map.extent(MapLayerName.PARCELS) or PROVINCE_BOUNDS
    may_edit = person.may(*MAP_EDITORS)
    config = {
        "lang": lang,
        "bounds": list(bounds),
        "mayEdit": may_edit,
        "parcelsFromZoom": PARCELS_FROM_ZOOM,
        "landUse": land_use_legend(lang),
        "severityColours": SEVERITY_COLOURS,
        "texts": _texts(lang),
    }
    return page(
        request, "map.html", officer=person, csrf=csrf_of(request), config=config,
        may_edit=may_edit, legend=config["landUse"], severity_colours=SEVERITY_COLOURS,
    )  # fmt: skip
