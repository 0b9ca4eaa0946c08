"""The officers' workbench through HTTP on PostGIS: only a signed-in registry officer (or an
administrator) gets its pages, other roles get a Vietnamese refusal page, and a form that does
not carry the session's token changes nothing."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.intake import Application
from landreg.services.accounts import create_user
from landreg.services.dossier_stats import dossier_stats
from landreg.settings import Settings
from landreg.store.tables import DossierEventRow, DossierRow
from landreg.store.unit_of_work import UnitOfWork

PASSWORDS = {
    "thu_ky_a": ("Mat-khau-thu-ky-a", Role.REGISTRY_OFFICER),
    "thu_ky_b": ("Mat-khau-thu-ky-b", Role.REGISTRY_OFFICER),
    "giam_doc": ("Mat-khau-giam-doc", Role.ADMINISTRATOR),
    "do_dac": ("Mat-khau-do-dac-1", Role.CADASTRAL_STAFF),
    "nguoi_dan": ("Mat-khau-nguoi-dan", Role.CITIZEN),
}
# A dossier of an office and commune the sample does not have, received and waiting.
CODE = "T99.001-250303-0007"


@pytest.fixture
def app(postgis):
    for name, (password, role) in PASSWORDS.items():
        with UnitOfWork(postgis) as uow:
            create_user(uow, name, password, role, actor="test")
    with UnitOfWork(postgis, writes=True) as uow:
        application = Application(
            procedure="inheritance", received_at=datetime(2025, 3, 3, 8, 5),
            applicant_name="Đặng Thị Bích", applicant_identity="079184000123",
            commune="Xã Thử Nghiệm", map_sheet="7", parcel_number="88",
        )  # fmt: skip
        uow.dossiers.add(
            application, code=CODE, office="T99.001", phone="0909000111", status="received",
            due_on=None,
        )  # fmt: skip
        uow.commit()
    return create_app(Settings(), database=postgis)


def _client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def _sign_in(client: TestClient, name: str, *, next_path: str = "/app") -> TestClient:
    form = client.get("/app/dang-nhap")
    password = PASSWORDS[name][0]
    answer = client.post(
        "/app/dang-nhap",
        data={"username": name, "password": password, "csrf": _token(form.text),
              "tiep": next_path},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def _status(postgis, code: str = CODE) -> tuple[str, int]:
    with UnitOfWork(postgis) as uow:
        dossier = uow.dossiers.get(code)
        return dossier.status, dossier.version


@pytest.mark.parametrize(
    "path",
    ["/app", f"/app/ho-so/{CODE}", "/app/ho-so/moi", f"/app/ho-so/{CODE}/bien-nhan",
     "/app?q=%C4%90%E1%BA%B7ng&trang=2"],
)  # fmt: skip
def test_every_page_sends_a_stranger_to_the_sign_in_form_and_back(app, path):
    with _client(app) as client:
        answer = client.get(path)
        assert answer.status_code == 303
        target = answer.headers["location"]
        assert target.startswith("/app/dang-nhap?tiep=")
        form = client.get(target)
        assert form.status_code == 200
        assert 'for="username"' in form.text and 'for="password"' in form.text
        assert f'name="tiep" value="{path}"' in form.text.replace("&amp;", "&")
        signed = _sign_in(client, "thu_ky_a", next_path=path)
        page = signed.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")


def test_a_stranger_cannot_change_a_dossier(app, postgis):
    with _client(app) as client:
        answer = client.post(
            f"/app/ho-so/{CODE}/trang-thai", data={"to": "processing", "version": "1"}
        )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/app/dang-nhap")
    assert _status(postgis) == ("received", 1)


def test_signing_in_sets_a_strict_http_only_cookie_and_signing_out_forgets_it(app):
    with _client(app) as client:
        form = client.get("/app/dang-nhap")
        wrong = client.post(
            "/app/dang-nhap",
            data={"username": "thu_ky_a", "password": "not-the-password",
                  "csrf": _token(form.text)},
        )  # fmt: skip
        assert wrong.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
        assert "landreg_session" not in client.cookies
        answer = client.post(
            "/app/dang-nhap",
            data={"username": "thu_ky_a", "password": PASSWORDS["thu_ky_a"][0],
                  "csrf": _token(wrong.text), "tiep": "//evil.example/app"},
        )  # fmt: skip
        assert answer.status_code == 303
        assert answer.headers["location"] == "/app"  # never another site
        cookie = next(
            value for name, value in answer.headers.multi_items()
            if name == "set-cookie" and value.startswith("landreg_session=")
        )  # fmt: skip
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Path=/app;" in cookie or cookie.endswith("Path=/app")  # the API never sees it
        assert "Secure" not in cookie  # served over plain HTTP here
        listing = client.get("/app")
        assert listing.status_code == 200 and "thu_ky_a" in listing.text
        out = client.post("/app/dang-xuat", data={"csrf": _token(listing.text)})
        assert out.status_code == 303
        assert client.get("/app").status_code == 303


def test_a_tampered_or_foreign_session_cookie_is_not_a_sign_in(app):
    with _client(app) as signed:
        _sign_in(signed, "thu_ky_a")
        token = signed.cookies["landreg_session"]
    header, claims, signature = token.split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"
    for value in (forged, "not-a-token"):
        with _client(app) as client:
            client.cookies.set("landreg_session", value)
            answer = client.get("/app")
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/app/dang-nhap")


@pytest.mark.parametrize("name", ["do_dac", "nguoi_dan"])
def test_other_roles_get_a_vietnamese_refusal_page_not_json(app, name, postgis):
    with _client(app) as client:
        _sign_in(client, name)
        for path in ("/app", f"/app/ho-so/{CODE}", "/app/ho-so/moi"):
            answer = client.get(path)
            assert answer.status_code == 403
            assert answer.headers["content-type"].startswith("text/html")
            assert "Bạn không có quyền mở trang này" in answer.text
            assert name in answer.text
        # Their session carries a form token, yet the change is still refused.
        token = _token(client.get("/app").text)
        answer = client.post(
            f"/app/ho-so/{CODE}/trang-thai", data={"csrf": token, "to": "processing",
                                                    "version": "1"},
        )  # fmt: skip
        assert answer.status_code == 403
    assert _status(postgis) == ("received", 1)


def test_an_administrator_may_use_the_workbench(app):
    with _client(app) as client:
        _sign_in(client, "giam_doc")
        page = client.get(f"/app/ho-so/{CODE}")
        assert page.status_code == 200
        assert CODE in page.text and "Thừa kế quyền sử dụng đất" in page.text


def test_a_form_without_this_sessions_token_changes_nothing(app, postgis):
    with _client(app) as other:
        other_token = _token(_sign_in(other, "thu_ky_b").get("/app").text)
    with _client(app) as client:
        own_token = _token(_sign_in(client, "thu_ky_a").get(f"/app/ho-so/{CODE}").text)
        move = {"to": "processing", "version": "1"}
        for token in (None, "", "0" * 64, other_token):
            data = move if token is None else {**move, "csrf": token}
            answer = client.post(f"/app/ho-so/{CODE}/trang-thai", data=data)
            assert answer.status_code == 403, token
            assert "Yêu cầu bị từ chối" in answer.text
            assert _status(postgis) == ("received", 1)
        forged_receipt = client.post(
            "/app/ho-so/moi",
            data={"csrf": other_token, "procedure": "inheritance", "office": "H55.703",
                  "received_at": "2025-03-04T09:00", "action": "tiep_nhan",
                  "confirm_not_received": "1"},
        )  # fmt: skip
        assert forged_receipt.status_code == 403
        with UnitOfWork(postgis) as uow:
            assert uow.dossiers.count_codes_starting("H55.703-250304-") == 0
        # The same change with the session's own token goes through.
        answer = client.post(f"/app/ho-so/{CODE}/trang-thai", data={**move, "csrf": own_token})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/app/ho-so/{CODE}?da=trang_thai"
    assert _status(postgis) == ("processing", 2)


def test_the_sign_in_form_is_refused_from_another_page(app):
    """A sign-in posted by another site's page (no sign-in cookie of this form) signs nobody
    in, so a forged sign-in cannot put the officer in someone else's session."""
    with _client(app) as client:
        answer = client.post(
            "/app/dang-nhap",
            data={"username": "thu_ky_a", "password": PASSWORDS["thu_ky_a"][0], "csrf": "x"},
        )
        assert answer.status_code == 403
        assert "landreg_session" not in client.cookies
        assert "Trang đăng nhập đã hết hạn" in answer.text


