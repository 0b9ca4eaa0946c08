"""Hostile input at the API's edge, against a real ``landreg serve`` on PostGIS.

A table-driven run over the OpenAPI document the server publishes (:mod:`tests.hostile`):
every query and path parameter and every top-level body field of every operation is sent
NaN, ±Infinity, ±1e308, an empty value, a 10,000-character string, 10,000 digits, a time
past the year 9999 once in UTC and a value of the wrong type, one at a time, the rest of the
request valid, signed in as an administrator (so that no role check hides a route). Each
answer must be below 500, and problem+json when it is an error; after each, the same
keep-alive connection must answer ``/health`` (after a 500, uvicorn closes the connection
the client would reuse). Then the cases once seen on a real server, request by request, each
refused with 422 naming the field, and the same refusals on the embedded SpatiaLite register.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.errors import _request_invalid
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_api_key
from landreg.services.sources import ingest_path
from landreg.settings import Settings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import (
    DossierParcelLinkRow,
    DossierRow,
    FindingRow,
    ParcelRow,
    PartyRow,
)
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, _isolated, _migrated_database
from tests.hostile import HOSTILE, check, operations, request_for, sent
from tests.serving import SAMPLE, landreg_serving, take_in_long_an

DOSSIER = "H55.703-240104-0001"


@dataclass(frozen=True)
class Served:
    """The running server, an administrator's API key and records the requests may name."""

    base: str
    key: str
    database: RegisterDatabase
    base_values: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Phường Long An taken in and reconciled on a committed PostGIS database (a server
    process must see it), a dossier with a parcel link, an administrator's API key, and a real
    server on it with the citizens' rate limit off (else 429 would hide that route)."""
    url, database = _migrated_database(f"landreg_test_hostile_{os.getpid()}")
    take_in_long_an(database)
    values = _records(database)
    with UnitOfWork(database) as uow:
        key = create_api_key(uow, "hostile", Role.ADMINISTRATOR, actor="test")
    folder = tmp_path_factory.mktemp("hostile")
    settings = {
        "LANDREG_PUBLIC_LOOKUPS_PER_MINUTE": "0",
        "LANDREG_INGEST_DIR": str(folder / "ingest"),
        "LANDREG_DATA_DIR": str(folder / "data"),
    }
    try:
        with landreg_serving(url, **settings) as base:
            values |= _map_values(base, key, values["parcel_id"])
            yield Served(base, key, database, values)
    finally:
        database.engine.dispose()
        _drop_database(url)


def _records(database: RegisterDatabase) -> dict[str, Any]:
    """Ids of a parcel, three open findings on parcels (one to fix, one to edit, one to
    dismiss) and a dossier's parcel link, made or found."""
    with UnitOfWork(database) as uow:
        parcel_id = uow.session.scalars(select(ParcelRow.id).order_by(ParcelRow.id)).first()
        party_id = uow.session.scalars(select(PartyRow.id).order_by(PartyRow.id)).first()
        open_findings = uow.session.scalars(
            select(FindingRow).where(FindingRow.status == "open").order_by(FindingRow.id)
        ).all()
        on_parcels = [f for f in open_findings if _parcel_of(f) is not None]
        assert parcel_id is not None and party_id is not None and len(on_parcels) >= 3
        fixed, edited, dismissed = on_parcels[:3]
        dossier = DossierRow(
            code=DOSSIER, procedure="transfer", status="processing", office="H55.703",
            applicant_identity="072090126789", received_at=datetime(2024, 1, 4, 9, 30),
            source_name="counter", source_key=DOSSIER, version=1,
        )  # fmt: skip
        uow.session.add(dossier)
        uow.session.flush()
        link = DossierParcelLinkRow(
            dossier_id=dossier.id, parcel_id=parcel_id, method="key", confidence=0.9,
            explanation="hostile input test", status="review",
        )  # fmt: skip
        uow.session.add(link)
        uow.session.flush()
        values = {
            "parcel_id": parcel_id, "link_id": link.id, "dossier": DOSSIER, "party_id": party_id,
            "finding_id": fixed.id, "finding_version": fixed.version,
            "edited_finding_id": edited.id, "edited_version": edited.version,
            "edited_parcel_id": _parcel_of(edited),
            "dismissed_finding_id": dismissed.id, "dismissed_version": dismissed.version,
        }  # fmt: skip
        uow.commit()
    return values


def _parcel_of(finding: FindingRow) -> int | None:
    return next((s["id"] for s in finding.subjects if s.get("table") == "parcel"), None)


