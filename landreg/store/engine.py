"""Engines for the two backends: PostGIS (production, tests) and SpatiaLite (embedded default).

SpatiaLite is an SQLite extension. Python builds whose ``sqlite3`` cannot load extensions
use the ``pysqlite3`` module instead, which can.

A SpatiaLite register runs in WAL journal mode, so that readers never wait for a writer (a
long ``landreg ingest`` in another process does not hold up look-ups), with a busy timeout on
every connection for writers, who take turns. Units of work that write begin their
transaction with ``BEGIN IMMEDIATE`` (see :meth:`UnitOfWork.begin_writing
<landreg.store.unit_of_work.UnitOfWork.begin_writing>`); plain reads stay deferred.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError

# SQLite loads extensions with RTLD_GLOBAL, so mod_spatialite's system GEOS and PROJ would take
# the place of the copies bundled with shapely, pyproj, pyogrio and rasterio if those loaded
# later: transformations silently differ and the process corrupts its heap. Load them first.
import pyogrio  # noqa: F401
import pyproj  # noqa: F401
import rasterio  # noqa: F401
import shapely  # noqa: F401
from geoalchemy2.admin.dialects.sqlite import init_spatialite, load_spatialite_driver

from landreg.errors import DatabaseUnavailableError

# How long a SpatiaLite connection waits for another one's write lock before giving up
# (SQLite's busy timeout). Readers do not wait at all in WAL mode.
BUSY_TIMEOUT_S = 30.0
# The execution option that makes a SQLite transaction begin with BEGIN IMMEDIATE.
WRITES = "landreg_writes"
# SQLite's primary result codes for "another connection holds the lock" (busy, locked).
_SQLITE_BUSY_CODES = frozenset({5, 6})


def sqlite_module() -> ModuleType:
    """The DB-API module for SQLite that can load extensions: the standard one if it can."""
    if hasattr(sqlite3.connect(":memory:"), "enable_load_extension"):
        return sqlite3
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        raise DatabaseUnavailableError(
            "this Python's sqlite3 cannot load extensions and pysqlite3 is not installed: "
            "run `pip install pysqlite3-binary` or set LANDREG_DATABASE_URL to a PostGIS database",
            detail_vi="sqlite3 của Python này không nạp được phần mở rộng và chưa cài pysqlite3: "
            "hãy chạy `pip install pysqlite3-binary` hoặc đặt LANDREG_DATABASE_URL trỏ tới một "
            "cơ sở dữ liệu PostGIS",
        ) from None
    return dbapi2


def is_busy(error: BaseException) -> bool:
    """True when SQLite refused because another connection holds the lock ("database is
    locked"), not because something is broken."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES
    return "database is locked" in str(error) or "database table is locked" in str(error)


def busy_error(timeout_s: float) -> DatabaseUnavailableError:
    """What a caller is told when the database stayed locked for the whole busy timeout."""
    return DatabaseUnavailableError(
        f"the register database is busy: another connection is writing to it (SQLite: "
        f"database is locked, after waiting up to {timeout_s:g} s); try again when it has "
        "finished",
        detail_vi="cơ sở dữ liệu sổ địa chính đang bận: một kết nối khác đang ghi (SQLite: "
        f"database is locked, đã chờ tới {timeout_s:g} giây); hãy thử lại khi việc ghi đó xong",
    )


def _on_sqlite_connect(dbapi_conn: Any, record: Any, timeout_s: float) -> None:
    # Let SQLAlchemy, not the driver, begin transactions, so savepoints nest correctly (and
    # the pragmas below run outside any transaction).
    dbapi_conn.isolation_level = None
    try:
        load_spatialite_driver(dbapi_conn)
    except Exception as error:  # the driver raises its own OperationalError class
        raise DatabaseUnavailableError(
            f"SpatiaLite could not be loaded ({error}): install it "
            "(Debian/Ubuntu: apt-get install libsqlite3-mod-spatialite)",
            detail_vi=f"không nạp được SpatiaLite ({error}): hãy cài đặt nó "
            "(Debian/Ubuntu: apt-get install libsqlite3-mod-spatialite)",
        ) from error
    try:
        dbapi_conn.execute(f"PRAGMA busy_timeout = {round(timeout_s * 1000)}")
        _use_wal(dbapi_conn)
        init_spatialite(dbapi_conn, init_mode="WGS84")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
    except Exception as error:  # the driver's own classes again
        if is_busy(error):
            raise busy_error(timeout_s) from error
        raise DatabaseUnavailableError(
            f"cannot open the register database: {error}",
            detail_vi=f"không mở được cơ sở dữ liệu sổ địa chính: {error}",
        ) from error


def _use_wal(dbapi_conn: Any) -> None:
    """Switch a database file to WAL once; the mode is stored in the file and persists, so
    later connections only read it (switching needs a moment alone with the file)."""
    mode = dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() not in ("wal", "memory"):
        dbapi_conn.execute("PRAGMA journal_mode = WAL")


def _on_sqlite_begin(connection: Any) -> None:
    writes = connection.get_execution_options().get(WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _name_busy(context: ExceptionContext, timeout_s: float) -> None:
    """Report "database is locked" as the busy database it is, in the API and the command."""
    if is_busy(context.original_exception):
        raise busy_error(timeout_s) from context.original_exception


def create_register_engine(
    url: str, *, echo: bool = False, pool_size: int = 20, busy_timeout_s: float = BUSY_TIMEOUT_S
) -> Engine:
    """An engine for the register at ``url``, with SpatiaLite loaded on every SQLite connection.

    On PostgreSQL the pool keeps ``pool_size`` connections open (plus a few more under load),
    so that a busy service does not open a new backend per request. On SQLite every
    connection waits up to ``busy_timeout_s`` for another's write lock. Nothing connects until
    the engine is first used.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=10,
            pool_recycle=1800,
        )
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        module=sqlite_module(),
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
    )
    event.listen(
        engine, "connect", lambda conn, record: _on_sqlite_connect(conn, record, busy_timeout_s)
    )
    event.listen(engine, "begin", _on_sqlite_begin)
    event.listen(engine, "handle_error", lambda context: _name_busy(context, busy_timeout_s))
    return engine


def check_connection(engine: Engine) -> str:
    """Connect once and return the spatial extension's version, or raise a clear error."""
    query = (
        "SELECT spatialite_version()"
        if engine.dialect.name == "sqlite"
        else ("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
    )
    try:
        with engine.connect() as connection:
            version = connection.execute(text(query)).scalar()
    except OperationalError as error:
        raise DatabaseUnavailableError(
            f"cannot connect to the register database: {error.orig}",
            detail_vi=f"không kết nối được cơ sở dữ liệu sổ địa chính: {error.orig}",
        ) from None
    if version is None:
        raise DatabaseUnavailableError(
            "the PostGIS extension is not installed in this database "
            "(run `landreg db upgrade`, which creates it, as a user allowed to)",
            detail_vi="cơ sở dữ liệu này chưa cài phần mở rộng PostGIS (hãy chạy "
            "`landreg db upgrade` bằng một tài khoản có quyền, lệnh này sẽ tạo nó)",
        )
    return str(version)
