"""The workbench's forms that change a dossier: receive one (after its pre-check), move its
status, request documents, decide on its parcel link.

Each form carries the session's form token (:func:`api.pages.session.checked_form`) and calls
the service the API calls; a refusal is shown on the page in Vietnamese with English beside,
never as JSON. A change that succeeded leads back to the dossier page (post/redirect/get).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError as InputError

from api.deps import UowDep
from api.pages.officer import (
    local_now,
    not_found,
    office_choices,
    procedure_choices,
    procedure_documents,
    render_dossier,
)
from api.pages.render import language, page
from api.pages.session import CheckedForm, OfficerPage, csrf_of
from api.routes.dossiers import ReceiveIn
from landreg.domain.access import Principal
from landreg.domain.intake import IntakeCheck
from landreg.errors import ConflictError, LandRegError, NotFoundError
from landreg.services.dossier_links import confirm_link, reject_link
from landreg.services.dossiers import change_status, receive_dossier, request_documents
from landreg.services.intake import check_application, plans_in

router = APIRouter(include_in_schema=False)

STALE = (
    "Hồ sơ vừa được người khác thay đổi; hãy tải lại trang",
    "someone changed this dossier; reload",
)
# The receive form's fields, in the order the page asks for them, with their Vietnamese labels.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "procedure": ("Thủ tục", "Procedure"),
    "office": ("Nơi tiếp nhận", "Office"),
    "received_at": ("Thời điểm tiếp nhận", "Received at"),
    "applicant_name": ("Họ tên người nộp", "Applicant's name"),
    "applicant_identity": ("Số CCCD/CMND", "Identity number"),
    "applicant_previous_identity": ("Số CMND cũ", "Previous identity number"),
    "applicant_phone": ("Số điện thoại", "Phone"),
    "commune": ("Xã, phường", "Commune"),
    "map_sheet": ("Số tờ bản đồ", "Map sheet"),
    "parcel_number": ("Số thửa", "Parcel number"),
    "serial": ("Số phát hành Giấy chứng nhận", "Certificate serial"),
    "declared_area": ("Diện tích kê khai (m²)", "Declared area (m²)"),
    "declared_land_use": ("Loại đất kê khai", "Declared land use"),
    "requested_land_use": ("Loại đất xin chuyển", "Requested land use"),
    "documents": ("Giấy tờ đã nhận", "Documents received"),
    "code": ("Mã hồ sơ", "Dossier code"),
}
TEXT_FIELDS = [name for name in FIELD_LABELS if name not in {"documents", "code"}]


def _error_text(error: LandRegError) -> tuple[str, str]:
    """A service's refusal as one Vietnamese line with the English detail beside."""
    if error.detail_vi:
        return error.detail_vi, error.detail
    label = FIELD_LABELS.get(error.field or "", (error.field or "", ""))[0]
    if isinstance(error, NotFoundError):
        return "Không tìm thấy dữ liệu được yêu cầu", error.detail
    if isinstance(error, ConflictError):
        return "Thay đổi không thực hiện được với trạng thái hiện tại của hồ sơ", error.detail
    if label:
        return f"Giá trị của «{label}» không được chấp nhận", error.detail
    return error.title_vi, error.detail


