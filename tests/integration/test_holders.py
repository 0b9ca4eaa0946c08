"""Parties and rights keep every earlier version, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

import shapely

from landreg.domain.model import Party, PartyKind, Right
from landreg.errors import NotFoundError, ValidationError
from landreg.services.holders import change_party, change_right, grant_right, register_party
from landreg.services.register import ParcelInput, register_parcels
from landreg.store.unit_of_work import UnitOfWork


@pytest.fixture
def parcel_id(register_db):
    with UnitOfWork(register_db) as uow:
        [created] = register_parcels(
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
    return created


def test_party_change_keeps_the_previous_name_and_number(register_db):
    with UnitOfWork(register_db) as uow:
        party_id = register_party(
            uow, Party(PartyKind.INDIVIDUAL, "Nguyễn Văn An", "280123456"), actor="officer"
        )
        created = uow.parties.get(party_id)
        changed = change_party(
            uow, party_id, {"identity_number": "072085001234"}, actor="officer", expected_version=1
        )
    with UnitOfWork(register_db) as uow:
        versions = uow.parties.versions(party_id)
        then = uow.parties.as_of(party_id, created.valid_from + timedelta(microseconds=1))
    assert changed.version == 2 and changed.identity().kind == "cccd"
    assert [v.identity_number for v in versions] == ["280123456", "072085001234"]
    assert then.identity_number == "280123456" and then.name == "Nguyễn Văn An"


def test_malformed_identity_number_is_refused_naming_it(register_db):
    with UnitOfWork(register_db) as uow, pytest.raises(ValidationError) as caught:
        register_party(
            uow, Party(PartyKind.INDIVIDUAL, "Trần Thị Bình", "07208500123"), actor="officer"
        )
    assert caught.value.field == "identity_number" and caught.value.value == "07208500123"


def test_right_share_change_keeps_history(register_db, parcel_id):
    with UnitOfWork(register_db) as uow:
        husband = register_party(uow, Party(PartyKind.INDIVIDUAL, "Lê Văn Cường"), actor="o")
        wife = register_party(uow, Party(PartyKind.INDIVIDUAL, "Phạm Thị Dung"), actor="o")
        first = grant_right(uow, Right(parcel_id, husband, share_percent=100.0), actor="o")
        change_right(uow, first, {"share_percent": 50.0}, actor="o", expected_version=1)
        grant_right(uow, Right(parcel_id, wife, share_percent=50.0, land_use_code="lnq"), actor="o")
    with UnitOfWork(register_db) as uow:
        rights = uow.rights.of_parcel(parcel_id)
        history = uow.rights.versions(first)
    assert sorted(r.share_percent for r in rights) == [50.0, 50.0]
    assert [r.share_percent for r in history] == [100.0, 50.0]
    assert {r.land_use_code for r in rights} == {None, "CLN"}


@pytest.mark.parametrize(
    ("right", "error", "field"),
    [
        (lambda p, q: Right(p, q, share_percent=120.0), ValidationError, "share_percent"),
        (lambda p, q: Right(p, q, share_percent=0.0), ValidationError, "share_percent"),
        (lambda p, q: Right(999_999, q), NotFoundError, "parcel_id"),
        (lambda p, q: Right(p, 999_999), NotFoundError, "party_id"),
    ],
)
def test_impossible_rights_are_refused(register_db, parcel_id, right, error, field):
    with UnitOfWork(register_db) as uow:
        party_id = register_party(uow, Party(PartyKind.HOUSEHOLD, "Hộ ông Võ Văn Em"), actor="o")
    with UnitOfWork(register_db) as uow, pytest.raises(error) as caught:
        grant_right(uow, right(parcel_id, party_id), actor="o")
    assert caught.value.field == field
    with UnitOfWork(register_db) as uow:
        assert uow.rights.of_parcel(parcel_id) == []
