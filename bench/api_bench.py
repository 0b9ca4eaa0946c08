"""Look-up API speed: landreg against tipg, a constant-bytes FastAPI app and pgbench, same run.

    .venv/bin/python bench/api_bench.py              # copies landreg_bench_link, then measures
    .venv/bin/python bench/api_bench.py --reuse      # measures the copy already made

tipg runs from its own virtualenv (its FastAPI pin may differ from landreg's)::

    python3 -m venv bench/.venv-tipg && bench/.venv-tipg/bin/pip install tipg 'uvicorn[standard]'

The register is the 1,000,000-parcel province, loaded, reconciled and with its dossiers
linked: a copy (``CREATE DATABASE … TEMPLATE``) of the database ``bench/link_bench.py``
leaves, or, when that is missing, loaded here the same way. From it a sample of about 10,000
parcels gives real ids, interior points (``ST_PointOnSurface`` in WGS 84), 100 m boxes around
them and dossier codes with their verification; ``bench/lua/paths.lua`` makes wrk request a
random one each time. Every server is a subprocess with one uvicorn worker (two for the
second point run) and no access log; each endpoint gets a warm-up, then ``wrk --latency``
for ``--seconds`` at 16 and 64 connections:

* landreg: parcel by id, parcel at a point, a citizen's dossier status (its per-client rate
  limit has no setting: each request carries a random ``X-Forwarded-For``, which uvicorn
  trusts from 127.0.0.1), parcels in a 100 m box, and the OGC items in that box when the
  route exists; the point query again with two workers;
* tipg on the same ``parcel`` table: item by id, items in the box (limit 10);
* the HTTP ceiling of one Python worker: a FastAPI endpoint returning constant bytes;
* the floor of the stack for a look-up: landreg's by-id statement on a pool of async psycopg
  connections in a bare FastAPI route (what no FastAPI + psycopg look-up can beat here);
* the database ceiling: pgbench running the point-in-polygon query on the same points.

Results go to bench/results/api.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI, Request, Response
from psycopg_pool import AsyncConnectionPool

from landreg.store.reads import parcels as parcel_reads

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ADMIN = os.environ.get("LANDREG_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "landreg_bench_api"
TEMPLATE = "landreg_bench_link"
TIPG = ROOT / "bench" / ".venv-tipg" / "bin" / "uvicorn"
LUA = ROOT / "bench" / "lua" / "paths.lua"
PORT = 8790
CONSTANT = b'{"id":1,"key":"80001-1-1","land_use_code":"ONT","measured_area":123.4}'
POINT_QUERY = (
    "SELECT id FROM parcel WHERE ST_Intersects(geom, "
    "ST_Transform(ST_SetSRID(ST_MakePoint({x}, {y}), 4326), 9209))"
)

constant_app = FastAPI()


@constant_app.get("/")
async def constant() -> Response:
    """The HTTP ceiling: the same bytes every time, nothing else."""
    return Response(CONSTANT, media_type="application/json")


@asynccontextmanager
async def _floor_pool(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = AsyncConnectionPool(
        os.environ["LANDREG_BENCH_URL"], min_size=4, max_size=10, kwargs={"autocommit": True}
    )
    await app.state.pool.open()
    gc.collect()
    gc.freeze()
    yield
    await app.state.pool.close()


floor_app = FastAPI(lifespan=_floor_pool)


@floor_app.get("/parcels/{parcel_id}")
async def floor_parcel(request: Request, parcel_id: int) -> Response:
    """The stack's floor: landreg's own by-id statement on a pool of async psycopg connections
    in a bare FastAPI route (no access check, no other parameter, no other route)."""
    async with request.app.state.pool.connection() as connection:
        cursor = await connection.execute(
            parcel_reads._BY_ID, {"parcel_id": parcel_id, "out_srid": 4326}, prepare=True
        )
        found = await cursor.fetchone()
    if found is None:
        return Response(status_code=404)
    return Response(found[0], media_type="application/json")


def url_of(database: str, driver: str = "postgresql") -> str:
    """A database's URL on the benchmark's server."""
    return ADMIN.rsplit("/", 1)[0].replace("postgresql", driver, 1) + f"/{database}"


def copy_template(template: str, tries: int = 60) -> None:
    """``DATABASE`` as a copy of ``template``; retried while someone is connected to it."""
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        for _ in range(tries):
            try:
                admin.execute(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(10)
    sys.exit(f"{template} stayed in use; copy it by hand or run without it")


LOAD = """
import sys
from pathlib import Path
from landreg.domain.delivery import IngestOptions
from landreg.services.sources import ingest_folder
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
database = RegisterDatabase.from_settings(DatabaseSettings(database_url=sys.argv[1]))
for folder in sys.argv[2:]:
    ingest_folder(database, Path(folder), IngestOptions(), confirm_crs=True)
