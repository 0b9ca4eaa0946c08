"""Alembic environment: runs the register's migrations on the connection landreg hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from geoalchemy2 import alembic_helpers

from landreg.settings import DatabaseSettings
from landreg.store.engine import create_register_engine
from landreg.store.tables import Base

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    """Run on the connection passed in ``config.attributes``, or on the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_register_engine(DatabaseSettings().url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
