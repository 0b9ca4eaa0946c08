"""What a citizen's dossier status is made from, read for the public look-up.

:class:`PooledStatusReads` (PostGIS) reads it in one statement on the event loop: the
dossier, found by its code only when the verification matches the last four digits of the
applicant's identity number or phone (the database compares, as
:func:`landreg.domain.public_dossier.verification_matches` does), then what the answer is
made from: the events in order (with their notes), the documents handed in, the officer's
open request for documents, the first commune (by code) of the parcels it is linked to
(is it remote?) and those parcels' national identifiers. Each part is an index probe by the
dossier's id, whatever plan the server keeps for the prepared statement.
:class:`SessionStatusReads` (SpatiaLite) reads the same through the ORM in a worker thread.
The rules of the answer are in :mod:`landreg.services.public_status`.
"""

from __future__ import annotations

import anyio
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from landreg.domain.dossier import HELD_LINKS
from landreg.domain.public_dossier import VerifiedDossier, verification_matches
from landreg.store.database import RegisterDatabase
from landreg.store.reads.lookups import Lookups
from landreg.store.tables import (
    AdminUnit,
    DossierDocumentRequestRow,
    DossierDocumentRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRow,
)

_LAST_DIGITS = "right(regexp_replace(coalesce({}, ''), '[^0-9]', '', 'g'), 4)"
_VERIFIED_DOSSIER = f"""
SELECT d.code, d.status, d.procedure, d.office, d.received_at, d.due_on, d.processed_on,
       d.returned_on, d.declared_commune,
       coalesce(ev.ats, '{{}}'), coalesce(ev.statuses, '{{}}'), coalesce(ev.steps, '{{}}'),
       coalesce(ev.notes, '{{}}'),
       ARRAY(SELECT g.document_code FROM dossier_document AS g WHERE g.dossier_id = d.id),
       linked.remote, asked.items, asked.requested_at,
       ARRAY(SELECT DISTINCT p.national_id
             FROM dossier_parcel_link AS l JOIN parcel AS p ON p.id = l.parcel_id
             WHERE l.dossier_id = d.id AND l.status = ANY(%(held)s)
               AND p.national_id IS NOT NULL
             ORDER BY p.national_id)
FROM dossier AS d
LEFT JOIN LATERAL (
    SELECT array_agg(e.at ORDER BY e.at, e.id) AS ats,
           array_agg(e.to_status ORDER BY e.at, e.id) AS statuses,
           array_agg(e.step ORDER BY e.at, e.id) AS steps,
           array_agg(e.note ORDER BY e.at, e.id) AS notes
    FROM dossier_event AS e WHERE e.dossier_id = d.id
) AS ev ON true
LEFT JOIN LATERAL (
    SELECT coalesce(a.remote, false) AS remote
    FROM (SELECT min(p.commune_code) AS commune_code
          FROM dossier_parcel_link AS l JOIN parcel AS p ON p.id = l.parcel_id
          WHERE l.dossier_id = d.id AND l.status = ANY(%(held)s)) AS first
    LEFT JOIN admin_unit AS a ON a.code = first.commune_code
    WHERE first.commune_code IS NOT NULL
) AS linked ON true
LEFT JOIN LATERAL (
    SELECT r.items, r.requested_at FROM dossier_document_request AS r
    WHERE r.dossier_id = d.id AND r.closed_at IS NULL
    ORDER BY r.requested_at DESC, r.id DESC LIMIT 1
) AS asked ON true
WHERE d.code = %(code)s
  AND %(verify)s IN ({_LAST_DIGITS.format("d.applicant_identity")},
                     {_LAST_DIGITS.format("d.applicant_phone")})
"""
_COMMUNE_REMOTE = "SELECT remote FROM admin_unit WHERE code = %(code)s"


class PooledStatusReads:
    """The dossier in one statement on the look-ups' connections (PostGIS)."""

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups

    async def verified_dossier(self, code: str, verify: str) -> VerifiedDossier | None:
        """The dossier ``code`` if ``verify`` is the last four digits of its applicant's
        identity number or phone; None otherwise (an unknown code alike)."""
        found = await self.lookups.first(
            _VERIFIED_DOSSIER, {"code": code, "verify": verify, "held": list(HELD_LINKS)}
        )
        if found is None:
            return None
        (code, status, procedure, office, received_at, due_on, processed_on, returned_on, declared,
         ats, statuses, steps, notes, documents, remote, asked, asked_at, ids) = found  # fmt: skip
        return VerifiedDossier(
            code=code, status=status, procedure=procedure, office=office,
            received_at=received_at, due_on=due_on, processed_on=processed_on,
            returned_on=returned_on, declared_commune=declared,
            history=list(zip(ats, statuses, steps, strict=True)),
            documents=frozenset(documents), linked_remote=remote,
            requested_documents=tuple(asked or ()), requested_at=asked_at, notes=tuple(notes),
            national_ids=tuple(ids),
        )  # fmt: skip

    async def commune_remote(self, commune_code: str) -> bool:
        """Whether the commune is remote (False for a code the register does not know)."""
        found = await self.lookups.first(_COMMUNE_REMOTE, {"code": commune_code})
        return bool(found and found[0])


