"""The intake pre-check: one call, one complete answer, so a dossier is returned at most once.

It finds the parcel the way linking does (the key as written, old numbers, serial, the
applicant's parcels, keys one keystroke off), then looks at everything that would stop the
dossier later: missing documents, an applicant who is not the holder, a mortgage or seizure
the procedure is blocked by, another open dossier on the parcel, declared values that differ
from the register, and the register's own open findings on the parcel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from landreg.domain import reference
from landreg.domain.dossier_deadline import LOCAL_TIME, first_due_date, procedure_deadline
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.intake import Application, CheckItem, IntakeCheck
from landreg.domain.procedures import procedure_code
from landreg.errors import ValidationError
from landreg.services.dossier_link_scoring import link_dossiers, written_references
from landreg.services.parcel_record import parcel_record
from landreg.services.source_checks import folded_names
from landreg.store.unit_of_work import UnitOfWork
from spatial.planning import PlanningMap, planning_maps

AREA_TOLERANCE_PERCENT = 1.0


def check_application(
    uow: UnitOfWork,
    application: Application,
    *,
    dossier_id: int | None = None,
    planning: Sequence[PlanningMap] = (),
) -> IntakeCheck:
    """Every problem with ``application`` as of its receipt; ``dossier_id`` when it is already
    stored (so that it is not its own "other open dossier"); a requested land use is checked
    against the ``planning`` maps."""
    procedure = _procedure(application.procedure)
    _check_dates(application)
    items = _documents(procedure, application.documents)
    links = _links(uow, application)
    reference_text = "-".join(
        str(v or "?")
        for v in (application.commune, application.map_sheet, application.parcel_number)
    )
    linked = links[links["status"] == "linked"]
    if linked.empty:
        candidates = tuple(_candidate(uow, row) for row in links.itertuples())
        # with nothing near the written key, the candidates are only the applicant's parcels
        near = links["key"].isin(["exact", "old", "near"]).any()
        code = "PARCEL_AMBIGUOUS" if near else "PARCEL_NOT_FOUND"
        keys = [c["key"] for c in candidates]
        items.append(CheckItem(code, {"reference": reference_text, "candidates": keys}))
        return IntakeCheck(tuple(items), None, None, candidates, _due(application, None))
    parcel_id = int(linked.iloc[0]["parcel_id"])
    record = parcel_record(uow, parcel_id)
    key = record["parcel"].reference
    items += _holder(procedure, application, record, key)
    items += _restrictions(procedure, application, record, key)
    items += _other_dossiers(uow, parcel_id, application.received_at, dossier_id, key)
    items += _declared(application, record)
    items += _findings(record, key)
    items += _planning(application, record, key, planning, uow.database.cadastral_srid)
    best = linked.iloc[0]
    match = {
        "method": best["method"],
        "confidence": round(float(best["confidence"]), 4),
        "explanation": best["explanation"],
    }
    return IntakeCheck(
        tuple(items), parcel_id, key, (), _due(application, record["parcel"].commune_code), match
    )


def plans_in(folder: Path | None) -> list[PlanningMap]:
    """The land-use plans a requested land use is checked against: the rasters in ``folder``
    (``LANDREG_PLANNING_DIR``), read at each check so that a plan put there counts at once."""
    return planning_maps(folder)


def _procedure(name: str) -> dict[str, Any]:
    """The procedure ``name`` names (its code or its Vietnamese name); a 422 listing the
    procedures by their Vietnamese names otherwise."""
    return dict(reference.procedures_config()["procedures"][procedure_code(name)])


def _check_dates(application: Application) -> None:
    now = datetime.now(LOCAL_TIME).replace(tzinfo=None)
    if application.received_at.year < 1990 or application.received_at > now + timedelta(minutes=5):
        raise ValidationError(
            f"received_at {application.received_at:%Y-%m-%d %H:%M} is not a possible receipt time",
            field="received_at",
            value=application.received_at.isoformat(),
            detail_vi=f"thời điểm tiếp nhận {application.received_at:%H:%M %d/%m/%Y} không thể "
            "có (trước năm 1990 hoặc ở tương lai)",
        )


def _documents(procedure: dict[str, Any], given: tuple[str, ...]) -> list[CheckItem]:
    missing = [d for d in procedure.get("documents", []) if d not in set(given)]
    return [CheckItem("DOCUMENTS_MISSING", {"documents": missing})] if missing else []


def _links(uow: UnitOfWork, application: Application) -> pd.DataFrame:
    """Linking of this one application, over the parcels it could mean."""
    frame = pd.DataFrame(
        [
            {
                "id": 0,
                "procedure": application.procedure,
                "applicant_name": application.applicant_name,
                "applicant_identity": application.applicant_identity,
                "declared_commune": application.commune,
                "declared_map_sheet": application.map_sheet,
                "declared_parcel_number": application.parcel_number,
                "declared_serial": application.serial,
            }
        ]
    )
    written = written_references(frame).iloc[0]
    parcels, holders = _nearby(uow, written)
    return link_dossiers(frame, parcels, holders).links


def _nearby(uow: UnitOfWork, written: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parcels of the written commune and sheet (current or old), and those the applicant
    or the serial points at, with their holders."""
    keyed = not pd.isna(written["commune_code"]) and not pd.isna(written["sheet"])
    return uow.links.nearby(
        commune_code=written["commune_code"] if keyed else None,
        sheet=int(written["sheet"]) if keyed else None,
        identity=None if pd.isna(written["identity"]) else written["identity"],
        serials=[] if pd.isna(written["serial"]) else _spellings(str(written["serial"])),
    )


