"""The OpenAPI document as the API really answers: errors as ``application/problem+json``;
and its two pages, ``/docs`` and ``/redoc``, on assets landreg serves itself.

Routes declare their error responses with the ``Problem`` model; FastAPI writes them as
``application/json``. Every error response is rewritten once here to the media type the
handlers in ``api/errors.py`` send, and the errors every operation can give (a value the
register refuses, a request it cannot read) are listed on every operation.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

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


# The pages of the document (/docs: Swagger UI, /redoc: ReDoc) load only what landreg serves
# from api/static/vendor/ (tools/vendor_assets.py fetched it, with versions and checksums in
# its MANIFEST.json): they work on an office network without internet.
VENDOR = "/static/vendor"
DOCS_TITLE = "landreg — tài liệu API / API reference"


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, its OAuth2 redirect page and ``/redoc`` from the vendored assets
    (build the app with ``docs_url=None, redoc_url=None``)."""
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _offline(
            get_swagger_ui_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=DOCS_TITLE,
                swagger_js_url=f"{VENDOR}/swagger-ui-dist/swagger-ui-bundle.js",
                swagger_css_url=f"{VENDOR}/swagger-ui-dist/swagger-ui.css",
                swagger_favicon_url=f"{VENDOR}/swagger-ui-dist/favicon-32x32.png",
                oauth2_redirect_url=redirect,
                # Swagger UI asks swagger.io to validate the document of any host but
                # localhost: never (an office network has no internet; the document is ours).
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _offline(
            get_redoc_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=DOCS_TITLE,
                redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{VENDOR}/swagger-ui-dist/favicon-32x32.png",
                with_google_fonts=False,
            )
        )


def _offline(page: HTMLResponse) -> HTMLResponse:
    """The page with its language declared (the document's texts are in English) and a
    Content-Security-Policy that lets it load nothing but from landreg: ReDoc's sidebar
    shows its maker's logo from the internet, which an office network would leave hanging."""
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    inline = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in re.findall(rb"<script>(.*?)</script>", body, flags=re.DOTALL)
    ]
    policy = "; ".join(
        (
            "default-src 'self'",
            " ".join(("script-src 'self'", *inline)),
            "style-src 'self' 'unsafe-inline'",  # both UIs style their parts inline
            "img-src 'self' data:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",  # ReDoc searches in a worker it makes from a blob
            "connect-src 'self'",
            "frame-ancestors 'self'",
            "form-action 'self'",
            "base-uri 'self'",
        )
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})
