"""Cadastral staff upload sources through the API; roles decide who may."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_api_key, create_user
from landreg.settings import ApiSettings, Settings
from landreg.store.tables import ParcelRow
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
GPKG = SAMPLE / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
PASSWORD = "correct horse battery"


@pytest.fixture
def client(postgis, tmp_path):
    with UnitOfWork(postgis) as uow:
        create_user(uow, "staff", PASSWORD, Role.CADASTRAL_STAFF, actor="test")
    with UnitOfWork(postgis) as uow:
        create_user(uow, "officer", PASSWORD, Role.REGISTRY_OFFICER, actor="test")
    settings = Settings(api=ApiSettings(ingest_dir=tmp_path / "uploads"))
    with TestClient(create_app(settings, database=postgis), raise_server_exceptions=False) as c:
        c.database = postgis
        yield c


def _token(client, username):
    response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _upload(client, headers, name, data, **form):
    return client.post("/ingest", headers=headers, files={"file": (name, data)}, data=form)


def _parcels(client):
    with UnitOfWork(client.database) as uow:
        return uow.session.scalar(select(func.count()).select_from(ParcelRow))


def test_staff_upload_is_ingested_in_the_background(client):
    headers = _token(client, "staff")
    accepted = _upload(client, headers, GPKG.name, GPKG.read_bytes())
    assert accepted.status_code == 202
    job = client.get(accepted.json()["href"], headers=headers).json()
    assert job["status"] == "done" and job["actor"] == "staff"
    parcels = next(r for r in job["results"] if r["source_name"].startswith("map:"))
    assert parcels["added"] == _parcels(client) > 100
    batches = client.get("/ingest/batches", headers=headers).json()
    assert batches[0]["file_name"] == GPKG.name and batches[0]["actor"] == "staff"


def test_a_zip_of_shapefile_parts_is_unpacked_and_ingested(client, tmp_path):
    folder = SAMPLE / "maps" / "tay_ninh_cu" / "25630_xa_tan_bien"
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"25630_xa_tan_bien/{part.name}")
    headers = _token(client, "staff")
    job = client.get(
        _upload(client, headers, "tan_bien.zip", bundle.getvalue()).json()["href"], headers=headers
    ).json()
    assert job["status"] == "done" and not job["stopped"]
    assert any("TCVN3" in note for r in job["results"] for note in r["warnings"])
    assert list((tmp_path / "uploads").iterdir()) == [], "nothing of the upload is kept"


def test_anonymous_and_officers_may_not_ingest(client):
    anonymous = _upload(client, {}, GPKG.name, b"x")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    officer = _upload(client, _token(client, "officer"), GPKG.name, b"x")
    assert officer.status_code == 403 and "cán bộ địa chính" in officer.json()["detail"]
    assert _parcels(client) == 0


def test_a_system_with_an_api_key_may_ingest(client):
    with UnitOfWork(client.database) as uow:
        key = create_api_key(uow, "survey-office", Role.CADASTRAL_STAFF, actor="test")
    accepted = _upload(client, {"X-API-Key": key}, GPKG.name, GPKG.read_bytes())
    assert accepted.status_code == 202
    job = client.get(accepted.json()["href"], headers={"X-API-Key": key}).json()
    assert job["actor"] == "key:survey-office" and job["status"] == "done"
    assert client.get("/auth/me", headers={"X-API-Key": "lr_wrong"}).status_code == 401


def test_wrong_password_and_forged_token_are_refused(client):
    wrong = client.post("/auth/token", data={"username": "staff", "password": "nope nope nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "sai tên đăng nhập hoặc mật khẩu"
    unknown = client.post("/auth/token", data={"username": "ghost", "password": PASSWORD})
    assert unknown.json()["detail"] == wrong.json()["detail"]
    forged = client.get("/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401


def test_an_unreadable_upload_fails_cleanly_and_changes_nothing(client):
    headers = _token(client, "staff")
    job = client.get(
        _upload(client, headers, "broken.gpkg", b"not a geopackage" * 50).json()["href"],
        headers=headers,
    ).json()
    assert job["status"] == "failed" and "broken.gpkg" in job["error"]["detail"]
    assert _parcels(client) == 0


def test_a_zip_reaching_outside_itself_is_refused(client):
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("../../escape.csv", "a,b\n1,2\n")
    response = _upload(client, _token(client, "staff"), "evil.zip", bundle.getvalue())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_options_are_validated(client):
    headers = _token(client, "staff")
    bad_commune = _upload(client, headers, GPKG.name, b"x", commune="2545")
    assert bad_commune.status_code == 422 and bad_commune.json()["errors"][0]["field"] == "commune"
    bad_profile = _upload(client, headers, GPKG.name, b"x", profile="/etc/passwd.toml")
    assert bad_profile.status_code == 422 and "no profile named" in bad_profile.json()["detail"]
