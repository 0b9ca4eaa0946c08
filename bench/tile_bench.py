"""Vector tile speed: landreg's parcel tiles beside tipg's, same table, same run.

    .venv/bin/python bench/tile_bench.py                        # the database api_bench.py made
    .venv/bin/python bench/tile_bench.py --database landreg_dev --rounds 2 --seconds 5

The register is the 1,000,000-parcel province ``bench/api_bench.py`` loads
(``landreg_bench_api``); tipg 1.6.1 runs from its own virtualenv (``bench/.venv-tipg``, see
api_bench.py) on the same ``parcel`` table, asked for the same properties as landreg's tiles.

Tiles are chosen where the parcels are, with a fixed seed: at each zoom from 13 to 18 the
densest few and a random draw of the other tiles holding parcels (counted by the centres of the
parcels' boxes); at zooms 10 to 12 a few, to show what a server answers there; the densest
zoom-13 tile is the worst case. Each server (one uvicorn worker, no access log) then:

1. fetches every tile once, cold (the first time this server draws it): latency and bytes;
2. fetches them all again ``--rounds`` times in a shuffled order, one request at a time:
   p50 / p95 / p99 per zoom, with the CPU the server and PostgreSQL's backends spent;
3. runs wrk with ``--connections`` clients for ``--seconds`` per zoom on that zoom's tiles:
   requests per second and p50 / p95 / p99.

landreg's own statement is also timed alone on one psycopg connection (what PostgreSQL takes
to draw each tile, without HTTP), and ``EXPLAIN ANALYZE`` of the worst tile is kept. Results go
to bench/results/tiles.json, and a table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_bench  # the servers, the database's URL, the results folder

from landreg.domain.map_features import MapLayerName
from landreg.store.reads.tiles import WEB_MERCATOR_HALF_WIDTH, tile_sql

ROOT = api_bench.ROOT
RESULTS = api_bench.RESULTS
LUA = ROOT / "bench" / "lua" / "tiles.lua"
ZOOMS = range(10, 19)
TARGET_ZOOMS = range(13, 19)
PROPERTIES = ("commune_code", "map_sheet", "parcel_number", "legal_area", "measured_area",
              "land_use_code", "address")  # fmt: skip
SRID = 9209
CENTRES = """
SELECT ST_X(c), ST_Y(c) FROM (
  SELECT ST_Transform(ST_SetSRID(ST_Centroid(Box2D(geom)), %(srid)s), 3857) AS c
  FROM parcel WHERE geom IS NOT NULL) s
"""


def choose_tiles(database: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Tiles holding parcels at each zoom: the densest and a seeded random draw of the others."""
    with psycopg.connect(api_bench.url_of(database)) as db:
        centres = np.array(db.execute(CENTRES, {"srid": SRID}).fetchall(), dtype=float)
    rng = np.random.default_rng(args.seed)
    chosen: list[dict[str, Any]] = []
    for z in ZOOMS:
        size = 2 * WEB_MERCATOR_HALF_WIDTH / 2**z
        columns = np.floor((centres[:, 0] + WEB_MERCATOR_HALF_WIDTH) / size).astype(np.int64)
        rows = np.floor((WEB_MERCATOR_HALF_WIDTH - centres[:, 1]) / size).astype(np.int64)
        keys, counts = np.unique(columns * 2**z + rows, return_counts=True)
        wanted = args.tiles if z in TARGET_ZOOMS else args.low_tiles
        dense = np.argsort(-counts, kind="stable")[: min(args.dense, wanted)]
        others = np.setdiff1d(np.arange(len(keys)), dense)
        drawn = rng.choice(others, size=min(len(others), wanted - len(dense)), replace=False)
        for kind, picks in (("dense", dense), ("random", np.sort(drawn))):
            for i in picks:
                x, y = divmod(int(keys[i]), 2**z)
                chosen.append({"z": z, "x": x, "y": y, "parcels": int(counts[i]), "kind": kind})
    worst = max((t for t in chosen if t["z"] == 13), key=lambda t: t["parcels"])
    worst["kind"] = "worst"
    return chosen


def path_of(server: str, tile: dict[str, Any]) -> str:
    """The tile's URL path on a server (tipg asked for landreg's properties only)."""
    z, x, y = tile["z"], tile["x"], tile["y"]
    if server == "landreg":
        return f"/tiles/parcels/{z}/{x}/{y}.pbf"
    return f"/collections/public.parcel/tiles/WebMercatorQuad/{z}/{x}/{y}?properties=" + ",".join(
        PROPERTIES
    )


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 and the largest, in milliseconds."""
    if not values:
        return {}
    found = np.percentile(np.array(values), [50, 95, 99])
    return {
        "p50_ms": round(float(found[0]), 2),
        "p95_ms": round(float(found[1]), 2),
        "p99_ms": round(float(found[2]), 2),
        "max_ms": round(max(values), 2),
        "count": len(values),
    }


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of some processes so far (those that still run)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _group_pids(leader: int) -> list[int]:
    """The processes of a server's process group (uvicorn and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == leader:
                found.append(int(entry.name))
    return found


