"""The citizen's page: check a dossier with its receipt code and verification, on a phone.

``/`` and ``/tra-cuu`` are one GET form (it works without JavaScript): ``/tra-cuu?ma=CODE``
(the receipt's QR code) fills in the code, ``/tra-cuu?ma=CODE&xac_minh=1234`` answers. The
answer comes from the service the API calls
(:func:`landreg.services.public_status.public_dossier_status`) and counts against the same
per-client limit (:func:`api.routes.public._rate_limited`). An unknown code and a wrong
verification get the same message, and the page shows nothing about any person; of the
dossier's parcel, only its national identifier ("Mã định danh thửa đất").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from api.deps import reads_of
from api.pages.render import page
from api.routes.public import _rate_limited
from landreg.domain.dossier_clock import Timeliness
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.public_dossier import VERIFY_DIGITS, document_name
from landreg.errors import NotFoundError, ValidationError
from landreg.services.public_status import PublicDossierStatus, public_dossier_status

router = APIRouter(include_in_schema=False)
LOOKUP_PATH = "/tra-cuu"
_LONGEST = 64  # longer than any receipt code or verification: not looked up

NOT_FOUND = (
    "Không tìm thấy hồ sơ với mã hồ sơ và mã xác minh này. Hãy kiểm tra mã hồ sơ trên giấy "
    f"biên nhận và {VERIFY_DIGITS} số cuối của số căn cước (CMND) hoặc số điện thoại của "
    "người nộp hồ sơ.",
    "No dossier has this code and verification. Check the code on your receipt and the last "
    f"{VERIFY_DIGITS} digits of the applicant's identity number or phone number.",
)
NO_CODE = ("Hãy nhập mã hồ sơ ghi trên giấy biên nhận.", "Enter the code on your receipt.")
NO_VERIFY = (
    f"Hãy nhập {VERIFY_DIGITS} số cuối của số căn cước hoặc số điện thoại.",
    f"Enter the last {VERIFY_DIGITS} digits of the identity number or phone number.",
)
BAD_VERIFY = (
    f"Mã xác minh gồm đúng {VERIFY_DIGITS} chữ số (0–9), ví dụ 6789.",
    f"The verification is exactly {VERIFY_DIGITS} digits (0–9), for example 6789.",
)
# In plain words, for the citizen (the portal's labels are the officers').
TIMELINESS = {
    Timeliness.EARLY: ("Đã giải quyết trước hạn", "Processed before the due date"),
    Timeliness.ON_TIME: ("Đã giải quyết đúng hạn", "Processed on time"),
    Timeliness.LATE: ("Đã giải quyết nhưng trễ hạn", "Processed, but late"),
    Timeliness.ON_TRACK: ("Đang trong thời hạn giải quyết", "Within the time allowed"),
    Timeliness.AT_RISK: ("Sắp đến ngày hẹn trả", "The due date is near"),
    Timeliness.OVERDUE: ("Đã quá ngày hẹn trả kết quả", "Past the due date"),
    Timeliness.NOT_COUNTED: ("Không tính thời hạn", "No deadline counted"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """What the page says went wrong: the message in both languages, the field it is about."""

    vi: str
    en: str
    field: str | None = None
    status_code: int = status.HTTP_200_OK


@router.get("/", response_class=HTMLResponse)
@router.get(LOOKUP_PATH, response_class=HTMLResponse)
async def lookup(request: Request) -> HTMLResponse:
    """The form; with a code and a verification, the dossier's status below it."""
    params = request.query_params
    code = " ".join(params.get("ma", "").split())[:_LONGEST]
    verify = "".join(params.get("xac_minh", "").split())
    problem = _form_problem(code, verify, asked="ma" in params, submitted="xac_minh" in params)
    found: PublicDossierStatus | None = None
    if problem is None and code and verify:
        found, problem = await _look_up(request, code, verify)
    return page(
        request, "citizen_lookup.html", code=found.code if found else code, problem=problem,
        found=found,
        answer=_answer(found) if found is not None else None, verify_digits=VERIFY_DIGITS,
        status_code=problem.status_code if problem is not None else 200,
        private_params=("xac_minh",),
    )  # fmt: skip


def _form_problem(code: str, verify: str, *, asked: bool, submitted: bool) -> Problem | None:
    """What is missing or malformed in the form, before anything is looked up. A code alone
    (the receipt's QR code) is no problem: the page asks for the verification."""
    if not submitted and (code or not asked):
        return None
    if not code:
        return Problem(*NO_CODE, field="ma", status_code=422)
    if not verify:
        return Problem(*NO_VERIFY, field="xac_minh", status_code=422)
    if len(verify) != VERIFY_DIGITS or not verify.isascii() or not verify.isdigit():
        return Problem(*BAD_VERIFY, field="xac_minh", status_code=422)
    return None


async def _look_up(
    request: Request, code: str, verify: str
) -> tuple[PublicDossierStatus | None, Problem | None]:
    try:
        await _rate_limited(request)
    except HTTPException as refused:
        wait = (refused.headers or {}).get("Retry-After", "60")
        return None, Problem(
            f"Bạn đã tra cứu quá nhiều lần trong một phút. Hãy đợi {wait} giây rồi thử lại.",
            f"Too many look-ups in a minute. Wait {wait} seconds, then try again.",
            status_code=refused.status_code,
        )
    try:
        return await public_dossier_status(reads_of(request).status, code, verify), None
    except NotFoundError:
        return None, Problem(*NOT_FOUND, status_code=404)
    except ValidationError:
        return None, Problem(*BAD_VERIFY, field="xac_minh", status_code=422)


def _answer(found: PublicDossierStatus) -> dict[str, Any]:
    """What the template shows beyond the service's fields: documents by name, the words for
    the deadline, whether the office is still waiting for the citizen."""
    missing = [
        item if hasattr(item, "name_vi") else document_name(str(item))
        for item in found.missing_documents
    ]
    status_now = found.status
    return {
        "missing": missing if status_now.is_open else [],
        "waiting_for_citizen": status_now is DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED,
        "requested_on": getattr(found, "requested_on", None),
        "timeliness": TIMELINESS.get(found.timeliness) if found.timeliness else None,
        "late": found.overdue or found.timeliness is Timeliness.LATE,
        "is_open": status_now.is_open,
    }
