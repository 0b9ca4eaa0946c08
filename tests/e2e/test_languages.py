"""Vietnamese first through the real application on PostGIS: problems follow Accept-Language,
a finding's Vietnamese message says GEOS's reason in Vietnamese, and a procedure is accepted
by its Vietnamese name; the geometry engine's refusals, the API's own limits and parameters, a
failed ingest job and the command line's one-line error say Vietnamese first too."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

import shapely

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.register import ParcelInput, change_parcel, register_parcels
from landreg.settings import ApiSettings, Settings
from landreg.store.unit_of_work import UnitOfWork

PASSWORD = "mat khau du dai 2025"
# A parcel of Phường Tân Ninh (25459) in VN-2000 / Tây Ninh (EPSG:9209), drawn as a plain box.
SHEET = shapely.box(565_400, 1_249_500, 565_460, 1_249_560)
# The same place drawn as a bow tie: its two diagonals cross at (565430, 1249530).
BOW_TIE = shapely.Polygon(
    [(565_400, 1_249_500), (565_460, 1_249_560), (565_460, 1_249_500), (565_400, 1_249_560)]
)
GEOS_WORDS = re.compile(r"Self|intersection|Ring|Hole|shell|Nested|Invalid|Coordinate")


@pytest.fixture
def client(postgis, tmp_path):
    with UnitOfWork(postgis) as uow:
        [parcel_id] = register_parcels(
            uow, [ParcelInput("25459", 31, 7, SHEET, 9209, 3600.0, "ONT", "Ấp 3")], actor="test"
        )
    for name, role in (("thu", Role.REGISTRY_OFFICER), ("khoa", Role.CADASTRAL_STAFF)):
        with UnitOfWork(postgis) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    settings = Settings(api=ApiSettings(ingest_dir=tmp_path / "uploads", max_upload_mb=1))
    with TestClient(create_app(settings, database=postgis), raise_server_exceptions=False) as c:
        c.parcel_id, c.database = parcel_id, postgis
        yield c


def _signed_in(client, name, language=None):
    answer = client.post("/auth/token", data={"username": name, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return headers | ({"Accept-Language": language} if language else {})


def _problem(response, status, language):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == language
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_the_same_not_found_in_vietnamese_and_in_english(client):
    path = "/public/dossiers/h55.703-250304-0042"
    vi = _problem(client.get(path, params={"verify": "4821"}), 404, "vi")
    english = {"Accept-Language": "en-US,en;q=0.9"}
    en = _problem(client.get(path, params={"verify": "4821"}, headers=english), 404, "en")
    assert vi["title"] == "Không tìm thấy" and en["title"] == "Not found"
    assert vi["detail"].startswith("không có hồ sơ nào có mã và số kiểm tra này")
    assert en["detail"].startswith("no dossier has this code and verification")
    assert vi["type"] == en["type"] and vi["instance"] == en["instance"]
    # Vietnamese preferred over English by q-value; an unknown language falls back to it
    for header in ("en;q=0.4, vi;q=0.9", "de-CH, fr;q=0.8"):
        again = client.get(path, params={"verify": "4821"}, headers={"Accept-Language": header})
        assert _problem(again, 404, "vi") == vi


def test_a_malformed_verification_and_a_wrong_sign_in_in_both_languages(client):
    path = "/public/dossiers/H55.703-250304-0042"
    vi = _problem(client.get(path, params={"verify": "12a4"}), 422, "vi")
    en = _problem(client.get(path, params={"verify": "12a4"}, headers={"Accept-Language": "en"}),
                  422, "en")  # fmt: skip
    assert "số kiểm tra phải là 4 chữ số cuối" in vi["detail"] and "12a4" not in str(vi)
    assert vi["errors"][0]["detail"] == vi["detail"] and vi["errors"][0]["field"] == "verify"
    assert en["detail"].startswith("verify must be the last 4 digits")
    wrong = {"username": "thu", "password": "sai mat khau"}
    refused = _problem(client.post("/auth/token", data=wrong), 401, "vi")
    assert refused["title"] == "Chưa đăng nhập"
    assert refused["detail"] == "sai tên đăng nhập hoặc mật khẩu"
    refused_en = client.post("/auth/token", data=wrong, headers={"Accept-Language": "en"})
    assert _problem(refused_en, 401, "en")["detail"] == "wrong username or password"
    assert refused_en.headers["www-authenticate"] == "Bearer"


def test_fastapi_field_errors_name_the_field_in_vietnamese(client):
    officer = _signed_in(client, "thu")
    answer = client.get("/findings", params={"limit": 501, "offset": -1}, headers=officer)
    body = _problem(answer, 422, "vi")
    assert body["title"] == "Yêu cầu có dữ liệu không hợp lệ"
    assert "trường `limit`: phải ≤ 500" in body["detail"]
    assert "trường `offset`: phải ≥ 0" in body["detail"]
    assert {e["field"]: e["detail"] for e in body["errors"]} == {
        "limit": "phải ≤ 500", "offset": "phải ≥ 0"
    }  # fmt: skip
    english = client.get(
        "/findings", params={"limit": 501}, headers=_signed_in(client, "thu", "en")
    )
    said = _problem(english, 422, "en")["detail"]
    assert "limit: Input should be less than or equal to 500" in said


def test_a_role_refusal_names_the_role_in_vietnamese(client):
    officer = _signed_in(client, "khoa")  # cadastral staff do not receive dossiers
    answer = client.post("/dossiers/check", json={"procedure": "transfer"}, headers=officer)
    body = _problem(answer, 403, "vi")
    assert body["title"] == "Không có quyền"
    assert body["detail"] == "việc này cần vai trò cán bộ tiếp nhận, xử lý hồ sơ"


def _bow_tie_finding(client):
    """The parcel redrawn as a bow-tie, stored as drawn: a signed-in staff member's headers and
    the GEOM_INVALID finding it opened."""
    with UnitOfWork(client.database) as uow:
        change_parcel(
            uow, client.parcel_id,
            {"geometry": BOW_TIE, "srid": 9209, "store_as_drawn": True}, actor="khoa",
        )  # fmt: skip
    staff = _signed_in(client, "khoa")
    [finding] = client.get("/findings", params={"rule": "GEOM_INVALID"}, headers=staff).json()[
        "items"
    ]
    return staff, finding


def test_an_invalid_boundary_finding_says_geos_reason_in_vietnamese(client):
    _, finding = _bow_tie_finding(client)
    vi, en = finding["message_vi"], finding["message_en"]
    assert vi == "Hình thửa 25459-31-7 không hợp lệ: ranh giới tự cắt tại (565430, 1249530)."
    assert not GEOS_WORDS.search(vi)
    assert "Self-intersection[565430 1249530]" in en
    suggestion = finding["suggestion"]
    assert suggestion["fix"] == "make_valid"
    assert suggestion["label_vi"] == "Sửa ranh giới thửa cho hợp lệ"
    assert suggestion["label_en"] == "Make the boundary valid"


def _application(procedure, **more):
    return {
        "procedure": procedure,
        "received_at": "2025-03-04T08:15:00+07:00",
        "applicant_name": "Lê Thị Hồng",
        "commune": "25459",
        "map_sheet": "31",
        "parcel_number": "7",
        "documents": ["application_form_18"],
    } | more


def test_a_procedure_is_accepted_by_its_vietnamese_name(client):
    officer = _signed_in(client, "thu")
    checked = client.post(
        "/dossiers/check", json=_application("chuyen nhuong quyen su dung dat"), headers=officer
    )
    assert checked.status_code == 200, checked.text
    [missing] = [i for i in checked.json()["items"] if i["code"] == "DOCUMENTS_MISSING"]
    assert missing["message_vi"] == (
        "Thiếu giấy tờ bắt buộc: Hợp đồng đã công chứng, chứng thực, "
        "Bản gốc Giấy chứng nhận đã cấp."
    )
    assert missing["details"]["documents"] == ["notarised_contract", "original_certificate"]
    received = client.post(
        "/dossiers",
        json=_application(
            "Chuyển mục đích sử dụng đất không phải xin phép", office="H55.703",
            documents=["application_form_01", "original_certificate"],
        ),
        headers=officer,
    )  # fmt: skip
    assert received.status_code == 201, received.text
    stored = client.get(f"/dossiers/{received.json()['code']}", headers=officer).json()
    assert stored["procedure"] == "land_use_change"


def test_an_unknown_procedure_lists_the_vietnamese_names(client):
    officer = _signed_in(client, "thu")
    answer = client.post("/dossiers/check", json=_application("bán đất"), headers=officer)
    body = _problem(answer, 422, "vi")
    assert body["title"] == "Mã không có trong danh mục"
    assert body["errors"][0]["field"] == "procedure"
    assert "Chuyển nhượng quyền sử dụng đất" in body["detail"]
    assert "Đăng ký thế chấp quyền sử dụng đất" in body["detail"]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", body["detail"])  # no codes among the names


def test_a_stale_status_change_says_someone_changed_the_dossier(client):
    officer = _signed_in(client, "thu")
    received = client.post(
        "/dossiers",
        json=_application("Thừa kế quyền sử dụng đất", office="H55.703", documents=[
            "application_form_18", "inheritance_document", "original_certificate",
        ]),
        headers=officer,
    ).json()  # fmt: skip
    code, version = received["code"], received["version"]
    moved = client.post(f"/dossiers/{code}/status", headers=officer,
                        json={"to": "Đang xử lý", "expected_version": version})  # fmt: skip
    assert moved.status_code == 200, moved.text
    stale = client.post(f"/dossiers/{code}/status", headers=officer,
                        json={"to": "processed", "expected_version": version})  # fmt: skip
    body = _problem(stale, 409, "vi")
    assert body["title"] == "Xung đột dữ liệu"
    assert body["detail"].startswith(f"hồ sơ {code} vừa được người khác thay đổi")
    assert body["detail"].endswith("hãy tải lại")
    english = client.post(f"/dossiers/{code}/status", headers=_signed_in(client, "thu", "en"),
                          json={"to": "processed", "expected_version": version})  # fmt: skip
    assert "changed meanwhile" in _problem(english, 409, "en")["detail"]
    backwards = client.post(f"/dossiers/{code}/status", headers=officer,
                            json={"to": "new", "expected_version": version + 1})  # fmt: skip
    refused = _problem(backwards, 409, "vi")
    assert refused["title"] == "Không được chuyển trạng thái"
    assert refused["detail"].startswith(
        "hồ sơ đang ở trạng thái «Đang xử lý» không thể chuyển sang «Mới»; chỉ có thể chuyển sang:"
    )
    assert "processing" not in refused["detail"]


def _refused_edit(client, language=None):
    """A GEOM_INVALID finding opened by a bow tie stored as drawn, then an edit of its parcel
    with another bow tie crossing at the same place, refused; the parcel's version before."""
    with UnitOfWork(client.database) as uow:
        change_parcel(
            uow, client.parcel_id,
            {"geometry": BOW_TIE, "srid": 9209, "store_as_drawn": True}, actor="khoa",
        )  # fmt: skip
    staff = _signed_in(client, "khoa", language)
    [finding] = client.get("/findings", params={"rule": "GEOM_INVALID"}, headers=staff).json()[
        "items"
    ]
    version = client.get(f"/parcels/{client.parcel_id}", headers=staff).json()["version"]
    smaller = [[565_410, 1_249_510], [565_450, 1_249_550], [565_450, 1_249_510],
               [565_410, 1_249_550], [565_410, 1_249_510]]  # fmt: skip
    body = {"parcel_id": client.parcel_id, "note": "vẽ lại theo đo đạc 2025", "crs": 9209,
            "geometry": {"type": "Polygon", "coordinates": [smaller]}}  # fmt: skip
    return client.post(f"/findings/{finding['id']}/edit", json=body, headers=staff), version


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_edit_refused_for_a_self_intersection_answers_in_the_readers_language(client, language):
    answer, version = _refused_edit(client, None if language == "vi" else "en-GB,en;q=0.8")
    body = _problem(answer, 422, language)
    [error] = body["errors"]
    assert error["field"] == "geometry" and error["detail"] == body["detail"]
    if language == "vi":
        assert body["title"] == "Giá trị không hợp lệ"
        assert body["detail"].startswith(
            "ranh giới không hợp lệ: ranh giới tự cắt tại (565430.00, 1249530.00) theo EPSG:9209"
        )
        assert not GEOS_WORDS.search(body["detail"])
    else:
        assert body["title"] == "Invalid value"
        assert body["detail"].startswith(
            "geometry is not valid: Self-intersection at (565430.00, 1249530.00) in EPSG:9209"
        )
    staff = _signed_in(client, "khoa")
    assert client.get(f"/parcels/{client.parcel_id}", headers=staff).json()["version"] == version


