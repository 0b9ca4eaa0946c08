"""Dossiers through the API on PostGIS: the pre-check's one answer, receiving, the status
lifecycle with optimistic locking, and bad input answered with problem details."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.settings import Settings
from landreg.store.tables import ParcelRegisterLinkRow, ParcelRow, RegisterEntryRow
from landreg.store.unit_of_work import UnitOfWork
from tests.serving import take_in_long_an

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
PASSWORD = "correct horse battery"
TRANSFER_DOCUMENTS = ["application_form_18", "notarised_contract", "original_certificate"]


@pytest.fixture
def client(postgis):
    take_in_long_an(postgis)
    for name, role in (
        ("staff", Role.CADASTRAL_STAFF),
        ("lan", Role.REGISTRY_OFFICER),
        ("minh", Role.REGISTRY_OFFICER),
    ):
        with UnitOfWork(postgis) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        c.holder = _sole_holder(postgis)
        yield c


def _sole_holder(database):
    """A parcel of Phường Long An with one holder owning all of it, and no mortgage."""
    with UnitOfWork(database) as uow:
        alone = (
            select(ParcelRegisterLinkRow.parcel_id)
            .group_by(ParcelRegisterLinkRow.parcel_id)
            .having(func.count() == 1)
        )
        parcel, entry = uow.session.execute(
            select(ParcelRow, RegisterEntryRow)
            .join(ParcelRegisterLinkRow, ParcelRegisterLinkRow.parcel_id == ParcelRow.id)
            .join(RegisterEntryRow, RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id)
            .where(
                ParcelRow.id.in_(alone),
                RegisterEntryRow.identity_number.is_not(None),
                RegisterEntryRow.mortgage_holder.is_(None),
                RegisterEntryRow.seizure_text.is_(None),
            )
            .order_by(ParcelRow.id)
            .limit(1)
        ).one()
        return {
            "key": f"{parcel.commune_code}-{parcel.map_sheet}-{parcel.parcel_number}",
            "sheet": str(parcel.map_sheet),
            "number": str(parcel.parcel_number),
            "name": entry.holder_name,
            "identity": entry.identity_number,
        }


def _as(client, name):
    token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _transfer(client, **changes):
    holder = client.holder
    body = {
        "procedure": "transfer",
        "received_at": "2024-01-04T09:30:00",
        "applicant_name": holder["name"],
        "applicant_identity": holder["identity"],
        "commune": "Phường Long An",
        "map_sheet": holder["sheet"],
        "parcel_number": holder["number"],
        "documents": TRANSFER_DOCUMENTS,
    }
    return body | changes


def test_a_sound_dossier_passes_with_its_parcel_and_due_date(client):
    answer = client.post("/dossiers/check", json=_transfer(client), headers=_as(client, "lan"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["blocked"] is False and body["items"] == []
    assert body["parcel_key"] == client.holder["key"] and body["match"]["method"] == "key"
    assert body["due_on"] == "2024-01-16"  # 8 working days from Thursday 4 January 2024


def test_everything_wrong_comes_in_one_answer(client):
    wrong = _transfer(
        client,
        applicant_identity="072090123456",
        applicant_name="Trần Văn Khác",
        documents=["application_form_18"],
    )
    body = client.post("/dossiers/check", json=wrong, headers=_as(client, "lan")).json()
    codes = {item["code"]: item for item in body["items"]}
    assert body["blocked"] is True
    assert set(codes) == {"DOCUMENTS_MISSING", "APPLICANT_NOT_HOLDER"}
    missing = codes["DOCUMENTS_MISSING"]
    assert missing["details"]["documents"] == ["notarised_contract", "original_certificate"]
    assert "Hợp đồng đã công chứng" in missing["message_vi"] and missing["severity"] == "blocks"
    assert client.holder["name"] in codes["APPLICANT_NOT_HOLDER"]["message_en"]


def test_received_dossier_moves_through_its_lifecycle_and_a_stale_update_is_refused(client):
    lan, minh = _as(client, "lan"), _as(client, "minh")
    made = client.post("/dossiers", json=_transfer(client, office="H55.801"), headers=lan)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert re.fullmatch(r"H55\.801-240104-0001", code) and made.json()["status"] == "received"
    moved = client.post(
        f"/dossiers/{code}/status", headers=lan, json={"to": "processing", "expected_version": 1}
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = client.post(
        f"/dossiers/{code}/status",
        headers=minh,
        json={"to": "additional_documents_requested", "expected_version": 1},
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    skipped = client.post(
        f"/dossiers/{code}/status",
        headers=minh,
        json={"to": "result_returned", "expected_version": 2},
    )
    assert skipped.status_code == 409 and "Đang xử lý" in skipped.json()["detail"]
    seen = client.get(f"/dossiers/{code}", headers=minh).json()
    assert [e["to_status"] for e in seen["events"]] == ["new", "received", "processing"]
    assert seen["events"][-1]["actor"] == "lan" and seen["version"] == 2
    assert seen["links"][0]["parcel_key"] == client.holder["key"]


def test_a_blocked_dossier_is_recorded_not_received_with_every_reason(client):
    body = _transfer(client, office="H55.801", documents=[])
    made = client.post("/dossiers", json=body, headers=_as(client, "lan")).json()
    assert made["status"] == "not_received" and made["check"]["blocked"]
    seen = client.get(f"/dossiers/{made['code']}", headers=_as(client, "lan")).json()
    assert "Bản gốc Giấy chứng nhận" in seen["events"][-1]["note"] and seen["due_on"] is None


def test_bad_input_is_a_problem_naming_the_field(client):
    lan = _as(client, "lan")
    unknown = client.post(
        "/dossiers/check", json=_transfer(client, procedure="sale_of_moon"), headers=lan
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "procedure"
    future = client.post(
        "/dossiers/check", json=_transfer(client, received_at="2099-01-01T08:00:00"), headers=lan
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "received_at"
    malformed = client.post(
        "/dossiers", json=_transfer(client, office="H55.801", code="H55-9999"), headers=lan
    )
    assert malformed.status_code == 422
    assert client.get("/dossiers/H55.801-240231-0001", headers=lan).status_code == 404
    for answer in (unknown, future, malformed):
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in answer.text and "SELECT" not in answer.text


def test_only_registry_officers_receive_dossiers(client):
    body = _transfer(client, office="H55.801")
    assert client.post("/dossiers", json=body).status_code == 401
    assert client.post("/dossiers", json=body, headers=_as(client, "staff")).status_code == 403
    assert client.get("/dossiers/review", headers=_as(client, "staff")).status_code == 200


def test_officers_find_dossiers_by_applicant_parcel_key_and_status(client):
    lan = _as(client, "lan")
    made = client.post("/dossiers", json=_transfer(client, office="H55.801"), headers=lan).json()
    other = _transfer(client, office="H55.802", applicant_name="Đặng Thị Thu",
                      received_at="2024-01-05T10:00:00", documents=[])  # fmt: skip
    refused = client.post("/dossiers", json=other, headers=lan).json()
    folded = client.holder["name"].upper()  # as typed at the counter: capitals
    found = client.get("/dossiers", params={"q": folded}, headers=lan).json()
    assert [item["code"] for item in found["items"]] == [made["code"]]
    line = found["items"][0]
    assert line["procedure_name_vi"] == "Chuyển nhượng quyền sử dụng đất"
    assert line["status_label_vi"] == "Đã tiếp nhận" and line["due_on"] == "2024-01-16"
    assert line["received_at"] == "2024-01-04T09:30:00+07:00" and line["version"] == 1
    by_key = client.get("/dossiers", params={"q": client.holder["key"]}, headers=lan).json()
    assert {item["code"] for item in by_key["items"]} == {made["code"], refused["code"]}
    plain = client.get("/dossiers", params={"q": "dang thi thu"}, headers=lan).json()
    assert [item["code"] for item in plain["items"]] == [refused["code"]]
    paged = client.get(
        "/dossiers", params={"status": "Không tiếp nhận", "limit": 1}, headers=lan
    ).json()
    assert paged["total"] == 1 and paged["items"][0]["code"] == refused["code"]
    assert client.get("/dossiers", headers=_as(client, "staff")).status_code == 403
    wrong = client.get("/dossiers", params={"timeliness": "soon"}, headers=lan)
    assert wrong.status_code == 422 and "timeliness" in wrong.text


def test_the_documents_an_officer_requests_are_what_the_citizen_sees(client):
    lan, minh = _as(client, "lan"), _as(client, "minh")
    code = client.post("/dossiers", json=_transfer(client, office="H55.801"), headers=lan).json()[
        "code"
    ]
    client.post(f"/dossiers/{code}/status", headers=lan,
                json={"to": "processing", "expected_version": 1})  # fmt: skip
    asked = client.post(
        f"/dossiers/{code}/document-requests",
        headers=lan,
        json={
            "documents": ["Ban goc giay chung nhan da cap", "Giấy xác nhận tình trạng hôn nhân"],
            "note": "bổ sung trong 5 ngày",
            "expected_version": 2,
        },
    )
    assert asked.status_code == 201, asked.text
    body = asked.json()
    assert body["status"] == "additional_documents_requested" and body["version"] == 3
    [request] = body["document_requests"]
    assert request["open"] and request["requested_by"] == "lan"
    assert [d["code"] for d in request["documents"]] == ["original_certificate", None]
    stale = client.post(
        f"/dossiers/{code}/document-requests", headers=minh,
        json={"documents": ["notarised_contract"], "expected_version": 2},
    )  # fmt: skip
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    verify = {"verify": client.holder["identity"][-4:]}
    seen = client.get(f"/public/dossiers/{code}", params=verify).json()
    assert seen["current_step"] == "Yêu cầu bổ sung giấy tờ"
    assert seen["missing_documents"] == [
        {"code": "original_certificate", "name_vi": "Bản gốc Giấy chứng nhận đã cấp",
         "name_en": "Original certificate"},
        {"code": None, "name_vi": "Giấy xác nhận tình trạng hôn nhân",
         "name_en": "Giấy xác nhận tình trạng hôn nhân"},
    ]  # fmt: skip
    # the province's day, which is already tomorrow after 17:00 UTC
    assert seen["requested_on"] == datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    resumed = client.post(f"/dossiers/{code}/status", headers=minh,
                          json={"to": "processing", "expected_version": 3})  # fmt: skip
    assert resumed.status_code == 200 and not resumed.json()["document_requests"][0]["open"]
    after = client.get(f"/public/dossiers/{code}", params=verify).json()
    assert after["missing_documents"] == [] and after["requested_on"] is None
    assert after["current_step"] == "Đang xử lý"


def test_documents_are_requested_only_within_limits(client):
    lan = _as(client, "lan")
    code = client.post("/dossiers", json=_transfer(client, office="H55.801"), headers=lan).json()[
        "code"
    ]
    for documents in ([], ["x" * 201], [f"giấy {n}" for n in range(21)]):
        answer = client.post(
            f"/dossiers/{code}/document-requests", headers=lan, json={"documents": documents}
        )
        assert answer.status_code == 422, documents
    # received, not yet processing: the lifecycle does not allow it
    early = client.post(
        f"/dossiers/{code}/document-requests", headers=lan, json={"documents": ["giấy a"]}
    )
    assert early.status_code == 409
    staff = client.post(
        f"/dossiers/{code}/document-requests", headers=_as(client, "staff"),
        json={"documents": ["giấy a"]},
    )  # fmt: skip
    assert staff.status_code == 403


def test_the_demo_prints_one_account_per_role_that_signs_in(postgis, capsys):
    from cli.main import DEMO_ACCOUNTS, _demo_accounts
    from landreg.services.accounts import authenticate

    _demo_accounts(postgis, 8000)
    printed = capsys.readouterr().out
    assert "/app/dang-nhap" in printed
    for username, role, _ in DEMO_ACCOUNTS:
        [row] = [line for line in printed.splitlines() if f" {username} " in line]
        password = row.split("│")[3].strip()
        with UnitOfWork(postgis) as uow:
            signed_in = authenticate(uow, username, password)
        assert signed_in is not None and signed_in.role is role
    assert {role for _, role, _ in DEMO_ACCOUNTS} == {
        Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF, Role.LEADER, Role.ADMINISTRATOR,
    }  # fmt: skip
