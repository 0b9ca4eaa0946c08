"""One mapping from landreg's errors to RFC 9457 problem details (``application/problem+json``).

Clients get the field and value that were wrong, never a stack trace or SQL; the catch-all
logs the error and answers with a generic message.
"""

from __future__ import annotations

import logging
import math
import reprlib
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.messages import STALE_VI, field_problem_vi, http_detail_vi
from landreg.errors import (
    ConfigurationError,
    ConflictError,
    DatabaseUnavailableError,
    LandRegError,
    NotFoundError,
    ValidationError,
    from_spatial,
)
from spatial.errors import SpatialError

log = logging.getLogger("landreg.api")

PROBLEM_JSON = "application/problem+json"
PERSONAL_FIELDS = frozenset(
    {
        "identity_number",
        "applicant_identity",
        "applicant_previous_identity",
        "phone",
        "applicant_phone",
        "verify",
    }
)

# Most specific first: the first class an error is an instance of decides the status.
STATUS_BY_ERROR: list[tuple[type[LandRegError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (ValidationError, 422),
    (DatabaseUnavailableError, 503),
    (ConfigurationError, 500),
    (LandRegError, 400),
]


# Each status's title, Vietnamese then English.
TITLES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    401: ("Chưa đăng nhập", "Unauthorized"),
    403: ("Không có quyền", "Forbidden"),
    404: ("Không tìm thấy", "Not found"),
    405: ("Phương thức không được hỗ trợ", "Method not allowed"),
    409: ("Xung đột dữ liệu", "Conflict"),
    413: ("Nội dung quá lớn", "Content too large"),
    415: ("Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
    422: ("Yêu cầu có dữ liệu không hợp lệ", "Invalid request"),
    429: ("Quá nhiều yêu cầu", "Too many requests"),
    500: ("Lỗi hệ thống", "Internal error"),
    503: ("Dịch vụ tạm thời không phục vụ được", "Service unavailable"),
}
UNAVAILABLE = (
    "sổ địa chính tạm thời không phục vụ được; xin thử lại sau",
    "the register is unavailable at the moment; please try again later",
)

REFUSED_VALUE = (
    "một giá trị trong yêu cầu vượt quá giới hạn hoặc có ký tự sổ địa chính không lưu được",
    "a value in the request is out of range or holds characters the register cannot store",
)


def title_of(status: int, language: str) -> str:
    """The title of a problem with ``status`` in ``language`` (``vi`` or ``en``)."""
    vi, en = TITLES.get(status, ("Lỗi", "Error"))
    return vi if language == "vi" else en


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str = "about:blank",
    language: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem details response; with ``language`` its ``Content-Language`` says which
    language ``title`` and ``detail`` are in (they vary with ``Accept-Language``)."""
    body = {"type": kind, "title": title, "status": status, "detail": detail, **extra}
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    if language is not None:
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Accept-Language"
    return response


def _shown_value(field: str | None, value: Any) -> Any:
    """The value as a problem echoes it, always something JSON can write: numbers JSON has
    as they are; NaN and ±Infinity (which it has not), bytes, objects and anything long as at
    most 200 characters of text; personal numbers masked but for their last three digits."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _NON_FINITE[str(value)]
    if isinstance(value, bytes | bytearray):
        text = bytes(value[:800]).decode("utf-8", errors="replace")
    else:
        text = value if isinstance(value, str) else _SHORT.repr(value)
    if field in PERSONAL_FIELDS and len(text) > 3:
        return "*" * (len(text) - 3) + text[-3:]
    return text[:200]


# As JSON texts write them (Python's json reads these): the client sees what it sent.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_SHORT = reprlib.Repr()  # an object is shown by its first few items, never whole
_SHORT.maxstring = _SHORT.maxother = 200


def preferred_language(header: str | None) -> str:
    """``en`` when an ``Accept-Language`` header prefers English to Vietnamese (q-values
    honoured; ``en-GB`` counts as ``en``, ``*`` as both), ``vi`` for anything else: no
    header, another language, a tie, a malformed header."""
    named: dict[str, float] = {}
    anything = 0.0  # the weight of "*": every language the header does not name
    for part in (header or "").split(",")[:40]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary == "*":
            anything = max(anything, _q(params))
        elif primary in ("vi", "en"):
            named[primary] = max(named.get(primary, 0.0), _q(params))
    english, vietnamese = named.get("en", anything), named.get("vi", anything)
    return "en" if english > vietnamese else "vi"


def _q(params: str) -> float:
    """The q-value of one language range (1 when it has none; 0 when it is malformed)."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def language_of(request: Request) -> str:
    """The language a person asking ``request`` reads problems in: ``vi`` or ``en``."""
    return preferred_language(request.headers.get("accept-language"))


async def _landreg_error(request: Request, error: LandRegError) -> JSONResponse:
    status = next(code for kind, code in STATUS_BY_ERROR if isinstance(error, kind))
    language = language_of(request)
    extra: dict[str, Any] = {"instance": request.url.path}
    detail = error.detail_in(language)
    if error.field:
        extra["errors"] = [
            {
                "field": error.field,
                "value": _shown_value(error.field, error.value),
                "detail": detail,
            }
        ]
    if status >= 500:  # the operator reads the cause in the log; the client learns no internals
        log.error("%s on %s: %s", type(error).__name__, request.url.path, error.detail)
        detail = UNAVAILABLE[0] if language == "vi" else UNAVAILABLE[1]
        extra.pop("errors", None)
    slug = type(error).__name__.removesuffix("Error").lower() or "error"
    return problem(
        status, error.title_in(language), detail, kind=f"/problems/{slug}", language=language,
        **extra,
    )  # fmt: skip


async def _spatial_error(request: Request, error: SpatialError) -> JSONResponse:
    """The geometry engine's refusal, answered as the register's own (422, naming the field):
    a GeometryError as a ValidationError, a CRSError as landreg's CRSError."""
    return await _landreg_error(request, from_spatial(error))


async def _request_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's list of what is wrong with the request's fields, each said in the reader's
    language: ``trường `limit`: phải ≤ 500`` / ``limit: Input should be less than or equal
    to 500``."""
    language = language_of(request)
    errors = []
    for item in error.errors():
        location = [
            str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = ".".join(location) or None
        said = field_problem_vi(item) if language == "vi" else None
        errors.append(
            {
                "field": field,
                "value": _shown_value(field, item.get("input")),
                "detail": said or item.get("msg", "invalid"),
            }
        )
    if language == "vi":
        detail = "; ".join(f"trường `{e['field']}`: {e['detail']}" for e in errors)
    else:
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
    return problem(
        422, title_of(422, language), detail, kind="/problems/validation", language=language,
        instance=request.url.path, errors=errors,
    )  # fmt: skip


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    language = language_of(request)
    detail = str(error.detail)
    if language == "vi":
        detail = http_detail_vi(detail, request.method) or detail
    response = problem(
        error.status_code, title_of(error.status_code, language), detail, language=language,
        instance=request.url.path,
    )  # fmt: skip
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _data_refused(request: Request, error: DBAPIError) -> JSONResponse:
    """The database refused a value the request carried (a number beyond its range, a NUL
    character in text): the request is at fault, and it is told so without the SQL."""
    log.info("database refused a value on %s %s", request.method, request.url.path)
    language = language_of(request)
    vi = language == "vi"
    return problem(
        422,
        "Giá trị không được chấp nhận" if vi else "Value not accepted",
        REFUSED_VALUE[0] if vi else REFUSED_VALUE[1],
        language=language,
        instance=request.url.path,
    )


async def _database_down(request: Request, error: DBAPIError) -> JSONResponse:
    """The database cannot be reached: the operator reads why in the log, the client is told
    to try again later (no SQL, no driver message)."""
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, error.orig)
    language = language_of(request)
    return problem(
        503, title_of(503, language), UNAVAILABLE[0] if language == "vi" else UNAVAILABLE[1],
        language=language, instance=request.url.path,
    )  # fmt: skip


async def _stale(request: Request, error: StaleDataError) -> JSONResponse:
    """A versioned row changed between this request's read and its write (a service that
    locks first never gets here): the client reloads and tries again, as for any conflict."""
    log.info("stale data on %s %s: %s", request.method, request.url.path, error)
    language = language_of(request)
    return problem(
        409,
        title_of(409, language),
        STALE_VI if language == "vi" else "the record changed meanwhile; reload it and try again",
        kind="/problems/conflict",
        language=language,
        instance=request.url.path,
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    language = language_of(request)
    return problem(
        500,
        title_of(500, language),
        "sổ địa chính không trả lời được yêu cầu này; lỗi đã được ghi lại"
        if language == "vi"
        else "the register could not answer this request; the error has been logged",
        language=language,
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json."""
    app.add_exception_handler(LandRegError, _landreg_error)  # type: ignore[arg-type]
    app.add_exception_handler(SpatialError, _spatial_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _data_refused)  # type: ignore[arg-type]
    # The look-ups' pool (landreg/store/reads/lookups.py) talks to psycopg without SQLAlchemy.
    app.add_exception_handler(psycopg.DataError, _data_refused)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _database_down)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, _stale)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
