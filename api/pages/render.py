"""Pages from Jinja2 templates: the language a person reads, times in the province's zone.

Every page is Vietnamese unless the person chose English: ``?lang=en`` (kept in a ``lang``
cookie for the next pages) or the cookie alone. Templates call ``t("…", "…")`` with both
texts and get the one of the page's language; ``lang`` names it for the ``<html lang>``
attribute. Dates and times are shown in Asia/Ho_Chi_Minh, day first ("05/12/2026 14:30").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

import landreg
from landreg.domain import reference
from landreg.errors import UnknownReferenceError
from landreg.services.dossier_link_scoring import explanation_in

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANG_COOKIE = "lang"
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_YEAR = 365 * 24 * 3600

_environment = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language(request: Request) -> str:
    """The page's language: ``?lang=``, else the ``lang`` cookie, else Vietnamese."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    return DEFAULT_LANGUAGE


def translator(lang: str) -> Callable[[str, str], str]:
    """``t(vi, en)`` for templates and page code: the text of the page's language."""

    def t(vi: str, en: str) -> str:
        return en if lang == "en" else vi

    return t


def local_date(value: date | datetime | None) -> str:
    """A day written the Vietnamese way (05/12/2026); a time is first taken to the province's
    zone (a naive time is already local)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%d/%m/%Y")


def local_time(value: datetime | None) -> str:
    """A moment in the province's zone, day first: 05/12/2026 14:30."""
    if value is None:
        return ""
    return _local(value).strftime("%d/%m/%Y %H:%M")


def _local(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(LOCAL_ZONE)


def switch_url(request: Request, lang: str, private: tuple[str, ...] = ()) -> str:
    """This page in ``lang``: the same path and query, ``lang`` replaced, ``private``
    parameters left out (a verification is never written into the page)."""
    dropped = {"lang", *private}
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in dropped]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    private_params: tuple[str, ...] = (),
    **context: Any,
) -> HTMLResponse:
    """The template rendered for this request, in the person's language.

    The context always holds ``request``, ``lang``, ``t``, ``other_lang`` and ``switch_url``
    (this page in the other language, without ``private_params``), and ``version``;
    templates have the filters
    ``ngay`` (a day) and ``gio`` (a moment), both in the province's zone.
    """
    lang = language(request)
    other = "en" if lang == "vi" else "vi"
    html = _environment.get_template(template).render(
        request=request, lang=lang, t=translator(lang), other_lang=other,
        switch_url=switch_url(request, other, private_params), version=landreg.__version__,
        **context,
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    # Pages answer one person (a dossier's status, an officer's list): never kept by a proxy
    # or the browser's back-forward cache of a shared computer, never sent on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=_YEAR, path="/", samesite="lax")
    return response


_environment.filters["ngay"] = local_date
_environment.filters["gio"] = local_time


def office_name(code: str | None, lang: str = "vi") -> str:
    """An office by its name and code ("Chi nhánh … (H55.707)"), or the code alone when the
    offices table does not know it."""
    if not code:
        return "—"
    try:
        found = reference.office(code)
    except UnknownReferenceError:
        return code
    return f"{found.name_en if lang == 'en' else found.name_vi} ({code})"


_environment.filters["link_reason"] = explanation_in  # a link's evidence in the page's language
_environment.filters["office_name"] = office_name