def test_choosing_a_procedure_without_javascript_shows_its_checklist(app):
    with _client(app) as client:
        token = _token(_sign_in(client, "thu_ky_a").get("/app/ho-so/moi").text)
        answer = client.post(
            "/app/ho-so/moi",
            data={"csrf": token, "procedure": "inheritance", "action": "chon_thu_tuc"},
        )
    assert answer.status_code == 200
    checklist = answer.text[answer.text.index('id="checklist"') :]
    checklist = checklist[: checklist.index("</fieldset>")]
    boxes = re.findall(r'name="documents" value="([^"]+)"', checklist)
    assert boxes == ["application_form_18", "inheritance_document", "original_certificate"]
    assert "Văn bản thỏa thuận phân chia di sản thừa kế" in checklist


def test_a_receipt_with_wrong_values_is_refused_in_vietnamese_and_not_stored(app, postgis):
    with _client(app) as client:
        token = _token(_sign_in(client, "thu_ky_a").get("/app/ho-so/moi").text)
        answer = client.post(
            "/app/ho-so/moi",
            data={"csrf": token, "procedure": "inheritance", "office": "H55.795",
                  "received_at": "2025-03-05T10:15", "applicant_identity": "0791840",
                  "applicant_phone": "09-09", "action": "tiep_nhan",
                  "confirm_not_received": "1"},
        )  # fmt: skip
    assert answer.status_code == 422
    assert "«Số CCCD/CMND» chưa đúng: cần 9 hoặc 12 chữ số" in answer.text
    assert "«Số điện thoại» chưa đúng" in answer.text
    assert "pattern" not in answer.text and "pydantic" not in answer.text
    assert 'value="0791840"' in answer.text  # what was typed stays in the form
    with UnitOfWork(postgis) as uow:
        assert uow.dossiers.count_codes_starting("H55.795-250305-") == 0


