"""The clock against the sample data's exported due dates ("Ngày hẹn trả") and on-time flags.

The generator (``sample_data/dossiers.py``) counts from the submission time where landreg
counts from receipt, and adds the expected tax pause to the due date up front; so only
processed dossiers are compared, and a mortgage submitted before 15:00 but received after it
is the one expected difference (one working day later here).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from landreg.domain.dossier_clock import RESOLVED, dossier_clock, timeliness
from landreg.domain.dossier_deadline import procedure_deadline
from landreg.domain.reference import communes
from landreg.domain.working_days import holiday_calendar
from landreg.errors import LandRegError

ROOT = Path(__file__).resolve().parents[2] / "sample_data" / "small"
EXPORT_DAY = datetime(2024, 1, 5, 23, 59)


def _csv(name: str) -> list[dict[str, str]]:
    with (ROOT / "dossiers" / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _exported() -> list[tuple[str, date, list[tuple[datetime, str | int]]]]:
    """(code, due date, history) of every exported dossier."""
    history: dict[str, list[tuple[datetime, str | int]]] = defaultdict(list)
    for row in _csv("lich_su_2021_2022.csv"):
        when = datetime.strptime(row["Thời điểm"], "%d/%m/%Y %H:%M")
        history[row["Mã hồ sơ"]].append((when, row["Trạng thái"]))
    rows = []
    for row in _csv("ho_so_2021_2022.csv"):
        due = datetime.strptime(row["Ngày hẹn trả"], "%d/%m/%Y").date()
        rows.append((row["Mã hồ sơ"], due, history[row["Mã hồ sơ"]]))
    for record in json.loads((ROOT / "dossiers" / "ho_so_2023.json").read_text("utf-8")):
        events = [(datetime.fromisoformat(e["thoiDiem"]), e["trangThai"]) for e in record["lichSu"]]
        rows.append((record["maHoSo"], date.fromisoformat(record["ngayHenTra"]), events))
    return rows


def _straddles_cutoff(events) -> bool:
    submitted, received = events[0][0], events[1][0]
    return submitted.time().hour < 15 <= received.time().hour


def test_processed_dossiers_are_due_when_the_export_says():
    truth = json.loads((ROOT / "ground_truth.json").read_text("utf-8"))["dossier_links"]
    links = {link["dossier_code"]: link for link in truth}
    agree, straddling, refused, on_time_disagrees = 0, [], [], []
    for code, exported_due, events in _exported():
        link = links[code]
        if link["status"] not in {"processed", "result_returned"} or not link["parcel_key"]:
            continue
        remote = communes()[link["parcel_key"].split("-")[0]].remote
        try:
            clock = dossier_clock(
                procedure_deadline(link["procedure"], remote=remote), events, as_of=EXPORT_DAY
            )
        except LandRegError as error:
            refused.append((code, error.detail))
            continue
        if clock.due_date == exported_due:
            agree += 1
        else:
            assert clock.deadline.same_day and _straddles_cutoff(events), code
            assert clock.due_date == holiday_calendar().add_working_days(exported_due, 1)
            straddling.append(code)
        kind = timeliness(clock)
        assert kind in RESOLVED
        if clock.due_date == exported_due and (kind.value != "late") != link["on_time"]:
            on_time_disagrees.append(code)
    print(f"agree {agree}, mortgage receipts straddling 15:00 {len(straddling)}, "
          f"histories refused {len(refused)}: {refused}")  # fmt: skip
    assert agree > 1000
    assert on_time_disagrees == []
    # The generator dates a same-day mortgage's end before its hand-over event now and then.
    assert len(refused) <= 0.002 * agree
