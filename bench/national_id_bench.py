"""National parcel identifiers on the 1,000,000-parcel province: time and uniqueness.

    .venv/bin/python bench/national_id_bench.py              # a copy of landreg_bench_api
    .venv/bin/python bench/national_id_bench.py --keep       # keep the copy afterwards

The register ``bench/api_bench.py`` loads (``landreg_bench_api``) is copied
(``CREATE DATABASE … TEMPLATE``, never written itself) and the copy is migrated to revision
0006. Then, timed apart:

1. reading every current parcel's boundary (WKB, decoded into shapely in one call);
2. the characteristic points (pole of inaccessibility, 1 cm), VN-2000 → WGS 84 and GeoHash:
   :func:`spatial.national_id.national_ids` over the whole array;
3. assigning them as reconciliation does (:func:`landreg.services.national_ids.assign`, which
   computes again, checks collisions and writes), committed;
4. assigning again: every parcel holds one, so only the check that each identifier's point
   still lies in its parcel runs.

Uniqueness is counted from the computed identifiers (and the parcels that compute one
identifier are told apart: equal boundaries, near-duplicates sharing 90 % of their area, or
distinct parcels) and checked in the database afterwards (no identifier held twice; the
parcels left without one are exactly the collision findings).
Results go to bench/results/national_id.json, and are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landreg.services.national_ids import assign  # noqa: E402
from landreg.settings import DatabaseSettings  # noqa: E402
from landreg.store import migrate  # noqa: E402
from landreg.store.database import RegisterDatabase  # noqa: E402
from landreg.store.unit_of_work import UnitOfWork  # noqa: E402
from spatial.national_id import national_ids  # noqa: E402

TEMPLATE = "landreg_bench_api"
ADMIN = "host=127.0.0.1 user=postgres dbname=postgres"


def _copy(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for attempt in range(30):
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(2 + attempt)
        raise SystemExit(f"{TEMPLATE} stays in use; try again later")


def _drop(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _count(connection: psycopg.Connection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _why_shared(geometry: np.ndarray, computed: np.ndarray) -> dict[str, int]:
    """Of the pairs of parcels computing one identifier: how many have equal boundaries, how
    many share at least 90 % of the larger one's area, how many neither."""
    frame = pd.Series(computed, dtype=object)
    shared = frame[frame.duplicated(keep=False)]
    kinds = {"equal": 0, "near_duplicate": 0, "distinct": 0}
    for positions in shared.groupby(shared).indices.values():
        first, second = (geometry[shared.index[p]] for p in positions[:2])
        if shapely.equals(first, second):
            kinds["equal"] += 1
            continue
        common = shapely.intersection(shapely.make_valid(first), shapely.make_valid(second))
        share = shapely.area(common) / max(shapely.area(first), shapely.area(second))
        kinds["near_duplicate" if share >= 0.9 else "distinct"] += 1
    return kinds


def _timed(results: dict, name: str, started: float) -> None:
    results[name] = round(time.perf_counter() - started, 1)
    print(f"{name}: {results[name]} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="landreg_bench_national_id")
    parser.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    args = parser.parse_args()
    results: dict = {"template": TEMPLATE}
    started = time.perf_counter()
    _copy(args.database)
    url = f"postgresql+psycopg://postgres@127.0.0.1/{args.database}"
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    migrate.upgrade(database.engine, revision="0006")
    _timed(results, "copy_and_migrate_s", started)
    try:
        srid = database.cadastral_srid
        with UnitOfWork(database) as uow:
            started = time.perf_counter()
            parcels = uow.reconcile.parcels()
            _timed(results, "read_parcels_s", started)
        results["parcels"] = len(parcels)
        geometry = parcels["geometry"].to_numpy(dtype=object)
        started = time.perf_counter()
        computed = national_ids(geometry, srid)
        _timed(results, "compute_s", started)
        held = pd.Series(computed).dropna()
        repeats = Counter(held.tolist())
        results["computed"] = len(held)
        results["distinct"] = len(repeats)
        results["identifiers_computed_twice_or_more"] = sum(1 for n in repeats.values() if n > 1)
        results["parcels_sharing_one"] = sum(n for n in repeats.values() if n > 1)
        results["sharing_because"] = _why_shared(geometry, computed)

        with UnitOfWork(database, writes=True) as uow:
            started = time.perf_counter()
            found = assign(uow, parcels)
            uow.commit()
            _timed(results, "assign_first_s", started)
        results["collision_findings"] = len(found)
        with UnitOfWork(database, writes=True) as uow:
            started = time.perf_counter()
            again = assign(uow, uow.reconcile.parcels())
            uow.commit()
            _timed(results, "assign_again_with_read_s", started)
        results["collision_findings_again"] = len(again)
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={args.database}") as check:
            results["held_twice_in_database"] = _count(
                check,
                "SELECT count(*) FROM (SELECT national_id FROM parcel WHERE national_id IS NOT "
                "NULL GROUP BY national_id HAVING count(*) > 1) AS twice",
            )
            results["parcels_without_identifier"] = _count(
                check, "SELECT count(*) FROM parcel WHERE national_id IS NULL"
            )
    finally:
        database.engine.dispose()
        if not args.keep:
            _drop(args.database)
    out = ROOT / "bench" / "results" / "national_id.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
