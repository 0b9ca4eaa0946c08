"""Parcel look-ups through the API on PostGIS: in a box, by certificate serial, by holder."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.settings import Settings
from landreg.store.tables import AuditRow, ParcelRegisterLinkRow, ParcelRow, RegisterEntryRow
from landreg.store.unit_of_work import UnitOfWork
from tests.serving import take_in_long_an

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
PASSWORD = "correct horse battery"


@pytest.fixture
def client(postgis):
    take_in_long_an(postgis)
    with UnitOfWork(postgis) as uow:
        create_user(uow, "lan", PASSWORD, Role.REGISTRY_OFFICER, actor="test")
        create_user(uow, "staff", PASSWORD, Role.CADASTRAL_STAFF, actor="test")
        parcel, entry, bounds = uow.session.execute(
            select(ParcelRow, RegisterEntryRow, ParcelRow.geom.ST_Envelope().ST_AsText())
            .join(ParcelRegisterLinkRow, ParcelRegisterLinkRow.parcel_id == ParcelRow.id)
            .join(RegisterEntryRow, RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id)
            .where(
                RegisterEntryRow.certificate_serial.is_not(None),
                RegisterEntryRow.identity_number.is_not(None),
            )
            .limit(1)
        ).one()
        known = parcel.id, entry.certificate_serial, entry.identity_number, bounds
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        c.database = postgis
        c.parcel_id, c.serial, c.identity, c.bounds = known
        yield c


def _as(client, name):
    token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _centre(client):
    from shapely import wkt

    return wkt.loads(client.bounds).centroid


def test_parcels_in_a_box_in_the_cadastral_crs(client):
    centre = _centre(client)
    box = f"{centre.x - 20},{centre.y - 20},{centre.x + 20},{centre.y + 20}"
    found = client.get("/parcels/within", params={"bbox": box, "bbox_crs": 9209, "crs": 9209})
    assert found.status_code == 200, found.text
    assert client.parcel_id in [p["id"] for p in found.json()]
    page = client.get("/parcels/within", params={"bbox": box, "bbox_crs": 9209, "limit": 1})
    assert len(page.json()) == 1
    wide = f"{centre.x - 9000},{centre.y},{centre.x + 9000},{centre.y + 10}"
    too_big = client.get("/parcels/within", params={"bbox": wide, "bbox_crs": 9209})
    inverted = client.get("/parcels/within", params={"bbox": "106.5,10.6,106.4,10.5"})
    for answer in (too_big, inverted):
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "bbox"


def test_parcels_by_certificate_serial_for_officers_and_staff(client):
    written = client.serial.replace(" ", "").lower()  # as someone types it
    found = client.get(f"/parcels/by-serial/{written}", headers=_as(client, "staff"))
    assert found.status_code == 200 and client.parcel_id in [p["id"] for p in found.json()]
    assert client.get(f"/parcels/by-serial/{written}").status_code == 401
    bad = client.get("/parcels/by-serial/12345", headers=_as(client, "staff"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "certificate_serial"


def test_parcels_of_a_holder_for_registry_officers_only_and_audited(client):
    body = {"identity_number": client.identity}
    found = client.post("/parcels/by-holder", json=body, headers=_as(client, "lan"))
    assert found.status_code == 200 and client.parcel_id in [p["id"] for p in found.json()]
    staff = client.post("/parcels/by-holder", json=body, headers=_as(client, "staff"))
    assert staff.status_code == 403
    with UnitOfWork(client.database) as uow:
        [entry] = uow.session.scalars(
            select(AuditRow).where(AuditRow.entity_type == "holder", AuditRow.actor == "lan")
        ).all()
        assert client.identity not in str(entry.after)  # who was looked up, without the number
