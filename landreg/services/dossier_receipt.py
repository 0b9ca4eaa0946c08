"""The receipt of a dossier ("giấy tiếp nhận hồ sơ và hẹn trả kết quả"): what the printed slip
the citizen takes home says, without rendering it (the officer's page prints it, with a QR code
of :attr:`Receipt.lookup_url_path`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from landreg.domain import reference
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.public_dossier import VERIFY_DIGITS, DocumentName, document_names
from landreg.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a printed receipt ("giấy tiếp nhận hồ sơ và hẹn trả kết quả") says: no rendering.

    ``lookup_url_path`` opens the citizen's page with the code filled in (for the QR code);
    the verification hint tells the citizen what to type there, never the digits.
    """

    code: str
    status: str
    status_label_vi: str
    status_label_en: str
    procedure: str
    procedure_name_vi: str
    procedure_name_en: str
    office: str | None
    applicant_name: str | None
    received_at: datetime
    due_on: date | None
    documents: tuple[DocumentName, ...]
    verification_hint: str
    verification_hint_en: str
    lookup_url_path: str


def receipt(uow: UnitOfWork, code: str) -> Receipt:
    """The receipt of the dossier ``code``: procedure, receipt time, due date, the documents
    received (by name), how to look it up."""
    dossier = uow.dossiers.get(str(code).strip().upper())
    procedure = reference.procedures_config()["procedures"].get(dossier.procedure, {})
    status = DossierStatus.parse(dossier.status)
    return Receipt(
        code=dossier.code, status=status.value, status_label_vi=status.label_vi,
        status_label_en=status.label_en, procedure=dossier.procedure,
        procedure_name_vi=procedure.get("name_vi", dossier.procedure),
        procedure_name_en=procedure.get("name_en", dossier.procedure), office=dossier.office,
        applicant_name=dossier.applicant_name, received_at=dossier.received_at,
        due_on=dossier.due_on, documents=document_names(uow.dossiers.documents(dossier.id)),
        verification_hint=(
            f"Tra cứu tại trang Tra cứu hồ sơ: nhập mã hồ sơ và {VERIFY_DIGITS} số cuối số "
            "CCCD/CMND hoặc số điện thoại của người nộp hồ sơ"
        ),
        verification_hint_en=(
            f"Look it up on the dossier status page: the code and the last {VERIFY_DIGITS} "
            "digits of the applicant's identity number or phone"
        ),
        lookup_url_path=f"/tra-cuu?ma={quote(dossier.code)}",
    )  # fmt: skip
