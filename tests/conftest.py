"""Fixtures for the test suite: a real PostGIS database and a real SpatiaLite file.

Tests that need PostGIS fail (never skip) when it cannot be reached or lacks the extension:
``make test`` installs and starts it. Set ``LANDREG_TEST_ADMIN_URL`` to use another server.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from landreg.services.database import upgrade_database
from landreg.settings import CadastreSettings, DatabaseSettings
from landreg.store.database import RegisterDatabase
from tests.serving import install_sample_units

ADMIN_URL = os.environ.get(
    "LANDREG_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def pytest_configure(config: pytest.Config) -> None:
    """The run keeps the signing secret landreg draws in a data folder of its own, never in the
    working copy's ``var/`` or a developer's ``LANDREG_DATA_DIR`` (set before any test module,
    some of which build their app when read, and inherited by the servers tests start)."""
    folder = tempfile.mkdtemp(prefix="landreg_test_data_")
    previous = os.environ.get("LANDREG_DATA_DIR")
    os.environ["LANDREG_DATA_DIR"] = folder
    install_sample_units(Path(folder))

    def restore() -> None:
        if previous is None:
            os.environ.pop("LANDREG_DATA_DIR", None)
        else:
            os.environ["LANDREG_DATA_DIR"] = previous
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(restore)


def _create_database(name: str) -> str:
    """A fresh, empty database on the test server; its SQLAlchemy URL."""
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
            available = admin.execute(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({error}); run `make test`, "
            "which installs and starts it",
            pytrace=False,
        )
    if not available or not available[0]:
        pytest.fail(
            "the PostGIS extension is not installed on the test server "
            "(Debian/Ubuntu: apt-get install postgresql-<major>-postgis-3)",
            pytrace=False,
        )
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def copy_database(template: RegisterDatabase, name: str) -> str:
    """``CREATE DATABASE name TEMPLATE …``: a committed private copy of ``template`` (a real
    process must see its data; other tests never do); its URL."""
    template.engine.dispose()  # a template may have no other connections
    source = make_url(template.engine.url).database
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for _ in range(40):
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(0.5)
        else:
            pytest.fail(f"cannot copy {source}: another connection keeps it open", pytrace=False)
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def _migrated_database(name: str) -> tuple[str, RegisterDatabase]:
    """A fresh database on the test server at the current schema: its URL, and the register
    on it (changes committed, for a server process to see; drop it with _drop_database)."""
    url = _create_database(name)
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    upgrade_database(database, CadastreSettings())
    return url, database


def _drop_database(url: str) -> None:
    """Remove a database this session made (each session's own, so parallel runs never meet)."""
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """URL of an empty PostGIS database created for this test session."""
    url = _create_database(f"landreg_test_{os.getpid()}")
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def postgis_database(postgis_url: str) -> Iterator[RegisterDatabase]:
    """The register on PostGIS, migrated to the current schema."""
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=postgis_url))
    upgrade_database(database, CadastreSettings())
    yield database
    database.engine.dispose()


@pytest.fixture(scope="session")
def spatialite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegisterDatabase]:
    """The register in a SpatiaLite file, migrated to the current schema."""
    path = Path(tmp_path_factory.mktemp("spatialite")) / "register.sqlite"
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=f"sqlite:///{path}"))
    upgrade_database(database, CadastreSettings())
    yield database
    database.engine.dispose()


def _isolated(database: RegisterDatabase) -> Iterator[RegisterDatabase]:
    """The database with every change of one test rolled back at its end."""
    connection = database.engine.connect()
    outer = connection.begin()
    yield RegisterDatabase(database.engine, bind=connection)
    outer.rollback()
    connection.close()


@pytest.fixture
def postgis(postgis_database: RegisterDatabase) -> Iterator[RegisterDatabase]:
    """The PostGIS register, changes rolled back after the test."""
    yield from _isolated(postgis_database)


@pytest.fixture(params=["postgis", "spatialite"])
def register_db(request: pytest.FixtureRequest) -> Iterator[RegisterDatabase]:
    """The same contract on both backends, changes rolled back after the test."""
    database = request.getfixturevalue(f"{request.param}_database")
    yield from _isolated(database)


def take_in_sample(database: RegisterDatabase) -> object:
    """The whole sample data set into an empty ``database`` (schema made, misdeclared CRS
    confirmed), reconciled once; returns the reconcile's summary."""
    from landreg.domain.delivery import IngestOptions
    from landreg.services.reconcile import reconcile
    from landreg.services.sources import ingest_folder
    from landreg.store.unit_of_work import UnitOfWork

    sample = Path(__file__).resolve().parents[1] / "sample_data" / "small"
    upgrade_database(database, CadastreSettings())
    _, stopped = ingest_folder(database, sample, IngestOptions(), confirm_crs=True)
    assert stopped == []
    with UnitOfWork(database) as uow:
        return reconcile(uow)


@pytest.fixture(scope="session")
def sample_register() -> Iterator[tuple[RegisterDatabase, object]]:
    """The whole sample data set taken in (misdeclared CRS confirmed) and reconciled once."""
    url = _create_database(f"landreg_test_sample_{os.getpid()}")
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    summary = take_in_sample(database)
    yield database, summary
    database.engine.dispose()
    _drop_database(url)
