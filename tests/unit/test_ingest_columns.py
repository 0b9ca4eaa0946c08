"""The columnar ingest path: text, numbers, hashes and geometry bytes over whole columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shapely

from ingest import normalise
from ingest.parcels import multipolygon_ewkb
from ingest.records import land_use_codes


def test_text_is_stripped_nfc_and_empty_is_missing():
    decomposed = "Tân Biên".replace("â", "a\u0302")
    values = pd.Series([f"  {decomposed} ", "", None, 12, float("nan")])
    assert normalise.text(values).tolist() == ["Tân Biên", None, None, "12", None]
    assert normalise.strings(values).isna().tolist() == [False, True, True, False, True]


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["1.234", "1,234", " 12 ", "0", "x", None]),
        pd.Series([1234, 1234, 12, 0, -1, None], dtype="Int64"),
    ],
)
def test_whole_numbers_as_text_or_as_numbers(column):
    numbers, bad = normalise.whole_numbers(column)
    assert numbers.tolist()[:3] == [1234, 1234, 12]
    assert numbers.isna().tolist()[3:] == [True, True, True]
    assert bad.tolist() == [False, False, False, True, True, False]


def test_whole_numbers_of_a_float_column_with_gaps_are_not_multiplied():
    numbers, bad = normalise.whole_numbers(pd.Series([12.0, None, 3.5]))
    assert numbers.tolist()[0] == 12 and numbers.isna().tolist() == [False, True, True]
    assert bad.tolist() == [False, False, True]


def test_record_hashes_tell_every_changed_value_and_nothing_else():
    frame = pd.DataFrame({"a": ["x", "y", None], "n": pd.array([1, 2, None], dtype="Int64")})
    shapes = pd.Series([b"\x01", b"\x02", b"\x03"])
    first = normalise.record_hashes(frame, shapes)
    assert first.str.fullmatch(r"[0-9a-f]{32}").all() and first.nunique() == 3
    again = normalise.record_hashes(frame.copy(), shapes.copy())
    assert first.tolist() == again.tolist()
    edited = frame.copy()
    edited.loc[1, "a"] = "z"
    moved = pd.Series([b"\x01", b"\x02", b"\x04"])
    assert (normalise.record_hashes(edited, shapes) != first).tolist() == [False, True, False]
    assert (normalise.record_hashes(frame, moved) != first).tolist() == [False, False, True]


def test_polygons_become_multipolygon_ewkb_with_the_srid():
    square = shapely.box(0, 0, 1, 1)
    pair = shapely.MultiPolygon([shapely.box(2, 2, 3, 3), shapely.box(4, 4, 5, 5)])
    ewkb = multipolygon_ewkb(np.array([square, pair]), 9209)
    shapes = shapely.from_wkb(ewkb.to_numpy(dtype=object))
    assert shapely.get_srid(shapes).tolist() == [9209, 9209]
    assert shapely.get_type_id(shapes).tolist() == [6, 6]
    assert shapes[0].equals(shapely.MultiPolygon([square])) and shapes[1].equals(pair)


def test_land_use_codes_are_looked_up_once_per_distinct_value():
    values = pd.Series(["ODT", None, "ODT", "không biết"], index=[5, 6, 7, 8])
    codes = land_use_codes(values)
    assert codes.index.tolist() == [5, 6, 7, 8]
    assert codes.tolist()[0] == codes.tolist()[2] == "ODT"
    assert codes.tolist()[1] is None and codes.tolist()[3] is None


def test_a_delivery_is_dated_by_what_the_file_says_or_by_the_user():
    from datetime import datetime

    from ingest.dates import data_date

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "small"
    gpkg = sample / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
    xlsx = sample / "register" / "so_dia_chinh_long_an_cu.xlsx"
    csv = sample / "register" / "so_dia_chinh_tay_ninh_cu.csv"
    assert data_date(gpkg, "ThuaDat", None) == (datetime(2025, 11, 27), "gpkg_contents")
    assert data_date(xlsx, None, None) == (datetime(2025, 11, 27), "workbook properties")
    assert data_date(csv, None, None)[1] == "file time"
    assert data_date(csv, None, datetime(2024, 3, 1, 8)) == (datetime(2024, 3, 1, 8), "user")