def test_the_workbench_speaks_english_when_asked(app):
    with _client(app) as client:
        _sign_in(client, "thu_ky_a")
        listing = client.get("/app?lang=en")
        assert listing.status_code == 200
        assert "<h1>Dossiers</h1>" in listing.text and 'lang="en"' in listing.text
        page = client.get(f"/app/ho-so/{CODE}")  # the choice is kept
        assert "Intake pre-check" in page.text and "Process the dossier" in page.text
        receive = client.get("/app/ho-so/moi")
        stamp = client.get(f"/app/ho-so/{CODE}/bien-nhan")
    # procedure and status names, documents and offices in English too, none in Vietnamese
    row = re.search(
        rf'(?s)<tr>\s*<td><a href="/app/ho-so/{re.escape(CODE)}">.*?</tr>', listing.text
    )
    assert row, "the dossier is not in the list"
    assert "Inheritance of land-use right" in row.group(0) and "Received" in row.group(0)
    assert "Thừa kế" not in listing.text and "Đã tiếp nhận" not in listing.text
    assert "Tây Ninh city branch" in listing.text and "thành phố Tây Ninh" not in listing.text
    text = page.text
    assert "Inheritance of land-use right" in text and "Thừa kế quyền sử dụng đất" not in text
    assert '<strong id="trang-thai-hien-tai">Received</strong>' in text
    assert ">Processing</option>" in text and "Đang xử lý" not in text
    assert "Change registration form 18" in text and "Mẫu số 18" not in text
    assert (
        "Inheritance of land-use right" in receive.text
        and "Xóa đăng ký thế chấp" not in receive.text
    )
    assert "Land Registration Office — Tây Ninh city branch" in receive.text
    assert "Inheritance of land-use right" in stamp.text and "Received" in stamp.text


