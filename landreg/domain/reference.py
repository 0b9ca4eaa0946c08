"""Reference tables the register checks against: administrative units, land-use codes, procedures.

The tables ship as CSV and TOML files in ``landreg/reference`` so that the province can
review and edit them without touching code. They are read once and cached.

The shipped units are the whole new Tây Ninh — its 96 wards and communes since 1 July 2025
and the former provinces and districts they replaced, each row with its source
(``tay_ninh_2025.sources.md``) — in ``tay_ninh_2025_units.csv``; the 282 former communes and
the commune that took each over are in ``tay_ninh_2025_former_communes.csv``, and
:func:`resolve_commune` turns an old commune code or address into the commune that took it
over.

An installation of another province (or the sample, ``sample_data/admin_units.csv``) keeps
its own administrative units in ``admin_units.csv`` in its data folder (``LANDREG_DATA_DIR``,
written by ``landreg units load``); when that file is there it replaces the shipped units
everywhere the register checks a commune code, a remote commune or where the province lies.
It is read again when it changes.
"""

from __future__ import annotations

import csv
import os
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.domain.admin_units import AdministrativeUnit, units_from_rows
from landreg.errors import UnknownReferenceError
from spatial.crs import reproject

# The installation's own units, in its data folder (see installation_units_path).
INSTALLATION_UNITS_FILE = "admin_units.csv"
# The new Tây Ninh's own units and the former communes they replaced, with their sources
# (``tay_ninh_2025.sources.md``). ``landreg units load`` takes the units file as it is.
PROVINCE_2025_UNITS_FILE = "tay_ninh_2025_units.csv"
FORMER_COMMUNES_FILE = "tay_ninh_2025_former_communes.csv"


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


def administrative_units() -> dict[str, AdministrativeUnit]:
    """All administrative units, current and historical, by code: the installation's own
    (:func:`installation_units_path`) when it has loaded some, else the shipped ones."""
    return _units(_installation_stamp())


def communes() -> dict[str, AdministrativeUnit]:
    """Current communes and wards (5-digit codes) by code."""
    return _communes(_installation_stamp())


def installation_units_path() -> Path:
    """Where an installation's own units are kept: ``admin_units.csv`` in ``LANDREG_DATA_DIR``
    (``var`` when unset), the folder landreg keeps its own files in."""
    return Path(os.environ.get("LANDREG_DATA_DIR") or "var") / INSTALLATION_UNITS_FILE


def uses_installation_units() -> bool:
    """True when the installation's own units replace the shipped ones."""
    return _installation_stamp() is not None


def _installation_stamp() -> tuple[str, int] | None:
    """The installation's units file and when it last changed (a cache key); None without."""
    path = installation_units_path()
    try:
        return str(path.resolve()), path.stat().st_mtime_ns
    except OSError:
        return None


@lru_cache(maxsize=4)
def _units(stamp: tuple[str, int] | None) -> dict[str, AdministrativeUnit]:
    if stamp is None:
        rows, source = _read_csv(PROVINCE_2025_UNITS_FILE), PROVINCE_2025_UNITS_FILE
    else:
        text = Path(stamp[0]).read_text(encoding="utf-8-sig")
        rows, source = list(csv.DictReader(text.splitlines())), INSTALLATION_UNITS_FILE
    columns = list(rows[0]) if rows else []
    return {unit.code: unit for unit in units_from_rows(columns, rows, source=source)}


@lru_cache(maxsize=4)
def _communes(stamp: tuple[str, int] | None) -> dict[str, AdministrativeUnit]:
    return {
        code: unit
        for code, unit in _units(stamp).items()
        if unit.level in {"commune", "ward"} and unit.is_current
    }


def province_extent(srid: int = 4326) -> BaseGeometry:
    """Where the province can lie, in ``srid``: the box shipped with the units (a generous
    one, see ``extents.csv``), or Viet Nam's when the installation's own units replace them.

    Loaded boundaries say more (the store prefers them); this is the check that always holds.

    Parameters
    ----------
    srid : int
        EPSG code of the answer (the box is densified before it is reprojected).
    """
    provinces = {code for code, unit in administrative_units().items() if unit.level == "province"}
    shipped = _extents()
    code = next((code for code in sorted(provinces) if code in shipped), "VN")
    return _extent_in(code, srid)


def country_extent(srid: int = 4326) -> BaseGeometry:
    """Where any province of Viet Nam can lie (a generous box), in ``srid``."""
    return _extent_in("VN", srid)


