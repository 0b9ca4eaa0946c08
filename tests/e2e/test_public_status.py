"""A citizen's dossier status through the API on PostGIS: the right code and verification give
the status and nothing about any person; a wrong verification is an unknown code, byte for
byte; lookups are rate-limited per client; missing documents and overdue are computed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.public import LOOKUPS_PER_MINUTE
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.services.dossiers import request_documents
from landreg.settings import ApiSettings, Settings
from landreg.store.tables import DossierDocumentRow, DossierEventRow, DossierRow
from landreg.store.unit_of_work import UnitOfWork

LATE = "H55.703-240104-0001"  # transfer received 4 January 2024, still processing
FRESH = "H55.703-240104-0002"  # received an hour ago
NOBODY = "H55.703-240104-0999"  # same length as LATE, no such dossier
NAME, IDENTITY, PHONE = "Nguyễn Thị Hoa", "072090123456", "0912345678"


def _dossier(uow, code, received_at, statuses, documents, **row):
    dossier = DossierRow(
        code=code, procedure="transfer", status=statuses[-1][1], office="H55.703",
        applicant_name=NAME, applicant_identity=IDENTITY, applicant_phone=PHONE,
        declared_commune="Phường Long An", declared_map_sheet="12",
        declared_parcel_number="345", received_at=received_at, source_name="counter",
        source_key=code, version=1, **row,
    )  # fmt: skip
    uow.session.add(dossier)
    uow.session.flush()
    previous = None
    for at, to, step in statuses:
        uow.session.add(
            DossierEventRow(
                dossier_id=dossier.id, at=at, actor="lan", from_status=previous, to_status=to,
                step=step, note=f"gọi cho {NAME} ({PHONE})",
            )
        )  # fmt: skip
        previous = to
    for document in documents:
        uow.session.add(DossierDocumentRow(dossier_id=dossier.id, document_code=document))


@pytest.fixture
def client(postgis):
    received = datetime(2024, 1, 4, 9, 30)
    now = datetime.now(LOCAL_TIME).replace(tzinfo=None, microsecond=0)
    with UnitOfWork(postgis) as uow:
        _dossier(
            uow, LATE, received,
            [
                (received, "new", "Nộp hồ sơ"),
                (received + timedelta(minutes=10), "received", "Bộ phận một cửa tiếp nhận"),
                (received + timedelta(minutes=20), "processing",
                 "Chuyển Chi nhánh Văn phòng đăng ký đất đai"),
            ],
            ["application_form_18"], due_on=datetime(2024, 1, 16).date(),
        )  # fmt: skip
        _dossier(
            uow, FRESH, now - timedelta(hours=1),
            [(now - timedelta(hours=1), "new", None),
             (now - timedelta(minutes=50), "received", None)],
            ["application_form_18", "notarised_contract", "original_certificate"],
        )  # fmt: skip
        uow.commit()
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        yield c


def _look(client, code, verify):
    return client.get(f"/public/dossiers/{code}", params={"verify": verify})


def test_the_right_verification_gives_the_status_and_nothing_about_any_person(client, caplog):
    caplog.set_level(logging.DEBUG)
    answer = _look(client, LATE, IDENTITY[-4:])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == {
        "code": "processing", "portal_code": 4, "label_vi": "Đang xử lý", "label_en": "Processing",
    }  # fmt: skip
    assert body["current_step"] == "Chuyển Chi nhánh Văn phòng đăng ký đất đai"
    assert body["procedure"] == {
        "code": "transfer",
        "name_vi": "Chuyển nhượng quyền sử dụng đất",
        "name_en": "Transfer of land-use right",
    }
    assert body["office"] == "H55.703" and body["received_at"] == "2024-01-04T09:30:00+07:00"
    assert body["due_on"] == "2024-01-16"  # 8 working days from Thursday 4 January 2024
    assert body["overdue"] is True and body["timeliness"] == "overdue"
    assert body["missing_documents"] == [
        {"code": "notarised_contract", "name_vi": "Hợp đồng đã công chứng, chứng thực",
         "name_en": "Notarised contract"},
        {"code": "original_certificate", "name_vi": "Bản gốc Giấy chứng nhận đã cấp",
         "name_en": "Original certificate"},
    ]  # fmt: skip
    assert body["requested_on"] is None  # nobody asked: the procedure's list
    text = answer.text
    for personal in (NAME, IDENTITY, PHONE, IDENTITY[-4:], PHONE[-4:], "345"):
        assert personal not in text, personal
    server_log = "\n".join(  # the test's own HTTP client logs the URL it calls; the server not
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert IDENTITY[-4:] not in server_log and PHONE[-4:] not in server_log
    assert set(body) == {
        "code", "status", "current_step", "procedure", "office", "received_at", "due_on",
        "overdue", "timeliness", "processed_on", "returned_on", "missing_documents",
        "requested_on", "national_ids",
    }  # fmt: skip


def test_the_phone_verifies_too_and_a_fresh_dossier_is_not_overdue(client):
    body = _look(client, FRESH.lower(), PHONE[-4:]).json()
    assert body["code"] == FRESH and body["status"]["code"] == "received"
    assert body["current_step"] == "Đã tiếp nhận"  # no step recorded: the status
    assert body["overdue"] is False and body["timeliness"] in ("on_track", "at_risk")
    assert body["due_on"] > datetime.now().date().isoformat()
    assert body["missing_documents"] == []


def test_a_wrong_verification_is_an_unknown_code_byte_for_byte(client):
    wrong = _look(client, LATE, "0000")
    unknown = _look(client, NOBODY, IDENTITY[-4:])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.content.replace(LATE.encode(), b"CODE") == unknown.content.replace(
        NOBODY.encode(), b"CODE"
    )
    assert dict(wrong.headers) == dict(unknown.headers)
    assert wrong.json()["instance"] == f"/public/dossiers/{LATE}"
    assert LATE not in wrong.json()["detail"]


def test_a_malformed_verification_is_refused_without_echoing_it(client):
    for verify in ("072090123456", "12a4"):
        answer = _look(client, LATE, verify)
        assert answer.status_code == 422
        assert verify not in answer.text
        assert answer.json()["errors"][0]["field"] == "verify"
    missing = client.get(f"/public/dossiers/{LATE}")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "verify"


def test_lookups_are_rate_limited_per_client(client):
    for _ in range(LOOKUPS_PER_MINUTE):
        assert _look(client, NOBODY, "1234").status_code == 404
    refused = _look(client, LATE, IDENTITY[-4:])  # even the right answer waits
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["status"] == 429 and refused.json()["title"] == "Quá nhiều yêu cầu"


def test_a_province_can_lift_the_limit_for_a_trusted_portal(postgis):
    """``LANDREG_PUBLIC_LOOKUPS_PER_MINUTE=0``: no limit (a portal behind one address)."""
    settings = Settings(api=ApiSettings(public_lookups_per_minute=0))
    with TestClient(create_app(settings, database=postgis), raise_server_exceptions=False) as c:
        answers = {_look(c, NOBODY, "1234").status_code for _ in range(LOOKUPS_PER_MINUTE + 5)}
    assert answers == {404}


def test_a_dossier_waiting_for_documents_says_so_and_lists_exactly_them(client, postgis):
    """The officer's request is the truth the citizen reads: the step is the request, not
    the older step recorded before it, and the list is the request's, not the procedure's."""
    with UnitOfWork(postgis) as uow:
        request_documents(
            uow, LATE, ["Hợp đồng đã công chứng, chứng thực", "Trích lục khai tử (bản sao)"],
            note=f"gọi {NAME}", actor="lan", expected_version=1,
            at=datetime(2024, 1, 9, 14, 0),
        )  # fmt: skip
    body = _look(client, LATE, IDENTITY[-4:]).json()
    assert body["status"]["code"] == "additional_documents_requested"
    assert body["current_step"] == "Yêu cầu bổ sung giấy tờ"
    assert [(d["code"], d["name_vi"]) for d in body["missing_documents"]] == [
        ("notarised_contract", "Hợp đồng đã công chứng, chứng thực"),
        (None, "Trích lục khai tử (bản sao)"),
    ]
    assert body["requested_on"] == "2024-01-09"
    assert body["overdue"] is False  # the clock stopped on the 9th, before the due date
    assert NAME not in _look(client, LATE, IDENTITY[-4:]).text
