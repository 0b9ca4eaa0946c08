"""The unit of work: one use case, one transaction; only it commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session

from landreg.store.database import RegisterDatabase
from landreg.store.repository import (
    AuditRepository,
    ParcelRepository,
    PartyRepository,
    RightRepository,
)


class UnitOfWork:
    """Repositories over one session; changes are committed by :meth:`commit` or not at all."""

    session: Session
    parcels: ParcelRepository
    parties: PartyRepository
    rights: RightRepository
    audit: AuditRepository

    def __init__(self, database: RegisterDatabase) -> None:
        self.database = database

    def __enter__(self) -> UnitOfWork:
        self.session = self.database.sessions()
        self.parcels = ParcelRepository(self.session, self.database.cadastral_srid)
        self.parties = PartyRepository(self.session)
        self.rights = RightRepository(self.session)
        self.audit = AuditRepository(self.session)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Make every change of this use case permanent, atomically."""
        self.session.commit()

    def rollback(self) -> None:
        """Drop every change not yet committed."""
        self.session.rollback()
