"""The province's extent shipped with the reference units: every sample layer lies inside it,
coordinates that cannot be in the province lie outside it (issue 14, item 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shapely

from ingest import formats
from ingest.maps import candidate_systems, outside_extent
from landreg.domain import reference
from spatial.crs import (
    CANDIDATE_SRIDS,
    apply_transformer,
    recognise_crs,
    reproject,
    transformer_to,
)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"


def _layers_with_their_true_crs() -> list[tuple[str, str, str | None]]:
    """(file, layer, the EPSG code its coordinates are really in, or None: its own .prj)."""
    manifest = json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))
    found = []
    for entry in manifest["files"]:
        if entry["kind"] not in {"map", "admin"}:
            continue
        code = re.match(r"EPSG:(\d+)", entry["true_crs"] or "")
        for layer in formats.list_layers(SAMPLE / entry["path"]):
            found.append((entry["path"], layer, code.group(1) if code else None))
    return sorted(set(found), key=lambda item: (item[0], item[1]))


@pytest.mark.parametrize(("path", "layer", "srid"), _layers_with_their_true_crs())
def test_the_shipped_extent_holds_every_sample_layer(path, layer, srid):
    read = formats.read_layer(SAMPLE / path, layer)
    geometry = read.geometry[pd.notna(read.geometry)]
    assert len(geometry) > 0, f"{path}:{layer} has no geometry to check"
    if srid is not None:
        degrees = reproject(geometry, int(srid), 4326)
    else:  # a custom .prj: the coordinates were computed with its own parameters
        own = recognise_crs(read.declared_crs).definition
        degrees = apply_transformer(geometry, transformer_to(own, 4326))
    assert shapely.contains(reference.province_extent(), degrees).all()


def test_the_shipped_extent_is_the_merged_province_in_wgs84():
    west, south, east, north = reference.province_extent().bounds
    # former Long An reaches 105.51 E, 10.39 N and 106.78 E, former Tây Ninh 11.78 N; a
    # generous box, yet Phnom Penh, Cần Thơ and Đà Lạt are outside it
    assert west < 105.51 and south < 10.39 and north > 11.78 and east > 106.78
    for elsewhere in [(104.92, 11.56), (105.78, 10.03), (108.44, 11.94)]:
        assert not reference.province_extent().contains(shapely.Point(elsewhere))
    assert reference.country_extent().contains(reference.province_extent())


def test_a_parcel_in_the_pacific_or_19000_km_north_is_outside_the_province():
    extent = reference.province_extent(9209)
    inside = shapely.box(565_280, 1_249_680, 565_320, 1_249_730)  # Phường Tân Ninh
    north = shapely.box(565_280, 19_249_680, 565_320, 19_249_730)  # y ≈ 19,000 km
    pacific = reproject(shapely.box(-150.0, 10.0, -149.984, 10.016), 4326, 9209)
    # about 3 km west of the box's edge (105.40 E): near enough to be kept with a 5 km margin
    just_outside = reproject(shapely.box(105.372, 11.0, 105.3724, 11.0004), 4326, 9209)
    shapes = np.array([inside, north, pacific, None, shapely.Polygon(), just_outside])
    assert outside_extent(shapes, extent, 5_000).tolist() == [
        False, True, True, False, False, False,
    ]  # fmt: skip
    assert outside_extent(shapes[-1:], extent, 1_000).tolist() == [True]


def test_without_the_shipped_units_the_extent_is_viet_nam(tmp_path, monkeypatch):
    (tmp_path / "admin_units.csv").write_text(
        "code,level,name\n46,province,Tỉnh Thử\n46001,commune,Xã Thử\n", encoding="utf-8"
    )
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))
    assert reference.uses_installation_units()
    assert reference.province_extent().equals(reference.country_extent())
    hue = shapely.Point(107.58, 16.46)
    assert reference.province_extent().contains(hue)
    assert not reference.province_extent().contains(shapely.Point(2.35, 48.85))  # Paris


def test_an_installations_units_bring_their_zones_to_the_crs_candidates(tmp_path, monkeypatch):
    assert candidate_systems() == CANDIDATE_SRIDS  # the shipped units' zones are 9209, 9210
    (tmp_path / "admin_units.csv").write_text(
        "code,level,name,cadastral_srid\n46,province,Tỉnh Thử,\n46001,commune,Xã Thử,9214\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))
    assert candidate_systems() == (9214, *CANDIDATE_SRIDS)