@cache
def _extent_in(code: str, srid: int) -> BaseGeometry:
    box = shapely.segmentize(_extents()[code], 0.05)
    return box if srid == 4326 else reproject(box, 4326, srid)


@cache
def _extents() -> dict[str, BaseGeometry]:
    """The shipped boxes by code (``extents.csv``: west, south, east, north in WGS 84)."""
    return {
        row["code"]: shapely.box(
            float(row["west"]), float(row["south"]), float(row["east"]), float(row["north"])
        )
        for row in _read_csv("extents.csv")
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
            detail_vi=f"mã xã {code!r} không phải mã của một xã, phường trong tỉnh",
        ) from None


@dataclass(frozen=True, slots=True)
class FormerCommune:
    """A ward, commune or town abolished on 1 July 2025 ("đơn vị hành chính cấp xã cũ").

    Parameters
    ----------
    code, name : str
        Its code and name before 1 July 2025 ("25456", "Phường 1").
    level : str
        ``ward``, ``commune`` or ``town`` (thị trấn).
    district_code, province_code : str
        The former district and province it belonged to.
    successor_codes : tuple of str
        The ward or commune that took it over; several when the resolution divided it.
    clauses : tuple of str
        The clauses of Resolution 1682/NQ-UBTVQH15, Article 1, that name it.
    """

    code: str
    level: str
    name: str
    district_code: str
    province_code: str
    successor_codes: tuple[str, ...]
    clauses: tuple[str, ...]

    @property
    def split(self) -> bool:
        """True when the unit was divided between several new ones."""
        return len(self.successor_codes) > 1


def province_2025_units() -> list[AdministrativeUnit]:
    """The new Tây Ninh's province, its 96 wards and communes, and the former provinces and
    districts, as shipped in ``tay_ninh_2025_units.csv`` (checked like any units file)."""
    rows = _read_csv(PROVINCE_2025_UNITS_FILE)
    return units_from_rows(list(rows[0]), rows, source=PROVINCE_2025_UNITS_FILE)


@cache
def former_communes() -> dict[str, FormerCommune]:
    """The wards, communes and towns of the former Tây Ninh and Long An by their old code."""
    return {
        row["code"]: FormerCommune(
            code=row["code"],
            level=row["level"],
            name=row["name"],
            district_code=row["former_district_code"],
            province_code=row["former_province_code"],
            successor_codes=tuple(code for code in row["successor_codes"].split(";") if code),
            clauses=tuple(clause for clause in row["clauses"].split(";") if clause),
        )
        for row in _read_csv(FORMER_COMMUNES_FILE)
    }


def resolve_commune(written: str | None) -> str | None:
    """The current ward or commune a written commune stands for, old or new; None when it
    cannot be told.

    ``written`` is a code ("25456"; a lost leading zero is put back) or an address as people
    write it, with or without diacritics or abbreviations ("Phường 1, Thành phố Tây Ninh",
    "ấp 2, xa Tan Lap, huyen Tan Thanh", "P.3, TP. Tây Ninh"). A current commune is itself. A
    former one (old addresses and old certificates still name them) is the ward or commune
    that took it over, the abolished district written after it telling apart former communes
    of one name. A former commune the resolution divided between several new ones is None:
    which part a parcel lies in depends on where it is. So is a successor the register's units
    do not hold under the same name (an installation whose own codes differ).
    """
    text = " ".join(str(written or "").split())
    if not text:
        return None
    current = communes()
    if text.isdigit() and len(text) <= 5:
        code = text.zfill(5)
        return code if code in current else _successor(former_communes().get(code), current)
    parts = [part for part in (_expanded(_fold(part)) for part in text.split(",")) if part]
    districts = _former_district_names()
    at = next((i for i, part in enumerate(parts) if part in districts), len(parts))
    district = districts[parts[at]] if at < len(parts) else None
    for name in reversed(parts[:at]):  # the commune is written just before its district
        found = _named(name, district, current)
        if found is not None:
            return found
    return None


def _named(name: str, district: str | None, current: dict[str, AdministrativeUnit]) -> str | None:
    """The current commune for a folded commune name, the former district it lay in if known."""
    former = [
        unit
        for unit, folded in _former_commune_names()
        if folded == name and district in (None, unit.district_code)
    ]
    if district is not None and len(former) == 1:
        code = _successor(former[0], current)
        if code is not None:
            return code
    named = [code for code, unit in current.items() if _fold(unit.name) == name]
    if len(named) == 1:
        return named[0]
    return _successor(former[0], current) if district is None and len(former) == 1 else None


