"""Dossier linking at province scale: every dossier against every parcel, scored on the truth.

    .venv/bin/python bench/link_bench.py --data bench/data/p1000000

Takes the generated province into a fresh PostGIS register (not timed, each step's time
printed): ``landreg db upgrade``; every source through ``ingest_folder`` with the
misdeclared CRS confirmed, as the demo does; ``landreg reconcile``, so register entries are
linked to parcels. Then times, each in its own process under ``/usr/bin/time -v`` (wall
time, peak memory):

* ``link_all(uow)``: read the frames, link, store the links (what ``landreg dossiers link``
  runs);
* ``link_dossiers`` alone on frames already read, and its stages one by one, so reading,
  scoring and storing are told apart.

The stored links are scored against the province's ground truth as the test suite scores
the small sample (``tests/ground_truth.py``): per kind of reference (exact, typo, not found),
linked automatically to the right or a wrong parcel, sent to review with the right parcel
first or not, or left without a candidate. Wrong automatic links are printed with their
explanation. Results go to bench/results/link_<data folder>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

ROOT = Path(__file__).resolve().parents[1]
ADMIN = os.environ.get("LANDREG_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "landreg_bench_link"
# The province's sources, in the order ingest_folder takes a whole folder (map layers, then
# tables by path). The folder's top level also holds other benchmarks' merged layers, which
# must not be taken in a second time, so each source folder is ingested on its own.
SOURCE_FOLDERS = ("admin", "maps", "rasters", "dossiers", "register")

INGEST = """
import json, sys, time
from pathlib import Path
from landreg.domain.delivery import IngestOptions
from landreg.services.sources import ingest_folder
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
database = RegisterDatabase.from_settings(DatabaseSettings(database_url=sys.argv[1]))
for folder in sys.argv[2:]:
    started = time.perf_counter()
    loaded, stopped = ingest_folder(database, Path(folder), IngestOptions(), confirm_crs=True,
                                    say=lambda line: print("   ", line, flush=True))
    rows = sum(result.rows_read for _, result in loaded)
    print(json.dumps({"folder": Path(folder).name, "seconds": time.perf_counter() - started,
                      "batches": len(loaded), "rows": rows,
                      "stopped": [f"{p.name}: {e.detail}" for p, e in stopped]}), flush=True)
"""

LINK_ALL = """
import dataclasses, json, sys, time
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork
from landreg.services.dossier_links import link_all
database = RegisterDatabase.from_settings(DatabaseSettings(database_url=sys.argv[1]))
started = time.perf_counter()
with UnitOfWork(database) as uow:
    summary = link_all(uow)
print(json.dumps({"seconds": time.perf_counter() - started, **dataclasses.asdict(summary)}))
"""

# link_dossiers, then the steps it runs one by one (the same calls, in the same order).
LINK_DOSSIERS = """
import json, sys, time
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork
from landreg.services import dossier_link_scoring as dl
database = RegisterDatabase.from_settings(DatabaseSettings(database_url=sys.argv[1]))
times, clock = {}, time.perf_counter()
def lap(name):
    global clock
    now = time.perf_counter()
    times[name], clock = now - clock, now
with UnitOfWork(database) as uow:
    repository = uow.links
    dossiers = repository.dossiers(); lap("read_dossiers")
    parcels = repository.parcels(); lap("read_parcels")
    holders = repository.holders(); lap("read_holders")
settings = dl.LinkSettings()
outcome = dl.link_dossiers(dossiers, parcels, holders, settings); lap("link_dossiers")
written = dl.written_references(dossiers); lap("stage_written_references")
pairs = dl.candidates(written, parcels, holders); lap("stage_candidates")
scored = dl.compare(pairs, written, parcels, holders); lap("stage_compare")
weak = set(written["dossier_id"]) - set(
    scored.loc[scored["score"] >= settings.auto_link, "dossier_id"])
near = dl.near_keys(written[written["dossier_id"].isin(weak)], parcels); lap("stage_near_keys")
near = near.merge(scored[["dossier_id", "parcel_id"]], how="left", indicator=True)
extra = near.loc[near["_merge"] == "left_only", ["dossier_id", "parcel_id"]]
more = dl.compare(extra, written, parcels, holders) if len(extra) else scored.iloc[:0]
lap("stage_compare_near")
decided = dl._decided(pd_concat([scored, more]), set(written["dossier_id"]), settings)
lap("stage_decide_and_explain")
per_dossier = pairs.groupby("dossier_id").size()
print(json.dumps({"times": times, "dossiers": len(dossiers), "parcels": len(parcels),
                  "holders": len(holders), "candidate_pairs": len(pairs),
                  "candidates_max": int(per_dossier.max()),
                  "candidates_p99": float(per_dossier.quantile(0.99)),
                  "weak_dossiers": len(weak), "near_pairs": len(extra),
                  "links": len(outcome.links), "unmatched": len(outcome.unmatched),
                  "same_as_link_dossiers": len(decided.links) == len(outcome.links)}))
