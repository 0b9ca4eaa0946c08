"""The coverage checks find every defect planted in an otherwise valid grid of parcels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shapely

from spatial.coverage import gaps, invalid_geometries, outside, overlapping_pairs

SIDE = 20.0


def grid(n: int = 6) -> np.ndarray:
    """n × n parcels of 20 m, sharing their edges exactly."""
    return np.array(
        [
            shapely.box(x * SIDE, y * SIDE, (x + 1) * SIDE, (y + 1) * SIDE)
            for y in range(n)
            for x in range(n)
        ]
    )


def test_a_clean_coverage_has_no_findings():
    parcels = grid()
    assert overlapping_pairs(parcels).empty
    assert gaps(parcels, np.array([])).empty
    assert invalid_geometries(parcels).empty


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=29), st.floats(min_value=0.05, max_value=3.0))
def test_a_parcel_grown_into_its_neighbour_is_one_overlap_of_the_right_area(index, depth):
    parcels = grid()
    x0, y0, x1, y1 = parcels[index].bounds
    if x1 >= 6 * SIDE:
        return
    parcels[index] = shapely.box(x0, y0, x1 + depth, y1)
    found = overlapping_pairs(parcels)
    assert len(found) == 1
    row = found.iloc[0]
    assert {row.a, row.b} == {index, index + 1}
    assert row.area == pytest.approx(depth * SIDE, rel=1e-6)
    assert row.kind == ("overlap_sliver" if row.area < 1.0 else "overlap")


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=7, max_value=28), st.floats(min_value=0.05, max_value=3.0))
def test_a_parcel_shrunk_from_its_neighbour_leaves_one_gap(index, width):
    parcels = grid()
    x0, y0, x1, y1 = parcels[index].bounds
    if x1 >= 6 * SIDE:
        return  # on the outer edge a shrunk parcel leaves no gap between parcels
    parcels[index] = shapely.box(x0, y0, x1 - width, y1)
    found = gaps(parcels, np.array([]))
    assert len(found) == 1
    assert found.iloc[0]["area"] == pytest.approx(width * SIDE, rel=1e-6)
    assert {index, index + 1} <= set(found.iloc[0]["neighbours"])


def test_a_road_between_parcels_is_not_a_gap():
    parcels = grid()
    road = shapely.box(SIDE, 3 * SIDE - 4, 5 * SIDE, 3 * SIDE)  # a lane inside the area
    cut = shapely.difference(parcels, road)
    assert gaps(cut, np.array([road])).shape[0] == 0
    assert gaps(cut, np.array([])).shape[0] == 1


def test_duplicates_exact_and_near():
    parcels = grid()
    twin = parcels[8]
    near = shapely.affinity.translate(shapely.affinity.scale(parcels[20], 1.002, 1.002), 0.1)
    found = overlapping_pairs(np.concatenate([parcels, [twin, near]]))
    kinds = dict(zip(zip(found.a, found.b, strict=True), found.kind, strict=True))
    assert kinds[(8, 36)] == "duplicate_exact"
    assert kinds[(20, 37)] == "duplicate_near"


def test_invalid_geometry_is_reported_with_its_place():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    found = invalid_geometries(np.array([shapely.box(0, 0, 1, 1), bowtie]))
    assert found["index"].tolist() == [1]
    assert "Self-intersection" in found["reason"].iloc[0]
    assert found["location"].iloc[0].equals(shapely.Point(5, 5))


def test_parcels_outside_their_commune():
    commune = shapely.box(0, 0, 100, 100)
    parcels = np.array(
        [
            shapely.box(10, 10, 20, 20),
            shapely.box(95, 10, 110, 20),
            shapely.box(99.5, 50, 100.5, 60),
        ]
    )
    areas = np.array([commune] * 3)
    assert outside(parcels, areas, tolerance=1.0).tolist() == [False, True, False]
