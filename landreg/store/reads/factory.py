"""The one choice between the two implementations of the read interfaces, made when the app
starts (``api/app.py``, as tipg's ``factory.py`` chooses its backends once).

A served PostGIS register reads on a pool of asynchronous connections of its own; a PostGIS
register bound to one open connection (the tests, which roll every change back) runs the same
statements on that connection; SpatiaLite reads through the ORM. A parcel as it was at a time
always goes through the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

from landreg.store.database import RegisterDatabase
from landreg.store.reads.lookups import BoundLookups, Lookups, PooledLookups
from landreg.store.reads.map import PooledMapReads, SessionMapReads
from landreg.store.reads.parcels import PooledParcelReads, SessionParcelReads
from landreg.store.reads.status import PooledStatusReads, SessionStatusReads
from landreg.store.reads.tiles import PooledTileReads, SessionTileReads


@dataclass(frozen=True, slots=True)
class Reads:
    """The read interfaces of one register (see :mod:`landreg.services.reads`) and the
    connections they share, if any."""

    parcels: PooledParcelReads | SessionParcelReads
    status: PooledStatusReads | SessionStatusReads
    map: PooledMapReads | SessionMapReads
    tiles: PooledTileReads | SessionTileReads
    lookups: Lookups | None = None

    async def open(self) -> None:
        """Start the look-ups' pool, on the event loop that will use it."""
        if self.lookups is not None:
            await self.lookups.open()

    async def close(self) -> None:
        """Close the pool; :meth:`open` starts a new one."""
        if self.lookups is not None:
            await self.lookups.close()


def reads_for(database: RegisterDatabase, *, size: int, timeout: float) -> Reads:
    """The reads of a register: one statement per look-up on PostGIS (on a pool of ``size``
    connections waited for ``timeout`` seconds, unless the register is bound to one
    connection), the ORM on SpatiaLite. Nothing connects until :meth:`Reads.open`."""
    if database.backend != "postgis":
        return session_reads(database)
    lookups: Lookups
    if database.bound:
        lookups = BoundLookups(database)
    else:
        url = database.engine.url.set(drivername="postgresql")
        lookups = PooledLookups(
            url.render_as_string(hide_password=False), size=size, timeout=timeout
        )
    return pooled_reads(database, lookups)


def pooled_reads(database: RegisterDatabase, lookups: Lookups) -> Reads:
    """The one-statement reads on ``lookups`` (PostGIS only)."""
    return Reads(
        parcels=PooledParcelReads(lookups, SessionParcelReads(database)),
        status=PooledStatusReads(lookups),
        map=PooledMapReads(lookups, database),
        tiles=PooledTileReads(lookups, database),
        lookups=lookups,
    )


def session_reads(database: RegisterDatabase) -> Reads:
    """The reads through the ORM, in worker threads (either backend)."""
    return Reads(
        parcels=SessionParcelReads(database),
        status=SessionStatusReads(database),
        map=SessionMapReads(database),
        tiles=SessionTileReads(database),
    )
