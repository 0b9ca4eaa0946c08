"""Many people acting on one record at once, through a real ``landreg serve`` on PostGIS and on
SpatiaLite: exactly one of them wins, the others are told it changed meanwhile (409 problem),
and nothing is written twice. And on SpatiaLite, look-ups answered while ``landreg ingest``
loads a large map layer in another process.

Every race sends its requests from separate threads, each on its own connection, released
together by a barrier once every connection is open.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm.exc import StaleDataError

import geopandas as gpd
import pyogrio

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.database import upgrade_database
from landreg.settings import CadastreSettings, DatabaseSettings, Settings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import (
    AuditRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    FindingRow,
    ParcelRow,
)
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _create_database, _drop_database
from tests.e2e.test_dossiers_api import TRANSFER_DOCUMENTS, _sole_holder
from tests.serving import SAMPLE, landreg_serving, take_in_long_an

CLIENTS = 24
PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"

Send = Callable[[httpx.Client], httpx.Response]


@dataclass(frozen=True, slots=True)
class Served:
    """A register with Phường Long An taken in, served by a real ``landreg serve``."""

    url: str
    base: str
    database: RegisterDatabase
    staff: dict[str, str] = field(default_factory=dict)
    officer: dict[str, str] = field(default_factory=dict)


def _register(url: str) -> RegisterDatabase:
    """Phường Long An taken in and reconciled, with a cadastral staff and an officer account
    (all committed, so that a server process sees them)."""
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    upgrade_database(database, CadastreSettings())
    take_in_long_an(database)
    for name, role in (("staff", Role.CADASTRAL_STAFF), ("officer", Role.REGISTRY_OFFICER)):
        with UnitOfWork(database) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    return database


def _signed_in(base: str, name: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/auth/token", data={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@contextmanager
def _serving(url: str) -> Iterator[Served]:
    database = _register(url)
    try:
        with landreg_serving(url) as base:
            yield Served(
                url, base, database, _signed_in(base, "staff"), _signed_in(base, "officer")
            )
    finally:
        database.engine.dispose()


@pytest.fixture(scope="module", params=["postgis", "spatialite"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The register on each backend, served."""
    if request.param == "spatialite":
        with _serving(f"sqlite:///{tmp_path_factory.mktemp('race') / 'register.sqlite'}") as one:
            yield one
        return
    url = _create_database(f"landreg_test_race_{os.getpid()}")
    try:
        with _serving(url) as one:
            yield one
    finally:
        _drop_database(url)


def _race(base: str, sends: list[Send]) -> list[httpx.Response]:
    """Every request sent at once, each from its own thread and connection."""
    barrier = threading.Barrier(len(sends))

    def one(send: Send) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=120) as client:
            client.get("/health")  # the connection is open before the race starts
            barrier.wait()
            return send(client)

    with ThreadPoolExecutor(len(sends)) as pool:
        return list(pool.map(one, sends))


def _one_won(answers: list[httpx.Response], won: int = 200) -> httpx.Response:
    """The one winning answer; every other is a 409 problem."""
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {won: 1, 409: len(answers) - 1}, statuses
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["status"] == 409 and answer.json()["detail"]
    return next(answer for answer in answers if answer.status_code == won)


def _open_finding(served: Served, rule: str | None = None, fix: str | None = None) -> dict:
    """An open finding at version 1 (of ``rule``, whose suggested fix is ``fix``)."""
    page = httpx.get(
        f"{served.base}/findings",
        params={"limit": 500} | ({"rule": rule} if rule else {}),
        headers=served.staff,
    ).json()
    return next(
        item
        for item in page["items"]
        if item["version"] == 1 and (fix is None or (item["suggestion"] or {}).get("fix") == fix)
    )


def _finding_audit(database: RegisterDatabase, finding_id: int) -> list[str]:
    with UnitOfWork(database) as uow:
        return list(
            uow.session.scalars(
                select(AuditRow.action).where(
                    AuditRow.entity_type == "finding", AuditRow.entity_id == finding_id
                )
            )
        )


def _stored_finding(database: RegisterDatabase, finding_id: int) -> tuple[str, int]:
    with UnitOfWork(database) as uow:
        row = uow.session.get(FindingRow, finding_id)
        return row.status, row.version


def _parcel_versions(database: RegisterDatabase, ids: list[int]) -> dict[int, int]:
    with UnitOfWork(database) as uow:
        return dict(
            uow.session.execute(
                select(ParcelRow.id, ParcelRow.version).where(ParcelRow.id.in_(ids))
            ).all()
        )


