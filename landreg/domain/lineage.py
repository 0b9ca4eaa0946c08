"""Where a parcel came from: subdivisions and mergers ("tách thửa", "hợp thửa").

A subdivision ends one parcel and creates several; a merger ends several and creates one. The
new parcels are new parcels (new numbers, new national identifiers); the lineage says which
parcels they replaced, so that a certificate or a dossier about the old parcel can still be
followed to the land it is now.

Deliveries write the parent as text in a field of their own ("Thửa gốc", "Tách từ thửa"):
``25459-12-345`` (commune, sheet, parcel), ``12-345`` or ``12/345`` (sheet and parcel in the
child's commune), ``345`` (a parcel of the child's sheet), or in words, ``tờ 12 thửa 345``,
``thửa 345 tờ 12`` or ``thửa 345``; a merger lists its parents separated by ``;``, ``,``, ``+``
or ``và``.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from landreg.domain.identifiers import ParcelKey
from landreg.errors import ValidationError


class LineageKind(StrEnum):
    """How new parcels came from old ones."""

    SPLIT = "split"  # tách thửa: one parcel became several
    MERGE = "merge"  # hợp thửa: several parcels became one
    REPLACE = "replace"  # one parcel redrawn as one new parcel (new number, same ground)

    @property
    def label_vi(self) -> str:
        return {"split": "tách thửa", "merge": "hợp thửa", "replace": "thay thế"}[self.value]

    @property
    def label_en(self) -> str:
        return {"split": "subdivision", "merge": "merger", "replace": "replacement"}[self.value]


_SEPARATORS = re.compile(r"\s*(?:;|,|\+|&|\bva\b|\band\b)\s*")  # on folded text
_CANONICAL = re.compile(r"(\d{1,5})\s*[-/:]\s*(\d+)\s*[-/:]\s*(\d+)")
_SHORT = re.compile(r"(\d+)\s*[-/:]\s*(\d+)")
_NUMBER = re.compile(r"(?:thua\s*(?:dat\s*)?(?:so\s*)?)?(\d+)")
_SHEET = re.compile(r"\bto\s*(?:ban\s*do\s*)?(?:so\s*)?(\d+)")
_PARCEL = re.compile(r"\bthua\s*(?:dat\s*)?(?:so\s*)?(\d+)")


def _folded(text: str) -> str:
    """Lower case without diacritics ("Tờ" → "to", "thửa" → "thua", "đ" → "d")."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parent_keys(text: str | None, commune_code: str, map_sheet: int | None) -> list[ParcelKey]:
    """The parents a delivery names in ``text`` about a child of ``commune_code`` and
    ``map_sheet``, in the order written (duplicates once).

    A part that names no parcel (a free note) is left out; a text of which no part names a
    parcel gives an empty list, never an error: the lineage is then found from the ground.
    """
    if text is None or not str(text).strip():
        return []
    keys: list[ParcelKey] = []
    for part in _SEPARATORS.split(_folded(str(text)).strip()):
        key = _key(part, commune_code, map_sheet)
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def _key(part: str, commune_code: str, map_sheet: int | None) -> ParcelKey | None:
    try:
        if match := _CANONICAL.fullmatch(part.strip()):
            return ParcelKey.parse(*match.groups())
        if match := _SHORT.fullmatch(part.strip()):
            return ParcelKey.parse(commune_code, *match.groups())
        sheet, parcel = _SHEET.search(part), _PARCEL.search(part)
        if sheet and parcel:
            return ParcelKey.parse(commune_code, sheet.group(1), parcel.group(1))
        if (match := _NUMBER.fullmatch(part.strip())) and map_sheet is not None:
            return ParcelKey.parse(commune_code, map_sheet, match.group(1))
    except ValidationError:  # sheet or parcel 0, a commune code of the wrong length
        return None
    return None


def kinds(pairs: list[tuple[str, int]]) -> list[LineageKind]:
    """The kind of each (parent key, child id) pair, from how many parents each child has
    and how many children each parent has: a child of several parents is a merger, a parent
    of several children a subdivision, one parent of one child a replacement."""
    parents: dict[int, set[str]] = {}
    children: dict[str, set[int]] = {}
    for parent, child in pairs:
        parents.setdefault(child, set()).add(parent)
        children.setdefault(parent, set()).add(child)
    found = []
    for parent, child in pairs:
        if len(parents[child]) > 1:
            found.append(LineageKind.MERGE)
        elif len(children[parent]) > 1:
            found.append(LineageKind.SPLIT)
        else:
            found.append(LineageKind.REPLACE)
    return found
