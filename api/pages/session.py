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

from api.errors import language_of, problem, title_of
from api.pages.render import page
from api.security import identify, issue_token
from landreg.domain.access import Principal, Role
from landreg.services import RegisterDatabase, UnitOfWork, accounts

SESSION_COOKIE = "landreg_session"
SIGNIN_COOKIE = "landreg_signin"
SIGN_IN_PATH = "/app/dang-nhap"
HOME_PATH = "/app"
MAP_PATH = "/app/ban-do"
DASHBOARD_PATH = "/app/tong-quan"
SIGNIN_FORM_SECONDS = 3600
# Where each role lands after signing in when no particular page was asked for; a role not
# listed has no page of its own (it lands on the officers' list and is refused there).
HOMES: dict[Role, str] = {
    Role.ADMINISTRATOR: HOME_PATH,
    Role.REGISTRY_OFFICER: HOME_PATH,
    Role.CADASTRAL_STAFF: MAP_PATH,
    Role.LEADER: DASHBOARD_PATH,
}
FORM_TOKEN_HEADER = "X-Form-Token"

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

# Who reads the map workbench; who edits it (administrators may do everything).
MAP_READERS = (Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF)
MAP_EDITORS = (Role.CADASTRAL_STAFF,)
NOT_SIGNED_IN = (
    "Chưa đăng nhập hoặc phiên làm việc đã hết hạn; hãy đăng nhập lại",
    "not signed in, or the session has expired; sign in again",
)
MAP_READ_REFUSED = (
    "Bản đồ dành cho cán bộ địa chính, cán bộ đăng ký đất đai và quản trị viên",
    "the map is for cadastral staff, registry officers and administrators",
)
MAP_EDIT_REFUSED = (
    "Chỉ cán bộ địa chính và quản trị viên được sửa dữ liệu trên bản đồ; tài khoản này chỉ xem",
    "only cadastral staff and administrators change data on the map; this account only reads",
)
FORGED_REQUEST = (
    "Yêu cầu không mang mã biểu mẫu hợp lệ",
    "the request does not carry a valid form token",
)


async def _page_reader(
    request: Request, roles: tuple[Role, ...], audience: tuple[str, str]
) -> Principal:
    """The signed-in person when they have one of ``roles``; otherwise the sign-in page (not
    signed in) or a refusal page saying who the page is for (``audience``)."""
    principal = await signed_in(request)
    if principal is None:
        raise PageExit(_back_to_signin(request))
    if not principal.may(*roles):
        refusal = page(
            request, "officer_refused.html", status_code=403, principal=principal,
            csrf=csrf_of(request), audience=audience,
        )  # fmt: skip
        raise PageExit(refusal)
    return principal


async def map_reader(request: Request) -> Principal:
    """The signed-in cadastral staff, registry officer or administrator, for the map's page;
    otherwise the sign-in page (not signed in) or a refusal page (another role)."""
    return await _page_reader(request, MAP_READERS, MAP_READ_REFUSED)


def _refused(request: Request, status: int, said: tuple[str, str]) -> PageExit:
    """A problem+json answer (never a redirect) for the map's data, in the reader's language."""
    language = language_of(request)
    detail = said[0] if language == "vi" else said[1]
    answer = problem(
        status, title_of(status, language), detail,
        kind="/problems/unauthorized" if status == 401 else "/problems/forbidden",
        language=language, instance=request.url.path,
    )  # fmt: skip
    answer.headers["Cache-Control"] = "no-store"
    return PageExit(answer)


async def map_data_reader(request: Request) -> Principal:
    """The signed-in person who may read the map's data (JSON, tiles, fragments); 401 or 403
    problem+json otherwise."""
    principal = await signed_in(request)
    if principal is None:
        raise _refused(request, 401, NOT_SIGNED_IN)
    if not principal.may(*MAP_READERS):
        raise _refused(request, 403, MAP_READ_REFUSED)
    return principal


async def map_editor(request: Request) -> Principal:
    """The signed-in cadastral staff or administrator changing data from the map, whose
    request carries the session's form token in ``X-Form-Token``; 401 or 403 problem+json
    otherwise (a page of another site can send the cookie's request but not the token)."""
    principal = await map_data_reader(request)
    given = request.headers.get(FORM_TOKEN_HEADER, "")
    if not _form_token_matches(request, request.cookies.get(SESSION_COOKIE), given):
        raise _refused(request, 403, FORGED_REQUEST)
    if not principal.may(*MAP_EDITORS):
        raise _refused(request, 403, MAP_EDIT_REFUSED)
    return principal


MapPage = Annotated[Principal, Depends(map_reader)]
MapData = Annotated[Principal, Depends(map_data_reader)]
MapEdit = Annotated[Principal, Depends(map_editor)]

# Who reads the dashboard and its figures (administrators may do everything).
DASHBOARD_READERS = (Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF, Role.LEADER)
DASHBOARD_REFUSED = (
    "Trang tổng quan dành cho lãnh đạo, cán bộ đăng ký đất đai, cán bộ địa chính và quản trị viên",
    "the dashboard is for leaders, registry officers, cadastral staff and administrators",
)


async def dashboard_reader(request: Request) -> Principal:
    """The signed-in leader, registry officer, cadastral staff or administrator, for the
    dashboard's page; otherwise the sign-in page (not signed in) or a refusal page."""
    return await _page_reader(request, DASHBOARD_READERS, DASHBOARD_REFUSED)


async def dashboard_data_reader(request: Request) -> Principal:
    """The signed-in person who may read the dashboard's figures (its JSON); 401 or 403
    problem+json otherwise, never a redirect."""
    principal = await signed_in(request)
    if principal is None:
        raise _refused(request, 401, NOT_SIGNED_IN)
    if not principal.may(*DASHBOARD_READERS):
        raise _refused(request, 403, DASHBOARD_REFUSED)
    return principal


DashboardPage = Annotated[Principal, Depends(dashboard_reader)]
DashboardData = Annotated[Principal, Depends(dashboard_data_reader)]


def _safe_next(target: str | None) -> str:
    """Only a page of the workbench is a place to go after signing in (never another site)."""
    if target and target.startswith("/app") and not target.startswith("//"):
        if "\\" not in target and "\n" not in target and "\r" not in target:
            return target
    return HOME_PATH


def _landing(principal: Principal, target: str | None) -> str:
    """Where a person goes after signing in: the page asked for, else the home of their role."""
    chosen = _safe_next(target)
    if chosen == HOME_PATH:  # no particular page asked for
        return HOMES.get(principal.role, HOME_PATH)
    return chosen


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/app/dang-nhap")
async def sign_in_form(request: Request, tiep: str | None = None) -> Response:
    """The sign-in form; someone already signed in goes straight on."""
    principal = await signed_in(request)
    if principal is not None and principal.role in HOMES:
        return RedirectResponse(_landing(principal, tiep), 303)
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
    target = _landing(principal, tiep) if principal.role in HOMES else HOME_PATH
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
