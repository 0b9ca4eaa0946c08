"""A schema-driven fuzz run: schemathesis sends every operation of the app's OpenAPI requests
made from its schema, in process, to the real app on PostGIS with one commune taken in.

No answer may be a server error, and every answer must conform to the OpenAPI the app
publishes: status code documented, content type documented, headers and body matching. Calls
go as a registry officer; an operation the officer may not call (403) is sent again as
cadastral staff, so that staff-only operations are exercised too. The examples are drawn
deterministically (``derandomize``), so a run finds the same things every time.

``KNOWN`` lists mismatches found in routes owned elsewhere and reported to their owners: they
are shown as warnings on every run rather than failures, so that the run still finds every
other server error and mismatch, in every operation; ``test_known_mismatches_are_still_there``
fails as soon as one is fixed, so the list cannot go stale.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_api_key
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.settings import Settings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import DossierEventRow, DossierRow
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
EXAMPLES_PER_OPERATION = 12
LARGEST_ID = 2**31 - 1  # PostgreSQL's integer
_checks = schemathesis.checks
CONFORMANCE = [
    _checks.not_a_server_error,
    _checks.status_code_conformance,
    _checks.content_type_conformance,
    _checks.response_headers_conformance,
    _checks.response_schema_conformance,
]


class KnownMismatch(UserWarning):
    """A reported server error or OpenAPI mismatch, in a route owned elsewhere."""


def _too_large_id(case: Any) -> bool:
    return any(isinstance(v, int) and v > LARGEST_ID for v in (case.path_parameters or {}).values())


# (what is wrong, how to recognise it from the case and "<code> <message>" of the failure, or
# "ST101 <exception>" for an exception the app raised): none may occur under /public.
KNOWN: list[tuple[str, Callable[[Any, str], bool]]] = [
    (
        "GET /ogc/api answers application/vnd.oai.openapi+json; the OpenAPI says application/json",
        lambda case, text: text.startswith("ST105") and "vnd.oai.openapi" in text,
    ),
]
_warned: set[tuple[str, str]] = set()


def _known(case: Any, text: str) -> str | None:
    if case.path.startswith("/public"):
        return None
    return next((what for what, matches in KNOWN if matches(case, text)), None)


def _warn(case: Any, what: str) -> None:
    if (case.path, what) not in _warned:
        _warned.add((case.path, what))
        warnings.warn(f"{case.method} {case.path}: {what}", KnownMismatch, stacklevel=2)


# The app is built when the module is read (schemathesis makes one test per operation of its
# OpenAPI then); it connects to nothing until a request comes, and the fixture below points it
# at the test database first. (schemathesis.pytest.from_fixture would build it in a fixture,
# but does not run on pytest 9.)
APP = create_app(Settings())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def fuzzed_register(postgis_database: RegisterDatabase) -> Iterator[dict[Role, str]]:
    """One commune (map and register) taken in and reconciled, API keys of an officer and a
    member of cadastral staff; everything the run writes is rolled back at the end."""
    connection = postgis_database.engine.connect()
    outer = connection.begin()
    database = RegisterDatabase(postgis_database.engine, bind=connection)
    for path in (
        "admin/units.gpkg",
        "maps/long_an_cu/27694_phuong_long_an.gpkg",
        "register/so_dia_chinh_long_an_cu.xlsx",
    ):
        ingest_path(database, SAMPLE / path, IngestOptions())
    with UnitOfWork(database) as uow:
        reconcile(uow)
    _citizens_dossier(database)
    keys = {}
    for role in (Role.REGISTRY_OFFICER, Role.CADASTRAL_STAFF):
        with UnitOfWork(database) as uow:
            keys[role] = create_api_key(uow, f"fuzz_{role}", role, actor="test")
    unused = APP.state.database
    APP.state.database = database
    yield keys
    APP.state.database = unused
    outer.rollback()
    connection.close()


def _citizens_dossier(database: RegisterDatabase) -> None:
    """The dossier of the OpenAPI's examples (code H55.703-240104-0001, verification 6789)."""
    received = datetime(2024, 1, 4, 9, 30)
    with UnitOfWork(database) as uow:
        row = DossierRow(
            code="H55.703-240104-0001", procedure="transfer", status="processing",
            office="H55.703", applicant_identity="072090126789", received_at=received,
            source_name="counter", source_key="H55.703-240104-0001", version=1,
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
        for minutes, status in ((0, "new"), (10, "received"), (20, "processing")):
            at = received + timedelta(minutes=minutes)
            uow.session.add(DossierEventRow(dossier_id=row.id, at=at, to_status=status))
        uow.commit()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_fails_or_breaks_its_schema(case, fuzzed_register):
    response = _call(case, fuzzed_register[Role.REGISTRY_OFFICER])
    if response is not None and response.status_code == 403:
        response = _call(case, fuzzed_register[Role.CADASTRAL_STAFF])
    if response is None:
        return
    try:
        case.validate_response(response, checks=CONFORMANCE)
    except FailureGroup as group:
        unknown = []
        for failure in group.exceptions:
            what = _known(case, f"{failure.code} {failure.message}")
            if what is None:
                unknown.append(failure)
            else:
                _warn(case, what)
        if unknown:
            raise FailureGroup(unknown) from None


def _call(case: Any, key: str) -> Any:
    """The answer; None after a known server error. The in-process client re-raises what the
    app raised after answering 500, so an exception is a server error too."""
    try:
        return case.call(headers={"X-API-Key": key})
    except Exception as error:
        what = _known(case, f"ST101 {error}")
        if what is None:
            raise AssertionError(
                f"{case.method} {case.formatted_path} failed with a server error: {error!r}\n"
                f"query {case.query}, body {case.body!r}"
            ) from error
        _warn(case, what)
        return None


def test_known_mismatches_are_still_there(fuzzed_register):
    """Fails once an entry of ``KNOWN`` is fixed: then remove it, so that it is checked again."""
    with TestClient(APP, raise_server_exceptions=False) as client:
        described = client.get("/ogc/api")
    assert "vnd.oai.openapi" in described.headers["content-type"], KNOWN[0][0]


def test_errors_once_found_by_the_fuzz_run_stay_fixed(fuzzed_register):
    """Problems the run found and that were fixed: every error documented as problem+json,
    ids beyond the database's integer and NUL characters refused with 422, a receipt time
    with an offset read as local time; and what it cannot draw (a bare NaN in a JSON body,
    which tests/e2e/test_hostile_input.py sends everywhere on a real server) refused too."""
    document = APP.openapi()
    error_types = {
        media
        for operations in document["paths"].values()
        for operation in operations.values()
        for status, answer in operation.get("responses", {}).items()
        if status[0] in "45"
        for media in answer.get("content", {})
    }
    assert error_types == {"application/problem+json"}
    headers = {"X-API-Key": fuzzed_register[Role.REGISTRY_OFFICER]}
    with TestClient(APP, raise_server_exceptions=False) as client:
        big = client.get(f"/parcels/{LARGEST_ID + 1}", headers=headers)
        nul = client.post("/auth/token", data={"username": "\x00", "password": "x"})
        offset = client.post(
            "/dossiers/check",
            headers=headers,
            json={"procedure": "transfer", "received_at": "2024-01-04T02:30:00Z"},
        )
        nan = client.post(
            "/dossiers/check",
            headers=headers | {"content-type": "application/json"},
            content=b'{"procedure": "transfer", "received_at": "2024-01-04T09:30:00", '
            b'"declared_area": NaN}',
        )
    assert big.status_code == 422 and "SELECT" not in big.text
    assert nan.status_code == 422 and nan.json()["errors"][0]["field"] == "declared_area"
    assert nul.status_code in (401, 422) and "NUL" not in nul.text
    assert offset.status_code == 200, offset.text
    with TestClient(APP, raise_server_exceptions=False) as client:
        finding = client.get("/findings", params={"limit": 1}, headers=headers).json()["items"][0]
    assert finding["created_at"].endswith(("Z", "+00:00"))  # RFC 3339 needs the offset
