"""Ingest speed: landreg against ogr2ogr (PG_USE_COPY) on the same GeoPackage, same run.

    .venv/bin/python bench/ingest_bench.py --parcels 1000000

Generates the sample province at that size (once, under bench/data/), merges its parcel
layers into one GeoPackage in EPSG:9209, then loads it into two fresh PostGIS databases:
once with ``ogr2ogr -f PostgreSQL`` (the anchor: COPY, GiST index), once with
``landreg ingest`` (reads, validates, reprojects, hashes, records provenance, COPY into an
indexed, versioned table). Wall time and peak memory of each are measured with
``/usr/bin/time``; the ratio is printed and saved to bench/results/ingest.json.

ogr2ogr comes from Debian's ``gdal-bin`` (``apt-get install gdal-bin``).
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
LA_TO_TN = {
    "objectid": "OBJECTID",
    "ma_xa": "MaXa",
    "so_to_bd": "SoTo",
    "so_thua": "SoThua",
    "dt_phaply": "DienTich",
    "mdsd": "LoaiDat",
    "so_to_cu": "SoToCu",
    "so_thua_cu": "SoThuaCu",
    "thua_goc": "ThuaGoc",
    "dia_chi": "DiaChi",
}


def sample(parcels: int) -> Path:
    """The generated province of that size (made once)."""
    folder = ROOT / "bench" / "data" / f"p{parcels}"
    if not (folder / "manifest.json").exists():
        from sample_data.generator import generate

        started = time.perf_counter()
        generate(folder, parcels=parcels, seed=20251127, progress=True)
        print(f"generated {parcels:,} parcels in {time.perf_counter() - started:.0f} s")
    return folder


def merged(folder: Path) -> Path:
    """All parcel layers in one GeoPackage, EPSG:9209, one schema, unique OBJECTIDs."""
    target = folder / "all_parcels.gpkg"
    if target.exists():
        return target
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    frames, offset = [], 0
    for entry in manifest["files"]:
        if entry["kind"] != "map" or entry.get("role") != "parcels":
            continue
        if entry["format"] != "gpkg" or entry.get("true_crs_epsg") not in (9209, 9210):
            continue  # the misdeclared and legacy-format layers need a person's confirmation
        frame = pyogrio.read_dataframe(folder / entry["path"], layer=entry["layer"])
        frame = frame.rename(columns=LA_TO_TN).to_crs(9209)
        frame["OBJECTID"] = frame["OBJECTID"].astype("int64") + offset
        offset += 10_000_000
        frames.append(frame[[*LA_TO_TN.values(), "geometry"]])
    whole = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=9209)
    pyogrio.write_dataframe(whole, target, layer="ThuaDat", driver="GPKG")
    return target


def fresh_database(name: str) -> str:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(ADMIN.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as db:
        db.execute("CREATE EXTENSION postgis")
    return name


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of a command."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return elapsed, peak / 1024


def count(database: str, table: str) -> int:
    with psycopg.connect(ADMIN.rsplit("/", 1)[0] + f"/{database}") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="an already generated province to use")
    args = parser.parse_args()
    gpkg = merged(args.data or sample(args.parcels))
    features = pyogrio.read_info(gpkg, layer="ThuaDat")["features"]
    host = ADMIN.split("@", 1)[1].split("/", 1)[0].split(":")[0]
    ogr_db = fresh_database("landreg_bench_ogr")
    ogr_seconds, ogr_mem = timed(
        [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            f"PG:host={host} user=postgres dbname={ogr_db}",
            str(gpkg),
            "ThuaDat",
            "-nln",
            "ogr_parcels",
            "-lco",
            "GEOMETRY_NAME=geom",
            "--config",
            "PG_USE_COPY",
            "YES",
        ]
    )
    ours_db = fresh_database("landreg_bench_landreg")
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{ours_db}"
    env = {"LANDREG_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "cli", "db", "upgrade"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    ours_seconds, ours_mem = timed(
        [sys.executable, "-m", "cli", "ingest", str(gpkg), "--layer", "ThuaDat"], env
    )
    loaded = (count(ogr_db, "ogr_parcels"), count(ours_db, "parcel"))
    result = {
        "features": features,
        "loaded": {"ogr2ogr": loaded[0], "landreg": loaded[1]},
        "ogr2ogr": {
            "seconds": round(ogr_seconds, 1),
            "features_per_s": round(features / ogr_seconds),
            "peak_mib": round(ogr_mem),
        },
        "landreg": {
            "seconds": round(ours_seconds, 1),
            "features_per_s": round(features / ours_seconds),
            "peak_mib": round(ours_mem),
        },
        "speedup_vs_ogr2ogr": round(ogr_seconds / ours_seconds, 2),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ingest_{args.parcels}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
