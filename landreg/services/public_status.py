"""A dossier's status for the citizen who filed it ("tra cứu hồ sơ"), without signing in.

The citizen gives the receipt code and a verification value: the last four digits of the
applicant's identity number or of the phone number written on the dossier. The answer says
where the dossier stands (status, current step, due date, overdue, documents still missing,
procedure, office) and nothing about any person: no name, identity number, phone or holder.

Of the parcel, only the national identifier ("mã định danh thửa đất") of the parcel(s) the
verified dossier is linked to (links made or confirmed, never those awaiting an officer's
review) is shown, as the new certificate prints it: it is the one name the national guidance
gives a parcel, the one the applicant will quote to any office, and it stays the same when
the map is surveyed again or communes merge. It is shown only after the verification,
never for a wrong one: a GeoHash encodes where the parcel lies, and with the map it leads
to the parcel. The parcel key (commune, sheet, number), areas and holders still are not
shown: the key changes with a new survey and with the 2025 merger of communes (an old key
on a receipt and a new one on the page would confuse more than help), and the answer gives
no more about the land than the identifier the certificate carries.

A wrong verification is answered exactly as an unknown code, with the same work and the same
error: the reads (:class:`landreg.services.reads.StatusReads`) look the dossier up by its code
and compare both digits whether or not one was found (in the statement on PostGIS, in constant
time on SpatiaLite). Only a verified dossier is read further.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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
from landreg.domain.dossier_workflow import DOCUMENTS_STEP, DossierStatus
from landreg.domain.public_dossier import (
    VERIFY_DIGITS,
    MissingDocument,
    VerifiedDossier,
    document_names,
)
from landreg.domain.reference import Office, offices, procedures_config
from landreg.errors import LandRegError, NotFoundError, ValidationError
from landreg.services.dossier_link_scoring import commune_codes
from landreg.services.reads import StatusReads

VERIFY_PATTERN = re.compile(rf"[0-9]{{{VERIFY_DIGITS}}}")  # ASCII digits only: ١٢٣٤ is not
# Any dash a phone keyboard or a word processor types, for the one the receipt code uses.
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
# An apology letter recorded as a step ("Gửi thư xin lỗi"), as the statistics find it.
_APOLOGY = re.compile(r"xin\s+l[oỗ]i|apolog", re.IGNORECASE)
# Steps earlier versions recorded as codes, never shown to a citizen.
_MACHINE_STEPS = frozenset({"intake"})
NOT_FOUND_DETAIL = (
    "no dossier has this code and verification; check the receipt code and the last "
    f"{VERIFY_DIGITS} digits of the applicant's identity number or phone"
)
NOT_FOUND_DETAIL_VI = (
    "không có hồ sơ nào có mã và số kiểm tra này; hãy xem lại mã hồ sơ trên giấy tiếp nhận và "
    f"{VERIFY_DIGITS} số cuối của số định danh hoặc số điện thoại của người nộp"
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
    # The documents of the officer's open request, else the procedure's not handed in.
    missing_documents: tuple[MissingDocument, ...]
    # Where the dossier is handled: the office of offices.csv (None when it is not listed).
    office_name_vi: str | None = None
    office_name_en: str | None = None
    office_address: str | None = None
    office_hours_vi: str | None = None
    office_hours_en: str | None = None
    office_phone: str | None = None
    office_official: bool = False
    # The steps so far, oldest first, and the day an apology letter was recorded as sent.
    timeline: tuple[PublicStep, ...] = ()
    apologised_on: date | None = None
    # The last apology letter recorded (None: none was sent).
    apology: PublicApology | None = None
    # The day the officer asked for the missing documents (None: none asked for).
    requested_on: date | None = None
    # The national identifiers of the linked parcels (empty: none linked, or not assigned).
    national_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicApology:
    """The apology letter recorded for a late dossier ("Phiếu xin lỗi và hẹn lại ngày trả kết
    quả"), as far as its event says it: the day it was sent, the new return date written in
    its note, and the reason the note states after "Lý do:" (long digit runs, such as a
    phone number, blanked), else the plain reason every such letter gives. Never the rest of
    the note, nor who wrote it."""

    issued_on: date
    new_return_on: date | None
    reason_vi: str
    reason_en: str
    # The office wrote the reason (in Vietnamese; then reason_en is the same text).
    reason_stated: bool = False


@dataclass(frozen=True, slots=True)
class PublicStep:
    """One step of the dossier's way: when, the status it reached, the workflow step's name
    (never the event's note or actor, which may name people)."""

    at: datetime
    status: DossierStatus
    step: str | None


def check_verification(verify: str) -> bytes:
    """The verification as bytes, or :class:`ValidationError` naming the field, never the
    value (it is part of an identity number or phone)."""
    if not isinstance(verify, str) or not VERIFY_PATTERN.fullmatch(verify):
        raise ValidationError(
            f"verify must be the last {VERIFY_DIGITS} digits of the applicant's identity "
            "number or phone",
            field="verify",
            detail_vi=f"số kiểm tra phải là {VERIFY_DIGITS} chữ số cuối của số định danh hoặc "
            "số điện thoại của người nộp",
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
        raise NotFoundError(NOT_FOUND_DETAIL, detail_vi=NOT_FOUND_DETAIL_VI)
    remote = found.linked_remote
    if remote is None:  # no parcel linked: the commune written on the dossier
        commune = _written_commune(found.declared_commune)
        remote = commune is not None and await reads.commune_remote(commune)
    return _answer(found, remote, as_of)


def _cleaned(code: str) -> str:
    """The code as printed, however it was typed: any case, any dash, spaces around its
    parts (\"h55.703 – 240104 – 0001\"), or spaces for its dashes."""
    code = _DASHES.sub("-", str(code)).strip().upper()
    code = re.sub(r"\s*([-.])\s*", r"\1", code)
    return re.sub(r"\s+", "-", code)


def _answer(dossier: VerifiedDossier, remote: bool, as_of: datetime | None) -> PublicDossierStatus:
    """The citizen's answer; ``remote``: the dossier's commune is remote (more working days)."""
    status = DossierStatus.parse(dossier.status)
    procedure: dict[str, Any] = procedures_config()["procedures"].get(dossier.procedure, {})
    clock = _clock(dossier, remote, as_of)
    kind = timeliness(clock) if clock is not None else None
    return PublicDossierStatus(
        code=dossier.code, status=status, current_step=current_step(dossier, status),
        procedure=dossier.procedure,
        procedure_name_vi=procedure.get("name_vi", dossier.procedure),
        procedure_name_en=procedure.get("name_en", dossier.procedure), office=dossier.office,
        received_at=dossier.received_at,
        due_on=clock.due_date if clock is not None and clock.due_date else dossier.due_on,
        overdue=kind is Timeliness.OVERDUE, timeliness=kind, processed_on=dossier.processed_on,
        returned_on=dossier.returned_on,
        missing_documents=_missing(dossier, procedure),
        requested_on=dossier.requested_at.date() if dossier.requested_at else None,
        **_office_fields(offices().get(dossier.office or "")),
        timeline=_timeline(dossier), apologised_on=_apologised_on(dossier),
        apology=recorded_apology(_with_notes(dossier)), national_ids=dossier.national_ids,
    )  # fmt: skip


def current_step(dossier: VerifiedDossier, status: DossierStatus) -> str:
    """The step the dossier is at: waiting for documents says so; otherwise the workflow step
    recorded since it reached its status ("Chuyển Chi nhánh Văn phòng đăng ký đất đai"), else
    the status. Only the step: notes and actors may name people."""
    if status is DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED:
        return DOCUMENTS_STEP
    for _, reached, step in reversed(dossier.history):
        if reached != status.value:
            break  # a step of an earlier status is not where the dossier is now
        if step and step not in _MACHINE_STEPS:
            return step
    return status.label_vi


def _missing(dossier: VerifiedDossier, procedure: dict[str, Any]) -> tuple[MissingDocument, ...]:
    """The documents the officer asked for, while the request is open; else the procedure's
    required documents not handed in."""
    if dossier.requested_documents:
        return document_names(dossier.requested_documents)
    return document_names(d for d in procedure.get("documents", []) if d not in dossier.documents)


def _office_fields(office: Office | None) -> dict[str, Any]:
    if office is None:
        return {}
    return {
        "office_name_vi": office.name_vi, "office_name_en": office.name_en,
        "office_address": office.address, "office_hours_vi": office.hours_vi,
        "office_hours_en": office.hours_en, "office_phone": office.phone,
        "office_official": office.official,
    }  # fmt: skip


def _timeline(dossier: VerifiedDossier) -> tuple[PublicStep, ...]:
    """The recorded steps whose status is one of the portal's (others are left out)."""
    steps = []
    for at, status, step in dossier.history:
        try:
            steps.append(PublicStep(at, DossierStatus.parse(status), step))
        except LandRegError:
            continue
    return tuple(steps)


def _apologised_on(dossier: VerifiedDossier) -> date | None:
    """The last day an apology letter was recorded as sent (by its step's name)."""
    days = [
        at.date()
        for at, _, step in dossier.history
        if step and _APOLOGY.search(unicodedata.normalize("NFC", step))
    ]
    return days[-1] if days else None


# A day written in an apology's note: 24/01/2025 (or 24-01-2025) and 2025-01-24.
_DAY_FIRST = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_REASON = re.compile(r"(?:l[ýy]\s+do|reason)\s*[:：]\s*(.+)", re.IGNORECASE | re.DOTALL)
_HENCE = re.compile(r"[.;]\s*(?:h[eẹ]n|new date)\b", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\+?\d[\d .-]{4,}\d")
GENERIC_REASON = (
    "hồ sơ chưa được giải quyết xong trong thời hạn quy định",
    "the dossier could not be processed within the time allowed",
)


def recorded_apology(
    events: Iterable[tuple[datetime, str | None, str | None]],
) -> PublicApology | None:
    """The last apology letter among ``events`` ((time, step, note), oldest first): an event
    whose step or note says "xin lỗi" or "apolog", as the statistics find it; None when
    there is none."""
    found = [
        (at, note)
        for at, step, note in events
        if _APOLOGY.search(unicodedata.normalize("NFC", f"{step or ''} {note or ''}"))
    ]
    if not found:
        return None
    at, note = found[-1]
    text = " ".join(unicodedata.normalize("NFC", note or "").split())
    stated = _REASON.search(text)
    reason = _HENCE.split(stated.group(1))[0] if stated else ""  # not the new date's sentence
    reason = _DIGIT_RUN.sub("…", reason).strip().rstrip(".")
    if not reason:
        return PublicApology(at.date(), _new_date(text), *GENERIC_REASON)
    return PublicApology(at.date(), _new_date(text), reason, reason, reason_stated=True)


def _new_date(note: str) -> date | None:
    """The first real day the note writes (the new return date the letter gives)."""
    for pattern, order in ((_DAY_FIRST, (2, 1, 0)), (_ISO_DAY, (0, 1, 2))):
        for match in pattern.finditer(note):
            parts = [int(match.group(i + 1)) for i in order]
            try:
                return date(parts[0], parts[1], parts[2])
            except ValueError:
                continue
    return None


def _with_notes(dossier: VerifiedDossier) -> list[tuple[datetime, str | None, str | None]]:
    notes = dossier.notes or (None,) * len(dossier.history)
    return [(at, step, note) for (at, _, step), note in zip(dossier.history, notes, strict=True)]


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
