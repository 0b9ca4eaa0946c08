"""JSON request bodies held to RFC 8259: no NaN, Infinity or -Infinity where a number goes.

Python's json module, which FastAPI reads bodies with, takes those bare words as floats; a
non-finite number then travels on into validation (whose answer could not even be written),
the database or PROJ. Here they are refused with 422 naming the field, before a route sees
the body, and the keep-alive connection stays usable for the client's next request.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import language_of, problem, title_of

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_DETAIL = "NaN and Infinity are not JSON numbers; send a finite number"
_DETAIL_VI = "NaN và Infinity không phải là số trong JSON; hãy gửi một số hữu hạn"


class NonFiniteNumber(HTTPException):
    """A JSON body holding a bare NaN, Infinity or -Infinity (at ``field``)."""

    def __init__(self, field: str, token: str) -> None:
        super().__init__(422, f"{field}: {_DETAIL}")
        self.field = field
        self.token = token


class FiniteJsonBodies:
    """ASGI middleware watching the body of a JSON request as the app reads it: once the
    whole body is in, a non-finite number in it stops the request, raised from the read as
    FastAPI expects of a body a middleware refuses. Other requests pass untouched, and the
    body is never read ahead of the app (a route's own size limit still applies first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def watched() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    chunks.clear()
                    refuse_non_finite(body)
            return message

        await self.app(scope, watched, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return bool(media == b"application/json" or media.endswith(b"+json"))
    return False


class _Constant:
    """Where the parser met NaN, Infinity or -Infinity."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


def refuse_non_finite(body: bytes) -> None:
    """Raise :class:`NonFiniteNumber` for the first bare NaN or ±Infinity of a JSON body
    (a string that merely says "NaN" is left alone); a body that is not JSON is left to
    FastAPI's own parse, which refuses it."""
    if b"NaN" not in body and b"Infinity" not in body:
        return
    try:
        document = json.loads(body, parse_constant=_Constant)
    except (ValueError, RecursionError):
        return
    found = _first_constant(document)
    if found is not None:
        field, token = found
        raise NonFiniteNumber(field or "body", token)


def _first_constant(document: Any) -> tuple[str, str] | None:
    """The dotted path (``geometry.coordinates.0.0.0``) and word of the first constant, in
    document order; walked without recursion, however deep the body nests."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _Constant):
            return ".".join(path), value.token
        if isinstance(value, dict):
            items = [((*path, str(k)), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [((*path, str(i)), v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))
    return None


async def _non_finite(request: Request, error: NonFiniteNumber) -> JSONResponse:
    language = language_of(request)
    said = _DETAIL_VI if language == "vi" else _DETAIL
    return problem(
        422,
        title_of(422, language),
        f"trường `{error.field}`: {said}" if language == "vi" else error.detail,
        kind="/problems/validation",
        language=language,
        instance=request.url.path,
        errors=[{"field": error.field, "value": error.token, "detail": said}],
    )


def install_finite_json(app: FastAPI) -> None:
    """Refuse non-finite numbers in every JSON body ``app`` reads."""
    app.add_middleware(FiniteJsonBodies)
    app.add_exception_handler(NonFiniteNumber, _non_finite)  # type: ignore[arg-type]