def _backend_pids(database: str) -> list[int]:
    """PostgreSQL's backends connected to the database (the servers' pools)."""
    with psycopg.connect(api_bench.url_of("postgres"), autocommit=True) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU spent by a server's processes and the database's backends between two readings."""

    def __init__(self, leader: int, database: str) -> None:
        self.leader, self.database = leader, database

    def start(self) -> None:
        self.server_pids = _group_pids(self.leader)
        self.backends = {pid: _cpu_seconds([pid]) for pid in _backend_pids(self.database)}
        self.server = _cpu_seconds(self.server_pids)
        self.wall = time.perf_counter()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        server = _cpu_seconds(self.server_pids) - self.server
        backends = sum(
            _cpu_seconds([pid]) - self.backends.get(pid, 0.0)
            for pid in _backend_pids(self.database)
        )
        return {"wall_s": round(wall, 2), "server_cpu_s": round(server, 2),
                "postgres_cpu_s": round(backends, 2)}  # fmt: skip


def sequential(server: str, tiles: list[dict[str, Any]], args: argparse.Namespace,
               meter: CpuMeter) -> dict[str, Any]:  # fmt: skip
    """Every tile once cold, then ``rounds`` shuffled passes one request at a time."""
    base = f"http://127.0.0.1:{api_bench.PORT}"
    cold: list[dict[str, Any]] = []
    warm: dict[int, list[float]] = defaultdict(list)
    with httpx.Client(base_url=base, timeout=300) as client:
        for tile in tiles:
            started = time.perf_counter()
            answer = client.get(path_of(server, tile))
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code not in (200, 204):
                sys.exit(f"{server} answered {answer.status_code} for {path_of(server, tile)}")
            cold.append({**tile, "ms": round(elapsed, 2), "bytes": len(answer.content)})
        shuffler = random.Random(args.seed)
        load_before = os.getloadavg()[0]
        cpu: dict[int, dict[str, float]] = {}
        for z in ZOOMS:  # one zoom at a time, so that the CPU is counted per zoom
            order = [t for t in tiles if t["z"] == z]
            meter.start()
            for _ in range(args.rounds):
                shuffler.shuffle(order)
                for tile in order:
                    started = time.perf_counter()
                    client.get(path_of(server, tile))
                    warm[z].append((time.perf_counter() - started) * 1000)
            cpu[z] = meter.stop()
            for part in ("server", "postgres"):
                per_request = cpu[z][f"{part}_cpu_s"] * 1000 / max(1, len(warm[z]))
                cpu[z][f"{part}_cpu_ms_per_request"] = round(per_request, 2)
    by_zoom = {}
    for z in ZOOMS:
        sizes = [c["bytes"] for c in cold if c["z"] == z]
        colds = [c["ms"] for c in cold if c["z"] == z]
        by_zoom[str(z)] = {
            "tiles": len(sizes),
            "cold": percentiles(colds),
            "warm": percentiles(warm[z]),
            "cpu": cpu[z],
            "bytes_mean": int(np.mean(sizes)) if sizes else 0,
            "bytes_max": max(sizes, default=0),
            "empty": sum(1 for s in sizes if s == 0),
        }
    largest = max(cold, key=lambda c: c["bytes"])
    worst = next(c for c in cold if c["kind"] == "worst")
    return {
        "by_zoom": by_zoom,
        "largest_tile": largest,
        "worst_tile_cold": worst,
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cold": cold,
    }


def concurrent(server: str, tiles: list[dict[str, Any]], args: argparse.Namespace) -> dict:
    """wrk on each zoom's tiles with ``connections`` clients."""
    found = {}
    for z in ZOOMS:
        paths = [path_of(server, t) for t in tiles if t["z"] == z]
        listed = RESULTS / f"tile_paths_{server}_{z}.txt"
        listed.write_text("\n".join(paths) + "\n", encoding="utf-8")
        runs = []
        for connections in args.connections:
            runs.append(wrk(listed, connections, args.seconds))
            print(f"  {server} z{z} @{connections}: {json.dumps(runs[-1])}", flush=True)
        found[str(z)] = runs
    return found


