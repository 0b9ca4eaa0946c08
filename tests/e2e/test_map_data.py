"""The map workbench's data through HTTP on PostGIS (Phường Long An taken in and reconciled):
tiles, the register's revision, search, a parcel's fragment and boundary, the findings queue,
a fix's preview, the three actions and the export, signed in through the real sign-in form
with the session cookie, as the map's page is."""

from __future__ import annotations

import io
import json
import math
import re
from datetime import date, datetime, timedelta

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.requests import Request

import geopandas as gpd
import shapely

from api.app import create_app
from api.pages.session import SESSION_COOKIE, form_token
from landreg.domain.access import Role
from landreg.domain.model import Finding
from landreg.services.accounts import create_user
from landreg.services.register import change_parcel
from landreg.settings import Settings
from landreg.store.tables import (
    FindingRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
)
from landreg.store.unit_of_work import UnitOfWork
from tests.e2e.test_roles import endpoints
from tests.serving import take_in_long_an

PASSWORD = "Mat-khau-ban-do-1"
ACCOUNTS = {
    "do_dac": Role.CADASTRAL_STAFF,
    "thu_ky": Role.REGISTRY_OFFICER,
    "giam_doc": Role.ADMINISTRATOR,
    "nguoi_dan": Role.CITIZEN,
}
MAP = "/app/ban-do"
PROBLEM = "application/problem+json"


@pytest.fixture
def app(postgis):
    take_in_long_an(postgis)
    for name, role in ACCOUNTS.items():
        with UnitOfWork(postgis) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    app = create_app(Settings(), database=postgis)
    app.state.test_database = postgis
    return app


def _client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def _sign_in(client: TestClient, name: str, next_path: str | None = None):
    form = client.get("/app/dang-nhap")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, "the sign-in form has no form token"
    data = {"username": name, "password": PASSWORD, "csrf": token.group(1)}
    if next_path is not None:
        data["tiep"] = next_path
    return client.post("/app/dang-nhap", data=data)


@pytest.fixture
def staff(app):
    with _client(app) as client:
        assert _sign_in(client, "do_dac").status_code == 303
        client.headers["X-Form-Token"] = _token(app, client)
        yield client


@pytest.fixture
def officer(app):
    with _client(app) as client:
        assert _sign_in(client, "thu_ky").status_code == 303
        client.headers["X-Form-Token"] = _token(app, client)
        yield client


def _token(app, client: TestClient) -> str:
    """The session's form token, as the map's page is given it."""
    request = Request({"type": "http", "app": app, "headers": []})
    return form_token(request, client.cookies[SESSION_COOKIE])


def _first(client: TestClient, rule: str) -> dict:
    page = client.get(f"{MAP}/phat-hien", params={"rule": rule}).json()
    assert page["total"] >= 1, rule
    return page["items"][0]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    column = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return column, row


def _centre(client: TestClient, parcel_id: int) -> tuple[float, float]:
    feature = client.get(f"{MAP}/thua/{parcel_id}.geojson").json()
    spot = shapely.geometry.shape(feature["geometry"]).representative_point()
    return spot.x, spot.y


def _data_routes(app) -> list[tuple[str, str]]:
    """(method, concrete path) of every route of the map's data (the page itself aside)."""
    found = []
    for method, path in endpoints(app):
        if path.startswith(MAP + "/"):
            concrete = re.sub(r"{layer[^}]*}", "parcels", path)
            concrete = re.sub(r"{(z|x|y)[^}]*}", "14", concrete)
            found.append((method, re.sub(r"{[^}]+}", "1", concrete)))
    return found


