"""Engines for the two backends: PostGIS (production, tests) and SpatiaLite (embedded default).

SpatiaLite is an SQLite extension. Python builds whose ``sqlite3`` cannot load extensions
use the ``pysqlite3`` module instead, which can.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# SQLite loads extensions with RTLD_GLOBAL, so mod_spatialite's system GEOS and PROJ would take
# the place of the copies bundled with shapely, pyproj, pyogrio and rasterio if those loaded
# later: transformations silently differ and the process corrupts its heap. Load them first.
import pyogrio  # noqa: F401
import pyproj  # noqa: F401
import rasterio  # noqa: F401
import shapely  # noqa: F401
from geoalchemy2.admin.dialects.sqlite import load_spatialite

from landreg.errors import DatabaseUnavailableError


def sqlite_module() -> ModuleType:
    """The DB-API module for SQLite that can load extensions: the standard one if it can."""
    if hasattr(sqlite3.connect(":memory:"), "enable_load_extension"):
        return sqlite3
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        raise DatabaseUnavailableError(
            "this Python's sqlite3 cannot load extensions and pysqlite3 is not installed: "
            "run `pip install pysqlite3-binary` or set LANDREG_DATABASE_URL to a PostGIS database"
        ) from None
    return dbapi2


def _on_sqlite_connect(dbapi_conn: Any, record: Any) -> None:
    try:
        load_spatialite(dbapi_conn, record, init_mode="WGS84")
    except Exception as error:  # the driver raises its own OperationalError class
        raise DatabaseUnavailableError(
            f"SpatiaLite could not be loaded ({error}): install it "
            "(Debian/Ubuntu: apt-get install libsqlite3-mod-spatialite)"
        ) from error
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    # Let SQLAlchemy, not the driver, begin transactions, so savepoints nest correctly.
    dbapi_conn.isolation_level = None


def _on_sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def create_register_engine(url: str, *, echo: bool = False, pool_size: int = 20) -> Engine:
    """An engine for the register at ``url``, with SpatiaLite loaded on every SQLite connection.

    On PostgreSQL the pool keeps ``pool_size`` connections open (plus a few more under load),
    so that a busy service does not open a new backend per request. Nothing connects until
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
        connect_args={"check_same_thread": False, "timeout": 30},
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
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
            f"cannot connect to the register database: {error.orig}"
        ) from None
    if version is None:
        raise DatabaseUnavailableError(
            "the PostGIS extension is not installed in this database "
            "(run `landreg db upgrade`, which creates it, as a user allowed to)"
        )
    return str(version)
