"""The new Tây Ninh's 96 wards and communes and the units they replaced: the shipped tables
hold what Resolution 1682/NQ-UBTVQH15 and the statistics office's code list say, and old
addresses and old certificates find the commune that took their commune over."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from landreg.domain import reference
from landreg.services.dossier_link_scoring import commune_codes

MERGED_ON = date(2025, 7, 1)


def _current() -> list:
    return [u for u in reference.province_2025_units() if u.level in {"ward", "commune"}]


def test_the_province_has_96_units_82_communes_and_14_wards_with_unique_codes():
    units = reference.province_2025_units()
    current = _current()
    assert Counter(u.level for u in current) == {"commune": 82, "ward": 14}
    codes = [u.code for u in units]
    assert len(codes) == len(set(codes))
    assert all(len(u.code) == 5 and u.code.isdigit() for u in current)
    assert all(u.is_current and u.parent_code == "80" and u.official for u in current)
    assert len({u.name for u in current}) == 96
    wards = {u.name for u in current if u.level == "ward"}
    assert all(name.startswith("Phường ") for name in wards)
    assert {"Phường Tân Ninh", "Phường Long An", "Phường Tân An"} <= wards
    by_name = {u.name: u.code for u in current}
    # the codes DOMAIN.md quotes, and the TM-3 zone of the former province each came from
    assert (by_name["Phường Tân Ninh"], by_name["Phường Long An"]) == ("25459", "27694")
    assert by_name["Phường Tân An"] == "27712"
    zones = {u.code: u.cadastral_srid for u in current}
    assert zones["25459"] == 9209 and zones["27694"] == 9210
    assert set(zones.values()) == {9209, 9210}


def test_every_row_names_its_source():
    text = resources.files("landreg.reference").joinpath(reference.PROVINCE_2025_UNITS_FILE)
    rows = list(csv.DictReader(text.read_text(encoding="utf-8").splitlines()))
    assert rows and all(row["source"].strip() for row in rows)
    current = [row for row in rows if row["level"] in {"ward", "commune"}]
    assert all("1027/CTK-CSCL" in row["source"] and "1682/NQ-UBTVQH15" in row["source"]
               for row in current)  # fmt: skip
    notes = Path(str(text)).with_name("tay_ninh_2025.sources.md").read_text(encoding="utf-8")
    assert "1682/NQ-UBTVQH15" in notes and "1027/CTK-CSCL" in notes
    former = resources.files("landreg.reference").joinpath(reference.FORMER_COMMUNES_FILE)
    assert all(
        row["source"].strip()
        for row in csv.DictReader(former.read_text(encoding="utf-8").splitlines())
    )


def test_validity_dates_are_consistent():
    units = {u.code: u for u in reference.province_2025_units()}
    for unit in units.values():
        if unit.is_current:
            assert unit.valid_from == MERGED_ON, unit.code
        else:
            assert unit.valid_to == date(2025, 6, 30) and unit.successor_code == "80", unit.code
            assert unit.level in {"former_province", "former_district"}
    districts = [u for u in units.values() if u.level == "former_district"]
    assert len(districts) == 24  # 9 of the former Tây Ninh, 15 of the former Long An
    assert Counter(units[u.parent_code].name for u in districts) == {
        "Tỉnh Tây Ninh (cũ)": 9,
        "Tỉnh Long An (cũ)": 15,
    }


def test_every_former_commune_maps_to_one_new_unit_or_is_documented_as_split():
    current = {u.code for u in _current()}
    districts = {u.code for u in reference.province_2025_units() if u.level == "former_district"}
    former = reference.former_communes()
    assert len(former) == 282
    unmapped = {code for code, unit in former.items() if not unit.successor_codes}
    # not named by the resolution: documented in tay_ninh_2025.sources.md
    assert unmapped == {"27688", "28006"}
    for unit in former.values():
        assert unit.district_code in districts
        assert set(unit.successor_codes) <= current
        assert len(unit.clauses) == len(unit.successor_codes)
    split = {unit.name for unit in former.values() if unit.split}
    assert len(split) == 21 and "Xã Suối Đá" in split
    # every new unit was formed from at least one former one
    assert {code for unit in former.values() for code in unit.successor_codes} == current
    # and carries the code of one of them (how the statistics office numbered them): the
    # code list, the resolution and the former units agree
    formed_from: dict[str, set[str]] = {}
    for unit in former.values():
        for code in unit.successor_codes:
            formed_from.setdefault(code, set()).add(unit.code)
    assert all(code in formed_from[code] for code in current)


def test_the_tables_load_as_an_installations_units(tmp_path, monkeypatch):
    """``landreg units load landreg/reference/tay_ninh_2025_units.csv`` reads this table as
    any units file: the register then checks commune codes against the 96."""
    from landreg.services.units import read_units_file

    path = Path(str(resources.files("landreg.reference").joinpath("tay_ninh_2025_units.csv")))
    read = read_units_file(path, 9209)
    assert len(read.units) == len(reference.province_2025_units())
    (tmp_path / "admin_units.csv").write_bytes(path.read_bytes())
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))
    assert len(reference.communes()) == 96
    assert reference.commune("25630").name == "Phường Long Hoa"
    # the province's own box, not all of Viet Nam as for another province's units
    assert not reference.province_extent().equals(reference.country_extent())


@pytest.fixture
def province_units(tmp_path, monkeypatch):
    """The register's units are the whole province's (as after ``landreg units load``)."""
    source = resources.files("landreg.reference").joinpath("tay_ninh_2025_units.csv")
    (tmp_path / "admin_units.csv").write_text(source.read_text("utf-8"), encoding="utf-8")
    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))


def test_an_old_address_resolves_to_the_new_commune(province_units):
    resolve = reference.resolve_commune
    assert resolve("Phường 1, Thành phố Tây Ninh") == "25459"  # now Phường Tân Ninh
    assert resolve("P.3, TP. Tây Ninh, Tỉnh Tây Ninh") == "25459"
    assert resolve("ấp 2, xa Tan Lap, huyen Tan Thanh, tinh Long An") == "27838"  # Nhơn Hòa Lập
    assert resolve("Xã Tân Lập, Huyện Tân Biên") == "25489"  # Tân Lập: same name, other one
    assert resolve("Thị trấn Tân Biên, Huyện Tân Biên") == "25486"  # now Xã Tân Biên
    assert resolve("Phường Long Thành Bắc, Thị xã Hòa Thành") == "25630"  # Phường Long Hoa
    assert resolve("Xã Bình Tâm, Thành phố Tân An") == "27712"  # Phường Tân An
    assert resolve("Phường Long Hoa") == "25630"  # a current name is itself
    # divided by the resolution, or ambiguous without the district: not guessed
    assert resolve("Xã Suối Đá, Huyện Dương Minh Châu") is None
    assert resolve("Phường 1") is None
    assert resolve("Xã Không Có, Huyện Tân Biên") is None


def test_an_old_certificates_commune_code_resolves_to_the_new_commune(province_units):
    assert reference.resolve_commune("25636") == "25630"  # Long Thành Bắc → Phường Long Hoa
    assert reference.resolve_commune("27820") == "27823"  # Tân Lập (Mộc Hóa) → Xã Mộc Hóa
    assert reference.resolve_commune("25630") == "25630"  # current code: itself
    assert reference.resolve_commune("25555") is None  # Suối Đá was divided
    assert reference.resolve_commune("27688") is None  # no successor in the sources


def test_dossiers_declaring_an_old_commune_find_the_new_one(province_units):
    written = pd.Series(
        ["25636", "Phường 1, Thành phố Tây Ninh", "Xã Suối Đá, Huyện Dương Minh Châu", None]
    )
    assert commune_codes(written).tolist() == ["25630", "25459", pd.NA, pd.NA]


def test_with_the_samples_units_old_names_resolve_only_where_codes_agree():
    """The sample's own units give some communes codes of other ones (marked not official):
    a successor is taken only when the register knows it under its official name."""
    assert reference.resolve_commune("Phường 1, Thành phố Tây Ninh") == "25459"
    assert reference.resolve_commune("25471") == "25480"  # Thạnh Tân → Phường Bình Minh
    assert reference.resolve_commune("Xã Bình Tâm, Thành phố Tân An") == "27712"
    # officially 25630 is Phường Long Hoa, but in the sample it is Xã Tân Biên: not taken
    assert reference.communes()["25630"].name == "Xã Tân Biên"
    assert reference.resolve_commune("25636") is None
    # what people wrote before keeps its meaning
    assert reference.resolve_commune("Xã Tân Biên, Huyện Tân Biên") == "25630"
    assert commune_codes(pd.Series(["Xã Tân Biên, Huyện Tân Biên", "27694"])).tolist() == [
        "25630",
        "27694",
    ]