def test_only_map_readers_get_its_data_and_only_staff_with_the_form_token_change_it(app):
    routes = _data_routes(app)
    posts = [path for method, path in routes if method == "POST"]
    assert len(routes) >= 14 and len(posts) == 3
    with _client(app) as stranger:
        for method, path in routes:
            answer = stranger.request(method, path, json={})
            assert answer.status_code == 401, (method, path)
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["detail"].startswith("Chưa đăng nhập")
    with _client(app) as citizen:
        _sign_in(citizen, "nguoi_dan")
        for method, path in routes:
            answer = citizen.request(method, path, json={})
            assert answer.status_code == 403 and answer.headers["content-type"] == PROBLEM
    with _client(app) as reader:
        _sign_in(reader, "thu_ky")
        for method, path in routes:
            answer = reader.request(method, path, json={"expected_version": 1},
                                    headers={"X-Form-Token": _token(app, reader)})  # fmt: skip
            if method == "GET":
                assert answer.status_code not in (401, 403) and answer.status_code < 500, path
            else:  # a registry officer reads the map, never changes it
                assert answer.status_code == 403, path
                assert "chỉ xem" in answer.json()["detail"]
    with _client(app) as editor:
        _sign_in(editor, "do_dac")
        for path in posts:
            for token in (None, "0" * 64, _token(app, editor)[::-1]):
                headers = {} if token is None else {"X-Form-Token": token}
                answer = editor.post(path, json={"expected_version": 1}, headers=headers)
                assert answer.status_code == 403, (path, token)
                assert answer.json()["detail"] == "Yêu cầu không mang mã biểu mẫu hợp lệ"
        english = editor.post(posts[0], json={}, headers={"Accept-Language": "en"})
        assert english.json()["detail"] == "the request does not carry a valid form token"


def test_cadastral_staff_land_on_the_map_after_signing_in(app):
    with _client(app) as client:
        assert _sign_in(client, "do_dac").headers["location"] == MAP
        again = client.get("/app/dang-nhap")  # already signed in: straight on
        assert again.status_code == 303 and again.headers["location"] == MAP
        onward = client.get("/app/dang-nhap", params={"tiep": f"{MAP}/loc"})
        assert onward.headers["location"] == f"{MAP}/loc"
    with _client(app) as client:
        assert _sign_in(client, "do_dac", f"{MAP}/trang-thai").headers["location"] == (
            f"{MAP}/trang-thai"
        )
    with _client(app) as client:
        assert _sign_in(client, "thu_ky").headers["location"] == "/app"


def test_tiles_carry_the_contracts_properties_and_no_holder(app, staff):
    database = app.state.test_database
    with UnitOfWork(database) as uow:
        names = {
            name
            for name in uow.session.scalars(
                select(RegisterEntryRow.holder_name).join(
                    ParcelRegisterLinkRow,
                    ParcelRegisterLinkRow.register_entry_id == RegisterEntryRow.id,
                )
            )
            if name
        }
        parcel_id = uow.session.scalar(select(ParcelRow.id).order_by(ParcelRow.id).limit(1))
    assert len(names) > 20
    lon, lat = _centre(staff, parcel_id)
    drawn = {}
    for layer, z in (("parcels", 16), ("findings", 12), ("communes", 8)):
        x, y = _tile_of(lon, lat, z)
        answer = staff.get(f"{MAP}/tiles/{layer}/{z}/{x}/{y}.pbf", params={"v": 1})
        assert answer.status_code == 200, (layer, answer.text)
        assert answer.headers["cache-control"] == "private, no-cache"
        assert answer.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        for name in names:
            assert name.encode() not in answer.content
        drawn[layer] = mapbox_vector_tile.decode(answer.content)[layer]["features"]
    parcels = {f["id"]: f["properties"] for f in drawn["parcels"]}
    assert parcel_id in parcels
    allowed = {"commune_code", "map_sheet", "parcel_number", "land_use_code",
               "legal_land_use_code", "legal_area", "measured_area", "address"}  # fmt: skip
    assert all(set(p) <= allowed for p in parcels.values())
    assert {"commune_code", "map_sheet", "parcel_number"} <= set(parcels[parcel_id])
    assert all(
        set(f["properties"]) == {"rule", "severity", "status", "commune_code", "message_vi",
                                 "message_en"} and f["properties"]["status"] == "open"
        for f in drawn["findings"]
    )  # fmt: skip
    communes = {f["id"]: f["properties"] for f in drawn["communes"]}
    assert communes[27694] == {"code": "27694", "name": "Phường Long An"}
    # below a layer's first zoom, or far from the province: nothing, said as 204
    assert staff.get(f"{MAP}/tiles/parcels/12/{_tile_of(lon, lat, 12)[0]}/0.pbf").status_code == 204
    assert staff.get(f"{MAP}/tiles/communes/7/0/0.pbf").status_code == 204
    assert staff.get(f"{MAP}/tiles/roads/14/1/1.pbf").status_code == 422
    outside = staff.get(f"{MAP}/tiles/parcels/3/9/1.pbf")
    assert outside.status_code == 422 and "phải nhỏ hơn 8" in outside.json()["detail"]