"""


def load(folder: Path) -> None:
    """``DATABASE`` loaded from a generated province: every source, reconciled, linked."""
    from sample_units import use_sample_units

    use_sample_units()
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    env = {**os.environ, "LANDREG_DATABASE_URL": url_of(DATABASE, "postgresql+psycopg")}
    folders = [str(folder / n) for n in ("admin", "maps", "rasters", "dossiers", "register")]
    for command in (
        ["-m", "cli", "db", "upgrade"],
        ["-c", LOAD, env["LANDREG_DATABASE_URL"], *[f for f in folders if Path(f).is_dir()]],
        ["-m", "cli", "reconcile"],
        ["-m", "cli", "dossiers", "link"],
    ):
        print("loading:", " ".join(command[:4])[:80], flush=True)
        subprocess.run([sys.executable, *command], env=env, check=True, capture_output=True)


SAMPLE = """
SELECT id, ST_X(p), ST_Y(p), ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
FROM (SELECT id,
             ST_Transform(ST_PointOnSurface(geom), 4326) AS p,
             ST_Transform(ST_Expand(ST_PointOnSurface(geom), 50), 4326)::box2d AS b
      FROM parcel TABLESAMPLE BERNOULLI (1) REPEATABLE (7)
      WHERE geom IS NOT NULL AND ST_IsValid(geom)) s
