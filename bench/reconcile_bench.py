"""Geometry rules at province scale: landreg against the PostGIS self-join, same table, same run.

    .venv/bin/python bench/reconcile_bench.py --data bench/data/p1000000

Takes every parcel layer of a generated province (all communes, reprojected into EPSG:9209)
into a fresh PostGIS register with ``landreg ingest`` (not timed), then times:

* the anchor: ``SELECT count(*) FROM parcel a JOIN parcel b ON a.id < b.id AND a.geom && b.geom
  AND ST_Relate(a.geom, b.geom, '2********')`` over a copy of the valid parcels with its own
  GiST index (GEOS raises a TopologyException on the invalid ones) — overlaps only;
* landreg: reading the parcels out of PostGIS, then every geometry rule (invalid geometry,
  overlaps and slivers, exact and near duplicates, gaps, multipart, tiny, placement), commune
  by commune with a halo, in one process; peak memory from ``/usr/bin/time``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psycopg

import geopandas as gpd
import pyogrio

ROOT = Path(__file__).resolve().parents[1]
ADMIN = os.environ.get("LANDREG_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "landreg_bench_reconcile"
FIELDS = {
    "objectid": "OBJECTID",
    "ma_xa": "MaXa",
    "so_to_bd": "SoTo",
    "so_thua": "SoThua",
    "dt_phaply": "DienTich",
    "mdsd": "LoaiDat",
}
STRIP_FIELDS = {
    "objectid": "OBJECTID",
    "ma_xa": "MaXa",
    "loai": "Loai",
    "be_rong": "BeRong",
    "mdsd": "LoaiDat",
}


def merged(folder: Path, role: str, fields: dict[str, str]) -> Path:
    """Every layer of a role (parcels, roads_canals) in one GeoPackage, EPSG:9209."""
    target = folder / f"bench_{role}.gpkg"
    if target.exists():
        return target
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    frames, offset = [], 0
    for entry in manifest["files"]:
        if entry["kind"] != "map" or entry.get("role") != role:
            continue
        if role != "parcels" and entry["format"] == "shapefile":
            continue  # legacy-encoded strip layers (two small communes) trip GDAL's Arrow reader
        frame = pyogrio.read_dataframe(
            folder / entry["path"],
            layer=entry["layer"],
            columns=[name for pair in fields.items() for name in pair],
            on_invalid="fix",
            use_arrow=True,
        )
        true = entry.get("true_crs_epsg") or 9209  # the 0.56 m sign error does not matter here
        frame = frame.set_crs(true, allow_override=True).to_crs(9209).rename(columns=fields)
        frame["OBJECTID"] = frame["OBJECTID"].astype("int64") + offset
        offset += 10_000_000
        frames.append(frame[[c for c in fields.values() if c in frame.columns] + ["geometry"]])
    whole = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=9209)
    pyogrio.write_dataframe(whole, target, layer=role, driver="GPKG")
    return target


def prepare(folder: Path) -> str:
    """A fresh register holding the province's boundaries, parcels and roads."""
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    env = {**os.environ, "LANDREG_DATABASE_URL": f"{url}/{DATABASE}"}
    commands = [
        ["db", "upgrade"],
        ["ingest", str(folder / "admin" / "units.gpkg")],
        ["ingest", str(merged(folder, "parcels", FIELDS)), "--profile", "map_tay_ninh_cu"],
        [
            "ingest",
            str(merged(folder, "roads_canals", STRIP_FIELDS)),
            "--profile",
            "strips_tay_ninh_cu",
        ],
    ]
    for command in commands:
        subprocess.run(
            [sys.executable, "-m", "cli", *command], env=env, check=True, capture_output=True
        )
    return env["LANDREG_DATABASE_URL"]


def anchor() -> tuple[float, int]:
    """Seconds and overlapping pairs found by PostGIS's indexed self-join.

    GEOS raises a TopologyException relating invalid polygons, so the self-join runs on a
    copy of the valid parcels with its own GiST index (made before the clock starts).
    """
    with psycopg.connect(ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}", autocommit=True) as db:
        db.execute("DROP TABLE IF EXISTS bench_valid")
        db.execute("CREATE TABLE bench_valid AS SELECT id, geom FROM parcel WHERE ST_IsValid(geom)")
        db.execute("CREATE INDEX ON bench_valid USING gist (geom)")
        db.execute("ANALYZE bench_valid")
        started = time.perf_counter()
        pairs = db.execute(
            "SELECT count(*) FROM bench_valid a JOIN bench_valid b ON a.id < b.id "
            "AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')"
        ).fetchone()[0]
        return time.perf_counter() - started, int(pairs)


RUN = """
import json, sys, time
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.reconcile_repository import ReconcileRepository
from landreg.store.unit_of_work import UnitOfWork
from landreg.services.geometry_checks import GeometrySettings, geometry_candidates
database = RegisterDatabase.from_settings(DatabaseSettings(database_url=sys.argv[1]))
started = time.perf_counter()
with UnitOfWork(database) as uow:
    repository = ReconcileRepository(uow.session)
    parcels, strips, communes = repository.parcels(), repository.strips(), repository.communes()
loaded = time.perf_counter()
found = geometry_candidates(parcels, strips, communes, GeometrySettings(workers=int(sys.argv[2])))
done = time.perf_counter()
overlaps = sum(c.rule in ("GEOM_OVERLAP", "GEOM_OVERLAP_SLIVER", "GEOM_DUPLICATE",
                          "GEOM_NEAR_DUPLICATE") for c in found)
print(json.dumps({"parcels": len(parcels), "load_s": loaded - started, "rules_s": done - loaded,
                  "findings": len(found), "overlap_like": overlaps}))
"""


def ours(url: str, workers: int) -> dict[str, float]:
    """landreg's timings and peak memory (of the main process)."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", RUN, url, str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    result["peak_mib"] = int(peak.group(1)) / 1024 if peak else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "p1000000")
    parser.add_argument("--reuse", action="store_true", help="keep the database already loaded")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    url = (
        (ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{DATABASE}")
        if args.reuse
        else prepare(args.data)
    )
    anchor_seconds, pairs = anchor()
    result = ours(url, args.workers)
    summary = {
        "parcels": result["parcels"],
        "postgis_self_join": {"seconds": round(anchor_seconds, 1), "overlapping_pairs": pairs},
        "landreg": {
            "load_seconds": round(result["load_s"], 1),
            "rules_seconds": round(result["rules_s"], 1),
            "findings": result["findings"],
            "overlap_like_findings": result["overlap_like"],
            "peak_mib": round(result["peak_mib"] or 0),
            "workers": args.workers,
        },
        "ratio_rules_vs_self_join": round(anchor_seconds / result["rules_s"], 2),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reconcile.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
