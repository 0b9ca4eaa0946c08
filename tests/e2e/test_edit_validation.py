"""Boundaries edited through the findings queue are checked as ingest checks delivered ones:
a real ``landreg serve`` on PostGIS, a real client.

An invalid boundary is refused with GEOS's reason and place (or kept as drawn, when asked,
with a GEOM_INVALID finding); Z, non-finite coordinates, too many vertices and bodies too
large are refused before anything changes; a valid edit still resolves its finding.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

import shapely

from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_user
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.store.tables import AuditRow, FindingRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, _migrated_database
from tests.serving import SAMPLE, landreg_serving, take_in_long_an

PASSWORD = "correct horse battery"
MAX_VERTICES = 300  # the server's LANDREG_MAX_EDIT_VERTICES
TAN_NINH = "maps/tay_ninh_cu/25459_phuong_tan_ninh.gpkg"
# Each of its findings names one map parcel; an edit that succeeds closes the one it used.
NO_REGISTER = "SRC_MAP_WITHOUT_REGISTER"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, object]]:
    """Phường Long An and Phường Tân Ninh's map reconciled on a committed PostGIS register,
    served by a real process with a small vertex limit; a client signed in as staff."""
    url, database = _migrated_database(f"landreg_test_edits_{os.getpid()}")
    take_in_long_an(database)  # its overlap finding
    ingest_path(database, SAMPLE / TAN_NINH, IngestOptions())  # parcels the register lacks
    with UnitOfWork(database) as uow:
        reconcile(uow)
    with UnitOfWork(database) as uow:
        create_user(uow, "staff", PASSWORD, Role.CADASTRAL_STAFF, actor="test")
    data = tmp_path_factory.mktemp("landreg_data")
    settings = {"LANDREG_MAX_EDIT_VERTICES": str(MAX_VERTICES), "LANDREG_DATA_DIR": str(data)}
    with landreg_serving(url, **settings) as base, httpx.Client(base_url=base, timeout=60) as c:
        token = c.post("/auth/token", data={"username": "staff", "password": PASSWORD})
        c.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        c.headers["Accept-Language"] = "en"  # these tests read the English texts
        yield c, database
    database.engine.dispose()
    _drop_database(url)


def _open(client: httpx.Client, rule: str, position: int = 0) -> tuple[dict, int]:
    """An open finding of ``rule`` (each test its own), and its first parcel's id."""
    page = client.get("/findings", params={"rule": rule, "limit": 20}).json()
    assert page["total"] > position
    finding = page["items"][position]
    return finding, next(s["id"] for s in finding["subjects"] if s["table"] == "parcel")


def _parcel(client: httpx.Client, parcel_id: int) -> tuple[int, shapely.Geometry]:
    """A parcel's version and boundary in EPSG:9209, as the API serves it."""
    found = client.get(f"/parcels/{parcel_id}", params={"crs": 9209}).json()
    return found["version"], shapely.geometry.shape(found["geometry"])


def _finding(client: httpx.Client, finding_id: int) -> dict:
    return client.get(f"/findings/{finding_id}").json()


def _edit(client: httpx.Client, finding: dict, parcel_id: int, geometry: object, **more):
    body = {"parcel_id": parcel_id, "note": "boundary redrawn from the 2024 survey"}
    return client.post(
        f"/findings/{finding['id']}/edit",
        json=body | {"geometry": geometry, "crs": 9209} | more,
    )


