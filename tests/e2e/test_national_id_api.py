"""The national parcel identifier through the API and the map's search box, on PostGIS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.map_search import search
from landreg.settings import Settings
from landreg.store.tables import ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from tests.e2e.test_map_data import MAP, app, staff  # noqa: F401 (the map's fixtures)
from tests.serving import take_in_long_an

PASSWORD = "correct horse battery"


@pytest.fixture
def client(postgis):
    take_in_long_an(postgis)
    with UnitOfWork(postgis) as uow:
        create_user(uow, "staff", PASSWORD, Role.CADASTRAL_STAFF, actor="test")
        known = uow.session.execute(
            select(ParcelRow.id, ParcelRow.national_id)
            .where(ParcelRow.national_id.is_not(None))
            .order_by(ParcelRow.id)
            .limit(1)
        ).one()
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        c.database = postgis
        c.parcel_id, c.national_id = known
        token = c.post("/auth/token", data={"username": "staff", "password": PASSWORD}).json()
        c.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield c


def test_a_parcel_is_found_by_its_national_identifier(client):
    found = client.get(f"/parcels/by-national-id/{client.national_id}")
    assert found.status_code == 200, found.text
    assert found.json()["id"] == client.parcel_id
    assert found.json()["national_id"] == client.national_id
    assert found.json()["geometry"]["type"] == "MultiPolygon"
    one = client.get(f"/parcels/{client.parcel_id}")
    assert one.json()["national_id"] == client.national_id


def test_an_unknown_or_malformed_identifier_is_a_problem_in_vietnamese(client):
    unknown = client.get("/parcels/by-national-id/w00000000000")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "mã định danh" in unknown.json()["detail"]
    for text in ("w3gv", "w3gvk2j8x1ma", "W3GVK2J8X1MQ", "w3gvk2j8x1mqq"):
        answer = client.get(f"/parcels/by-national-id/{text}")
        assert answer.status_code == 422, text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == "national_id"


def test_the_identifier_shows_in_the_record_and_the_ogc_items(client):
    record = client.get(f"/parcels/{client.parcel_id}/record")
    assert record.status_code == 200, record.text
    assert record.json()["fields"]["national_id"]["value"] == client.national_id
    item = client.get(f"/ogc/collections/parcels/items/{client.parcel_id}")
    assert item.status_code == 200, item.text
    assert item.json()["properties"]["national_id"] == client.national_id


def test_the_map_search_box_finds_a_parcel_by_its_identifier(client):
    with UnitOfWork(client.database) as uow:
        [hit, *_] = search(uow, f"  {client.national_id.upper()} ")
    assert hit.kind == "national_id" and hit.parcel_id == client.parcel_id
    assert hit.label_vi.startswith("Mã định danh " + client.national_id)
    assert hit.bounds is not None


def _first_with_identifier(database) -> tuple[int, str]:
    with UnitOfWork(database) as uow:
        parcel_id, national_id = uow.session.execute(
            select(ParcelRow.id, ParcelRow.national_id)
            .where(ParcelRow.national_id.is_not(None))
            .order_by(ParcelRow.id)
            .limit(1)
        ).one()
    assert national_id is not None
    return parcel_id, national_id


def test_the_map_search_box_answers_an_identifier(staff):  # noqa: F811 (the fixture)
    parcel_id, national_id = _first_with_identifier(staff.app.state.test_database)
    found = staff.get(f"{MAP}/tim", params={"q": national_id}).json()["items"]
    assert found[0]["kind"] == "national_id" and found[0]["parcel_id"] == parcel_id


def test_the_map_shows_the_identifier_in_the_parcel_panel(staff):  # noqa: F811 (the fixture)
    parcel_id, national_id = _first_with_identifier(staff.app.state.test_database)
    fragment = staff.get(f"{MAP}/thua/{parcel_id}").text
    assert "Mã định danh thửa đất" in fragment and national_id in fragment
    as_of = staff.get(f"{MAP}/thua/{parcel_id}", params={"at": "2100-01-01"}).text
    assert as_of.count(national_id) >= 2  # the version in force that day, and the record now
