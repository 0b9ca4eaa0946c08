"""The registry officer's workbench at ``/app``: the dossier list, one dossier, the receipt.

Every page reads through the same services as the API (``search_dossiers``,
``dossier_record``, ``check_stored``, ``parcel_record``, ``receipt``); the forms that change a
dossier are in :mod:`api.pages.officer_actions`. Only a signed-in registry officer or an
administrator sees them (:mod:`api.pages.session`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import UowDep
from api.pages.render import language, page
from api.pages.session import OfficerPage, csrf_of
from landreg.domain import reference
from landreg.domain.dossier import HELD_LINKS, DossierRecord
from landreg.domain.dossier_clock import Timeliness
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.dossier_workflow import ALLOWED_TRANSITIONS, DossierStatus
from landreg.domain.intake import IntakeCheck
from landreg.domain.public_dossier import document_name as named_document
from landreg.domain.working_days import holiday_calendar
from landreg.errors import LandRegError, NotFoundError
from landreg.services.dossiers import (
    DossierPage,
    DossierQuery,
    DossierSummary,
    check_stored,
    dossier_record,
    receipt,
    search_dossiers,
)
from landreg.services.intake import plans_in
from landreg.services.parcel_record import parcel_record
from landreg.services.public_status import recorded_apology

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
MAX_QUERY = 120
# The deadline filter, as the page's address writes it → as the search takes it.
DEADLINE_FILTERS: dict[str, Literal["overdue", "at_risk"]] = {
    "qua_han": "overdue",
    "sap_den_han": "at_risk",
}
REQUESTED = DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED


# The deadline's classes in English (the Vietnamese are the portal's, Timeliness.label_vi).
TIMELINESS_EN = {
    Timeliness.EARLY: "Early", Timeliness.ON_TIME: "On time", Timeliness.LATE: "Late",
    Timeliness.ON_TRACK: "On track", Timeliness.AT_RISK: "At risk",
    Timeliness.OVERDUE: "Overdue", Timeliness.NOT_COUNTED: "Not counted",
}  # fmt: skip


def procedure_choices(lang: str = "vi") -> list[tuple[str, str]]:
    """(code, name in ``lang``) of every procedure, in alphabetical order of that name."""
    procedures = reference.procedures_config()["procedures"]
    return sorted(
        ((code, procedure_name(code, lang)) for code in procedures), key=lambda pair: pair[1]
    )


def office_choices(lang: str = "vi") -> list[tuple[str, str]]:
    """(code, name in ``lang``) of every office that receives dossiers."""
    return [
        (code, office.name_en if lang == "en" else office.name_vi)
        for code, office in sorted(reference.offices().items())
    ]


def document_name(item: str, lang: str = "vi") -> str:
    """A document's name in ``lang`` from the catalogue; free text as written."""
    named = named_document(item)
    return named.name_en if lang == "en" else named.name_vi


def procedure_documents(procedure: str, lang: str = "vi") -> list[tuple[str, str, bool]]:
    """(code, name in ``lang``, required) of the documents a procedure asks for."""
    entry = reference.procedures_config()["procedures"].get(procedure, {})
    required = [(code, document_name(code, lang), True) for code in entry.get("documents", [])]
    optional = [
        (code, document_name(code, lang), False) for code in entry.get("optional_documents", [])
    ]
    return required + optional


def procedure_name(code: str, lang: str = "vi") -> str:
    """The procedure's name in ``lang`` (its code when the table does not know it)."""
    entry = reference.procedures_config()["procedures"].get(code, {})
    return str(entry.get("name_en" if lang == "en" else "name_vi", code))


def status_label(status: str, lang: str = "vi") -> str:
    """The portal's wording of a status, in ``lang``."""
    try:
        parsed = DossierStatus.parse(status)
    except LandRegError:
        return status
    return parsed.label_en if lang == "en" else parsed.label_vi


def local_now() -> datetime:
    """The time in Viet Nam (Asia/Ho_Chi_Minh, UTC+7), without its zone as dossiers keep it."""
    return datetime.now(LOCAL_TIME).replace(tzinfo=None)


def _page_number(text: str | None) -> int:
    try:
        return max(1, min(int(text or 1), 10_000))
    except ValueError:
        return 1


def _chosen(value: str | None, allowed: set[str]) -> str | None:
    return value if value in allowed else None


