"""Where the pooled reads run their statement: from the event loop, no worker thread, no ORM.

The busiest look-ups (a parcel by id, at a point, in a box; a citizen's dossier status; the
map's features) are one SQL statement each whose answer PostGIS writes. On a served PostGIS
register they run on a pool of asynchronous psycopg connections, as tipg does with asyncpg:
the request never leaves the event loop, and each connection prepares a statement once.

Where there is no such pool — a register bound to one open connection, as the tests bind it
to roll every change back — the same statement runs on that connection in a worker thread.
Either way the caller writes the same SQL (psycopg's ``%(name)s`` parameters).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import anyio
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.exc import OperationalError

from landreg.errors import DatabaseUnavailableError
from landreg.store.database import RegisterDatabase

Row = tuple[Any, ...]


class Lookups(Protocol):
    """Runs one read-only statement and gives its first row."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def first(self, sql: str, params: Mapping[str, Any]) -> Row | None:
        """The statement's first row, or None when it has none."""
        ...


class PooledLookups:
    """Statements on a pool of asynchronous connections of their own (autocommit, reads only).

    ``size`` connections at most; a request waits ``timeout`` seconds for one, then the
    database counts as unavailable (503), as it does when it cannot be reached. The pool is
    made by :meth:`open` on the event loop that uses it, and :meth:`close` ends it (an app
    started again, as tests do, opens a new one); until then each look-up connects alone.
    """

    def __init__(self, conninfo: str, *, size: int, timeout: float) -> None:
        self.conninfo, self.size, self.timeout = conninfo, size, timeout
        self.pool: AsyncConnectionPool[Any] | None = None
        # False until the pool has made a connection, and again after the database failed to
        # answer: meanwhile each look-up connects on its own, so that a database refusing
        # connections is a 503 at once rather than after ``timeout``.
        self.reachable = False

    async def _connected(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.reachable = True

    async def open(self) -> None:
        """Start the pool (it connects in the background; a request waits for it)."""
        self.pool = AsyncConnectionPool(
            self.conninfo,
            min_size=min(4, self.size),
            max_size=self.size,
            timeout=self.timeout,
            open=False,
            kwargs={"autocommit": True, "application_name": "landreg lookups"},
            configure=self._connected,
            name="landreg-lookups",
        )
        await self.pool.open(wait=False)

    async def close(self) -> None:
        pool, self.pool, self.reachable = self.pool, None, False
        if pool is not None:
            await pool.close()

    async def first(self, sql: str, params: Mapping[str, Any]) -> Row | None:
        try:
            if not self.reachable or self.pool is None:
                return await self._first_alone(sql, params)
            async with self.pool.connection() as connection:
                cursor = await connection.execute(sql, params, prepare=True)
                return await cursor.fetchone()
        except (PoolTimeout, psycopg.OperationalError) as error:
            self.reachable = False
            raise _unavailable(error) from None

    async def _first_alone(self, sql: str, params: Mapping[str, Any]) -> Row | None:
        """On a connection of its own (see ``reachable``)."""
        async with await psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True, connect_timeout=max(1, int(self.timeout))
        ) as connection:
            cursor = await connection.execute(sql, params)
            found = await cursor.fetchone()
        self.reachable = True
        return found


class BoundLookups:
    """The same statements through the register's SQLAlchemy sessions, in a worker thread
    (a register bound to one connection, whose transaction the statements must see)."""

    def __init__(self, database: RegisterDatabase) -> None:
        self.database = database

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def first(self, sql: str, params: Mapping[str, Any]) -> Row | None:
        return await anyio.to_thread.run_sync(self._first, sql, params)

    def _first(self, sql: str, params: Mapping[str, Any]) -> Row | None:
        try:
            with self.database.sessions() as session:
                found = session.connection().exec_driver_sql(sql, dict(params)).first()
        except OperationalError as error:
            raise _unavailable(error) from None
        return None if found is None else tuple(found)


def _unavailable(error: Exception) -> DatabaseUnavailableError:
    """What a client is told when the database does not answer (never the driver's text)."""
    if isinstance(error, PoolTimeout):
        return DatabaseUnavailableError(
            "the register database is busy or not answering; try again shortly",
            detail_vi="cơ sở dữ liệu sổ địa chính đang bận hoặc không trả lời; hãy thử lại sau "
            "ít phút",
        )
    return DatabaseUnavailableError(
        "cannot reach the register database",
        detail_vi="không kết nối được cơ sở dữ liệu sổ địa chính",
    )
