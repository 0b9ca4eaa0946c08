"""The role matrix: every endpoint of the app × every role → allowed, or 401/403.

The endpoints are read from the app itself, so a new one is covered at once, and one missing
from ``POLICY`` fails the test until someone decides who may call it. "Allowed" means the
request got past the role check: any answer other than 401 or 403 (a 404 or 422 for the
made-up ids and empty bodies sent here), and never a server error.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.settings import ApiSettings, Settings
from landreg.store.unit_of_work import UnitOfWork

PASSWORD = "correct horse battery"
ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, *(str(role) for role in Role))

ANYONE, SIGNED_IN, MAP, INTERNAL, STAFF, OFFICER = (
    "anyone", "signed in", "map", "officers and staff", "cadastral staff", "registry officers",
)  # fmt: skip
PAGES = "workbench pages"
STATS = "officers, staff and leaders"
ALLOWED = {
    ANYONE: set(ROLES),
    SIGNED_IN: set(ROLES) - {ANONYMOUS},
    INTERNAL: {"registry_officer", "cadastral_staff", "administrator"},
    STAFF: {"cadastral_staff", "administrator"},
    OFFICER: {"registry_officer", "administrator"},
    STATS: {"registry_officer", "cadastral_staff", "leader", "administrator"},
}

# (method, the request's path as a regular expression, who may call it). Entries for
# endpoints not built yet are fine; an endpoint no entry matches fails the test.
_ANY_ID = r"[^/]+"
POLICY: list[tuple[str, str, str]] = [
    ("GET", r"/", ANYONE),
    ("GET", r"/tra-cuu", ANYONE),  # the citizen's look-up page
    ("GET", r"/tong-quan-du-lieu", ANYONE),  # the register's overview page
    ("GET", r"/health", ANYONE),
    ("POST", r"/auth/token", ANYONE),
    ("GET", r"/docs(/oauth2-redirect)?", ANYONE),
    ("GET", r"/redoc", ANYONE),
    ("GET", r"/openapi\.json", ANYONE),
    # what the OGC API serves and how (no feature, no extent of the register's data)
    ("GET", r"/ogc(/conformance|/api|/collections)?", ANYONE),
    ("GET", r"/auth/me", SIGNED_IN),
    # the cadastral map: anyone while LANDREG_PUBLIC_MAP is true, else officers and staff
    ("GET", r"/parcels", MAP),
    ("GET", r"/parcels/at", MAP),
    ("GET", r"/parcels/within", MAP),
    ("GET", r"/parcels/export", INTERNAL),
    ("GET", rf"/parcels/{_ANY_ID}", MAP),
    ("GET", rf"/parcels/by-national-id/{_ANY_ID}", MAP),
    ("GET", r"/ogc/collections/parcels(/.*)?", MAP),
    ("GET", r"/tiles/parcels(/.*)?", MAP),
    # the register's internals
    ("GET", rf"/parcels/{_ANY_ID}/(record|history)", INTERNAL),
    ("GET", rf"/parcels/by-serial/{_ANY_ID}", INTERNAL),
    ("POST", r"/parcels/by-holder", OFFICER),
    ("GET", r"/ogc/collections/findings(/.*)?", INTERNAL),
    ("GET", r"/tiles/findings(/.*)?", INTERNAL),
    ("POST", r"/ingest", STAFF),
    ("GET", r"/ingest(/.*)?", STAFF),
    ("GET", r"/findings(/.*)?", INTERNAL),
    ("POST", rf"/findings/{_ANY_ID}/(fix|dismiss|edit)", STAFF),
    ("POST", r"/dossiers(/check)?", OFFICER),
    ("POST", rf"/dossiers/{_ANY_ID}/(status|document-requests)", OFFICER),
    ("POST", rf"/dossier-links/{_ANY_ID}/(confirm|reject)", OFFICER),
    # parties resolved across the registers: personal data, officers and staff; decisions
    # on the review queue: registry officers
    ("GET", rf"/parties/{_ANY_ID}", INTERNAL),
    ("POST", rf"/party-links/{_ANY_ID}/(confirm|reject)", OFFICER),
    ("GET", r"/dossiers", OFFICER),  # the officers' dossier list (search)
    ("GET", r"/dossiers(/.*)?", INTERNAL),
    # the figures of the dashboard and the operations centre's feed
    ("GET", r"/stats/(dossiers|quality|communes)", STATS),
    ("GET", r"/public/.*", ANYONE),
    # the officers' workbench pages sign in with a session cookie, not a bearer token: a
    # stranger is sent to the sign-in form, another role gets a refusal page, a form without
    # the session's token changes nothing (tests/e2e/test_officer_pages.py checks each)
    ("GET", r"/app(/.*)?", PAGES),
    ("POST", r"/app(/.*)?", PAGES),
]

# Values for path parameters; a layer or collection is tried with each of its kinds.
SAMPLES = {
    "layer": ("parcels", "findings"),
    "collection": ("parcels", "findings"),
    "code": ("H55.703-240104-0001",),
    "serial": ("CS123456",),
    "job": ("no-such-job",),
    "z": ("14",),
    "x": ("13000",),
    "y": ("7700",),
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def endpoints(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route of ``app``, included routers' too."""
    try:  # FastAPI with lazily included routers: app.routes holds the routers themselves
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - an older FastAPI lists every route in app.routes
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    for route in routes:
        for method in sorted(set(getattr(route, "methods", None) or ()) & set(METHODS)):
            yield method, getattr(route, "path_format", None) or route.path