def _map_values(base: str, key: str, parcel_id: int) -> dict[str, Any]:
    """A point inside the parcel, a small box around it and the zoom-16 tile holding it."""
    answer = httpx.get(f"{base}/parcels/{parcel_id}", headers={"X-API-Key": key})
    answer.raise_for_status()
    ring = answer.json()["geometry"]["coordinates"]
    while isinstance(ring[0][0], list):
        ring = ring[0]
    lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    zoom = 16
    tiles = 2**zoom
    column = int((lon + 180) / 360 * tiles)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * tiles)
    return {
        "lon": lon, "lat": lat, "bbox": f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}",
        "tile": {"z": zoom, "x": column, "y": row},
    }  # fmt: skip


def _client(served: Served) -> httpx.Client:
    return httpx.Client(
        base_url=served.base,
        headers={"X-API-Key": served.key},
        timeout=30,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def test_every_parameter_and_field_refuses_hostile_values_without_a_server_error(served):
    document = httpx.get(f"{served.base}/openapi.json").json()
    found = operations(document, served.base_values)
    assert len(found) >= 40, "the OpenAPI document lists fewer operations than expected"
    count = 0
    failed: list[str] = []
    bases: dict[str, int] = {}
    with _client(served) as client:
        for operation in found:
            request = request_for(client, operation, None, "base", None)
            answer, found_wrong = sent(client, request, f"{operation.label} base")
            bases[operation.label] = answer.status_code if answer is not None else 0
            failed += found_wrong
            count += 1
            for slot in operation.slots:
                for label, value in HOSTILE:
                    what = f"{operation.label} {slot.where} {slot.name}={label}"
                    request = request_for(client, operation, slot, label, value)
                    failed += sent(client, request, what)[1]
                    count += 1
    slots = sum(len(o.slots) for o in found)
    refused = {label: status for label, status in bases.items() if status >= 300}
    print(f"\nbase requests carried out: {len(bases) - len(refused)} of {len(bases)}; answered "
          f"otherwise (each hostile value still goes through validation): {refused}")  # fmt: skip
    print(
        f"\nhostile input: {count} requests ({len(found)} operations, {slots} parameters and "
        f"body fields, {len(HOSTILE)} values each), each followed by /health on the same "
        "connection"
    )
    assert count == len(found) + slots * len(HOSTILE)
    assert not failed, f"{len(failed)} of {count} requests went wrong:\n" + "\n".join(failed)


# --- the cases once seen on a real server -------------------------------------------------


def _refused(answer: httpx.Response, field_name: str) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert field_name in [e["field"] for e in problem.get("errors", [])], problem
    return problem


@pytest.mark.parametrize(
    ("path", "params", "field_name"),
    [
        ("/parcels/within", {"bbox": "nan,nan,nan,nan"}, "bbox"),
        ("/parcels/within", {"bbox": "-1e308,-1e308,1e308,1e308"}, "bbox"),
        ("/parcels/within", {"bbox": "inf,0,inf,1"}, "bbox"),
        ("/parcels/within", {"bbox": "1e15,1e15,1e15,1.0000001e15", "bbox_crs": "9209"}, "bbox"),
        ("/parcels/within", {"bbox": "1e15,1e15,1.0000001e15,1.0000001e15", "bbox_crs": "3405"},
         "bbox"),  # a UTM box PROJ cannot bring into TM-3
        ("/findings", {"bbox": "-1e308,-1e308,1e308,1e308"}, "bbox"),
        ("/findings", {"bbox": "nan,nan,nan,nan"}, "bbox"),
        ("/ogc/collections/parcels/items", {"bbox": "-1e308,-1e308,1e308,1e308"}, "bbox"),
        ("/parcels/at", {"x": "nan", "y": "10.5"}, "x"),
        ("/parcels/at", {"x": "106.4", "y": "Infinity"}, "y"),
        ("/parcels/at", {"x": "200", "y": "10.5"}, "x"),  # longitude beyond 180
        ("/parcels/99999999999999999999", {}, "parcel_id"),
        ("/parcels/99999999999999999999/history", {}, "parcel_id"),
        ("/findings/99999999999999999999", {}, "finding_id"),
        ("/findings", {"offset": "99999999999999999999"}, "offset"),
        ("/ogc/collections/parcels/items", {"offset": "99999999999999999999"}, "offset"),
        ("/tiles/parcels/22/99999999999999999999/1.pbf", {}, "x"),
        ("/parcels/1", {"at": "0001-01-01T00:00:00+05:00"}, "at"),
        ("/parcels/1", {"at": "9999-12-31T23:59:59-05:00"}, "at"),
        ("/stats/dossiers", {"as_of": "9999-12-31T23:59:00+00:00"}, "as_of"),
    ],
)  # fmt: skip
def test_cases_seen_on_a_real_server_are_refused_naming_the_field(served, path, params, field_name):
    with _client(served) as client:
        answer = check(client, client.build_request("GET", path, params=params), path)
    problem = _refused(answer, field_name)
    assert field_name in problem["detail"]


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-05:00"])
@pytest.mark.parametrize("path", ["/dossiers/check", "/dossiers"])
def test_a_receipt_time_beyond_the_calendar_is_refused_naming_it(served, path, received_at):
    body = {"procedure": "transfer", "received_at": received_at, "office": "H55.703"}
    with _client(served) as client:
        answer = check(client, client.build_request("POST", path, json=body), path)
    _refused(answer, "received_at")


@pytest.mark.parametrize("feature_id", ["²", "99999999999", "9" * 5000, "-1"])
def test_feature_ids_the_database_cannot_hold_are_not_found(served, feature_id):
    path = f"/ogc/collections/parcels/items/{quote(feature_id)}"
    with _client(served) as client:
        answer = check(client, client.build_request("GET", path), path)
    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize(
    ("path", "params", "field_name"),
    [
        ("/parcels/1", {"crs": "5703"}, "crs"),  # a vertical CRS: no map in it
        ("/parcels/1", {"crs": "4978"}, "crs"),  # geocentric
        ("/parcels/1/history", {"crs": "0"}, "crs"),
        ("/parcels/at", {"x": "106.4", "y": "10.5", "point_crs": "5703"}, "point_crs"),
        ("/parcels/within", {"bbox": "@bbox", "bbox_crs": "4978"}, "bbox_crs"),
        ("/findings", {"bbox": "@bbox", "bbox_crs": "5703"}, "bbox_crs"),
        ("/findings", {"crs": "99999999999"}, "crs"),
        ("/findings/1", {"crs": "-5"}, "crs"),
        ("/ogc/collections/parcels/items", {"bbox": "@bbox", "bbox-crs": "EPSG:5703"}, "bbox-crs"),
    ],
)
def test_crs_codes_outside_the_supported_list_are_refused_naming_the_field(
    served, path, params, field_name
):
    params = {k: served.base_values["bbox"] if v == "@bbox" else v for k, v in params.items()}
    with _client(served) as client:
        answer = check(client, client.build_request("GET", path, params=params), path)
    problem = _refused(answer, field_name)
    assert "4326" in problem["detail"] and "9209" in problem["detail"]


def test_the_supported_crs_codes_answer(served):
    box = served.base_values["bbox"]
    with _client(served) as client:
        for srid in (4326, 4756, 3405, 3406, 9209, 9210, 3857, 32648, 32649):
            one = client.get(f"/parcels/{served.base_values['parcel_id']}", params={"crs": srid})
            assert one.status_code == 200 and one.json()["crs"] == f"EPSG:{srid}", one.text
            assert all(math.isfinite(v) for v in _first_vertex(one.json()["geometry"]))
        found = client.get("/parcels/within", params={"bbox": box})
        assert served.base_values["parcel_id"] in [p["id"] for p in found.json()]


def _first_vertex(geometry: dict[str, Any]) -> list[float]:
    ring = geometry["coordinates"]
    while isinstance(ring[0], list):
        ring = ring[0]
    return ring


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_json_body_with_nan_is_refused_and_the_connection_stays_usable(served, token):
    body = (
        '{"procedure": "transfer", "received_at": "2024-01-04T09:30:00", '
        f'"declared_area": {token}}}'
    )
    with _client(served) as client:
        request = client.build_request(
            "POST", "/dossiers/check", content=body, headers={"content-type": "application/json"}
        )
        answer = check(client, request, f"declared_area={token}")
        problem = _refused(answer, "declared_area")
        assert problem["errors"][0]["value"] == token
        again = client.post("/dossiers/check", json=json.loads(body.replace(token, "120.5")))
        assert again.status_code == 200, again.text


def test_infinite_coordinates_in_an_edit_change_nothing(served):
    finding_id = served.base_values["edited_finding_id"]
    parcel_id = served.base_values["edited_parcel_id"]
    body = (
        f'{{"parcel_id": {parcel_id}, "note": "hostile input test", "geometry": '
        '{"type": "Polygon", "coordinates": [[[Infinity, 0], [1, 0], [1, 1], [Infinity, 0]]]}}'
    )
    with _client(served) as client:
        before = client.get(f"/parcels/{parcel_id}").json()
        finding = client.get(f"/findings/{finding_id}").json()
        request = client.build_request(
            "POST",
            f"/findings/{finding_id}/edit",
            content=body,
            headers={"content-type": "application/json"},
        )
        answer = check(client, request, "edit with Infinity")
        problem = _refused(answer, "geometry.coordinates.0.0.0")
        assert problem["errors"][0]["value"] == "Infinity"
        after = client.get(f"/parcels/{parcel_id}").json()
        unchanged = client.get(f"/findings/{finding_id}").json()
    assert after == before
    assert (unchanged["status"], unchanged["version"]) == (finding["status"], finding["version"])


def test_nan_written_as_text_is_left_to_validation(served):
    """Only the bare words are refused: "NaN" in a string is text (a name may hold it), and
    as a number's text it is refused by the field's own bounds, echoed as the text sent."""
    body = {"procedure": "transfer", "received_at": "2024-01-04T09:30:00"}
    with _client(served) as client:
        named = client.post("/dossiers/check", json=body | {"applicant_name": "NaN Infinity"})
        as_number = client.post("/dossiers/check", json=body | {"declared_area": "NaN"})
    assert named.status_code == 200, named.text
    assert _refused(as_number, "declared_area")["errors"][0]["value"] == "NaN"


def test_a_problem_can_always_be_written():
    """Whatever a validation error carries (a float NaN, infinities, bytes that are not
    UTF-8, a large object), the problem is strict JSON: no 500 from the error handler."""
    scope = {"type": "http", "method": "POST", "path": "/dossiers/check", "headers": []}
    error = RequestValidationError(
        [
            {"loc": ("body", "declared_area"), "msg": "finite", "input": math.nan},
            {"loc": ("body", "legal_area"), "msg": "finite", "input": -math.inf},
            {"loc": ("body", "file"), "msg": "text", "input": b"\xff\xfe\x00"},
            {"loc": ("body", "geometry"), "msg": "shape", "input": {"c": [[1.0] * 9999]}},
        ]
    )
    answer = asyncio.run(_request_invalid(Request(scope), error))
    problem = json.loads(answer.body, parse_constant=_refuse_constant)
    assert answer.status_code == 422
    values = [e["value"] for e in problem["errors"]]
    assert values[:2] == ["NaN", "-Infinity"]
    assert isinstance(values[2], str) and len(values[3]) <= 200


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"the problem holds {name}, which is not JSON")


