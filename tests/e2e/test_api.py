"""The API through the real application on PostGIS: answers, and problem+json for every error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import shapely

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.register import ParcelInput, register_parcels
from landreg.settings import DatabaseSettings, Settings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

PARCEL = shapely.box(565_280, 1_249_680, 565_320, 1_249_730)  # contains lon 106.1, lat 11.3


@pytest.fixture
def client(postgis):
    with UnitOfWork(postgis) as uow:
        [parcel_id] = register_parcels(
            uow,
            [ParcelInput("25459", 12, 345, PARCEL, 9209, 2000.0, "ODT", "Khu phố 1")],
            actor="officer",
        )
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        c.parcel_id, c.database = parcel_id, postgis
        yield c


def _problem(response, status):
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_health_and_openapi(client):
    health = client.get("/health")
    assert health.json() == {
        "status": "ok",
        "database": "ok",
        "backend": "postgis",
        "version": health.json()["version"],
    }
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/parcels", "/parcels/at", "/parcels/{parcel_id}"} <= set(paths)


def test_parcel_by_key_as_people_write_it(client):
    found = client.get(
        "/parcels", params={"commune_code": "25459", "map_sheet": "12", "parcel_number": "0345"}
    ).json()
    assert [p["key"] for p in found] == ["25459-12-345"]
    assert found[0]["measured_area"] == pytest.approx(2000.0)
    assert found[0]["crs"] == "EPSG:4326"
    lon, lat = found[0]["geometry"]["coordinates"][0][0][0]
    assert 106.09 < lon < 106.11 and 11.29 < lat < 11.31


def test_parcel_at_a_point_in_wgs84_and_in_tm3(client):
    by_lonlat = client.get("/parcels/at", params={"x": 106.1, "y": 11.3}).json()
    by_tm3 = client.get(
        "/parcels/at", params={"x": 565300, "y": 1249700, "point_crs": 9209, "crs": 9209}
    ).json()
    assert [p["id"] for p in by_lonlat] == [client.parcel_id]
    assert [p["id"] for p in by_tm3] == [client.parcel_id]
    assert by_tm3[0]["geometry"]["coordinates"][0][0][0] == pytest.approx([565320, 1249680])


def test_parcel_history_and_as_of(client):
    one = client.get(f"/parcels/{client.parcel_id}").json()
    assert one["version"] == 1 and one["land_use_code"] == "ODT"
    assert client.get(f"/parcels/{client.parcel_id}/history").status_code == 401
    with UnitOfWork(client.database) as uow:
        create_user(uow, "lan", "correct horse battery", Role.REGISTRY_OFFICER, actor="test")
    token = client.post(
        "/auth/token", data={"username": "lan", "password": "correct horse battery"}
    ).json()["access_token"]
    history = client.get(
        f"/parcels/{client.parcel_id}/history", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [v["version"] for v in history] == [1]
    before = client.get(f"/parcels/{client.parcel_id}", params={"at": "2001-01-01T00:00:00"})
    assert (
        _problem(before, 404)["detail"]
        == f"thửa đất {client.parcel_id} chưa có vào lúc 07:00 01/01/2001"
    )


def test_unknown_parcel_is_a_404_problem(client):
    body = _problem(client.get("/parcels/999999"), 404)
    assert body["errors"][0]["field"] == "parcel_id"


def test_malformed_key_names_field_and_value(client):
    body = _problem(
        client.get(
            "/parcels", params={"commune_code": "25459", "map_sheet": "1x", "parcel_number": "3"}
        ),
        422,
    )
    assert body["errors"] == [
        {"field": "map_sheet", "value": "1x", "detail": body["errors"][0]["detail"]}
    ]


def test_unknown_crs_and_bad_types_are_problems(client):
    assert _problem(client.get("/parcels/at", params={"x": 1, "y": 2, "point_crs": 0}), 422)
    body = _problem(client.get("/parcels/at", params={"x": "east", "y": 2}), 422)
    assert body["errors"][0]["field"] == "x" and body["errors"][0]["value"] == "east"
    assert _problem(client.get("/parcels/at", params={"x": 200, "y": 2}), 422)


def test_unknown_route_and_method_are_problems(client):
    _problem(client.get("/no-such-thing"), 404)
    _problem(client.delete("/parcels/1"), 405)


def test_database_down_gives_no_sql_or_trace(tmp_path):
    down = RegisterDatabase.from_settings(
        DatabaseSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    with TestClient(create_app(Settings(), database=down), raise_server_exceptions=False) as c:
        assert c.get("/health").status_code == 503
        body = _problem(c.get("/parcels/1"), 503)
    text = str(body).lower()
    assert "select" not in text and "traceback" not in text and "psycopg" not in text


def test_overview_page_in_vietnamese(client):
    page = client.get("/tong-quan-du-lieu")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Thửa đất" in page.text and "Đơn vị hành chính" in page.text


def test_the_database_written_answer_is_the_model_answer(client):
    """On PostGIS the parcel look-ups are written by the database; they must say exactly what
    the API model says (the geometry to a micrometre)."""
    from api.schemas import ParcelOut

    for crs in (4326, 9209):
        fast = client.get(f"/parcels/{client.parcel_id}", params={"crs": crs}).json()
        with UnitOfWork(client.database) as uow:
            parcel = uow.parcels.get(client.parcel_id)
        model = ParcelOut.from_parcel(parcel, 9209, crs).model_dump(mode="json")
        fast_ring = fast.pop("geometry")["coordinates"][0][0]
        model_ring = model.pop("geometry")["coordinates"][0][0]
        tolerance = 1e-9 if crs == 4326 else 1e-6  # 9 decimals: a tenth of a millimetre
        assert len(fast_ring) == len(model_ring)
        for got, want in zip(fast_ring, model_ring, strict=True):
            assert got == pytest.approx(want, abs=tolerance)
        fast_time, model_time = fast.pop("valid_from"), model.pop("valid_from")
        assert fast_time.rstrip("Z")[:19] == model_time.rstrip("Z")[:19]
        assert fast.pop("measured_area") == pytest.approx(model.pop("measured_area"))
        assert fast == model
