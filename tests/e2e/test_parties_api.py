"""Parties through the API on PostGIS: a party with its numbers and parcels, the review queue,
an officer's decisions, and look-ups by holder that follow a person from CMND to CCCD."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_user
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.settings import Settings
from landreg.store.tables import (
    AuditRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    PartyEntryRow,
    RegisterEntryRow,
)
from landreg.store.unit_of_work import UnitOfWork
from sample_data.register import TN_COLUMNS
from tests.serving import take_in_long_an

PASSWORD = "correct horse battery"
OLD_CARD = "290999123"


@pytest.fixture
def client(postgis):
    take_in_long_an(postgis)
    with UnitOfWork(postgis) as uow:
        create_user(uow, "lan", PASSWORD, Role.REGISTRY_OFFICER, actor="test")
        create_user(uow, "staff", PASSWORD, Role.CADASTRAL_STAFF, actor="test")
        linked = uow.session.execute(
            select(RegisterEntryRow, ParcelRegisterLinkRow.parcel_id, PartyEntryRow.party_id)
            .join(
                ParcelRegisterLinkRow,
                ParcelRegisterLinkRow.register_entry_id == RegisterEntryRow.id,
            )
            .join(PartyEntryRow, PartyEntryRow.register_entry_id == RegisterEntryRow.id)
            .where(
                RegisterEntryRow.holder_kind == "Cá nhân",
                RegisterEntryRow.birth_year.is_not(None),
                RegisterEntryRow.identity_number.regexp_match(r"^\d{12}$"),
            )
            .order_by(RegisterEntryRow.id)
        ).all()
        entry, parcel_id, party_id = linked[0]
        other = uow.session.scalars(
            select(ParcelRow).where(ParcelRow.id != parcel_id).order_by(ParcelRow.id).limit(1)
        ).one()
        holder = {
            "name": entry.holder_name, "cccd": entry.identity_number, "year": entry.birth_year,
            "parcel_id": parcel_id, "party_id": party_id, "other_parcel_id": other.id,
            "other_key": (other.commune_code, other.map_sheet, other.parcel_number),
        }  # fmt: skip
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        c.database = postgis
        c.holder = holder
        yield c


def _as(client, name):
    token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _extract(client, tmp_path, rows: list[dict[str, object]]) -> None:
    """A commune's extract of the register naming the holder again, taken in and reconciled."""
    commune, sheet, number = client.holder["other_key"]
    frame = pd.DataFrame(
        [
            {
                "stt": i + 1, "commune_code": commune, "sheet_text": sheet, "number_text": number,
                "holder_name": client.holder["name"], "holder_kind": "Cá nhân",
                "birth_year": client.holder["year"], "land_use_text": "ONT", "share": 100,
            } | row
            for i, row in enumerate(rows)
        ],
        columns=[*TN_COLUMNS, "previous"],
    ).rename(columns=TN_COLUMNS | {"previous": "Số CMND cũ"})  # fmt: skip
    path = tmp_path / "trich_luc" / "trich_luc_xa.csv"
    path.parent.mkdir()
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    ingest_path(client.database, path, IngestOptions())
    with UnitOfWork(client.database) as uow:
        reconcile(uow)


def _by_holder(client, number: str) -> set[int]:
    found = client.post(
        "/parcels/by-holder", json={"identity_number": number}, headers=_as(client, "lan")
    )
    assert found.status_code == 200, found.text
    return {parcel["id"] for parcel in found.json()}