"""


def engine_url(database: str) -> str:
    """A database's SQLAlchemy URL on the benchmark's server."""
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{database}"


def timed(code_or_args: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """Run under ``/usr/bin/time -v``, echoing its output: stdout, wall seconds, peak MiB."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *code_or_args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{code_or_args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return done.stdout, seconds, int(peak.group(1)) / 1024 if peak else float("nan")


def load(folder: Path, database: str) -> dict[str, Any]:
    """A fresh register holding the whole province, reconciled; seconds of each step."""
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    env = {**os.environ, "LANDREG_DATABASE_URL": engine_url(database)}
    steps: dict[str, Any] = {}
    _, steps["db_upgrade_s"], _ = timed([sys.executable, "-m", "cli", "db", "upgrade"], env)
    print(f"db upgrade: {steps['db_upgrade_s']:.1f} s", flush=True)
    folders = [str(folder / name) for name in SOURCE_FOLDERS if (folder / name).is_dir()]
    out, seconds, peak = timed(
        [sys.executable, "-c", INGEST, env["LANDREG_DATABASE_URL"], *folders], env
    )
    ingested = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for step in ingested:
        print(f"ingest {step['folder']}: {step['seconds']:.1f} s, {step['batches']} batches, "
              f"{step['rows']:,} rows, stopped {step['stopped']}")  # fmt: skip
    steps["ingest"] = {"seconds": seconds, "peak_mib": peak, "folders": ingested}
    print(f"ingest, every source: {seconds:.1f} s, peak {peak:,.0f} MiB", flush=True)
    out, seconds, peak = timed([sys.executable, "-m", "cli", "reconcile"], env)
    steps["reconcile"] = {"seconds": seconds, "peak_mib": peak}
    print(out[-1500:])
    print(f"reconcile: {seconds:.1f} s, peak {peak:,.0f} MiB", flush=True)
    return steps


def link(env: dict[str, str]) -> dict[str, Any]:
    """``link_all`` end to end, then ``link_dossiers`` and its stages on frames already read."""
    out, seconds, peak = timed([sys.executable, "-c", LINK_ALL, env["LANDREG_DATABASE_URL"]], env)
    whole = json.loads(out.strip().splitlines()[-1]) | {"wall_s": seconds, "peak_mib": peak}
    print(f"link_all: {whole['seconds']:.1f} s in the process ({seconds:.1f} s wall), "
          f"peak {peak:,.0f} MiB; {whole}", flush=True)  # fmt: skip
    code = "import pandas as pd\npd_concat = lambda f: pd.concat(f, ignore_index=True)\n"
    out, seconds, peak = timed(
        [sys.executable, "-c", code + LINK_DOSSIERS, env["LANDREG_DATABASE_URL"]], env
    )
    alone = json.loads(out.strip().splitlines()[-1]) | {"wall_s": seconds, "peak_mib": peak}
    print(f"link_dossiers alone (peak {peak:,.0f} MiB, stages re-run after it):", flush=True)
    for name, spent in alone["times"].items():
        print(f"  {name:28} {spent:8.1f} s")
    return {"link_all": whole, "link_dossiers": alone}


def truth_of(folder: Path) -> tuple[dict[str, str | None], dict[str, str], dict[str, dict]]:
    """True parcel key of each dossier, its kind (exact, typo, not_found) and typo details."""
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    keys = {d["dossier_code"]: d["parcel_key"] for d in truth["dossier_links"]}
    kinds: dict[str, str] = {}
    details: dict[str, dict] = {}
    for defect in truth["defects"]:
        if defect["kind"] not in ("dossier_reference_typo", "dossier_parcel_not_found"):
            continue
        kind = "typo" if defect["kind"] == "dossier_reference_typo" else "not_found"
        for record in defect["records"]:
            kinds[record["dossier_code"]] = kind
            details[record["dossier_code"]] = defect.get("details", {})
    return keys, kinds, details


def stored_links(database: str) -> pd.DataFrame:
    """Every stored link with its dossier's code and reference and its parcel's key, ranked
    within the dossier by confidence as the test suite ranks them."""
    with psycopg.connect(ADMIN.rsplit("/", 1)[0] + f"/{database}") as db:
        cursor = db.execute(
            "SELECT d.code, p.commune_code || '-' || p.map_sheet || '-' || p.parcel_number, "
            "l.status, l.confidence, l.explanation, l.method, d.declared_commune, "
            "d.declared_map_sheet, d.declared_parcel_number, d.procedure "
            "FROM dossier_parcel_link l JOIN dossier d ON d.id = l.dossier_id "
            "JOIN parcel p ON p.id = l.parcel_id ORDER BY l.dossier_id, l.confidence DESC"
        )
        columns = ["code", "key", "status", "confidence", "explanation", "method",
                   "commune", "sheet", "number", "procedure"]  # fmt: skip
        links = pd.DataFrame(cursor.fetchall(), columns=columns)
    links["rank"] = links.groupby("code").cumcount()
    return links


