"""Dossiers of the one-stop shop, 2021-2023: which parcel, which procedure, when, what status.

Each parcel's dossiers follow one another (the next is received after the previous one is
finished), so two dossiers on one parcel are open at the same time only where that defect
is planted. Mortgage registrations happen on the date the register records the mortgage;
procedures a mortgage blocks never target a mortgaged parcel unless planted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landreg.domain.reference import procedures_config
from sample_data.calendar import add_working_days

WINDOW = (np.datetime64("2021-01-04"), np.datetime64("2023-12-29"))
EXPORT_DAY = np.datetime64("2024-01-05")
TAXED = ("first_registration", "first_certificate", "transfer", "inheritance", "gift",
         "capital_contribution", "land_use_change", "land_use_change_permit")  # fmt: skip
_FREE = {
    "transfer": 24, "inheritance": 8, "gift": 9, "capital_contribution": 1, "subdivision": 7,
    "merger": 2, "certificate_exchange": 10, "reissuance": 3, "correction": 5,
    "mortgage_release": 8,
}  # fmt: skip
_MORTGAGED = {"certificate_exchange": 40, "correction": 30, "reissuance": 10, "inheritance": 20}
STATUSES = (
    "new", "received", "not_received", "processing", "additional_documents_requested",
    "financial_obligation_required", "withdrawn", "stopped", "processed", "result_returned",
)  # fmt: skip
OPEN = ("new", "received", "processing", "additional_documents_requested",
        "financial_obligation_required")  # fmt: skip


def _draw(rng, table: dict[str, float], size: int) -> np.ndarray:
    names = np.array(list(table), dtype=object)
    weights = np.array(list(table.values()), dtype=float)
    return rng.choice(names, size=size, p=weights / weights.sum())


def working_day_on_or_after(days: np.ndarray) -> np.ndarray:
    """The day itself when it is a working day, else the next working day."""
    return add_working_days(days, np.zeros(len(days), dtype=np.int64))


def random_working_days(rng, size: int, start=WINDOW[0], end=WINDOW[1]) -> np.ndarray:
    """Working days drawn uniformly in [start, end]."""
    span = int((end - start).astype(int))
    days = start + rng.integers(0, span, size=size).astype("timedelta64[D]")
    return np.minimum(working_day_on_or_after(days), end)


def deadline_days(procedure: np.ndarray, remote: np.ndarray) -> np.ndarray:
    """Legal deadline in working days; remote communes get the configured extra days."""
    config = procedures_config()
    days = np.array([config["procedures"][p]["working_days"] for p in procedure], dtype=np.int64)
    same_day = days == 0
    return np.where(remote & ~same_day, days + config["remote_extra_days"], days)


def procedures_for(rng, state: pd.DataFrame) -> np.ndarray:
    """A procedure for each dossier given its parcel's state (certificate, mortgage, plan)."""
    size = len(state)
    procedure = _draw(rng, _FREE, size)
    mortgaged = state["mortgaged"].to_numpy()
    procedure[mortgaged] = _draw(rng, _MORTGAGED, int(mortgaged.sum()))
    no_certificate = ~state["certified"].to_numpy()
    first = np.where(rng.random(size) < 0.6, "first_registration", "first_certificate")
    procedure[no_certificate] = first[no_certificate]
    change = state["plan_change"].to_numpy() & (rng.random(size) < 0.6) & ~no_certificate
    permit = np.where(rng.random(size) < 0.5, "land_use_change", "land_use_change_permit")
    procedure[change] = permit[change]
    return procedure


def timing(rng, received: np.ndarray, procedure: np.ndarray, remote: np.ndarray) -> pd.DataFrame:
    """Receipt time, due date, processing and return dates of dossiers received on ``received``.

    Working days are counted with ``sample_data.calendar``; the time a citizen takes to pay
    the financial obligations is not counted (the due date moves by the pause). About 3 % are
    processed late.
    """
    size = len(received)
    minutes = rng.integers(7 * 60 + 30, 16 * 60 + 30, size=size)
    deadline = deadline_days(procedure, remote)
    same_day = deadline == 0
    late_receipt = same_day & (minutes >= 15 * 60)
    base = np.where(late_receipt, 1, deadline)
    pause = np.where(
        np.isin(procedure, TAXED) & (rng.random(size) < 0.6), rng.integers(3, 16, size), 0
    )
    due = add_working_days(received, base + pause)
    late = rng.random(size) < 0.03
    spent = np.where(
        late,
        base + pause + rng.integers(1, 8, size),
        np.floor((base + 0.999) * rng.uniform(0.35, 1.0, size)).astype(int) + pause,
    )
    spent = np.minimum(spent, np.where(late, 10**6, base + pause))
    processed = add_working_days(received, spent)
    returned = add_working_days(processed, rng.integers(0, 4, size))
    at = received.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    return pd.DataFrame(
        {"received_at": at, "due": due, "processed": processed, "returned": returned,
         "pause": pause, "late": late, "deadline": deadline}
    )  # fmt: skip


def statuses(rng, times: pd.DataFrame) -> np.ndarray:
    """Status at the export date: open if not processed by then, ``processed`` if not yet
    returned, else mostly ``result_returned``."""
    size = len(times)
    done = _draw(
        rng, {"result_returned": 93, "not_received": 3, "withdrawn": 2.5, "stopped": 1.5}, size
    )
    still = _draw(
        rng,
        {
            "processing": 50,
            "additional_documents_requested": 15,
            "financial_obligation_required": 15,
            "received": 15,
            "new": 5,
        },
        size,
    )
    still[(still == "financial_obligation_required") & (times["pause"].to_numpy() == 0)] = (
        "processing"
    )
    status = np.where(times["returned"].to_numpy() >= EXPORT_DAY, "processed", done)
    return np.where(times["processed"].to_numpy() >= EXPORT_DAY, still, status)
