"""One-stop-shop dossier exports to canonical dossiers, with their documents and events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ingest import normalise
from ingest.batches import Rejected
from ingest.profiles import MappingProfile
from ingest.records import Checked, apply_profile, source_keys
from ingest.registers import canonical_records, row_refs
from ingest.tabular import Table, read_csv
from landreg.domain import reference
from landreg.domain.identifiers import DossierCode
from landreg.errors import ValidationError

STATUSES = (
    "new",
    "received",
    "not_received",
    "processing",
    "additional_documents_requested",
    "financial_obligation_required",
    "withdrawn",
    "stopped",
    "processed",
    "result_returned",
)
_TEXT = (
    "applicant_name",
    "applicant_identity",
    "applicant_phone",
    "declared_commune",
    "declared_map_sheet",
    "declared_parcel_number",
    "declared_serial",
    "declared_land_use",
    "requested_land_use",
)


def dossier_records(
    table: Table,
    profile: MappingProfile,
    source_name: str,
    path: Path,
) -> tuple[pd.DataFrame, list[Rejected], list[str]]:
    """Canonical ``dossier`` records (with ``documents`` and ``events`` lists) and refusals."""
    data = apply_profile(table.frame, profile)
    keys, _ = source_keys(table.frame, profile)
    check = Checked(table.frame, data, table.rows)
    codes = normalise.text(data["code"]).str.upper()
    check.set("code", codes, codes.map(_malformed_code).astype(bool), "a dossier code")
    check.set("office", codes.str.rsplit("-", n=2).str[0])
    procedure = _procedures(data, profile)
    check.set("procedure", procedure, procedure.isna(), "a known procedure", source="procedure")
    check.set("procedure_code", normalise.text(data["procedure"]))
    status = normalise.text(data["status"])
    check.set("status", status, ~status.isin(STATUSES), "a known status")
    received, bad, _ = normalise.dates(data["received_at"], profile.datetime_formats)
    check.set("received_at", received, bad | received.isna(), "a date and time")
    check.dates(("due_on", "processed_on", "returned_on"), profile.date_formats, as_date=True)
    check.texts(_TEXT)
    _previous_identity(check, data)
    if "declared_area" in data:
        check.set("declared_area", *normalise.decimals(data["declared_area"]), "a number")
    documents = data["documents"] if "documents" in data else pd.Series(None, index=data.index)
    check.out["documents"] = documents.map(lambda v: _documents(v, profile.list_separator))
    check.out["events"] = _events(table, data, profile, path, check.out["code"])
    keep = check.kept()
    frame = check.out[keep]
    records = canonical_records(
        frame.drop(columns=["documents", "events"]),
        keys[keep],
        row_refs(table, profile)[keep],
        source_name,
    )
    children = pd.DataFrame({
        "values": records["record_hash"],
        "documents": frame["documents"].map(repr),
        "events": frame["events"].map(repr),
    })  # fmt: skip
    records["record_hash"] = normalise.record_hashes(children)
    records["documents"], records["events"] = frame["documents"], frame["events"]
    return records, check.rejected, check.notes


def _previous_identity(check: Checked, data: pd.DataFrame) -> None:
    """The applicant's earlier number ("Số CMND cũ": the old CMND next to the CCCD), without
    spaces, dots or dashes; a row giving one that is not 9 or 12 digits is refused. A file
    without it leaves the column out, so that its records hash as they always did."""
    name = "applicant_previous_identity"
    if name not in data or data[name].isna().all():
        return
    written = normalise.text(data[name])
    numbers = normalise.text(written.str.replace(r"[\s.\-]", "", regex=True))
    bad = numbers.notna() & ~numbers.str.fullmatch(r"\d{9}|\d{12}").fillna(False).astype(bool)
    check.set(name, numbers.where(~bad, None), bad, "a CMND or CCCD number")


def _malformed_code(code: object) -> bool:
    if not isinstance(code, str):
        return True
    try:
        DossierCode.parse(code)
    except ValidationError:
        return True
    return False


def _procedures(data: pd.DataFrame, profile: MappingProfile) -> pd.Series:
    """Procedure slugs from national ids (agency suffix ignored) or the procedure's name."""
    by_id = profile.values.get("procedure", {})
    codes = normalise.text(data["procedure"]).astype("string")
    national = codes.str.extract(r"^(\d\.\d{6})", expand=False)
    slugs = national.map(by_id).fillna(codes.map(by_id))
    known = reference.procedures_config()["procedures"]
    slugs = slugs.where(slugs.isin(list(known)) | slugs.isna(), None)
    if "procedure_name" in data:
        by_name = {spec["name_vi"]: slug for slug, spec in known.items()}
        slugs = slugs.fillna(normalise.text(data["procedure_name"]).map(by_name))
    codes_known = codes.where(codes.isin(list(known)))
    return slugs.fillna(codes_known).astype(object).where(lambda s: s.notna(), None)


def _documents(value: object, separator: str) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    return []


def _events(
    table: Table, data: pd.DataFrame, profile: MappingProfile, path: Path, codes: pd.Series
) -> pd.Series:
    """Each dossier's events: nested in the record, or from the event file beside the export."""
    fields = profile.event_fields
    if "events" in data:
        nested = data["events"].map(lambda v: v if isinstance(v, list) and v else None).dropna()
        exploded = nested.explode()
        flat = pd.json_normalize(exploded.tolist())
        flat["_owner"] = exploded.index.to_numpy()
    elif profile.events_file and (companion := _companion(path, profile)).exists():
        flat = read_csv(companion).frame
        owner_of = dict(zip(codes, codes.index, strict=True))
        flat["_owner"] = normalise.text(flat[fields["code"]]).str.upper().map(owner_of)
        flat = flat[flat["_owner"].notna()]
    else:
        return pd.Series([[] for _ in range(len(data))], index=data.index)
    at, _, _ = normalise.dates(flat[fields["at"]], profile.datetime_formats)
    status_map = profile.event_values.get("status", {})
    events = pd.DataFrame({
        "at": at.map(lambda t: None if pd.isna(t) else t.isoformat()),
        "status": normalise.text(flat[fields["status"]]).map(lambda v: status_map.get(v, v)),
        "step": normalise.text(flat[fields["step"]]) if fields.get("step") in flat else None,
        "note": normalise.text(flat[fields["note"]]) if fields.get("note") in flat else None,
    })  # fmt: skip
    grouped: dict[object, list[dict[str, Any]]] = {}
    for owner, event in zip(flat["_owner"].tolist(), events.to_dict("records"), strict=True):
        grouped.setdefault(owner, []).append(event)
    return pd.Series([grouped.get(index, []) for index in data.index], index=data.index)


def _companion(path: Path, profile: MappingProfile) -> Path:
    """The event history beside an export: ``ho_so_2021_2022.csv`` → ``lich_su_2021_2022.csv``."""
    suffix = path.stem.split("_", 2)[-1]
    return path.with_name(str(profile.events_file).replace("{suffix}", suffix))
