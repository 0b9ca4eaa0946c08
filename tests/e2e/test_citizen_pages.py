"""The citizen's page without JavaScript: plain GET requests to ``/tra-cuu`` on PostGIS answer
with the status in plain Vietnamese words, the missing documents by name and the office to
bring them to; a wrong verification reads exactly as an unknown code; the API's limit counts
the page's look-ups; English on request; nothing about any person on the page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.reference import office
from landreg.settings import ApiSettings, Settings
from landreg.store.tables import DossierDocumentRow, DossierEventRow, DossierRow
from landreg.store.unit_of_work import UnitOfWork

# Receipt codes of another office and sequence width than the sample's.
WAITING = "H55.794-251103-000017"  # subdivision, documents asked for, not yet brought
LATE = "H55.802-250106-000004"  # mortgage release, open, long past its due date, apology sent
UNLISTED = "X07.001-250601-000001"  # an office the offices table does not know
# An inheritance late at its due date: the officer recorded the letter with its reason and date.
LETTERED = "H55.802-250203-000011"
LETTER_NOTE = (
    "Lý do: chờ kết quả đo đạc lại ranh giới thửa đất, đã báo qua số 0912 345 678. "
    "Hẹn lại ngày trả kết quả 24/02/2025."
)
NOT_YET = "H55.802-250210-000012"  # an inheritance long overdue, no letter yet
NAME, IDENTITY, PHONE = "Trần Văn Bảy", "079188004521", "+84 909 33 7712"
PLOT_NOTE = "gọi anh Bảy 0909337712"


def _dossier(uow, code, procedure, office_code, received_at, events, documents, note=None, **row):
    dossier = DossierRow(
        code=code, procedure=procedure, status=events[-1][1], office=office_code,
        applicant_name=NAME, applicant_identity=IDENTITY, applicant_phone=PHONE,
        declared_commune="Xã Hậu Nghĩa", declared_map_sheet="7", declared_parcel_number="91",
        received_at=received_at, source_name="quay-mot-cua", source_key=code, version=1, **row,
    )  # fmt: skip
    uow.session.add(dossier)
    uow.session.flush()
    previous = None
    for at, to, step in events:
        said = note if note and "xin lỗi" in (step or "") else PLOT_NOTE
        uow.session.add(
            DossierEventRow(
                dossier_id=dossier.id, at=at, actor="cb.hanh", from_status=previous,
                to_status=to, step=step, note=said,
            )
        )  # fmt: skip
        previous = to
    for document in documents:
        uow.session.add(DossierDocumentRow(dossier_id=dossier.id, document_code=document))


@pytest.fixture
def registered(postgis):
    now = datetime.now(LOCAL_TIME).replace(tzinfo=None, microsecond=0)
    asked = now - timedelta(days=2, hours=3)
    late = datetime(2025, 1, 6, 8, 5)
    with UnitOfWork(postgis) as uow:
        _dossier(
            uow, WAITING, "subdivision", "H55.794", asked - timedelta(hours=2),
            [(asked - timedelta(hours=2), "received", "Tiếp nhận tại quầy"),
             (asked, "additional_documents_requested", "Yêu cầu bổ sung giấy tờ")],
            ["application_form_21"],
        )  # fmt: skip
        _dossier(
            uow, LATE, "mortgage_release", "H55.802", late,
            [(late, "received", "Bộ phận một cửa tiếp nhận"),
             (late + timedelta(hours=1), "processing", "Chuyển Chi nhánh Văn phòng"),
             (datetime(2025, 1, 20, 14, 0), "processing", "Gửi thư xin lỗi")],
            ["mortgage_release_request"], due_on=datetime(2025, 1, 9).date(),
        )  # fmt: skip
        _dossier(
            uow, UNLISTED, "subdivision", "X07.001", asked,
            [(asked, "received", None)], [],
        )  # fmt: skip
        received = datetime(2025, 2, 3, 8, 30)
        _dossier(
            uow, LETTERED, "inheritance", "H55.802", received,
            [(received, "received", "Tiếp nhận tại quầy"),
             (received + timedelta(minutes=30), "processing", "Chuyển Chi nhánh"),
             (datetime(2025, 2, 13, 16, 0), "processing", "Gửi phiếu xin lỗi")],
            ["application_form_18"], note=LETTER_NOTE,
        )  # fmt: skip
        _dossier(
            uow, NOT_YET, "inheritance", "H55.802", datetime(2025, 2, 10, 9, 0),
            [(datetime(2025, 2, 10, 9, 0), "received", "Tiếp nhận tại quầy"),
             (datetime(2025, 2, 10, 9, 30), "processing", "Chuyển Chi nhánh")],
            ["application_form_18"],
        )  # fmt: skip
        uow.commit()
    return postgis


def _client(database, **api):
    app = create_app(Settings(api=ApiSettings(**api)), database=database)
    return TestClient(app, raise_server_exceptions=False)


def _text(html: str) -> str:
    """The page's visible words, one space between."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _alert(html: str) -> str:
    found = re.search(r'(?s)<div class="alert alert-error" role="alert"[^>]*>(.*?)</div>', html)
    assert found, "no error message on the page"
    return _text(found.group(1))


