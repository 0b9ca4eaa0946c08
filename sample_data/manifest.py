"""``manifest.json``: what every file of the data set is, and the vocabularies it uses."""

from __future__ import annotations

from sample_data.dossier_export import (
    CSV_COLUMNS,
    CSV_PATH,
    EVENT_COLUMNS,
    EVENTS_PATH,
    JSON_PATH,
    STATUS_CODE,
    STATUS_VI,
)
from sample_data.places import FOLK_TERMS, UNKNOWN_CODES
from sample_data.writers import FIXED_DATE

_JSON_FIELDS = {
    "stt": "stt", "code": "maHoSo", "procedure_code": "maThuTuc", "procedure_name": "tenThuTuc",
    "received_at": "ngayTiepNhan", "due": "ngayHenTra", "processed": "ngayHoanThanh",
    "returned": "ngayTraKetQua", "status": "trangThai (code) / tenTrangThai",
    "applicant": "chuHoSo.hoTen", "applicant_identity": "chuHoSo.soGiayTo",
    "phone": "chuHoSo.soDienThoai", "ref_commune": "thuaDat.xaPhuong", "ref_sheet": "thuaDat.soTo",
    "ref_number": "thuaDat.soThua", "ref_serial": "thuaDat.soSeri",
    "requested_use": "mucDichXinChuyen", "documents": "giayToNop", "history": "lichSu",
}  # fmt: skip


def _dossier_entries() -> list[dict]:
    common = {"kind": "dossiers", "declared_crs": None, "true_crs": None}
    return [
        {**common, "path": CSV_PATH, "format": "csv", "role": "dossiers", "years": [2021, 2022],
         "encoding": "UTF-8 with BOM", "delimiter": ";", "line_terminator": "CRLF",
         "row_id_field": "STT", "fields": CSV_COLUMNS,
         "notes": "dates dd/mm/yyyy; documents are procedures.toml codes joined by '|'"},
        {**common, "path": EVENTS_PATH, "format": "csv", "role": "dossier_history",
         "years": [2021, 2022], "encoding": "UTF-8 with BOM", "delimiter": ";",
         "line_terminator": "CRLF", "fields": EVENT_COLUMNS},
        {**common, "path": JSON_PATH, "format": "json", "role": "dossiers", "years": [2023],
         "encoding": "UTF-8", "row_id_field": "stt", "fields": _JSON_FIELDS,
         "status_codes": STATUS_CODE},
    ]  # fmt: skip


def dataset_manifest(seed: int, requested: int, entries: list[dict], parcels: int) -> dict:
    """The manifest document."""
    files = sorted(entries + _dossier_entries(), key=lambda e: e["path"])
    return {
        "name": "landreg sample data: Tây Ninh province (merged 1 July 2025)",
        "seed": seed,
        "parcels_requested": requested,
        "parcels": parcels,
        "fixed_file_date": "{:04d}-{:02d}-{:02d}".format(*FIXED_DATE),
        "files": files,
        "vocabularies": {
            "dossier_status_vi": STATUS_VI,
            "dossier_status_code": STATUS_CODE,
            "folk_land_use_terms": FOLK_TERMS,
            "unknown_land_use_codes_used": list(UNKNOWN_CODES),
            "legacy_land_use_codes": "landreg/reference/legacy_land_use_codes.csv",
        },
        "conventions": {
            "parcel_key": "commune code - sheet - parcel number (25459-3-45)",
            "area_tolerance": "legal vs measured area differ by less than 1 % unless planted",
            "shares": "shares of the holders of one certificate sum to 100",
            "couples": "a married couple is two rows at 50 % each",
            "register_snapshot": "holders of record; 2021-2023 dossier changes are not posted",
            "export_day": "2024-01-05 (dossier statuses are as of this day)",
        },
    }