class SessionStatusReads:
    """The dossier through the ORM, in a worker thread (SpatiaLite)."""

    def __init__(self, database: RegisterDatabase) -> None:
        self.database = database

    async def verified_dossier(self, code: str, verify: str) -> VerifiedDossier | None:
        """The dossier ``code`` if ``verify`` matches (one query by code, both digits compared
        in constant time whether or not it was found); None otherwise."""
        return await anyio.to_thread.run_sync(self._verified_dossier, code, verify)

    async def commune_remote(self, commune_code: str) -> bool:
        """Whether the commune is remote (False for a code the register does not know)."""
        return await anyio.to_thread.run_sync(self._commune_remote, commune_code)

    def _verified_dossier(self, code: str, verify: str) -> VerifiedDossier | None:
        with self.database.sessions() as session:
            found = session.execute(
                select(DossierRow.id, DossierRow.applicant_identity, DossierRow.applicant_phone)
                .where(DossierRow.code == code)
            ).one_or_none()  # fmt: skip
            identity, phone = (found[1], found[2]) if found else (None, None)
            if not verification_matches(verify, identity, phone) or found is None:
                return None
            return _read(session, session.get_one(DossierRow, found.id))

    def _commune_remote(self, commune_code: str) -> bool:
        with self.database.sessions() as session:
            return _remote(session, commune_code)


def _read(session: Session, row: DossierRow) -> VerifiedDossier:
    events = session.execute(
        select(
            DossierEventRow.at,
            DossierEventRow.to_status,
            DossierEventRow.step,
            DossierEventRow.note,
        )
        .where(DossierEventRow.dossier_id == row.id)
        .order_by(DossierEventRow.at, DossierEventRow.id)
    ).all()
    given = frozenset(
        session.scalars(
            select(DossierDocumentRow.document_code).where(DossierDocumentRow.dossier_id == row.id)
        )
    )
    asked = session.execute(
        select(DossierDocumentRequestRow.items, DossierDocumentRequestRow.requested_at)
        .where(
            DossierDocumentRequestRow.dossier_id == row.id,
            DossierDocumentRequestRow.closed_at.is_(None),
        )
        .order_by(
            DossierDocumentRequestRow.requested_at.desc(), DossierDocumentRequestRow.id.desc()
        )
        .limit(1)
    ).one_or_none()
    return VerifiedDossier(
        code=row.code, status=row.status, procedure=row.procedure, office=row.office,
        received_at=row.received_at, due_on=row.due_on, processed_on=row.processed_on,
        returned_on=row.returned_on, declared_commune=row.declared_commune,
        history=[(e.at, e.to_status, e.step) for e in events], documents=given,
        linked_remote=_linked_remote(session, row.id),
        requested_documents=tuple(asked.items) if asked else (),
        requested_at=asked.requested_at if asked else None,
        notes=tuple(e.note for e in events),
        national_ids=_linked_national_ids(session, row.id),
    )  # fmt: skip


def _linked_remote(session: Session, dossier_id: int) -> bool | None:
    """Whether the first commune (by code) of the parcels linked to the dossier is remote;
    None when no parcel is linked."""
    commune = session.scalar(
        select(func.min(ParcelRow.commune_code))
        .join(DossierParcelLinkRow, DossierParcelLinkRow.parcel_id == ParcelRow.id)
        .where(
            DossierParcelLinkRow.dossier_id == dossier_id,
            DossierParcelLinkRow.status.in_(HELD_LINKS),
        )
    )
    return None if commune is None else _remote(session, commune)


def _linked_national_ids(session: Session, dossier_id: int) -> tuple[str, ...]:
    """The national identifiers of the parcels linked to the dossier, in order."""
    found = session.scalars(
        select(ParcelRow.national_id)
        .join(DossierParcelLinkRow, DossierParcelLinkRow.parcel_id == ParcelRow.id)
        .where(
            DossierParcelLinkRow.dossier_id == dossier_id,
            DossierParcelLinkRow.status.in_(HELD_LINKS),
            ParcelRow.national_id.is_not(None),
        )
        .distinct()
        .order_by(ParcelRow.national_id)
    )
    return tuple(str(national_id) for national_id in found)


def _remote(session: Session, commune_code: str) -> bool:
    return bool(session.scalar(select(AdminUnit.remote).where(AdminUnit.code == commune_code)))
