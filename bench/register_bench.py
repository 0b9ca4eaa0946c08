"""The unified register on the whole province: reconcile's register stages against SQL, same run.

    .venv/bin/python bench/register_bench.py            # after api_bench.load (see README)

Works on a copy of ``landreg_bench_api`` (the 1,000,000-parcel province taken in, reconciled
and linked by ``bench/api_bench.py``). Two copies are timed:

* **first**: the copy with the unified register emptied (rights, certificates, restrictions,
  parties and their history; the parcels' legal area, land use, sources, national identifiers
  and lineage cleared), then ``landreg reconcile``: every record, party and identifier made;
* **again**: ``landreg reconcile`` once more on the same data: nothing to write.

``landreg reconcile`` prints the seconds of each stage; the register stages are ``parties``
(resolving holders across registers with rapidfuzz), ``unified_register`` (rights,
certificates, restrictions, the parcels' legal fields, versioned, with the source of every
field), ``national_ids`` and ``lineage``. The anchors, on the same copy in the same run:

* for parties: ``GROUP BY`` of the register's identity numbers in PostgreSQL (grouping by an
  exact number, the least a resolution must do);
* for the unified register: ``CREATE TABLE … AS SELECT`` of the three record tables from the
  register entries and their links in PostgreSQL (no versions, no sources, no precedence).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from api_bench import ADMIN, url_of  # noqa: E402

SOURCE = "landreg_bench_api"
DATABASE = "landreg_bench_register"

EMPTIED = [
    "DELETE FROM parcel_lineage",
    "DELETE FROM party_link", "DELETE FROM party_entry", "DELETE FROM party_identifier",
    *(f"DELETE FROM {t}" for t in ("land_right", "land_right_history", "certificate",
                                   "certificate_history", "restriction", "restriction_history")),
    "DELETE FROM party_member", "DELETE FROM party_history", "DELETE FROM party",
    "UPDATE parcel SET legal_area = NULL, legal_land_use_code = NULL, sources = NULL, "
    "national_id = NULL",
]  # fmt: skip
PARTY_ANCHOR = """
SELECT count(*) FROM (
    SELECT identity_number, count(*) FROM register_entry
    WHERE identity_number IS NOT NULL GROUP BY identity_number
) g
"""
RECORD_ANCHOR = [
    """CREATE TEMP TABLE anchor_right AS
       SELECT l.parcel_id, e.identity_number, e.holder_name, e.share_percent, e.land_use_code,
              e.term_text
       FROM parcel_register_link l JOIN register_entry e ON e.id = l.register_entry_id""",
    """CREATE TEMP TABLE anchor_certificate AS
       SELECT DISTINCT ON (e.certificate_serial) e.certificate_serial, l.parcel_id, e.issued_on,
              e.book_entry
       FROM parcel_register_link l JOIN register_entry e ON e.id = l.register_entry_id
       WHERE e.certificate_serial IS NOT NULL
       ORDER BY e.certificate_serial, e.id DESC""",
    """CREATE TEMP TABLE anchor_restriction AS
       SELECT l.parcel_id, e.mortgage_holder, e.mortgage_on, e.seizure_text
       FROM parcel_register_link l JOIN register_entry e ON e.id = l.register_entry_id
       WHERE e.mortgage_holder IS NOT NULL OR e.seizure_text IS NOT NULL""",
]
STAGES = re.compile(r"seconds per stage: (.*)")


def copied() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{SOURCE}"')


def reconcile() -> tuple[float, dict[str, float]]:
    """``landreg reconcile`` on the copy: wall seconds and the seconds of each stage."""
    env = {
        **os.environ,
        "LANDREG_DATABASE_URL": url_of(DATABASE, "postgresql+psycopg"),
        "COLUMNS": "400",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "reconcile"], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    found = STAGES.search(" ".join(done.stdout.split()))
    stages = {}
    if found:
        for part in found.group(1).split(", "):
            name, value = part.rsplit(" ", 1)
            stages[name] = float(value)
    return seconds, stages


def anchors() -> dict[str, float]:
    with psycopg.connect(url_of(DATABASE)) as connection:
        started = time.perf_counter()
        connection.execute(PARTY_ANCHOR).fetchone()
        party = time.perf_counter() - started
        started = time.perf_counter()
        for statement in RECORD_ANCHOR:
            connection.execute(statement)
        records = time.perf_counter() - started
        connection.rollback()
    return {"parties": party, "unified register": records}


def sizes() -> dict[str, int]:
    with psycopg.connect(url_of(DATABASE)) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("parcel", "register_entry", "party", "land_right", "certificate",
                          "restriction", "party_link", "parcel_lineage")
        }  # fmt: skip


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    copied()
    with psycopg.connect(url_of(DATABASE), autocommit=True) as connection:
        for statement in EMPTIED:
            connection.execute(statement)
    anchor = anchors()
    first_wall, first = reconcile()
    made = sizes()
    again_wall, again = reconcile()
    print(f"register: {made}")
    print(f"anchors (PostgreSQL, same copy): parties {anchor['parties']:.2f} s, "
          f"unified register {anchor['unified register']:.2f} s")  # fmt: skip
    for label, wall, stages in (("first", first_wall, first), ("again", again_wall, again)):
        print(f"reconcile {label}: {wall:.1f} s wall; " + ", ".join(
            f"{name} {seconds:g} s" for name, seconds in stages.items()
        ))  # fmt: skip
        for name in ("parties", "unified register"):
            if name in stages and anchor[name] > 0:
                print(f"  {name}: landreg ÷ anchor = {stages[name] / anchor[name]:.1f}×")
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    from sample_units import use_sample_units

    use_sample_units()
    main()