def test_the_public_tiles_and_ogc_api_do_not_publish_the_communes_layer(app, staff):
    with _client(app) as anyone:
        assert anyone.get("/tiles/communes/8/200/120.pbf").status_code == 404
        assert anyone.get("/ogc/collections/communes").status_code == 404
        listed = anyone.get("/ogc/collections").json()
    assert "communes" not in {c["id"] for c in listed["collections"]}


def _state(client: TestClient) -> dict:
    answer = client.get(f"{MAP}/trang-thai")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    return answer.json()


def test_the_state_counts_the_open_findings_as_the_database_does(app, officer):
    with UnitOfWork(app.state.test_database) as uow:
        severities = list(
            uow.session.scalars(select(FindingRow.severity).where(FindingRow.status == "open"))
        )
    state = _state(officer)
    assert set(state) == {"revision", "open", "open_errors", "open_warnings"}
    assert state["open"] == len(severities) > 0
    assert state["open_errors"] == severities.count("error") > 0
    assert state["open_warnings"] == severities.count("warning") > 0
    assert _state(officer)["revision"] == state["revision"]  # nothing changed: the same number
    assert 0 <= state["revision"] < 2**53  # JavaScript holds it exactly


def test_the_preview_is_what_the_fix_stores_and_the_fix_changes_the_counts(app, staff):
    before = _state(staff)
    overlap = _first(staff, "GEOM_OVERLAP")
    assert overlap["fix"] == {
        "label_vi": "Khớp ranh giới với thửa liền kề",
        "label_en": "Snap the boundary to the neighbouring parcel",
    }
    assert overlap["geometry"]["type"] in ("Polygon", "MultiPolygon")
    preview = staff.get(f"{MAP}/phat-hien/{overlap['id']}/xem-truoc")
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert [f["id"] for f in shown["before"]["features"]] == overlap["parcel_ids"]
    changed = [f for f in shown["after"]["features"] if f["properties"]["change"] == "changed"]
    assert len(changed) == 1
    [target] = changed
    old = next(f for f in shown["before"]["features"] if f["id"] == target["id"])
    area_before, area_after = (shapely.geometry.shape(f["geometry"]) for f in (old, target))
    piece = shapely.geometry.shape(overlap["geometry"])
    assert area_after.intersection(piece).area < 1e-3 * piece.area  # the overlap cut away
    assert area_before.difference(area_after).area == pytest.approx(piece.area, rel=0.05)
    assert _state(staff) == before  # a preview stores nothing

    fixed = staff.post(f"{MAP}/phat-hien/{overlap['id']}/sua",
                       json={"expected_version": overlap["version"]})  # fmt: skip
    assert fixed.status_code == 200, fixed.text
    answer = fixed.json()
    assert answer["finding"]["status"] == "fixed"
    assert answer["finding"]["version"] == overlap["version"] + 1
    after = _state(staff)
    assert answer["revision"] == after["revision"] != before["revision"]
    assert after["open"] == before["open"] - 1
    assert after["open_errors"] == before["open_errors"] - 1
    stored = staff.get(f"{MAP}/thua/{target['id']}.geojson").json()
    assert stored["properties"]["version"] == 2
    assert shapely.geometry.shape(stored["geometry"]).equals_exact(
        shapely.geometry.shape(target["geometry"]), 1e-7
    )
    again = staff.post(f"{MAP}/phat-hien/{overlap['id']}/sua",
                       json={"expected_version": overlap["version"]})  # fmt: skip
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert "người khác vừa xử lý" in again.json()["detail"]
    closed = staff.get(f"{MAP}/phat-hien/{overlap['id']}/xem-truoc")
    assert closed.status_code == 409


