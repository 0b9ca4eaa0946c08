"""Deterministic generator of the landreg sample data set.

``generate(out_dir)`` writes administrative units, per-commune cadastral maps, the land
register, the one-stop-shop dossier exports and two rasters, each source in its own format
and with its own field names, plus ``manifest.json`` (what each file is) and
``ground_truth.json`` (every planted defect and the true parcel of every dossier). The same
seed always gives byte-identical files. See ``sample_data/README.md``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sample_data.certificates import certificates, encumbrances
from sample_data.commune import PARCEL_KINDS, build_commune
from sample_data.dossier_build import describe, parcel_state, schedule_all, settle_mortgages
from sample_data.dossier_export import events, write_csv_export, write_json_export
from sample_data.geography import build_geography, communes_frame, historical_frames
from sample_data.manifest import dataset_manifest
from sample_data.map_defects import GEOMETRY_KINDS
from sample_data.mapfiles import write_commune_map
from sample_data.parties import _people, assign_holders
from sample_data.progress import Progress
from sample_data.rasters import parcel_plans, plan_blocks, write_orthophoto, write_planning
from sample_data.register import (
    plant_register_defects,
    register_rows,
    write_register,
)
from sample_data.schedule import DOSSIER_KINDS
from sample_data.sources import (
    GEOJSON_COMMUNE,
    ORTHOPHOTO_COMMUNE,
    PLANNING_COMMUNE,
    commune_plans,
    parcel_targets,
)
from sample_data.truth import (
    dossier_defects,
    dossier_links,
    map_defects,
    parcel_defects,
    register_defects,
)
from sample_data.writers import write_gpkg

ADMIN_PATH = "admin/units.gpkg"
# Defects per parcel (map and register kinds) or per dossier, and the minimum in any set.
RATES = {
    "overlap": (0.0015, 5),
    "overlap_sliver": (0.0015, 5),
    "gap": (0.0015, 5),
    "duplicate_exact": (0.001, 4),
    "duplicate_near": (0.001, 4),
    "invalid_self_intersection": (0.0008, 3),
    "invalid_repeated_ring": (0.0005, 3),
    "invalid_spike": (0.0008, 3),
    "invalid_ring_not_closed": (0.0002, 3),
    "area_mismatch": (0.005, 6),
    "land_use_mismatch": (0.005, 6),
    "unknown_land_use_code": (0.003, 6),
    "map_without_register": (0.003, 5),
    "duplicate_parcel_key": (0.0015, 4),
    "register_without_map": (0.003, 5),
    "invalid_identity_number": (0.003, 5),
    "missing_owner": (0.002, 4),
    "shares_not_100": (0.0015, 4),
    "duplicate_certificate_serial": (0.0015, 4),
    "dossier_parcel_not_found": (0.005, 5),
    "dossier_reference_typo": (0.015, 8),
    "applicant_not_holder": (0.008, 5),
    "two_open_dossiers": (0.004, 4),
    "mortgaged_transfer": (0.003, 4),
    "missing_documents": (0.01, 6),
    "planning_conflict": (0.002, 4),
}


@dataclass
class GenerationSummary:
    """What ``generate`` wrote."""

    out_dir: Path
    seed: int
    parcels: int
    map_features: int
    register_rows: int
    dossiers: int
    defects: dict[str, int]
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


def defect_counts(parcels: int) -> dict[str, int]:
    """Number of defects of each kind for a data set of ``parcels`` parcels."""
    dossiers = parcels * 0.55
    return {
        kind: max(minimum, round(rate * (dossiers if kind in DOSSIER_KINDS else parcels)))
        for kind, (rate, minimum) in RATES.items()
    }


def _per_commune(rng, counts: dict[str, int], targets: dict[str, int]) -> dict[str, dict[str, int]]:
    """Spread map and parcel defect counts over communes in proportion to their parcels."""
    codes = list(targets)
    share = np.array([targets[c] for c in codes], dtype=float)
    out: dict[str, dict[str, int]] = {code: {} for code in codes}
    for kind in (*GEOMETRY_KINDS, *PARCEL_KINDS):
        if kind == "invalid_ring_not_closed":
            out[GEOJSON_COMMUNE][kind] = counts[kind]
            continue
        spread = rng.multinomial(counts[kind], share / share.sum())
        for code, value in zip(codes, spread, strict=True):
            out[code][kind] = int(value)
    return out


def _write_admin(root: Path, geo) -> dict:
    frames = {"communes": communes_frame(geo), **historical_frames(geo)}
    write_gpkg(root / ADMIN_PATH, list(frames.items()))
    return {
        "path": ADMIN_PATH,
        "kind": "admin",
        "format": "gpkg",
        "layers": list(frames),
        "communes": sorted(geo.commune_shapes),
        "declared_crs": "EPSG:9209",
        "true_crs": "EPSG:9209",
        "encoding": "UTF-8",
        "fields": {name: [c for c in f.columns if c != "geometry"] for name, f in frames.items()},
    }


def _phase_one(root, seed, geo, plans, targets, counts, progress):
    """Build and write every commune's map; returns parcel tables, defects and file entries."""
    spread = _per_commune(np.random.default_rng([seed, 1]), counts, targets)
    tables, truth, entries, addresses = [], [], [], {}
    for plan in progress.iterate(plans, "communes"):
        rng = np.random.default_rng([seed, 100, int(plan.code)])
        result = build_commune(
            rng, plan, geo.commune_shapes[plan.code], targets[plan.code], spread[plan.code]
        )
        address, files = write_commune_map(root, result)
        addresses[plan.code] = address
        entries += files
        truth += map_defects(result, address)
        table = result.parcels.assign(commune_name=plan.name, planned=None, plan_change=False)
        if plan.code == PLANNING_COMMUNE:
            dominant, planned = plan_blocks(rng, result)
            plans_of = parcel_plans(result, dominant, planned)
            table["planned"], table["plan_change"] = (
                plans_of["planned"].to_numpy(),
                plans_of["plan_change"].to_numpy(),
            )
            entries.append(write_planning(root, result, planned))
        if plan.code == ORTHOPHOTO_COMMUNE:
            entries.append(write_orthophoto(root, rng, result))
        tables.append(table)
    return pd.concat(tables, ignore_index=True), truth, entries, addresses


