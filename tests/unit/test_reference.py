"""Reference tables hold the facts officers rely on: communes, land-use codes, deadlines."""

from __future__ import annotations

import pytest

from landreg.domain import reference
from landreg.errors import UnknownReferenceError
from sample_data import units as sample_units


def test_legacy_land_use_codes_translate_to_current_ones():
    assert reference.current_land_use_code("BHK") == "HNK"
    assert reference.current_land_use_code("lnq") == "CLN"
    assert reference.current_land_use_code("ODT") == "ODT"
    assert set(reference.legacy_land_use_codes().values()) <= set(reference.land_use_codes())


def test_unknown_land_use_code_is_refused_naming_it():
    with pytest.raises(UnknownReferenceError) as caught:
        reference.current_land_use_code("XYZ")
    assert (caught.value.field, caught.value.value) == ("land_use_code", "XYZ")


def test_communes_are_current_with_former_units_kept():
    units = reference.administrative_units()
    assert units["80"].level == "province" and units["80"].is_current
    assert reference.commune("25459").name == "Phường Tân Ninh"
    assert reference.commune("27694").cadastral_srid == 9210  # former Long An: TM-3 105-45
    assert not units["72"].is_current and units["72"].successor_code == "80"
    district, province = sample_units.former_units()["27712"]
    assert units[district].valid_to is not None and units[province].valid_to is not None
    with pytest.raises(UnknownReferenceError):
        reference.commune("703")  # an abolished district is not a commune


def test_the_shipped_units_are_the_whole_new_province(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))  # no installation units of its own
    assert not reference.uses_installation_units()
    communes = reference.communes()
    assert len(communes) == 96
    assert sum(u.level == "ward" for u in communes.values()) == 14
    assert communes["25630"].name == "Phường Long Hoa"  # official codes, not the sample's
    assert communes["25486"].name == "Xã Tân Biên"
    assert reference.administrative_units()["703"].level == "former_district"
    assert reference.resolve_commune("25456") == "25459"  # old Phường 1 → Phường Tân Ninh


def test_the_sample_is_an_installation_of_its_own():
    # the suite runs with the sample's units as the installation's (tests/conftest.py)
    assert reference.uses_installation_units()
    assert set(reference.communes()) == set(sample_units.communes())
    assert reference.commune("25630").name == "Xã Tân Biên"  # the sample's own code


def test_deadlines_follow_the_decree():
    procedures = reference.procedures_config()["procedures"]
    expected = {
        "first_registration": 17,
        "transfer": 8,
        "inheritance": 8,
        "subdivision": 12,
        "merger": 12,
        "certificate_exchange": 5,
        "reissuance": 10,
        "correction": 8,
        "land_use_change": 7,
    }
    assert {name: procedures[name]["working_days"] for name in expected} == expected
    assert reference.procedures_config()["remote_extra_days"] == 10
    documents = reference.procedures_config()["documents"]
    for procedure in procedures.values():
        assert set(procedure["documents"]) <= set(documents)
