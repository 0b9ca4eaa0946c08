"""A drawn boundary is checked as ingest checks a delivered one (spatial.edits, no database)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shapely

from spatial.crs import reproject
from spatial.edits import boundary_from_geojson, check_drawn_boundary
from spatial.errors import GeometryError

# Phường Tân Ninh, in VN-2000 / TM-3 105-30 (the register's CRS)
X, Y = 565_300.0, 1_249_700.0
COMMUNE = shapely.box(X - 3_000, Y - 3_000, X + 3_000, Y + 3_000)


def _polygon(corners: int, radius: float, turns: float = 0.0) -> shapely.Polygon:
    """A star-shaped ring around the commune's centre: valid, whatever its corners."""
    ring = [
        (X + radius * (1 + 0.3 * math.sin(3 * k)) * math.cos(2 * math.pi * k / corners + turns),
         Y + radius * (1 + 0.3 * math.sin(3 * k)) * math.sin(2 * math.pi * k / corners + turns))
        for k in range(corners)
    ]  # fmt: skip
    return shapely.Polygon(ring)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=3, max_value=400), st.floats(min_value=2.0, max_value=500.0))
def test_a_valid_boundary_is_kept_as_drawn_in_2d(corners, radius):
    drawn = _polygon(corners, radius)
    checked = check_drawn_boundary(drawn, 9209, 9209, commune=COMMUNE)
    assert checked.invalid_reason is None and checked.location is None
    assert checked.geometry.geom_type == "MultiPolygon" and not checked.geometry.has_z
    assert checked.geometry.equals(drawn)


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=1.0, max_value=300.0), st.floats(min_value=1.0, max_value=300.0))
def test_every_bow_tie_is_reported_invalid_where_it_crosses(width, height):
    tie = shapely.Polygon([(X, Y), (X + width, Y + height), (X + width, Y), (X, Y + height)])
    checked = check_drawn_boundary(tie, 9209, 9209, commune=COMMUNE)
    assert checked.invalid_reason is not None
    assert checked.invalid_reason.startswith("Self-intersection")
    assert checked.location.distance(shapely.Point(X + width / 2, Y + height / 2)) < 1e-6
    # kept as drawn (the caller decides whether to store it), not repaired
    assert shapely.get_num_coordinates(checked.geometry) == 5


def test_a_boundary_in_wgs84_is_brought_into_the_register_crs():
    drawn = reproject(_polygon(12, 40.0), 9209, 4326)
    checked = check_drawn_boundary(drawn, 4326, 9209, commune=COMMUNE)
    assert checked.geometry.area == pytest.approx(_polygon(12, 40.0).area, rel=1e-6)


@pytest.mark.parametrize(
    ("geometry", "srid", "words"),
    [
        (shapely.force_3d(_polygon(5, 20.0), 3.0), 9209, "Z"),
        (shapely.Polygon([(X, Y), (X + 5, math.inf), (X + 5, Y)]), 9209, "finite"),
        (shapely.Polygon([(X, Y), (X + 5, math.nan), (X + 5, Y)]), 9209, "finite"),
        (_polygon(50, 20.0), 9209, "at most 40"),
        (shapely.LineString([(X, Y), (X + 5, Y)]), 9209, "LineString"),
        (shapely.Polygon(), 9209, "empty Polygon"),
        (shapely.Polygon([(X, Y), (X + 5, Y + 5), (X + 10, Y + 10)]), 9209, "no area"),
        (shapely.box(X, Y, X + 25_000, Y + 10), 9209, "spans 25.0 km"),
        (shapely.affinity.translate(_polygon(5, 20.0), 50_000, 0), 9209, "outside"),
        (shapely.box(200.0, 10.0, 200.001, 10.001), 4326, "EPSG:4326"),
    ],
)
def test_what_ingest_would_refuse_is_refused_by_name(geometry, srid, words):
    with pytest.raises(GeometryError) as refused:
        check_drawn_boundary(geometry, srid, 9209, commune=COMMUNE, max_vertices=40)
    assert words in refused.value.detail and refused.value.field == "geometry"


def test_a_boundary_in_the_wrong_crs_is_told_the_crs_it_fits():
    drawn = reproject(_polygon(8, 30.0), 9209, 4326)
    with pytest.raises(GeometryError) as refused:
        check_drawn_boundary(drawn, 9209, 9209, commune=COMMUNE)
    assert "fit EPSG:4326" in refused.value.detail


@pytest.mark.parametrize(
    ("geojson", "words"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, "got 'Point'"),
        ([1, 2], "got 'list'"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0, 1, 2], [1, 0, 1, 2], [1, 1, 1, 2]]]},
            "Z or M",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "4 or more positions"),
        ({"type": "Polygon", "coordinates": [[["a", "b"], [1, 1], [1, 0]]]}, "two numbers"),
    ],
)
def test_geojson_that_is_no_boundary_is_refused_by_name(geojson, words):
    with pytest.raises(GeometryError) as refused:
        boundary_from_geojson(geojson)
    assert words in refused.value.detail


def test_geojson_with_z_is_read_with_z_for_the_check_to_refuse():
    ring = [[X, Y, 1.0], [X + 5, Y, 1.0], [X + 5, Y + 5, 1.0], [X, Y, 1.0]]
    shape = boundary_from_geojson({"type": "Polygon", "coordinates": [ring]})
    assert shape.has_z