@cache
def _former_commune_names() -> tuple[tuple[FormerCommune, str], ...]:
    return tuple((unit, _fold(unit.name)) for unit in former_communes().values())


def _successor(former: FormerCommune | None, current: dict[str, AdministrativeUnit]) -> str | None:
    """The one current commune that took ``former`` over, if the register knows it by the
    name the official table gives it."""
    if former is None or len(former.successor_codes) != 1:
        return None
    code = former.successor_codes[0]
    official = _province_2025_names().get(code)
    unit = current.get(code)
    return code if unit is not None and official == _fold(unit.name) else None


@cache
def _province_2025_names() -> dict[str, str]:
    """The shipped 2025 wards and communes' names (folded) by code."""
    return {unit.code: _fold(unit.name) for unit in province_2025_units()}


@cache
def _former_district_names() -> dict[str, str]:
    """Former districts' codes by name, folded ("thanh pho tay ninh", "huyen tan bien"), and
    by the name without its level word ("tan bien") when that names one district only."""
    districts = [unit for unit in province_2025_units() if unit.level == "former_district"]
    names = {_fold(unit.name): unit.code for unit in districts}
    bare: dict[str, list[str]] = {}
    for unit in districts:
        for level in ("thanh pho ", "thi xa ", "huyen "):
            folded = _fold(unit.name)
            if folded.startswith(level):
                bare.setdefault(folded.removeprefix(level), []).append(unit.code)
    names.update({name: codes[0] for name, codes in bare.items() if len(codes) == 1})
    return names


# Abbreviations people write before a unit's name ("TP. Tây Ninh", "P.3", "H. Tân Biên").
_ABBREVIATIONS = {
    "tp": "thanh pho", "tx": "thi xa", "h": "huyen", "tt": "thi tran", "p": "phuong", "x": "xa",
}  # fmt: skip


def _expanded(folded: str) -> str:
    """A folded name with its leading level abbreviation written out."""
    head, _, tail = folded.partition(" ")
    if head[:1] == "p" and head[1:].isdigit():  # "p3" for "Phường 3"
        return f"phuong {head[1:]} {tail}".strip()
    return f"{_ABBREVIATIONS[head]} {tail}" if head in _ABBREVIATIONS and tail else folded


def _fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, single spaces: names as they are compared."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(bare.lower().replace(".", " ").split())


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
        detail_vi=f"mã loại đất {code!r} không có trong danh mục loại đất hiện hành "
        "cũng như danh mục cũ",
    )


@cache
def procedures_config() -> dict[str, Any]:
    """The procedures table (deadlines in working days, required documents) as configured."""
    text = resources.files("landreg.reference").joinpath("procedures.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True, slots=True)
class Office:
    """An office that receives dossiers and returns results ("nơi tiếp nhận hồ sơ").

    Parameters
    ----------
    code : str
        The office code that begins its receipt codes ("H55.703").
    name_vi, name_en : str
        The office's name.
    address : str
        Where a citizen brings documents.
    hours_vi, hours_en : str
        Opening hours, written for people.
    phone : str or None
        The office's published phone, when known.
    official : bool
        False for an entry invented for the sample data, to be replaced by the office's own.
    """

    code: str
    name_vi: str
    name_en: str
    address: str
    hours_vi: str
    hours_en: str
    phone: str | None
    official: bool


@cache
def offices() -> dict[str, Office]:
    """The offices of ``offices.csv`` by code (lines starting with ``#`` are its notes)."""
    text = resources.files("landreg.reference").joinpath("offices.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["code"]: _office(row) for row in rows}


def _office(row: dict[str, str]) -> Office:
    return Office(
        row["code"], row["name_vi"], row["name_en"], row["address"], row["hours_vi"],
        row["hours_en"], row["phone"] or None, row["official"] == "true",
    )  # fmt: skip


def office(code: str) -> Office:
    """The office with this code; raises :class:`UnknownReferenceError` for an unknown one."""
    try:
        return offices()[code.strip().upper()]
    except KeyError:
        raise UnknownReferenceError(
            f"office {code!r} is not in the offices table",
            field="office",
            value=code,
            detail_vi=f"cơ quan {code!r} không có trong danh mục cơ quan tiếp nhận",
        ) from None