def _redirect(code: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/app/ho-so/{code}?da={done}", 303)


# --- receiving a dossier -------------------------------------------------------------------


def _blank_form(procedure: str | None) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
    values["procedure"] = procedure or ""
    values["received_at"] = local_now().strftime("%Y-%m-%dT%H:%M")
    values["documents"] = []
    return values


def _receive_page(
    request: Request,
    officer: Principal,
    values: dict[str, Any],
    *,
    check: IntakeCheck | None = None,
    errors: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    lang = language(request)
    known = {code for code, _ in procedure_choices()}
    chosen = values.get("procedure") if values.get("procedure") in known else None
    checklists = {code: procedure_documents(code, lang) for code in known}
    response = page(
        request, "officer_receive.html", officer=officer, csrf=csrf_of(request), values=values,
        procedures=procedure_choices(lang), offices=office_choices(lang), chosen=chosen,
        checklist=procedure_documents(chosen, lang) if chosen else [], checklists=checklists,
        check=_shown_check(check), errors=errors or [], labels=FIELD_LABELS,
    )  # fmt: skip
    response.status_code = status_code
    return response


def _shown_check(check: IntakeCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    items = []
    for item in check.items:
        vi, en = item.messages()
        items.append({"blocks": item.severity.value == "blocks", "vi": vi, "en": en})
    return {"blocked": check.blocked, "items": items, "due_on": check.due_on,
            "parcel_key": check.parcel_key}  # fmt: skip


@router.get("/app/ho-so/moi")
def receive_form(request: Request, officer: OfficerPage, thu_tuc: str | None = None) -> Response:
    """The counter's form; choosing a procedure (without JavaScript: the "Chọn" button) shows
    the documents it asks for."""
    return _receive_page(request, officer, _blank_form(thu_tuc))


def _application(values: dict[str, Any]) -> tuple[ReceiveIn | None, list[tuple[str, str]]]:
    """The form's values checked as the API checks a receipt; the problems in Vietnamese."""
    data: dict[str, Any] = {k: (v.strip() or None) for k, v in values.items() if k in TEXT_FIELDS}
    data["documents"] = values["documents"]
    data = {k: v for k, v in data.items() if v is not None}
    try:
        return ReceiveIn(**data), []
    except InputError as error:
        return None, [_input_problem(item) for item in error.errors()]


# What a field must look like, where the form's rule is not plain from its label.
FIELD_FORMS: dict[str, tuple[str, str]] = {
    "applicant_identity": ("9 hoặc 12 chữ số", "9 or 12 digits"),
    "applicant_previous_identity": ("9 hoặc 12 chữ số", "9 or 12 digits"),
    "applicant_phone": ("9 đến 12 chữ số, có thể có dấu + ở đầu", "9 to 12 digits, + first"),
    "office": ("một nơi tiếp nhận trong danh sách", "an office of the list"),
    "received_at": ("ngày và giờ, ví dụ 05/12/2026 09:30", "a date and time like 2026-12-05 09:30"),
    "declared_area": ("một số lớn hơn 0, ví dụ 152.5", "a number above 0, like 152.5"),
    "code": ("dạng H55.703-240104-0001", "like H55.703-240104-0001"),
}


def _input_problem(item: Any) -> tuple[str, str]:
    """One refused field of the form, in Vietnamese with English beside (no pattern, no URL)."""
    field = str(item["loc"][0]) if item.get("loc") else ""
    label_vi, label_en = FIELD_LABELS.get(field, (field, field))
    if item.get("type") == "missing":
        return f"Hãy điền «{label_vi}»", f"{label_en} is required"
    form_vi, form_en = FIELD_FORMS.get(field, ("giá trị hợp lệ", "a valid value"))
    return f"«{label_vi}» chưa đúng: cần {form_vi}", f"{label_en} must be {form_en}"


@router.post("/app/ho-so/moi", dependencies=[CheckedForm])
def receive(
    request: Request,
    uow: UowDep,
    officer: OfficerPage,
    documents: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    action: Annotated[str, Form()] = "kiem_tra",
    confirm_not_received: Annotated[str, Form()] = "",
    procedure: Annotated[str, Form(max_length=80)] = "",
    office: Annotated[str, Form(max_length=40)] = "",
    received_at: Annotated[str, Form(max_length=40)] = "",
    applicant_name: Annotated[str, Form(max_length=200)] = "",
    applicant_identity: Annotated[str, Form(max_length=40)] = "",
    applicant_previous_identity: Annotated[str, Form(max_length=40)] = "",
    applicant_phone: Annotated[str, Form(max_length=40)] = "",
    commune: Annotated[str, Form(max_length=200)] = "",
    map_sheet: Annotated[str, Form(max_length=40)] = "",
    parcel_number: Annotated[str, Form(max_length=40)] = "",
    serial: Annotated[str, Form(max_length=40)] = "",
    declared_area: Annotated[str, Form(max_length=40)] = "",
    declared_land_use: Annotated[str, Form(max_length=20)] = "",
    requested_land_use: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Pre-check the dossier; receive it when nothing blocks it, or when the officer confirms
    it is to be recorded as not received with its reasons."""
    values: dict[str, Any] = {
        "procedure": procedure, "office": office, "received_at": received_at,
        "applicant_name": applicant_name, "applicant_identity": applicant_identity,
        "applicant_previous_identity": applicant_previous_identity,
        "applicant_phone": applicant_phone, "commune": commune, "map_sheet": map_sheet,
        "parcel_number": parcel_number, "serial": serial, "declared_area": declared_area,
        "declared_land_use": declared_land_use, "requested_land_use": requested_land_use,
        "documents": [d for d in documents if d][:50],
    }  # fmt: skip
    if action == "chon_thu_tuc":  # the procedure changed without JavaScript: its checklist
        return _receive_page(request, officer, values)
    body, problems = _application(values)
    if body is None:
        return _receive_page(request, officer, values, errors=problems, status_code=422)
    plans = plans_in(request.app.state.settings.cadastre.planning_dir)
    try:
        check = check_application(uow, body.application(), planning=plans)
        if action != "tiep_nhan" or (check.blocked and confirm_not_received != "1"):
            refused = action == "tiep_nhan"
            return _receive_page(
                request, officer, values, check=check, status_code=409 if refused else 200,
                errors=[_BLOCKED] if refused else [],
            )  # fmt: skip
        received = receive_dossier(
            uow, body.application(), office=body.office, actor=officer.name,
            phone=body.applicant_phone, code=body.code, planning=plans,
        )  # fmt: skip
    except LandRegError as error:
        return _receive_page(request, officer, values, errors=[_error_text(error)], status_code=422)
    done = "tiep_nhan" if received.status == "received" else "khong_tiep_nhan"
    return _redirect(received.code, done)


_BLOCKED = (
    "Hồ sơ có vấn đề chặn tiếp nhận: sửa thông tin rồi kiểm tra lại, hoặc xác nhận ghi nhận "
    "hồ sơ không tiếp nhận kèm lý do",
    "the pre-check blocks this dossier: fix it and check again, or confirm recording it as "
    "not received with its reasons",
)


# --- moving a dossier on -------------------------------------------------------------------


def _version(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@router.post("/app/ho-so/{code}/trang-thai", dependencies=[CheckedForm])
def move(
    request: Request,
    code: str,
    uow: UowDep,
    officer: OfficerPage,
    to: Annotated[str, Form(max_length=60)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Move the dossier to one of its allowed next statuses, as the version read allows."""
    expected = _version(version)
    if expected is None:
        return render_dossier(request, uow, officer, code, error=STALE, status_code=409)
    try:
        change_status(
            uow, code, to, actor=officer.name, expected_version=expected,
            note=note.strip() or None,
        )  # fmt: skip
    except NotFoundError:
        return not_found(request, officer, code)
    except LandRegError as error:
        return _refused(request, uow, officer, code, error)
    return _redirect(code.strip().upper(), "trang_thai")


def _refused(
    request: Request, uow: UowDep, officer: Principal, code: str, error: LandRegError
) -> Response:
    """The dossier page again, saying why the change was refused (409 or 422)."""
    uow.rollback()
    stale = isinstance(error, ConflictError) and error.field == "expected_version"
    text = STALE if stale else _error_text(error)
    status_code = 409 if isinstance(error, ConflictError) else 422
    return render_dossier(request, uow, officer, code, error=text, status_code=status_code)


@router.post("/app/ho-so/{code}/yeu-cau-bo-sung", dependencies=[CheckedForm])
def request_more(
    request: Request,
    code: str,
    uow: UowDep,
    officer: OfficerPage,
    documents: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    other: Annotated[str, Form(max_length=2000)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Ask the citizen for documents: the ticked ones of the catalogue and one per line of the
    free text. The citizen's lookup then lists exactly these."""
    wanted = [d for d in documents if d] + [
        line.strip() for line in other.splitlines() if line.strip()
    ]
    if not wanted:
        error = ("Hãy chọn hoặc ghi ít nhất một giấy tờ cần bổ sung",
                 "choose or write at least one document")  # fmt: skip
        return render_dossier(request, uow, officer, code, error=error, status_code=422)
    try:
        request_documents(
            uow, code, wanted[:50], note=note.strip() or None, actor=officer.name,
            expected_version=_version(version),
        )  # fmt: skip
    except NotFoundError:
        return not_found(request, officer, code)
    except LandRegError as error:
        return _refused(request, uow, officer, code, error)
    return _redirect(code.strip().upper(), "bo_sung")


def _link_id(text: str) -> int:
    """A link's id from the address; one that is not a number is a link that does not exist."""
    if not text.isdigit() or len(text) > 18:
        raise NotFoundError(f"no dossier link {text}", field="link_id", value=text,
                            detail_vi=f"không có liên kết thửa đất số {text}")  # fmt: skip
    return int(text)


@router.post("/app/ho-so/{code}/lien-ket/{link_id}/xac-nhan", dependencies=[CheckedForm])
def confirm(
    request: Request, code: str, link_id: str, uow: UowDep, officer: OfficerPage
) -> Response:
    """The candidate parcel becomes the dossier's parcel (the others are rejected)."""
    try:
        confirm_link(uow, _link_id(link_id), actor=officer.name)
    except LandRegError as error:
        return _refused(request, uow, officer, code, error)
    return _redirect(code.strip().upper(), "xac_nhan")


@router.post("/app/ho-so/{code}/lien-ket/{link_id}/tu-choi", dependencies=[CheckedForm])
def reject(
    request: Request,
    code: str,
    link_id: str,
    uow: UowDep,
    officer: OfficerPage,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The candidate is not the dossier's parcel; the reason is kept in the audit log."""
    if len(reason.strip()) < 3:
        error = ("Hãy ghi lý do loại thửa đất này", "say why this parcel is rejected")
        return render_dossier(request, uow, officer, code, error=error, status_code=422)
    try:
        reject_link(uow, _link_id(link_id), actor=officer.name, reason=reason.strip())
    except LandRegError as error:
        return _refused(request, uow, officer, code, error)
    return _redirect(code.strip().upper(), "tu_choi")
