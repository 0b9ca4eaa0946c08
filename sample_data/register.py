"""The land register ("sổ địa chính") rows, their planted defects, and the two exports.

Former Tây Ninh communes come as one CSV (UTF-8 with BOM, comma), former Long An communes
as one XLSX with a worksheet per commune; each uses its own column headings. One row per
(parcel, holder); a parcel absent from the register has no row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sample_data.parties import HOLDER_KINDS_VI
from sample_data.people import invalid_identity_numbers
from sample_data.writers import write_csv
from sample_data.xlsx import write_xlsx

REGISTER_KINDS = (
    "duplicate_parcel_key", "register_without_map", "invalid_identity_number", "missing_owner",
    "shares_not_100", "duplicate_certificate_serial",
)  # fmt: skip
TN_COLUMNS = {
    "stt": "STT", "commune_code": "Mã xã", "sheet_text": "Số tờ", "number_text": "Số thửa",
    "old_sheet": "Số tờ cũ", "old_number": "Số thửa cũ", "legal_area": "Diện tích pháp lý",
    "land_use_text": "Mục đích sử dụng", "term": "Thời hạn sử dụng", "holder_name": "Chủ sử dụng",
    "holder_kind": "Loại chủ", "identity": "Số CCCD", "birth_year": "Năm sinh",
    "tax_code": "Mã số thuế", "parcel_address": "Địa chỉ thửa đất", "share": "Tỷ lệ sở hữu (%)",
    "serial": "Số phát hành GCN", "entry_number": "Số vào sổ", "issued": "Ngày cấp GCN",
    "mortgage_bank": "Thế chấp tại", "mortgage_date": "Ngày đăng ký thế chấp",
    "seizure": "Kê biên", "parent_key": "Thửa gốc",
}  # fmt: skip
LA_COLUMNS = {
    "stt": "STT", "commune_code": "Mã ĐVHC", "sheet_text": "Tờ bản đồ số",
    "number_text": "Thửa đất số", "old_sheet": "Tờ cũ", "old_number": "Thửa cũ",
    "legal_area": "Diện tích (m2)", "land_use_text": "Mục đích SDĐ", "term": "Thời hạn",
    "holder_name": "Tên chủ sử dụng", "holder_kind": "Đối tượng", "identity": "Số CMND/CCCD",
    "birth_year": "Năm sinh", "tax_code": "MST", "parcel_address": "Địa chỉ thửa đất",
    "share": "Tỷ lệ (%)", "serial": "Số seri GCN", "entry_number": "Số vào sổ cấp GCN",
    "issued": "Ngày cấp", "mortgage_bank": "Tổ chức nhận thế chấp",
    "mortgage_date": "Ngày thế chấp", "seizure": "Thông tin kê biên", "parent_key": "Tách từ thửa",
}  # fmt: skip
TN_REGISTER = "register/so_dia_chinh_tay_ninh_cu.csv"
LA_REGISTER = "register/so_dia_chinh_long_an_cu.xlsx"


def written_number(rng, numbers: np.ndarray) -> np.ndarray:
    """Numbers as old registers write them: "1.234" or "1,234" for some above 999."""
    text = numbers.astype(str).astype(object)
    big = numbers >= 1000
    style = rng.random(len(numbers))
    head, tail = (
        (numbers // 1000).astype(str).astype(object),
        np.char.zfill((numbers % 1000).astype(str), 3).astype(object),
    )
    text = np.where(big & (style < 0.45), head + "." + tail, text)
    return np.where(big & (style >= 0.45) & (style < 0.7), head + "," + tail, text)


def _term(land_use: np.ndarray) -> np.ndarray:
    lasting = np.isin(land_use, ["ONT", "ODT", "TIN", "TON", "NTD", "DGD", "DYT", "TSC", "DSH"])
    return np.where(lasting, "Lâu dài", "Đến ngày 15/10/2063")


def _date_text(values: np.ndarray) -> np.ndarray:
    """``dd/mm/yyyy`` text for datetime64 days (empty for NaT)."""
    days = pd.to_datetime(pd.Series(values))
    return days.dt.strftime("%d/%m/%Y").fillna("").to_numpy(dtype=object)


def register_rows(rng, parcels: pd.DataFrame, holders: pd.DataFrame) -> pd.DataFrame:
    """Canonical register rows: one per holder of each registered parcel."""
    at = holders["parcel"].to_numpy()
    p = parcels.iloc[at].reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "parcel": at, "commune_code": p["commune_code"], "sheet": p["sheet"],
            "number": p["number"], "parcel_key": p["parcel_key"],
            "old_sheet": p["old_sheet"].where(p["old_sheet"] > 0, None),
            "old_number": p["old_number"].where(p["old_number"] > 0, None),
            "legal_area": p["legal_area"], "land_use_text": p["register_code"],
            "term": _term(p["land_use"].to_numpy()), "holder_name": holders["name"],
            "holder_kind": holders["kind"], "identity": holders["identity"],
            "birth_year": holders["birth_year"], "tax_code": holders["tax_code"],
            "parcel_address": p["address"], "share": holders["share"], "serial": p["serial"],
            "entry_number": p["entry_number"], "issued": p["issued"],
            "mortgage_bank": p["mortgage_bank"], "mortgage_date": p["mortgage_date"],
            "seizure": p["seizure"], "parent_key": p["parent_key"].replace("", None),
            "extra": "",
        }
    )  # fmt: skip
    return rows[p["kind"].to_numpy() != "map_without_register"].reset_index(drop=True)


def _single_rows(rows: pd.DataFrame, parcels: np.ndarray) -> np.ndarray:
    """Row positions of the first holder of each given parcel."""
    first = rows.drop_duplicates("parcel")
    return first.set_index("parcel").loc[parcels, "row"].to_numpy()


def _choose(rng, mask: np.ndarray, count: int, taken: np.ndarray) -> np.ndarray:
    """``count`` parcels where ``mask`` holds and not yet taken; marks them taken."""
    chosen = rng.permutation(np.flatnonzero(mask & ~taken))[:count]
    taken[chosen] = True
    return np.sort(chosen)


def _fresh_serials(rng, existing: set[str], count: int) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        serial = f"CH {rng.integers(0, 10**6):06d}"
        if serial not in existing:
            existing.add(serial)
            out.append(serial)
    return out


def _extra_rows(rng, rows, parcels_at: np.ndarray, kind: str, people, serials: set[str]):
    """New rows for other holders of existing keys, or for keys the map does not have."""
    extra = rows.iloc[_single_rows(rows, parcels_at)].copy()
    extra["holder_name"] = people["name"].to_numpy(dtype=object)
    extra["identity"] = people["identity"].to_numpy(dtype=object)
    extra["birth_year"] = people["birth_year"].to_numpy(dtype=object)
    extra["holder_kind"] = "individual"
    extra["tax_code"], extra["share"], extra["extra"] = None, 100, kind
    extra["serial"] = _fresh_serials(rng, serials, len(extra))
    extra["mortgage_bank"], extra["mortgage_date"], extra["seizure"] = None, pd.NaT, None
    if kind == "register_without_map":
        extra["number"] = extra["number"] + 100_000  # placeholder, renumbered per sheet below
        extra["parent_key"] = None
        extra["legal_area"] = np.round(extra["legal_area"] * rng.uniform(0.6, 1.4, len(extra)), 1)
    return extra


def _renumber_unmapped(rows: pd.DataFrame) -> pd.DataFrame:
    """Give register-only parcels numbers past the last number of their sheet."""
    unmapped = rows["extra"] == "register_without_map"
    last = rows[~unmapped].groupby(["commune_code", "sheet"])["number"].max()
    base = last.reindex(pd.MultiIndex.from_frame(rows.loc[unmapped, ["commune_code", "sheet"]]))
    rank = rows[unmapped].groupby(["commune_code", "sheet"]).cumcount().to_numpy() + 1
    rows.loc[unmapped, "number"] = base.to_numpy() + 2 * rank + 1
    key = rows["commune_code"] + "-" + rows["sheet"].astype(str) + "-" + rows["number"].astype(str)
    rows.loc[unmapped, "parcel_key"] = key[unmapped]
    return rows


def _mark(rows: pd.DataFrame, mask: np.ndarray, kind: str, group: np.ndarray) -> None:
    rows.loc[mask, "defect_kind"] = kind
    rows.loc[mask, "defect_group"] = group[mask] if isinstance(group, np.ndarray) else group


def _holder_defects(rng, rows, parcel_kind, chosen: dict[str, np.ndarray]) -> None:
    """Invalid identity numbers, missing owners and shares not summing to 100, in place."""
    parcel = rows["parcel"].to_numpy()
    first = ~rows.duplicated("parcel").to_numpy()
    tag = "p" + parcel.astype(str).astype(object)
    bad = first & np.isin(parcel, chosen["invalid_identity_number"])
    numbers, _ = invalid_identity_numbers(rng, int(bad.sum()))
    rows.loc[bad, "identity"] = numbers
    _mark(rows, bad, "invalid_identity_number", tag)
    missing = np.isin(parcel, chosen["missing_owner"])
    rows.loc[missing, ["holder_name", "identity", "birth_year"]] = None
    _mark(rows, missing, "missing_owner", tag)
    shares = np.isin(parcel, chosen["shares_not_100"])
    change = rng.choice([-15, -10, -5, 5, 10, 20], size=int((shares & first).sum()))
    rows.loc[shares & first, "share"] = rows.loc[shares & first, "share"] + change
    _mark(rows, shares, "shares_not_100", tag)


def _serial_defects(rng, rows, pairs: np.ndarray) -> None:
    """The second parcel of each pair gets the first one's certificate serial."""
    parcel = rows["parcel"].to_numpy()
    first, second = pairs.reshape(-1, 2).T
    serial = rows.drop_duplicates("parcel").set_index("parcel")["serial"]
    partner = pd.Series(first, index=second)
    copied = np.isin(parcel, second)
    rows.loc[copied, "serial"] = serial.reindex(partner.reindex(parcel[copied])).to_numpy()
    group = pd.Series(first, index=first).combine_first(partner)
    involved = np.isin(parcel, pairs)
    tag = "s" + group.reindex(parcel[involved]).astype(int).astype(str).to_numpy(dtype=object)
    rows.loc[involved, "defect_kind"] = "duplicate_certificate_serial"
    rows.loc[involved, "defect_group"] = tag


