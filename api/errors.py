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
    {"identity_number", "applicant_identity", "phone", "applicant_phone", "verify"}
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


def problem(
    status: int, title: str, detail: str, *, kind: str = "about:blank", **extra: Any
) -> JSONResponse:
    """A problem details response."""
    body = {"type": kind, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


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


async def _landreg_error(request: Request, error: LandRegError) -> JSONResponse:
    status = next(code for kind, code in STATUS_BY_ERROR if isinstance(error, kind))
    extra: dict[str, Any] = {"instance": request.url.path}
    if error.field:
        extra["errors"] = [
            {
                "field": error.field,
                "value": _shown_value(error.field, error.value),
                "detail": error.detail,
            }
        ]
    detail = error.detail
    if status >= 500:  # the operator reads the cause in the log; the client learns no internals
        log.error("%s on %s: %s", type(error).__name__, request.url.path, error.detail)
        detail = "the register is unavailable at the moment; please try again later"
        extra.pop("errors", None)
    slug = type(error).__name__.removesuffix("Error").lower() or "error"
    return problem(status, error.title, detail, kind=f"/problems/{slug}", **extra)


async def _spatial_error(request: Request, error: SpatialError) -> JSONResponse:
    """The geometry engine's refusal, answered as the register's own (422, naming the field):
    a GeometryError as a ValidationError, a CRSError as landreg's CRSError."""
    return await _landreg_error(request, from_spatial(error))


async def _request_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = []
    for item in error.errors():
        location = [
            str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = ".".join(location) or None
        errors.append(
            {
                "field": field,
                "value": _shown_value(field, item.get("input")),
                "detail": item.get("msg", "invalid"),
            }
        )
    detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
    return problem(
        422,
        "Invalid request",
        detail,
        kind="/problems/validation",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    titles = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        429: "Too many requests",
    }
    response = problem(
        error.status_code,
        titles.get(error.status_code, "Error"),
        str(error.detail),
        instance=request.url.path,
    )
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _data_refused(request: Request, error: DBAPIError) -> JSONResponse:
    """The database refused a value the request carried (a number beyond its range, a NUL
    character in text): the request is at fault, and it is told so without the SQL."""
    log.info("database refused a value on %s %s", request.method, request.url.path)
    return problem(
        422,
        "Value not accepted",
        "a value in the request is out of range or holds characters the register cannot store",
        instance=request.url.path,
    )


async def _database_down(request: Request, error: DBAPIError) -> JSONResponse:
    """The database cannot be reached: the operator reads why in the log, the client is told
    to try again later (no SQL, no driver message)."""
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, error.orig)
    return problem(
        503,
        "Service unavailable",
        "the register is unavailable at the moment; please try again later",
        instance=request.url.path,
    )


async def _stale(request: Request, error: StaleDataError) -> JSONResponse:
    """A versioned row changed between this request's read and its write (a service that
    locks first never gets here): the client reloads and tries again, as for any conflict."""
    log.info("stale data on %s %s: %s", request.method, request.url.path, error)
    return problem(
        409,
        "Conflict",
        "the record changed meanwhile; reload it and try again",
        kind="/problems/conflict",
        instance=request.url.path,
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(
        500,
        "Internal error",
        "the register could not answer this request; the error has been logged",
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
