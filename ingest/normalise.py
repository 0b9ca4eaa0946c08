"""Reading values as sources write them: numbers with separators, decimal commas, dates.

Every function works on a whole column (a pandas Series) at once and returns the parsed
values with a mask of the rows it could not read, so that those rows can be quarantined
with their reason instead of stopping the file.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

import numpy as np
import pandas as pd

# Dates before this are placeholders ("01/01/1900") that mean "unknown", not real dates.
PLACEHOLDER_BEFORE = pd.Timestamp("1920-01-01")
# Dossier times are kept in the province's local time, as the one-stop shop records them.
LOCAL_TIME_ZONE = "Asia/Ho_Chi_Minh"


def text(column: pd.Series) -> pd.Series:
    """Stripped, NFC-normalised text; empty strings and NaN become None."""
    values = column.astype("string").str.strip()
    values = values.map(lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v)
    return values.where(values.notna() & (values != ""), None).astype(object)


def whole_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Sheet and parcel numbers: "1.234", "1,234", " 12 " → 1234, 1234, 12.

    Returns the numbers (nullable integers; missing stays missing) and a mask of the rows
    whose value is present but not a whole number of 1 or more.
    """
    raw = text(column)
    cleaned = raw.astype("string").str.replace(r"[.,\s]", "", regex=True)
    numbers = pd.to_numeric(
        cleaned.where(cleaned.str.fullmatch(r"\d+", na=False)), errors="coerce"
    ).astype("Int64")
    bad = raw.notna() & (numbers.isna() | (numbers < 1)).fillna(True)
    return numbers.where(~bad), bad


def decimals(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Areas and shares: "1.234,5" and "1,234.5" and "125,5" and "125.5" as floats."""
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


def record_hashes(frame: pd.DataFrame, extra: list[bytes] | None = None) -> list[str]:
    """A SHA-256 per row over its values (and geometry bytes), to tell changed records."""
    if frame.shape[1] == 0:
        joined = [""] * len(frame)
    else:
        columns = [frame[name].astype("string").fillna("\x00") for name in frame.columns]
        combined = columns[0]
        for column in columns[1:]:
            combined = combined + "\x1f" + column
        joined = combined.tolist()
    if extra is None:
        return [hashlib.sha256(row.encode("utf-8")).hexdigest() for row in joined]
    return [
        hashlib.sha256(row.encode("utf-8") + blob).hexdigest()
        for row, blob in zip(joined, extra, strict=True)
    ]


def to_date(value: object) -> date | None:
    """A timestamp as a date (None stays None)."""
    return value.date() if isinstance(value, pd.Timestamp | np.datetime64) else None  # type: ignore[union-attr]