def test_one_of_24_staff_acting_on_one_finding_wins(served: Served):
    finding = _open_finding(served, "GEOM_OVERLAP", "snap_to_neighbour")
    parcels = [s["id"] for s in finding["subjects"] if s["table"] == "parcel"]
    before = _parcel_versions(served.database, parcels)
    path = f"/findings/{finding['id']}"
    bodies = {
        "fix": ("fix", {"expected_version": 1}),
        "dismiss": ("dismiss", {"reason": "not an overlap on the ground", "expected_version": 1}),
        "edit": (
            "edit",
            {
                "parcel_id": parcels[0],
                "legal_area": 1234.5,
                "note": "legal area after the 2024 survey",
                "expected_version": 1,
            },
        ),
    }
    actions = ["fix", "dismiss"] * 10 + ["edit"] * 4
    random.Random(12).shuffle(actions)
    sends = [
        lambda client, a=bodies[action]: client.post(
            f"{path}/{a[0]}", json=a[1], headers=served.staff
        )
        for action in actions
    ]
    winner = _one_won(_race(served.base, sends)).json()
    status, version = _stored_finding(served.database, finding["id"])
    assert (status, version) == (winner["status"], 2) and winner["version"] == 2
    assert _finding_audit(served.database, finding["id"]) == [status]
    after = _parcel_versions(served.database, parcels)
    changed = sum(after[pid] - before[pid] for pid in parcels)
    assert changed == (0 if status == "dismissed" else 1)  # one parcel changed once, or none


def test_without_a_version_concurrent_dismissals_are_taken_one_at_a_time(served: Served):
    finding = _open_finding(served)
    body = {"reason": "checked on site: the boundaries are right"}
    sends = [
        lambda client: client.post(
            f"/findings/{finding['id']}/dismiss", json=body, headers=served.staff
        )
    ] * CLIENTS
    winner = _one_won(_race(served.base, sends)).json()
    assert winner["status"] == "dismissed" and winner["version"] == 2
    assert _stored_finding(served.database, finding["id"]) == ("dismissed", 2)
    assert _finding_audit(served.database, finding["id"]) == ["dismissed"]


def _application(served: Served, office: str) -> dict:
    """A transfer of a parcel with one holder, by that holder, with every document."""
    holder = _sole_holder(served.database)
    return {
        "procedure": "transfer",
        "received_at": "2024-01-04T09:30:00",
        "applicant_name": holder["name"],
        "applicant_identity": holder["identity"],
        "commune": "Phường Long An",
        "map_sheet": holder["sheet"],
        "parcel_number": holder["number"],
        "documents": TRANSFER_DOCUMENTS,
        "office": office,
    }


def _received_dossier(served: Served, office: str) -> dict:
    """A dossier received at ``office`` (its pre-check passes and links its parcel)."""
    body = _application(served, office)
    made = httpx.post(f"{served.base}/dossiers", json=body, headers=served.officer)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "received"
    return made.json()


def test_24_counters_receiving_at_once_hand_out_24_codes(served: Served):
    body = _application(served, "H55.RUSH")
    sends = [lambda client: client.post("/dossiers", json=body, headers=served.officer)]
    answers = _race(served.base, sends * CLIENTS)
    assert Counter(answer.status_code for answer in answers) == {201: CLIENTS}
    codes = sorted(answer.json()["code"] for answer in answers)
    assert codes == [f"H55.RUSH-240104-{n:04d}" for n in range(1, CLIENTS + 1)]


def _dossier_trail(database: RegisterDatabase, code: str) -> tuple[str, int, int, int]:
    """The stored dossier's status and version, its events, its status changes audited."""
    with UnitOfWork(database) as uow:
        row = uow.session.scalar(select(DossierRow).where(DossierRow.code == code))
        events = uow.session.scalar(
            select(func.count()).where(DossierEventRow.dossier_id == row.id)
        )
        audited = uow.session.scalar(
            select(func.count()).where(
                AuditRow.entity_type == "dossier",
                AuditRow.entity_id == row.id,
                AuditRow.action == "status",
            )
        )
        return row.status, row.version, events, audited


