"""Files other offices send, in shapes unlike the sample: layers with no attributes, tables
beside the layers, profiles that do not fit, corrected profiles re-applied. Each one loads
(flagged where its keys are provisional) or is refused with one line, and nothing else in
the register changes. On PostGIS, after the sample's administrative units are loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

import geopandas as gpd
import pyogrio
import shapely

from landreg.domain.delivery import IngestOptions
from landreg.errors import ValidationError
from landreg.services.reconcile import reconcile
from landreg.services.sources import NothingLoadedError, ingest_folder, ingest_path
from landreg.store.tables import (
    FindingRow,
    ParcelRow,
    QuarantineRow,
    RegisterEntryRow,
    SourceBatchRow,
)
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, _migrated_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
UNITS = SAMPLE / "admin" / "units.gpkg"
COMMUNE = "27736"  # Phường Khánh Hậu (former Long An): its boundary is in units.gpkg
CLI = [sys.executable, "-m", "cli"]


@pytest.fixture
def units(postgis):
    ingest_path(postgis, UNITS, IngestOptions())
    return postgis


def _grid(count: int, crs: str) -> gpd.GeoSeries:
    """``count`` parcels of 20 m × 25 m side by side inside the commune, in ``crs``."""
    communes = pyogrio.read_dataframe(UNITS, layer="communes")
    boundary = communes.loc[communes["code"] == COMMUNE, "geometry"].iloc[0]
    x, y = shapely.get_coordinates(boundary.representative_point())[0]
    shapes = [shapely.box(x + 21 * n, y, x + 21 * n + 20, y + 25) for n in range(count)]
    assert all(boundary.contains(shape) for shape in shapes)
    return gpd.GeoSeries(shapes, crs=communes.crs).to_crs(crs)


def _count(db, table, *where):
    with UnitOfWork(db) as uow:
        return uow.session.scalar(select(func.count()).select_from(table).where(*where))


def _stored(db, batch_id):
    with UnitOfWork(db) as uow:
        return uow.session.execute(
            select(
                ParcelRow.source_key,
                ParcelRow.commune_code,
                ParcelRow.map_sheet,
                ParcelRow.parcel_number,
            )
            .where(ParcelRow.source_batch_id == batch_id)
            .order_by(ParcelRow.id)
        ).all()


def _bare_geopackage(path: Path, count: int = 5) -> Path:
    """A GeoPackage layer of geometry only, in WGS 84 (lon/lat), no attribute column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    layer = gpd.GeoDataFrame(geometry=_grid(count, "EPSG:4326"))
    pyogrio.write_dataframe(layer, path, layer="ranh")
    return path


def test_a_layer_without_attributes_loads_with_provisional_keys_flagged(units, tmp_path):
    path = _bare_geopackage(tmp_path / "phong_khac" / "ranh_thua.gpkg")
    [result] = ingest_path(units, path, IngestOptions(commune=COMMUNE))
    assert (result.status, result.added, result.quarantined) == ("loaded", 5, 0)
    assert any(
        note.startswith("lớp không có thuộc tính: 5 thửa")
        and "layer has no attributes: 5 parcels loaded with provisional keys" in note
        for note in result.warnings
    )
    stored = _stored(units, result.batch_id)
    # the GeoPackage fid is the key; sheet and number stay empty
    assert stored == [(str(n), COMMUNE, None, None) for n in range(1, 6)]
    with UnitOfWork(units) as uow:
        profile = uow.session.scalar(
            select(SourceBatchRow.profile).where(SourceBatchRow.id == result.batch_id)
        )
    assert profile == "map_no_attributes"
    with UnitOfWork(units) as uow:
        reconcile(uow, communes=[COMMUNE])
    with UnitOfWork(units) as uow:
        flagged = uow.session.scalars(
            select(FindingRow.subjects).where(FindingRow.rule == "ATTR_MISSING_KEY")
        ).all()
    records = sorted(
        subject["record"]
        for subjects in flagged
        for subject in subjects
        if subject.get("source") == result.source_name
    )
    assert records == ["1", "2", "3", "4", "5"]


