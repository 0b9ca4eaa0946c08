"""The coverage checks find every defect planted in an otherwise valid grid of parcels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shapely

from spatial.coverage import (
    gaps,
    invalid_geometries,
    outside,
    overlapping_pairs,
    overlapping_parts,
    repaired,
    share_inside_outlines,
)
from spatial.crs import reproject

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
    # measured on a micrometre grid (see coverage._holes_around): right to 0.0001 m²
    assert found.iloc[0]["area"] == pytest.approx(width * SIDE, abs=1e-4)
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


def test_a_multipart_parcel_whose_parts_overlap_is_found_with_the_overlap():
    overlapping = shapely.MultiPolygon(
        [shapely.box(0, 0, 10, 10), shapely.box(8, 0, 18, 10), shapely.box(30, 0, 40, 10)]
    )
    touching = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 18, 10)])
    apart = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
    shapes = np.array([shapely.box(50, 50, 60, 60), overlapping, touching, apart, None])
    found = overlapping_parts(shapes)
    assert found["index"].tolist() == [1]
    assert found["area"].iloc[0] == pytest.approx(20.0)
    assert found["pairs"].iloc[0] == 1
    assert found["geometry"].iloc[0].equals(shapely.box(8, 0, 10, 10))
    # parts that only share an edge stay what GEOS says: a self-intersection
    assert invalid_geometries(shapes)["index"].tolist() == [1, 2]


def test_three_parts_overlapping_add_up_their_overlaps():
    parts = [shapely.box(0, 0, 10, 10), shapely.box(9, 0, 19, 10), shapely.box(18, 0, 28, 10)]
    found = overlapping_parts(np.array([shapely.MultiPolygon(parts)]))
    assert found["pairs"].tolist() == [2]
    assert found["area"].iloc[0] == pytest.approx(20.0)


def test_repair_keeps_what_a_spiked_parcel_covers():
    spiked = shapely.Polygon([(0, 0), (20, 0), (20, 10), (25, 10), (20, 10), (20, 20), (0, 20)])
    overlapping = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(8, 0, 18, 10)])
    fixed = repaired(np.array([spiked, overlapping]))
    assert shapely.is_valid(fixed).all()
    assert shapely.area(fixed).tolist() == pytest.approx([400.0, 180.0])


def _notched(x: float, y: float) -> shapely.Polygon:
    """The cell at (x, y) whose top edge crosses itself: a small bow-tie notch of 1 m²
    missing at the top, and a 1 m² hole just under it."""
    corners = [(0, 0), (20, 0), (20, 20), (11, 20), (9, 18), (11, 18), (9, 20), (0, 20)]
    return shapely.Polygon([(x + a, y + b) for a, b in corners])


def test_gaps_beside_an_invalid_parcel_are_measured_on_its_repair_and_told_apart():
    parcels = grid()
    index = 14  # x 40–60, y 40–60
    parcels[index] = _notched(40.0, 40.0)
    parcels[13] = shapely.box(20, 40, 39.5, 60)  # shrunk away from it: 0.5 × 20 m
    parcels[15] = shapely.box(60.25, 40, 80, 60)  # and on the other side: 0.25 × 20 m
    found = gaps(parcels, np.array([]))
    shares = [share_inside_outlines(hole, parcels[[index]]) for hole in found["geometry"]]
    beside = found[np.array(shares) < 0.5]
    own = found[np.array(shares) >= 0.5]
    assert sorted(beside["area"]) == pytest.approx([5.0, 10.0])
    assert all(index in neighbours for neighbours in beside["neighbours"])
    left = beside[beside["area"] > 7]["geometry"].iloc[0]
    assert left.centroid.distance(shapely.Point(39.75, 50)) < 0.01
    # the notch and the hole under it are the invalid parcel's own defect
    assert sorted(own["area"]) == pytest.approx([1.0, 1.0])


def test_a_bowtie_leaves_its_missing_triangles_and_no_gap_beside_it():
    parcels = grid()
    x0, y0 = 40.0, 40.0
    parcels[14] = shapely.Polygon(
        [(x0, y0), (x0 + SIDE, y0 + SIDE), (x0 + SIDE, y0), (x0, y0 + SIDE)]
    )
    found = gaps(parcels, np.array([]))
    assert sorted(found["area"]) == pytest.approx([100.0, 100.0])
    assert all(share_inside_outlines(h, parcels[[14]]) == pytest.approx(1.0)
               for h in found["geometry"])  # fmt: skip


def test_a_spike_does_not_stretch_the_outline_over_a_gap_beside_it():
    parcels = grid()
    parcels[14] = shapely.Polygon(
        [(40, 40), (60, 40), (60, 50), (65, 50), (60, 50), (60, 60), (40, 60)]
    )
    parcels[15] = shapely.box(60.4, 40, 80, 60)
    [hole] = gaps(parcels, np.array([]))["geometry"]
    assert hole.area == pytest.approx(8.0)
    assert share_inside_outlines(hole, parcels[[14]]) == 0.0


@pytest.mark.parametrize("width", [0.2519, 0.0771, 0.4113])
def test_a_gap_beside_an_invalid_parcel_survives_a_round_trip_through_wgs84(width):
    """Reprojected edges no longer meet exactly (1e-10 m apart); no such sliver may open the
    hole beside an invalid parcel to the outside."""
    x0, y0 = 590000.0, 1270000.0
    parcels = np.array([shapely.affinity.translate(p, x0, y0) for p in grid()])
    parcels[14] = _notched(x0 + 40, y0 + 40)
    parcels[15] = shapely.box(x0 + 60 + width, y0 + 40, x0 + 80, y0 + 60)
    back = reproject(reproject(parcels, 9209, 4326), 4326, 9209)
    found = gaps(back, np.array([]))
    beside = [h for h in found["geometry"] if share_inside_outlines(h, back[[14]]) < 0.5]
    [hole] = beside
    assert hole.area == pytest.approx(width * SIDE, abs=1e-3)
    assert hole.centroid.distance(shapely.Point(x0 + 60 + width / 2, y0 + 50)) < 0.01


def test_an_overlap_beside_a_shared_edge_is_the_area_alone():
    """Two parcels that overlap and also share an edge meet in a polygon and a line; the
    overlap reported (and stored as the finding's place) is the polygon alone."""
    one = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    # shares the edge x=10 for y 0..4, then bulges 2 m into ``one`` for y 4..8
    other = shapely.Polygon(
        [(10, 0), (20, 0), (20, 10), (10, 10), (10, 8), (8, 8), (8, 4), (10, 4)]
    )
    pairs = overlapping_pairs(np.array([one, other], dtype=object))
    [overlap] = pairs["geometry"]
    assert overlap.geom_type == "Polygon"
    assert overlap.area == pytest.approx(8.0)
