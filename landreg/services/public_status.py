"""A dossier's status for the citizen who filed it ("tra cứu hồ sơ"), without signing in.

The citizen gives the receipt code and a verification value: the last four digits of the
applicant's identity number or of the phone number written on the dossier. The answer says
where the dossier stands (status, current step, due date, overdue, documents still missing,
procedure, office) and nothing about any person: no name, identity number, phone, holder or
parcel key (the key with the public map would tell who is selling or mortgaging their land).

A wrong verification is answered exactly as an unknown code, with the same work: one query
for the dossier (a code nobody has still runs it), both digits compared in constant time
whether or not a dossier was found, and the same error. Only a verified dossier is read
further.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from landreg.domain.dossier_clock import (
    DossierClock,
    DossierEvent,
    Timeliness,
    dossier_clock,
    timeliness,
)
from landreg.domain.dossier_deadline import procedure_deadline
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.reference import procedures_config
from landreg.errors import LandRegError, NotFoundError, ValidationError
from landreg.services.dossier_linking import commune_codes
from landreg.store import status_lookup
from landreg.store.dossier_stats_repository import HELD_LINKS
from landreg.store.lookups import Lookups
from landreg.store.status_lookup import VerifiedDossier
from landreg.store.tables import (
    AdminUnit,
    DossierDocumentRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRow,
)
from landreg.store.unit_of_work import UnitOfWork

VERIFY_DIGITS = 4
VERIFY_PATTERN = re.compile(rf"\d{{{VERIFY_DIGITS}}}")
# Compared with when a dossier (or its phone) is missing: never equal to four digits.
_NEVER = b"\xff" * VERIFY_DIGITS
NOT_FOUND_DETAIL = (
    "no dossier has this code and verification; check the receipt code and the last "
    f"{VERIFY_DIGITS} digits of the applicant's identity number or phone"
)


@dataclass(frozen=True, slots=True)
class PublicDossierStatus:
    """What the citizen is told about a dossier: no personal data of anyone."""

    code: str
    status: DossierStatus
    current_step: str
    procedure: str
    procedure_name_vi: str
    procedure_name_en: str
    office: str | None
    received_at: datetime
    due_on: date | None
    overdue: bool
    timeliness: Timeliness | None
    processed_on: date | None
    returned_on: date | None
    missing_documents: tuple[str, ...]


def check_verification(verify: str) -> bytes:
    """The verification as bytes, or :class:`ValidationError` naming the field, never the
    value (it is part of an identity number or phone)."""
    if not isinstance(verify, str) or not VERIFY_PATTERN.fullmatch(verify):
        raise ValidationError(
            f"verify must be the last {VERIFY_DIGITS} digits of the applicant's identity "
            "number or phone",
            field="verify",
        )
    return verify.encode("ascii")


def public_dossier_status(
    uow: UnitOfWork, code: str, verify: str, *, as_of: datetime | None = None
) -> PublicDossierStatus:
    """The dossier ``code`` for whoever knows its verification; :class:`NotFoundError` (the
    same for an unknown code and a wrong verification) otherwise."""
    given = check_verification(verify)
    cleaned = _cleaned(code)
    found = uow.session.execute(
        select(DossierRow.id, DossierRow.applicant_identity, DossierRow.applicant_phone).where(
            DossierRow.code == cleaned
        )
    ).one_or_none()
    identity, phone = (found.applicant_identity, found.applicant_phone) if found else (None, None)
    # Both comparisons always run, in constant time, so the answer time says nothing.
    by_identity = hmac.compare_digest(given, _last_digits(identity))
    by_phone = hmac.compare_digest(given, _last_digits(phone))
    if found is None or not (by_identity | by_phone):
        raise NotFoundError(NOT_FOUND_DETAIL)
    dossier = _read(uow, uow.session.get_one(DossierRow, found.id))
    remote = dossier.linked_remote
    if remote is None:  # no parcel linked: the commune written on the dossier
        commune = _written_commune(dossier.declared_commune)
        remote = commune is not None and bool(
            uow.session.scalar(select(AdminUnit.remote).where(AdminUnit.code == commune))
        )
    return _answer(dossier, remote, as_of)


async def looked_up_dossier_status(
    lookups: Lookups, code: str, verify: str, *, as_of: datetime | None = None
) -> PublicDossierStatus:
    """:func:`public_dossier_status` in one statement on PostGIS, from the event loop.

    The database compares the verification in the statement's condition, so a wrong
    verification and an unknown code do the same work (an index probe on the code) and get
    the same error; only a verified dossier's events, documents and parcel are read.
    """
    given = check_verification(verify).decode("ascii")
    found = await status_lookup.verified_dossier(lookups, _cleaned(code), given, HELD_LINKS)
    if found is None:
        raise NotFoundError(NOT_FOUND_DETAIL)
    remote = found.linked_remote
    if remote is None:  # no parcel linked: the commune written on the dossier
        commune = _written_commune(found.declared_commune)
        remote = commune is not None and await status_lookup.commune_remote(lookups, commune)
    return _answer(found, remote, as_of)


def _cleaned(code: str) -> str:
    return str(code).strip().upper()


def _last_digits(value: str | None) -> bytes:
    digits = re.sub(r"\D", "", value or "")
    return digits[-VERIFY_DIGITS:].encode("ascii") if len(digits) >= VERIFY_DIGITS else _NEVER


def _read(uow: UnitOfWork, row: DossierRow) -> VerifiedDossier:
    """A verified dossier through the ORM (SpatiaLite, and the tests' bound registers)."""
    events = uow.session.execute(
        select(DossierEventRow.at, DossierEventRow.to_status, DossierEventRow.step)
        .where(DossierEventRow.dossier_id == row.id)
        .order_by(DossierEventRow.at, DossierEventRow.id)
    ).all()
    given = frozenset(
        uow.session.scalars(
            select(DossierDocumentRow.document_code).where(DossierDocumentRow.dossier_id == row.id)
        )
    )
    return VerifiedDossier(
        code=row.code, status=row.status, procedure=row.procedure, office=row.office,
        received_at=row.received_at, due_on=row.due_on, processed_on=row.processed_on,
        returned_on=row.returned_on, declared_commune=row.declared_commune,
        history=[(e.at, e.to_status, e.step) for e in events], documents=given,
        linked_remote=_linked_remote(uow, row),
    )  # fmt: skip


def _answer(dossier: VerifiedDossier, remote: bool, as_of: datetime | None) -> PublicDossierStatus:
    """The citizen's answer; ``remote``: the dossier's commune is remote (more working days)."""
    status = DossierStatus.parse(dossier.status)
    procedure: dict[str, Any] = procedures_config()["procedures"].get(dossier.procedure, {})
    clock = _clock(dossier, remote, as_of)
    kind = timeliness(clock) if clock is not None else None
    # Only the workflow step ("Chuyển Chi nhánh Văn phòng đăng ký đất đai"): notes and actors
    # may name people.
    step = next((step for _, _, step in reversed(dossier.history) if step), None)
    return PublicDossierStatus(
        code=dossier.code, status=status, current_step=step or status.label_vi,
        procedure=dossier.procedure,
        procedure_name_vi=procedure.get("name_vi", dossier.procedure),
        procedure_name_en=procedure.get("name_en", dossier.procedure), office=dossier.office,
        received_at=dossier.received_at,
        due_on=clock.due_date if clock is not None and clock.due_date else dossier.due_on,
        overdue=kind is Timeliness.OVERDUE, timeliness=kind, processed_on=dossier.processed_on,
        returned_on=dossier.returned_on,
        missing_documents=tuple(
            d for d in procedure.get("documents", []) if d not in dossier.documents
        ),
    )  # fmt: skip


def _clock(dossier: VerifiedDossier, remote: bool, as_of: datetime | None) -> DossierClock | None:
    """The dossier's clock as the statistics read it; None when its history is not readable
    (then the due date the source recorded is shown)."""
    try:
        deadline = procedure_deadline(dossier.procedure, remote=remote)
        events = [
            DossierEvent(at, DossierStatus.parse(status)) for at, status, _ in dossier.history
        ]
        return dossier_clock(deadline, events, as_of=as_of)
    except LandRegError:
        return None


def _linked_remote(uow: UnitOfWork, row: DossierRow) -> bool | None:
    """Whether the first commune (by code) of the parcels linked to the dossier is remote;
    None when no parcel is linked."""
    commune = uow.session.scalar(
        select(func.min(ParcelRow.commune_code))
        .join(DossierParcelLinkRow, DossierParcelLinkRow.parcel_id == ParcelRow.id)
        .where(
            DossierParcelLinkRow.dossier_id == row.id, DossierParcelLinkRow.status.in_(HELD_LINKS)
        )
    )
    if commune is None:
        return None
    return bool(uow.session.scalar(select(AdminUnit.remote).where(AdminUnit.code == commune)))


@lru_cache(maxsize=4096)
def _written_commune(declared: str | None) -> str | None:
    """The code of the commune written on the dossier, if it names one (the same few hundred
    spellings come back again and again)."""
    if not declared:
        return None
    written = commune_codes(pd.Series([declared])).iloc[0]
    return None if pd.isna(written) else str(written)
