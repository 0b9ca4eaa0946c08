"""Data-quality statistics on PostGIS and on SpatiaLite: a commune taken in and reconciled,
its findings given a history (found on one day, closed on another), then read at several
moments: open counts per ISO week of Vietnam time, parcels checked, the commune map."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from landreg.domain.delivery import IngestOptions
from landreg.services.quality_stats import commune_shapes, quality_stats
from landreg.services.reconcile import reconcile
from landreg.services.register import change_parcel
from landreg.services.sources import ingest_path
from landreg.store.tables import FindingRow, ParcelRegisterLinkRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
LONG_AN = (
    "admin/units.gpkg",
    "maps/long_an_cu/27694_phuong_long_an.gpkg",
    "register/so_dia_chinh_long_an_cu.xlsx",
)
COMMUNE = "27694"
# Found on Wednesday 3 January 2024 (UTC); Sunday 7 January ends at 16:59:59 UTC in Vietnam.
FOUND = datetime(2024, 1, 3, 3, 0)
SUNDAY_NIGHT_UTC = datetime(2024, 1, 7, 18, 0)  # Monday 8 January, 01:00 in Vietnam
WEDNESDAY_AFTER = datetime(2024, 1, 10, 3, 0)


@pytest.fixture
def reconciled(register_db):
    """Phường Long An's map and the old Long An's land register (with the commune
    boundaries) taken in and reconciled."""
    for path in LONG_AN:
        ingest_path(register_db, SAMPLE / path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    return register_db


def _findings(db) -> list[tuple[int, str, str, str | None]]:
    with UnitOfWork(db) as uow:
        rows = uow.session.execute(
            select(
                FindingRow.id, FindingRow.rule, FindingRow.severity, FindingRow.commune_code
            ).order_by(FindingRow.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_counts_at_now_match_the_rows_and_every_parcel_is_checked(reconciled):
    findings = _findings(reconciled)
    assert findings, "the commune's map has findings to count"
    with UnitOfWork(reconciled) as uow:
        stats = quality_stats(uow)
        parcels = len(uow.session.scalars(select(ParcelRow.id)).all())
    assert stats.parcels == parcels > 0
    assert stats.parcels_checked == parcels
    assert stats.open_findings == len(findings)
    assert stats.open_errors == sum(1 for f in findings if f[2] == "error")
    assert {r.rule: r.open for r in stats.by_rule} == Counter(f[1] for f in findings)
    assert {c.code: c.open for c in stats.by_commune if c.open} == Counter(f[3] for f in findings)
    [commune] = [c for c in stats.by_commune if c.code == COMMUNE]
    errors = sum(1 for f in findings if f[2] == "error" and f[3] == COMMUNE)
    assert (commune.parcels, commune.open_errors) == (parcels, errors)
    assert commune.errors_per_1000 == pytest.approx(errors * 1000 / parcels)
    assert 0 <= stats.parcels_with_open_errors <= stats.open_errors * 2
    assert stats.share_without_open_errors == pytest.approx(
        100 * (parcels - stats.parcels_with_open_errors) / parcels
    )


def test_the_week_series_follows_creation_and_closing_in_vietnam_time(reconciled):
    ids = [f[0] for f in _findings(reconciled)]
    with UnitOfWork(reconciled) as uow:
        table = FindingRow
        uow.session.execute(update(table).values(created_at=FOUND))
        uow.session.execute(
            update(table).where(table.id == ids[0]).values(closed_at=SUNDAY_NIGHT_UTC,
                                                          status="dismissed")
        )  # fmt: skip
        uow.session.execute(
            update(table).where(table.id == ids[1]).values(closed_at=WEDNESDAY_AFTER,
                                                          status="fixed")
        )  # fmt: skip
        uow.commit()
    with UnitOfWork(reconciled) as uow:
        stats = quality_stats(uow, as_of="2024-01-20")
        before = quality_stats(uow, as_of="2024-01-02")
        on_the_sunday = quality_stats(uow, as_of="2024-01-07")
    total = len(ids)
    assert [(w.week, w.open) for w in stats.weeks] == [
        ("2024-W01", total),  # closed on Monday 01:00 in Vietnam: still open that Sunday
        ("2024-W02", total - 2),
        ("2024-W03", total - 2),
    ]
    assert stats.weeks[0].at == datetime(2024, 1, 7, 23, 59, 59)
    assert stats.weeks[-1].at == datetime(2024, 1, 20, 23, 59, 59)  # as_of, a Saturday
    assert stats.open_findings == total - 2
    assert sum(stats.weeks[1].by_rule.values()) == total - 2
    assert sum(stats.weeks[1].by_commune.values()) == total - 2
    assert (before.open_findings, before.weeks) == (0, ())
    assert on_the_sunday.open_findings == total


def test_a_parcel_changed_after_the_reconciliation_is_not_checked_until_the_next(reconciled):
    with UnitOfWork(reconciled) as uow:
        parcel_id = uow.session.scalar(select(ParcelRow.id).order_by(ParcelRow.id).limit(1))
    with UnitOfWork(reconciled, writes=True) as uow:
        change_parcel(uow, parcel_id, {"address": "Khu phố 3, Phường Long An"}, actor="staff")
    with UnitOfWork(reconciled) as uow:
        changed = quality_stats(uow)
    assert changed.parcels_checked == changed.parcels - 1
    with UnitOfWork(reconciled) as uow:
        reconcile(uow)
    with UnitOfWork(reconciled) as uow:
        again = quality_stats(uow)
    assert again.parcels_checked == again.parcels


def test_a_reconciliation_that_changes_nothing_still_checks_its_communes(register_db):
    """A commune with no register and nothing wrong leaves no link and no finding behind:
    its parcels are checked all the same, by the run's own record."""
    ingest_path(register_db, SAMPLE / LONG_AN[1], IngestOptions())  # the map alone
    with UnitOfWork(register_db, writes=True) as uow:
        uow.session.execute(delete(FindingRow))  # as if the map had nothing wrong with it
        uow.commit()
    with UnitOfWork(register_db) as uow:
        before = quality_stats(uow)
    assert before.parcels > 0 and before.parcels_checked == 0
    with UnitOfWork(register_db) as uow:
        reconcile(uow, communes=[COMMUNE])
    with UnitOfWork(register_db, writes=True) as uow:
        uow.session.execute(delete(FindingRow))
        uow.commit()
    with UnitOfWork(register_db) as uow:
        after = quality_stats(uow)
        links = uow.session.scalar(select(func.count()).select_from(ParcelRegisterLinkRow))
    assert links == 0
    assert after.parcels_checked == after.parcels == before.parcels


def test_the_commune_map_has_the_boundary_in_wgs84_and_the_figures(reconciled):
    with UnitOfWork(reconciled) as uow:
        moment, shapes = commune_shapes(uow, as_of="2030-01-01")
        stats = quality_stats(uow, as_of="2030-01-01")
    assert moment == datetime(2030, 1, 1, 23, 59, 59)
    by_code = {s.figures.code: s for s in shapes}
    commune = by_code[COMMUNE]
    assert commune.figures == next(c for c in stats.by_commune if c.code == COMMUNE)
    assert commune.boundary is not None and commune.boundary.is_valid
    west, south, east, north = commune.boundary.bounds
    assert 105.5 < west < east < 107 and 10.5 < south < north < 12  # degrees, not metres
    # Communes with a boundary but no parcel are on the map too, with nothing to shade.
    empty = [s for s in shapes if s.figures.parcels == 0]
    assert empty and all(s.figures.errors_per_1000 is None for s in empty)
