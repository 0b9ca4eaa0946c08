"""The API's edge checks (api/params.py) as properties: whatever four numbers and supported
CRS a client sends, a box is either refused with a ValidationError naming ``bbox`` or comes
back as a polygon of finite coordinates within the span asked for; never another error."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.params import SUPPORTED_SRIDS, box_in_crs, checked_srid, parse_box, point_in_crs
from landreg.errors import ValidationError

CADASTRAL = 9209
# Any float, with the edges and magnitudes hostile clients send drawn often.
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1e-300, 180.0, 90.0, 5e5, 1e7, 1e8, 1e15, 1e300, 1e308, -1e308]),
    st.floats(min_value=-200, max_value=200),
    st.floats(min_value=-2e7, max_value=2e7),
)
srids = st.sampled_from([*SUPPORTED_SRIDS, CADASTRAL])


@settings(max_examples=400, deadline=None)
@given(numbers, numbers, numbers, numbers, srids)
def test_a_box_is_a_finite_polygon_within_its_span_or_refused(a, b, c, d, srid):
    text = ",".join(repr(v) for v in (a, b, c, d))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow inside the geometry engine is a failure
        try:
            frame = box_in_crs(parse_box(text), srid, CADASTRAL, max_span_m=50_000, shown=text)
        except ValidationError as error:
            assert error.field == "bbox"
            return
    west, south, east, north = frame.bounds
    assert all(math.isfinite(v) for v in (west, south, east, north))
    assert max(east - west, north - south) <= 50_000


@settings(max_examples=400, deadline=None)
@given(numbers, numbers, srids)
def test_a_point_is_finite_in_the_cadastral_crs_or_refused(x, y, srid):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            moved = point_in_crs(x, y, srid, CADASTRAL)
        except ValidationError as error:
            assert error.field == "x"
            return
    assert all(math.isfinite(v) for v in moved)


@pytest.mark.parametrize("srid", [0, -5, 5703, 4978, 2**40])
def test_crs_codes_outside_the_list_are_refused_naming_the_field(srid):
    with pytest.raises(ValidationError) as refused:
        checked_srid(srid, "bbox_crs", CADASTRAL)
    assert refused.value.field == "bbox_crs" and "9209" in refused.value.detail


def test_the_registers_own_crs_is_accepted_even_when_not_listed():
    assert checked_srid(9211, "crs", 9211) == 9211
