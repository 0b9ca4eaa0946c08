"""A SpatiaLite register that another process keeps locked: the database is named busy (a 503
problem whose log line says so, the same on the command line), never blamed on a missing
SpatiaLite; it is in WAL mode, so readers go on while a writer holds the lock.

The other process is played by a plain ``sqlite3`` connection to the same file; landreg's
engine gets a busy timeout of a fifth of a second, so that a test waits no longer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from cli.support import run
from landreg.domain.access import Role
from landreg.errors import DatabaseUnavailableError
from landreg.services.accounts import create_user
from landreg.services.database import upgrade_database
from landreg.settings import CadastreSettings, Settings
from landreg.store.database import RegisterDatabase
from landreg.store.engine import check_connection, create_register_engine, sqlite_module
from landreg.store.unit_of_work import UnitOfWork

SHORT_WAIT_S = 0.2
PASSWORD = "correct horse battery"


def _database(path: Path) -> RegisterDatabase:
    return RegisterDatabase(
        create_register_engine(f"sqlite:///{path}", busy_timeout_s=SHORT_WAIT_S)
    )


@pytest.fixture
def register(tmp_path: Path) -> Iterator[tuple[RegisterDatabase, Path]]:
    """An upgraded SpatiaLite register with a cadastral staff account."""
    path = tmp_path / "register.sqlite"
    database = _database(path)
    upgrade_database(database, CadastreSettings())
    with UnitOfWork(database) as uow:
        create_user(uow, "staff", PASSWORD, Role.CADASTRAL_STAFF, actor="test")
    yield database, path
    database.engine.dispose()


def _other_process(path: Path, begin: str) -> object:
    """Another connection to the file, holding the lock ``begin`` takes until closed."""
    other = sqlite_module().connect(str(path), isolation_level=None, timeout=0)
    other.execute(begin)
    return other


def test_the_register_is_in_wal_mode_with_a_busy_timeout(register):
    database, path = register
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SHORT_WAIT_S * 1000
    plain = sqlite_module().connect(str(path))  # the mode is kept in the file itself
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plain.close()


def test_readers_go_on_while_a_writer_holds_the_lock_and_writers_are_told_it_is_busy(register):
    database, path = register
    other = _other_process(path, "BEGIN IMMEDIATE")
    other.execute("INSERT INTO register_meta (key, value) VALUES ('held', 'by another')")
    try:
        with UnitOfWork(database) as uow:  # a plain read does not wait for the writer
            assert uow.session.execute(text("SELECT count(*) FROM app_user")).scalar() == 1
        with (
            pytest.raises(DatabaseUnavailableError) as caught,
            UnitOfWork(database, writes=True) as uow,
        ):
            uow.session.execute(text("SELECT count(*) FROM app_user"))  # begins as a writer
    finally:
        other.close()
    assert "busy" in caught.value.detail and "database is locked" in caught.value.detail
    assert "install" not in caught.value.detail and str(path) not in caught.value.detail
    with UnitOfWork(database, writes=True) as uow:  # once the other has finished, it goes on
        assert uow.session.execute(text("SELECT count(*) FROM app_user")).scalar() == 1


def test_a_file_locked_while_connecting_is_busy_not_a_missing_spatialite(tmp_path: Path):
    path = tmp_path / "locked.sqlite"
    other = _other_process(path, "BEGIN EXCLUSIVE")  # a new file, not in WAL mode yet
    other.execute("CREATE TABLE held (x)")
    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            check_connection(_database(path).engine)
    finally:
        other.close()
    assert "busy" in caught.value.detail
    assert "SpatiaLite could not be loaded" not in caught.value.detail
    assert "install" not in caught.value.detail
    assert check_connection(_database(path).engine)  # free again: SpatiaLite loads


def test_the_api_answers_503_and_logs_that_the_database_was_busy(register, caplog):
    database, path = register
    with TestClient(create_app(Settings(), database=database)) as client:
        token = client.post("/auth/token", data={"username": "staff", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        other = _other_process(path, "BEGIN IMMEDIATE")
        try:
            with caplog.at_level(logging.ERROR, logger="landreg.api"):
                answer = client.post(
                    "/findings/1/dismiss", json={"reason": "not a problem"}, headers=headers
                )
        finally:
            other.close()
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert "locked" not in answer.text and str(path) not in answer.text
        logged = " ".join(record.getMessage() for record in caplog.records)
        assert "busy" in logged and "install" not in logged
        free = client.post("/findings/1/dismiss", json={"reason": "not a problem"}, headers=headers)
        assert free.status_code == 404  # the lock gone, the request goes through


def test_the_command_line_says_the_database_is_busy(register, capsys):
    database, path = register

    @run
    def command() -> None:
        with UnitOfWork(database, writes=True) as uow:
            uow.session.execute(text("SELECT count(*) FROM app_user"))

    other = _other_process(path, "BEGIN IMMEDIATE")
    try:
        with pytest.raises(typer.Exit) as stopped:
            command()
    finally:
        other.close()
    assert stopped.value.exit_code == 2
    said = capsys.readouterr().err
    assert "busy" in said and "Traceback" not in said and "install" not in said
