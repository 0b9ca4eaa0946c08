"""Two registers describing the same parcels: what they disagree on becomes a finding, what
they only write differently does not."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from landreg.domain.delivery import IngestOptions
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.store.tables import FindingRow
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
REGISTER = SAMPLE / "register" / "so_dia_chinh_tay_ninh_cu.csv"
MAP = SAMPLE / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"


def _rows_of(commune: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(REGISTER.read_text(encoding="utf-8-sig")))
    rows = [r for r in reader if r["Mã xã"] == commune]
    return list(reader.fieldnames or []), rows


def _single_holder_parcels(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows of parcels with one holder owning 100 %, a certificate and an identity number."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        counts[(row["Số tờ"], row["Số thửa"])] = counts.get((row["Số tờ"], row["Số thửa"]), 0) + 1
    return [
        r
        for r in rows
        if counts[(r["Số tờ"], r["Số thửa"])] == 1
        and r["Tỷ lệ sở hữu (%)"] == "100"
        and r["Số CCCD"]
        and r["Diện tích pháp lý"]
    ]


def _typed_without_accents(name: str) -> str:
    """A name as typed on a keyboard without Vietnamese input, in capitals, spaces doubled."""
    bare = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    return "  ".join(bare.replace("đ", "d").replace("Đ", "D").upper().split())


def _branch_extract(folder: Path) -> tuple[Path, dict[str, str]]:
    """A district branch's extract of the same register: one parcel copied as it is, one
    holder written without diacritics, one with another holder, one with another legal area."""
    fields, rows = _rows_of("25459")
    same, unaccented, other_holder, other_area = _single_holder_parcels(rows)[:4]
    unaccented = unaccented | {
        "Chủ sử dụng": _typed_without_accents(unaccented["Chủ sử dụng"]),
        "Số CCCD": "",
    }
    other_holder = other_holder | {"Chủ sử dụng": "Trần Văn Khác", "Số CCCD": "072090123456"}
    other_area = other_area | {
        "Diện tích pháp lý": f"{float(other_area['Diện tích pháp lý']) * 1.2:.1f}"
    }
    path = folder / "register" / "so_dia_chinh_chi_nhanh_tan_ninh.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for number, row in enumerate((same, unaccented, other_holder, other_area), start=1):
            writer.writerow(row | {"STT": str(number)})
    keys = {
        name: f"25459-{row['Số tờ']}-{row['Số thửa']}"
        for name, row in (
            ("same", same),
            ("unaccented", unaccented),
            ("other_holder", other_holder),
            ("other_area", other_area),
        )
    }
    return path, keys


def _findings(db, rule):
    with UnitOfWork(db) as uow:
        found = uow.session.scalars(
            select(FindingRow).where(FindingRow.rule == rule, FindingRow.status == "open")
        ).all()
        uow.session.expunge_all()
        return found


def _keys(findings):
    return {s["key"] for f in findings for s in f.subjects if s["table"] == "parcel"}


def test_registers_disagreeing_on_holder_or_area_are_found(postgis, tmp_path):
    ingest_path(postgis, MAP, IngestOptions())
    ingest_path(postgis, REGISTER, IngestOptions())
    extract, keys = _branch_extract(tmp_path)
    ingest_path(postgis, extract, IngestOptions())
    with UnitOfWork(postgis) as uow:
        reconcile(uow, communes=["25459"])

    holders = _findings(postgis, "SRC_HOLDER_MISMATCH")
    assert _keys(holders) == {keys["other_holder"]}
    [holder] = holders
    assert "Trần Văn Khác" in holder.message_vi and "Trần Văn Khác" in holder.message_en
    sources = {s["source"] for s in holder.subjects if s["table"] == "register_entry"}
    assert sources == {"register:register/so_dia_chinh_tay_ninh_cu",
                       "register:register/so_dia_chinh_chi_nhanh_tan_ninh"}  # fmt: skip
    areas = _findings(postgis, "SRC_AREA_MISMATCH")
    assert _keys(areas) == {keys["other_area"]}
    assert "m²" in areas[0].message_en and areas[0].geom is not None


def test_a_delivery_older_than_the_one_it_replaces_is_flagged_until_a_newer_one_comes(
    postgis, tmp_path
):
    fields, rows = _rows_of("25459")
    path = tmp_path / "register" / "so_dia_chinh_tan_ninh.csv"
    path.parent.mkdir(parents=True)

    def deliver(rows, as_of):
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        [result] = ingest_path(postgis, path, IngestOptions(as_of=as_of))
        with UnitOfWork(postgis) as uow:
            reconcile(uow)
        return result

    deliver(rows[:40], datetime(2024, 6, 1))
    stale = deliver(rows[:30], datetime(2023, 1, 1))
    assert any(w.startswith("older_source") and "2024-06-01" in w for w in stale.warnings)
    [finding] = _findings(postgis, "SRC_OLDER_SOURCE")
    assert (
        finding.measured["as_of"] == "2023-01-01"
        and finding.measured["newer_as_of"] == "2024-06-01"
    )
    assert "so_dia_chinh_tan_ninh.csv" in finding.message_en
    deliver(rows[:35], datetime(2025, 1, 1))
    assert _findings(postgis, "SRC_OLDER_SOURCE") == []
