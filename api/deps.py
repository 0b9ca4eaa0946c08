"""Dependencies shared by the routes: the unit of work over the app's database, and the
read interfaces chosen for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from landreg.services import RegisterDatabase, UnitOfWork
from landreg.services.reads import RegisterReads


def database_of(request: Request) -> RegisterDatabase:
    """The register database the app was created with (a plain call, for routes that take
    ``request`` anyway: it costs less than another dependency)."""
    database: RegisterDatabase = request.app.state.database
    return database


async def get_database(request: Request) -> RegisterDatabase:
    """The register database the app was created with, as a dependency."""
    return database_of(request)


def reads_of(request: Request) -> RegisterReads:
    """The read interfaces chosen for the app's database when it started (its lifespan); a
    plain call, as :func:`database_of`: the busiest look-ups take ``request`` anyway."""
    reads: RegisterReads = request.app.state.reads
    return reads


async def get_reads(request: Request) -> RegisterReads:
    """The app's read interfaces, as a dependency."""
    return reads_of(request)


_READING = frozenset({"GET", "HEAD"})


async def get_uow(
    request: Request, database: Annotated[RegisterDatabase, Depends(get_database)]
) -> AsyncIterator[UnitOfWork]:
    """A unit of work for one request, closed (and rolled back if not committed) afterwards.

    Opening it touches no connection (the session connects on its first query, in the
    route's thread); closing it may talk to the database, so it runs in a worker thread.
    Requests other than GET and HEAD may write, so their unit begins as a writer (on
    SpatiaLite: takes turns for the write lock instead of being refused half way).
    """
    uow = UnitOfWork(database, writes=request.method not in _READING).__enter__()
    try:
        yield uow
    finally:
        await run_in_threadpool(uow.__exit__, None, None, None)


# How many requests work with the database at once (a little under the pool, so that the
# sign-in look-ups always find a connection); the others wait without holding a thread.
CONCURRENT_UNITS = 16

DatabaseDep = Annotated[RegisterDatabase, Depends(get_database)]
ReadsDep = Annotated[RegisterReads, Depends(get_reads)]
# The unit of work ends when the route returns (scope="function"): its connection is back in
# the pool before the answer is serialised and sent, so requests waiting for a worker thread
# never hold connections that requests in the threads wait for.
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function", max_concurrency=CONCURRENT_UNITS)]
