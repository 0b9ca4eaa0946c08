"""The registry officer's workbench in a real browser (chromium at a desk, a phone for the
citizen), on a real server over a copy of the reconciled sample register.

One officer's morning at the counter: sign in, find a dossier, open it; receive a transfer of
a mortgaged parcel and see the pre-check stop it; receive a clean one, move it on, ask for two
documents, and the citizen's phone then lists exactly those two; a second tab's change makes
the first tab's change stale, and the officer is told to reload. Every page is audited with
axe-core and photographed at desk and phone size.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.reference import procedures_config
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import (
    DossierParcelLinkRow,
    DossierRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
)
from landreg.store.unit_of_work import UnitOfWork

OFFICER = "registry_officer"
# A transfer the sample's register shows under mortgage (ground truth D000151).
MORTGAGED = {"commune": "25645", "sheet": "1", "number": "1019"}
PHONE = "0987654321"
ASKED_FREE_TEXT = "Bản sao Giấy khai sinh của bên nhận chuyển nhượng"
ASKED_CATALOGUE = "Hợp đồng đã công chứng, chứng thực"
STALE = "Hồ sơ vừa được người khác thay đổi; hãy tải lại trang"


@pytest.fixture(scope="module")
def clean_parcel(site_database_url: str) -> dict[str, str]:
    """A parcel of the copy with one holder owning all of it, and no mortgage and no
    seizure: a transfer by its holder passes the pre-check."""
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=site_database_url))
    try:
        with UnitOfWork(database) as uow:
            alone = (
                select(ParcelRegisterLinkRow.parcel_id)
                .group_by(ParcelRegisterLinkRow.parcel_id)
                .having(func.count() == 1)
            )
            rows = uow.session.execute(
                select(ParcelRow, RegisterEntryRow)
                .join(ParcelRegisterLinkRow, ParcelRegisterLinkRow.parcel_id == ParcelRow.id)
                .join(RegisterEntryRow,
                      RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id)
                .where(
                    ParcelRow.id.in_(alone),
                    RegisterEntryRow.identity_number.is_not(None),
                    RegisterEntryRow.mortgage_holder.is_(None),
                    RegisterEntryRow.seizure_text.is_(None),
                )
                .order_by(ParcelRow.id)
                .limit(40)
            ).all()  # fmt: skip
            assert rows, "the sample has no parcel a clean transfer can be made on"
            parcel, entry = rows[len(rows) // 2]
            name = entry.holder_name.removeprefix("Hộ ông ").removeprefix("Hộ bà ")
            return {
                "commune": parcel.commune_code, "sheet": str(parcel.map_sheet),
                "number": str(parcel.parcel_number), "name": name,
                "identity": entry.identity_number,
            }  # fmt: skip
    finally:
        database.engine.dispose()


def _sign_in(page: Any, accounts: dict[str, tuple[str, str]]) -> None:
    username, password = accounts[OFFICER]
    page.goto("/app")
    assert "/app/dang-nhap" in page.url  # not signed in: the sign-in form, then back
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/app$"))


def _audited(page: Any, axe: Any, shoot: Any, name: str) -> None:
    assert axe(page) == [], name
    shoot(page, name)


def _fill_transfer(page: Any, parcel: dict[str, str], *, name: str, identity: str) -> None:
    page.get_by_label("Thủ tục hành chính").select_option(label="Chuyển nhượng quyền sử dụng đất")
    # The checklist follows the procedure (officer.js), without a round trip.
    for document in ("Mẫu số 18", "Hợp đồng đã công chứng", "Bản gốc Giấy chứng nhận"):
        page.get_by_label(re.compile(document)).check()
    page.get_by_label("Nơi tiếp nhận").select_option("H55.707")
    page.get_by_label("Họ tên người nộp").fill(name)
    page.get_by_label("Số CCCD/CMND").fill(identity)
    page.get_by_label("Số điện thoại").fill(PHONE)
    page.get_by_label("Xã, phường").fill(parcel["commune"])
    page.get_by_label("Số tờ bản đồ").fill(parcel["sheet"])
    page.get_by_label("Số thửa").fill(parcel["number"])


def test_an_officers_morning_at_the_counter(
    desk_page, new_page, site_accounts, clean_parcel, axe_violations, shoot
):
    page = desk_page
    page.goto("/app/dang-nhap")
    _audited(page, axe_violations, shoot, "officer_signin_desk")
    _sign_in(page, site_accounts)
    _audited(page, axe_violations, shoot, "officer_list_desk")

    # Find a dossier by its applicant, typed without diacritics, and open it.
    page.get_by_label(re.compile("Tìm theo mã hồ sơ")).fill("pham thi uyen")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.get_by_role("link", name="H55.707-210715-0001").click()
    page.wait_for_url("**/app/ho-so/H55.707-210715-0001")
    main = page.locator("main")
    assert "Chuyển nhượng quyền sử dụng đất" in main.inner_text()
    assert "Ngân hàng TMCP Ngoại thương Việt Nam" in main.inner_text()  # its mortgage
    _audited(page, axe_violations, shoot, "officer_dossier_desk")

    # A transfer of the mortgaged parcel: the pre-check stops it before it is received.
    page.get_by_role("link", name="Tiếp nhận hồ sơ mới").click()
    _audited(page, axe_violations, shoot, "officer_receive_desk")
    _fill_transfer(page, MORTGAGED, name="Phạm Thị Uyên", identity="072300645789")
    page.get_by_role("button", name="Kiểm tra trước khi tiếp nhận").click()
    result = page.locator("#ket-qua")
    assert "Chưa thể tiếp nhận" in result.inner_text()
    assert re.search(r"Thửa 25645-1-1019 đang thế chấp tại", result.inner_text())
    assert page.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).count() == 0
    _audited(page, axe_violations, shoot, "officer_receive_blocked_desk")

    # The holder's own transfer of a clean parcel passes and is received.
    _fill_transfer(page, clean_parcel, name=clean_parcel["name"],
                   identity=clean_parcel["identity"])  # fmt: skip
    page.get_by_role("button", name="Kiểm tra trước khi tiếp nhận").click()
    assert "có thể tiếp nhận" in page.locator("#ket-qua").inner_text()
    # what the check found (warnings for the office) or that it found nothing, never blank
    assert page.locator("#ket-qua .check-ok, #ket-qua .check-item").count() >= 1
    page.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).click()
    page.wait_for_url(re.compile(r"/app/ho-so/H55\.707-\d{6}-\d{4}\?da=tiep_nhan"))
    code = page.locator("h1 .code").inner_text().strip()
    assert "Đã tiếp nhận hồ sơ." in page.locator("main").inner_text()

    # Processing starts, then two documents are asked for: one of the catalogue, one written.
    page.get_by_label("Chuyển sang trạng thái").select_option(label="Đang xử lý")
    page.get_by_role("button", name="Chuyển trạng thái").click()
    assert "Đang xử lý" in page.locator("#trang-thai-hien-tai").inner_text()
    page.get_by_label(ASKED_CATALOGUE).check()
    page.get_by_label(re.compile("Giấy tờ khác")).fill(ASKED_FREE_TEXT)
    page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    assert "Yêu cầu bổ sung hồ sơ" in page.locator("#trang-thai-hien-tai").inner_text()
    _audited(page, axe_violations, shoot, "officer_dossier_requested_desk")

    # The receipt, with the QR code of the citizen's lookup of this dossier.
    page.goto(f"/app/ho-so/{code}/bien-nhan")
    assert page.locator("svg[role=img]").count() == 1
    assert f"/tra-cuu?ma={code}" in page.locator(".lookup-url").inner_text()
    _audited(page, axe_violations, shoot, "officer_receipt_desk")
    page.emulate_media(media="print")
    shoot(page, "officer_receipt_print")
    page.emulate_media(media="screen")

    # The citizen, on a phone, with the last four digits of the phone given at the counter.
    phone = new_page(390, 844, mobile=True)
    phone.goto(f"/tra-cuu?ma={code}")
    phone.get_by_label("Mã xác minh").fill(PHONE[-4:])
    phone.get_by_role("button", name="Tra cứu").click()
    missing = phone.locator(".missing-panel .documents li").all_inner_texts()
    assert sorted(m.strip() for m in missing) == sorted([ASKED_CATALOGUE, ASKED_FREE_TEXT])
    shoot(phone, "citizen_requested_documents_phone")

    # Two tabs on one dossier: the second resumes processing, the first's change is stale.
    first = page
    first.goto(f"/app/ho-so/{code}")
    second = page.context.new_page()
    second.goto(f"/app/ho-so/{code}")
    second.get_by_label("Chuyển sang trạng thái").select_option(label="Đang xử lý")
    second.get_by_role("button", name="Chuyển trạng thái").click()
    assert "Đã chuyển trạng thái hồ sơ." in second.locator("main").inner_text()
    first.get_by_label("Chuyển sang trạng thái").select_option(label="Dừng xử lý")
    first.get_by_role("button", name="Chuyển trạng thái").click()
    alert = first.get_by_role("alert")
    assert STALE in alert.inner_text()
    assert "Đang xử lý" in first.locator("#trang-thai-hien-tai").inner_text()
    _audited(first, axe_violations, shoot, "officer_dossier_stale_desk")


def test_the_workbench_at_phone_size(new_page, site_accounts, axe_violations, shoot):
    page = new_page(390, 844, mobile=True)
    _sign_in(page, site_accounts)
    _audited(page, axe_violations, shoot, "officer_list_phone")
    page.goto("/app/ho-so/H55.707-210715-0001")
    _audited(page, axe_violations, shoot, "officer_dossier_phone")
    page.goto("/app/ho-so/moi")
    _audited(page, axe_violations, shoot, "officer_receive_phone")
    page.goto("/app/ho-so/H55.707-210715-0001/bien-nhan")
    _audited(page, axe_violations, shoot, "officer_receipt_phone")


def test_another_role_is_refused_in_vietnamese(desk_page, site_accounts, axe_violations, shoot):
    username, password = site_accounts["cadastral_staff"]
    page = desk_page
    page.goto("/app/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.get_by_role("alert").inner_text()
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    # Cadastral staff land on their map; the dossier list is the registry officers' own.
    page.wait_for_url("**/app/ban-do")
    nav = page.get_by_role("navigation", name="Bàn làm việc của cán bộ")
    assert nav.get_by_role("link", name="Danh sách hồ sơ").count() == 0
    assert nav.get_by_role("link", name="Bản đồ địa chính").count() == 1
    page.goto("/app")
    assert "Bạn không có quyền mở trang này" in page.locator("h1").inner_text()
    _audited(page, axe_violations, shoot, "officer_refused_desk")


@pytest.fixture(scope="module")
def dossier_in_review(site_database_url: str) -> str:
    """A dossier of the copy that linking left uncertain: two candidate parcels, none chosen
    (the copy is not linked; the candidates are put there as ``landreg dossiers link`` puts
    them); its code."""
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=site_database_url))
    try:
        with UnitOfWork(database) as uow:
            dossier = uow.session.scalars(
                select(DossierRow)
                .where(DossierRow.code.like("H55.794-%"), DossierRow.status == "processing")
                .order_by(DossierRow.code)
                .limit(1)
            ).one()
            parcels = uow.session.scalars(
                select(ParcelRow.id)
                .where(ParcelRow.commune_code == "27694")
                .order_by(ParcelRow.id)
                .limit(2)
            ).all()
            for parcel, confidence in zip(parcels, (0.62, 0.58), strict=True):
                candidate = DossierParcelLinkRow(
                    dossier_id=dossier.id, parcel_id=parcel, method="review",
                    confidence=confidence, explanation="the applicant holds this parcel",
                    status="review",
                )  # fmt: skip
                uow.session.add(candidate)
            code = dossier.code
            uow.commit()
    finally:
        database.engine.dispose()
    return str(code)


def test_an_officer_chooses_the_parcel_of_an_uncertain_dossier(
    desk_page, site_accounts, dossier_in_review, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts)
    page.goto(f"/app/ho-so/{dossier_in_review}")
    candidates = page.locator(".candidate")
    assert candidates.count() >= 2
    _audited(page, axe_violations, shoot, "officer_dossier_review_desk")
    # The first candidate is not it: rejected with a reason.
    first = candidates.nth(0)
    rejected = first.locator("strong").first.inner_text()
    first.get_by_label("Lý do loại").fill("Người nộp không đứng tên thửa này")
    first.get_by_role("button", name="Loại thửa này").click()
    assert "Đã loại thửa đất đề xuất." in page.locator("main").inner_text()
    assert rejected not in page.locator(".candidates").inner_text()
    # The next one is confirmed: it becomes the dossier's parcel, with its record.
    chosen = page.locator(".candidate").nth(0).locator("strong").first.inner_text()
    page.get_by_role("button", name=f"Xác nhận thửa {chosen}").click()
    main = page.locator("main").inner_text()
    assert "Đã xác nhận thửa đất của hồ sơ." in main
    assert f"Thửa {chosen}" in main and "đã xác nhận" in main
    assert page.locator(".candidate").count() == 0
    assert "Người sử dụng đất" in main


def test_an_officer_prints_the_apology_letter_of_an_overdue_dossier(
    desk_page, site_accounts, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts)
    page.goto("/app?han=qua_han")
    first = page.locator("table.dossiers tbody tr").first
    applicant = first.locator("td").nth(2).inner_text().strip()
    with page.expect_navigation():
        first.get_by_role("link").click()
    late = page.locator(".apology-line")
    assert late.is_visible()
    with page.expect_navigation():
        late.get_by_role("link").click()
    assert page.url.endswith("/thu-xin-loi")
    letter = page.locator("article.apology-letter")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in letter.inner_text()
    said = " ".join(letter.inner_text().split())
    if applicant != "—":
        assert f"Kính gửi: Ông/Bà {applicant}" in said  # officers see the name
    assert re.search(r"hẹn lại ngày trả kết quả là ngày \d\d/\d\d/\d{4}", said)
    assert page.get_by_role("button", name="In thư").is_visible()
    _audited(page, axe_violations, shoot, "officer_apology_desk")
    page.emulate_media(media="print")
    shoot(page, "officer_apology_print")
    page.emulate_media(media="screen")
    page.goto(page.url + "?lang=en")
    said_en = " ".join(page.locator("article.apology-letter").inner_text().split())
    assert "APOLOGY AND NEW DATE FOR RETURNING THE RESULT" in said_en
    assert re.search(r"the result will be returned on \d\d/\d\d/\d{4}", said_en)
    assert axe_violations(page) == []
    shoot(page, "officer_apology_desk_en")


def test_the_workbench_in_english_names_procedures_and_statuses_in_english(
    desk_page, site_accounts, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts)
    page.goto("/app?lang=en")
    cells = page.locator("table.dossiers tbody tr").first.locator("td").all_inner_texts()
    procedures = {e["name_en"] for e in procedures_config()["procedures"].values()}
    statuses = {s.label_en for s in DossierStatus}
    assert cells[1] in procedures and cells[3] in statuses, cells
    assert axe_violations(page) == []
    shoot(page, "officer_list_desk_en")
