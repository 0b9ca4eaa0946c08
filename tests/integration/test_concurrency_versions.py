"""Versioned records (parties, rights, parcels) changed by many at once, on PostGIS and on
SpatiaLite: with the version they read, exactly one wins and the others are refused; without
one, the changes take turns and every one of them is kept in the history, none overwritten.

Each actor is a thread with its own unit of work (its own connection), released together by a
barrier, against a committed database as a server's requests would be.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

import shapely

from landreg.domain.model import Party, PartyKind, Right
from landreg.errors import ConflictError
from landreg.services.database import upgrade_database
from landreg.services.holders import change_party, change_right, grant_right, register_party
from landreg.services.register import ParcelInput, change_parcel, register_parcels
from landreg.settings import CadastreSettings, DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import AuditRow
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _create_database, _drop_database

ACTORS = 12


@pytest.fixture(scope="module", params=["postgis", "spatialite"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RegisterDatabase]:
    """A committed register of its own on each backend."""
    if request.param == "postgis":
        url = _create_database(f"landreg_test_versions_{os.getpid()}")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('versions') / 'register.sqlite'}"
    register = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    upgrade_database(register, CadastreSettings())
    yield register
    register.engine.dispose()
    if request.param == "postgis":
        _drop_database(url)


@pytest.fixture
def holding(database: RegisterDatabase) -> tuple[int, int, int]:
    """A parcel, its holder and the holder's right on it, each at version 1."""
    with UnitOfWork(database) as uow:
        [parcel_id] = register_parcels(
            uow,
            [
                ParcelInput(
                    "25459",
                    5,
                    77,
                    shapely.box(565300, 1250810, 565330, 1250850),
                    9209,
                    1200.0,
                    "ONT",
                )
            ],
            actor="staff",
        )
        party_id = register_party(uow, Party(PartyKind.INDIVIDUAL, "Nguyễn Văn An"), actor="o")
        right_id = grant_right(uow, Right(parcel_id, party_id, share_percent=100.0), actor="o")
    return parcel_id, party_id, right_id


def _at_once(database: RegisterDatabase, act: Callable[[UnitOfWork, int], Any]) -> list[Any]:
    """``act(uow, n)`` by every actor at once; what each returned, or the error it raised."""
    barrier = threading.Barrier(ACTORS)

    def one(n: int) -> Any:
        with UnitOfWork(database) as uow:
            barrier.wait()
            try:
                return act(uow, n)
            except ConflictError as error:
                return error

    with ThreadPoolExecutor(ACTORS) as pool:
        return list(pool.map(one, range(ACTORS)))


def _one_won(outcomes: list[Any]) -> None:
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert sorted(kinds.values()) == [1, ACTORS - 1] and kinds["ConflictError"] == ACTORS - 1, kinds


def _updates_audited(database: RegisterDatabase, entity_type: str, entity_id: int) -> int:
    with UnitOfWork(database) as uow:
        return uow.session.scalar(
            select(func.count()).where(
                AuditRow.entity_type == entity_type,
                AuditRow.entity_id == entity_id,
                AuditRow.action == "update",
            )
        )


def test_one_of_many_changing_a_party_from_the_same_version_wins(database, holding):
    _, party_id, _ = holding
    outcomes = _at_once(
        database,
        lambda uow, n: change_party(
            uow, party_id, {"address": f"số {n}"}, actor=f"officer {n}", expected_version=1
        ),
    )
    _one_won(outcomes)
    with UnitOfWork(database) as uow:
        versions = uow.parties.versions(party_id)
    assert [v.version for v in versions] == [1, 2]
    assert _updates_audited(database, "party", party_id) == 1


def test_changes_without_a_version_take_turns_and_none_is_lost(database, holding):
    _, party_id, _ = holding
    outcomes = _at_once(
        database,
        lambda uow, n: change_party(uow, party_id, {"address": f"số {n}"}, actor=f"officer {n}"),
    )
    assert all(isinstance(outcome, Party) for outcome in outcomes), outcomes
    with UnitOfWork(database) as uow:
        versions = uow.parties.versions(party_id)
    assert [v.version for v in versions] == list(range(1, ACTORS + 2))  # each version once
    assert sorted(v.address for v in versions[1:]) == sorted(f"số {n}" for n in range(ACTORS))
    assert _updates_audited(database, "party", party_id) == ACTORS


def test_one_of_many_changing_a_right_from_the_same_version_wins(database, holding):
    _, _, right_id = holding
    outcomes = _at_once(
        database,
        lambda uow, n: change_right(
            uow, right_id, {"share_percent": 50.0 + n}, actor=f"o{n}", expected_version=1
        ),
    )
    _one_won(outcomes)
    with UnitOfWork(database) as uow:
        assert [v.version for v in uow.rights.versions(right_id)] == [1, 2]
    assert _updates_audited(database, "land_right", right_id) == 1


def test_one_of_many_changing_a_parcel_from_the_same_version_wins(database, holding):
    parcel_id, _, _ = holding

    def change(uow: UnitOfWork, n: int) -> Any:
        # A writing unit of work (register.change_parcel leaves that to its caller: without
        # it, SpatiaLite refuses the second writer as busy rather than as a conflict).
        uow.begin_writing()
        return change_parcel(
            uow, parcel_id, {"legal_area": 1000.0 + n}, actor=f"s{n}", expected_version=1
        )

    _one_won(_at_once(database, change))
    with UnitOfWork(database) as uow:
        versions = uow.parcels.versions(parcel_id)
    assert [v.version for v in versions] == [1, 2] and versions[0].legal_area == 1200.0
    assert _updates_audited(database, "parcel", parcel_id) == 1
