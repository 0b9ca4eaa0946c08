"""A dossier's status for the citizen who filed it ("tra cứu hồ sơ"), without signing in.

The citizen gives the receipt code and a verification value: the last four digits of the
applicant's identity number or of the phone number written on the dossier. The answer says
where the dossier stands (status, current step, due date, overdue, documents still missing,
procedure, office) and nothing about any person: no name, identity number, phone, holder or
parcel key (the key with the public map would tell who is selling or mortgaging their land).

A wrong verification is answered exactly as an unknown code, with the same work and the same
error: the reads (:class:`landreg.services.reads.StatusReads`) look the dossier up by its code
and compare both digits whether or not one was found (in the statement on PostGIS, in constant
time on SpatiaLite). Only a verified dossier is read further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd

from landreg.domain.dossier_clock import (
    DossierClock,
    DossierEvent,
    Timeliness,
    dossier_clock,
    timeliness,
)
from landreg.domain.dossier_deadline import procedure_deadline
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.public_dossier import VERIFY_DIGITS, VerifiedDossier
from landreg.domain.reference import procedures_config
from landreg.errors import LandRegError, NotFoundError, ValidationError
from landreg.services.dossier_link_scoring import commune_codes
from landreg.services.reads import StatusReads

VERIFY_PATTERN = re.compile(rf"[0-9]{{{VERIFY_DIGITS}}}")  # ASCII digits only: ١٢٣٤ is not
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


async def public_dossier_status(
    reads: StatusReads, code: str, verify: str, *, as_of: datetime | None = None
) -> PublicDossierStatus:
    """The dossier ``code`` for whoever knows its verification; :class:`NotFoundError` (the
    same for an unknown code and a wrong verification) otherwise.

    The reads compare the verification where they find the dossier (in the statement's
    condition on PostGIS), so a wrong verification and an unknown code do the same work and
    get the same error; only a verified dossier's events, documents and parcel are read.
    """
    given = check_verification(verify).decode("ascii")
    found = await reads.verified_dossier(_cleaned(code), given)
    if found is None:
        raise NotFoundError(NOT_FOUND_DETAIL)
    remote = found.linked_remote
    if remote is None:  # no parcel linked: the commune written on the dossier
        commune = _written_commune(found.declared_commune)
        remote = commune is not None and await reads.commune_remote(commune)
    return _answer(found, remote, as_of)


def _cleaned(code: str) -> str:
    return str(code).strip().upper()


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


@lru_cache(maxsize=4096)
def _written_commune(declared: str | None) -> str | None:
    """The code of the commune written on the dossier, if it names one (the same few hundred
    spellings come back again and again)."""
    if not declared:
        return None
    written = commune_codes(pd.Series([declared])).iloc[0]
    return None if pd.isna(written) else str(written)