def requests_for(path: str) -> list[str]:
    """Concrete paths for a template, one per combination of sample values."""
    names = re.findall(r"{(\w+)[^}]*}", path)
    choices = [
        SAMPLES.get(name)
        or next((v for k, v in SAMPLES.items() if len(k) > 1 and k in name.lower()), ("1",))
        for name in names
    ]
    paths = []
    for values in itertools.product(*choices):
        concrete = path
        for name, value in zip(names, values, strict=True):
            concrete = re.sub(r"{" + name + r"[^}]*}", value, concrete, count=1)
        paths.append(concrete)
    return paths


def policy(method: str, path: str) -> str | None:
    """Who may call ``method path``, from the first matching entry; None when none."""
    return next(
        (who for m, pattern, who in POLICY if m == method and re.fullmatch(pattern, path)), None
    )


def allowed_roles(who: str, public_map: bool) -> set[str]:
    """The roles ``who`` admits."""
    if who == MAP:
        who = ANYONE if public_map else INTERNAL
    return ALLOWED[who]


@pytest.fixture
def accounts(postgis):
    for role in Role:
        with UnitOfWork(postgis) as uow:
            create_user(uow, f"user_{role}", PASSWORD, role, actor="test")
    return postgis


def _headers(client: TestClient) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {ANONYMOUS: {}}
    for role in Role:
        form = {"username": f"user_{role}", "password": PASSWORD}
        token = client.post("/auth/token", data=form).json()["access_token"]
        headers[str(role)] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.mark.parametrize("public_map", [True, False], ids=["public map", "map not public"])
def test_every_endpoint_admits_exactly_its_roles(accounts, public_map):
    settings = Settings(api=ApiSettings(public_map=public_map))
    app = create_app(settings, database=accounts)
    wrong, unlisted, seen = [], [], 0
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = _headers(client)
        for method, template in endpoints(app):
            for path in requests_for(template):
                who = policy(method, path)
                if who is None:
                    unlisted.append(f"{method} {path} (route {template})")
                    continue
                if who == PAGES:  # cookie sessions: their own tests
                    continue
                admitted = allowed_roles(who, public_map)
                for role in ROLES:
                    body = {} if method != "GET" else None
                    got = client.request(method, path, headers=headers[role], json=body)
                    seen += 1
                    if role in admitted:
                        expected = "allowed"
                        ok = got.status_code not in (401, 403) and got.status_code < 500
                    else:
                        expected = "401" if role == ANONYMOUS else "403"
                        ok = str(got.status_code) == expected
                    if not ok:
                        wrong.append(f"{method} {path} as {role}: {got.status_code}, "
                                     f"policy {who!r} expects {expected}")  # fmt: skip
    assert not unlisted, "endpoints with no entry in POLICY:\n" + "\n".join(unlisted)
    assert not wrong, "endpoints not following the policy:\n" + "\n".join(wrong)
    assert seen >= 30 * len(ROLES)


def test_the_table_reads_paths_as_intended():
    assert policy("GET", "/parcels/17") == MAP
    assert policy("GET", "/parcels/17/record") == INTERNAL
    assert policy("GET", "/tiles/findings/14/13000/7700.pbf") == INTERNAL
    assert policy("GET", "/ogc/collections/parcels/items/5") == MAP
    assert policy("POST", "/findings/3/fix") == STAFF and policy("GET", "/findings/3") == INTERNAL
    assert policy("DELETE", "/parcels/17") is None
    assert requests_for("/tiles/{layer}/{z}/{x}/{y}.pbf") == [
        "/tiles/parcels/14/13000/7700.pbf",
        "/tiles/findings/14/13000/7700.pbf",
    ]
