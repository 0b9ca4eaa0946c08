"""Mapping profiles as other offices write them: no key, no fields, mistakes said in one line;
layers without attributes and tables without geometry read without a crash (no database)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd
import pyogrio
import shapely

from ingest import gdal, normalise, readers
from ingest.profiles import check_fits, check_kind, load_profile
from ingest.records import reason, source_keys
from landreg.domain.delivery import IngestOptions
from landreg.errors import ValidationError


def _profile(tmp_path: Path, text: str, name: str = "p.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_profile(str(path))


def test_a_map_profile_may_name_no_key_and_no_field(tmp_path):
    profile = _profile(tmp_path, 'name = "chi_hinh"\nkind = "map"\n')
    assert (profile.source_key, profile.fields) == ([], {})
    assert load_profile("map_no_attributes").source_key == []


def test_without_a_source_key_records_are_known_by_their_feature_id(tmp_path):
    frame = pd.DataFrame({"SO_TO": ["1", "1", "2"]}, index=[10, 11, 12])
    fids = pd.Series(["7", "9", "12"], index=frame.index)
    keyless = _profile(tmp_path, 'name = "a"\nkind = "map"\n[fields]\nmap_sheet = "SO_TO"\n')
    assert source_keys(frame, keyless, fids)[0].tolist() == ["7", "9", "12"]
    assert source_keys(frame, keyless)[0].tolist() == ["1", "2", "3"]  # positions, from 1
    # GDAL's names for the feature id mean it too, alone or with a field
    for name in ("fid", "FID", "OGC_FID"):
        named = _profile(tmp_path, f'name = "b"\nkind = "map"\nsource_key = ["SO_TO", "{name}"]\n')
        assert source_keys(frame, named, fids)[0].tolist() == ["1|7", "1|9", "2|12"]


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ('name = "a"\nkind = "mapp"\n', "kind", "mapp"),
        ('name = "a"\nkind = "map"\n[fields]\nso_thua = "THUA"\n', "fields.so_thua", "THUA"),
        ('name = "a"\nkind = "map"\nsource_key = "OBJECTID"\n', "source_key", "OBJECTID"),
        ('name = "a"\nkind = "map"\n[feilds]\nmap_sheet = "TO"\n', "feilds", None),
        ('name = "a"\nkind = "register"\n[fields]\nmap_sheet = "T"\n', "fields.commune_code", None),
        ('kind = "map"\n', "name", None),
    ],
)
def test_a_profile_that_is_not_valid_is_one_line_naming_the_key(tmp_path, text, key, value):
    with pytest.raises(ValidationError) as caught:
        _profile(tmp_path, text, "sai.toml")
    error = caught.value
    assert error.field == key
    if value is not None:
        assert error.value == value and repr(value) in error.detail
    vietnamese, english = error.detail.split(" / ", 1)
    assert vietnamese.startswith("hồ sơ ánh xạ sai.toml: ") and english.startswith("profile ")
    assert key in vietnamese and key in english
    assert "\n" not in error.detail and "pydantic" not in error.detail
    assert "http" not in error.detail and str(tmp_path) not in error.detail


def test_a_profile_that_is_not_toml_is_one_line(tmp_path):
    with pytest.raises(ValidationError) as caught:
        _profile(tmp_path, 'name = "a"\nkind map\n', "sai.toml")
    assert caught.value.detail.startswith("hồ sơ ánh xạ sai.toml không phải TOML hợp lệ / ")
    assert "line 2" in caught.value.detail and "\n" not in caught.value.detail


def test_a_told_profile_must_find_every_field_it_names(tmp_path):
    profile = _profile(
        tmp_path,
        'name = "p"\nkind = "map"\nsource_key = ["MA"]\n[fields]\nmap_sheet = "TO"\n'
        'address = "DIA_CHI"\n',
    )
    check_fits(profile, ["MA", "TO"], strict=False)  # a shipped profile found by detection
    with pytest.raises(ValidationError) as caught:
        check_fits(profile, ["MA", "TO"], strict=True)
    assert (caught.value.field, caught.value.value) == ("address", "DIA_CHI")
    with pytest.raises(ValidationError) as caught:
        check_fits(profile, ["TO", "DIA_CHI"], strict=False)
    assert (caught.value.field, caught.value.value) == ("source_key", "MA")


def test_a_profile_of_another_kind_is_refused_by_name(tmp_path):
    register = load_profile("register_tay_ninh_cu")
    with pytest.raises(ValidationError) as caught:
        check_kind(register, {"map", "strips"}, ("lớp bản đồ 'x'", "map layer 'x'"))
    assert caught.value.field == "kind" and caught.value.value == "register"
    assert "register_tay_ninh_cu" in caught.value.detail and "map layer 'x'" in caught.value.detail


def test_zero_is_a_whole_number_but_not_a_parcel_number():
    values, bad = normalise.whole_numbers(pd.Series(["0", "12", "1.234", "12a", None]))
    assert bad.tolist() == [True, False, False, True, False]
    assert values.tolist()[1:3] == [12, 1234]
    assert reason("parcel_number", "a whole number") == (
        "số thửa phải là số nguyên dương / parcel_number must be a whole number of 1 or more"
    )


SHAPES = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)]


def test_a_layer_with_only_geometry_or_a_placeholder_field_gets_the_no_attributes_profile(
    tmp_path,
):
    bare = tmp_path / "bare.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=SHAPES, crs="EPSG:9209"), bare)
    placeholder = tmp_path / "ThuaDat.shp"
    frame = gpd.GeoDataFrame({"Id": [0, 0], "GHI_CHU": [None, " "]}, geometry=SHAPES)
    pyogrio.write_dataframe(frame.set_crs("EPSG:9210"), placeholder)
    for path, rows in ((bare, ["1", "2"]), (placeholder, ["1", "2"])):
        layer = gdal.read_layer(path)
        assert layer.rows.tolist() == rows  # the fid; a Shapefile's record number from 1
        assert readers.layer_profile(layer, IngestOptions()).name == "map_no_attributes"
    noted = tmp_path / "noted.gpkg"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"GHI_CHU": ["a", None]}, geometry=SHAPES, crs="EPSG:9209"), noted
    )
    with pytest.raises(ValidationError) as caught:
        readers.layer_profile(gdal.read_layer(noted), IngestOptions())
    assert "no profile recognises fields ['GHI_CHU']" in caught.value.detail


def test_a_table_without_geometry_is_listed_and_read_without_a_crash(tmp_path):
    path = tmp_path / "hon_hop.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=SHAPES, crs="EPSG:9209"), path, layer="a")
    pyogrio.write_dataframe(
        pd.DataFrame({"So": [1.0, None], "Ten": ["An", "Bình"]}), path, layer="bang"
    )
    assert gdal.attribute_tables(path) == {"bang"}
    assert readers.attribute_tables(path) == {"bang"}
    layer = gdal.read_layer(path, "bang")  # was KeyError: 'wkb_geometry'
    assert shapely.is_missing(layer.geometry).all()
    table = gdal.read_table(path, "bang")
    assert table.rows.tolist() == ["fid 1", "fid 2"]
    assert table.frame.to_dict("records") == [
        {"So": "1", "Ten": "An", "fid": "1"},
        {"So": None, "Ten": "Bình", "fid": "2"},
    ]
