"""A dossier as the register holds it ("hồ sơ"): its own columns, its history, its parcel links.

These are read models: the dossier repositories return them instead of table rows, so that
services and routes read a dossier without a database session. Changes go through the
services (``landreg.services.dossiers``, ``landreg.services.dossier_links``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# Links that say which parcel a dossier is about (not those waiting for review or rejected).
HELD_LINKS = ("linked", "confirmed")


@dataclass(frozen=True, slots=True)
class Dossier:
    """A dossier's own columns, as stored; ``version`` guards concurrent status changes.

    Times are the province's local time (UTC+7), as the one-stop shop records them.
    """

    id: int
    code: str
    procedure: str
    status: str
    version: int
    office: str | None
    applicant_name: str | None
    applicant_identity: str | None
    received_at: datetime
    due_on: date | None
    processed_on: date | None
    returned_on: date | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a dossier's life ("lịch sử xử lý"): who moved it, from what, to what, when.

    ``step`` names the stage of the procedure the source recorded it at (``intake`` at the
    counter), ``note`` says why.
    """

    at: datetime
    actor: str | None
    from_status: str | None
    to_status: str
    note: str | None = None
    step: str | None = None


@dataclass(frozen=True, slots=True)
class ParcelLink:
    """A parcel a dossier is linked to, or a candidate for an officer's review.

    ``status``: ``linked`` (by landreg), ``review`` (a candidate), ``confirmed`` or
    ``rejected`` (by an officer). ``parcel_key`` is ``commune-sheet-number``, ``?`` when the
    parcel is no longer current.
    """

    id: int
    dossier_id: int
    parcel_id: int
    parcel_key: str
    method: str
    confidence: float
    explanation: str | None
    status: str


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    """Documents an officer asked the citizen to bring ("yêu cầu bổ sung giấy tờ").

    ``items`` are codes of the procedures' document catalogue or free text as the officer
    wrote it; the request is open until processing resumes (``closed_at``).
    """

    id: int
    dossier_id: int
    items: tuple[str, ...]
    note: str | None
    requested_at: datetime
    requested_by: str
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        """True while the citizen has not brought the documents."""
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class DossierRecord:
    """A dossier with its documents, its history (in time order), its parcel links (most
    confident first) and the officers' requests for documents (oldest first): what an
    officer sees of it."""

    dossier: Dossier
    documents: tuple[str, ...]
    history: tuple[StatusChange, ...]
    links: tuple[ParcelLink, ...]
    requests: tuple[DocumentRequest, ...] = ()

    @property
    def open_request(self) -> DocumentRequest | None:
        """The request the citizen has still to answer, if any."""
        return next((r for r in reversed(self.requests) if r.is_open), None)


@dataclass(frozen=True, slots=True)
class DossierFilter:
    """Which dossiers an officer's search asks for; every field given must hold.

    The search text matches when any of its readings does: part of the receipt code
    (``code_part``, upper case, no spaces), every word of the applicant's name
    (``name_words``, folded: lower case, no diacritics), the key of a parcel the dossier is
    linked to (``parcel_key`` as commune, sheet, number), or a certificate serial
    (``serial``, letters and digits without spaces) written on it or of its parcel.
    """

    code_part: str | None = None
    name_words: tuple[str, ...] = ()
    parcel_key: tuple[str, int, int] | None = None
    serial: str | None = None
    statuses: tuple[str, ...] | None = None
    procedure: str | None = None
    office: str | None = None

    @property
    def has_text(self) -> bool:
        """True when a search text was given."""
        return bool(self.code_part or self.name_words or self.parcel_key or self.serial)
