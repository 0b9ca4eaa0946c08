"""Working days for the dossier deadlines of the sample data.

Deadlines count working days: weekends and public holidays do not count. The full Vietnamese
holiday calendar (lunar Tết, compensatory days) is a later feature of landreg; the sample
data uses this fixed list of the official days off for 2020-2024.
"""

from __future__ import annotations

import numpy as np

_HOLIDAY_RANGES = (
    ("2021-01-01", "2021-01-01"), ("2021-02-10", "2021-02-16"), ("2021-04-21", "2021-04-21"),
    ("2021-04-30", "2021-05-03"), ("2021-09-02", "2021-09-03"),
    ("2022-01-01", "2022-01-03"), ("2022-01-31", "2022-02-04"), ("2022-04-10", "2022-04-11"),
    ("2022-04-30", "2022-05-03"), ("2022-09-01", "2022-09-02"),
    ("2023-01-02", "2023-01-02"), ("2023-01-20", "2023-01-26"), ("2023-04-29", "2023-05-03"),
    ("2023-09-01", "2023-09-04"),
    ("2024-01-01", "2024-01-01"), ("2024-02-08", "2024-02-14"), ("2024-04-18", "2024-04-18"),
    ("2024-04-29", "2024-05-01"), ("2024-08-31", "2024-09-03"),
)  # fmt: skip


def holidays() -> np.ndarray:
    """The public holidays as ``datetime64[D]`` (weekend days inside a range included)."""
    days = [
        np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
        for start, end in _HOLIDAY_RANGES
    ]
    return np.concatenate(days)


def add_working_days(days: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The date ``count`` working days after each day (count 0: the day itself, or the next
    working day when it is not one)."""
    return np.busday_offset(
        days.astype("datetime64[D]"), count, roll="forward", holidays=holidays()
    )


def working_days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days from ``start`` (excluded) to ``end`` (included)."""
    return np.busday_count(
        start.astype("datetime64[D]") + 1, end.astype("datetime64[D]") + 1, holidays=holidays()
    )


def is_working_day(days: np.ndarray) -> np.ndarray:
    """True where the day is neither a weekend nor a holiday."""
    return np.is_busday(days.astype("datetime64[D]"), holidays=holidays())
