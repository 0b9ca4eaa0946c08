"""The ground truth: every planted defect with the records it involves, and dossier links."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sample_data.commune import CommuneResult
from sample_data.places import UNKNOWN_CODES

PARCEL_LEVEL = (
    "area_mismatch",
    "land_use_mismatch",
    "unknown_land_use_code",
    "map_without_register",
)


def _register_refs_by(rows: pd.DataFrame, by: str) -> dict:
    """Ground-truth references to register rows, grouped by the values of column ``by``."""
    sheet = rows["sheet_name"].astype(object).where(rows["sheet_name"].notna(), None)
    grouped: dict = {}
    for group, source, name, stt, key in zip(
        rows[by].tolist(),
        rows["source"].tolist(),
        sheet.tolist(),
        rows["stt"].tolist(),
        rows["parcel_key"].tolist(),
        strict=True,
    ):  # one pass over the defect rows only
        ref = {
            "source": source,
            "sheet": name,
            "id_field": "STT",
            "id": int(stt),
            "parcel_key": key,
        }
        grouped.setdefault(group, []).append(ref)
    return grouped


def _map_ref(address: dict, objectid: int, key: str) -> dict:
    return {"source": address["source"], "layer": address["layer"], "id_field": address["id_field"],
            "id": int(objectid), "parcel_key": key}  # fmt: skip


def map_defects(result: CommuneResult, address: dict) -> list[dict]:
    """Ground-truth entries of the geometry defects of one commune."""
    keys = result.parcels["parcel_key"].to_numpy()
    source = result.features["objectid"].to_numpy()
    out = []
    for defect in result.map_defects:
        rows = defect["rows"]
        refs = [
            _map_ref(address, source[r], keys[min(r, len(keys) - 1)] if r < len(keys) else None)
            for r in rows
        ]
        if defect["kind"].startswith("duplicate_"):
            refs[1]["parcel_key"] = refs[0]["parcel_key"]
        details = {k: v for k, v in defect.items() if k not in ("kind", "rows")}
        out.append({"kind": defect["kind"], "records": refs, "details": details})
    return out


def _parcel_details(p) -> dict:
    if p.kind == "unknown_land_use_code":
        in_map = p.map_code in UNKNOWN_CODES
        return {
            "code": p.map_code if in_map else p.register_code,
            "in": "map" if in_map else "register",
        }
    if p.kind == "area_mismatch":
        return {
            "legal_area": float(p.legal_area),
            "measured_area": round(float(p.measured_area), 2),
        }
    if p.kind == "land_use_mismatch":
        return {"map_code": p.map_code, "register_code": p.register_code}
    return {}


def parcel_defects(parcels: pd.DataFrame, rows: pd.DataFrame, addresses: dict) -> list[dict]:
    """Entries for defects decided per parcel in phase one (area, land use, missing rows)."""
    chosen = parcels[parcels["kind"].isin(PARCEL_LEVEL)]
    register = _register_refs_by(rows[rows["parcel"].isin(chosen.index)], "parcel")
    out = []
    for position, p in zip(chosen.index, chosen.itertuples(index=False), strict=True):
        mapped = [_map_ref(addresses[p.commune_code], p.objectid, p.parcel_key)]
        in_register = register.get(position, [])
        if p.kind == "unknown_land_use_code":
            refs = mapped if p.map_code in UNKNOWN_CODES else in_register
        elif p.kind == "map_without_register":
            refs = mapped
        else:
            refs = mapped + in_register
        out.append({"kind": p.kind, "records": refs, "details": _parcel_details(p)})
    return out


def register_defects(rows: pd.DataFrame, parcels: pd.DataFrame, addresses: dict) -> list[dict]:
    """Entries for the register defects, grouped as planted."""
    planted = rows[rows["defect_group"] != ""]
    refs = _register_refs_by(planted, "defect_group")
    groups = planted.groupby("defect_group", sort=False)
    facts = groups.agg(kind=("defect_kind", "first"), parcel=("parcel", "max"),
                       identity=("identity", "first"), share=("share", "sum"),
                       serial=("serial", "first"))  # fmt: skip
    out = []
    for group, fact in zip(facts.index, facts.itertuples(index=False), strict=True):
        records = refs[group]
        if fact.kind == "duplicate_parcel_key":
            p = parcels.iloc[int(fact.parcel)]
            records.append(_map_ref(addresses[p.commune_code], p.objectid, p.parcel_key))
        details = {
            "invalid_identity_number": {"identity": fact.identity},
            "shares_not_100": {"share_sum": int(fact.share)},
            "duplicate_certificate_serial": {"serial": fact.serial},
        }.get(fact.kind, {})
        out.append({"kind": fact.kind, "records": records, "details": details})
    return out


def _dossier_ref(d) -> dict:
    return {"source": d.source, "id_field": "STT" if d.source.endswith(".csv") else "stt",
            "id": int(d.stt), "dossier_code": d.code}  # fmt: skip


def dossier_defects(d: pd.DataFrame, parcels: pd.DataFrame) -> list[dict]:
    """Entries for the dossier defects (two_open_dossiers lists both dossiers)."""
    keys = parcels["parcel_key"].to_numpy()
    out, planted = [], d[d["defect"] != ""]
    firsts = {}
    for row in planted.itertuples():
        if row.defect == "two_open_dossiers":
            firsts.setdefault(int(row.parcel), []).append(row)
            continue
        ref = _dossier_ref(row) | {
            "parcel_key": None if row.defect == "dossier_parcel_not_found" else keys[row.parcel]
        }
        details = _dossier_details(row, parcels)
        out.append({"kind": row.defect, "records": [ref], "details": details})
    for parcel, pair in sorted(firsts.items()):
        refs = [_dossier_ref(r) | {"parcel_key": keys[parcel]} for r in pair]
        out.append({"kind": "two_open_dossiers", "records": refs, "details": {}})
    return out


def _dossier_details(row, parcels: pd.DataFrame) -> dict:
    p = parcels.iloc[int(row.parcel)]
    written = {"commune": row.ref_commune, "sheet": row.ref_sheet, "number": row.ref_number}
    if row.defect == "dossier_reference_typo":
        return {"written": written, "typo": row.typo, "true_parcel_key": p.parcel_key}
    if row.defect == "dossier_parcel_not_found":
        return {"written": written}
    if row.defect == "missing_documents":
        return {"missing": [row.missing_document]}
    if row.defect == "planning_conflict":
        return {"requested_use": row.requested_use, "planned_use": p.planned}
    if row.defect == "mortgaged_transfer":
        return {"mortgage_bank": p.mortgage_bank, "mortgage_date": str(p.mortgage_date)[:10]}
    if row.defect == "applicant_not_holder":
        return {"applicant_identity": row.applicant_identity}
    return {}


def dossier_links(d: pd.DataFrame, parcels: pd.DataFrame) -> list[dict]:
    """For every dossier, the parcel it truly refers to (null when there is none)."""
    keys = parcels["parcel_key"].to_numpy()[d["parcel"].to_numpy()]
    keys = np.where(d["defect"] == "dossier_parcel_not_found", None, keys)
    finished = d["status"].isin(["processed", "result_returned"]).to_numpy()
    on_time = np.where(finished, d["processed"] <= d["due"], None)
    return [
        {"source": s, "id": int(i), "dossier_code": c, "parcel_key": k, "procedure": p,
         "status": st, "due_date": str(due)[:10], "on_time": None if ot is None else bool(ot)}
        for s, i, c, k, p, st, due, ot in zip(
            d["source"], d["stt"], d["code"], keys, d["procedure"], d["status"], d["due"], on_time,
            strict=True,
        )
    ]  # fmt: skip
