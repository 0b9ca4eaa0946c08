"""From a source's columns to canonical records: field mapping, keys, values, quarantine."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest import normalise
from ingest.batches import Rejected
from ingest.profiles import FEATURE_ID_NAMES, MappingProfile, check_fits
from landreg.domain import reference
from landreg.errors import UnknownReferenceError


def apply_profile(frame: pd.DataFrame, profile: MappingProfile) -> pd.DataFrame:
    """The file's columns renamed to canonical fields; fields the file lacks are empty.

    Raises when a field the profile requires is missing from the file. A map or strips
    layer always gets its key fields (commune, sheet, number), empty when not mapped.
    """
    check_fits(profile, frame.columns, strict=False)
    out = pd.DataFrame(index=frame.index)
    for canonical, source in profile.fields.items():
        out[canonical] = frame[source] if source in frame.columns else None
    for canonical in _KEY_FIELDS.get(profile.kind, ()):
        if canonical not in out.columns:
            out[canonical] = pd.Series(None, index=frame.index, dtype=object)
    for canonical, mapping in profile.values.items():
        if canonical in out.columns:
            cleaned = normalise.text(out[canonical])
            out[canonical] = cleaned.map(lambda value, m=mapping: m.get(value, value))
    return out


# Fields a layer's records always have, mapped or not.
_KEY_FIELDS = {"map": ("commune_code", "map_sheet", "parcel_number"), "strips": ("commune_code",)}


def source_keys(
    frame: pd.DataFrame, profile: MappingProfile, rows: pd.Series | None = None
) -> tuple[pd.Series, int]:
    """Each record's identity in its source, and how many repeated keys were made unique.

    Without a ``source_key`` a record is known by its feature id (``rows``; the 1-based
    position when none is given), as it is by ``fid``, ``FID`` or ``OGC_FID`` when the file
    has no such column. A key that repeats within one file (two features with the same
    OBJECTID) gets ``#2``, ``#3``… so that no record hides another.
    """
    if rows is None:
        rows = pd.Series(np.arange(1, len(frame) + 1).astype(str), index=frame.index)
    parts = [
        normalise.strings(_key_part(frame, name, rows)).fillna("") for name in profile.source_key
    ] or [normalise.strings(rows.astype(str)).fillna("")]
    keys = parts[0]
    for part in parts[1:]:
        keys = keys + "|" + part
    occurrence = keys.groupby(keys, sort=False).cumcount()
    repeated = int((occurrence > 0).sum())
    if repeated:
        keys = keys.where(occurrence == 0, keys + "#" + (occurrence + 1).astype(normalise.STRING))
    return keys, repeated


def _key_part(frame: pd.DataFrame, name: str, rows: pd.Series) -> pd.Series:
    """The column ``name``, or the feature id when the name means it and no column has it."""
    if name not in frame.columns and name in FEATURE_ID_NAMES:
        return rows.astype(str)
    return frame[name]


def land_use_codes(values: pd.Series, communes: pd.Series | None = None) -> pd.Series:
    """Current land-use codes for land uses as written (legacy codes and folk terms translated,
    "thổ cư" by whether the commune is a ward); None where the code is unknown."""
    wards = {code for code, unit in reference.communes().items() if unit.level == "ward"}
    urban = (
        communes.isin(list(wards)) if communes is not None else pd.Series(False, index=values.index)
    )

    def lookup(value: object, in_ward: bool) -> str | None:
        if not isinstance(value, str):
            return None
        try:
            return reference.current_land_use_code(value, urban=in_ward)
        except UnknownReferenceError:
            return None

    # Each distinct (land use, ward) pair is looked up once, then spread back to the rows.
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    pairs = codes * 2 + urban.to_numpy(dtype=bool)
    found = [lookup(distinct[pair // 2], bool(pair % 2)) for pair in range(2 * len(distinct))]
    return pd.Series(np.array(found, dtype=object)[pairs], index=values.index, dtype=object)


def reject_rows(
    mask: pd.Series,
    rows: pd.Series,
    reason: str,
    field: str,
    values: pd.Series,
    raw: pd.DataFrame,
) -> list[Rejected]:
    """Quarantine entries for the rows in ``mask``."""
    chosen = mask[mask].index
    return [
        Rejected(
            row=str(rows[index]),
            reason=reason,
            field=field,
            value=None if pd.isna(values[index]) else str(values[index]),
            raw={str(k): (None if pd.isna(v) else str(v)) for k, v in raw.loc[index].items()},
        )
        for index in chosen
    ]


# Canonical fields in Vietnamese, for the reasons people read.
FIELD_NAMES_VI = {
    "commune_code": "mã xã", "map_sheet": "số tờ bản đồ", "parcel_number": "số thửa",
    "legal_area": "diện tích", "share_percent": "tỷ lệ sở hữu", "issued_on": "ngày cấp",
    "mortgage_on": "ngày thế chấp", "code": "mã hồ sơ", "procedure": "thủ tục",
    "status": "trạng thái", "received_at": "thời điểm tiếp nhận", "due_on": "ngày hẹn trả",
    "processed_on": "ngày xử lý xong", "returned_on": "ngày trả kết quả",
    "declared_area": "diện tích kê khai", "applicant_previous_identity": "số CMND cũ",
}  # fmt: skip
# What a value must be, as the readers name it, in both languages.
_MUST_BE = {
    "a whole number": ("phải là số nguyên dương", "must be a whole number of 1 or more"),
    "a number": ("phải là một số", "must be a number"),
    "a date": ("phải là một ngày", "must be a date"),
    "a date and time": ("phải là ngày và giờ", "must be a date and time"),
    "a dossier code": ("phải là một mã hồ sơ", "must be a dossier code"),
    "a known procedure": ("phải là một thủ tục đã biết", "must be a known procedure"),
    "a known status": ("phải là một trạng thái đã biết", "must be a known status"),
    "a CMND or CCCD number": (
        "phải là số CMND 9 chữ số hoặc số CCCD 12 chữ số",
        "must be a CMND of 9 or a CCCD of 12 digits",
    ),
}


def reason(name: str, what: str) -> str:
    """Why a row was refused, Vietnamese first, the same for every row it fits (so that rows
    can be counted by reason): "số thửa phải là số nguyên dương / parcel_number must be a
    whole number of 1 or more"."""
    vi, en = _MUST_BE.get(what, (f"phải là {what}", f"must be {what}"))
    return f"{FIELD_NAMES_VI.get(name, name)} {vi} / {name} {en}"


