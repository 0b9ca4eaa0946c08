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
class DossierRecord:
    """A dossier with its documents, its history (in time order) and its parcel links (most
    confident first): what an officer sees of it."""

    dossier: Dossier
    documents: tuple[str, ...]
    history: tuple[StatusChange, ...]
    links: tuple[ParcelLink, ...]
