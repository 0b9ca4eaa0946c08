"""One current record per parcel, each field traced to the source it came from.

The map gives the boundary and measured area; the land register (the entries linked to the
parcel by reconciliation) gives the legal area, the land use, the holders with their shares,
the certificate and the mortgages and seizures. The record is assembled when asked for, so
it always reflects the latest batch of every source.
"""

from __future__ import annotations

from typing import Any

from landreg.domain.model import Parcel
from landreg.domain.register_entry import RegisterEntry
from landreg.store.unit_of_work import UnitOfWork


def parcel_record(uow: UnitOfWork, parcel_id: int) -> dict[str, Any]:
    """The parcel as the register knows it now, with the source of every value."""
    parcel = uow.parcels.get(parcel_id)
    entries = uow.register_entries.linked_to(parcel_id)
    batches = uow.batches.batch_files(
        {
            batch
            for batch in (
                parcel.source.batch_id if parcel.source else None,
                *(e.source_batch_id for e in entries),
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
    return {
        "parcel": parcel,
        "fields": _fields(parcel, map_source, register),
        "holders": [_holder(e, source) for source, e in register],
        "certificates": _certificates(register),
        "restrictions": _restrictions(register),
        "findings": _findings(
            uow,
            parcel.commune_code,
            {("parcel", parcel_id), *(("register_entry", e.id) for e in entries)},
        ),
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


def _holder(entry: RegisterEntry, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": entry.holder_name,
        "kind": entry.holder_kind,
        "identity_number": entry.identity_number,
        "birth_year": entry.birth_year,
        "share_percent": entry.share_percent,
        "term": entry.term_text,
        "matched_by": entry.match_type,
        "from": source,
    }


def _certificates(
    register: list[tuple[dict[str, Any], RegisterEntry]],
) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for source, entry in register:
        if entry.certificate_serial and entry.certificate_serial not in seen:
            seen[entry.certificate_serial] = {
                "serial": entry.certificate_serial,
                "issued_on": entry.issued_on,
                "book_entry": entry.book_entry,
                "from": source,
            }
    return list(seen.values())


def _restrictions(
    register: list[tuple[dict[str, Any], RegisterEntry]],
) -> list[dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for source, entry in register:
        if entry.mortgage_holder:
            found.setdefault(
                ("mortgage", entry.mortgage_holder),
                {
                    "kind": "mortgage",
                    "holder": entry.mortgage_holder,
                    "registered_on": entry.mortgage_on,
                    "from": source,
                },
            )
        if entry.seizure_text:
            found.setdefault(
                ("seizure", entry.seizure_text),
                {
                    "kind": "seizure",
                    "holder": entry.seizure_text,
                    "registered_on": None,
                    "from": source,
                },
            )
    return list(found.values())


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
