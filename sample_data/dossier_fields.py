"""What each dossier says: applicant, parcel reference as written, documents, requested use.

The parcel reference is what the citizen wrote on the form: commune (current name, name with
the abolished district, or code), sheet and parcel number (sometimes "1.234"), and sometimes
the certificate serial. Planted typos transpose digits, miss by one, or quote the old numbers
from before the re-survey; references to parcels that do not exist use a sheet the commune
does not have.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landreg.domain.reference import procedures_config
from sample_data.people import phone_numbers
from sample_data.register import written_number
from sample_data.units import administrative_units, former_units


def commune_text(rng, codes: np.ndarray, names: dict[str, str]) -> np.ndarray:
    """The commune as written: current name, name with the former district, or the code."""
    units = administrative_units()
    current = np.array([names[c] for c in codes], dtype=object)
    old = np.array([f"{names[c]}, {units[former_units()[c][0]].name}" for c in codes], dtype=object)
    style = rng.random(len(codes))
    return np.where(style < 0.6, current, np.where(style < 0.85, old, codes.astype(object)))


def _typo_number(rng, number: int) -> int:
    text = str(number)
    pairs = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if pairs and rng.random() < 0.5:
        i = pairs[int(rng.integers(len(pairs)))]
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if not swapped.startswith("0"):
            return int(swapped)
    return max(1, number + int(rng.choice([-1, 1, 10, -10]))) if number > 10 else number + 1


def typo_reference(rng, sheet, number, old_sheet, old_number):
    """A wrong but fuzzily linkable reference for each dossier, and how it is wrong."""
    out_sheet, out_number, how = sheet.copy(), number.copy(), []
    for i in range(len(sheet)):  # a handful of planted typos, not one per dossier
        if (
            old_number[i] > 0
            and (old_sheet[i], old_number[i]) != (sheet[i], number[i])
            and rng.random() < 0.35
        ):
            out_sheet[i], out_number[i] = old_sheet[i], old_number[i]
            how.append("old_number")
            continue
        new = _typo_number(rng, int(number[i]))
        out_number[i] = new if new != number[i] else number[i] + 1
        how.append(
            "transposed_digits" if sorted(str(new)) == sorted(str(number[i])) else "digit_off"
        )
    return out_sheet, out_number, np.array(how, dtype=object)


def documents(rng, procedure: np.ndarray, missing: np.ndarray):
    """Codes of the documents submitted, and the required one left out where ``missing``."""
    config = procedures_config()["procedures"]
    submitted, left_out = [], []
    for proc, drop in zip(procedure, missing, strict=True):
        required = list(config[proc]["documents"])
        optional = [d for d in config[proc].get("optional_documents", []) if rng.random() < 0.4]
        gone = required.pop(int(rng.integers(len(required)))) if drop else None
        submitted.append(required + optional)
        left_out.append(gone)
    return submitted, np.array(left_out, dtype=object)


def requested_use(rng, planned: np.ndarray, conflict: np.ndarray) -> np.ndarray:
    """Requested land use: the planned class, or a conflicting one where planted."""
    clash = np.where(np.isin(planned, ["ONT", "ODT"]), "TMD", "ONT")
    return np.where(conflict, clash, planned)


def applicants(rng, holders: pd.DataFrame, parcel: np.ndarray, fresh: pd.DataFrame, use_fresh):
    """Applicant name and identity: a holder of the parcel, or a fresh person where asked."""
    people = holders[holders["person"] >= 0]
    count = people.groupby("parcel").size()
    start = people.reset_index(drop=True).groupby("parcel").cumcount()
    first = people.reset_index(drop=True)[start.to_numpy() == 0].set_index("parcel")
    pick = rng.random(len(parcel)) < 0.3
    second = people.reset_index(drop=True)[start.to_numpy() == 1].set_index("parcel")
    has_second = np.isin(parcel, second.index) & pick & (count.reindex(parcel).to_numpy() > 1)
    name = first["person_name"].reindex(parcel).to_numpy(dtype=object)
    identity = first["identity"].reindex(parcel).to_numpy(dtype=object)
    name[has_second] = second["person_name"].reindex(parcel[has_second]).to_numpy(dtype=object)
    identity[has_second] = second["identity"].reindex(parcel[has_second]).to_numpy(dtype=object)
    take = np.flatnonzero(use_fresh)
    name[take] = fresh["name"].to_numpy(dtype=object)[: len(take)]
    identity[take] = fresh["identity"].to_numpy(dtype=object)[: len(take)]
    return name, identity, phone_numbers(rng, len(parcel))


def reference_numbers(rng, sheet: np.ndarray, number: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sheet and parcel number as text, the parcel number sometimes with a separator."""
    return sheet.astype(str).astype(object), written_number(rng, number)
