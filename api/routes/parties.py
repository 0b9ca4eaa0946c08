"""Parties resolved across the registers: one party with its numbers, parcels and rights, and
the review queue of uncertain matches."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import UowDep
from api.params import RowId
from api.schemas import Problem, UtcTime
from api.security import InternalDep, OfficerDep
from landreg.services.parties import (
    confirm_party_link,
    party_card,
    party_review,
    reject_party_link,
)

router = APIRouter(tags=["parties"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
}


class IdentityOut(BaseModel):
    """One identity number of a party and where it came from: ``register`` (a register row
    names the holder with it), ``register_previous`` (a row gives it as the holder's earlier
    number), ``officer`` (an officer merged two parties), ``dossier`` (a dossier, ``source_key``
    its code, gives the number with the applicant's previous one); ``origin_text`` says it in
    Vietnamese ("hồ sơ <code>")."""

    number: str
    kind: str = Field(description="cccd, cmnd, passport or tax_code")
    origin: str
    origin_text: str = Field(examples=["hồ sơ H55.703-240104-0001"])
    source_name: str | None
    source_key: str | None
    recorded_at: UtcTime


class PartyParcelOut(BaseModel):
    """A register entry resolved to the party, with the map parcel it is linked to."""

    register_entry_id: int
    parcel_id: int | None
    parcel_key: str | None
    legal_area: float | None
    land_use_code: str | None
    share_percent: float | None
    certificate_serial: str | None
    holder_name: str | None = Field(description="the holder's name as this row writes it")
    source_name: str | None
    source_key: str | None


class PartyRightOut(BaseModel):
    """A right the party holds."""

    id: int
    parcel_id: int
    parcel_key: str
    kind: str
    share_percent: float
    land_use_code: str | None
    version: int


class PendingOut(BaseModel):
    """An undecided match touching the party."""

    id: int
    register_entry_id: int
    party_id: int
    reason: str
    score: float
    explanation: str | None


class PartyOut(BaseModel):
    """A party with its identity numbers, parcels and rights."""

    id: int
    kind: str
    name: str
    identity_number: str | None
    birth_year: int | None
    tax_code: str | None
    version: int
    valid_from: UtcTime | None
    identities: list[IdentityOut]
    parcels: list[PartyParcelOut]
    rights: list[PartyRightOut]
    review: list[PendingOut]


class PartyLinkOut(BaseModel):
    """A match waiting for an officer: a register entry's holder may be the party."""

    id: int
    register_entry_id: int
    party_id: int
    reason: str = Field(
        description="same_number_other_name, same_number_other_birth_year, no_number, "
        "cmnd_cccd, dossier_other_name"
    )
    score: float
    explanation: str | None
    status: str
    created_at: UtcTime
    holder_name: str | None = None
    identity_number: str | None = None
    birth_year: int | None = None
    source_name: str | None = None
    source_key: str | None = None
    parcel_key: str | None = None
    party_name: str | None = None
    party_identity_number: str | None = None
    party_birth_year: int | None = None
    decided_by: str | None = None
    decided_at: UtcTime | None = None


class RejectIn(BaseModel):
    """Why the entry's holder is not the party."""

    reason: str = Field(min_length=3, max_length=2000)


def _key(commune: Any, sheet: Any, number: Any) -> str | None:
    if commune is None or sheet is None or number is None:
        return None
    return f"{commune}-{sheet}-{number}"


@router.get("/parties/review", response_model=list[PartyLinkOut], responses=ERRORS,
            summary="Uncertain party matches an officer must decide")  # fmt: skip
def review_queue(
    uow: UowDep,
    _: InternalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PartyLinkOut]:
    """Register entries whose holder may be another party, oldest first."""
    return [
        PartyLinkOut(
            **row, parcel_key=_key(row["commune_code"], row["map_sheet"], row["parcel_number"])
        )
        for row in party_review(uow, limit=limit, offset=offset)
    ]


@router.get("/parties/{party_id}", response_model=PartyOut, responses=ERRORS,
            summary="A party with its identity numbers, parcels and rights")  # fmt: skip
def party(party_id: RowId, uow: UowDep, _: InternalDep) -> PartyOut:
    """The party as resolved across the registers (personal data: officers and staff)."""
    card = party_card(uow, party_id)
    found = card["party"]
    return PartyOut(
        id=found.id, kind=str(found.kind), name=found.name,
        identity_number=found.identity_number, birth_year=found.birth_year,
        tax_code=found.tax_code, version=found.version, valid_from=found.valid_from,
        identities=[IdentityOut(**row) for row in card["identities"]],
        parcels=[
            PartyParcelOut(
                **{k: row[k] for k in PartyParcelOut.model_fields if k in row},
                parcel_key=_key(row["commune_code"], row["map_sheet"], row["parcel_number"]),
            )
            for row in card["entries"]
        ],
        rights=[
            PartyRightOut(
                **{k: row[k] for k in PartyRightOut.model_fields if k in row},
                parcel_key=str(_key(row["commune_code"], row["map_sheet"], row["parcel_number"])),
            )
            for row in card["rights"]
        ],
        review=[PendingOut(**row) for row in card["review"]],
    )  # fmt: skip


@router.post("/party-links/{link_id}/confirm", response_model=PartyLinkOut, responses=ERRORS,
             summary="Confirm that an entry's holder is the party")  # fmt: skip
def confirm(link_id: RowId, uow: UowDep, officer: OfficerDep) -> PartyLinkOut:
    """The entry (and every other entry of its party) moves to the party, its numbers with
    it; 409 when the match was already decided."""
    return PartyLinkOut(**confirm_party_link(uow, link_id, actor=officer.name))


@router.post("/party-links/{link_id}/reject", status_code=204, responses=ERRORS,
             summary="Reject a party match")  # fmt: skip
def reject(link_id: RowId, body: RejectIn, uow: UowDep, officer: OfficerDep) -> None:
    """The entry's holder is not the party; the reason is kept in the audit log and the pair
    is not proposed again. 409 when the match was already decided."""
    reject_party_link(uow, link_id, actor=officer.name, reason=body.reason)