OUTCOMES = ("auto_right", "auto_wrong", "review_first", "review_other", "none")


def score(folder: Path, database: str) -> dict[str, Any]:
    """The same verdicts as ``tests.ground_truth.score_links``, per kind and per typo, with
    examples of what went wrong."""
    keys, kinds, details = truth_of(folder)
    links = stored_links(database)
    top = links[links["rank"] == 0]
    first = dict(zip(top["code"], zip(top["key"], top["status"], strict=True), strict=True))
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    typos: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: dict[str, list[str]] = defaultdict(list)
    for code, true_key in keys.items():
        kind = kinds.get(code, "exact")
        verdict = _verdict(first.get(code), true_key)
        rows[kind][verdict] += 1
        if kind == "typo":
            typos[str(details[code].get("typo"))][verdict] += 1
        if verdict in ("auto_wrong", "review_other", "none"):
            wrong[f"{kind} {verdict}"].append(code)
    sampled = {code for codes in wrong.values() for code in codes[:50]}
    candidates = {
        code: group.drop(columns=["code"]).to_dict(orient="records")
        for code, group in links[links["code"].isin(sampled)].groupby("code")
    }
    examples = {
        label: [{"code": c, "true_key": keys[c], "details": details.get(c),
                 "candidates": candidates.get(c, [])} for c in codes[:50]]
        for label, codes in sorted(wrong.items())
    }  # fmt: skip
    total = sum(sum(c.values()) for c in rows.values())
    auto_wrong = sum(c["auto_wrong"] for c in rows.values())
    return {
        "kinds": {k: {"dossiers": sum(c.values()), **{o: c[o] for o in OUTCOMES}}
                  for k, c in sorted(rows.items())},
        "typos": {k: {"dossiers": sum(c.values()), **{o: c[o] for o in OUTCOMES}}
                  for k, c in sorted(typos.items())},
        "dossiers": total,
        "auto_wrong": auto_wrong,
        "auto_wrong_rate": auto_wrong / total if total else 0.0,
        "examples": examples,
    }  # fmt: skip


def _verdict(top: tuple[str, str] | None, true_key: str | None) -> str:
    if top is None:
        return "none"
    key, status = top
    if status == "linked":
        return "auto_right" if key == true_key else "auto_wrong"
    return "review_first" if key == true_key else "review_other"


def table(counts: dict[str, dict[str, int]], label: str) -> str:
    """Counts per kind as text, with the share linked right (or right first for review)."""
    lines = [f"{label:<16} dossiers  auto-right  auto-wrong  review-first  review-other    none"
             "  correct"]  # fmt: skip
    for kind, c in counts.items():
        right = (c["auto_right"] + c["review_first"]) / c["dossiers"] if c["dossiers"] else 1.0
        lines.append(
            f"{kind:<16} {c['dossiers']:>8} {c['auto_right']:>11} {c['auto_wrong']:>11} "
            f"{c['review_first']:>13} {c['review_other']:>13} {c['none']:>7} {right:>8.2%}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "p1000000")
    parser.add_argument("--reuse", action="store_true", help="keep the database already loaded")
    parser.add_argument(
        "--score-only", action="store_true", help="score the links already stored, link nothing"
    )
    parser.add_argument("--database", default=DATABASE, help="name of the benchmark database")
    args = parser.parse_args()
    if not (args.data / "ground_truth.json").exists():
        sys.exit(f"no generated province in {args.data}: see bench/README.md")
    summary: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "load_average": os.getloadavg()}
    if not args.reuse and not args.score_only:
        summary["load"] = load(args.data, args.database)
    if args.reuse and not args.score_only:
        # other sessions add migrations while a big load runs: bring the schema up to date
        env = {**os.environ, "LANDREG_DATABASE_URL": engine_url(args.database)}
        timed([sys.executable, "-m", "cli", "db", "upgrade"], env)
    if not args.score_only:
        summary |= link({**os.environ, "LANDREG_DATABASE_URL": engine_url(args.database)})
    started = time.perf_counter()
    scores = score(args.data, args.database)
    print(f"scored in {time.perf_counter() - started:.0f} s")
    print(table(scores["kinds"], "kind"))
    print(table(scores["typos"], "typo"))
    print(f"wrong auto-links: {scores['auto_wrong']:,} of {scores['dossiers']:,} dossiers "
          f"({scores['auto_wrong_rate']:.3%})")  # fmt: skip
    for label, found in scores["examples"].items():
        print(f"{label}: e.g.")
        for example in found[:3]:
            print("  " + json.dumps(example, ensure_ascii=False, default=str))
    summary["quality"] = scores
    summary["load_average_after"] = os.getloadavg()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"link_{args.data.name}.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=str)
    )


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