def test_the_get_form_answers_with_the_status_the_documents_and_where_to_bring_them(registered):
    with _client(registered) as client:
        got = client.get(
            "/tra-cuu", params={"ma": " h55.794 – 251103 – 000017 ", "xac_minh": "7712"}
        )
    assert got.status_code == 200 and got.headers["content-language"] == "vi"
    assert '<html lang="vi">' in got.text
    text = _text(got.text)
    assert "Hồ sơ H55.794-251103-000017" in text
    assert "Yêu cầu bổ sung hồ sơ" in text or "Yêu cầu bổ sung giấy tờ" in text
    assert "Tách thửa đất" in text
    # the two documents still missing, by their names, never their codes
    assert "Bản vẽ tách thửa, hợp thửa" in text and "Bản gốc Giấy chứng nhận đã cấp" in text
    assert "subdivision_plan" not in got.text and "original_certificate" not in got.text
    assert "Đơn đề nghị tách thửa" not in text  # handed in
    where = office("H55.794")
    assert where.name_vi in text and where.address in text and where.hours_vi in text
    assert "Tiếp nhận tại quầy" in text  # the timeline, oldest first, now last
    assert text.index("Tiếp nhận tại quầy") < text.index("Hiện nay")
    # nothing about any person, not even what was typed to verify
    for personal in (NAME, IDENTITY, "0909", "7712", "cb.hanh", PLOT_NOTE, "Hậu Nghĩa"):
        assert personal not in got.text


def test_dates_are_written_day_first_and_the_late_dossier_shows_its_apology(registered):
    with _client(registered) as client:
        got = client.get("/tra-cuu", params={"ma": LATE.lower(), "xac_minh": "4521"})
    text = _text(got.text)
    assert got.status_code == 200
    assert "06/01/2025 08:05" in text  # received, in the province's time
    assert "Đã quá ngày hẹn trả kết quả" in text
    # the letter, sent on 20/01/2025: its note named a person, so only the plain reason shows
    letter = _text(_section(got.text, "apology-panel"))
    assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả" in letter
    assert "Ngày gửi thư: 20/01/2025" in letter
    assert "hồ sơ chưa được giải quyết xong trong thời hạn quy định" in letter
    assert "Ngày hẹn mới ghi trong thư" in letter  # the note gave no date
    assert PLOT_NOTE not in got.text and "anh Bảy" not in got.text


def _section(html: str, css_class: str) -> str:
    found = re.search(rf'(?s)<section class="panel {css_class}"[^>]*>(.*?)</section>', html)
    assert found, f"no {css_class} on the page"
    return found.group(1)


def test_the_apology_letter_reads_as_sent_without_the_applicants_name(registered):
    with _client(registered) as client:
        got = client.get("/tra-cuu", params={"ma": LETTERED, "xac_minh": "7712"})
    assert got.status_code == 200
    letter = _text(_section(got.text, "apology-panel"))
    where = office("H55.802")
    assert where.name_vi in letter
    assert "Kính gửi: Ông/Bà người nộp hồ sơ" in letter
    assert f"Ngày 03/02/2025, {where.name_vi} tiếp nhận hồ sơ số {LETTERED}" in letter
    assert "về thủ tục Thừa kế quyền sử dụng đất" in letter
    assert re.search(r"Ngày hẹn trả kết quả là ngày \d\d/\d\d/2025", letter)
    assert "Lý do: chờ kết quả đo đạc lại ranh giới thửa đất" in letter
    assert "hẹn lại ngày trả kết quả là 24/02/2025" in letter
    assert "Ngày gửi thư: 13/02/2025" in letter
    # no person: not the applicant, the identity, the phone in the note, the officer
    for personal in (NAME, IDENTITY, "0912 345 678", "345 678", "0909", "cb.hanh", "7712"):
        assert personal not in got.text


def test_a_late_dossier_without_a_letter_says_one_will_come(registered):
    with _client(registered) as client:
        got = client.get("/tra-cuu", params={"ma": NOT_YET, "xac_minh": "4521"})
    text = _text(got.text)
    assert "Hồ sơ đã quá hạn; cơ quan sẽ gửi thư xin lỗi và hẹn ngày trả mới." in text
    assert "apology-panel" not in got.text