# An inheritance at an office the sample has, received and moved on, then left: long overdue.
OVERDUE = "H55.703-250407-0203"


@pytest.fixture
def overdue(postgis):
    received = datetime(2025, 4, 7, 9, 10)
    with UnitOfWork(postgis) as uow:
        dossier = DossierRow(
            code=OVERDUE, procedure="inheritance", status="processing", office="H55.703",
            applicant_name="Lâm Ngọc Hạnh", applicant_identity="072190004567",
            applicant_phone="0388111222", received_at=received, source_name="quay",
            source_key=OVERDUE, version=2,
        )  # fmt: skip
        uow.session.add(dossier)
        uow.session.flush()
        moved = datetime(2025, 4, 7, 10, 0)
        for at, before, after in ((received, None, "received"), (moved, "received", "processing")):
            uow.session.add(
                DossierEventRow(dossier_id=dossier.id, at=at, actor="thu_ky_a",
                                from_status=before, to_status=after)
            )  # fmt: skip
        uow.commit()
    return OVERDUE


def test_the_workbench_prints_the_apology_letter_of_an_overdue_dossier(app, postgis, overdue):
    """Long overdue with no letter: the page drafts the letter the statistics list, to the
    applicant by name, in the office's name."""
    with UnitOfWork(postgis) as uow:
        need = next(n for n in dossier_stats(uow, office="H55.703").apologies if n.code == overdue)
    assert need.letter is not None and not need.recorded
    with _client(app) as client:
        _sign_in(client, "thu_ky_a")
        page = client.get(f"/app/ho-so/{overdue}")
        assert f'href="/app/ho-so/{overdue}/thu-xin-loi"' in page.text
        assert "Hồ sơ trễ hạn chưa có thư xin lỗi." in page.text
        letter = client.get(f"/app/ho-so/{overdue}/thu-xin-loi")
        english = client.get(f"/app/ho-so/{overdue}/thu-xin-loi?lang=en")
    assert letter.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", letter.text).split())
    office_vi = "Chi nhánh Văn phòng Đăng ký đất đai thành phố Tây Ninh"
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Kính gửi: Ông/Bà Lâm Ngọc Hạnh" in text  # officers see the applicant's name
    assert f"Ngày 07/04/2025, {office_vi} tiếp nhận hồ sơ số {overdue}" in text
    assert "về thủ tục Thừa kế quyền sử dụng đất" in text
    assert f"ngày hẹn trả kết quả là ngày {need.due_date:%d/%m/%Y}" in text
    assert f"hẹn lại ngày trả kết quả là ngày {need.new_return_date:%d/%m/%Y}" in text
    assert f"Lý do: {need.letter.reason_vi}" in text
    assert f"Ngày {need.letter.issued_on:%d/%m/%Y}" in text
    assert "data-print" in letter.text
    english_text = " ".join(re.sub(r"<[^>]+>", " ", english.text).split())
    assert "To: Lâm Ngọc Hạnh" in english_text
    assert "Land Registration Office — Tây Ninh city branch" in english_text
    assert "for the procedure Inheritance of land-use right" in english_text
    assert need.letter.reason_en in english_text


def test_a_dossier_on_time_needs_no_letter(app):
    with _client(app) as client:
        _sign_in(client, "thu_ky_a")
        letter = client.get(f"/app/ho-so/{CODE}/thu-xin-loi")
    assert letter.status_code == 200
    assert "không cần gửi thư" in letter.text and "Kính gửi" not in letter.text
