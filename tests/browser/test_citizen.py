"""A citizen checks a dossier of the sample register on a phone, in Debian's chromium against a
real ``landreg serve``: the right code and verification show the status, the due date, the
documents still missing and the office to bring them to; a wrong verification and an unknown
code read the same; too many tries say how long to wait; a code typed in lower case with spaces
works; English on request; the form answers without JavaScript; axe finds nothing serious."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from api.routes.public import LOOKUPS_PER_MINUTE
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.reference import office, offices, procedures_config
from landreg.services.dossiers import request_documents
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

# What the officer asks for: a document of the catalogue (by its code) and one in free text.
ASKED = ["land_use_documents", "Bản sao giấy khai sinh có chứng thực của người thừa kế"]


@dataclass(frozen=True)
class Waiting:
    """A sample dossier an officer has asked for documents, as the register holds it."""

    code: str
    verify: str  # the last four digits of the applicant's identity number, as written
    missing_vi: list[str]
    missing_en: list[str]
    office_code: str
    status_vi: str


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def waiting(site_database_url: str) -> Waiting:
    """The last sample dossier (by code) still being processed at a listed office, its
    verification read from the database; an officer then asks for two documents through the
    service the counter uses. (The sample's own dossiers have every document handed in.)"""
    with psycopg.connect(_psycopg_url(site_database_url)) as connection:
        rows = connection.execute(
            """SELECT code, office, applicant_identity FROM dossier
               WHERE status = 'processing' AND applicant_identity ~ '[0-9]{4}$'
               ORDER BY code DESC"""
        ).fetchall()
    code, office_code, identity = next(row for row in rows if row[1] in offices())
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=site_database_url))
    try:
        with UnitOfWork(database) as uow:
            request_documents(
                uow, code, ASKED, note=None, actor="can_bo_mot_cua", expected_version=None
            )
    finally:
        database.engine.dispose()
    catalogue = procedures_config()["documents"]["land_use_documents"]
    return Waiting(
        code, re.sub(r"\D", "", identity)[-4:], [catalogue["name_vi"], ASKED[1]],
        [catalogue["name_en"], ASKED[1]], office_code,
        DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED.label_vi,
    )  # fmt: skip


def _typed_carelessly(code: str) -> str:
    """The code as a person might type it from the receipt: lower case, spaces, an en dash."""
    first, rest = code.lower().split("-", 1)
    return f" {first} – {rest.replace('-', ' ')} "


def _look_up(page: Any, code: str, verify: str) -> None:
    page.get_by_label("Mã hồ sơ").fill(code)
    page.get_by_label("Mã xác minh").fill(verify)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # from the keyboard, as many do on a phone


def _alert(page: Any) -> str:
    return " ".join(page.get_by_role("alert").inner_text().split())


def test_the_right_code_shows_status_due_date_missing_documents_and_the_office(
    phone_page, site, waiting, shoot, axe_violations
):
    phone_page.goto("/")
    assert phone_page.get_attribute("html", "lang") == "vi"
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_form_phone")
    _look_up(phone_page, _typed_carelessly(waiting.code), waiting.verify)

    heading = phone_page.get_by_role("heading", level=1)
    assert waiting.code in heading.inner_text()
    status = phone_page.locator(".status-panel")
    assert status.get_by_text(waiting.status_vi, exact=True).is_visible()
    # the due date is the API's, written day first
    api = httpx.get(f"{site}/public/dossiers/{waiting.code}", params={"verify": waiting.verify})
    due = api.json()["due_on"]
    if due is not None:
        assert date.fromisoformat(due).strftime("%d/%m/%Y") in status.inner_text()
    documents = phone_page.locator(".missing-panel li").all_inner_texts()
    assert documents == waiting.missing_vi
    where = phone_page.locator(".office-panel").inner_text()
    listed = office(waiting.office_code)
    assert listed.name_vi in where and listed.address in where and listed.hours_vi in where
    assert waiting.office_code not in where  # never the bare code
    assert phone_page.locator(".timeline li").count() >= 2
    assert phone_page.locator('.timeline li[aria-current="step"]').count() == 1
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_status_phone")


def test_the_answer_at_a_desk(desk_page, waiting, shoot, axe_violations):
    desk_page.goto(f"/tra-cuu?ma={waiting.code}&xac_minh={waiting.verify}")
    assert desk_page.locator(".missing-panel li").all_inner_texts() == waiting.missing_vi
    assert axe_violations(desk_page) == []
    shoot(desk_page, "citizen_status_desk")


def test_a_wrong_verification_and_an_unknown_code_show_the_same_message(
    phone_page, waiting, shoot, axe_violations
):
    phone_page.goto("/tra-cuu")
    wrong = next(d for d in ("0000", "1111") if d != waiting.verify)
    _look_up(phone_page, waiting.code, wrong)
    said_wrong = _alert(phone_page)
    assert phone_page.locator(".missing-panel").count() == 0
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_not_found_phone")
    unknown = waiting.code[:-4] + ("9999" if not waiting.code.endswith("9999") else "9998")
    _look_up(phone_page, unknown, waiting.verify)
    assert _alert(phone_page) == said_wrong
    assert said_wrong.startswith("Không tìm thấy hồ sơ với mã hồ sơ và mã xác minh này")


