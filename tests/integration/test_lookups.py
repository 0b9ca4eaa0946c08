"""The look-ups' own connection pool (PostGIS, as served) when the database does not answer.

That the pooled statements say what the ORM says is checked for every read interface in
``test_reads.py``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from landreg.errors import DatabaseUnavailableError
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.reads.factory import reads_for
from landreg.store.reads.lookups import PooledLookups


def test_a_database_refusing_connections_is_unavailable_at_once():
    """Not after the pool's wait: each look-up connects on its own until one succeeds."""
    nowhere = RegisterDatabase.from_settings(
        DatabaseSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    reads = reads_for(nowhere, size=2, timeout=60)
    assert isinstance(reads.lookups, PooledLookups)

    async def look():
        await reads.open()
        try:
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailableError):
                await reads.parcels.by_id(1, None, 4326)
            return time.monotonic() - started
        finally:
            await reads.close()

    assert asyncio.run(look()) < 30  # far under the pool's 60 s wait