def _bow_tie(shape: shapely.Geometry) -> dict:
    """A self-intersecting ring over the parcel's box: it crosses itself at the centre."""
    west, south, east, north = shape.bounds
    ring = [[west, south], [east, north], [east, south], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _unchanged(client, finding, parcel_id, version, shape) -> None:
    """The refused edit left the finding open at its version and the parcel as it was."""
    again = _finding(client, finding["id"])
    assert (again["status"], again["version"]) == ("open", finding["version"])
    now, now_shape = _parcel(client, parcel_id)
    assert now == version and now_shape.equals_exact(shape, 1e-6)


def test_a_self_intersecting_boundary_is_refused_with_the_geos_reason(served):
    client, _ = served
    finding, parcel_id = _open(client, "GEOM_OVERLAP")
    version, shape = _parcel(client, parcel_id)
    refused = _edit(client, finding, parcel_id, _bow_tie(shape))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    centre = shapely.box(*shape.bounds).centroid
    place = f"({centre.x:.2f}, {centre.y:.2f}) in EPSG:9209"
    assert f"Self-intersection at {place}" in problem["detail"]
    assert "store_as_drawn" in problem["detail"]
    assert problem["errors"][0]["field"] == "geometry"
    _unchanged(client, finding, parcel_id, version, shape)


def test_stored_as_drawn_it_is_kept_and_a_geom_invalid_finding_opens(served):
    client, database = served
    finding, parcel_id = _open(client, NO_REGISTER)
    version, shape = _parcel(client, parcel_id)
    drawn = _bow_tie(shape)
    stored = _edit(client, finding, parcel_id, drawn, store_as_drawn=True)
    assert stored.status_code == 200, stored.text
    answer = stored.json()
    assert answer["status"] == "fixed"
    opened = answer["opened"]
    assert (opened["rule"], opened["status"]) == ("GEOM_INVALID", "open")
    assert parcel_id in [s["id"] for s in opened["subjects"]]
    assert "Self-intersection" in opened["message_en"]
    now, now_shape = _parcel(client, parcel_id)
    assert now == version + 1
    kept = {tuple(round(v, 3) for v in xy) for xy in shapely.get_coordinates(now_shape)}
    assert kept == {tuple(round(v, 3) for v in xy) for xy in drawn["coordinates"][0]}
    listed = client.get("/findings", params={"rule": "GEOM_INVALID", "limit": 500}).json()
    assert opened["id"] in [item["id"] for item in listed["items"]]
    # reconciliation finds the same finding again: still open, not a second one
    with UnitOfWork(database) as uow:
        reconcile(uow)
    with UnitOfWork(database) as uow:
        rows = uow.session.execute(
            select(FindingRow.id, FindingRow.status, FindingRow.subjects).where(
                FindingRow.rule == "GEOM_INVALID"
            )
        ).all()
        audited = uow.session.scalars(
            select(AuditRow.action).where(
                AuditRow.entity_type == "finding", AuditRow.entity_id == opened["id"]
            )
        ).all()
    about = [(i, st) for i, st, subjects in rows if parcel_id in [s["id"] for s in subjects]]
    assert about == [(opened["id"], "open")]
    assert audited == ["open"]


def test_an_invalid_boundary_is_not_stored_as_drawn_over_an_open_geom_invalid_finding(served):
    client, _ = served
    finding, parcel_id = _open(client, NO_REGISTER)
    _, shape = _parcel(client, parcel_id)
    stored = _edit(client, finding, parcel_id, _bow_tie(shape), store_as_drawn=True)
    finding = stored.json()["opened"]  # the boundary is invalid, and a finding says so
    version, shape = _parcel(client, parcel_id)
    west, south, east, north = shape.bounds
    another = {"type": "Polygon", "coordinates": [[[west, north], [east, south], [east, north],
                                                   [west, south], [west, north]]]}  # fmt: skip
    refused = _edit(client, finding, parcel_id, another, store_as_drawn=True)
    assert refused.status_code == 422, refused.text
    assert f"finding {finding['id']} already reports" in refused.json()["detail"]
    _unchanged(client, finding, parcel_id, version, shape)


def test_a_3d_boundary_is_refused_naming_z_not_flattened(served):
    client, _ = served
    finding, parcel_id = _open(client, "GEOM_OVERLAP")
    version, shape = _parcel(client, parcel_id)
    mapped = shapely.geometry.mapping(shapely.force_3d(shape, 12.5))
    refused = _edit(client, finding, parcel_id, json.loads(json.dumps(mapped)))
    assert refused.status_code == 422, refused.text
    assert "Z" in refused.json()["detail"] and "2D" in refused.json()["detail"]
    _unchanged(client, finding, parcel_id, version, shape)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("infinite", ""),  # refused where JSON is parsed, or by the geometry check
        ("far away", "outside"),
        ("a line", "Polygon"),
    ],
)
def test_boundaries_ingest_would_refuse_are_refused(served, change, words):
    client, _ = served
    finding, parcel_id = _open(client, "GEOM_OVERLAP")
    version, shape = _parcel(client, parcel_id)
    if change == "infinite":
        ring = [list(xy) for xy in shapely.get_coordinates(shape.geoms[0].exterior)]
        ring[1][0] = float("inf")
        content = json.dumps(
            {"parcel_id": parcel_id, "note": "moved a corner", "crs": 9209,
             "geometry": {"type": "Polygon", "coordinates": [ring]}}
        )  # fmt: skip
        refused = client.post(
            f"/findings/{finding['id']}/edit",
            content=content,
            headers={"Content-Type": "application/json"},
        )
    else:
        geometry = (
            shapely.geometry.mapping(shapely.affinity.translate(shape, 60_000, 0))
            if change == "far away"
            else {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
        )
        refused = _edit(client, finding, parcel_id, json.loads(json.dumps(geometry)))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert words.lower() in refused.text.lower()
    _unchanged(client, finding, parcel_id, version, shape)


def test_too_many_vertices_are_refused(served):
    client, _ = served
    finding, parcel_id = _open(client, "GEOM_OVERLAP")
    version, shape = _parcel(client, parcel_id)
    circle = shapely.Point(shape.centroid).buffer(3, quad_segs=MAX_VERTICES // 4 + 10)
    refused = _edit(client, finding, parcel_id, shapely.geometry.mapping(circle))
    assert refused.status_code == 422, refused.text
    assert f"at most {MAX_VERTICES}" in refused.json()["detail"]
    _unchanged(client, finding, parcel_id, version, shape)


def _raw_post(base: str, path: str, head: dict[str, str], body: bytes) -> bytes:
    """Send a request's head and the start of its body on a socket, then read the answer:
    an answer that comes is one given before the body was read whole."""
    where = urlsplit(base)
    lines = [f"POST {path} HTTP/1.1", f"Host: {where.netloc}"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    with socket.create_connection((where.hostname, where.port), timeout=30) as raw:
        raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < 200:
            piece = raw.recv(65536)
            if not piece:
                break
            answer += piece
    return answer


def test_a_41_mb_body_is_refused_before_it_is_read(served):
    client, _ = served
    finding, parcel_id = _open(client, "GEOM_OVERLAP")
    version, shape = _parcel(client, parcel_id)
    head = {
        "Authorization": client.headers["Authorization"],
        "Accept-Language": "en",
        "Content-Type": "application/json",
        "Content-Length": str(41_600_000),
    }
    start = b'{"parcel_id": %d, "note": "a million vertices", "crs": 9209, "geometry": ' % parcel_id
    answer = _raw_post(str(client.base_url), f"/findings/{finding['id']}/edit", head, start)
    assert answer.startswith(b"HTTP/1.1 422"), answer[:200]
    assert b"request body is larger" in answer
    # sent in chunks, without a length: stopped as it arrives
    head.pop("Content-Length")
    chunk = b"[565000.123456789, 1249000.123456789], " * 1000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in [start] + [chunk] * 8)
    answer = _raw_post(
        str(client.base_url),
        f"/findings/{finding['id']}/edit",
        head | {"Transfer-Encoding": "chunked"},
        chunks,
    )
    assert answer.startswith(b"HTTP/1.1 422"), answer[:200]
    assert client.get("/health").status_code == 200
    _unchanged(client, finding, parcel_id, version, shape)


def test_a_valid_edit_still_resolves_the_finding(served):
    client, database = served
    finding, parcel_id = _open(client, NO_REGISTER)
    version, shape = _parcel(client, parcel_id)
    smaller = shapely.buffer(shape, -0.5, join_style="mitre")
    edited = _edit(client, finding, parcel_id, shapely.geometry.mapping(smaller))
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "fixed" and edited.json()["opened"] is None
    now, now_shape = _parcel(client, parcel_id)
    assert now == version + 1
    assert now_shape.area == pytest.approx(smaller.area, rel=1e-6)
    assert now_shape.area < shape.area
    # the edit keeps where the record came from: the next delivery of its map finds it
    with UnitOfWork(database) as uow:
        source = uow.session.execute(
            select(ParcelRow.source_name, ParcelRow.source_key).where(ParcelRow.id == parcel_id)
        ).one()
    assert source == (finding["subjects"][0]["source"], finding["subjects"][0]["record"])