def test_one_of_24_officers_moving_one_dossier_wins(served: Served):
    code = _received_dossier(served, "H55.801")["code"]
    *_, events_before, _ = _dossier_trail(served.database, code)
    targets = ["processing", "withdrawn"] * (CLIENTS // 2)
    sends = [
        lambda client, to=to: client.post(
            f"/dossiers/{code}/status",
            json={"to": to, "expected_version": 1, "note": f"moved to {to}"},
            headers=served.officer,
        )
        for to in targets
    ]
    winner = _one_won(_race(served.base, sends)).json()
    status, version, events, audited = _dossier_trail(served.database, code)
    assert (status, version) == (winner["status"], 2) and winner["version"] == 2
    assert events == events_before + 1 and audited == 1


def _link_audit(database: RegisterDatabase, link_id: int) -> list[str]:
    with UnitOfWork(database) as uow:
        return list(
            uow.session.scalars(
                select(AuditRow.action).where(
                    AuditRow.entity_type == "dossier_parcel_link", AuditRow.entity_id == link_id
                )
            )
        )


@pytest.mark.parametrize(("action", "won"), [("confirm", 200), ("reject", 204)])
def test_one_of_24_officers_deciding_on_one_link_wins(served: Served, action: str, won: int):
    code = _received_dossier(served, f"H55.{action.upper()}")["code"]
    [link] = httpx.get(f"{served.base}/dossiers/{code}", headers=served.officer).json()["links"]
    assert link["status"] == "linked"
    body = {"reason": "the parcel is another one"} if action == "reject" else None
    sends = [
        lambda client: client.post(
            f"/dossier-links/{link['id']}/{action}", json=body, headers=served.officer
        )
    ] * CLIENTS
    _one_won(_race(served.base, sends), won)
    with UnitOfWork(served.database) as uow:
        stored = uow.session.get(DossierParcelLinkRow, link["id"]).status
    assert stored == f"{action}ed"
    assert _link_audit(served.database, link["id"]) == [action]


def test_a_stale_data_error_anywhere_is_a_409_problem_not_a_500(tmp_path: Path):
    """The ORM's own version check (a route that did not lock first) answers as a conflict."""
    database = RegisterDatabase.from_settings(
        DatabaseSettings(database_url=f"sqlite:///{tmp_path / 'unused.sqlite'}")
    )
    app = create_app(Settings(), database=database)

    def stale() -> None:
        raise StaleDataError("UPDATE statement on table 'dossier' expected to update 1 row(s)")

    app.add_api_route("/stale", stale)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/stale")
        again = client.get("/health")
    assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == 409 and "UPDATE" not in answer.text
    assert again.status_code == 200


# --- SpatiaLite: look-ups while another process loads a large map layer ---------------------

COPIES = 500  # of Phường Tân Ninh's 242 parcels: 121,000 parcels in one ingest transaction


def _large_layer(folder: Path) -> tuple[Path, int]:
    """Phường Tân Ninh's parcel layer repeated (new OBJECTIDs): one large GeoPackage, and
    how many parcels it holds."""
    source = SAMPLE / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
    layer = pyogrio.read_dataframe(source, layer="ThuaDat")
    ids = layer["OBJECTID"].astype("int64")
    copies = [layer.assign(OBJECTID=ids + n * 1_000_000) for n in range(COPIES)]
    target = folder / f"25459_phuong_tan_ninh_x{COPIES}.gpkg"
    whole = gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=layer.crs)
    pyogrio.write_dataframe(whole, target, layer="ThuaDat", driver="GPKG")
    return target, len(whole)


@dataclass(slots=True)
class Tally:
    """What the look-ups saw while the ingest ran."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    slowest: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            self.slowest = max(self.slowest, seconds)


def _look_up(served: Served, tally: Tally, running: Callable[[], bool], seed: int) -> None:
    """Parcel by id, parcels at a point, the findings list, over and over while ``running``."""
    with UnitOfWork(served.database) as uow:
        ids = list(uow.session.scalars(select(ParcelRow.id).order_by(ParcelRow.id).limit(200)))
        inside = uow.parcels.get(ids[0]).geometry.representative_point()
    at = {"x": inside.x, "y": inside.y, "point_crs": served.database.cadastral_srid}
    pick = random.Random(seed)
    with httpx.Client(base_url=served.base, headers=served.staff, timeout=60) as client:
        while running():
            asks = (
                lambda: client.get(f"/parcels/{pick.choice(ids)}"),
                lambda: client.get("/parcels/at", params=at),
                lambda: client.get("/findings", params={"limit": 20}),
            )
            started = time.perf_counter()
            answer = pick.choice(asks)()
            tally.add(answer.status_code, time.perf_counter() - started)


def test_spatialite_look_ups_are_answered_while_another_process_ingests(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    layer, parcels = _large_layer(tmp_path)
    with _serving(url) as served:
        with served.database.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            parcels_before = connection.execute(text("SELECT count(*) FROM parcel")).scalar()
        said = tmp_path / "ingest.log"
        with said.open("w") as log:
            ingest = subprocess.Popen(
                [sys.executable, "-m", "cli", "ingest", str(layer)],
                env={**os.environ, "LANDREG_DATABASE_URL": url},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        tally = Tally()
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as clients:
            running = [
                clients.submit(_look_up, served, tally, lambda: ingest.poll() is None, seed)
                for seed in range(4)
            ]
            for client in running:
                client.result()  # a client that failed fails the test
        ingest_seconds = time.perf_counter() - started
        ingest.wait()
        print(
            f"\nSpatiaLite look-ups during a {ingest_seconds:.1f} s ingest of "
            f"{parcels:,} parcels in another process: {tally.requests} requests, "
            f"{tally.requests - tally.statuses[200]} errors {dict(tally.statuses)}, "
            f"slowest {tally.slowest * 1000:.0f} ms"
        )
        assert ingest.returncode == 0, said.read_text()[-2000:]
        with served.database.engine.connect() as connection:
            parcels_after = connection.execute(text("SELECT count(*) FROM parcel")).scalar()
        assert parcels_after == parcels_before + parcels  # the load really ran, and whole
        assert tally.requests >= 4 * ingest_seconds  # look-ups kept coming during the load
        assert tally.statuses == {200: tally.requests}, tally.statuses  # no 503, no error
        assert tally.slowest < 5.0  # readers do not wait for the writer's lock