@router.get("/app")
def dossier_list(
    request: Request,
    uow: UowDep,
    officer: OfficerPage,
    q: str | None = None,
    trang_thai: str | None = None,
    thu_tuc: str | None = None,
    don_vi: str | None = None,
    han: str | None = None,
    trang: str | None = None,
) -> Response:
    """The dossiers, searched (code, applicant, parcel key, certificate serial) and filtered
    (status, procedure, office, overdue / at risk), a page at a time."""
    query = DossierQuery(
        text=(q or "").strip()[:MAX_QUERY] or None,
        status=_chosen(trang_thai, {s.value for s in DossierStatus}),
        procedure=_chosen(thu_tuc, {code for code, _ in procedure_choices()}),
        office=_chosen(don_vi, {code for code, _ in office_choices()}),
        timeliness=DEADLINE_FILTERS.get(han or ""),
    )
    number = _page_number(trang)
    lang = language(request)
    error = None
    try:
        found = search_dossiers(uow, query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    except LandRegError as refused:  # the search refused the text: said, with an empty list
        found, error = DossierPage([], 0), (refused.detail_in("vi"), refused.detail)
    shown = {"q": query.text, "trang_thai": query.status, "thu_tuc": query.procedure,
             "don_vi": query.office, "han": han if query.timeliness else None}  # fmt: skip
    return page(
        request, "officer_list.html", officer=officer, csrf=csrf_of(request), error=error,
        rows=[_row(item, lang) for item in found.items], total=found.total, page_number=number,
        pages=max(1, -(-found.total // PAGE_SIZE)), shown=shown, link=_list_link(shown),
        statuses=[(s.value, s.label_en if lang == "en" else s.label_vi) for s in DossierStatus],
        procedures=procedure_choices(lang), offices=office_choices(lang),
    )  # fmt: skip


def _list_link(shown: dict[str, str | None]) -> dict[str, str]:
    """The list's address for the previous and next page, keeping the search and filters."""
    kept = {k: v for k, v in shown.items() if v}
    return {"base": "/app?" + urlencode(kept) + ("&" if kept else "")}


def _row(item: DossierSummary, lang: str = "vi") -> dict[str, Any]:
    english = lang == "en"
    return {
        "code": item.code,
        "procedure": procedure_name(item.procedure, lang)
        if english or not item.procedure_name_vi
        else item.procedure_name_vi,
        "status": status_label(item.status, lang)
        if english or not item.status_label_vi
        else item.status_label_vi,
        "applicant": item.applicant_name,
        "office": item.office,
        "received_at": item.received_at,
        "due_on": item.due_on,
        "timeliness": _timeliness_label(item.timeliness, lang),
        "timeliness_kind": str(item.timeliness) if item.timeliness else None,
    }


def _timeliness_label(kind: object, lang: str = "vi") -> str | None:
    if kind is None:
        return None
    try:
        known = Timeliness(str(kind))
    except ValueError:
        return str(kind)
    return TIMELINESS_EN[known] if lang == "en" else known.label_vi


@dataclass(frozen=True, slots=True)
class Clock:
    """The deadline as the officer reads it: due date, working days left, late or not."""

    due_on: date | None
    timeliness: str | None
    kind: str | None
    days_left: int | None

    @property
    def late(self) -> bool:
        """True once the due date has passed for an open dossier."""
        return self.kind == Timeliness.OVERDUE.value


def _clock(summary: DossierSummary | None, today: date, lang: str = "vi") -> Clock:
    if summary is None:
        return Clock(None, None, None, None)
    left = None
    if summary.due_on is not None:
        try:
            left = holiday_calendar().working_days_between(today, summary.due_on)
        except LandRegError:  # a date outside the holiday calendar: no count, the date shows
            left = None
    kind = str(summary.timeliness) if summary.timeliness else None
    return Clock(summary.due_on, _timeliness_label(summary.timeliness, lang), kind, left)


def _summary(uow: UowDep, code: str) -> DossierSummary | None:
    found = search_dossiers(uow, DossierQuery(text=code), limit=5, offset=0)
    return next((item for item in found.items if item.code == code), None)


def _other_open(uow: UowDep, parcel_key: str, code: str) -> list[DossierSummary]:
    found = search_dossiers(uow, DossierQuery(text=parcel_key), limit=50, offset=0)
    return [
        item
        for item in found.items
        if item.code != code and DossierStatus.parse(item.status).is_open
    ]


def _check(uow: UowDep, request: Request, code: str) -> tuple[IntakeCheck | None, str | None]:
    """The pre-check as at receipt; for a dossier it cannot be run on (an imported one with
    values the check refuses), why not."""
    plans = plans_in(request.app.state.settings.cadastre.planning_dir)
    try:
        return check_stored(uow, code, planning=plans), None
    except NotFoundError:
        raise
    except LandRegError as error:
        return None, error.detail


def dossier_view(uow: UowDep, request: Request, code: str) -> dict[str, Any]:
    """Everything the dossier page shows, from the services the API uses, its names in the
    page's language."""
    lang = language(request)
    record = dossier_record(uow, code)
    dossier = record.dossier
    check, check_error = _check(uow, request, dossier.code)
    held = next((link for link in record.links if link.status in HELD_LINKS), None)
    parcel = parcel_record(uow, held.parcel_id) if held is not None else None
    others = _other_open(uow, held.parcel_key, dossier.code) if held is not None else []
    status = DossierStatus.parse(dossier.status)
    moves = sorted(ALLOWED_TRANSITIONS[status] - {REQUESTED}, key=lambda s: s.portal_code)
    return {
        "record": record,
        "dossier": dossier,
        "procedure_name": procedure_name(dossier.procedure, lang),
        "status_label": status.label_en if lang == "en" else status.label_vi,
        "check": _check_items(check),
        "check_error": check_error,
        "held": held,
        "review": [link for link in record.links if link.status == "review"],
        "parcel": parcel,
        "others": [_row(item, lang) for item in others],
        "clock": _clock(_summary(uow, dossier.code), local_now().date(), lang),
        "history": _history(record, lang),
        "apology": recorded_apology((e.at, e.step, e.note) for e in record.history),
        "documents": [document_name(d, lang) for d in record.documents],
        "requested_names": [[document_name(i, lang) for i in r.items] for r in record.requests],
        "moves": [(s.value, s.label_en if lang == "en" else s.label_vi) for s in moves],
        "may_request": REQUESTED in ALLOWED_TRANSITIONS[status],
        "requestable": procedure_documents(dossier.procedure, lang),
    }


def _check_items(check: IntakeCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    items = []
    for item in check.items:
        vi, en = item.messages()
        items.append({"code": item.code, "blocks": item.severity.value == "blocks", "vi": vi,
                      "en": en})  # fmt: skip
    return {"blocked": check.blocked, "items": items, "due_on": check.due_on,
            "parcel_key": check.parcel_key}  # fmt: skip


def _history(record: DossierRecord, lang: str = "vi") -> list[dict[str, Any]]:
    return [
        {
            "at": event.at,
            "actor": event.actor,
            "before": status_label(event.from_status, lang) if event.from_status else None,
            "after": status_label(event.to_status, lang),
            "note": event.note,
        }
        for event in record.history
    ]


def render_dossier(
    request: Request,
    uow: UowDep,
    officer: object,
    code: str,
    *,
    message: tuple[str, str] | None = None,
    error: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The dossier page, with a message (a change done) or an error (a change refused)."""
    try:
        view = dossier_view(uow, request, code)
    except NotFoundError:
        return not_found(request, officer, code)
    response = page(
        request, "officer_dossier.html", officer=officer, csrf=csrf_of(request), message=message,
        error=error, **view,
    )  # fmt: skip
    response.status_code = status_code
    return response


def not_found(request: Request, officer: object, code: str) -> Response:
    """The page for a dossier code the register does not have."""
    response = page(
        request, "officer_not_found.html", officer=officer, csrf=csrf_of(request), code=code
    )
    response.status_code = 404
    return response


# What a finished change says on the page it leads back to (?da=...).
DONE_MESSAGES = {
    "tiep_nhan": ("Đã tiếp nhận hồ sơ.", "The dossier was received."),
    "khong_tiep_nhan": (
        "Đã ghi nhận hồ sơ không tiếp nhận, kèm lý do.",
        "The dossier was recorded as not received, with the reasons.",
    ),
    "trang_thai": ("Đã chuyển trạng thái hồ sơ.", "The dossier's status was changed."),
    "bo_sung": (
        "Đã gửi yêu cầu bổ sung giấy tờ; công dân sẽ thấy danh sách này khi tra cứu.",
        "The document request was sent; the citizen sees this list when looking the dossier up.",
    ),
    "xac_nhan": ("Đã xác nhận thửa đất của hồ sơ.", "The dossier's parcel was confirmed."),
    "tu_choi": ("Đã loại thửa đất đề xuất.", "The candidate parcel was rejected."),
}


@router.get("/app/ho-so/{code}")
def dossier_page(
    request: Request, code: str, uow: UowDep, officer: OfficerPage, da: str | None = None
) -> Response:
    """One dossier: pre-check, parcel record, link review, deadline clock, history, actions."""
    return render_dossier(request, uow, officer, code, message=DONE_MESSAGES.get(da or ""))


@router.get("/app/ho-so/{code}/bien-nhan")
def receipt_page(request: Request, code: str, uow: UowDep, officer: OfficerPage) -> Response:
    """The receipt to print and hand to the citizen, with the QR code of the lookup page."""
    try:
        made = receipt(uow, code)
    except NotFoundError:
        return not_found(request, officer, code)
    lookup = str(request.base_url).rstrip("/") + made.lookup_url_path
    office = reference.offices().get(made.office or "")
    english = language(request) == "en"
    return page(
        request, "officer_receipt.html", officer=officer, csrf=csrf_of(request), receipt=made,
        lookup_url=lookup, qr_svg=qr_svg(lookup),
        office_name=(office.name_en if english else office.name_vi)
        if office
        else (made.office or ""),
    )  # fmt: skip


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an inline SVG image (segno), labelled for screen readers."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=4, border=2, title="Mã QR tra cứu hồ sơ / QR code of the dossier lookup",
        svgclass="qr", lineclass="qr-line",
    )  # fmt: skip
    return str(svg).replace("<svg ", '<svg role="img" aria-label="Mã QR tra cứu hồ sơ" ', 1)
