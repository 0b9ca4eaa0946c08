"""Phase one of the generator, one commune at a time: coverage, attributes, map defects.

The commune's parcels are built in its cadastral CRS, its map defects planted, the values
the map and the register share (legal area, land-use codes as each source writes them)
decided, and the parcel table handed on to the register and dossier phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from sample_data.coverage import RURAL, URBAN, build_coverage
from sample_data.crs import transform_geometries
from sample_data.map_defects import plant_map_defects
from sample_data.parcels import commune_parcels
from sample_data.places import FOLK_TERMS, LEGACY_FOR, RURAL_USE, UNKNOWN_CODES, URBAN_USE
from sample_data.sources import CommunePlan, per_sheet
from sample_data.units import administrative_units, former_units

# Parcel-level defects decided here because the map shows them too.
PARCEL_KINDS = (
    "area_mismatch",
    "land_use_mismatch",
    "unknown_land_use_code",
    "map_without_register",
)
PROVINCE_NAME = "Tỉnh Tây Ninh"


@dataclass
class CommuneResult:
    """What phase one hands on: the map features, the parcel table and the map defects."""

    plan: CommunePlan
    features: gpd.GeoDataFrame  # as delivered (duplicates appended), cadastral CRS
    parcels: pd.DataFrame  # one row per real parcel, with shared attribute values
    strips: gpd.GeoDataFrame
    sheets: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame
    map_defects: list[dict]


def _addresses(plan: CommunePlan, local: np.ndarray, old_form: np.ndarray) -> np.ndarray:
    units = administrative_units()
    district, province = former_units()[plan.code]
    old_province = units[province].name.replace(" (cũ)", "")
    new = local + f", {plan.name}, {PROVINCE_NAME}"
    old = local + f", {plan.name}, {units[district].name}, {old_province}"
    return np.where(old_form, old, new)


def _legal_area(rng, measured: np.ndarray) -> np.ndarray:
    """Legal area: the measured area with an honest difference under 0.8 %, to 0.1 m²."""
    noise = np.clip(rng.normal(0.0, 0.003, size=len(measured)), -0.008, 0.008)
    return np.round(measured * (1 + noise), 1)


def _legacy_or_current(rng, codes: np.ndarray, share: float) -> np.ndarray:
    """Replace a share of codes by a legacy code meaning the same."""
    out = codes.copy()
    use = rng.random(len(codes)) < share
    for current, legacy in LEGACY_FOR.items():
        rows = np.flatnonzero(use & (codes == current))
        out[rows] = rng.choice(np.array(legacy, dtype=object), size=len(rows))
    return out


def _other_code(rng, codes: np.ndarray, urban: bool) -> np.ndarray:
    """A different current code for each row (the register disagreeing with the map)."""
    table = np.array([c for c, _ in (URBAN_USE if urban else RURAL_USE)], dtype=object)
    other = rng.choice(table, size=len(codes))
    clash = other == codes
    other[clash] = np.where(codes[clash] == table[0], table[1], table[0])
    return other


def _source_codes(rng, frame: pd.DataFrame, plan: CommunePlan, kinds: np.ndarray):
    """Land-use codes as the map and the register write them."""
    true = frame["land_use"].to_numpy(dtype=object)
    old_tool = plan.encoding != "UTF-8"
    map_code = _legacy_or_current(rng, true, 0.5 if old_tool else 0.08)
    register = _legacy_or_current(rng, true, 0.08)
    folk = (rng.random(len(true)) < 0.05) & np.isin(true, list(FOLK_TERMS))
    register[folk] = [FOLK_TERMS[c] for c in true[folk]]
    mismatch = kinds == "land_use_mismatch"
    register[mismatch] = _other_code(rng, true[mismatch], plan.urban)
    unknown = np.flatnonzero(kinds == "unknown_land_use_code")
    in_map = rng.random(len(unknown)) < 0.4
    bogus = rng.choice(np.array(UNKNOWN_CODES, dtype=object), size=len(unknown))
    map_code[unknown[in_map]] = bogus[in_map]
    register[unknown[~in_map]] = bogus[~in_map]
    return map_code, register


def _choose_parcel_kinds(rng, touched: np.ndarray, counts: dict[str, int]) -> np.ndarray:
    kinds = np.full(len(touched), "", dtype=object)
    free = np.flatnonzero(~touched)
    order = rng.permutation(free)
    start = 0
    for kind in PARCEL_KINDS:
        chosen = order[start : start + counts.get(kind, 0)]
        kinds[chosen] = kind
        start += len(chosen)
    return kinds


def _mismatched_area(rng, legal: np.ndarray) -> np.ndarray:
    factor = rng.choice([-1.0, 1.0], size=len(legal)) * rng.uniform(0.03, 0.2, size=len(legal))
    return np.round(legal * (1 + factor), 1)


def _feature_sources(n: int, total: int, planted: list[dict]) -> np.ndarray:
    """For each delivered feature, the row of the real parcel it shows."""
    source = np.arange(total)
    for defect in planted:
        if defect["kind"].startswith("duplicate_"):
            source[defect["rows"][1]] = defect["rows"][0]
    return source[:total] if total > n else source[:n]


def _touched(n: int, planted: list[dict]) -> np.ndarray:
    touched = np.zeros(n, dtype=bool)
    for defect in planted:
        touched[[r for r in defect["rows"] if r < n]] = True
    return touched


def _parcel_table(plan, gdf, kinds, legal, measured, map_code, register_code, address, old_form):
    key = plan.code + "-" + gdf["sheet"].astype(str) + "-" + gdf["number"].astype(str)
    parent = plan.code + "-" + gdf["sheet"].astype(str) + "-" + gdf["parent_number"].astype(str)
    return pd.DataFrame(
        {
            "commune_code": plan.code, "sheet": gdf["sheet"].to_numpy(),
            "number": gdf["number"].to_numpy(), "parcel_key": key.to_numpy(dtype=object),
            "parent_key": np.where(gdf["parent_number"] > 0, parent, ""),
            "old_sheet": gdf["old_sheet"].to_numpy(), "old_number": gdf["old_number"].to_numpy(),
            "land_use": gdf["land_use"].to_numpy(), "map_code": map_code,
            "register_code": register_code, "legal_area": legal, "measured_area": measured,
            "hamlet": gdf["hamlet"].to_numpy(), "address": address, "old_address": old_form,
            "block": gdf["block"].to_numpy(), "objectid": np.arange(1, len(gdf) + 1),
            "kind": kinds, "urban": plan.urban, "remote": plan.remote,
        }
    )  # fmt: skip


def _feature_frame(plan, features, source, table, measured_features) -> gpd.GeoDataFrame:
    area_attr = (
        np.round(measured_features, 1)
        if plan.schema == "tn"
        else table["legal_area"].to_numpy()[source]
    )
    parent = table["parent_key"].to_numpy()[source]
    frame = pd.DataFrame(
        {
            "objectid": np.arange(1, len(features) + 1),
            "commune_code": plan.code,
            "sheet": table["sheet"].to_numpy()[source],
            "number": table["number"].to_numpy()[source],
            "area_attr": area_attr,
            "land_use": table["map_code"].to_numpy()[source],
            "old_sheet": table["old_sheet"].to_numpy()[source],
            "old_number": table["old_number"].to_numpy()[source],
            "parent": np.where(parent == "", None, parent),
            "address": table["address"].to_numpy()[source],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=features.geometry.values, crs=plan.native_srid)


def _side_layers(plan, cov):
    land_use = np.where(cov.strip_kind == "canal", "DTL", "DGT")
    strips = gpd.GeoDataFrame(
        {
            "objectid": np.arange(1, len(cov.strips) + 1), "commune_code": plan.code,
            "kind": cov.strip_kind, "width": cov.strip_width, "land_use": land_use,
        },
        geometry=cov.strips, crs=plan.native_srid,
    )  # fmt: skip
    scale = "1:500" if plan.urban else "1:2000"
    sheets = gpd.GeoDataFrame(
        {"commune_code": plan.code, "sheet": np.arange(1, len(cov.sheets) + 1), "scale": scale},
        geometry=cov.sheets,
        crs=plan.native_srid,
    )
    blocks = gpd.GeoDataFrame(
        {"block": np.arange(len(cov.blocks))}, geometry=cov.blocks, crs=plan.native_srid
    )
    return strips, sheets, blocks


def build_commune(rng, plan: CommunePlan, boundary, target: int, counts: dict[str, int]):
    """Build one commune: coverage, parcels, map defects and the shared attribute values.

    Parameters
    ----------
    rng : numpy.random.Generator
        The commune's own random stream (so communes can be built in any order).
    plan : CommunePlan
        How the commune is delivered.
    boundary : shapely.Geometry
        The commune boundary in EPSG:9209.
    target : int
        Number of parcels to aim for.
    counts : dict
        Number of defects of each map and parcel kind to plant here.

    Returns
    -------
    CommuneResult
    """
    dense = shapely.segmentize(boundary, 200.0)
    shape = transform_geometries(np.array([dense]), 9209, plan.native_srid)[0]
    model = URBAN if plan.urban else RURAL
    cov = build_coverage(rng, shape, target, model, per_sheet(plan, target))
    gdf = commune_parcels(rng, plan.code, cov, plan.urban, plan.resurveyed, plan.native_srid)
    original = gdf["area"].to_numpy()
    features, planted = plant_map_defects(rng, gdf, counts, plan.urban)
    n = len(gdf)
    source = _feature_sources(n, len(features), planted)
    kinds = _choose_parcel_kinds(rng, _touched(n, planted), counts)
    geoms = features.geometry.values
    measured_features = np.where(shapely.is_valid(geoms), shapely.area(geoms), original[source])
    measured = measured_features[:n]
    legal = _legal_area(rng, measured)
    legal[kinds == "area_mismatch"] = _mismatched_area(rng, legal[kinds == "area_mismatch"])
    map_code, register_code = _source_codes(rng, gdf, plan, kinds)
    for defect in planted:
        kinds[[r for r in defect["rows"] if r < n]] = defect["kind"]
    old_form = rng.random(n) < 0.3
    address = _addresses(plan, gdf["address_local"].to_numpy(dtype=object), old_form)
    table = _parcel_table(
        plan, gdf, kinds, legal, measured, map_code, register_code, address, old_form
    )
    frame = _feature_frame(plan, features, source, table, measured_features)
    strips, sheets, blocks = _side_layers(plan, cov)
    return CommuneResult(plan, frame, table, strips, sheets, blocks, planted)
