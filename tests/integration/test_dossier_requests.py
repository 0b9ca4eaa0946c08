"""An officer asks for documents, on PostGIS and SpatiaLite: the request names them (from the
catalogue or in free text), the dossier waits, the citizen's status says so truthfully
(current step, exactly those documents, the day asked) through both implementations of the
status read; a stale version or a status the lifecycle does not allow it from is refused with
nothing stored; resuming processing closes it. And the receipt the counter prints.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from landreg.domain.dossier_workflow import TransitionNotAllowedError
from landreg.errors import ConflictError, ValidationError
from landreg.services.dossiers import (
    change_status,
    dossier_record,
    receipt,
    request_documents,
)
from landreg.services.public_status import public_dossier_status
from landreg.store.reads.factory import reads_for
from landreg.store.tables import AuditRow, DossierDocumentRow, DossierEventRow, DossierRow
from landreg.store.unit_of_work import UnitOfWork

CODE = "KG1.07-250303-00012"
RECEIVED = datetime(2025, 3, 3, 8, 15)
PHONE = "+84 913 555 018"
ASKED = datetime(2025, 3, 5, 10, 0)


@pytest.fixture
def dossier(register_db):
    """A subdivision, received with its form only, now processing (version 1)."""
    with UnitOfWork(register_db) as uow:
        row = DossierRow(
            code=CODE, procedure="subdivision", status="processing", office="KG1.07",
            applicant_name="Hứa Văn Tài", applicant_phone=PHONE, received_at=RECEIVED,
            due_on=None, source_name="counter", source_key=CODE, version=1,
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
        uow.session.add(DossierDocumentRow(dossier_id=row.id, document_code="application_form_21"))
        for n, (status, step) in enumerate(
            [("new", "Nộp hồ sơ"), ("received", "intake"),
             ("processing", "Chuyển Chi nhánh Văn phòng đăng ký đất đai")]
        ):  # fmt: skip
            uow.session.add(
                DossierEventRow(
                    dossier_id=row.id, at=RECEIVED + timedelta(minutes=n), to_status=status,
                    step=step, actor="tn02",
                )
            )  # fmt: skip
        uow.commit()
    return register_db


def _status(database):
    """The citizen's answer through the reads the server would choose (the one statement on
    PostGIS, the ORM on SpatiaLite)."""
    reads = reads_for(database, size=1, timeout=5)

    async def look():
        await reads.open()
        try:
            return await public_dossier_status(reads.status, CODE.lower(), "5018")
        finally:
            await reads.close()

    return asyncio.run(look())


def _ask(database, documents, *, version=1, note=None, at=ASKED):
    with UnitOfWork(database) as uow:
        return request_documents(
            uow, CODE, documents, note=note, actor="tn02", expected_version=version, at=at
        )


def test_before_any_request_the_citizen_sees_the_procedures_missing_documents(dossier):
    answer = _status(dossier)
    assert answer.current_step == "Chuyển Chi nhánh Văn phòng đăng ký đất đai"
    assert [d.code for d in answer.missing_documents] == [
        "subdivision_plan", "original_certificate",
    ]  # fmt: skip
    assert answer.missing_documents[0].name_vi == "Bản vẽ tách thửa, hợp thửa"
    assert answer.requested_on is None


def test_the_citizen_sees_exactly_the_documents_requested(dossier):
    changed = _ask(
        dossier,
        ["bản gốc giấy chứng nhận đã cấp", "Giấy ủy quyền có công chứng", "original_certificate"],
        note="thiếu bản gốc",
    )
    assert changed.status == "additional_documents_requested" and changed.version == 2
    answer = _status(dossier)
    assert answer.status.value == "additional_documents_requested"
    assert answer.current_step == "Yêu cầu bổ sung giấy tờ"
    assert [(d.code, d.name_vi) for d in answer.missing_documents] == [
        ("original_certificate", "Bản gốc Giấy chứng nhận đã cấp"),
        (None, "Giấy ủy quyền có công chứng"),
    ]
    assert answer.requested_on == ASKED.date()
    with UnitOfWork(dossier) as uow:
        record = dossier_record(uow, CODE)
        actor, after = uow.session.execute(
            select(AuditRow.actor, AuditRow.after).where(AuditRow.action == "request_documents")
        ).one()
    assert record.open_request is not None
    assert record.open_request.items == ("original_certificate", "Giấy ủy quyền có công chứng")
    assert record.open_request.note == "thiếu bản gốc"
    assert record.history[-1].step == "Yêu cầu bổ sung giấy tờ"
    assert actor == "tn02" and after["version"] == 2
    assert after["items"] == list(record.open_request.items)


def test_a_stale_version_or_a_wrong_status_stores_nothing(dossier):
    with pytest.raises(ConflictError) as caught:
        _ask(dossier, ["subdivision_plan"], version=7)
    assert caught.value.field == "expected_version" and "tải lại" in caught.value.detail_vi
    _ask(dossier, ["subdivision_plan"])
    with pytest.raises(TransitionNotAllowedError):  # already waiting
        _ask(dossier, ["original_certificate"], version=2)
    with UnitOfWork(dossier) as uow:
        record = dossier_record(uow, CODE)
    assert record.dossier.version == 2 and len(record.requests) == 1
    assert [d.code for d in _status(dossier).missing_documents] == ["subdivision_plan"]


@pytest.mark.parametrize("documents", [[], ["   "], [f"giấy tờ số {n}" for n in range(21)]])
def test_a_request_names_one_to_twenty_documents(dossier, documents):
    with pytest.raises(ValidationError) as caught:
        _ask(dossier, documents)
    assert caught.value.field == "documents"


def test_resuming_processing_closes_the_request(dossier):
    _ask(dossier, ["subdivision_plan", "Sơ đồ vị trí thửa đất"])
    with UnitOfWork(dossier) as uow:
        record = change_status(
            uow, CODE, "processing", actor="tn02", expected_version=2,
            at=ASKED + timedelta(days=2),
        )  # fmt: skip
    assert record.open_request is None and record.requests[0].closed_at is not None
    assert "subdivision_plan" in record.documents  # brought: recorded as handed in
    answer = _status(dossier)
    assert answer.current_step == "Đang xử lý" and answer.requested_on is None
    assert [d.code for d in answer.missing_documents] == ["original_certificate"]


def test_waiting_for_the_tax_instead_keeps_the_request_open(dossier):
    _ask(dossier, ["subdivision_plan"])
    with UnitOfWork(dossier) as uow:
        change_status(
            uow, CODE, "financial_obligation_required", actor="tn02", expected_version=2,
            at=ASKED + timedelta(hours=3),
        )  # fmt: skip
    answer = _status(dossier)
    assert answer.status.value == "financial_obligation_required"
    assert answer.current_step == "Chờ thực hiện nghĩa vụ tài chính"  # not an older step
    assert [d.code for d in answer.missing_documents] == ["subdivision_plan"]


def test_the_receipt_has_what_the_printed_slip_needs(dossier):
    with UnitOfWork(dossier) as uow:
        slip = receipt(uow, f" {CODE.lower()} ")
    assert slip.code == CODE and slip.procedure_name_vi == "Tách thửa đất"
    assert [d.name_vi for d in slip.documents] == ["Đơn đề nghị tách thửa, hợp thửa (Mẫu số 21)"]
    assert slip.lookup_url_path == f"/tra-cuu?ma={CODE}"
    assert slip.received_at == RECEIVED and slip.applicant_name == "Hứa Văn Tài"
    assert "4 số cuối" in slip.verification_hint and PHONE[-4:] not in slip.verification_hint
