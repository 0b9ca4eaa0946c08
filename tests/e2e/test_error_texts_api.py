"""Errors people meet through the real app, in Vietnamese by default and in English on request
(the source walk that every error gives Vietnamese is tests/unit/test_error_texts.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import shapely

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.register import ParcelInput, change_parcel, register_parcels
from landreg.settings import Settings
from landreg.store.unit_of_work import UnitOfWork
from tests.unit.test_error_texts import VIETNAMESE

PASSWORD = "mot mat khau du dai"
# A lot of Phường Tân Ninh (25459) in VN-2000 / Tây Ninh (EPSG:9209): an L-shaped field...
FIELD = shapely.Polygon(
    [(565_700, 1_249_800), (565_760, 1_249_800), (565_760, 1_249_830),
     (565_730, 1_249_830), (565_730, 1_249_860), (565_700, 1_249_860)]
)  # fmt: skip
# ...then redrawn crossing itself: its two diagonals cross at (565730, 1249830).
CROSSED = shapely.Polygon(
    [(565_700, 1_249_800), (565_760, 1_249_860), (565_760, 1_249_800), (565_700, 1_249_860)]
)


@pytest.fixture
def client(register_db):
    with UnitOfWork(register_db) as uow:
        [parcel_id] = register_parcels(
            uow, [ParcelInput("25459", 8, 112, FIELD, 9209, 2700.0, "LUC", "Tổ 4")], actor="t"
        )
    with UnitOfWork(register_db) as uow:
        create_user(uow, "lan", PASSWORD, Role.CADASTRAL_STAFF, actor="t")
    app = create_app(Settings(), database=register_db)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.parcel_id, test_client.database = parcel_id, register_db
        yield test_client


def _headers(client, language=None):
    answer = client.post("/auth/token", data={"username": "lan", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return headers | ({"Accept-Language": language} if language else {})


def _both(client, method, path, status, **request):
    """The problem's detail in Vietnamese (no Accept-Language) and in English."""
    said = {}
    for language in ("vi", "en"):
        headers = _headers(client, "en" if language == "en" else None)
        answer = client.request(method, path, headers=headers, **request)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-language"] == language
        body = answer.json()
        assert body["errors"][0]["detail"] == body["detail"]
        said[language] = body["detail"]
    return said["vi"], said["en"]


def test_a_parcel_not_found_in_both_languages(client):
    missing = client.parcel_id + 1000
    vi, en = _both(client, "GET", f"/parcels/{missing}", 404)
    assert vi == f"không có thửa đất mang số {missing}"
    assert en == f"no parcel with id {missing}"
    vi, en = _both(client, "GET", f"/parcels/{missing}/record", 404)
    assert vi == f"không có thửa đất mang số {missing}"
    assert en == f"no parcel with id {missing}"


def test_a_stale_finding_says_someone_acted_on_it(client):
    with UnitOfWork(client.database) as uow:
        change_parcel(
            uow, client.parcel_id, {"geometry": CROSSED, "srid": 9209, "store_as_drawn": True},
            actor="lan",
        )  # fmt: skip
    listed = client.get("/findings", params={"rule": "GEOM_INVALID"}, headers=_headers(client))
    [finding] = listed.json()["items"]
    stale = {"reason": "đã đo đạc lại ngoài thực địa", "expected_version": finding["version"] + 3}
    vi, en = _both(client, "POST", f"/findings/{finding['id']}/dismiss", 409, json=stale)
    assert vi == (
        f"phát hiện {finding['id']} đang ở phiên bản {finding['version']}, không phải "
        f"{finding['version'] + 3}: người khác vừa xử lý phát hiện này; hãy tải lại"
    )
    assert en.startswith(f"finding {finding['id']} is at version {finding['version']}, not ")
    # the English side stays English, the Vietnamese side has no English sentence
    assert not VIETNAMESE.search(en) and "someone" not in vi


def test_a_malformed_parcel_key_names_its_part_in_vietnamese(client):
    key = {"commune_code": "25459", "map_sheet": "0", "parcel_number": "112"}
    vi, en = _both(client, "GET", "/parcels", 422, params=key)
    assert vi == "số tờ bản đồ phải từ 1 trở lên, nhận được '0'"
    assert en == "map_sheet must be 1 or more, got '0'"
    other = key | {"commune_code": "2545A", "map_sheet": "3"}
    vi, en = _both(client, "GET", "/parcels", 422, params=other)
    assert vi == "mã xã phải gồm 5 chữ số, nhận được '2545A'"
    assert en == "commune_code must be 5 digits, got '2545A'"


def test_a_bad_box_in_both_languages(client):
    vi, en = _both(client, "GET", "/parcels/within", 422, params={"bbox": "106.1,11.3,106.2"})
    assert vi == "bbox phải gồm bốn số hữu hạn: minx,miny,maxx,maxy"
    assert en == "bbox must be four finite numbers: minx,miny,maxx,maxy"


def test_a_day_outside_the_holiday_calendar_is_written_the_vietnamese_way(client):
    vi, en = _both(client, "GET", "/stats/dossiers", 422, params={"as_of": "1999-06-30"})
    assert vi.startswith("ngày 30/06/1999 nằm ngoài lịch ngày nghỉ (")
    assert vi.endswith("hãy bổ sung năm đó vào holidays.toml")
    assert en.startswith("date 1999-06-30 is outside the holiday calendar (")
