"""Signing in to the officers' pages: a session cookie holding the API's own signed token, and
a form token against cross-site requests.

The cookie carries the bearer token :func:`api.security.issue_token` makes (HttpOnly, so no
script can read it; SameSite=Strict, so no other site's page sends it; Secure over HTTPS) and
is verified the way a bearer token is (:func:`api.security.identify`: signature, expiry, the
account still active). Every form that changes something carries a token derived from the
session cookie with the app's secret (HMAC): a page of another site can neither read it nor
guess it, and it changes with every sign-in. The sign-in form itself is tied the same way to a
short-lived cookie set when the form is shown. SameSite=Strict and the form token are two
independent guards; either alone stops a forged request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.pages.render import page
from api.security import identify, issue_token
from landreg.domain.access import Principal, Role
from landreg.services import RegisterDatabase, UnitOfWork, accounts

SESSION_COOKIE = "landreg_session"
SIGNIN_COOKIE = "landreg_signin"
SIGN_IN_PATH = "/app/dang-nhap"
HOME_PATH = "/app"
SIGNIN_FORM_SECONDS = 3600

router = APIRouter(include_in_schema=False)


class PageExit(Exception):
    """A page that cannot be shown as asked: the answer to send instead (the sign-in page, a
    refusal). Raised from dependencies; :func:`install_page_exits` sends its response."""

    def __init__(self, response: Response) -> None:
        super().__init__("page exit")
        self.response = response


async def _page_exit(request: Request, error: PageExit) -> Response:
    return error.response


def install_page_exits(app: FastAPI) -> None:
    """Let the pages' dependencies answer with a redirect or a refusal page."""
    app.add_exception_handler(PageExit, _page_exit)  # type: ignore[arg-type]


def form_token(request: Request, bound_to: str) -> str:
    """The form token for a session (or sign-in) cookie value: HMAC with the app's secret."""
    secret = request.app.state.signing_secret
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, b"form:" + bound_to.encode("utf-8"), hashlib.sha256).hexdigest()


def _form_token_matches(request: Request, bound_to: str | None, given: str) -> bool:
    if not bound_to or not given:
        return False
    return hmac.compare_digest(form_token(request, bound_to), given)


def csrf_of(request: Request) -> str:
    """The form token of the signed-in session of ``request`` (for the page's forms)."""
    return form_token(request, request.cookies.get(SESSION_COOKIE, ""))


async def signed_in(request: Request) -> Principal | None:
    """The person the session cookie names, None when there is none or it is no longer valid
    (expired, tampered with, account deactivated)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await identify(request, token, None)
    except HTTPException:
        return None


def _back_to_signin(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    response = RedirectResponse(f"{SIGN_IN_PATH}?tiep={quote(target, safe='')}", 303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path=HOME_PATH)
    return response


async def registry_officer(request: Request) -> Principal:
    """The signed-in registry officer (or administrator); otherwise the page answers with the
    sign-in page (not signed in) or a refusal page (another role)."""
    principal = await signed_in(request)
    if principal is None:
        raise PageExit(_back_to_signin(request))
    if not principal.may(Role.REGISTRY_OFFICER):
        refusal = page(
            request, "officer_refused.html", status_code=403, principal=principal,
            csrf=csrf_of(request),
        )  # fmt: skip
        raise PageExit(refusal)
    return principal


async def checked_form(
    request: Request,
    officer: Annotated[Principal, Depends(registry_officer)],
    csrf: Annotated[str, Form()] = "",
) -> None:
    """Refuses (403, a page saying why) a form that does not carry the session's token; one
    sent by someone not signed in as an officer goes to the sign-in form or the refusal."""
    if not _form_token_matches(request, request.cookies.get(SESSION_COOKIE), csrf):
        raise PageExit(_forged(request))


def _forged(request: Request) -> Response:
    return page(request, "officer_forged.html", status_code=403, csrf=csrf_of(request))


OfficerPage = Annotated[Principal, Depends(registry_officer)]
CheckedForm = Depends(checked_form)


def _safe_next(target: str | None) -> str:
    """Only a page of the workbench is a place to go after signing in (never another site)."""
    if target and target.startswith("/app") and not target.startswith("//"):
        if "\\" not in target and "\n" not in target and "\r" not in target:
            return target
    return HOME_PATH


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/app/dang-nhap")
async def sign_in_form(request: Request, tiep: str | None = None) -> Response:
    """The sign-in form; someone already signed in goes straight on."""
    principal = await signed_in(request)
    if principal is not None and principal.may(Role.REGISTRY_OFFICER):
        return RedirectResponse(_safe_next(tiep), 303)
    return _sign_in_page(request, tiep, error=None, username="")


def _sign_in_page(
    request: Request,
    tiep: str | None,
    *,
    error: tuple[str, str] | None,
    username: str,
    status_code: int = 200,
) -> Response:
    """The form, with a fresh sign-in cookie its token is tied to."""
    nonce = secrets.token_urlsafe(24)
    response = page(
        request, "officer_signin.html", status_code=status_code, next_path=_safe_next(tiep),
        error=error, username=username, signin_token=form_token(request, nonce),
    )  # fmt: skip
    response.set_cookie(
        SIGNIN_COOKIE, nonce, max_age=SIGNIN_FORM_SECONDS, path=SIGN_IN_PATH, httponly=True,
        samesite="strict", secure=_secure(request),
    )  # fmt: skip
    return response


WRONG_PASSWORD = (
    "Sai tên đăng nhập hoặc mật khẩu",
    "wrong username or password",
)
EXPIRED_FORM = (
    "Trang đăng nhập đã hết hạn hoặc trình duyệt chặn cookie; hãy đăng nhập lại",
    "the sign-in form expired or cookies are blocked; sign in again",
)


@router.post("/app/dang-nhap")
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form()] = "",
    tiep: Annotated[str, Form()] = HOME_PATH,
) -> Response:
    """Check the name and password; on success the session cookie, then the page asked for."""
    if not _form_token_matches(request, request.cookies.get(SIGNIN_COOKIE), csrf):
        return _sign_in_page(request, tiep, error=EXPIRED_FORM, username=username, status_code=403)
    database: RegisterDatabase = request.app.state.database
    principal = await run_in_threadpool(_authenticate, database, username.strip(), password)
    if principal is None:
        return _sign_in_page(
            request, tiep, error=WRONG_PASSWORD, username=username, status_code=401
        )
    token, lifetime = issue_token(request, principal)
    target = _safe_next(tiep) if principal.may(Role.REGISTRY_OFFICER) else HOME_PATH
    response = RedirectResponse(target, 303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=lifetime, path=HOME_PATH, httponly=True, samesite="strict",
        secure=_secure(request),
    )  # fmt: skip
    response.delete_cookie(SIGNIN_COOKIE, path=SIGN_IN_PATH)
    return response


def _authenticate(database: RegisterDatabase, username: str, password: str) -> Principal | None:
    with UnitOfWork(database) as uow:
        return accounts.authenticate(uow, username, password)


@router.post("/app/dang-xuat")
async def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Forget the session in this browser (any role); back to the sign-in form."""
    if not _form_token_matches(request, request.cookies.get(SESSION_COOKIE), csrf):
        return _forged(request)
    response = RedirectResponse(f"{SIGN_IN_PATH}?da_dang_xuat=1", 303)
    response.delete_cookie(SESSION_COOKIE, path=HOME_PATH)
    return response
