"""Bring a database to the current schema with the register's Alembic migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = "landreg.store:migrations"


def alembic_config(connection: Connection | None = None, *, cadastral_srid: int = 9209) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    config.attributes["cadastral_srid"] = cadastral_srid
    return config


def upgrade(engine: Engine, *, cadastral_srid: int = 9209, revision: str = "head") -> str | None:
    """Apply every pending migration in one transaction; return the schema revision reached."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection, cadastral_srid=cadastral_srid), revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision landreg ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
