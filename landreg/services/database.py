"""Use cases on the database itself: bring it to the current schema, describe it."""

from __future__ import annotations

from sqlalchemy import select

from landreg.domain import reference
from landreg.settings import RegisterSettings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import AdminUnit


def upgrade_database(database: RegisterDatabase, settings: RegisterSettings) -> str | None:
    """Apply pending migrations, then load the administrative units from the reference tables."""
    revision = database.upgrade(settings.cadastral_srid)
    sync_administrative_units(database)
    return revision


def sync_administrative_units(database: RegisterDatabase) -> int:
    """Insert or update every administrative unit of the reference table; return how many changed.

    Boundaries already loaded (from a map of communes) are kept.
    """
    changed = 0
    with database.sessions() as session, session.begin():
        existing = {unit.code: unit for unit in session.scalars(select(AdminUnit))}
        for unit in reference.administrative_units().values():
            values = {
                "level": unit.level,
                "name": unit.name,
                "parent_code": unit.parent_code,
                "valid_from": unit.valid_from,
                "valid_to": unit.valid_to,
                "successor_code": unit.successor_code,
                "cadastral_srid": unit.cadastral_srid,
                "remote": unit.remote,
                "official": unit.official,
            }
            row = existing.get(unit.code)
            if row is None:
                session.add(AdminUnit(code=unit.code, **values))
                changed += 1
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                changed += 1
    return changed