def test_the_embedded_spatialite_register_refuses_the_same_and_finds_the_same(
    served, spatialite_database
):
    """The ORM's look-ups (SpatiaLite) take the point and box the edge converted, and
    refuse what the pooled ones on PostGIS refuse."""
    lon, lat, box = (served.base_values[k] for k in ("lon", "lat", "bbox"))
    with httpx.Client(base_url=served.base, headers={"X-API-Key": served.key}) as client:
        on_postgis = client.get("/parcels/at", params={"x": lon, "y": lat}).json()
    for database in _isolated(spatialite_database):
        for path in ("admin/units.gpkg", "maps/long_an_cu/27694_phuong_long_an.gpkg"):
            ingest_path(database, SAMPLE / path, IngestOptions())
        with TestClient(create_app(Settings(), database=database)) as client:
            at = client.get("/parcels/at", params={"x": lon, "y": lat}).json()
            within = client.get("/parcels/within", params={"bbox": box}).json()
            refusals = [
                client.get("/parcels/within", params={"bbox": "nan,nan,nan,nan"}),
                client.get("/parcels/within", params={"bbox": "-1e308,-1e308,1e308,1e308"}),
                client.get("/parcels/at", params={"x": lon, "y": lat, "point_crs": 4978}),
                client.get("/parcels/1", params={"crs": 5703}),
            ]
    assert [p["key"] for p in at] == [p["key"] for p in on_postgis] != []
    assert at[0]["key"] in [p["key"] for p in within]
    assert [r.status_code for r in refusals] == [422] * 4
    fields = [r.json()["errors"][0]["field"] for r in refusals]
    assert fields == ["bbox", "bbox", "point_crs", "crs"]