def test_a_layer_without_attributes_and_no_commune_is_refused(units, tmp_path):
    path = _bare_geopackage(tmp_path / "phong_khac" / "ranh_thua.gpkg")
    before = (_count(units, ParcelRow), _count(units, SourceBatchRow))
    with pytest.raises(ValidationError) as caught:
        ingest_path(units, path, IngestOptions())
    assert caught.value.field == "commune" and "--commune" in caught.value.detail
    assert "\n" not in caught.value.detail
    assert (_count(units, ParcelRow), _count(units, SourceBatchRow)) == before


def test_a_shapefile_with_only_a_placeholder_field_loads_by_record_number(units, tmp_path):
    """ArcGIS writes a Shapefile without attributes with an ``Id`` field of zeros, and a
    .prj of the TM-3 zone of Long An."""
    folder = tmp_path / "xa_khac"
    folder.mkdir()
    shapes = _grid(4, "EPSG:9210")
    frame = gpd.GeoDataFrame({"Id": [0, 0, 0, 0]}, geometry=shapes)
    pyogrio.write_dataframe(frame, folder / "ThuaDat.shp")
    [result] = ingest_path(units, folder / "ThuaDat.shp", IngestOptions(commune=COMMUNE))
    assert (result.added, result.quarantined) == (4, 0)
    assert [row.source_key for row in _stored(units, result.batch_id)] == ["1", "2", "3", "4"]
    assert any("layer has no attributes: 4 parcels" in note for note in result.warnings)


def test_a_table_without_geometry_beside_a_layer_is_skipped_and_said(units, tmp_path):
    path = _bare_geopackage(tmp_path / "phong_khac" / "thua_va_bang.gpkg", count=3)
    pyogrio.write_dataframe(
        pd.DataFrame({"SoTo": ["4", "4"], "SoThua": ["17", "18"], "Chu": ["An", "Bình"]}),
        path,
        layer="bang_chu",
    )
    said: list[str] = []
    [result] = ingest_path(units, path, IngestOptions(commune=COMMUNE), say=said.append)
    assert result.added == 3 and result.source_name.endswith(":ranh")
    assert any("bang_chu" in line and "no geometry" in line and "skipped" in line for line in said)
    # asked for by name without a profile of a table kind: a one-line error
    with pytest.raises(ValidationError) as caught:
        ingest_path(units, path, IngestOptions(layer="bang_chu"))
    assert caught.value.field == "layer" and "--profile" in caught.value.detail
    assert "\n" not in caught.value.detail


def test_a_table_without_geometry_loads_as_a_register_with_its_profile(units, tmp_path):
    path = tmp_path / "so_khac" / "so_muc_ke.gpkg"
    path.parent.mkdir()
    table = pd.DataFrame({
        "MaXa": [COMMUNE] * 3, "To": [4, 4, 5], "Thua": [17, 18, 0], "Chu": ["An", "Bình", "Chi"],
    })  # fmt: skip
    pyogrio.write_dataframe(table, path, layer="so_muc_ke")
    profile = tmp_path / "so_muc_ke.toml"
    profile.write_text(
        'name = "so_muc_ke_khac"\nkind = "register"\nsource_key = ["fid"]\n[fields]\n'
        'commune_code = "MaXa"\nmap_sheet = "To"\nparcel_number = "Thua"\nholder_name = "Chu"\n',
        encoding="utf-8",
    )
    options = IngestOptions(layer="so_muc_ke", profile=str(profile))
    [result] = ingest_path(units, path, options)
    assert (result.added, result.quarantined) == (2, 1)
    assert result.by_reason == {
        "số thửa phải là số nguyên dương / parcel_number must be a whole number of 1 or more": 1
    }
    with UnitOfWork(units) as uow:
        entries = uow.session.execute(
            select(RegisterEntryRow.source_key, RegisterEntryRow.holder_name)
            .where(RegisterEntryRow.source_batch_id == result.batch_id)
            .order_by(RegisterEntryRow.source_key)
        ).all()
        refused = uow.session.execute(
            select(QuarantineRow.row_ref, QuarantineRow.field, QuarantineRow.value).where(
                QuarantineRow.batch_id == result.batch_id
            )
        ).all()
    assert entries == [("1", "An"), ("2", "Bình")]
    assert refused == [("fid 3", "parcel_number", "0")]


