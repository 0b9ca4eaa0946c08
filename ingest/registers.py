"""Land register rows ("sổ địa chính") to canonical register entries.

Values are kept as written next to their parsed form; what cannot be parsed at all goes to
quarantine. Malformed identity numbers, unknown land-use codes and the like are kept, since
reconciling must report them.
"""

from __future__ import annotations

import pandas as pd

from ingest import normalise
from ingest.batches import Rejected
from ingest.profiles import MappingProfile
from ingest.records import Checked, apply_profile, land_use_codes, source_keys
from ingest.tabular import Table
from landreg.domain.identifiers import CertificateSerial
from landreg.errors import ValidationError

_TEXT = (
    "land_use_text",
    "term_text",
    "holder_name",
    "holder_kind",
    "tax_code",
    "address",
    "book_entry",
    "mortgage_holder",
    "seizure_text",
    "parent_ref",
)


def register_records(
    table: Table,
    profile: MappingProfile,
    source_name: str,
) -> tuple[pd.DataFrame, list[Rejected], list[str]]:
    """Canonical ``register_entry`` records, the rows refused, and notes."""
    data = apply_profile(table.frame, profile)
    keys, repeated = source_keys(table.frame, profile)
    check = Checked(table.frame, data, table.rows)
    if repeated:
        check.notes.append(f"{repeated} rows repeat another row's key {profile.source_key}")
    check.set("commune_code", commune_codes(data["commune_code"]))
    for name in ("map_sheet", "parcel_number"):
        check.set(name, *normalise.whole_numbers(data[name]), "a whole number")
        check.set(f"{name}_text", normalise.text(data[name]))
    for name in ("old_map_sheet", "old_parcel_number", "birth_year"):
        if name in data:
            check.set(name, normalise.whole_numbers(data[name])[0])
    for name in ("legal_area", "share_percent"):
        if name in data:
            check.set(name, *normalise.decimals(data[name]), "a number")
    check.dates(("issued_on", "mortgage_on"), profile.date_formats, as_date=True)
    check.texts(_TEXT)
    _identity_numbers(check, data)
    if "certificate_serial" in data:
        check.set("certificate_serial", normalise.text(data["certificate_serial"]).map(_serial))
    if "land_use_text" in check.out:
        check.set(
            "land_use_code", land_use_codes(check.out["land_use_text"], check.out["commune_code"])
        )
    keep = check.kept()
    records = canonical_records(
        check.out[keep], keys[keep], row_refs(table, profile)[keep], source_name
    )
    return records, check.rejected, check.notes


def _identity_numbers(check: Checked, data: pd.DataFrame) -> None:
    """The holder's identity number, and the earlier one a register may give beside it (the
    old CMND next to the CCCD), without spaces or dots. A file without the earlier number
    leaves the column out, so that its records hash as they always did."""
    for name in ("identity_number", "previous_identity_number"):
        if name not in data or (name != "identity_number" and data[name].isna().all()):
            continue
        check.set(name, normalise.text(data[name]).str.replace(r"[\s.]", "", regex=True))


def commune_codes(values: pd.Series) -> pd.Series:
    """Commune codes as text of five digits (spreadsheets drop the leading zero)."""
    codes = normalise.text(values).astype("string").str.replace(r"\.0$", "", regex=True)
    codes = codes.where(~codes.str.fullmatch(r"\d{1,4}", na=False), codes.str.zfill(5))
    return codes.astype(object).where(codes.notna(), None)


def _serial(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return str(CertificateSerial.parse(value))
    except ValidationError:
        return value


def row_refs(table: Table, profile: MappingProfile) -> pd.Series:
    """The row id the file carries (STT), with its worksheet where there are several."""
    if not profile.row_field or profile.row_field not in table.frame.columns:
        return table.rows
    ids = normalise.text(table.frame[profile.row_field]).fillna("?").astype(str)
    if "_sheet" in table.frame.columns:
        return table.frame["_sheet"].astype(str) + "!" + ids
    return ids


def canonical_records(
    frame: pd.DataFrame, keys: pd.Series, rows: pd.Series, source_name: str
) -> pd.DataFrame:
    """Canonical columns with provenance and a hash of the values, one row per record."""
    return frame.assign(
        source_name=source_name,
        source_key=keys.astype(normalise.STRING).to_numpy(),
        source_row=rows.astype(normalise.STRING).to_numpy(),
        record_hash=normalise.record_hashes(frame).to_numpy(),
    )
