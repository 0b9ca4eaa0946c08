"""Which commune comes in which format, CRS and encoding, and each source's field names.

The layout mirrors what the merged province really receives: former Tây Ninh maps in
EPSG:9209 with CamelCase fields, former Long An maps in EPSG:9210 with snake_case fields,
a few Shapefiles from old tools (legacy encodings, hand-written ``.prj``), one GeoJSON
export in WGS 84, one file with the towgs84 sign error and one in the wrong CRS.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sample_data.units import communes, former_units

# Canonical column → field name in each map schema.
MAP_FIELDS = {
    "tn": {
        "objectid": "OBJECTID", "commune_code": "MaXa", "sheet": "SoTo", "number": "SoThua",
        "area_attr": "DienTich", "land_use": "LoaiDat", "old_sheet": "SoToCu",
        "old_number": "SoThuaCu", "parent": "ThuaGoc", "address": "DiaChi",
    },
    "la": {
        "objectid": "objectid", "commune_code": "ma_xa", "sheet": "so_to_bd", "number": "so_thua",
        "area_attr": "dt_phaply", "land_use": "mdsd", "old_sheet": "so_to_cu",
        "old_number": "so_thua_cu", "parent": "thua_goc", "address": "dia_chi",
    },
}  # fmt: skip
STRIP_FIELDS = {
    "tn": {"objectid": "OBJECTID", "commune_code": "MaXa", "kind": "Loai", "width": "BeRong",
           "land_use": "LoaiDat"},
    "la": {"objectid": "objectid", "commune_code": "ma_xa", "kind": "loai", "width": "be_rong",
           "land_use": "mdsd"},
}  # fmt: skip
SHEET_FIELDS = {
    "tn": {"commune_code": "MaXa", "sheet": "SoTo", "scale": "TyLe"},
    "la": {"commune_code": "ma_xa", "sheet": "so_to_bd", "scale": "ty_le"},
}
LAYERS = {
    "tn": {"parcels": "ThuaDat", "roads_canals": "GiaoThongThuyLoi", "sheets": "ToBanDo"},
    "la": {"parcels": "thua_dat", "roads_canals": "giao_thong_thuy_loi", "sheets": "to_ban_do"},
}
STRIP_KIND_VI = {"road": "Đường giao thông", "canal": "Kênh mương", "verge": "Đất lề đường"}


@dataclass(frozen=True)
class CommunePlan:
    """How one commune's cadastral map is delivered."""

    code: str
    name: str
    urban: bool
    weight: float
    per_sheet: int
    resurveyed: bool
    native_srid: int
    map_format: str  # gpkg, shapefile, geojson
    coords: int | str  # CRS the coordinates are really in
    declared: str  # what the file says about its CRS
    encoding: str
    cpg: str | None
    remote: bool

    @property
    def schema(self) -> str:
        """Field-name schema: ``tn`` (former Tây Ninh) or ``la`` (former Long An)."""
        return "tn" if self.native_srid == 9209 else "la"

    @property
    def slug(self) -> str:
        """ASCII file-name stem: ``25459_phuong_tan_ninh``."""
        return f"{self.code}_{ascii_slug(self.name)}"

    @property
    def folder(self) -> str:
        """``maps/tay_ninh_cu`` or ``maps/long_an_cu``."""
        return "maps/tay_ninh_cu" if self.schema == "tn" else "maps/long_an_cu"


def ascii_slug(text: str) -> str:
    """Lower-case ASCII with underscores: "Phường Tân Ninh" → "phuong_tan_ninh"."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return "_".join(plain.split())


# Special deliveries: (format, coordinates' true CRS, declared CRS, encoding, .cpg content).
_SPECIAL = {
    "25630": ("shapefile", 9209, "custom .prj (VN-2000 TM-3 105°30′, correct)", "TCVN3", None),
    "25567": ("shapefile", "9209_sign_error", "custom .prj with towgs84 rotation signs flipped",
              "UTF-8", "UTF-8"),
    "27790": ("shapefile", 9210, "custom .prj (VN-2000 TM-3 105°45′, correct)", "VNI", "UTF-8"),
    "25480": ("gpkg", 3405, "EPSG:9209", "UTF-8", None),
    "27736": ("geojson", 4326, "WGS 84 (RFC 7946, no crs member)", "UTF-8", None),
}  # fmt: skip
_WEIGHTS = {"25459": 1.2, "27712": 1.2, "25645": 1.5}
_PER_SHEET = {"25645": 1500}
_RESURVEYED = {"25459", "25630", "25645", "27712", "27925", "28246", "27790"}
PLANNING_COMMUNE = "25645"
ORTHOPHOTO_COMMUNE = "25459"
GEOJSON_COMMUNE = "27736"
MIN_BIG_SHEET = 1100  # the planning commune's single big sheet numbers parcels past 1,000


def commune_plans() -> list[CommunePlan]:
    """The delivery plan of every commune and ward, sorted by code."""
    plans = []
    for code in sorted(former_units()):
        unit = communes()[code]
        urban = unit.level == "ward"
        native = unit.cadastral_srid or 9209
        fmt, coords, declared, encoding, cpg = _SPECIAL.get(
            code, ("gpkg", native, f"EPSG:{native}", "UTF-8", None)
        )
        plans.append(
            CommunePlan(
                code, unit.name, urban, _WEIGHTS.get(code, 0.8 if urban else 1.0),
                _PER_SHEET.get(code, 70 if urban else 120), code in _RESURVEYED, native,
                fmt, coords, declared, encoding, cpg, unit.remote,
            )
        )  # fmt: skip
    return plans


def parcel_targets(plans: list[CommunePlan], total: int) -> dict[str, int]:
    """Parcels per commune: proportional to weight; the planning commune gets at least
    ``MIN_BIG_SHEET`` (capped at 40 % of the total) so its big sheet passes 1,000."""
    weights = {p.code: p.weight for p in plans}
    big = min(max(MIN_BIG_SHEET, round(total * weights[PLANNING_COMMUNE] / sum(weights.values()))),
              int(total * 0.4))  # fmt: skip
    rest = {c: w for c, w in weights.items() if c != PLANNING_COMMUNE}
    scale = (total - big) / sum(rest.values())
    targets = {c: max(20, round(w * scale)) for c, w in rest.items()}
    targets[PLANNING_COMMUNE] = big
    return dict(sorted(targets.items()))


def per_sheet(plan: CommunePlan, target: int) -> int:
    """Parcels per sheet: the planning commune has one big 1:5000 sheet in the small set."""
    if plan.code == PLANNING_COMMUNE:
        return max(plan.per_sheet, target + 1) if target <= 2 * MIN_BIG_SHEET else plan.per_sheet
    return max(plan.per_sheet, target // 400)
