"""An installation serving the whole new Tây Ninh loads the shipped table of its 96 wards and
communes with ``landreg units load``: the register then holds them and the abolished levels,
and a commune code from an old certificate finds the commune that took it over."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from landreg.domain import reference
from landreg.store.database import RegisterDatabase
from landreg.store.tables import AdminUnit
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, _migrated_database

SHIPPED = Path(reference.__file__).resolve().parents[1] / "reference" / "tay_ninh_2025_units.csv"


@pytest.fixture
def province_database() -> Iterator[tuple[str, RegisterDatabase]]:
    """A fresh migrated database of its own."""
    url, database = _migrated_database(f"landreg_test_province_2025_{os.getpid()}")
    yield url, database
    database.engine.dispose()
    _drop_database(url)


def test_the_whole_province_loads_and_old_codes_find_their_new_commune(
    province_database, tmp_path, monkeypatch
):
    url, database = province_database
    loaded = subprocess.run(
        [sys.executable, "-m", "cli", "units", "load", str(SHIPPED)],
        env={**os.environ, "COLUMNS": "200", "LANDREG_DATABASE_URL": url,
             "LANDREG_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    units = reference.province_2025_units()
    assert f"loaded {len(units)} units (96 current communes and wards" in loaded.stdout

    with UnitOfWork(database) as uow:
        columns = (AdminUnit.code, AdminUnit.name, AdminUnit.valid_to, AdminUnit.successor_code)
        rows = {row.code: row for row in uow.session.execute(select(*columns))}
    assert set(rows) == {unit.code for unit in units}
    assert rows["25630"].name == "Phường Long Hoa" and rows["25630"].valid_to is None
    assert rows["709"].name == "Thị xã Hòa Thành" and rows["709"].successor_code == "80"

    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))  # as the command and server see it
    assert len(reference.communes()) == 96
    # an old certificate of Phường Long Thành Bắc (Thị xã Hòa Thành) → Phường Long Hoa
    assert reference.resolve_commune("25636") == "25630"