def test_the_geometry_engine_refuses_a_drawn_boundary_in_vietnamese(client):
    staff, finding = _bow_tie_finding(client)
    ring = [[106.1, 11.3, 4.0], [106.1002, 11.3, 4.0], [106.1002, 11.3002, 4.0], [106.1, 11.3, 4.0]]
    edit = {"parcel_id": client.parcel_id, "note": "có độ cao từ máy đo", "crs": 4326}
    polygon = {"type": "Polygon", "coordinates": [ring]}
    raised = client.post(
        f"/findings/{finding['id']}/edit", headers=staff, json=edit | {"geometry": polygon}
    )
    body = _problem(raised, 422, "vi")
    assert body["detail"].startswith("ranh giới có tọa độ Z (hoặc M): hãy gửi ranh giới 2D")
    line = {"type": "LineString", "coordinates": [[106.1, 11.3], [106.2, 11.4]]}
    drawn = client.post(f"/findings/{finding['id']}/edit", headers=staff,
                        json=edit | {"geometry": line})  # fmt: skip
    assert _problem(drawn, 422, "vi")["detail"] == (
        "ranh giới phải là GeoJSON Polygon hoặc MultiPolygon, nhận được 'LineString'"
    )
    english = client.post(f"/findings/{finding['id']}/edit", json=edit | {"geometry": line},
                          headers=_signed_in(client, "khoa", "en"))  # fmt: skip
    assert _problem(english, 422, "en")["detail"].startswith("geometry must be a GeoJSON")


