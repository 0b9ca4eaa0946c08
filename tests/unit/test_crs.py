"""CRS handling: the published test vectors, named systems, and no silent fallback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shapely
from pyproj import Transformer

from spatial.crs import candidate_srids, recognise_crs, reproject, srid_from_text
from spatial.errors import CRSError


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


def _esri_prj(meridian: float, rotations: str) -> str:
    """A .prj as old VN-2000 tools write it: ESRI-style WKT, TOWGS84, no EPSG code."""
    return (
        'PROJCS["VN_2000_TM3",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
        'SPHEROID["WGS_1984",6378137.0,298.257223563],'
        f"TOWGS84[-191.904414,-39.3031828,-111.450328,{rotations},0.252906278]],"
        'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
        'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],'
        'PARAMETER["False_Northing",0.0],'
        f'PARAMETER["Central_Meridian",{meridian}],PARAMETER["Scale_Factor",0.9999],'
        'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
    )


RIGHT = "0.00928836,-0.01975479,0.00427372"
FLIPPED = "-0.00928836,0.01975479,-0.00427372"


@pytest.mark.parametrize(("meridian", "srid"), [(105.5, 9209), (105.75, 9210)])
def test_custom_prj_without_epsg_code_is_recognised_by_its_parameters(meridian, srid):
    found = recognise_crs(_esri_prj(meridian, RIGHT))
    assert (found.srid, found.towgs84_sign_error) == (srid, False)
    point = reproject(shapely.Point(106.1, 11.3), 4326, srid)
    moved = Transformer.from_crs(4326, found.definition, always_xy=True).transform(106.1, 11.3)
    assert moved == pytest.approx((point.x, point.y), abs=0.002)


def test_the_towgs84_sign_error_is_detected_and_its_shift_honoured():
    found = recognise_crs(_esri_prj(105.5, FLIPPED))
    assert found.srid == 9209 and found.towgs84_sign_error
    assert "sign" in found.note
    right = reproject(shapely.Point(106.1, 11.3), 4326, 9209)
    wrong = shapely.Point(
        Transformer.from_crs(4326, found.definition, always_xy=True).transform(106.1, 11.3)
    )
    assert 0.4 < right.distance(wrong) < 0.7  # the documented ~0.56 m error


@pytest.mark.parametrize(
    ("declared", "srid"),
    [
        ("EPSG:3405", 3405),
        ("EPSG:4326", 4326),
        ("EPSG:9210", 9210),
        ("+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84", 9209),
    ],
)
def test_declared_crs_by_code_or_proj_string(declared, srid):
    assert recognise_crs(declared).srid == srid


def test_candidates_find_the_crs_a_misdeclared_layer_is_really_in():
    commune = shapely.box(560_000, 1_245_000, 570_000, 1_255_000)  # in EPSG:9209
    points = shapely.points(
        np.column_stack([np.linspace(561_000, 569_000, 20), np.linspace(1_246_000, 1_254_000, 20)])
    )
    assert candidate_srids(reproject(points, 9209, 3405), commune, 9209) == [3405]
    assert candidate_srids(points, commune, 9209) == [9209]
    assert candidate_srids(reproject(points, 9209, 4326), commune, 9209)[0] in (4326, 4756)
    assert candidate_srids(shapely.points([[0, 0], [10, 10]]), commune, 9209) == []


def test_candidates_can_be_the_zones_of_another_province():
    # Huế's TM-3 zone (107-00) is not among the shipped candidates; an installation's units
    # bring it in, and 9209 (105-30) would put the same numbers about 160 km west.
    area = reproject(shapely.box(107.50, 16.40, 107.60, 16.50), 4326, 9209)
    points = reproject(
        shapely.points(np.column_stack([np.linspace(107.51, 107.59, 12), np.full(12, 16.45)])),
        4326,
        9214,
    )
    assert candidate_srids(points, area, 9209) == []
    assert candidate_srids(points, area, 9209, candidates=(9209, 9214, 3406)) == [9214]
