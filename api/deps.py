"""Dependencies shared by the routes: the unit of work over the app's database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork


def get_database(request: Request) -> RegisterDatabase:
    """The register database the app was created with."""
    database: RegisterDatabase = request.app.state.database
    return database


def get_uow(database: Annotated[RegisterDatabase, Depends(get_database)]) -> Iterator[UnitOfWork]:
    """A unit of work for one request, closed (and rolled back if not committed) afterwards."""
    with UnitOfWork(database) as uow:
        yield uow


DatabaseDep = Annotated[RegisterDatabase, Depends(get_database)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
