"""What a person reads, in Vietnamese first: document names, fix names, geometry reasons.

The register keeps codes (``notarised_contract``, ``make_valid``) and GEOS's English words
(``Self-intersection[565300.5 1249700.25]``) where machines read them; a sentence a person
reads in Vietnamese names the document by its catalogue name (procedures.toml
``[documents]``), the fix by its Vietnamese name and the geometry problem in Vietnamese, its
place written as coordinates ("tự cắt tại (565300.5, 1249700.25)"). English sentences keep
GEOS's own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from landreg.domain.reference import procedures_config

# The kinds of fix a finding suggests (``Rule.fix``): Vietnamese and English names.
FIX_LABELS: dict[str, tuple[str, str]] = {
    "make_valid": ("Sửa ranh giới thửa cho hợp lệ", "Make the boundary valid"),
    "snap_to_neighbour": (
        "Khớp ranh giới với thửa liền kề",
        "Snap the boundary to the neighbouring parcel",
    ),
    "merge_duplicates": ("Gộp các thửa trùng nhau", "Merge the duplicate parcels"),
    "take_register_value": ("Lấy giá trị theo sổ địa chính", "Take the register's value"),
    "review": ("Cán bộ kiểm tra, xử lý", "Review by staff"),
}

# GEOS's reasons (``shapely.is_valid_reason``; the words before the bracketed place, as
# GEOS's IsValidOp writes them in its versions) in Vietnamese.
GEOS_REASONS: dict[str, str] = {
    "Ring Self-intersection": "vòng ranh giới tự cắt",
    "Self-intersection": "ranh giới tự cắt",
    "Too few points": "ranh giới có quá ít điểm",
    "Too few points in geometry component": "ranh giới có quá ít điểm",
    "Too few distinct points in geometry component": "ranh giới có quá ít điểm khác nhau",
    "Hole lies outside shell": "phần lỗ nằm ngoài ranh giới ngoài",
    "Interior is disconnected": "phần bên trong thửa bị chia cắt",
    "Nested shells": "các ranh giới ngoài lồng nhau",
    "Duplicate Rings": "các vòng ranh giới trùng nhau",
    "Invalid Coordinate": "tọa độ không hợp lệ",
    "Ring is not closed": "vòng ranh giới không khép kín",
    "Nested holes": "các phần lỗ lồng nhau",
    "Holes are nested": "các phần lỗ lồng nhau",
    "Repeated Point": "ranh giới có điểm lặp lại",
    "Topology Validation Error": "lỗi cấu trúc hình học",
    "ring not closed in the source": "vòng ranh giới không khép kín trong tệp nguồn",
}
_GEOS = re.compile(
    r"^\s*(?P<words>[A-Za-z][A-Za-z -]*?)\s*(?:\[(?P<x>[^\s\]]+)\s+(?P<y>[^\s\]]+)\])?\s*$"
)

# What the identity-number check (``IdentityNumber``) says, in Vietnamese.
_IDENTITY_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"identity number must be 12 digits \(CCCD\) or 9 digits \(CMND\), got (.*)"),
        "số định danh phải có 12 chữ số (CCCD) hoặc 9 chữ số (CMND), nhận được {0}",
    ),
    (
        re.compile(r"identity number (.*) starts with (.*), not a province code"),
        "số định danh {0} bắt đầu bằng {1}, không phải mã tỉnh",
    ),
    (
        re.compile(r"identity number (.*) encodes birth year (\d+), in the future"),
        "số định danh {0} mang năm sinh {1}, ở tương lai",
    ),
)


def fix_label(fix: str | None) -> tuple[str, str]:
    """The name of a kind of fix, in Vietnamese and English.

    Parameters
    ----------
    fix : str or None
        ``make_valid``, ``snap_to_neighbour``, ``merge_duplicates``, ``take_register_value``
        or ``review`` (a kind it does not know is named "review by staff").

    Returns
    -------
    tuple of str
        The Vietnamese name, then the English one.
    """
    return FIX_LABELS.get(fix or "review", FIX_LABELS["review"])


def labelled_suggestion(suggestion: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A finding's suggestion with the names of its fix (``label_vi``, ``label_en``) beside
    the code that applying it reads (``fix``).

    Parameters
    ----------
    suggestion : mapping or None
        As a check proposes it (``{"fix": "make_valid", "parcel": ...}``).

    Returns
    -------
    dict or None
        The same values and the two names; None for none.
    """
    if suggestion is None:
        return None
    label_vi, label_en = fix_label(suggestion.get("fix"))
    return {**suggestion, "label_vi": label_vi, "label_en": label_en}


def document_name(document: str) -> tuple[str, str]:
    """A document by its catalogue names, Vietnamese then English.

    Parameters
    ----------
    document : str
        A code of the catalogue (procedures.toml ``[documents]``) or a document written out
        (an officer's free text), which names itself in both languages.

    Returns
    -------
    tuple of str
    """
    known = procedures_config().get("documents", {}).get(document.strip())
    if known is None:
        return document, document
    return str(known["name_vi"]), str(known["name_en"])


def document_names(documents: Iterable[str]) -> tuple[list[str], list[str]]:
    """Several documents by their names: the Vietnamese list, then the English one."""
    names = [document_name(document) for document in documents]
    return [vi for vi, _ in names], [en for _, en in names]


def geos_reason_vi(reason: str) -> str:
    """GEOS's reason a geometry is invalid, in Vietnamese, its place as coordinates.

    Parameters
    ----------
    reason : str
        As ``shapely.is_valid_reason`` writes it (``Self-intersection[565300.5 1249700.25]``),
        or a reason landreg writes itself (``ring not closed in the source``).

    Returns
    -------
    str
        ``ranh giới tự cắt tại (565300.5, 1249700.25)``; a reason it does not know is said
        as "hình học không hợp lệ" (with its place when it has one), never in English.
    """
    match = _GEOS.match(str(reason))
    words = match.group("words") if match else ""
    said = GEOS_REASONS.get(words, "hình học không hợp lệ")
    place = _place(match.group("x"), match.group("y")) if match and match.group("x") else None
    return f"{said} tại {place}" if place else said


def _place(x: str, y: str) -> str | None:
    """``(x, y)`` with at most three decimals (millimetres in a metric CRS); None when GEOS
    gave no finite coordinates."""
    try:
        numbers = float(x), float(y)
    except ValueError:
        return None
    if not all(math.isfinite(n) for n in numbers):
        return None
    shown = [f"{n:.3f}".rstrip("0").rstrip(".") for n in numbers]
    return f"({shown[0]}, {shown[1]})"


def identity_reason_vi(reason: str) -> str | None:
    """The identity-number check's reason in Vietnamese; None for a reason it does not know."""
    for pattern, template in _IDENTITY_REASONS:
        match = pattern.fullmatch(str(reason))
        if match:
            return template.format(*match.groups())
    return None


def bilingual_part(text: str, language: str) -> str:
    """One side of a list written ``"vi / en, vi / en"`` (``số tờ / map sheet``).

    Parameters
    ----------
    text : str
        The list; an item without `` / `` is kept whole.
    language : str
        ``vi`` for the left side, anything else for the right.
    """
    side = 0 if language == "vi" else -1
    return ", ".join(item.split(" / ")[side].strip() for item in str(text).split(", "))