def plant_register_defects(rng, rows, parcels, counts: dict[str, int], people: pd.DataFrame):
    """Plant the register defects; returns the rows sorted as the register lists them.

    ``rows`` gains ``defect_kind`` and ``defect_group`` (rows of one planted defect share a
    group); ``parcels["kind"]`` is set for every parcel a defect touches.
    """
    rows = rows.assign(row=np.arange(len(rows), dtype=float), defect_kind="", defect_group="")
    holder = rows.drop_duplicates("parcel").set_index("parcel")["holder_kind"]
    kind_of = holder.reindex(np.arange(len(parcels))).to_numpy(dtype=object)
    taken = parcels["kind"].to_numpy() != ""
    single = np.isin(kind_of, ["individual", "household"])
    chosen = {
        "duplicate_parcel_key": _choose(rng, single, counts["duplicate_parcel_key"], taken),
        "invalid_identity_number": _choose(rng, single, counts["invalid_identity_number"], taken),
        "missing_owner": _choose(rng, single, counts["missing_owner"], taken),
        "shares_not_100": _choose(rng, kind_of == "co_users", counts["shares_not_100"], taken),
        "duplicate_certificate_serial": _choose(
            rng, parcels["serial"].notna().to_numpy() & single,
            2 * counts["duplicate_certificate_serial"], taken,
        ),
    }  # fmt: skip
    _holder_defects(rng, rows, kind_of, chosen)
    _serial_defects(rng, rows, rng.permutation(chosen["duplicate_certificate_serial"]))
    for kind, chosen_parcels in chosen.items():
        parcels.loc[chosen_parcels, "kind"] = kind
    extra = _new_rows(rng, rows, chosen["duplicate_parcel_key"], single, counts, people)
    merged = _renumber_unmapped(pd.concat([rows, *extra], ignore_index=True))
    order = ["commune_code", "sheet", "number", "row"]
    return merged.sort_values(order, kind="stable").reset_index(drop=True)


