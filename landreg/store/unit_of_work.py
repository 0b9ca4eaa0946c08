"""The unit of work: one use case, one transaction; only it commits.

Units that write say so, with ``UnitOfWork(database, writes=True)`` (nothing connects until
the first statement) or by calling :meth:`UnitOfWork.begin_writing` before their first read.
On SpatiaLite (WAL mode) this begins the transaction with ``BEGIN IMMEDIATE``: the unit
takes the database's one write lock at once, waiting for it up to the busy timeout, and
everything it then reads stays as read until it commits. A deferred transaction that has
read and then writes cannot wait like that: in WAL mode, if another writer committed after
its first read, SQLite refuses the write at once (SQLITE_BUSY_SNAPSHOT), whatever the busy
timeout, because the unit's reads are stale. Plain reads stay deferred, so that in WAL they
never wait for a writer.

On PostGIS nothing changes at the start: services lock the rows they change
(``SELECT … FOR UPDATE``) before checking them, which serialises only those who act on the
same record.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from landreg.store.account_repository import AccountRepository
from landreg.store.batch_repository import BatchRepository
from landreg.store.database import RegisterDatabase
from landreg.store.dossier_repository import DossierRepository
from landreg.store.dossier_stats_repository import DossierStatsRepository
from landreg.store.engine import WRITES
from landreg.store.finding_repository import FindingRepository
from landreg.store.lineage_repository import LineageRepository
from landreg.store.link_repository import LinkRepository
from landreg.store.map_repository import MapRepository
from landreg.store.national_id_repository import NationalIdRepository
from landreg.store.parcel_export_repository import ParcelExportRepository
from landreg.store.party_link_repository import PartyLinkRepository
from landreg.store.quality_stats_repository import QualityStatsRepository
from landreg.store.quarantine_repository import QuarantineRepository
from landreg.store.reconcile_repository import ReconcileRepository
from landreg.store.register_entry_repository import RegisterEntryRepository
from landreg.store.repository import (
    AuditRepository,
    ParcelRepository,
    PartyRepository,
    RightRepository,
)
from landreg.store.source_record_repository import SourceRecordRepository
from landreg.store.unified_repository import UnifiedRepository
from landreg.store.unit_repository import AdminUnitRepository


class UnitOfWork:
    """Repositories over one session; changes are committed by :meth:`commit` or not at all."""

    session: Session
    parcels: ParcelRepository
    parties: PartyRepository
    party_links: PartyLinkRepository
    rights: RightRepository
    audit: AuditRepository
    accounts: AccountRepository
    dossiers: DossierRepository
    links: LinkRepository
    dossier_stats: DossierStatsRepository
    findings: FindingRepository
    quality_stats: QualityStatsRepository
    reconcile: ReconcileRepository
    register_entries: RegisterEntryRepository
    batches: BatchRepository
    quarantine: QuarantineRepository
    units: AdminUnitRepository
    source_records: SourceRecordRepository
    map: MapRepository
    unified: UnifiedRepository
    national_ids: NationalIdRepository
    lineage: LineageRepository
    parcel_export: ParcelExportRepository

    def __init__(self, database: RegisterDatabase, *, writes: bool = False) -> None:
        self.database = database
        self.writes = writes

    def __enter__(self) -> UnitOfWork:
        factory = self.database.writer_sessions if self.writes else self.database.sessions
        self.session = factory()
        self.parcels = ParcelRepository(self.session, self.database.cadastral_srid)
        self.parties = PartyRepository(self.session)
        self.party_links = PartyLinkRepository(self.session)
        self.rights = RightRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.accounts = AccountRepository(self.session)
        self.dossiers = DossierRepository(self.session)
        self.links = LinkRepository(self.session)
        self.dossier_stats = DossierStatsRepository(self.session)
        self.findings = FindingRepository(self.session, self.database.cadastral_srid)
        self.quality_stats = QualityStatsRepository(self.session)
        self.reconcile = ReconcileRepository(self.session)
        self.register_entries = RegisterEntryRepository(self.session)
        self.batches = BatchRepository(self.session)
        self.quarantine = QuarantineRepository(self.session)
        self.units = AdminUnitRepository(self.session, self.database.cadastral_srid)
        self.source_records = SourceRecordRepository(self.session)
        self.map = MapRepository(self.session)
        self.unified = UnifiedRepository(self.session)
        self.national_ids = NationalIdRepository(self.session)
        self.lineage = LineageRepository(self.session)
        self.parcel_export = ParcelExportRepository(self.session)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def begin_writing(self) -> None:
        """Begin this unit's transaction as a writer; call it before the first read.

        On SpatiaLite the transaction begins with ``BEGIN IMMEDIATE`` (see the module's
        docstring); on PostGIS it does nothing. A unit whose transaction has already begun
        (as a writer, or by reading first) keeps it as it is: a deferred one cannot be
        upgraded safely, and ending it would drop what it did. Such a unit still cannot lose
        an update (SQLite refuses a stale writer) but may be told the database is busy.
        """
        if self.database.backend != "spatialite" or self.database.bound:
            return  # PostGIS locks rows; a test's one bound connection has no one to wait for
        if self.session.in_transaction():
            return
        options: dict[str, Any] = {WRITES: True}
        self.session.connection(execution_options=options)

    def take_turn(self, topic: str) -> None:
        """Wait until no other unit of work holds ``topic``, then hold it until this one ends:
        for a change that no row lock can guard, such as handing out the next number of a
        series (an advisory lock on PostGIS; on SpatiaLite the write lock already does it)."""
        self.begin_writing()
        if self.database.backend == "postgis":
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(topic))))

    def commit(self) -> None:
        """Make every change of this use case permanent, atomically."""
        self.session.commit()

    def rollback(self) -> None:
        """Drop every change not yet committed."""
        self.session.rollback()
