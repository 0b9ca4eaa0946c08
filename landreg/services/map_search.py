"""The map's search box: a parcel by its national identifier (12 GeoHash characters), its key
(new or old numbers), a certificate serial, or part of an address, typed however staff type
them.

A key may be written ``25612:12:345``, ``25612-12-345``, ``tờ 12 thửa 345`` (or without
diacritics, ``to 12 thua 345``; ``sheet 12 parcel 345``), ``12/345``, the commune first or
left out (then every commune's parcels with those numbers are found). Numbers are matched
against the parcels' numbers now, their numbers before a re-survey, the land register's
numbers linked to them and the numbers of their earlier versions. An address is matched word
by word without case or diacritics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

import shapely

from landreg.domain.identifiers import CertificateSerial
from landreg.domain.model import Parcel
from landreg.errors import LandRegError
from landreg.services.register import parcels_by_key, parcels_by_serial
from landreg.services.source_checks import folded_names
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject
from spatial.national_id import is_national_id

MOST = 10
MAX_TEXT = 120
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class MapHit:
    """One answer of the search box: what matched (``parcel``, ``serial``, ``address``), the
    parcel it leads to, a line for the reader in both languages and where to fly to (WGS 84
    ``west, south, east, north``; None for a parcel without boundary)."""

    kind: str
    label_vi: str
    label_en: str
    parcel_id: int
    bounds: Bounds | None


@dataclass(frozen=True, slots=True)
class KeyReading:
    """A sheet and parcel number read from the search text, with the commune when given."""

    commune: str | None
    sheet: int
    number: int


_SEPARATED = re.compile(r"^(?:(\d{5})\s*[-:/.\s]\s*)?(\d{1,4})\s*[-:/]\s*(\d{1,5})$")
_WORDED = re.compile(
    r"^(?:(?:xa|phuong|commune|ward)?\s*(\d{5})\s*[,;]?\s*)?"
    r"(?:to|to ban do|sheet|map sheet)\s*(?:so\s*)?(\d{1,4})\s*[,;]?\s*"
    r"(?:thua|thua dat|parcel)\s*(?:so\s*)?(\d{1,5})"
    r"(?:\s*[,;]?\s*(?:xa|phuong|commune|ward)?\s*(\d{5}))?$"
)
# How a parcel was found by its numbers (``uow.map.parcel_ids_by_numbers``) as said to staff.
_FOUND_BY = {
    "current": ("", ""),
    "old": (" (theo số tờ, số thửa cũ)", " (by its old sheet and parcel numbers)"),
    "register": (" (theo số tờ, số thửa trong sổ địa chính)", " (by the register's numbers)"),
    "earlier": (" (theo số của phiên bản trước)", " (by an earlier version's numbers)"),
}


def folded(text: str) -> str:
    """The text in lower case without diacritics or extra spaces ("Tờ 12" → "to 12")."""
    return str(folded_names(pd.Series([text])).iloc[0])


def read_key(text: str) -> KeyReading | None:
    """The parcel key in the search text, if it is one (see the module docstring)."""
    plain = folded(text)
    found = _SEPARATED.match(plain)
    if found:
        commune, sheet, number = found.groups()
        return KeyReading(commune, int(sheet), int(number))
    found = _WORDED.match(plain)
    if found:
        before, sheet, number, after = found.groups()
        return KeyReading(before or after, int(sheet), int(number))
    return None


def search(uow: UnitOfWork, text: str) -> list[MapHit]:
    """At most ten parcels the text may mean: by key first, then certificate serial, then
    address."""
    text = " ".join(text.split())[:MAX_TEXT]
    if not text:
        return []
    hits: dict[int, MapHit] = {}
    srid = uow.database.cadastral_srid
    _by_national_id(uow, text, hits)
    key = read_key(text)
    if key is not None:
        for parcel, how in _by_key(uow, key):
            hits.setdefault(parcel.id or 0, _key_hit(parcel, how, srid))
    serial = _serial(text)
    if serial is not None:
        for parcel in parcels_by_serial(uow, serial)[:MOST]:
            hits.setdefault(parcel.id or 0, _serial_hit(parcel, serial, srid))
    _by_address(uow, folded(text).split(), hits)
    return list(hits.values())[:MOST]


def _by_national_id(uow: UnitOfWork, text: str, hits: dict[int, MapHit]) -> None:
    """Add the parcel holding the national identifier the text is (12 GeoHash characters)."""
    wanted = text.strip().lower()
    if not is_national_id(wanted):
        return
    parcel_id = uow.national_ids.parcel_with(wanted)
    if parcel_id is None:
        return
    parcel = uow.parcels.get(parcel_id)
    vi, en = parcel_label(parcel)
    hits[parcel_id] = MapHit(
        "national_id", f"Mã định danh {wanted} — {vi}", f"National identifier {wanted} — {en}",
        parcel_id, bounds_of(parcel, uow.database.cadastral_srid),
    )  # fmt: skip


def _by_address(uow: UnitOfWork, words: list[str], hits: dict[int, MapHit]) -> None:
    """Add to ``hits`` (up to ten) the parcels whose address holds the words: as one phrase
    first ("so 4 duong" before "so 14 duong"), then in any order."""
    if len("".join(words)) < 3:
        return
    srid = uow.database.cadastral_srid
    for wanted in ([" ".join(words)], words):
        if len(hits) >= MOST:
            return
        for parcel_id in uow.map.parcel_ids_by_address(wanted, limit=MOST):
            if parcel_id not in hits:
                hits[parcel_id] = _address_hit(uow.parcels.get(parcel_id), srid)


def _by_key(uow: UnitOfWork, key: KeyReading) -> list[tuple[Parcel, str]]:
    """Parcels with the key's numbers now (through the register's own look-up when the
    commune is given), then by their other numbers."""
    found: list[tuple[Parcel, str]] = []
    if key.commune is not None:
        try:
            found = [
                (p, "current") for p in parcels_by_key(uow, key.commune, key.sheet, key.number)
            ]
        except LandRegError:  # not a key the register could hold: nothing has it
            return []
    seen = {parcel.id for parcel, _ in found}
    for parcel_id, how in uow.map.parcel_ids_by_numbers(
        key.commune, key.sheet, key.number, limit=MOST
    ):
        if parcel_id not in seen:
            found.append((uow.parcels.get(parcel_id), how))
            seen.add(parcel_id)
    return found[:MOST]


def _serial(text: str) -> str | None:
    try:
        serial = CertificateSerial.parse(text)
    except LandRegError:
        return None
    return str(serial)


def parcel_label(parcel: Parcel) -> tuple[str, str]:
    """A parcel named for the reader: "Thửa 10, tờ 1 (27694-1-10)"."""
    if parcel.map_sheet is None or parcel.parcel_number is None:
        return f"Thửa {parcel.reference}", f"Parcel {parcel.reference}"
    return (
        f"Thửa {parcel.parcel_number}, tờ {parcel.map_sheet} ({parcel.reference})",
        f"Parcel {parcel.parcel_number}, sheet {parcel.map_sheet} ({parcel.reference})",
    )


def _key_hit(parcel: Parcel, how: str, srid: int) -> MapHit:
    vi, en = parcel_label(parcel)
    said_vi, said_en = _FOUND_BY.get(how, ("", ""))
    return MapHit("parcel", vi + said_vi, en + said_en, parcel.id or 0, bounds_of(parcel, srid))


def _serial_hit(parcel: Parcel, serial: str, srid: int) -> MapHit:
    vi, en = parcel_label(parcel)
    return MapHit(
        "serial", f"Giấy chứng nhận {serial} — {vi}", f"Certificate {serial} — {en}",
        parcel.id or 0, bounds_of(parcel, srid),
    )  # fmt: skip


def _address_hit(parcel: Parcel, srid: int) -> MapHit:
    vi, en = parcel_label(parcel)
    address = parcel.address or ""
    return MapHit(
        "address", f"{address} — {vi}", f"{address} — {en}", parcel.id or 0,
        bounds_of(parcel, srid),
    )  # fmt: skip


def bounds_of(parcel: Parcel, srid: int) -> Bounds | None:
    """The parcel's bounds in WGS 84 (west, south, east, north); None without boundary."""
    if parcel.geometry is None or parcel.geometry.is_empty:
        return None
    return geographic_bounds(parcel.geometry.bounds, srid)


def geographic_bounds(bounds: Bounds, srid: int) -> Bounds:
    """Bounds of the cadastral CRS as WGS 84 bounds (edges densified: the box holds it all)."""
    west, south, east, north = bounds
    # A point (a self-intersection) has bounds of no size: GEOS cannot densify such a box.
    box = shapely.box(west, south, max(east, west + 0.01), max(north, south + 0.01))
    box = shapely.segmentize(box, max(east - west, 1.0) / 4)
    found = reproject(box, srid, 4326).bounds
    return float(found[0]), float(found[1]), float(found[2]), float(found[3])