def test_map_parameters_are_refused_in_vietnamese(client):
    staff = _signed_in(client, "khoa")
    tile = client.get("/tiles/parcels/2/4/1.pbf", headers=staff)
    assert _problem(tile, 422, "vi")["detail"] == "x phải nhỏ hơn 4 ở mức thu phóng 2"
    box = client.get("/parcels/within", params={"bbox": "106.1,11.3,106.2"}, headers=staff)
    assert _problem(box, 422, "vi")["detail"] == "bbox phải gồm bốn số hữu hạn: minx,miny,maxx,maxy"
    wide = client.get("/parcels/within", params={"bbox": "105,10,107,12"}, headers=staff)
    assert _problem(wide, 422, "vi")["detail"].startswith("bbox chỉ được trải rộng tối đa")
    crs = client.get("/parcels/within", headers=staff,
                     params={"bbox": "106.1,11.3,106.11,11.31", "bbox_crs": 2154})  # fmt: skip
    said = _problem(crs, 422, "vi")
    assert said["title"] == "Lỗi hệ tọa độ"
    assert said["detail"].startswith("bbox_crs phải là một trong các mã EPSG 4326, 4756")
    feature = client.get("/ogc/collections/parcels/items/999999", headers=staff)
    assert _problem(feature, 404, "vi")["detail"] == "không có đối tượng 999999 trong parcels"
    english = client.get("/tiles/parcels/2/4/1.pbf", headers=_signed_in(client, "khoa", "en"))
    assert _problem(english, 422, "en")["detail"] == "x must be below 4 at zoom 2"


