"""The sample's own administrative units: the communes the generated province is made of.

The sample is an installation of its own, as another province would be: its fourteen wards
and communes keep the codes the generator was written with, some of which are official codes
of other units of the new Tây Ninh, so they are not landreg's shipped units (the whole
province, ``landreg/reference/tay_ninh_2025_units.csv``). ``landreg demo`` and the test suite
load them as the installation's units (``landreg units load sample_data/admin_units.csv``),
and the generator reads them from here.

``former_units.csv`` gives each sample commune the district and province it belonged to before
1 July 2025 (for the old addresses and certificates the generator writes).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from landreg.domain.admin_units import AdministrativeUnit, units_from_rows

UNITS_FILE = Path(__file__).with_name("admin_units.csv")
FORMER_UNITS_FILE = Path(__file__).with_name("former_units.csv")


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


@cache
def administrative_units() -> dict[str, AdministrativeUnit]:
    """The sample's units, current and former, by code."""
    rows = _rows(UNITS_FILE)
    return {u.code: u for u in units_from_rows(list(rows[0]), rows, source=UNITS_FILE.name)}


@cache
def communes() -> dict[str, AdministrativeUnit]:
    """The sample's current communes and wards by code."""
    return {
        code: unit
        for code, unit in administrative_units().items()
        if unit.level in {"commune", "ward"} and unit.is_current
    }


@cache
def former_units() -> dict[str, tuple[str, str]]:
    """For each sample commune, its former (district, province) codes before 1 July 2025."""
    return {
        row["commune_code"]: (row["former_district_code"], row["former_province_code"])
        for row in _rows(FORMER_UNITS_FILE)
    }
