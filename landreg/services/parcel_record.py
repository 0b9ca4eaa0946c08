"""One current record per parcel, each field traced to the source it came from.

The map gives the boundary and measured area; the unified register's records, made from the
land registers by reconciliation (:mod:`landreg.services.unified_register`), give the legal
area, the holders with their shares, the certificates and the mortgages and seizures, each
field naming the register row it came from and why that source won.
"""

from __future__ import annotations

from typing import Any

from landreg.domain.lineage import LineageKind
from landreg.domain.model import Parcel
from landreg.domain.register_entry import RegisterEntry
from landreg.services.unified_register import WHY_EN, WHY_VI
from landreg.store.unit_of_work import UnitOfWork


def parcel_record(uow: UnitOfWork, parcel_id: int) -> dict[str, Any]:
    """The parcel as the register knows it now, with the source of every value."""
    parcel = uow.parcels.get(parcel_id)
    entries = uow.register_entries.linked_to(parcel_id)
    records = uow.unified.of_parcel(parcel_id)
    recorded = uow.unified.parcel_sources(parcel_id) or {}
    batches = uow.batches.batch_files(
        {
            batch
            for batch in (
                parcel.source.batch_id if parcel.source else None,
                *(e.source_batch_id for e in entries),
                *_record_batches(records, recorded),
            )
            if batch is not None
        }
    )
    map_source = _source(
        parcel.source.name if parcel.source else None,
        parcel.source.row if parcel.source else None,
        parcel.source.batch_id if parcel.source else None,
        batches,
    )
    register = [
        (_source(e.source_name, e.source_row, e.source_batch_id, batches), e) for e in entries
    ]
    by_entry = {e.id: e for e in entries}
    return {
        "parcel": parcel,
        "fields": _fields(parcel, map_source, register)
        | _recorded_fields(parcel, recorded, batches),
        "holders": [_holder(r, by_entry, batches) for r in records["rights"]],
        "certificates": [_certificate(c, batches) for c in records["certificates"]],
        "restrictions": [_restriction(r, batches) for r in records["restrictions"]],
        "findings": _findings(
            uow,
            parcel.commune_code,
            {("parcel", parcel_id), *(("register_entry", e.id) for e in entries)},
        ),
        "lineage": lineage_of(uow, parcel_id),
    }


def lineage_of(uow: UnitOfWork, parcel_id: int) -> dict[str, list[dict[str, Any]]]:
    """What the parcel came from (``parents``) and what it became (``children``): key,
    national identifier, kind (Vietnamese and English), date and evidence of each."""
    links = uow.lineage.of_parcel(parcel_id)
    return {
        "parents": [_lineage_link(link, "parent") for link in links["parents"]],
        "children": [_lineage_link(link, "child") for link in links["children"]],
    }


def _lineage_link(link: dict[str, Any], side: str) -> dict[str, Any]:
    kind = LineageKind(link["kind"])
    return {
        "parcel_id": link[f"{side}_id"],
        "key": link[f"{side}_key"],
        "national_id": link[f"{side}_national_id"],
        "kind": kind.value,
        "kind_vi": kind.label_vi,
        "kind_en": kind.label_en,
        "on_date": link["on_date"],
        "evidence": link["evidence"],
        "source": link["source_name"],
    }


def _source(
    name: str | None, row: str | None, batch: int | None, batches: dict[int, str]
) -> dict[str, Any]:
    return {
        "source": name,
        "row": row,
        "batch": batch,
        "file": batches.get(batch) if batch is not None else None,
    }


def _fields(
    parcel: Parcel,
    map_source: dict[str, Any],
    register: list[tuple[dict[str, Any], RegisterEntry]],
) -> dict[str, Any]:
    """Each value of the current record and where it comes from; the register, being the
    legal record, gives legal area and land use when it has them."""
    fields: dict[str, Any] = {
        "key": {"value": parcel.reference, "from": map_source},
        # computed from the map's boundary when the register is reconciled
        "national_id": {"value": parcel.national_id, "from": map_source},
        "measured_area": {"value": parcel.measured_area, "from": map_source},
        "land_use_code": {"value": parcel.land_use_code, "from": map_source},
        "address": {"value": parcel.address, "from": map_source},
    }
    for source, entry in register:
        if entry.legal_area is not None and "legal_area" not in fields:
            fields["legal_area"] = {"value": entry.legal_area, "from": source}
        if entry.land_use_code and fields["land_use_code"]["from"] is map_source:
            fields["land_use_code"] = {"value": entry.land_use_code, "from": source}
        if entry.address and fields["address"]["value"] is None:
            fields["address"] = {"value": entry.address, "from": source}
    fields.setdefault("legal_area", {"value": None, "from": None})
    return fields


