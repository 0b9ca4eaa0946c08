"""Certificates, mortgages and seizures of the sample parcels.

About 88 % of parcels have a certificate: the 2014 form (two letters, six digits) issued
before August 2024, or the 2024 form (two letters, eight digits, QR code) after. Entry
numbers in the issuing book ("số vào sổ") run per commune. A few issue dates are the
placeholder 01/01/1900 old systems used for unknown dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sample_data.people import distinct_numbers
from sample_data.places import BANKS

_OLD_LETTERS = (
    "BA BB BC BD BE BG BH BK BL BM BN BO BP BQ BR BS BT BU BV BX BY CA CB CC CD CE CG CH CK CL "
    "CM CN CO CP CQ CR CS CT CU CV CX CY DA DB DC DD DE DG DH DK DL DM DN DO DP DQ DR DS DT DU"
).split()
_NEW_LETTERS = ("AA", "AB", "AC", "AD", "AE", "AG")
PLACEHOLDER_DATE = np.datetime64("1900-01-01")
NEW_FORM_FROM = np.datetime64("2024-08-01")


def _random_days(rng, start: str, end: str, size: int) -> np.ndarray:
    low, high = np.datetime64(start), np.datetime64(end)
    return low + rng.integers(0, (high - low).astype(int), size=size).astype("timedelta64[D]")


def _serials(rng, new_form: np.ndarray) -> np.ndarray:
    """Distinct serials: "CH 123456" (2014 form) or "AB 01234567" (2024 form)."""
    size = len(new_form)
    old_letter = rng.integers(0, len(_OLD_LETTERS), size=size)
    new_letter = rng.integers(0, len(_NEW_LETTERS), size=size)
    prefix = np.where(new_form, 1000 + new_letter, old_letter).astype(np.int64)
    numbers = distinct_numbers(rng, prefix, 8)
    digits = numbers % 10**8
    letters = np.where(
        new_form,
        np.array(_NEW_LETTERS, dtype=object)[new_letter],
        np.array(_OLD_LETTERS, dtype=object)[old_letter],
    )
    six = np.char.zfill((digits % 10**6).astype(str), 6).astype(object)
    eight = np.char.zfill(digits.astype(str), 8).astype(object)
    return letters + " " + np.where(new_form, eight, six)


def certificates(rng, parcels: pd.DataFrame) -> pd.DataFrame:
    """Certificate columns for each parcel (empty where none was issued).

    Returns ``serial``, ``entry_number``, ``issued`` (datetime64[D] or NaT) and ``form``.
    """
    size = len(parcels)
    has = rng.random(size) < 0.88
    issued = _random_days(rng, "2005-01-01", "2025-06-30", size)
    new_form = issued >= NEW_FORM_FROM
    serial = np.where(has, _serials(rng, new_form), None)
    prefix = np.where(new_form, "CS", "CH")
    rank = pd.Series(has.astype(int)).groupby(parcels["commune_code"].to_numpy()).cumsum()
    entry = np.where(
        has, prefix + np.char.zfill(rank.to_numpy().astype(str), 5).astype(object), None
    )
    issued = np.where(rng.random(size) < 0.02, PLACEHOLDER_DATE, issued).astype("datetime64[D]")
    issued = np.where(has, issued, np.datetime64("NaT"))
    form = np.where(has, np.where(new_form, "2024", "2014"), None)
    return pd.DataFrame({"serial": serial, "entry_number": entry, "issued": issued, "form": form})


def encumbrances(rng, parcels: pd.DataFrame, has_certificate: np.ndarray) -> pd.DataFrame:
    """Active mortgages (bank, registration date) and seizures of each parcel."""
    size = len(parcels)
    mortgaged = has_certificate & (rng.random(size) < 0.16)
    bank = np.where(mortgaged, rng.choice(np.array(BANKS, dtype=object), size), None)
    date = np.where(
        mortgaged, _random_days(rng, "2016-01-01", "2025-06-30", size), np.datetime64("NaT")
    )
    seized = has_certificate & ~mortgaged & (rng.random(size) < 0.004)
    decision = rng.integers(10, 400, size=size).astype(str).astype(object)
    when = _random_days(rng, "2019-01-01", "2025-06-30", size).astype(str).astype(object)
    seizure = np.where(
        seized, "Kê biên theo Quyết định số " + decision + "/QĐ-CCTHADS ngày " + when, None
    )
    return pd.DataFrame(
        {"mortgage_bank": bank, "mortgage_date": date.astype("datetime64[D]"), "seizure": seizure}
    )
