"""Reading values as sources write them: numbers with separators, decimal commas, dates.

Every function works on a whole column (a pandas Series) at once and returns the parsed
values with a mask of the rows it could not read, so that those rows can be quarantined
with their reason instead of stopping the file.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Dates before this are placeholders ("01/01/1900") that mean "unknown", not real dates.
PLACEHOLDER_BEFORE = pd.Timestamp("1920-01-01")
# Dossier times are kept in the province's local time, as the one-stop shop records them.
LOCAL_TIME_ZONE = "Asia/Ho_Chi_Minh"


# Arrow-backed text: stripping and NFC normalisation run in Arrow's kernels, not per element.
STRING = pd.StringDtype("pyarrow")
# Two independent keys of pandas' SipHash: the halves of a 128-bit record hash.
_HASH_KEYS = ("landreg-record-1", "landreg-record-2")
_HEX_DIGITS = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def strings(column: pd.Series) -> pd.Series:
    """Stripped, NFC-normalised text as Arrow strings; empty strings and NaN become NA.

    Normalisation goes through Arrow's own ``utf8_normalize`` (pandas' ``str.normalize``
    falls back to one Python call per value), and is skipped for a column of ASCII text.
    """
    stripped = pa.array(column.astype(STRING).str.strip().array)
    if not pc.all(pc.string_is_ascii(stripped)).as_py():  # ASCII text (codes, keys) is NFC
        stripped = pc.utf8_normalize(stripped, "NFC")
    normalised = pd.Series(
        pd.arrays.ArrowStringArray(stripped),
        index=column.index,
        dtype=STRING,
        name=column.name,
    )
    return normalised.where(normalised != "")


def text(column: pd.Series) -> pd.Series:
    """Stripped, NFC-normalised text as Python objects; empty strings and NaN become None."""
    values = strings(column)
    return values.astype(object).where(values.notna(), None)


def whole_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Sheet and parcel numbers: "1.234", "1,234", " 12 " → 1234, 1234, 12.

    Returns the numbers (nullable integers; missing stays missing) and a mask of the rows
    whose value is present but not a whole number of 1 or more.
    """
    if pd.api.types.is_integer_dtype(column) or pd.api.types.is_float_dtype(column):
        return _whole_numbers_of_numbers(column)
    raw = strings(column)
    cleaned = raw.str.replace(r"[.,\s]", "", regex=True)
    numbers = pd.to_numeric(
        cleaned.where(cleaned.str.fullmatch(r"\d+").fillna(False)), errors="coerce"
    ).astype("Int64")
    bad = raw.notna() & (numbers.isna() | (numbers < 1)).fillna(True)
    return numbers.where(~bad), bad


def _whole_numbers_of_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A numeric column (a GeoPackage integer field; float where it has gaps) as is."""
    values = column.astype("Float64")
    bad = values.notna() & ((values < 1) | (values % 1 != 0)).fillna(True)
    return values.where(~bad).astype("Int64"), bad.astype(bool)


def decimals(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Areas and shares: "1.234,5" and "1,234.5" and "125,5" and "125.5" as floats."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype(float), pd.Series(False, index=column.index)
    raw = text(column)
    as_text = raw.astype("string")
    comma_decimal = as_text.str.contains(r",\d{1,2}$", regex=True, na=False) | (
        as_text.str.contains(",", regex=False, na=False)
        & as_text.str.contains(r"\.\d{3}", regex=True, na=False)
    )
    swapped = as_text.where(
        ~comma_decimal, as_text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    swapped = swapped.where(comma_decimal, swapped.str.replace(",", "", regex=False))
    values = pd.to_numeric(swapped.str.replace(r"\s", "", regex=True), errors="coerce")
    bad = raw.notna() & values.isna()
    return values.astype(float), bad


def dates(column: pd.Series, formats: list[str]) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Dates in any of ``formats``; returns (dates, unreadable mask, placeholder mask).

    Placeholder dates (before 1920) are returned as missing; callers say how many there were.
    """
    raw = text(column)
    parsed = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]")
    for fmt in formats:
        missing = parsed.isna() & raw.notna()
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(raw[missing], format=fmt, errors="coerce")
    offset = raw.astype("string").str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True, na=False)
    for aware in (True, False):  # ISO 8601; times with an offset become the local time
        missing = parsed.isna() & raw.notna() & (offset if aware else ~offset)
        if missing.any():
            found = pd.to_datetime(raw[missing], format="ISO8601", errors="coerce", utc=aware)
            if aware:
                found = found.dt.tz_convert(LOCAL_TIME_ZONE).dt.tz_localize(None)
            parsed[missing] = found
    bad = raw.notna() & parsed.isna()
    placeholder = parsed < PLACEHOLDER_BEFORE
    return parsed.where(~placeholder), bad, placeholder


def as_python(values: pd.Series) -> list[object]:
    """Column values as plain Python objects for the database (NaN/NA/NaT → None)."""
    out = values.astype(object).where(values.notna(), None)
    return [_plain(v) for v in out.tolist()]


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def record_hashes(frame: pd.DataFrame, geometry: pd.Series | None = None) -> pd.Series:
    """A 128-bit hash per row over its values (and geometry bytes), as 32 hex digits.

    The hash only tells a changed record from its own previous version (same source key),
    never one record from another, so the birthday bound does not apply: an edit goes
    unnoticed with probability 2**-128. Two SipHash-2-4 passes with independent keys
    (pandas' ``hash_pandas_object``) run in C over whole columns; they are stable across
    runs and machines, which is all a diff needs.
    """
    halves = [_hash64(frame, geometry, key) for key in _HASH_KEYS]
    digits = _HEX_DIGITS[np.column_stack(halves).astype(">u8").view(np.uint8)]
    hexed = np.ascontiguousarray(digits).view("S32").ravel()
    return pd.Series(hexed.astype("U32"), index=frame.index, dtype=STRING)


def _hash64(frame: pd.DataFrame, geometry: pd.Series | None, key: str) -> np.ndarray:
    """One 64-bit SipHash per row; geometry bytes are hashed apart, without factorising
    (they are nearly all distinct), then folded in with the values' hash."""
    if frame.shape[1] == 0:
        frame = pd.DataFrame({"_empty": np.zeros(len(frame), dtype=np.int8)}, index=frame.index)
    values = pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy()
    if geometry is None:
        return values
    shapes = pd.util.hash_pandas_object(
        pd.Series(geometry.to_numpy(dtype=object)), index=False, hash_key=key, categorize=False
    ).to_numpy()
    both = pd.DataFrame({"values": values, "geometry": shapes})
    return pd.util.hash_pandas_object(both, index=False, hash_key=key).to_numpy()


def to_date(value: object) -> date | None:
    """A timestamp as a date (None stays None)."""
    return value.date() if isinstance(value, pd.Timestamp | np.datetime64) else None  # type: ignore[union-attr]