class Checked:
    """Canonical columns parsed so far, and the rows refused with their reasons.

    A row is refused once, for the first field that fails; later checks skip it.
    """

    def __init__(self, raw: pd.DataFrame, data: pd.DataFrame, rows: pd.Series) -> None:
        self.raw, self.data, self.rows = raw, data, rows
        self.out = pd.DataFrame(index=raw.index)
        self.refused = pd.Series(False, index=raw.index)
        self.rejected: list[Rejected] = []
        self.notes: list[str] = []

    def set(
        self,
        name: str,
        values: object,
        bad: pd.Series | None = None,
        what: str = "",
        source: str | None = None,
    ) -> None:
        """Keep ``values`` as column ``name``; refuse rows in ``bad`` ("<name> must be <what>",
        see :func:`reason`)."""
        if bad is not None:
            bad = bad & ~self.refused
            shown = self.data[source or name] if (source or name) in self.data else values
            self.rejected += reject_rows(bad, self.rows, reason(name, what), name, shown, self.raw)
            self.refused |= bad
        self.out[name] = values

    def refuse(self, bad: pd.Series, reason: str, name: str) -> None:
        """Refuse the rows in ``bad`` for ``reason``."""
        bad = bad & ~self.refused
        values = self.data[name] if name in self.data else pd.Series(None, index=self.raw.index)
        self.rejected += reject_rows(bad, self.rows, reason, name, values, self.raw)
        self.refused |= bad

    def texts(self, names: tuple[str, ...]) -> None:
        """Copy text fields as they are (stripped)."""
        for name in names:
            if name in self.data:
                self.out[name] = normalise.text(self.data[name])

    def dates(self, names: tuple[str, ...], formats: list[str], *, as_date: bool) -> None:
        """Parse date fields; unreadable ones refuse the row, placeholders become unknown."""
        placeholders = 0
        for name in names:
            if name not in self.data:
                continue
            values, bad, placeholder = normalise.dates(self.data[name], formats)
            if as_date:
                values = values.dt.date.astype(object).where(values.notna(), None)
            self.set(name, values, bad, "a date")
            placeholders += int(placeholder.sum())
        if placeholders:
            self.notes.append(f"{placeholders} placeholder dates (before 1920) kept as unknown")

    def kept(self) -> pd.Series:
        """Mask of the rows not refused."""
        return ~self.refused