def test_the_letter_and_the_names_in_english(registered):
    with _client(registered) as client:
        got = client.get("/tra-cuu", params={"ma": LETTERED, "xac_minh": "7712", "lang": "en"})
    text = _text(got.text)
    assert "Inheritance of land-use right" in text and "Thừa kế quyền sử dụng đất" not in text
    assert "Processing" in text and "Đang xử lý" not in text
    assert office("H55.802").name_en in text
    letter = _text(_section(got.text, "apology-panel"))
    assert "To: the applicant" in letter
    assert "the result will be returned on 24/02/2025" in letter
    assert NAME not in got.text


def test_an_office_not_in_the_table_is_never_shown_as_a_bare_code(registered):
    with _client(registered) as client:
        got = client.get("/tra-cuu", params={"ma": UNLISTED, "xac_minh": "4521"})
    assert got.status_code == 200
    assert "Nộp tại nơi đã tiếp nhận hồ sơ, ghi trên giấy biên nhận." in _text(got.text)


def test_a_wrong_verification_reads_exactly_as_an_unknown_code(registered):
    with _client(registered) as client:
        wrong = client.get("/tra-cuu", params={"ma": WAITING, "xac_minh": "0000"})
        unknown = client.get("/tra-cuu", params={"ma": "H55.794-251103-000099", "xac_minh": "7712"})
    assert wrong.status_code == unknown.status_code == 404
    assert _alert(wrong.text) == _alert(unknown.text)
    assert _alert(wrong.text).startswith("Không tìm thấy hồ sơ với mã hồ sơ và mã xác minh này")
    assert wrong.text.replace(WAITING, "") == unknown.text.replace("H55.794-251103-000099", "")
    assert "Bản vẽ tách thửa" not in wrong.text


def test_a_malformed_verification_is_named_and_a_code_alone_only_fills_the_form(registered):
    with _client(registered) as client:
        short = client.get("/tra-cuu", params={"ma": WAITING, "xac_minh": "77a"})
        empty = client.get("/tra-cuu", params={"ma": WAITING, "xac_minh": ""})
        from_qr = client.get("/tra-cuu", params={"ma": WAITING})
    assert short.status_code == 422 and "gồm đúng 4 chữ số" in _alert(short.text)
    assert empty.status_code == 422 and "Hãy nhập 4 số cuối" in _alert(empty.text)
    assert from_qr.status_code == 200 and 'role="alert"' not in from_qr.text
    assert f'value="{WAITING}"' in from_qr.text
    assert re.search(r'<input id="xac_minh"[^>]*autofocus', from_qr.text)


def test_too_many_tries_says_how_long_to_wait_and_counts_the_api_too(registered):
    with _client(registered, public_lookups_per_minute=3) as client:
        client.get(f"/public/dossiers/{WAITING}", params={"verify": "0000"})
        for _ in range(2):
            assert (
                client.get("/tra-cuu", params={"ma": WAITING, "xac_minh": "0000"}).status_code
                == 404
            )
        refused = client.get("/tra-cuu", params={"ma": WAITING, "xac_minh": "7712"})
    assert refused.status_code == 429
    wait = re.search(r"Hãy đợi (\d+) giây rồi thử lại", _alert(refused.text))
    assert wait and 1 <= int(wait.group(1)) <= 60
    assert "Bản vẽ tách thửa" not in refused.text  # the right verification, refused all the same


def test_english_on_request_kept_for_the_next_page(registered):
    with _client(registered) as client:
        english = client.get("/tra-cuu", params={"ma": WAITING, "xac_minh": "7712", "lang": "en"})
        next_page = client.get("/")
        back = client.get("/", params={"lang": "vi"})
    assert '<html lang="en">' in english.text and english.headers["content-language"] == "en"
    text = _text(english.text)
    assert "Documents still to bring" in text and "Subdivision or merger plan" in text
    assert office("H55.794").hours_en in text
    assert "Giấy tờ cần nộp bổ sung" not in text
    assert '<html lang="en">' in next_page.text and "Check your land dossier" in next_page.text
    assert '<html lang="vi">' in back.text and "Tra cứu hồ sơ đất đai" in back.text


def test_the_home_page_is_the_citizens_form_and_the_overview_moved(registered):
    with _client(registered) as client:
        home = client.get("/")
        overview = client.get("/tong-quan-du-lieu")
    assert home.status_code == 200 and home.headers["cache-control"] == "no-store"
    assert re.search(r'<form class="lookup" method="get" action="/tra-cuu"', home.text)
    assert '<label for="ma">' in home.text and '<label for="xac_minh">' in home.text
    assert 'href="/tong-quan-du-lieu"' in home.text
    assert overview.status_code == 200
    counts = dict(
        re.findall(r'<th scope="row">([^<]+)</th><td class="n">([\d.]+)</td>', overview.text)
    )
    assert {"Thửa đất", "Hồ sơ", "Giấy chứng nhận"} <= set(counts)
