"""A citizen's dossier status read in one statement (PostGIS), for the public look-up.

The statement finds the dossier by its code only when the verification matches the last
four digits of the applicant's identity number or phone, and then reads what the answer is
made from: the events in order, the documents handed in, and the first commune (by code) of
the parcels it is linked to (is it remote?). Each part is an index probe by the dossier's id,
whatever plan the server keeps for the prepared statement. See
:mod:`landreg.services.public_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from landreg.store.lookups import Lookups

_LAST_DIGITS = "right(regexp_replace(coalesce({}, ''), '[^0-9]', '', 'g'), 4)"
_VERIFIED_DOSSIER = f"""
SELECT d.code, d.status, d.procedure, d.office, d.received_at, d.due_on, d.processed_on,
       d.returned_on, d.declared_commune,
       coalesce(ev.ats, '{{}}'), coalesce(ev.statuses, '{{}}'), coalesce(ev.steps, '{{}}'),
       ARRAY(SELECT g.document_code FROM dossier_document AS g WHERE g.dossier_id = d.id),
       linked.remote
FROM dossier AS d
LEFT JOIN LATERAL (
    SELECT array_agg(e.at ORDER BY e.at, e.id) AS ats,
           array_agg(e.to_status ORDER BY e.at, e.id) AS statuses,
           array_agg(e.step ORDER BY e.at, e.id) AS steps
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
WHERE d.code = %(code)s
  AND %(verify)s IN ({_LAST_DIGITS.format("d.applicant_identity")},
                     {_LAST_DIGITS.format("d.applicant_phone")})
"""
_COMMUNE_REMOTE = "SELECT remote FROM admin_unit WHERE code = %(code)s"


@dataclass(frozen=True, slots=True)
class VerifiedDossier:
    """The verified dossier's fields the citizen's answer is made from."""

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
    linked_remote: bool | None  # None when no parcel is linked


async def verified_dossier(
    lookups: Lookups, code: str, verify: str, held_links: tuple[str, ...]
) -> VerifiedDossier | None:
    """The dossier ``code`` if ``verify`` is the last four digits of its applicant's identity
    number or phone; None otherwise (an unknown code alike). ``held_links``: the link statuses
    that tie a dossier to a parcel."""
    found = await lookups.first(
        _VERIFIED_DOSSIER, {"code": code, "verify": verify, "held": list(held_links)}
    )
    if found is None:
        return None
    (code, status, procedure, office, received_at, due_on, processed_on, returned_on,
     declared, ats, statuses, steps, documents, remote) = found  # fmt: skip
    return VerifiedDossier(
        code=code, status=status, procedure=procedure, office=office, received_at=received_at,
        due_on=due_on, processed_on=processed_on, returned_on=returned_on,
        declared_commune=declared, history=list(zip(ats, statuses, steps, strict=True)),
        documents=frozenset(documents), linked_remote=remote,
    )  # fmt: skip


async def commune_remote(lookups: Lookups, commune_code: str) -> bool:
    """Whether the commune is remote (False for a code the register does not know)."""
    found = await lookups.first(_COMMUNE_REMOTE, {"code": commune_code})
    return bool(found and found[0])
