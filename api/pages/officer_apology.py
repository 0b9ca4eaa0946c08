"""The apology letter of a late dossier, for the officer to print and send
("Phiếu xin lỗi và hẹn lại ngày trả kết quả"), at ``/app/ho-so/{code}/thu-xin-loi``.

The letter is the one ``landreg dossiers stats`` lists: when the dossier's history records a
letter (a step or note saying "xin lỗi"), that letter as recorded (its date, the new return
date and reason its note gives, the note itself); otherwise the letter the statistics draft
for it (:func:`landreg.services.dossier_stats.dossier_stats`, read for the dossier's office and
procedure). Unlike the citizen's page, it names the applicant: officers may see it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import UowDep
from api.pages.officer import not_found, procedure_name
from api.pages.render import language, page
from api.pages.session import OfficerPage, csrf_of
from landreg.domain import reference
from landreg.domain.dossier import DossierRecord
from landreg.errors import LandRegError, NotFoundError
from landreg.services.dossier_stats import dossier_stats
from landreg.services.dossier_stats_types import ApologyNeed
from landreg.services.dossiers import dossier_record
from landreg.services.public_status import recorded_apology

router = APIRouter(include_in_schema=False)


@router.get("/app/ho-so/{code}/thu-xin-loi")
def apology_page(request: Request, code: str, uow: UowDep, officer: OfficerPage) -> Response:
    """The letter to print: recorded, drafted, or a note that the dossier needs none."""
    try:
        record = dossier_record(uow, code)
    except NotFoundError:
        return not_found(request, officer, code)
    need = _need(uow, record)
    return page(
        request, "officer_apology.html", officer=officer, csrf=csrf_of(request),
        code=record.dossier.code, letter=_letter(record, need, language(request)),
    )  # fmt: skip


def _need(uow: UowDep, record: DossierRecord) -> ApologyNeed | None:
    """The statistics' line for this dossier (None: it is neither late nor overdue, or its
    history cannot be read)."""
    dossier = record.dossier
    try:
        stats = dossier_stats(uow, office=dossier.office, procedure=dossier.procedure)
    except LandRegError:
        return None
    return next((need for need in stats.apologies if need.code == dossier.code), None)


def _office(code: str | None, drafted: str | None) -> tuple[str, str]:
    """The office's names (the offices table's, else as the letter writes it)."""
    known = reference.offices().get(code or "")
    if known is not None:
        return known.name_vi, known.name_en
    name = drafted or code or "Cơ quan tiếp nhận hồ sơ"
    return name, name


def _letter(record: DossierRecord, need: ApologyNeed | None, lang: str) -> dict[str, Any] | None:
    """What the letter says, or None when the dossier is not late and none was recorded."""
    dossier = record.dossier
    events = [(e.at, e.step, e.note) for e in record.history]
    recorded = recorded_apology(events)
    drafted = need.letter if need is not None else None
    office_vi, office_en = _office(dossier.office, drafted.office if drafted else None)
    common = {
        "office_vi": office_vi, "office_en": office_en, "code": dossier.code,
        "applicant": dossier.applicant_name or "người nộp hồ sơ",
        "procedure_vi": procedure_name(dossier.procedure, "vi"),
        "procedure_en": procedure_name(dossier.procedure, "en"),
        "received_on": dossier.received_at.date(),
        "due_on": need.due_date if need is not None else dossier.due_on,
        "working_days_late": need.working_days_late if need is not None else None,
        "lang": lang,
    }  # fmt: skip
    if recorded is not None:
        # The recorded letter's own note, which officers may read in full.
        note = next((n for at, s, n in reversed(events) if recorded_apology([(at, s, n)])), None)
        return {
            **common, "recorded": True, "issued_on": recorded.issued_on,
            "new_return_on": recorded.new_return_on, "reason_vi": recorded.reason_vi,
            "reason_en": recorded.reason_en, "note": note,
        }  # fmt: skip
    if drafted is None:
        return None
    return {
        **common, "recorded": False, "issued_on": drafted.issued_on,
        "new_return_on": drafted.new_return_date, "reason_vi": drafted.reason_vi,
        "reason_en": drafted.reason_en, "note": None, "due_on": drafted.due_date,
    }  # fmt: skip