def _record_batches(records: dict[str, list[dict[str, Any]]], recorded: dict[str, Any]) -> set[int]:
    refs = [*recorded.values()]
    for rows in records.values():
        refs += [ref for row in rows for ref in (row.get("sources") or {}).values()]
    return {int(ref["batch"]) for ref in refs if ref.get("batch") is not None}


def _traced(ref: dict[str, Any] | None, batches: dict[int, str]) -> dict[str, Any] | None:
    """A record field's source, as the record shows it: the register row, and why it won."""
    if not ref:
        return None
    why = ref.get("why")
    return _source(ref.get("source"), ref.get("row"), ref.get("batch"), batches) | {
        "entry": ref.get("entry"),
        "why": why,
        "why_vi": WHY_VI.get(why or ""),
        "why_en": WHY_EN.get(why or ""),
    }


def _recorded_fields(
    parcel: Parcel, recorded: dict[str, Any], batches: dict[int, str]
) -> dict[str, Any]:
    """The legal area and the register's land use (the legal record's, which the map's
    may disagree with: a finding), from the parcel's record."""
    fields: dict[str, Any] = {}
    if "legal_area" in recorded or parcel.legal_area is not None:
        fields["legal_area"] = {
            "value": parcel.legal_area,
            "from": _traced(recorded.get("legal_area"), batches),
        }
    land_use = recorded.get("land_use_code")
    if land_use and land_use.get("value"):
        fields["land_use_code"] = {"value": land_use["value"], "from": _traced(land_use, batches)}
    return fields


def _sources_of(record: dict[str, Any], batches: dict[int, str]) -> dict[str, Any]:
    return {name: _traced(ref, batches) for name, ref in (record.get("sources") or {}).items()}


def _holder(
    right: dict[str, Any], entries: dict[int, RegisterEntry], batches: dict[int, str]
) -> dict[str, Any]:
    sources = _sources_of(right, batches)
    origin = sources.get("share_percent") or sources.get("record")
    entry = entries.get(origin["entry"]) if origin else None
    return {
        "name": right["name"],
        "kind": right["kind"],
        "identity_number": right["identity_number"],
        "birth_year": right["birth_year"],
        "share_percent": right["share_percent"],
        "term": entry.term_text if entry else None,
        "matched_by": entry.match_type if entry else None,
        "party_id": right["party_id"],
        "right_id": right["id"],
        "from": origin,
        "sources": sources,
    }


def _certificate(certificate: dict[str, Any], batches: dict[int, str]) -> dict[str, Any]:
    sources = _sources_of(certificate, batches)
    return {
        "serial": certificate["serial"],
        "issued_on": certificate["issued_on"],
        "book_entry": certificate["book_entry"],
        "status": certificate["status"],
        "from": sources.get("record"),
        "sources": sources,
    }


def _restriction(restriction: dict[str, Any], batches: dict[int, str]) -> dict[str, Any]:
    sources = _sources_of(restriction, batches)
    return {
        "kind": restriction["kind"],
        "holder": restriction["holder"],
        "registered_on": restriction["registered_on"],
        "from": sources.get("record"),
        "sources": sources,
    }


def _findings(
    uow: UnitOfWork, commune_code: str, records: set[tuple[str, int]]
) -> list[dict[str, Any]]:
    """Open findings naming the parcel or one of its register entries (``records``)."""
    return [
        {
            "id": f.id,
            "rule": f.rule,
            "severity": f.severity,
            "message_vi": f.message_vi,
            "message_en": f.message_en,
        }
        for f in uow.findings.open_naming(commune_code, records)
    ]