def _pending(client) -> list[dict]:
    answer = client.get("/parties/review", headers=_as(client, "staff"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_party_shows_its_numbers_and_parcels_to_officers_and_staff(client):
    party_id = client.holder["party_id"]
    for who in ("staff", "lan"):
        answer = client.get(f"/parties/{party_id}", headers=_as(client, who))
        assert answer.status_code == 200, answer.text
        party = answer.json()
        assert party["identity_number"] == client.holder["cccd"]
        assert party["birth_year"] == client.holder["year"] and party["kind"] == "individual"
        [number] = [i for i in party["identities"] if i["number"] == client.holder["cccd"]]
        assert number["kind"] == "cccd" and number["origin"] == "register"
        assert number["source_name"].startswith("register:")
        assert client.holder["parcel_id"] in {p["parcel_id"] for p in party["parcels"]}
    assert client.get(f"/parties/{party_id}").status_code == 401
    missing = client.get("/parties/99999999", headers=_as(client, "staff"))
    assert missing.status_code == 404 and "người sử dụng đất" in missing.json()["detail"]


def test_confirming_a_cmnd_cccd_match_lets_the_cccd_find_the_old_cards_parcels(client, tmp_path):
    _extract(client, tmp_path, [{"identity": OLD_CARD}])  # the old card, the change not stated
    other = client.holder["other_parcel_id"]
    assert other not in _by_holder(client, client.holder["cccd"])  # never guessed
    [match] = [m for m in _pending(client) if m["identity_number"] == OLD_CARD]
    assert match["party_id"] == client.holder["party_id"] and match["reason"] == "cmnd_cccd"
    assert "CMND" in match["explanation"]
    refused = client.post(f"/party-links/{match['id']}/confirm", headers=_as(client, "staff"))
    assert refused.status_code == 403
    done = client.post(f"/party-links/{match['id']}/confirm", headers=_as(client, "lan"))
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    stale = client.post(f"/party-links/{match['id']}/confirm", headers=_as(client, "lan"))
    assert stale.status_code == 409
    assert other in _by_holder(client, client.holder["cccd"])
    assert client.holder["parcel_id"] in _by_holder(client, OLD_CARD)
    party = client.get(f"/parties/{client.holder['party_id']}", headers=_as(client, "staff"))
    numbers = {i["number"]: i["origin"] for i in party.json()["identities"]}
    assert numbers[OLD_CARD] == "officer"
    with UnitOfWork(client.database) as uow:  # the decision holds on the next reconcile
        reconcile(uow)
        party_of = uow.session.scalar(
            select(PartyEntryRow.party_id).where(
                PartyEntryRow.register_entry_id == match["register_entry_id"]
            )
        )
        audited = uow.session.scalars(
            select(AuditRow.action).where(
                AuditRow.entity_type == "party_link", AuditRow.actor == "lan"
            )
        ).all()
    assert party_of == client.holder["party_id"]
    assert list(audited) == ["confirm"]
    assert not [m for m in _pending(client) if m["identity_number"] == OLD_CARD]


def test_a_rejected_match_is_not_proposed_again(client, tmp_path):
    _extract(client, tmp_path, [{"identity": OLD_CARD}])
    [match] = [m for m in _pending(client) if m["identity_number"] == OLD_CARD]
    url = f"/party-links/{match['id']}/reject"
    silent = client.post(url, json={"reason": ""}, headers=_as(client, "lan"))
    assert silent.status_code == 422
    done = client.post(url, json={"reason": "người khác cùng tên"}, headers=_as(client, "lan"))
    assert done.status_code == 204
    assert (
        client.post(url, json={"reason": "lần nữa"}, headers=_as(client, "lan")).status_code == 409
    )
    with UnitOfWork(client.database) as uow:
        reconcile(uow)
    assert not [m for m in _pending(client) if m["identity_number"] == OLD_CARD]
    assert client.holder["other_parcel_id"] not in _by_holder(client, client.holder["cccd"])


def test_a_change_stated_in_the_register_links_cmnd_and_cccd_at_once(client, tmp_path):
    _extract(client, tmp_path, [{"identity": client.holder["cccd"], "previous": OLD_CARD}])
    assert not [m for m in _pending(client) if m["identity_number"] == client.holder["cccd"]]
    found = _by_holder(client, OLD_CARD)
    assert {client.holder["parcel_id"], client.holder["other_parcel_id"]} <= found
    party = client.get(f"/parties/{client.holder['party_id']}", headers=_as(client, "lan"))
    numbers = {i["number"]: i["origin"] for i in party.json()["identities"]}
    assert numbers[OLD_CARD] == "register_previous"
