"""The `landreg` command as a user runs it: a real process, a real server, a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

import pyogrio

from tests.conftest import _drop_database, _migrated_database
from tests.serving import landreg_serving

LANDREG = [sys.executable, "-m", "cli"]


def _run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LANDREG, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_db_upgrade_and_info_on_the_embedded_default(tmp_path: Path):
    env = {"LANDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'register.sqlite'}"}
    upgraded = _run("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "spatialite database at schema revision" in upgraded.stdout
    info = _run("db", "info", env=env)
    # exit code 0 also proves SpatiaLite's GEOS/PROJ did not displace shapely's and pyproj's
    assert info.returncode == 0, info.stderr
    assert "spatialite" in info.stdout and "admin_unit" in info.stdout and "EPSG" not in info.stderr


def test_a_bad_setting_is_a_clear_error_not_a_traceback(tmp_path: Path):
    env = {
        "LANDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite'}",
        "LANDREG_CADASTRAL_SRID": "4326",
    }
    result = _run("db", "upgrade", env=env)
    assert result.returncode == 2
    assert "cadastral_srid" in result.stderr and "not a projected CRS" in result.stderr
    assert "Traceback" not in result.stderr


def test_info_on_a_database_without_schema_says_what_to_do(tmp_path: Path):
    env = {"LANDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    result = _run("db", "info", env=env)
    assert result.returncode == 0
    assert "schema_revision │ None" in result.stdout
    assert "run `landreg db upgrade`" in result.stdout


def test_serve_answers_over_http_on_postgis(postgis_database, postgis_url: str):
    with landreg_serving(postgis_url) as base:
        health = httpx.get(f"{base}/health", timeout=2)
        assert health.status_code == 200 and health.json()["backend"] == "postgis"
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "landreg"
        missing = httpx.get(f"{base}/parcels/424242")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        # A value the database cannot store, on the served look-ups' own connections: a 422
        # problem, not a 500.
        refused = httpx.get(f"{base}/public/dossiers/H55%00X", params={"verify": "1234"})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert "psycopg" not in refused.text and "SELECT" not in refused.text


def test_many_clients_at_once_are_all_answered_with_a_small_pool(postgis_database):
    """Many more clients than connections (a pool of one): every client is answered — requests
    queue for the database without holding a worker thread, and give their connection back
    before the answer is serialised and sent."""
    url, ids = _register_with_parcels(f"landreg_test_pool_{os.getpid()}")

    def ask(base: str, n: int) -> int:
        return httpx.get(f"{base}/parcels/{ids[n % len(ids)]}", timeout=20).status_code

    try:
        with landreg_serving(url, LANDREG_POOL_SIZE="1") as base, ThreadPoolExecutor(96) as clients:
            answers = list(clients.map(lambda n: ask(base, n), range(480)))
        assert answers == [200] * 480  # every client answered, none timed out
    finally:
        _drop_database(url)


def _register_with_parcels(name: str) -> tuple[str, list[int]]:
    """A database of its own holding a few parcels (committed, so a server process sees them)."""
    import shapely

    from landreg.services.register import ParcelInput, register_parcels
    from landreg.store.unit_of_work import UnitOfWork

    url, database = _migrated_database(name)
    inputs = [
        ParcelInput("25459", 1, n, shapely.box(565_000 + 30 * n, 1_249_000, 565_025 + 30 * n,
                                               1_249_040), 9209, 1000.0, "ODT")
        for n in range(1, 11)
    ]  # fmt: skip
    with UnitOfWork(database) as uow:
        ids = register_parcels(uow, inputs, actor="test")
    database.engine.dispose()
    return url, ids


def test_reconcile_and_findings_for_qgis_on_the_embedded_default(tmp_path: Path):
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "small"
    env = {"LANDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'register.sqlite'}"}
    assert _run("db", "upgrade", env=env).returncode == 0
    for path in (
        "admin/units.gpkg",
        "maps/long_an_cu/27694_phuong_long_an.gpkg",
        "register/so_dia_chinh_long_an_cu.xlsx",
    ):
        loaded = _run("ingest", str(sample / path), env=env)
        assert loaded.returncode == 0, loaded.stderr
    reconciled = _run("reconcile", env=env)
    assert reconciled.returncode == 0, reconciled.stderr
    assert "GEOM_OVERLAP" in reconciled.stdout and "findings opened" in reconciled.stdout
    out = tmp_path / "findings.gpkg"
    exported = _run("findings", "--format", "gpkg", "--out", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    layers = dict(pyogrio.list_layers(out))
    assert "findings_areas" in layers
    areas = pyogrio.read_dataframe(out, layer="findings_areas")
    assert areas.crs.to_epsg() == 9209 and set(areas["rule"]) >= {"GEOM_OVERLAP"}
    again = _run("reconcile", env=env)
    assert "findings opened 0" in again.stdout
    report = tmp_path / "report.html"
    assert _run("report", "--out", str(report), env=env).returncode == 0
    html = report.read_text(encoding="utf-8")
    assert "Chồng lấn" in html and "Phường Long An" in html and html.count("<svg") >= 3
    assert "Khớp ranh giới với thửa liền kề" in html and "snap_to_neighbour" not in html
