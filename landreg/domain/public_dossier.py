"""A dossier as the citizen's status look-up reads it ("tra cứu hồ sơ"), and who may read it.

Whoever knows a dossier's receipt code and the last four digits of its applicant's identity
number or phone may read where it stands. The store reads the dossier only when the digits
match (:func:`verification_matches`, or the same comparison in SQL), so that a wrong
verification and an unknown code look the same; what the citizen is then told is decided in
:mod:`landreg.services.public_status`.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from landreg.domain.reference import procedures_config

VERIFY_DIGITS = 4
# Compared with when a dossier (or its phone) is missing: never equal to four digits.
_NEVER = b"\xff" * VERIFY_DIGITS


@dataclass(frozen=True, slots=True)
class VerifiedDossier:
    """The verified dossier's fields the citizen's answer is made from.

    Parameters
    ----------
    code, status, procedure, office :
        The receipt code, the workflow status, the procedure and the receiving office.
    received_at, due_on, processed_on, returned_on :
        When it was received, due, processed and returned (the source's dates).
    declared_commune : str or None
        The commune written on the dossier.
    history : list of (time, status, step)
        The events in order, each with the workflow step it recorded.
    documents : frozenset of str
        The codes of the documents handed in.
    linked_remote : bool or None
        Whether the first commune (by code) of the parcels linked to it is remote; None when
        no parcel is linked.
    requested_documents : tuple of str
        The items of the officer's open request for documents (catalogue codes or free
        text), empty when none is open.
    requested_at : datetime or None
        When that request was made.
    notes : tuple of (str or None)
        Each event's note, in the order of ``history`` (empty when not read). Notes may name
        people: only what :mod:`landreg.services.public_status` takes from an apology
        letter's note (its new date, its stated reason) reaches the citizen.
    national_ids : tuple of str
        The national identifiers ("mã định danh thửa đất") of the parcels the dossier is
        linked to (links made or confirmed, not those awaiting review), in order; empty when
        none is linked or none has one yet.
    """

    code: str
    status: str
    procedure: str
    office: str | None
    received_at: datetime
    due_on: date | None
    processed_on: date | None
    returned_on: date | None
    declared_commune: str | None
    history: list[tuple[datetime, str, str | None]]
    documents: frozenset[str]
    linked_remote: bool | None
    requested_documents: tuple[str, ...] = ()
    requested_at: datetime | None = None
    notes: tuple[str | None, ...] = ()
    national_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentName:
    """A document as a person reads it: its catalogue code (None for a document an officer
    described in free text) and its names.

    Parameters
    ----------
    code : str or None
        The code of the procedures' document catalogue (``notarised_contract``).
    name_vi, name_en : str
        Its name in Vietnamese and English; for free text, the text as written, in both.
    """

    code: str | None
    name_vi: str
    name_en: str


# A document the citizen still has to bring.
MissingDocument = DocumentName


def document_name(item: str) -> DocumentName:
    """The document an item of a request or a dossier names.

    Parameters
    ----------
    item : str
        A catalogue code (any case), a catalogue name in Vietnamese or English (any case,
        with or without diacritics), or free text.

    Returns
    -------
    DocumentName
        With the catalogue's code and names when the item is one of its documents; else the
        text as written (spaces trimmed), with no code.
    """
    text = " ".join(str(item).split())
    catalogue: dict[str, dict[str, str]] = procedures_config().get("documents", {})
    wanted = _folded(text)
    for code, names in catalogue.items():
        known = {code, names.get("name_vi", ""), names.get("name_en", "")}
        if wanted in {_folded(name) for name in known if name}:
            return DocumentName(code, names.get("name_vi", code), names.get("name_en", code))
    return DocumentName(None, text, text)


def document_names(items: Iterable[str]) -> tuple[DocumentName, ...]:
    """:func:`document_name` of each item, in order, each document once."""
    named: dict[str, DocumentName] = {}
    for item in items:
        document = document_name(item)
        named.setdefault(document.code or _folded(document.name_vi), document)
    return tuple(named.values())


def _folded(text: str) -> str:
    """Comparable however typed: no case, diacritics, underscores or extra spaces."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").split())


def verification_matches(given: str, identity: str | None, phone: str | None) -> bool:
    """Whether ``given`` is the last four digits of the identity number or of the phone.

    Both are compared, in constant time, whatever the first says, so that the time of the
    answer tells nothing (a missing value compares with something no four digits equal).

    Parameters
    ----------
    given : str
        The verification the citizen typed (already checked to be four digits).
    identity, phone : str or None
        The applicant's identity number and phone as the dossier records them.
    """
    wanted = given.encode("ascii", errors="replace")
    by_identity = hmac.compare_digest(wanted, _last_digits(identity))
    by_phone = hmac.compare_digest(wanted, _last_digits(phone))
    return by_identity | by_phone


def _last_digits(value: str | None) -> bytes:
    digits = re.sub(r"\D", "", value or "")
    return digits[-VERIFY_DIGITS:].encode("ascii") if len(digits) >= VERIFY_DIGITS else _NEVER
