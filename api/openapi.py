"""The OpenAPI document as the API really answers: errors as ``application/problem+json``.

Routes declare their error responses with the ``Problem`` model; FastAPI writes them as
``application/json``. Every error response is rewritten once here to the media type the
handlers in ``api/errors.py`` send, and the errors every operation can give (a value the
register refuses, a request it cannot read) are listed on every operation.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM = {"$ref": "#/components/schemas/Problem"}
# 400: a request the register cannot act on; 422: a value it refuses (any operation may
# meet one, from validation or from the database).
EVERYWHERE = {"400": "Request not possible", "422": "Value not accepted"}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the corrected document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _problems(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problems(document: dict[str, Any]) -> None:
    has_problem = "Problem" in document.get("components", {}).get("schemas", {})
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in EVERYWHERE.items():
                responses.setdefault(code, {"description": description})
            if "security" in operation or path == "/auth/token":
                responses.setdefault("401", {"description": "Not signed in, or not valid"})
            if "security" in operation:
                responses.setdefault("403", {"description": "The role does not allow it"})
            for code, response in responses.items():
                if code[0] in "45" and has_problem:
                    response["content"] = {"application/problem+json": {"schema": PROBLEM}}
