"""``GET /parcels/export`` through the app on PostGIS: officers and staff get every current
parcel as a file (CSV for Excel, GeoJSON, GeoPackage), holders by name and identity numbers
only when asked for (and audited); anyone else is refused with a problem, and so are a bad
format and an unknown commune."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import pyogrio

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_api_key
from landreg.settings import ApiSettings, Settings
from landreg.store.tables import AuditRow, ParcelRow, PartyRow, RightRow
from landreg.store.unit_of_work import UnitOfWork
from tests.serving import take_in_long_an

PROBLEM = "application/problem+json"


@pytest.fixture
def client(postgis) -> Iterator[TestClient]:
    take_in_long_an(postgis)
    keys = {}
    with UnitOfWork(postgis) as uow:
        for role in Role:
            keys[role] = create_api_key(uow, f"key-{role}", role, actor="test")
    # a public map opens the map's routes to anyone: never the export
    settings = Settings(api=ApiSettings(public_map=True))
    with TestClient(create_app(settings, database=postgis), raise_server_exceptions=False) as c:
        c.database = postgis
        c.keys = keys
        yield c


def _export(client: TestClient, role: Role | None, **params: str):
    headers = {"X-API-Key": client.keys[role]} if role is not None else {}
    return client.get("/parcels/export", params=params, headers=headers)


def _database_parcels(client: TestClient) -> dict[int, str | None]:
    with UnitOfWork(client.database) as uow:
        return dict(uow.session.execute(select(ParcelRow.id, ParcelRow.national_id)).all())


def _holder_numbers(client: TestClient) -> set[str]:
    with UnitOfWork(client.database) as uow:
        found = uow.session.scalars(
            select(PartyRow.identity_number)
            .join(RightRow, RightRow.party_id == PartyRow.id)
            .where(PartyRow.identity_number.is_not(None))
        )
        return set(found)


def test_officers_and_staff_get_every_parcel_as_csv_with_holders_by_name(client):
    parcels = _database_parcels(client)
    numbers = _holder_numbers(client)
    assert len(parcels) > 100 and len(numbers) > 50
    for role in (Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF, Role.ADMINISTRATOR):
        answer = _export(client, role, format="csv")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith("attachment;") and disposition.endswith('.csv"')
        assert answer.headers["cache-control"] == "no-store"
        assert answer.content.startswith(b"\xef\xbb\xbf")
        rows = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig", dtype=str)
        given = rows["national_id"].astype(object).where(rows["national_id"].notna(), None)
        assert dict(zip(rows["parcel_id"].astype(int), given, strict=True)) == parcels
        assert rows["holders"].notna().sum() > 50
        assert "holder_identity_numbers" not in rows.columns
        assert not [n for n in numbers if n in answer.text]


def test_identity_numbers_only_when_asked_for_and_the_export_is_audited(client):
    numbers = _holder_numbers(client)
    answer = _export(client, Role.REGISTRY_OFFICER, format="csv", personal="true")
    assert answer.status_code == 200, answer.text
    rows = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig", dtype=str)
    given = {n for cell in rows["holder_identity_numbers"].dropna() for n in cell.split("; ")}
    assert numbers <= given
    with UnitOfWork(client.database) as uow:
        [audited] = uow.session.execute(
            select(AuditRow.actor, AuditRow.after).where(
                AuditRow.action == "export", AuditRow.entity_type == "parcel"
            )
        ).all()
    assert audited.actor == f"key:key-{Role.REGISTRY_OFFICER}"
    assert audited.after["personal"] is True and audited.after["parcels"] == len(rows)


def test_the_geopackage_is_in_the_cadastral_crs_and_geojson_in_wgs84(client, tmp_path):
    with UnitOfWork(client.database) as uow:
        count = uow.session.scalar(select(func.count()).select_from(ParcelRow))
        commune = uow.session.scalar(select(ParcelRow.commune_code).limit(1))
    for fmt, media, crs in (
        ("gpkg", "application/geopackage+sqlite3", "EPSG:9209"),
        ("geojson", "application/geo+json", "EPSG:4326"),
    ):
        answer = _export(client, Role.CADASTRAL_STAFF, format=fmt, commune=commune)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(media)
        path = tmp_path / f"thua_dat.{fmt}"
        path.write_bytes(answer.content)
        info = pyogrio.read_info(path)
        assert info["crs"] == crs and info["features"] == count


def test_anyone_else_is_refused_with_a_problem(client):
    anonymous = _export(client, None, format="csv")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(PROBLEM)
    # leaders read the dashboard's figures, citizens their own dossier: neither the register
    for role in (Role.CITIZEN, Role.LEADER):
        refused = _export(client, role, format="csv")
        assert refused.status_code == 403, role
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert "thửa" not in refused.text and "holders" not in refused.text


def test_a_bad_format_or_an_unknown_commune_is_a_problem_in_vietnamese(client):
    bad = _export(client, Role.REGISTRY_OFFICER, format="shp")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith(PROBLEM)
    assert bad.json()["errors"][0]["field"] == "format"
    unknown = _export(client, Role.REGISTRY_OFFICER, format="csv", commune="Xã Không Có Thật")
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith(PROBLEM)
    assert "không tìm thấy xã, phường" in unknown.json()["detail"]
    english = client.get(
        "/parcels/export",
        params={"format": "csv", "commune": "Xã Không Có Thật"},
        headers={"X-API-Key": client.keys[Role.REGISTRY_OFFICER], "Accept-Language": "en"},
    )
    assert "no ward or commune is known" in english.json()["detail"]