def test_too_many_tries_say_how_long_to_wait(phone_page, waiting, shoot, axe_violations):
    for _ in range(LOOKUPS_PER_MINUTE):
        phone_page.goto(f"/tra-cuu?ma={waiting.code}&xac_minh=0000")
    phone_page.goto(f"/tra-cuu?ma={waiting.code}&xac_minh={waiting.verify}")
    said = _alert(phone_page)
    wait = re.search(r"Hãy đợi (\d+) giây rồi thử lại", said)
    assert wait and 1 <= int(wait.group(1)) <= 60, said
    assert phone_page.locator(".missing-panel").count() == 0
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_too_many_tries_phone")


def test_the_receipts_qr_link_fills_the_code_and_asks_only_for_the_verification(
    phone_page, waiting
):
    phone_page.goto(f"/tra-cuu?ma={waiting.code}")
    assert phone_page.get_by_label("Mã hồ sơ").input_value() == waiting.code
    assert phone_page.get_by_role("alert").count() == 0
    phone_page.keyboard.type(waiting.verify)  # the cursor is already in the verification
    with phone_page.expect_navigation():
        phone_page.keyboard.press("Enter")
    assert phone_page.locator(".missing-panel li").all_inner_texts() == waiting.missing_vi


def test_the_english_switch(phone_page, waiting, shoot, axe_violations):
    phone_page.goto("/")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="English").click()
    assert phone_page.get_attribute("html", "lang") == "en"
    phone_page.get_by_label("Dossier code").fill(waiting.code)
    phone_page.get_by_label("Verification").fill(waiting.verify)
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Check").click()
    assert phone_page.get_attribute("html", "lang") == "en"
    assert phone_page.locator(".missing-panel li").all_inner_texts() == waiting.missing_en
    assert office(waiting.office_code).hours_en in phone_page.locator(".office-panel").inner_text()
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_status_phone_en")
    with phone_page.expect_navigation():
        phone_page.get_by_role("link", name="Tiếng Việt").click()
    assert phone_page.get_attribute("html", "lang") == "vi"


def test_the_form_answers_without_javascript(chromium_browser, site, waiting):
    context = chromium_browser.new_context(
        base_url=site, java_script_enabled=False, viewport={"width": 390, "height": 844},
        extra_http_headers={"X-Forwarded-For": "10.15.250.250"},
    )  # fmt: skip
    outside: list[str] = []

    def guard(route: Any) -> None:
        host = re.match(r"https?://([^/:]+)", route.request.url)
        if host and host.group(1) in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    try:
        page = context.new_page()
        page.goto("/tra-cuu")
        _look_up(page, _typed_carelessly(waiting.code), waiting.verify)
        assert page.locator(".missing-panel li").all_inner_texts() == waiting.missing_vi
    finally:
        context.close()
    assert outside == []


@dataclass(frozen=True)
class Apologised:
    """A sample dossier processed late, whose history records the apology letter sent."""

    code: str
    verify: str
    applicant: str
    sent_on: str  # dd/mm/yyyy
    new_date: str  # dd/mm/yyyy, as the letter's note writes it


@pytest.fixture(scope="session")
def apologised(site_database_url: str) -> Apologised:
    """The first sample dossier (by code) of a listed office with an apology letter recorded."""
    with psycopg.connect(_psycopg_url(site_database_url)) as connection:
        rows = connection.execute(
            """SELECT d.code, d.office, d.applicant_identity, d.applicant_name, e.at, e.note
               FROM dossier AS d JOIN dossier_event AS e ON e.dossier_id = d.id
               WHERE e.step ILIKE '%xin lỗi%' AND d.applicant_identity ~ '[0-9]{4}$'
               ORDER BY d.code, e.at"""
        ).fetchall()
    code, _, identity, name, at, note = next(row for row in rows if row[1] in offices())
    new_date = re.search(r"\d\d/\d\d/\d{4}", note or "")
    assert new_date, f"the sample's apology note gives no new date: {note!r}"
    return Apologised(
        code, re.sub(r"\D", "", identity)[-4:], name, at.strftime("%d/%m/%Y"), new_date.group(0)
    )


def test_a_late_dossier_shows_its_apology_letter_without_the_applicants_name(
    phone_page, apologised, shoot, axe_violations
):
    phone_page.goto("/tra-cuu")
    _look_up(phone_page, apologised.code, apologised.verify)
    letter = phone_page.locator(".apology-panel")
    assert letter.get_by_role("heading", name="Thư xin lỗi của cơ quan giải quyết").is_visible()
    said = " ".join(letter.inner_text().split())
    assert "Kính gửi: Ông/Bà người nộp hồ sơ" in said
    assert f"hồ sơ số {apologised.code}" in said
    assert f"hẹn lại ngày trả kết quả là {apologised.new_date}" in said
    assert f"Ngày gửi thư: {apologised.sent_on}" in said
    assert "Lý do:" in said
    page_text = phone_page.locator("body").inner_text()
    assert apologised.applicant not in page_text
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_apology_phone")
    with phone_page.expect_navigation():  # the switch keeps the code, never the verification
        phone_page.get_by_role("link", name="English").click()
    phone_page.get_by_label("Verification").fill(apologised.verify)
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Check").click()
    said_en = " ".join(phone_page.locator(".apology-panel").inner_text().split())
    assert "To: the applicant" in said_en
    assert f"the result will be returned on {apologised.new_date}" in said_en
    assert axe_violations(phone_page) == []
    shoot(phone_page, "citizen_apology_phone_en")