def _new_rows(rng, rows, duplicated: np.ndarray, single, counts, people) -> list[pd.DataFrame]:
    """Rows for a second holder of existing keys and for keys the map does not have."""
    serials = set(rows["serial"].dropna())
    n_dup, n_unmapped = len(duplicated), counts["register_without_map"]
    dup = _extra_rows(rng, rows, duplicated, "duplicate_parcel_key",
                      people.iloc[:n_dup].reset_index(drop=True), serials)  # fmt: skip
    dup["row"] += 0.5
    group = "k" + rows["parcel"].astype(str).to_numpy(dtype=object)
    _mark(rows, np.isin(rows["parcel"], duplicated), "duplicate_parcel_key", group)
    dup["defect_kind"] = "duplicate_parcel_key"
    dup["defect_group"] = "k" + dup["parcel"].astype(str)
    templates = np.sort(rng.choice(np.flatnonzero(single), size=n_unmapped, replace=False))
    others = people.iloc[n_dup : n_dup + n_unmapped].reset_index(drop=True)
    unmapped = _extra_rows(rng, rows, templates, "register_without_map", others, serials)
    unmapped["defect_kind"] = "register_without_map"
    unmapped["defect_group"] = [f"u{i}" for i in range(n_unmapped)]
    unmapped["parcel"] = -1
    return [dup, unmapped]