"""
DOSSIERS = """
SELECT code, right(regexp_replace(coalesce(applicant_identity, applicant_phone), '\\D', '', 'g'), 4)
FROM dossier TABLESAMPLE BERNOULLI (2) REPEATABLE (7)
WHERE length(regexp_replace(coalesce(applicant_identity, applicant_phone), '\\D', '', 'g')) >= 4
"""


def sample() -> dict[str, list[Any]]:
    """Real parcel ids, interior points and 100 m boxes (WGS 84), dossier codes + verification.

    The points also go into a table ``bench_point`` for pgbench.
    """
    with psycopg.connect(url_of(DATABASE), autocommit=True) as db:
        rows = db.execute(SAMPLE).fetchall()
        dossiers = db.execute(DOSSIERS).fetchall()
        db.execute("DROP TABLE IF EXISTS bench_point")
        db.execute("CREATE TABLE bench_point (i serial PRIMARY KEY, x float8, y float8)")
        with db.cursor().copy("COPY bench_point (x, y) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row[1], row[2]))
        db.execute("ANALYZE bench_point")
    return {
        "ids": [r[0] for r in rows],
        "points": [(r[1], r[2]) for r in rows],
        "boxes": [",".join(f"{v:.7f}" for v in r[3:]) for r in rows],
        "dossiers": dossiers,
    }


def paths_file(name: str, paths: list[str]) -> Path:
    """The paths wrk picks from, one per line."""
    target = RESULTS / f"api_paths_{name}.txt"
    target.write_text("\n".join(paths) + "\n", encoding="utf-8")
    return target


def targets(found: dict[str, list[Any]]) -> dict[str, tuple[str, list[str]]]:
    """Each measured endpoint: which server, and the paths it is asked for."""
    tipg = "/collections/public.parcel/items"
    points = [f"/parcels/at?x={x!r}&y={y!r}" for x, y in found["points"]]
    return {
        "constant_bytes": ("constant", ["/"]),
        "floor_by_id": ("floor", [f"/parcels/{i}" for i in found["ids"]]),
        "landreg_by_id": ("landreg", [f"/parcels/{i}" for i in found["ids"]]),
        "landreg_at_point": ("landreg", points),
        "landreg_dossier_status": (
            "landreg",
            [f"/public/dossiers/{c}?verify={v}" for c, v in found["dossiers"]],
        ),
        "landreg_bbox": ("landreg", [f"/parcels/within?bbox={b}&limit=10" for b in found["boxes"]]),
        "landreg_ogc_bbox": (
            "landreg",
            [f"/ogc/collections/parcels/items?bbox={b}&limit=10" for b in found["boxes"]],
        ),
        "tipg_by_id": ("tipg", [f"{tipg}/{i}" for i in found["ids"]]),
        "tipg_bbox": ("tipg", [f"{tipg}?bbox={b}&limit=10" for b in found["boxes"]]),
        "landreg_at_point_2_workers": ("landreg2", points),
    }


def command_of(server: str) -> tuple[list[str], dict[str, str], Path | None]:
    """How to start a server: command line, environment, working directory."""
    env = {**os.environ, "LANDREG_DATABASE_URL": url_of(DATABASE, "postgresql+psycopg")}
    port = str(PORT)
    if server.startswith("landreg"):
        workers = "2" if server == "landreg2" else "1"
        # wrk sends a random X-Forwarded-For per request (paths.lua), so that the citizens'
        # per-client limit sees many clients: believed only from a proxy landreg trusts.
        env["LANDREG_TRUSTED_PROXIES"] = "127.0.0.1"
        return (
            [sys.executable, "-m", "cli", "serve", "--port", port, "--workers", workers],
            env,
            ROOT,
        )
    if server == "tipg":
        env = {
            **os.environ,
            "DATABASE_URL": url_of(DATABASE),
            "TIPG_DB_SCHEMAS": '["public"]',
            "TIPG_DB_TABLES": '["public.parcel"]',
            "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": '["public"]',  # PostGIS's table functions
        }
        # a temporary directory: tipg's settings read a .env from the working directory
        return [str(TIPG), "tipg.main:app", "--port", port, "--no-access-log"], env, None
    app = "api_bench:floor_app" if server == "floor" else "api_bench:constant_app"
    env["LANDREG_BENCH_URL"] = url_of(DATABASE)
    return [
        sys.executable, "-m", "uvicorn", app, "--app-dir", str(ROOT / "bench"),
        "--port", port, "--no-access-log",
    ], env, ROOT  # fmt: skip


@contextmanager
def running(server: str) -> Iterator[subprocess.Popen[bytes]]:
    """A server started as a subprocess, stopped (its whole process group) afterwards."""
    command, env, cwd = command_of(server)
    log_file = RESULTS / f"api_server_{server}.log"
    with tempfile.TemporaryDirectory() as scratch, log_file.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, cwd=cwd or scratch, stdout=log, stderr=log, start_new_session=True
        )
        try:
            _wait_ready(process, f"http://127.0.0.1:{PORT}/")
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}: see bench/results/api_server_*.log")
        if probe(url) is not None:
            return
        time.sleep(0.5)
    sys.exit(f"no answer from {url} in {seconds} s")


def probe(url: str) -> int | None:
    """The HTTP status of a GET, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(paths: Path, connections: int, seconds: int, forwarded: bool) -> dict[str, Any]:
    """One wrk run: requests per second, latency percentiles (ms), errors."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    command += ["-s", str(LUA), f"http://127.0.0.1:{PORT}", "--", str(paths)]
    load_before = os.getloadavg()[0]
    out = subprocess.run(
        command + (["forwarded"] if forwarded else []), capture_output=True, text=True, check=True
    ).stdout
    latency = {
        f"p{p}_ms": round(float(v) * UNITS[u], 2)
        for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    socket = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "connections": connections,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        **latency,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
        # no answer at all in the run: every open request hung (wrk reports no error then)
        "stalled": "0 requests in" in out,
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "wrk_output": out.strip().splitlines()[-4:],
    }


def measure(name: str, paths: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Warm-up, then one wrk run per connection count; skipped when the route does not answer."""
    status = probe(f"http://127.0.0.1:{PORT}{paths[0]}")
    if status != 200:
        print(f"{name}: skipped, {paths[0]} answered {status}", flush=True)
        return {"skipped": f"{paths[0].split('?')[0]} answered {status}"}
    listed = paths_file(name, paths)
    forwarded = name == "landreg_dossier_status"
    wrk(listed, 16, args.warmup, forwarded)
    runs = []
    for connections in args.connections:
        runs.append(wrk(listed, connections, args.seconds, forwarded))
        print(f"{name} @{connections}: {json.dumps(runs[-1])}", flush=True)
    return {"runs": runs}


