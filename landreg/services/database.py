"""Use cases on the database itself: bring it to the current schema, describe it."""

from __future__ import annotations

from landreg.domain import reference
from landreg.settings import CadastreSettings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork


def upgrade_database(database: RegisterDatabase, settings: CadastreSettings) -> str | None:
    """Apply pending migrations, then load the administrative units from the reference tables."""
    revision = database.upgrade(settings.cadastral_srid)
    sync_administrative_units(database)
    return revision


def sync_administrative_units(database: RegisterDatabase) -> int:
    """Insert or update every administrative unit of the reference table; return how many changed.

    Boundaries already loaded (from a map of communes) are kept.
    """
    with UnitOfWork(database, writes=True) as uow:
        changed = uow.units.sync_units(reference.administrative_units().values())
        uow.commit()
    return changed


def describe(database: RegisterDatabase) -> dict[str, object]:
    """What the register holds: backend, versions, schema revision, the cadastral CRS and how
    many records each main table has (the counts once the schema exists)."""
    return database.info()