def test_an_upload_over_the_limit_and_a_failed_job_in_both_languages(client):
    staff = _signed_in(client, "khoa")
    big = client.post(
        "/ingest", headers=staff, files={"file": ("so_dia_chinh.xlsx", bytes(3 << 20))}
    )
    body = _problem(big, 422, "vi")
    assert body["detail"] == "tệp tải lên lớn hơn 1 MB"
    assert body["errors"][0]["field"] == "file"
    accepted = client.post(
        "/ingest", headers=staff, files={"file": ("ban_do.gpkg", b"SQLite format 2\0" * 64)}
    )
    assert accepted.status_code == 202, accepted.text
    job = client.get(accepted.json()["href"], headers=staff).json()
    assert job["status"] == "failed"
    error = job["error"]
    assert (error["title"], error["title_en"]) == ("Giá trị không hợp lệ", "Invalid value")
    assert error["detail"].startswith("ban_do.gpkg không phải tệp bản đồ đọc được / ")
    assert "ban_do.gpkg is not a readable map file" in error["detail_en"]
    assert str(client.app.state.settings.api.ingest_dir) not in str(error)
    missing = client.get("/ingest/0123456789abcdef", headers=staff)
    assert _problem(missing, 404, "vi")["detail"] == "không có lượt nạp dữ liệu 0123456789abcdef"


def test_the_command_line_says_vietnamese_then_english_on_one_line(tmp_path):
    env = {**os.environ, "LANDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'so.sqlite'}",
           "COLUMNS": "50"}  # fmt: skip
    upgraded = subprocess.run([sys.executable, "-m", "cli", "db", "upgrade"], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert upgraded.returncode == 0, upgraded.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "cli", "users", "key", "may-do-dac", "--role", "truong_phong"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()  # one line on a console 50 columns wide
    assert line.startswith("lỗi / error [role='truong_phong']: vai trò phải là một trong ")
    vi, en = line.split(": ", 1)[1].split(" / ")
    assert vi.endswith("cadastral_staff, leader hoặc administrator")
    assert en == (
        "role must be one of citizen, registry_officer, cadastral_staff, leader or administrator"
    )
    assert "Traceback" not in refused.stderr
