"""Rounds of dossiers per parcel, and the dossier-level defects planted among them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landreg.domain.reference import procedures_config
from sample_data.dossiers import (
    OPEN,
    WINDOW,
    add_working_days,
    procedures_for,
    random_working_days,
    statuses,
    timing,
    working_day_on_or_after,
)

DOSSIER_KINDS = (
    "dossier_parcel_not_found", "dossier_reference_typo", "applicant_not_holder",
    "two_open_dossiers", "mortgaged_transfer", "missing_documents", "planning_conflict",
)  # fmt: skip


def _dossiers(rng, state: pd.DataFrame, parcel: np.ndarray, received, procedure=None):
    """Dossiers on ``parcel`` (positions in ``state``) received on ``received``."""
    sub = state.iloc[parcel].reset_index(drop=True)
    sub["mortgaged"] = sub["mortgage_day"].to_numpy() <= received
    if procedure is None:
        procedure = procedures_for(rng, sub)
    times = timing(rng, received, procedure, sub["remote"].to_numpy())
    frame = pd.concat([pd.DataFrame({"parcel": parcel, "procedure": procedure}), times], axis=1)
    frame["status"] = statuses(rng, times)
    frame["defect"] = ""
    return frame


def _next_round(rng, state, previous: pd.DataFrame, share: float) -> pd.DataFrame:
    go = ~previous["status"].isin(OPEN).to_numpy() & ~previous["procedure"].str.startswith("first_")
    go &= rng.random(len(previous)) < share
    received = previous["returned"].to_numpy() + rng.integers(5, 150, len(previous)).astype(
        "timedelta64[D]"
    )
    received = working_day_on_or_after(received)
    go &= received <= WINDOW[1]
    return _dossiers(rng, state, previous["parcel"].to_numpy()[go], received[go])


def base_dossiers(rng, state: pd.DataFrame, share: float, reserved: np.ndarray) -> pd.DataFrame:
    """Sequential dossiers on eligible parcels: a mortgage registration where the register
    records a mortgage in 2021-2023, then rounds of other procedures."""
    eligible = state["eligible"].to_numpy() & ~reserved
    day = state["mortgage_day"].to_numpy()
    in_window = eligible & (day >= WINDOW[0]) & (day <= WINDOW[1])
    first_mortgage = np.flatnonzero(in_window)
    mortgages = _dossiers(
        rng,
        state,
        first_mortgage,
        working_day_on_or_after(day[first_mortgage]),
        np.full(len(first_mortgage), "mortgage_registration", dtype=object),
    )
    others = np.flatnonzero(eligible & ~in_window & (rng.random(len(state)) < share))
    rounds = [mortgages, _dossiers(rng, state, others, random_working_days(rng, len(others)))]
    previous = pd.concat(rounds, ignore_index=True)
    for follow in (0.3, 0.2):
        previous = _next_round(rng, state, previous, follow)
        rounds.append(previous)
    return pd.concat(rounds, ignore_index=True)


def two_open(rng, state, dossiers: pd.DataFrame, count: int) -> pd.DataFrame:
    """Second dossiers received while the parcel's only other dossier is still open."""
    alone = dossiers.groupby("parcel")["parcel"].transform("size").to_numpy() == 1
    span = (dossiers["processed"] - dossiers["received_at"].dt.floor("D")).dt.days.to_numpy()
    ok = alone & (span >= 4) & ~dossiers["status"].isin(OPEN).to_numpy()
    ok &= (
        dossiers["procedure"]
        .isin(["transfer", "gift", "certificate_exchange", "correction"])
        .to_numpy()
    )
    chosen = rng.permutation(np.flatnonzero(ok))[:count]
    first = dossiers.iloc[chosen]
    start = first["received_at"].to_numpy().astype("datetime64[D]")
    received = add_working_days(start, rng.integers(1, 2, len(chosen)))
    second = _dossiers(rng, state, first["parcel"].to_numpy(), received,
                       np.full(len(chosen), "correction", dtype=object))  # fmt: skip
    dossiers.loc[dossiers.index[chosen], "defect"] = "two_open_dossiers"
    second["defect"] = "two_open_dossiers"
    second["pair"] = dossiers.index[chosen]
    return second


def mortgaged_transfers(rng, state, parcels: np.ndarray) -> pd.DataFrame:
    """Transfers and gifts received on parcels the register shows as mortgaged."""
    day = state["mortgage_day"].to_numpy()[parcels]
    start = np.maximum(day + np.timedelta64(20, "D"), WINDOW[0])
    received = working_day_on_or_after(
        start + rng.integers(0, 300, len(parcels)).astype("timedelta64[D]")
    )
    received = np.minimum(
        received, working_day_on_or_after(np.array([WINDOW[1] - 10] * len(parcels)))
    )
    procedure = np.where(rng.random(len(parcels)) < 0.7, "transfer", "gift").astype(object)
    out = _dossiers(rng, state, parcels, received, procedure)
    out["defect"] = "mortgaged_transfer"
    return out


def requires_holder(procedure: pd.Series) -> np.ndarray:
    """True for procedures only the holder of the parcel may file."""
    config = procedures_config()["procedures"]
    return procedure.map(lambda p: bool(config[p]["requires_holder"])).to_numpy()


def mark_simple_defects(rng, dossiers: pd.DataFrame, counts: dict[str, int]) -> None:
    """Mark dossiers for the defects that only change what the dossier says."""
    free = dossiers["defect"].to_numpy() == ""
    change = dossiers["procedure"].str.startswith("land_use_change").to_numpy()
    holder = requires_holder(dossiers["procedure"])
    for kind, mask in (
        ("planning_conflict", change), ("applicant_not_holder", holder & ~change),
        ("missing_documents", ~change), ("dossier_reference_typo", ~change),
        ("dossier_parcel_not_found", ~change),
    ):  # fmt: skip
        chosen = rng.permutation(np.flatnonzero(free & mask))[: counts[kind]]
        dossiers.loc[dossiers.index[chosen], "defect"] = kind
        free[chosen] = False
