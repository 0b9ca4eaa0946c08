"""Finding candidates: what a check produces before it is stored, and how it is identified."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from shapely.geometry.base import BaseGeometry

from landreg.domain.messages import bilingual_part, geos_reason_vi, identity_reason_vi
from landreg.domain.rules import RuleCode, rule


@dataclass(slots=True)
class Candidate:
    """A problem one check found: the rule, the records involved, where, by how much."""

    rule: RuleCode
    subjects: list[dict[str, Any]]
    commune: str | None
    location: BaseGeometry | None = None
    measured: dict[str, Any] = field(default_factory=dict)
    place: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable identity: the rule and the records (by source and key in it, not by row id),
        and the ``place`` where several findings of a rule can share their records (two gaps
        between the same parcels), so re-running reconciliation finds the same finding again."""
        refs = sorted(_reference(subject) for subject in self.subjects)
        extra = [self.place] if self.place else []
        return hashlib.sha256("\n".join([self.rule, *refs, *extra]).encode("utf-8")).hexdigest()

    def messages(self) -> tuple[str, str]:
        """The explanation in Vietnamese and English: each sentence with the measured values
        said in its own language (GEOS's reason in Vietnamese words in the Vietnamese one)."""
        checked = rule(self.rule)
        values = {"key": self.subjects[0].get("key") if self.subjects else "?", **self.measured}
        vi, _ = checked.messages(_said(values, _IN_VIETNAMESE.get(self.rule, {})))
        _, en = checked.messages(_said(values, _IN_ENGLISH.get(self.rule, {})))
        return vi, en


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _said(values: dict[str, Any], sayers: dict[str, Callable[[str], str]]) -> _SafeDict:
    """The values with those ``sayers`` name said in the message's language."""
    return _SafeDict(
        {
            name: sayers[name](str(value)) if name in sayers and value is not None else value
            for name, value in values.items()
        }
    )


def _identity_reason_vi(reason: str) -> str:
    return identity_reason_vi(reason) or "số định danh không đúng quy định"


# Measured values written in English (or in both languages) that each message says in its
# own: no GEOS words or English field names inside a Vietnamese sentence.
_IN_VIETNAMESE: dict[str, dict[str, Callable[[str], str]]] = {
    RuleCode.GEOM_INVALID: {"reason": geos_reason_vi},
    RuleCode.ATTR_INVALID_IDENTITY: {"reason": _identity_reason_vi},
    RuleCode.ATTR_MISSING_KEY: {"missing": partial(bilingual_part, language="vi")},
}
_IN_ENGLISH: dict[str, dict[str, Callable[[str], str]]] = {
    RuleCode.ATTR_MISSING_KEY: {"missing": partial(bilingual_part, language="en")},
}


def _reference(subject: dict[str, Any]) -> str:
    """A record as the fingerprint names it: by its source and key there, or by its id when
    it came from no source (a parcel drawn in landreg), so that such records never share
    one identity."""
    source, record = subject.get("source"), subject.get("record")
    if source is None and record is None:
        return f"{subject['table']}|id|{subject.get('id')}"
    return f"{subject['table']}|{source}|{record}"


def _missing_as_none(value: Any) -> Any:
    """A value read from a column, with pandas' missing values (NaN, NA) as None."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def parcel_subject(row: Any) -> dict[str, Any]:
    """How a map parcel is named in a finding."""
    return {
        "table": "parcel",
        "id": int(row.id),
        "key": parcel_key_text(row),
        "source": _missing_as_none(row.source_name),
        "record": _missing_as_none(row.source_key),
        "row": _missing_as_none(row.source_row),
    }


def entry_subject(row: Any) -> dict[str, Any]:
    """How a register entry is named in a finding."""
    return {
        "table": "register_entry",
        "id": int(row.id),
        "key": parcel_key_text(row),
        "source": _missing_as_none(row.source_name),
        "record": _missing_as_none(row.source_key),
        "row": _missing_as_none(row.source_row),
        "holder": _missing_as_none(row.holder_name),
    }


def parcel_key_text(row: Any) -> str:
    """``commune-sheet-number``, or a provisional ``P:commune:source key``."""
    if pd.isna(row.map_sheet) or pd.isna(row.parcel_number):
        return f"P:{row.commune_code}:{row.source_key}"
    return f"{row.commune_code}-{int(row.map_sheet)}-{int(row.parcel_number)}"


def plain(value: Any) -> Any:
    """A value as JSON can hold it: numpy numbers as Python numbers, NaN and NA as null."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value) if not isinstance(value, int | np.integer) else int(value)
        return None if isinstance(number, float) and math.isnan(number) else number
    if value is pd.NA or value is pd.NaT:
        return None
    return json.loads(json.dumps(value, default=str))
