"""The land register's entries as reconciliation linked them to map parcels.

Rows become :class:`~landreg.domain.register_entry.RegisterEntry` read models; the
repository never commits (reconciliation writes the links, see
:mod:`landreg.store.reconcile_repository`).
"""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from landreg.domain.register_entry import RegisterEntry
from landreg.store.tables import ParcelRegisterLinkRow, RegisterEntryRow

# The entry's columns the read model holds (all of its fields but how it was matched).
_COLUMNS = [f.name for f in fields(RegisterEntry) if f.name != "match_type"]


class RegisterEntryRepository:
    """Register entries, current versions, read for a parcel's record."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def linked_to(self, parcel_id: int) -> list[RegisterEntry]:
        """The entries linked to a parcel, with how each was matched, in id order."""
        table = RegisterEntryRow.__table__
        rows = self.session.execute(
            select(*[table.c[name] for name in _COLUMNS], ParcelRegisterLinkRow.match_type)
            .join(ParcelRegisterLinkRow, ParcelRegisterLinkRow.register_entry_id == table.c.id)
            .where(ParcelRegisterLinkRow.parcel_id == parcel_id)
            .order_by(table.c.id)
        ).mappings()
        return [RegisterEntry(**row) for row in rows]
