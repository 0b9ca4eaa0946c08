"""CRS handling: the published test vectors, named systems, and no silent fallback."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shapely

from landreg.errors import CRSError
from spatial.crs import reproject, srid_from_text


@pytest.mark.parametrize(
    ("srid", "easting", "northing"),
    [(9209, 565304.139, 1249704.808), (9210, 538012.190, 1249660.636)],
)
def test_wgs84_to_tm3_matches_the_published_vector(srid, easting, northing):
    point = reproject(shapely.Point(106.1, 11.3), 4326, srid)
    assert point.x == pytest.approx(easting, abs=0.002)
    assert point.y == pytest.approx(northing, abs=0.002)


@pytest.mark.parametrize(
    ("text", "srid"),
    [("9209", 9209), ("EPSG:9210", 9210), ("vn2000-utm48n", 3405), (" WGS84 ", 4326)],
)
def test_crs_named_the_ways_users_write_them(text, srid):
    assert srid_from_text(text) == srid


@pytest.mark.parametrize("text", ["0", "EPSG:999999", "tm3", ""])
def test_unknown_or_missing_crs_is_refused(text):
    with pytest.raises(CRSError):
        srid_from_text(text)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=540_000, max_value=600_000),
    st.floats(min_value=1_180_000, max_value=1_290_000),
    st.floats(min_value=5, max_value=200),
)
def test_round_trip_between_zones_keeps_area(x, y, size):
    parcel = shapely.box(x, y, x + size, y + size * 0.7)
    there = reproject(parcel, 9209, 9210)
    back = reproject(there, 9210, 9209)
    assert back.area == pytest.approx(parcel.area, rel=1e-6)
    # the two zones differ in scale only slightly at the province's longitudes
    assert there.area == pytest.approx(parcel.area, rel=5e-4)