def wrk(paths: Path, connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run: requests per second, latency percentiles (ms), statuses and errors."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    command += ["-s", str(LUA), f"http://127.0.0.1:{api_bench.PORT}", "--", str(paths)]
    load_before = os.getloadavg()[0]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    socket = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "connections": connections,
        "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        **{f"p{p}_ms": float(v) for p, v in re.findall(r"^tile-percentile (\d+) (\S+)", out, re.M)},
        "max_ms": float(re.search(r"^tile-max ([\d.]+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "statuses": {s: int(n) for s, n in re.findall(r"^tile-status (\d+) (\d+)", out, re.M)},
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }  # fmt: skip


def database_alone(database: str, tiles: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """landreg's tile statement on one connection, prepared as the server runs it: what
    PostgreSQL takes per tile without HTTP; and EXPLAIN ANALYZE of the worst tile."""
    timings: dict[int, list[float]] = defaultdict(list)
    wanted = [t for t in tiles if t["z"] in TARGET_ZOOMS]
    with psycopg.connect(api_bench.url_of(database), autocommit=True) as db:
        for round_ in range(rounds + 1):  # the first pass prepares the statements, untimed
            for tile in wanted:
                sql, values = tile_sql(MapLayerName.PARCELS, tile["z"], tile["x"], tile["y"], SRID)
                started = time.perf_counter()
                db.execute(sql, values, prepare=True).fetchone()
                if round_:
                    timings[tile["z"]].append((time.perf_counter() - started) * 1000)
        worst = next(t for t in tiles if t["kind"] == "worst")
        sql, values = tile_sql(MapLayerName.PARCELS, worst["z"], worst["x"], worst["y"], SRID)
        plan = [row[0] for row in db.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, values)]
    return {
        "by_zoom": {str(z): percentiles(v) for z, v in sorted(timings.items())},
        "worst_tile": worst,
        "worst_tile_plan": plan,
    }


def table(results: dict[str, Any]) -> str:
    """The per-zoom comparison as a Markdown table."""
    lines = [
        "| zoom | tiles | landreg p50 / p95 / p99 ms | tipg p50 / p95 / p99 ms "
        "| p95 tipg ÷ landreg | landreg bytes mean / max | tipg bytes mean / max "
        "| PostgreSQL alone p95 ms "
        "| @N landreg req/s, p95 | @N tipg req/s, p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    land, tipg = results["landreg"]["sequential"], results["tipg"]["sequential"]
    alone = results["database_alone"]["by_zoom"]
    for z in ZOOMS:
        a, b = land["by_zoom"][str(z)], tipg["by_zoom"][str(z)]
        wa, wb = a["warm"], b["warm"]
        ratio = wb["p95_ms"] / wa["p95_ms"] if wa.get("p95_ms") else float("nan")
        runs = [results[s]["concurrent"].get(str(z), [{}])[0] for s in ("landreg", "tipg")]
        busy = [f"{r.get('req_per_s', 0):.0f}, {r.get('p95_ms', 0):.0f} ms" for r in runs]
        lines.append(
            f"| {z} | {a['tiles']} | {wa['p50_ms']} / {wa['p95_ms']} / {wa['p99_ms']} "
            f"| {wb['p50_ms']} / {wb['p95_ms']} / {wb['p99_ms']} | {ratio:.1f}× "
            f"| {a['bytes_mean']:,} / {a['bytes_max']:,} "
            f"| {b['bytes_mean']:,} / {b['bytes_max']:,} "
            f"| {alone.get(str(z), {}).get('p95_ms', '—')} | {busy[0]} | {busy[1]} |"
        )
    lines += [
        "",
        "| zoom | cold p95 ms landreg / tipg | CPU ms per tile, landreg: server + PostgreSQL "
        "| tipg: server + PostgreSQL |",
        "|---|---|---|---|",
    ]
    for z in ZOOMS:
        a, b = land["by_zoom"][str(z)], tipg["by_zoom"][str(z)]
        cpu = [
            f"{d['cpu']['server_cpu_ms_per_request']} + {d['cpu']['postgres_cpu_ms_per_request']}"
            for d in (a, b)
        ]
        lines.append(
            f"| {z} | {a['cold']['p95_ms']} / {b['cold']['p95_ms']} | {cpu[0]} | {cpu[1]} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=api_bench.DATABASE)
    parser.add_argument("--tiles", type=int, default=30, help="tiles per zoom, 13 to 18")
    parser.add_argument("--low-tiles", type=int, default=8, help="tiles per zoom, 10 to 12")
    parser.add_argument("--dense", type=int, default=5, help="of which the densest")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5, help="warm passes over every tile")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[8])
    parser.add_argument("--servers", nargs="+", default=["landreg", "tipg"])
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    api_bench.DATABASE = args.database  # the servers api_bench starts read this database
    tiles = choose_tiles(args.database, args)
    print(f"{len(tiles)} tiles; worst: {next(t for t in tiles if t['kind'] == 'worst')}")
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "database": args.database,
        "arguments": vars(args),
        "tiles": tiles,
    }
    for server in args.servers:
        with api_bench.running(server) as process:
            meter = CpuMeter(process.pid, args.database)
            print(f"{server}: sequential", flush=True)
            done = {"sequential": sequential(server, tiles, args, meter)}
            print(f"{server}: concurrent", flush=True)
            done["concurrent"] = concurrent(server, tiles, args)
        results[server] = done
    print("landreg's statement alone", flush=True)
    results["database_alone"] = database_alone(args.database, tiles, min(args.rounds, 3))
    out = RESULTS / "tiles.json"
    out.write_text(json.dumps(results, indent=2))
    if {"landreg", "tipg"} <= set(args.servers):
        print(table(results))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
