"""/docs and /redoc render in a real browser on a network without internet: every request to
a host other than the landreg server is refused (the page fixtures fail the test on one).

The pages are opened under a name that is not ``localhost`` (``landreg.test``, mapped to
127.0.0.1 in the browser): Swagger UI calls out to validate the document of any other host,
as it would in an office."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.browser.conftest import OFFICE_HOST


def _as_office(site: str, path: str) -> str:
    return f"http://{OFFICE_HOST}:{urlsplit(site).port}{path}"


def _requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_the_harness_reaches_the_served_app(desk_page, site):
    answer = desk_page.goto("/health")
    assert answer is not None and answer.ok
    assert desk_page.url.startswith(site)


def test_swagger_ui_lists_the_operations_with_no_internet(desk_page, site, site_accounts, shoot):
    seen = _requests(desk_page)
    desk_page.goto(_as_office(site, "/docs"))
    operations = desk_page.locator(".opblock")
    operations.first.wait_for(state="visible")
    assert operations.count() >= 20
    assert "landreg" in desk_page.title()
    assert desk_page.get_by_text("/public/dossiers/{code}", exact=True).first.is_visible()
    # Signing in through "Authorize" (the password flow of /auth/token) works offline too.
    username, password = site_accounts["registry_officer"]
    desk_page.locator("button.authorize").first.click()
    desk_page.locator("#oauth_username").fill(username)
    desk_page.locator("#oauth_password").fill(password)
    oauth2 = desk_page.locator(".auth-container").first
    oauth2.locator("button", has_text="Authorize").click()
    oauth2.locator("button", has_text="Logout").wait_for()
    shoot(desk_page, "docs-swagger-desk", full_page=False)
    assert any("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in url for url in seen)
    assert any(url.endswith("/openapi.json") for url in seen)
    assert any(url.endswith("/auth/token") for url in seen)


def test_redoc_renders_the_document_with_no_internet(desk_page, site, shoot):
    seen = _requests(desk_page)
    desk_page.goto(_as_office(site, "/redoc"))
    heading = desk_page.locator("h1").first
    heading.wait_for(state="visible")
    assert "landreg" in heading.inner_text()
    assert desk_page.locator("[data-section-id^='operation/']").count() >= 20
    shoot(desk_page, "docs-redoc-desk", full_page=False)
    assert any("/static/vendor/redoc/redoc.standalone.js" in url for url in seen)


def test_the_docs_pages_name_only_assets_landreg_serves(site):
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        page = httpx.get(site + path, timeout=10)
        assert page.status_code == 200, path
        assert "http://" not in page.text and "https://" not in page.text, path
    for asset in (
        "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui-dist/swagger-ui.css",
        "/static/vendor/swagger-ui-dist/favicon-32x32.png",
        "/static/vendor/redoc/redoc.standalone.js",
    ):
        assert httpx.get(site + asset, timeout=10).status_code == 200, asset


_LOOKUP = """async () => {
  const answer = await fetch("/public/dossiers/KHONG-CO-MA?verify=0000");
  return answer.status;
}"""


def test_each_page_is_a_client_of_its_own_for_the_lookup_limit(new_page):
    # The harness's contract for the citizen tests: one page's tries never count against
    # another's (the limit is 10 look-ups a minute per client).
    first, second = new_page(390, 844, mobile=True), new_page(390, 844, mobile=True)
    first.goto("/health")
    second.goto("/health")
    answers = [first.evaluate(_LOOKUP) for _ in range(11)]
    assert answers[:10] == [404] * 10 and answers[10] == 429
    assert second.evaluate(_LOOKUP) == 404