def _spellings(serial: str) -> list[str]:
    """A serial as registers write it: "AB 01234567" and "AB01234567"."""
    return [serial, f"{serial[:2]} {serial[2:]}"]


def _candidate(uow: UnitOfWork, row: Any) -> dict[str, Any]:
    parcel = uow.parcels.get(int(row.parcel_id))
    return {
        "parcel_id": parcel.id,
        "key": parcel.reference,
        "confidence": round(float(row.confidence), 3),
        "explanation": row.explanation,
    }


def _holder(
    procedure: dict[str, Any], application: Application, record: dict[str, Any], key: str
) -> list[CheckItem]:
    if not procedure.get("requires_holder") or not record["holders"]:
        return []
    numbers = {h["identity_number"] for h in record["holders"] if h["identity_number"]}
    # the applicant's old CMND counts too: the register may still name the holder by it
    given = {application.applicant_identity, application.applicant_previous_identity}
    if numbers & given:
        return []
    names = set(folded_names(pd.Series([h["name"] for h in record["holders"]])))
    applicant = folded_names(pd.Series([application.applicant_name]))[0]
    if not application.applicant_identity and applicant and applicant in names:
        return []
    holders = sorted({h["name"] for h in record["holders"] if h["name"]})
    return [CheckItem("APPLICANT_NOT_HOLDER", {"parcel": key, "holders": holders})]


def _restrictions(
    procedure: dict[str, Any], application: Application, record: dict[str, Any], key: str
) -> list[CheckItem]:
    blocked_by = set(procedure.get("blocked_by", []))
    items = []
    for restriction in record["restrictions"]:
        since = restriction.get("registered_on")
        if since is not None and since > application.received_at.date():
            continue  # registered after this dossier was received
        if restriction["kind"] == "mortgage" and "mortgage" in blocked_by:
            items.append(
                CheckItem(
                    "PARCEL_MORTGAGED",
                    {"parcel": key, "holder": restriction["holder"], "since": since},
                )
            )
        if restriction["kind"] == "seizure" and "seizure" in blocked_by:
            items.append(
                CheckItem("PARCEL_SEIZED", {"parcel": key, "holder": restriction["holder"]})
            )
    return items


_CLOSING = tuple(status.value for status in DossierStatus if not status.is_open)


def _other_dossiers(
    uow: UnitOfWork, parcel_id: int, at: datetime, dossier_id: int | None, key: str
) -> list[CheckItem]:
    """Dossiers on the same parcel received before ``at`` and still open then: no event
    before ``at`` ended, refused or completed them (a dossier never reopens once processed).
    One query."""
    open_codes = uow.dossiers.open_on_parcel(parcel_id, at, excluding=dossier_id, closing=_CLOSING)
    return (
        [CheckItem("OTHER_OPEN_DOSSIER", {"parcel": key, "dossiers": open_codes})]
        if open_codes
        else []
    )


def _declared(application: Application, record: dict[str, Any]) -> list[CheckItem]:
    items = []
    legal = record["fields"]["legal_area"]["value"]
    declared = application.declared_area
    if declared and legal and abs(declared - legal) > AREA_TOLERANCE_PERCENT / 100 * legal:
        items.append(CheckItem("AREA_DIFFERS", {"declared": declared, "registered": legal}))
    use = record["fields"]["land_use_code"]["value"]
    if application.declared_land_use and use and application.declared_land_use.upper() != use:
        items.append(
            CheckItem(
                "LAND_USE_DIFFERS", {"declared": application.declared_land_use, "registered": use}
            )
        )
    return items


def _planning(
    application: Application,
    record: dict[str, Any],
    key: str,
    maps: Sequence[PlanningMap],
    srid: int,
) -> list[CheckItem]:
    """The requested land use against what the plan gives the parcel."""
    requested = (application.requested_land_use or "").strip().upper()
    shape = record["parcel"].geometry
    if not requested or shape is None:
        return []
    for planning_map in maps:
        planned = planning_map.planned_use(shape, srid)
        if planned is not None and planned != requested:
            return [
                CheckItem(
                    "PLANNING_CONFLICT",
                    {"parcel": key, "requested": requested, "planned": planned},
                )
            ]
    return []


def _findings(record: dict[str, Any], key: str) -> list[CheckItem]:
    titles = sorted({f["rule"] for f in record["findings"]})
    return [CheckItem("REGISTER_FINDINGS", {"parcel": key, "findings": titles})] if titles else []


def _due(application: Application, commune: str | None) -> Any:
    remote = bool(
        commune and reference.communes().get(commune) and reference.commune(commune).remote
    )
    deadline = procedure_deadline(application.procedure, remote=remote)
    return first_due_date(deadline, application.received_at)
