"""Reference tables the register checks against: administrative units, land-use codes, procedures.

The tables ship as CSV and TOML files in ``landreg/reference`` so that the province can
review and edit them without touching code. They are read once and cached.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from landreg.errors import UnknownReferenceError


@dataclass(frozen=True, slots=True)
class AdministrativeUnit:
    """A province, commune or ward, current or historical ("đơn vị hành chính").

    Parameters
    ----------
    code : str
        Official code: 2 digits for a province, 3 for a former district, 5 for a commune.
    level : str
        ``province``, ``ward``, ``commune``, ``former_province`` or ``former_district``.
    name : str
        Vietnamese name with diacritics.
    parent_code : str or None
        The unit it belongs to (the province for a commune since 1 July 2025).
    valid_from, valid_to : date or None
        Lifespan of the unit; ``valid_to`` is set for abolished units.
    successor_code : str or None
        For an abolished unit, the unit that took it over.
    cadastral_srid : int or None
        EPSG code of the TM-3 zone its cadastral maps are drawn in.
    remote : bool
        Remote commune: deadlines get extra working days.
    official : bool
        False where the code is assumed for the sample data and must be checked.
    """

    code: str
    level: str
    name: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None
    cadastral_srid: int | None
    remote: bool
    official: bool

    @property
    def is_current(self) -> bool:
        """True for units that exist today (not abolished)."""
        return self.valid_to is None


@dataclass(frozen=True, slots=True)
class LandUseCode:
    """A land-use code of Circular 08/2024/TT-BTNMT Appendix II ("mã loại đất")."""

    code: str
    group: str
    name_vi: str
    name_en: str
    residential: bool


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("landreg.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _optional_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@cache
def administrative_units() -> dict[str, AdministrativeUnit]:
    """All administrative units, current and historical, by code."""
    return {
        row["code"]: AdministrativeUnit(
            code=row["code"],
            level=row["level"],
            name=row["name"],
            parent_code=row["parent_code"] or None,
            valid_from=_optional_date(row["valid_from"]),
            valid_to=_optional_date(row["valid_to"]),
            successor_code=row["successor_code"] or None,
            cadastral_srid=int(row["cadastral_srid"]) if row["cadastral_srid"] else None,
            remote=row["remote"] == "true",
            official=row["official"] == "true",
        )
        for row in _read_csv("admin_units.csv")
    }


@cache
def communes() -> dict[str, AdministrativeUnit]:
    """Current communes and wards (5-digit codes) by code."""
    return {
        code: unit
        for code, unit in administrative_units().items()
        if unit.level in {"commune", "ward"} and unit.is_current
    }


def commune(code: str) -> AdministrativeUnit:
    """The current commune or ward with this code; raises for an unknown code."""
    try:
        return communes()[code]
    except KeyError:
        raise UnknownReferenceError(
            f"commune_code {code!r} is not a commune or ward of the province",
            field="commune_code",
            value=code,
        ) from None


@cache
def former_units() -> dict[str, tuple[str, str]]:
    """For each current commune, its former (district, province) codes before 1 July 2025."""
    return {
        row["commune_code"]: (row["former_district_code"], row["former_province_code"])
        for row in _read_csv("former_units.csv")
    }


@cache
def land_use_codes() -> dict[str, LandUseCode]:
    """Current land-use codes by code."""
    return {
        row["code"]: LandUseCode(
            row["code"], row["group"], row["name_vi"], row["name_en"], row["residential"] == "true"
        )
        for row in _read_csv("land_use_codes.csv")
    }


@cache
def legacy_land_use_codes() -> dict[str, str]:
    """Legacy code still on old maps and certificates → current code."""
    return {
        row["legacy_code"]: row["current_code"] for row in _read_csv("legacy_land_use_codes.csv")
    }


@cache
def folk_land_use_terms() -> dict[str, tuple[str, str]]:
    """Land uses as people say them ("thổ cư", "vườn") → (rural code, urban code)."""
    return {
        row["term"]: (row["rural_code"], row["urban_code"])
        for row in _read_csv("folk_land_use_terms.csv")
    }


def current_land_use_code(code: str, *, urban: bool = False) -> str:
    """The current code for ``code``: current, legacy or folk term; raises for an unknown one.

    A folk term such as "thổ cư" (residential) means ODT in a ward and ONT in a commune.
    """
    cleaned = code.strip().upper()
    if cleaned in land_use_codes():
        return cleaned
    if cleaned in legacy_land_use_codes():
        return legacy_land_use_codes()[cleaned]
    folk = folk_land_use_terms().get(" ".join(code.strip().lower().split()))
    if folk is not None:
        return folk[1] if urban else folk[0]
    raise UnknownReferenceError(
        f"land_use_code {code!r} is neither a current nor a legacy land-use code",
        field="land_use_code",
        value=code,
    )


@cache
def procedures_config() -> dict[str, Any]:
    """The procedures table (deadlines in working days, required documents) as configured."""
    text = resources.files("landreg.reference").joinpath("procedures.toml").read_text("utf-8")
    return tomllib.loads(text)