def test_a_geopackage_holding_only_a_table_loads_nothing_and_says_why(units, tmp_path):
    path = tmp_path / "bang.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"a": [1, 2]}), path, layer="bang")
    before = _count(units, SourceBatchRow)
    with pytest.raises(NothingLoadedError) as caught:
        ingest_path(units, path, IngestOptions())
    assert "nothing was loaded from bang.gpkg" in caught.value.detail
    assert _count(units, SourceBatchRow) == before


def test_a_profile_without_source_key_keys_records_by_feature_id(units, tmp_path):
    path = tmp_path / "phong_khac" / "thua.gpkg"
    path.parent.mkdir()
    frame = gpd.GeoDataFrame(
        {"SO_TO": [3, 3, 3], "SO_THUA": [7, 8, 9]}, geometry=_grid(3, "EPSG:9210")
    )
    pyogrio.write_dataframe(frame, path, layer="thua")
    profile = tmp_path / "khong_khoa.toml"
    profile.write_text(
        'name = "khong_khoa"\nkind = "map"\n[fields]\nmap_sheet = "SO_TO"\n'
        'parcel_number = "SO_THUA"\n',
        encoding="utf-8",
    )
    [result] = ingest_path(units, path, IngestOptions(profile=str(profile), commune=COMMUNE))
    assert _stored(units, result.batch_id) == [
        ("1", COMMUNE, 3, 7),
        ("2", COMMUNE, 3, 8),
        ("3", COMMUNE, 3, 9),
    ]


