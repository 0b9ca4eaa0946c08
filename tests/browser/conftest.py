"""Browser tests: Debian's chromium driven by Playwright against a real ``landreg serve``.

Fixtures (other browser tests rely on these names):

- ``chromium_browser`` (while this package's tests run): chromium at ``/usr/bin/chromium``
  (``LANDREG_CHROMIUM`` to use another), headless. Missing chromium or playwright fails the
  tests, never skips them: ``make test`` installs both (``.ci/ensure-browser.sh``).
- ``site`` (session): base URL of a real server on a private PostGIS copy of the reconciled
  sample register; ``site_database_url`` is that copy's URL (to arrange data a test needs).
  The server believes ``X-Forwarded-For`` from 127.0.0.1, and every page below sends its own
  address, so the citizens' look-up limit counts each test's page apart.
- ``site_accounts`` (session): role value → (username, password), one account per role.
- ``phone_page`` / ``desk_page``: a new page (390×844 touch phone / 1366×900 desk) with
  ``base_url`` = ``site`` (``page.goto("/tra-cuu")``), Vietnamese locale, Asia/Ho_Chi_Minh
  time; every request to a host other than 127.0.0.1/localhost is aborted and fails the test
  at its teardown. ``new_page(width, height, mobile=False, javascript=True)`` makes more (two
  officers at once; a page without JavaScript), each a client of its own.
- ``shoot(page, name, full_page=True)``: writes ``var/screenshots/<name>.png`` (not committed).
- ``axe_violations(page)``: runs the vendored axe-core in the page; returns its violations of
  impact serious or critical (each: id, impact, help, the first elements) — assert ``== []``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.dossier_links import link_all
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, copy_database
from tests.serving import landreg_serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LANDREG_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "api" / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
# A name for the server that is not "localhost", as in an office (the browser maps it to
# 127.0.0.1): some pages behave differently on localhost (Swagger UI's validator).
OFFICE_HOST = "landreg.test"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", OFFICE_HOST}
PHONE = (390, 844)
DESK = (1366, 900)
ACCOUNTS = {
    Role.CITIZEN: ("cong_dan", "Cong-dan-thu-15"),
    Role.REGISTRY_OFFICER: ("can_bo_mot_cua", "Mot-cua-thu-15"),
    Role.CADASTRAL_STAFF: ("can_bo_dia_chinh", "Dia-chinh-thu-15"),
    Role.LEADER: ("lanh_dao", "Lanh-dao-thu-15"),
    Role.ADMINISTRATOR: ("quan_tri", "Quan-tri-thu-15"),
}
_clients = itertools.count(1)


@pytest.fixture(scope="package")
def chromium_browser() -> Iterator[Any]:
    """Playwright's chromium on the system's chromium binary (no browser download).

    Stopped when the browser tests are done: while Playwright's synchronous API runs, its
    event loop counts as running in this thread, and ``asyncio.run`` in a later test fails."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail(
            "playwright is not installed; run `make test` (or `.venv/bin/pip install playwright`)",
            pytrace=False,
        )
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"chromium is missing at {CHROMIUM}; run `make test` (.ci/ensure-browser.sh "
            "installs it with apt-get) or set LANDREG_CHROMIUM",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--host-resolver-rules=MAP {OFFICE_HOST} 127.0.0.1",
            ],
        )
    except Error as error:
        playwright.stop()
        pytest.fail(f"chromium at {CHROMIUM} does not start: {error}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def site_database_url(sample_register: tuple[RegisterDatabase, object]) -> Iterator[str]:
    """A private PostGIS copy of the reconciled sample register with its dossiers linked to
    their parcels (as the demo leaves it), one account per role."""
    url = copy_database(sample_register[0], f"landreg_test_site_{os.getpid()}")
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    try:
        with UnitOfWork(database) as uow:
            link_all(uow)
        for role, (username, password) in ACCOUNTS.items():
            with UnitOfWork(database) as uow:
                create_user(uow, username, password, role, actor="browser-tests")
    finally:
        database.engine.dispose()
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def site_accounts() -> dict[str, tuple[str, str]]:
    """Role value (``"registry_officer"``, …) → (username, password) of its account."""
    return {str(role): account for role, account in ACCOUNTS.items()}


@pytest.fixture(scope="session")
def site(site_database_url: str) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of a real ``landreg serve`` on the copy."""
    with landreg_serving(site_database_url, LANDREG_TRUSTED_PROXIES="127.0.0.1/32,::1/128") as base:
        yield base


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def new_page(chromium_browser: Any, site: str) -> Iterator[Callable[..., Any]]:
    """Make a page ``new_page(width, height, *, mobile=False, javascript=True)`` on its own
    browser context: a client of its own (its own cookies and X-Forwarded-For address)."""
    contexts: list[Any] = []
    blocked: list[str] = []

    def guard(route: Any) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def make(width: int, height: int, *, mobile: bool = False, javascript: bool = True) -> Any:
        n = next(_clients)
        context = chromium_browser.new_context(
            base_url=site,
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            service_workers="block",
            java_script_enabled=javascript,
            extra_http_headers={"X-Forwarded-For": f"10.15.{n // 250 % 250}.{n % 250 + 1}"},
        )
        context.set_default_timeout(10_000)
        context.route("**/*", guard)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    if blocked:
        pytest.fail(
            "the page tried to load from outside landreg (aborted): " + ", ".join(blocked[:10]),
            pytrace=False,
        )


@pytest.fixture
def phone_page(new_page: Callable[..., Any]) -> Any:
    """A page at 390×844 (touch phone)."""
    return new_page(*PHONE, mobile=True)


@pytest.fixture
def desk_page(new_page: Callable[..., Any]) -> Any:
    """A page at 1366×900 (an office desk)."""
    return new_page(*DESK)


@pytest.fixture(scope="session")
def shoot() -> Callable[..., Path]:
    """``shoot(page, name, full_page=True)``: the page as ``var/screenshots/<name>.png``."""

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


@pytest.fixture(scope="session")
def axe_violations() -> Callable[[Any], list[dict[str, Any]]]:
    """``axe_violations(page)``: the vendored axe-core's serious and critical violations."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not vendored ({AXE.relative_to(ROOT)}); run `python -m "
            "tools.vendor_assets`",
            pytrace=False,
        )
    source = AXE.read_text(encoding="utf-8")

    def audit(page: Any) -> list[dict[str, Any]]:
        # Evaluated by the browser's debugger protocol: no script tag, so a page's
        # Content-Security-Policy need not allow it.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN)
        return violations

    return audit
