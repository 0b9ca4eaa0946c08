"""Another province's own administrative units (issue 14, item 11): `landreg units load`
makes them the reference ingest, deadlines and the CRS check use; `landreg units list`
shows them; a bad units file is one line naming what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

import geopandas as gpd
import shapely

from landreg.domain import reference
from landreg.domain.delivery import IngestOptions
from landreg.errors import ConflictError, CRSError, UnknownReferenceError, ValidationError
from landreg.services.sources import ingest_path
from landreg.services.units import load_units, read_units_file
from landreg.store.database import RegisterDatabase
from landreg.store.tables import AdminUnit, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject
from tests.conftest import _drop_database, _migrated_database

LANDREG = [sys.executable, "-m", "cli"]
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
HUE_ZONE = 9214  # VN-2000 / TM-3 107-00, the zone of the Huế area
PROFILE = """
name = "map_province_99"
kind = "map"
source_key = ["ID_THUA"]
[fields]
commune_code = "MA_DVHC"
map_sheet = "SO_TO"
parcel_number = "SO_THUA"
"""


def _square(lon: float, lat: float, degrees: float) -> shapely.Polygon:
    """A square with its south-west corner at (lon, lat), in the Huế zone."""
    return reproject(shapely.box(lon, lat, lon + degrees, lat + degrees), 4326, HUE_ZONE)


def _units_file(folder: Path) -> Path:
    """An invented province near Huế: one layer of every unit, Vietnamese dates and flags."""
    west, east = _square(107.50, 16.40, 0.04), _square(107.54, 16.40, 0.04)
    frame = gpd.GeoDataFrame(
        {
            "code": ["99", "99001", "99002", "99003"],
            "level": ["tỉnh", "xã", "xã", "phường"],
            "name": ["Tỉnh Thử Nghiệm", "Xã Hương Thử", "Xã Núi Mẫu", "Phường Bến Thử"],
            "parent_code": [None, "99", "99", "99"],
            "valid_from": ["01/07/2025"] * 4,
            "cadastral_srid": [None, HUE_ZONE, HUE_ZONE, HUE_ZONE],
            "remote": ["không", "không", "có", "không"],
        },
        geometry=[shapely.union_all([west, east]), west, east, None],
        crs=f"EPSG:{HUE_ZONE}",
    )
    path = folder / "don_vi_hanh_chinh.gpkg"
    frame.to_file(path, layer="don_vi", driver="GPKG")
    return path


def _map_layer(folder: Path) -> Path:
    """Ten parcels of Xã Hương Thử in its own zone, and one carrying Tây Ninh's 25459."""
    corner = reproject(shapely.Point(107.52, 16.42), 4326, HUE_ZONE)
    squares = [shapely.box(corner.x + 40 * n, corner.y, corner.x + 40 * n + 30, corner.y + 30)
               for n in range(11)]  # fmt: skip
    frame = gpd.GeoDataFrame(
        {
            "ID_THUA": [f"HT/{n}" for n in range(11)],
            "MA_DVHC": ["99001"] * 10 + ["25459"],
            "SO_TO": [3] * 11,
            "SO_THUA": list(range(1, 12)),
        },
        geometry=squares,
        crs=f"EPSG:{HUE_ZONE}",
    )
    path = folder / "ban_do_huong_thu.gpkg"
    frame.to_file(path, layer="thua_dat", driver="GPKG")
    return path


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LANDREG, *args],
        env={**os.environ, "COLUMNS": "160", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def other_province(tmp_path: Path) -> Iterator[tuple[str, RegisterDatabase]]:
    """A fresh migrated database (Tây Ninh's units, no boundaries) of its own."""
    url, database = _migrated_database(f"landreg_test_units_{os.getpid()}")
    yield url, database
    database.engine.dispose()
    _drop_database(url)


def _codes(database: RegisterDatabase) -> set[str]:
    with UnitOfWork(database) as uow:
        return set(uow.session.scalars(select(AdminUnit.code)))


def test_another_province_loads_its_units_and_the_register_follows_them(
    other_province, tmp_path, monkeypatch
):
    url, database = other_province
    env = {"LANDREG_DATABASE_URL": url, "LANDREG_DATA_DIR": str(tmp_path)}
    loaded = _run("units", "load", str(_units_file(tmp_path)), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 4 units (3 current communes and wards, 3 boundaries)" in loaded.stdout
    assert (tmp_path / "admin_units.csv").is_file()
    assert _codes(database) == {"99", "99001", "99002", "99003"}

    monkeypatch.setenv("LANDREG_DATA_DIR", str(tmp_path))  # as the command and server see it
    assert set(reference.communes()) == {"99001", "99002", "99003"}
    assert reference.commune("99003").level == "ward"
    with pytest.raises(UnknownReferenceError):
        reference.commune("25459")

    # a map layer of the new province's commune loads; Tây Ninh's commune code is unknown
    profile = tmp_path / "province_99.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    result = ingest_path(database, _map_layer(tmp_path), IngestOptions(profile=str(profile)))[0]
    assert (result.added, result.quarantined) == (10, 1)
    assert [reason for reason in result.by_reason if "unknown commune_code" in reason]
    with UnitOfWork(database) as uow:
        assert set(uow.session.scalars(select(ParcelRow.commune_code))) == {"99001"}
        # remote communes' deadlines follow the loaded units
        assert uow.dossier_stats.remote_communes() == frozenset({"99002"})

    # the province now lies near Huế: a Tây Ninh layer is far from it
    with pytest.raises(CRSError) as caught:
        ingest_path(database, SAMPLE / "maps/tay_ninh_cu/25459_phuong_tan_ninh.gpkg",
                    IngestOptions(layer="ThuaDat"))  # fmt: skip
    assert "km from the province" in caught.value.detail

    listed = _run("units", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "installation's own" in listed.stdout and "Xã Núi Mẫu" in listed.stdout
    assert "99001" in listed.stdout and "25459" not in listed.stdout

    # `db upgrade` keeps the installation's units; it does not bring Tây Ninh's back
    upgraded = _run("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert _codes(database) == {"99", "99001", "99002", "99003"}

    # a units file that drops a commune the register holds parcels of changes nothing
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("code,level,name,parent_code\n99,province,Tỉnh Thử Nghiệm,\n"
                       "99002,commune,Xã Núi Mẫu,99\n", encoding="utf-8")  # fmt: skip
    before = (tmp_path / "admin_units.csv").read_bytes()
    with pytest.raises(ConflictError) as conflict:
        load_units(database, read_units_file(smaller, database.cadastral_srid))
    assert "99001" in conflict.value.detail
    assert (tmp_path / "admin_units.csv").read_bytes() == before
    assert _codes(database) == {"99", "99001", "99002", "99003"}


@pytest.mark.parametrize(
    ("table", "field", "said"),
    [
        ("ma,ten\n99001,Xã A\n", "columns", "lacks the column(s) code, level, name"),
        ("code,level\n99001,commune\n", "columns", "lacks the column(s) name"),
        (
            "code,level,name,valid_from\n99001,commune,Xã A,31/02/2025\n",
            "valid_from",
            "valid_from of unit '99001' is not a date (YYYY-MM-DD or DD/MM/YYYY): '31/02/2025'",
        ),
        (
            "code,level,name\n99001,commune,Xã A\n99002,commune,Xã B\n99001,ward,Phường C\n",
            "code",
            "unit codes repeated in units.csv: 99001",
        ),
        ("code,level,name\n99001,district,Huyện A\n", "level", "level of unit '99001'"),
        ("code,level,name,remote\n99001,commune,Xã A,maybe\n", "remote", "true or false"),
        ("code,level,name,parent_code\n99001,commune,Xã A,98\n", "parent_code", "'98'"),
        ("code,level,name\n99,province,Tỉnh A\n", "level", "no current commune or ward"),
    ],
)
def test_a_bad_units_file_is_one_line_naming_what_is_wrong(tmp_path, table, field, said):
    path = tmp_path / "units.csv"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_units_file(path, 9209)
    assert caught.value.field == field
    assert said in caught.value.detail and "\n" not in caught.value.detail
    assert " / " in caught.value.detail  # Vietnamese first, English beside


def test_the_command_refuses_a_bad_file_with_one_line_and_changes_nothing(other_province, tmp_path):
    url, database = other_province
    path = tmp_path / "repeated.csv"
    path.write_text("code,level,name\n99001,commune,Xã A\n99001,commune,Xã B\n", "utf-8")
    env = {"LANDREG_DATABASE_URL": url, "LANDREG_DATA_DIR": str(tmp_path)}
    result = _run("units", "load", str(path), env=env)
    assert result.returncode == 2
    assert "unit codes repeated in repeated.csv: 99001" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "admin_units.csv").exists()
    assert "25459" in _codes(database)