def _layer_with_numbers(path: Path) -> Path:
    """A layer whose parcel numbers are in ``SO_THUA_MOI``; ``SO_THUA_CU`` holds old ones,
    some "0" (no old number)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {
            "MA": ["TD-01", "TD-02", "TD-03", "TD-04"],
            "TO": [2, 2, 2, 2],
            "SO_THUA_MOI": [11, 12, 13, 14],
            "SO_THUA_CU": ["5", "0", "7", "0"],
        },
        geometry=_grid(4, "EPSG:9210"),
    )
    pyogrio.write_dataframe(frame, path, layer="thua")
    return path


def _profile(folder: Path, name: str, number: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nkind = "map"\nsource_key = ["MA"]\n[fields]\n'
        f'map_sheet = "TO"\nparcel_number = "{number}"\n',
        encoding="utf-8",
    )
    return path


def test_a_corrected_profile_is_re_applied_and_reprocess_reads_again(units, tmp_path):
    path = _layer_with_numbers(tmp_path / "phong_khac" / "thua.gpkg")
    wrong = _profile(tmp_path, "so_thua_nham", "SO_THUA_CU")
    right = _profile(tmp_path, "so_thua_dung", "SO_THUA_MOI")
    [first] = ingest_path(units, path, IngestOptions(profile=str(wrong), commune=COMMUNE))
    assert (first.added, first.quarantined) == (2, 2)
    assert first.by_reason == {
        "số thửa phải là số nguyên dương / parcel_number must be a whole number of 1 or more": 2
    }
    # the same file with the same profile: unchanged, nothing read
    [again] = ingest_path(units, path, IngestOptions(profile=str(wrong), commune=COMMUNE))
    assert again.status == "unchanged"
    # the corrected profile: read again, the register brought up to date
    [fixed] = ingest_path(units, path, IngestOptions(profile=str(right), commune=COMMUNE))
    assert fixed.status == "loaded"
    assert (fixed.added, fixed.changed, fixed.quarantined) == (2, 2, 0)
    with UnitOfWork(units) as uow:
        current = uow.session.execute(
            select(ParcelRow.source_key, ParcelRow.parcel_number)
            .where(ParcelRow.source_name == fixed.source_name)
            .order_by(ParcelRow.source_key)
        ).all()
    assert current == [("TD-01", 11), ("TD-02", 12), ("TD-03", 13), ("TD-04", 14)]
    # told to reprocess, the same file and profile are read again (nothing differs now)
    [forced] = ingest_path(
        units, path, IngestOptions(profile=str(right), commune=COMMUNE, reprocess=True)
    )
    assert forced.status == "loaded" and forced.batch_id != fixed.batch_id
    assert (forced.added, forced.changed, forced.removed, forced.unchanged) == (0, 0, 0, 4)


def test_a_folder_skips_what_no_profile_recognises_and_loads_the_rest(units, tmp_path):
    _bare_geopackage(tmp_path / "ranh.gpkg")
    other = gpd.GeoDataFrame({"ghi_chu": ["a", "b"]}, geometry=_grid(2, "EPSG:9210"))
    pyogrio.write_dataframe(other, tmp_path / "ghi_chu.gpkg", layer="ghi_chu")
    said: list[str] = []
    loaded, stopped = ingest_folder(
        units, tmp_path, IngestOptions(commune=COMMUNE), say=said.append
    )
    assert [(p.name, r.added) for p, r in loaded] == [("ranh.gpkg", 5)]
    assert stopped == []
    assert any(line.startswith("ghi_chu.gpkg:") and "skipped" in line for line in said)


# The command as a user runs it, on a database of its own.


@pytest.fixture(scope="module")
def command_database():
    url, database = _migrated_database(f"landreg_test_other_offices_{os.getpid()}")
    ingest_path(database, UNITS, IngestOptions())
    yield url, database
    database.engine.dispose()
    _drop_database(url)


def _command(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, "ingest", *args],
        env={**os.environ, "LANDREG_DATABASE_URL": url, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _counts(database) -> tuple[int, int]:
    return (_count(database, ParcelRow), _count(database, SourceBatchRow))


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr
    assert "https://" not in result.stderr
    return lines[0]


PROFILES = {
    # a field the file lacks
    "lacks": (
        'name = "thieu"\nkind = "map"\nsource_key = ["MA"]\n[fields]\nmap_sheet = "TO"\n'
        'parcel_number = "SO_THUA"\n',
        "SO_THUA",
    ),
    # a canonical field the kind does not know
    "unknown": (
        'name = "la"\nkind = "map"\n[fields]\nmap_sheet = "TO"\nso_thua = "SO_THUA_MOI"\n',
        "fields.so_thua",
    ),
    # a kind that does not match
    "kind": (
        'name = "so"\nkind = "register"\n[fields]\ncommune_code = "MA"\nmap_sheet = "TO"\n'
        'parcel_number = "SO_THUA_MOI"\n',
        "register",
    ),
    # a value of the wrong type
    "type": ('name = "kieu"\nkind = "map"\nsource_key = "MA"\n', "source_key"),
    # no source_key and no fields: loads (the feature id is the key)
}


@pytest.mark.parametrize("case", sorted(PROFILES))
def test_a_profile_that_does_not_fit_is_one_line_and_stores_nothing(
    command_database, tmp_path, case
):
    url, database = command_database
    path = _layer_with_numbers(tmp_path / "phong_khac" / "thua.gpkg")
    text, named = PROFILES[case]
    profile = tmp_path / f"{case}.toml"
    profile.write_text(text, encoding="utf-8")
    before = _counts(database)
    line = _one_line_error(
        _command(url, str(path), "--profile", str(profile), "--commune", COMMUNE)
    )
    assert named in line and " / " in line
    assert _counts(database) == before


def test_a_layer_no_profile_recognises_exits_2_with_one_line(command_database, tmp_path):
    url, database = command_database
    path = tmp_path / "ghi_chu.gpkg"
    frame = gpd.GeoDataFrame({"ghi_chu": ["a", "b"]}, geometry=_grid(2, "EPSG:9210"))
    pyogrio.write_dataframe(frame, path, layer="ghi_chu")
    before = _counts(database)
    line = _one_line_error(_command(url, str(path), "--commune", COMMUNE))
    assert "nothing was loaded from ghi_chu.gpkg" in line and "ghi_chu" in line
    assert _counts(database) == before


def test_the_command_loads_a_bare_layer_and_reprocesses_on_request(command_database, tmp_path):
    url, database = command_database
    before = _counts(database)
    path = _bare_geopackage(tmp_path / "phong_khac" / "ranh_lenh.gpkg", count=2)
    first = _command(url, str(path), "--commune", COMMUNE)
    assert first.returncode == 0, first.stderr
    assert "added 2" in first.stdout and "layer has no attributes" in first.stdout
    again = _command(url, str(path), "--commune", COMMUNE)
    assert again.returncode == 0 and "unchanged" in again.stdout
    forced = _command(url, str(path), "--commune", COMMUNE, "--reprocess")
    assert forced.returncode == 0, forced.stderr
    assert "added 0" in forced.stdout and "unchanged 2" in forced.stdout
    assert _counts(database) == (before[0] + 2, before[1] + 2)