def test_a_finding_without_automatic_fix_has_no_preview(staff):
    area = _first(staff, "ATTR_AREA_MISMATCH")
    assert area["fix"] is None
    answer = staff.get(f"{MAP}/phat-hien/{area['id']}/xem-truoc")
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert "không có cách sửa tự động" in answer.json()["detail"]


def _bow_tie(bbox: list[float]) -> dict:
    west, south, east, north = bbox
    ring = [[west, south], [east, north], [east, south], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_hand_edit_with_a_bow_tie_is_refused_in_vietnamese_and_nothing_is_stored(app, staff):
    finding = _first(staff, "ATTR_AREA_MISMATCH")
    [parcel_id] = finding["parcel_ids"]
    feature = staff.get(f"{MAP}/thua/{parcel_id}.geojson").json()
    before = _state(staff)
    refused = staff.post(
        f"{MAP}/phat-hien/{finding['id']}/chinh-tay",
        json={"parcel_id": parcel_id, "geometry": _bow_tie(feature["bbox"]),
              "note": "vẽ lại theo đo đạc 2024", "expected_version": finding["version"]},
    )  # fmt: skip
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert "tự cắt" in refused.json()["detail"]
    english = staff.post(
        f"{MAP}/phat-hien/{finding['id']}/chinh-tay", headers={"Accept-Language": "en"},
        json={"parcel_id": parcel_id, "geometry": _bow_tie(feature["bbox"]),
              "note": "redrawn after the 2024 survey", "expected_version": finding["version"]},
    )  # fmt: skip
    assert "Self-intersection" in english.json()["detail"]
    assert _state(staff) == before
    assert staff.get(f"{MAP}/thua/{parcel_id}.geojson").json()["properties"]["version"] == 1
    assert staff.get(f"{MAP}/phat-hien/{finding['id']}").json()["status"] == "open"

    short = staff.post(
        f"{MAP}/phat-hien/{finding['id']}/chinh-tay",
        json={"parcel_id": parcel_id, "geometry": feature["geometry"], "note": "ok",
              "expected_version": finding["version"]},
    )  # fmt: skip
    assert short.status_code == 422 and "từ 5 ký tự" in short.json()["detail"]
    shrunk = shapely.affinity.scale(shapely.geometry.shape(feature["geometry"]), 0.98, 0.98)
    edited = staff.post(
        f"{MAP}/phat-hien/{finding['id']}/chinh-tay",
        json={"parcel_id": parcel_id, "geometry": shapely.geometry.mapping(shrunk),
              "note": "vẽ lại theo đo đạc 2024", "expected_version": finding["version"]},
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert edited.json()["finding"]["status"] == "fixed"
    assert edited.json()["revision"] != before["revision"]
    fragment = staff.get(f"{MAP}/thua/{parcel_id}").text
    assert f"Sửa tay theo phát hiện {finding['id']}" in fragment
    assert "vẽ lại theo đo đạc 2024" in fragment
    assert "Phiên bản 2" in fragment


def test_dismissal_needs_a_reason_and_changes_the_revision(staff):
    finding = _first(staff, "SRC_LAND_USE_MISMATCH")
    before = _state(staff)
    short = staff.post(f"{MAP}/phat-hien/{finding['id']}/bo-qua",
                       json={"reason": "no", "expected_version": finding["version"]})  # fmt: skip
    assert short.status_code == 422 and "lý do bỏ qua" in short.json()["detail"]
    stale = staff.post(
        f"{MAP}/phat-hien/{finding['id']}/bo-qua",
        json={"reason": "đất công, không có trong sổ", "expected_version": 99},
    )
    assert stale.status_code == 409
    done = staff.post(
        f"{MAP}/phat-hien/{finding['id']}/bo-qua",
        json={"reason": "đất công, không có trong sổ", "expected_version": finding["version"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["finding"]["status"] == "dismissed"
    after = _state(staff)
    assert after["revision"] == done.json()["revision"] != before["revision"]
    assert after["open_warnings"] == before["open_warnings"] - 1
    listed = staff.get(f"{MAP}/phat-hien", params={"status": "dismissed"}).json()
    assert [item["id"] for item in listed["items"]] == [finding["id"]]


def test_the_queue_filters_and_each_item_says_where_to_zoom(officer):
    everything = officer.get(f"{MAP}/phat-hien", params={"limit": 500}).json()
    assert everything["total"] == _state(officer)["open"] > 5
    item = everything["items"][0]
    assert set(item) == {
        "id", "rule", "rule_vi", "rule_en", "severity", "status", "commune_code", "message_vi",
        "message_en", "version", "parcel_ids", "fix", "geometry", "bbox",
    }  # fmt: skip
    errors = officer.get(f"{MAP}/phat-hien", params={"severity": "error"}).json()
    assert errors["total"] == _state(officer)["open_errors"]
    assert all(i["severity"] == "error" for i in errors["items"])
    for each in everything["items"]:
        if each["geometry"] is not None:  # the map zooms to where the problem is
            west, south, east, north = each["bbox"]
            shape = shapely.geometry.shape(each["geometry"])
            assert shape.bounds == pytest.approx((west, south, east, north), abs=1e-4)
        elif not each["parcel_ids"]:  # a register row with no parcel: nowhere to zoom
            assert each["bbox"] is None
    page = officer.get(f"{MAP}/phat-hien", params={"limit": 2, "offset": 2}).json()
    assert [i["id"] for i in page["items"]] == [i["id"] for i in everything["items"][2:4]]
    assert officer.get(f"{MAP}/phat-hien", params={"commune": "25459"}).json()["total"] == 0
    assert officer.get(f"{MAP}/phat-hien", params={"status": "later"}).status_code == 422
    assert officer.get(f"{MAP}/phat-hien/999999").status_code == 404
    choices = officer.get(f"{MAP}/loc").json()
    assert {"code": "GEOM_OVERLAP", "vi": "Chồng lấn", "en": "Overlap"} in choices["rules"]
    assert {"code": "27694", "name": "Phường Long An"} in choices["communes"]
    assert [s["code"] for s in choices["severities"]] == ["error", "warning"]


def test_a_finding_of_a_value_zooms_to_its_parcel(app, officer):
    with UnitOfWork(app.state.test_database, writes=True) as uow:
        parcel = uow.parcels.get(uow.session.scalar(select(ParcelRow.id).limit(1)))
        uow.findings.add_many([Finding(
            rule="ATTR_UNKNOWN_LAND_USE", severity="warning", fingerprint="map-test-value",
            subjects=[{"table": "parcel", "id": parcel.id, "key": parcel.reference}],
            message_vi="Mã loại đất lạ", message_en="Unknown land use", commune_code="27694",
            created_at=datetime(2025, 7, 1),
        )])  # fmt: skip
        uow.commit()
        finding_id = uow.session.scalar(
            select(FindingRow.id).where(FindingRow.fingerprint == "map-test-value")
        )
    item = officer.get(f"{MAP}/phat-hien/{finding_id}").json()
    assert item["geometry"] is None and item["parcel_ids"] == [parcel.id]
    assert item["rule_vi"] == "Mã loại đất không hợp lệ"
    boundary = officer.get(f"{MAP}/thua/{parcel.id}.geojson").json()
    assert item["bbox"] == pytest.approx(boundary["bbox"], abs=1e-4)


def test_a_finding_at_one_point_is_listed_and_zoomed_to(app, officer):
    """A boundary crossing itself is reported at the crossing: a point, whose box has no size."""
    with UnitOfWork(app.state.test_database, writes=True) as uow:
        parcel = uow.parcels.get(uow.session.scalar(select(ParcelRow.id).limit(1)))
        crossing = parcel.geometry.representative_point()
        uow.findings.add_many([Finding(
            rule="GEOM_INVALID", severity="error", fingerprint="map-test-point",
            subjects=[{"table": "parcel", "id": parcel.id, "key": parcel.reference}],
            message_vi="Ranh giới tự cắt", message_en="Self-intersection",
            commune_code="27694", location=crossing, created_at=datetime(2025, 7, 1),
        )])  # fmt: skip
        uow.commit()
    listed = officer.get(f"{MAP}/phat-hien", params={"rule": "GEOM_INVALID"})
    assert listed.status_code == 200, listed.text
    point = next(i for i in listed.json()["items"] if (i["geometry"] or {}).get("type") == "Point")
    west, south, east, north = point["bbox"]
    assert (west, south) == pytest.approx(tuple(point["geometry"]["coordinates"]), abs=1e-6)
    assert east - west < 1e-6 and north - south < 1e-6


def test_the_export_holds_the_filtered_findings(staff):
    wanted = []
    for offset in range(0, 5000, 500):
        page = staff.get(
            f"{MAP}/phat-hien", params={"severity": "warning", "limit": 500, "offset": offset}
        ).json()
        wanted += [item["id"] for item in page["items"]]
        if len(wanted) >= page["total"]:
            break
    assert len(wanted) == page["total"] > 500
    answer = staff.get(f"{MAP}/xuat.gpkg", params={"severity": "warning"})
    assert answer.status_code == 200
    assert re.fullmatch(r'attachment; filename="phat-hien-\d{8}-\d{4}\.gpkg"',
                        answer.headers["content-disposition"])  # fmt: skip
    layers = gpd.list_layers(io.BytesIO(answer.content))
    frames = [gpd.read_file(io.BytesIO(answer.content), layer=name) for name in layers["name"]]
    ids = sorted(int(i) for frame in frames for i in frame["id"])
    assert ids == sorted(wanted)
    assert all(set(frame["severity"]) == {"warning"} for frame in frames if len(frame))
    overlap = staff.get(f"{MAP}/xuat.csv", params={"rule": "GEOM_OVERLAP"})
    assert overlap.headers["content-disposition"].endswith('.csv"')
    lines = overlap.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].startswith("id,rule,severity")
    assert "GEOM_OVERLAP" in lines[1] and "POLYGON" in lines[1]


def test_the_fragment_shows_the_record_its_history_and_the_version_of_a_day(app, staff):
    overlap = _first(staff, "GEOM_OVERLAP")
    parcel_id = overlap["parcel_ids"][0]
    with UnitOfWork(app.state.test_database) as uow:
        holders = list(
            uow.session.scalars(
                select(RegisterEntryRow.holder_name)
                .join(ParcelRegisterLinkRow,
                      ParcelRegisterLinkRow.register_entry_id == RegisterEntryRow.id)
                .where(ParcelRegisterLinkRow.parcel_id == parcel_id)
            )
        )  # fmt: skip
    answer = staff.get(f"{MAP}/thua/{parcel_id}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "<html" not in html and 'data-parcel-id="' + str(parcel_id) + '"' in html
    assert holders and all(name in html for name in holders)  # the record, as on the dossier page
    assert "27694_phuong_long_an.gpkg" in html and "so_dia_chinh_long_an_cu.xlsx" in html
    assert f'data-finding-id="{overlap["id"]}"' in html
    assert "Nhận từ tệp 27694_phuong_long_an.gpkg" in html  # version 1, where it came from
    dates = json.loads(re.search(r'data-history-dates="([^"]+)"', html).group(1).replace(
        "&#34;", '"'))  # fmt: skip
    assert dates == [date.fromisoformat(d).isoformat() for d in dates] and len(dates) == 1

    with UnitOfWork(app.state.test_database) as uow:
        change_parcel(uow, parcel_id, {"address": "Số 9 đường Mới, Phường Long An"},
                      actor="do_dac")  # fmt: skip
    today = staff.get(f"{MAP}/thua/{parcel_id}", params={"at": dates[-1]}).text
    assert 'data-shown-version="2"' in today and "Số 9 đường Mới" in today
    assert "Sửa thông tin thửa" in today and "Phiên bản" in today
    later = (date.fromisoformat(dates[-1]) + timedelta(days=3)).isoformat()
    assert 'data-shown-version="2"' in staff.get(f"{MAP}/thua/{parcel_id}?at={later}").text
    before = staff.get(f"{MAP}/thua/{parcel_id}", params={"at": "2001-01-01"})
    assert before.status_code == 404 and "chưa có trong sổ địa chính" in before.json()["detail"]
    assert staff.get(f"{MAP}/thua/{parcel_id}", params={"at": "01/01/2001"}).status_code == 422
    assert staff.get(f"{MAP}/thua/99999999").status_code == 404
    english = staff.get(f"{MAP}/thua/{parcel_id}", params={"lang": "en"}).text
    assert "Source records" in english and "Open data findings" in english


def test_the_boundary_of_a_day_is_a_wgs84_feature(staff):
    overlap = _first(staff, "GEOM_OVERLAP")
    parcel_id = overlap["parcel_ids"][0]
    feature = staff.get(f"{MAP}/thua/{parcel_id}.geojson").json()
    assert feature["type"] == "Feature" and feature["id"] == parcel_id
    assert set(feature["properties"]) == {"id", "version", "key_vi", "commune_code",
                                          "map_sheet", "parcel_number"}  # fmt: skip
    assert feature["properties"]["key_vi"].startswith("Thửa ")
    west, south, east, north = feature["bbox"]
    shape = shapely.geometry.shape(feature["geometry"])
    assert shape.bounds == pytest.approx((west, south, east, north), abs=1e-6)
    assert 105 < west < 107.5 and 10 < south < 12
    assert staff.get(f"{MAP}/thua/{parcel_id}.geojson?at=2001-01-01").status_code == 404


def test_search_finds_a_parcel_by_key_old_numbers_serial_and_address(app, staff):
    database = app.state.test_database
    with UnitOfWork(database) as uow:
        parcel = uow.session.execute(
            select(
                ParcelRow.id, ParcelRow.map_sheet, ParcelRow.parcel_number, ParcelRow.address
            ).where(ParcelRow.address.like("Số 4 đường Hoàng Lê Kha%"))
        ).one()
        serial = uow.session.scalar(
            select(RegisterEntryRow.certificate_serial)
            .join(ParcelRegisterLinkRow,
                  ParcelRegisterLinkRow.register_entry_id == RegisterEntryRow.id)
            .where(ParcelRegisterLinkRow.parcel_id == parcel.id)
        )  # fmt: skip
    parcel_id, sheet, number = parcel.id, parcel.map_sheet, parcel.parcel_number

    def found(q: str) -> list[dict]:
        answer = staff.get(f"{MAP}/tim", params={"q": q})
        assert answer.status_code == 200
        return answer.json()["items"]

    for text in (f"27694:{sheet}:{number}", f"27694-{sheet}-{number}",
                 f"tờ {sheet} thửa {number}", f"To {sheet} Thua {number}",
                 f"{sheet}/{number}", f"Phường 27694 tờ số {sheet} thửa số {number}"):  # fmt: skip
        items = found(text)
        assert items and items[0]["parcel_id"] == parcel_id, text
        assert items[0]["kind"] == "parcel"
    hit = found(f"27694:{sheet}:{number}")[0]
    assert hit["label_vi"].startswith(f"Thửa {number}, tờ {sheet}")
    west, south, east, north = hit["bbox"]
    assert 105 < west < east < 107.5 and 10 < south < north < 12
    assert serial
    by_serial = found(serial)
    assert by_serial[0]["kind"] == "serial" and by_serial[0]["parcel_id"] == parcel_id
    by_address = found("so 4 duong hoang le kha")
    assert by_address[0]["kind"] == "address" and by_address[0]["parcel_id"] == parcel_id
    assert found("") == [] and found("không có địa chỉ nào như thế") == []
    assert len(found("hoang le kha")) == 10

    with UnitOfWork(database) as uow:  # renumbered after a re-survey, the old numbers kept
        change_parcel(uow, parcel_id, {"parcel_number": 901, "old_map_sheet": 44,
                                       "old_parcel_number": 55}, actor="do_dac")  # fmt: skip
    assert found(f"27694:{sheet}:901")[0]["parcel_id"] == parcel_id
    old = found("tờ 44 thửa 55")[0]
    assert old["parcel_id"] == parcel_id and "số tờ, số thửa cũ" in old["label_vi"]
    earlier = found(f"27694-{sheet}-{number}")
    assert parcel_id in [item["parcel_id"] for item in earlier]