def _fresh_people(rng, count: int, taken: pd.Series) -> pd.DataFrame:
    """People who hold no parcel, with identity numbers nobody else has."""
    people = _people(rng, int(count * 1.2) + 10, rng.random(int(count * 1.2) + 10) < 0.45)
    people = people[~people["identity"].isin(set(taken.dropna()))]
    return people.iloc[:count].reset_index(drop=True)


def _sync_mortgages(rows: pd.DataFrame, parcels: pd.DataFrame) -> None:
    has = (rows["parcel"] >= 0) & (rows["extra"] == "")
    at = rows.loc[has, "parcel"].to_numpy()
    rows.loc[has, "mortgage_bank"] = parcels["mortgage_bank"].to_numpy()[at]
    rows.loc[has, "mortgage_date"] = parcels["mortgage_date"].to_numpy()[at]


def _phase_two(root, seed, parcels, counts, plans, progress):
    """Holders, certificates, register defects, dossiers; writes register and dossiers."""
    rng = np.random.default_rng([seed, 2])
    parcels = pd.concat([parcels, certificates(rng, parcels)], axis=1)
    parcels = pd.concat(
        [parcels, encumbrances(rng, parcels, parcels["serial"].notna().to_numpy())], axis=1
    )
    holders = assign_holders(rng, parcels)
    fresh = _fresh_people(
        rng,
        sum(counts[k] for k in ("duplicate_parcel_key", "register_without_map"))
        + len(parcels) // 6
        + 200,
        holders["identity"],
    )
    rows = plant_register_defects(rng, register_rows(rng, parcels, holders), parcels, counts, fresh)
    progress.note("register planted")
    d = schedule_all(rng, parcel_state(parcels, holders), counts)
    settle_mortgages(parcels, d)
    _sync_mortgages(rows, parcels)
    names = {p.code: p.name for p in plans}
    outsiders = fresh.iloc[counts["duplicate_parcel_key"] + counts["register_without_map"] :]
    d = describe(rng, d, parcels, holders, outsiders.reset_index(drop=True), names)
    history = events(d)
    early = (d["source"] == "dossiers/ho_so_2021_2022.csv").to_numpy()
    write_csv_export(root, d[early].reset_index(drop=True), _subset(history, early))
    write_json_export(root, d[~early].reset_index(drop=True), _subset(history, ~early))
    tn_codes = {p.code for p in plans if p.schema == "tn"}
    rows, register_entries = write_register(root, rng, rows, tn_codes, names)
    progress.note("register and dossiers written")
    return parcels, rows, d, register_entries