def _formatted(rng, rows: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = rows.assign(
        sheet_text=rows["sheet"].astype(str),
        number_text=written_number(rng, rows["number"].to_numpy()),
        issued=_date_text(rows["issued"].to_numpy()),
        mortgage_date=_date_text(rows["mortgage_date"].to_numpy()),
        holder_kind=rows["holder_kind"].map(HOLDER_KINDS_VI),
        old_sheet=rows["old_sheet"].astype("Int64"),
        old_number=rows["old_number"].astype("Int64"),
        birth_year=rows["birth_year"].astype("Int64"),
    )
    return out[list(columns)].rename(columns=columns)


def write_register(root: Path, rng, rows: pd.DataFrame, tn_codes: set[str], names: dict[str, str]):
    """Write the CSV (former Tây Ninh) and XLSX (former Long An) registers.

    Returns the rows with ``source``, ``sheet_name`` and ``stt`` (the row identifier each
    file carries) and the manifest entries.
    """
    rows = rows.copy()
    tn = rows["commune_code"].isin(tn_codes).to_numpy()
    rows["source"] = np.where(tn, TN_REGISTER, LA_REGISTER)
    rows["sheet_name"] = np.where(
        tn, None, rows["commune_code"] + " " + rows["commune_code"].map(names)
    )
    rows["stt"] = np.where(tn, np.cumsum(tn), rows.groupby("commune_code").cumcount() + 1)
    write_csv(root / TN_REGISTER, _formatted(rng, rows[tn], TN_COLUMNS), bom=True)
    sheets = {
        name[:31]: _formatted(rng, group, LA_COLUMNS)
        for name, group in rows[~tn].groupby("sheet_name", sort=True)
    }
    write_xlsx(root / LA_REGISTER, sheets, "Sổ địa chính - Long An (cũ)")
    return rows, _register_manifest(rows, tn)


def _register_manifest(rows: pd.DataFrame, tn: np.ndarray) -> list[dict]:
    common = {"kind": "register", "declared_crs": None, "true_crs": None}
    return [
        {
            **common, "path": TN_REGISTER, "format": "csv", "encoding": "UTF-8 with BOM",
            "delimiter": ",", "line_terminator": "CRLF",
            "communes": sorted(rows.loc[tn, "commune_code"].unique()), "fields": TN_COLUMNS,
            "row_id_field": "STT", "row_count": int(tn.sum()),
        },
        {
            **common, "path": LA_REGISTER, "format": "xlsx", "encoding": "UTF-8 (OOXML)",
            "worksheets": sorted(rows.loc[~tn, "sheet_name"].str[:31].unique()),
            "communes": sorted(rows.loc[~tn, "commune_code"].unique()), "fields": LA_COLUMNS,
            "row_id_field": "STT (per worksheet)", "row_count": int((~tn).sum()),
        },
    ]  # fmt: skip