PGBENCH_POINTS = """\\set i random(1, {count})
SELECT p.id FROM bench_point b JOIN parcel p ON ST_Intersects(p.geom,
  ST_Transform(ST_SetSRID(ST_MakePoint(b.x, b.y), 4326), 9209)) WHERE b.i = :i;
"""
EXTENT = """SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e) - ST_XMin(e), ST_YMax(e) - ST_YMin(e)
FROM (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 9209), 4326)::box2d AS e FROM parcel) s"""


def pgbench(count: int, seconds: int) -> dict[str, Any]:
    """Transactions per second of the point query at 16 clients: on the sampled interior points
    (the HTTP runs' points), and on uniform random points in the parcels' extent."""
    with psycopg.connect(url_of(DATABASE)) as db:
        x0, y0, dx, dy = db.execute(EXTENT).fetchone()  # type: ignore[misc]
    uniform = (
        f"\\set x {x0!r} + random(0, 1000000) * {dx!r} / 1000000.0\n"
        f"\\set y {y0!r} + random(0, 1000000) * {dy!r} / 1000000.0\n"
        + POINT_QUERY.format(x=":x", y=":y")
        + ";\n"
    )
    found = {}
    for name, script in (("interior_points", PGBENCH_POINTS.format(count=count)),
                         ("extent_uniform", uniform)):  # fmt: skip
        file = RESULTS / f"api_pgbench_{name}.sql"
        file.write_text(script, encoding="utf-8")
        command = ["pgbench", "-n", "-M", "prepared", "-c16", "-j2", f"-T{seconds}"]
        command += ["-f", str(file)]
        load_before = os.getloadavg()[0]
        out = subprocess.run(
            [*command, url_of(DATABASE)], capture_output=True, text=True, check=True
        ).stdout
        found[name] = {
            "clients": 16,
            "tps": float(re.search(r"tps = ([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "latency_avg_ms": float(re.search(r"latency average = ([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        print(f"pgbench {name}: {found[name]}", flush=True)
    return found


def run_all(found: dict[str, list[Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Every endpoint, grouped by server so that each server starts once."""
    plan = targets(found)
    chosen = {k: v for k, v in plan.items() if not args.only or k in args.only}
    results: dict[str, Any] = {}
    for server in ("constant", "floor", "landreg", "tipg", "landreg2"):
        mine = {k: p for k, (s, p) in chosen.items() if s == server}
        if not mine:
            continue
        with running(server):
            for name, paths in mine.items():
                results[name] = measure(name, paths, args)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "p1000000")
    parser.add_argument("--reuse", action="store_true", help="keep the database already copied")
    parser.add_argument("--template", default=TEMPLATE, help="the loaded database to copy")
    parser.add_argument("--seconds", type=int, default=30, help="each wrk and pgbench run")
    parser.add_argument("--warmup", type=int, default=5, help="the warm-up wrk run, seconds")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--only", nargs="*", help="measure only these (names as in the JSON)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [args.template]
            ).fetchone()
        copy_template(args.template) if exists else load(args.data)
    found = sample()
    print(f"sample: {len(found['ids'])} parcels, {len(found['dossiers'])} dossiers", flush=True)
    summary: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "seconds_per_run": args.seconds,
        "database": DATABASE,
        "endpoints": run_all(found, args),
    }
    if not args.only or "pgbench" in args.only:
        summary["pgbench_point_query"] = pgbench(len(found["points"]), args.seconds)
    out = RESULTS / ("api.json" if not args.only else "api_partial.json")
    out.write_text(json.dumps(summary, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