def _subset(history: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """History rows of the kept dossiers, renumbered to the kept order."""
    new_index = np.cumsum(keep) - 1
    chosen = history[keep[history["dossier"].to_numpy()]].copy()
    chosen["dossier"] = new_index[chosen["dossier"].to_numpy()]
    return chosen.reset_index(drop=True)


def generate(out_dir: Path, *, parcels: int = 3000, seed: int = 20251127, progress: bool = False):
    """Generate the sample data set into ``out_dir``.

    Parameters
    ----------
    out_dir : pathlib.Path
        Directory to write into (created if needed; existing files are overwritten).
    parcels : int
        Approximate number of parcels (the coverage decides the exact count).
    seed : int
        Seed of every random draw; the same seed gives byte-identical files.
    progress : bool
        Show progress with rich.

    Returns
    -------
    GenerationSummary
    """
    started = time.perf_counter()
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    bar = Progress(progress)
    geo, plans = build_geography(), commune_plans()
    counts = defect_counts(parcels)
    entries = [_write_admin(root, geo)]
    table, truth, map_entries, addresses = _phase_one(
        root, seed, geo, plans, parcel_targets(plans, parcels), counts, bar
    )
    table, rows, d, register_entries = _phase_two(root, seed, table, counts, plans, bar)
    truth += parcel_defects(table, rows, addresses) + register_defects(rows, table, addresses)
    truth += dossier_defects(d, table)
    files = _write_json_outputs(
        root, seed, parcels, entries + map_entries + register_entries, truth, d, table
    )
    bar.close()
    kinds = pd.Series([t["kind"] for t in truth]).value_counts().sort_index()
    return GenerationSummary(
        root,
        seed,
        len(table),
        int(sum(e["feature_count"] for e in map_entries if e.get("role") == "parcels")),
        len(rows),
        len(d),
        {k: int(v) for k, v in kinds.items()},
        files,
        round(time.perf_counter() - started, 1),
    )


def _write_json_outputs(root, seed, requested, entries, truth, d, table) -> list[str]:
    truth = sorted(truth, key=lambda t: (t["kind"], json.dumps(t["records"], ensure_ascii=False)))
    for number, entry in enumerate(truth, 1):
        entry["id"] = f"D{number:06d}"
    document = {"seed": seed, "defects": truth, "dossier_links": dossier_links(d, table)}
    (root / "ground_truth.json").write_text(_dumps_lines(document), encoding="utf-8")
    manifest = dataset_manifest(seed, requested, entries, len(table))
    (root / "manifest.json").write_text(_dumps(manifest), encoding="utf-8")
    return [*sorted({e["path"] for e in entries}), "ground_truth.json", "manifest.json"]


def _dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, default=_json_default) + "\n"


def _dumps_lines(document: dict) -> str:
    """JSON with one list item per line: readable, diffable, and fast (C encoder)."""

    def line(value) -> str:
        return json.dumps(value, ensure_ascii=False, default=_json_default)

    parts = []
    for key, value in document.items():
        if isinstance(value, list):
            body = ",\n".join(line(item) for item in value)
            parts.append(f"{line(key)}: [\n{body}\n]")
        else:
            parts.append(f"{line(key)}: {line(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
