"""The parcel export on the reconciled sample, on PostGIS and SpatiaLite: every current parcel
once, with the national identifier, legal area, certificates and holders the unified register
keeps; the GeoPackage in the cadastral CRS, GeoJSON in WGS 84, the CSV for Excel; identity
numbers only when asked for; and the ``landreg parcels export`` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

import pyogrio
import shapely

from landreg.errors import ValidationError
from landreg.services import parcel_export
from landreg.services.parcel_export import export_parcels
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import take_in_sample

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
SRID = 9209


@pytest.fixture(scope="module")
def spatialite_sample(tmp_path_factory) -> Iterator[RegisterDatabase]:
    """The sample taken in and reconciled in a SpatiaLite file, as on PostGIS."""
    path = tmp_path_factory.mktemp("parcel_export") / "register.sqlite"
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=f"sqlite:///{path}"))
    take_in_sample(database)
    yield database
    database.engine.dispose()


@pytest.fixture(params=["postgis", "spatialite"])
def sample(request, sample_register, spatialite_sample) -> RegisterDatabase:
    return sample_register[0] if request.param == "postgis" else spatialite_sample


def _rows(database: RegisterDatabase, sql: str) -> list[Any]:
    with UnitOfWork(database) as uow:
        return list(uow.session.execute(text(sql)).mappings())


def _export(database: RegisterDatabase, path: Path, fmt: str, **options: Any) -> int:
    with UnitOfWork(database) as uow:
        return export_parcels(uow, path, fmt, **options)


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _split(value: str) -> list[str]:
    return value.split("; ") if value else []


def _records(database: RegisterDatabase) -> dict[str, dict[int, Any]]:
    """The unified register's records per parcel, read straight from the tables."""
    holders: dict[int, Counter[tuple[str, str | None]]] = defaultdict(Counter)
    for row in _rows(
        database,
        "SELECT r.parcel_id, p.name, p.identity_number FROM land_right r "
        "JOIN party p ON p.id = r.party_id",
    ):
        holders[row["parcel_id"]][(row["name"], row["identity_number"] or "")] += 1
    serials: dict[int, set[str]] = defaultdict(set)
    for row in _rows(database, "SELECT parcel_id, serial FROM certificate"):
        serials[row["parcel_id"]].add(row["serial"])
    return {"holders": holders, "serials": serials}


def test_every_current_parcel_once_with_the_unified_records(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(parcel_export, "SLICE", 700)  # several slices, stitched together
    path = tmp_path / "thua_dat.csv"
    written = _export(sample, path, "csv", personal=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    got = _csv(path)
    parcels = {p["id"]: p for p in _rows(sample, "SELECT * FROM parcel")}
    assert written == len(got) == len(parcels) > 3000
    assert sorted(int(i) for i in got["parcel_id"]) == sorted(parcels)  # each once
    records = _records(sample)
    assert sum(len(s) for s in records["serials"].values()) > 2000
    for row in got.itertuples(index=False):
        parcel = parcels[int(row.parcel_id)]
        assert row.national_id == (parcel["national_id"] or "")
        if parcel["legal_area"] is None:
            assert row.legal_area == ""
        else:
            assert float(row.legal_area) == pytest.approx(parcel["legal_area"])
        assert set(_split(row.certificate_serials)) == records["serials"].get(parcel["id"], set())
        # the land use of the record: the register's where it gives one, the map's beside it
        legal_use = parcel["legal_land_use_code"] or parcel["land_use_code"] or ""
        assert (row.land_use_code, row.map_land_use_code) == (
            legal_use,
            parcel["land_use_code"] or "",
        )
        names = _split(row.holders)
        numbers = row.holder_identity_numbers.split("; ") if names else []
        assert len(names) == len(numbers) == len(row.shares.split("; ") if names else [])
        assert Counter(zip(names, numbers, strict=True)) == records["holders"].get(
            parcel["id"], Counter()
        )
    assert got["national_id"].str.fullmatch(r"[0-9b-hjkmnp-z]{12}").sum() > 3000
    mortgaged = got[got["restrictions"].str.contains("thế chấp: ")]
    assert len(mortgaged) > 300 and mortgaged["sources"].str.contains("register:").all()


def test_the_geopackage_keeps_the_cadastral_crs_and_geojson_is_wgs84(sample_register, tmp_path):
    database = sample_register[0]
    shapes = {
        p["id"]: (p["national_id"], shapely.from_wkb(bytes(p["wkb"])))
        for p in _rows(database, "SELECT id, national_id, ST_AsBinary(geom) AS wkb FROM parcel")
        if p["wkb"] is not None
    }
    for fmt, crs in (("gpkg", f"EPSG:{SRID}"), ("geojson", "EPSG:4326")):
        path = tmp_path / f"thua_dat.{fmt}"
        _export(database, path, fmt)
        assert pyogrio.read_info(path)["crs"] == crs
        got = pyogrio.read_dataframe(path)
        assert len(got) == len(shapes)
        assert got.geom_type.eq("MultiPolygon").all()
        back = got.to_crs(SRID)
        for row in back.sample(200, random_state=1).itertuples():
            national_id, shape = shapes[int(row.parcel_id)]
            assert row.national_id == national_id
            # the same boundary: as stored in the GeoPackage, to WGS 84 and back in GeoJSON
            assert row.geometry.hausdorff_distance(shape) < 0.01
            assert row.measured_area == pytest.approx(shape.area, abs=0.01)


def test_identity_numbers_only_when_asked_for(sample_register, tmp_path):
    database = sample_register[0]
    numbers = {
        r["identity_number"]
        for r in _rows(database, "SELECT identity_number FROM party")
        if r["identity_number"]
    }
    assert len(numbers) > 1000
    for fmt in ("csv", "geojson"):
        path = tmp_path / f"thua_dat.{fmt}"
        _export(database, path, fmt)
        fields = pyogrio.read_dataframe(path, read_geometry=False) if fmt == "geojson" else None
        # the values written (the coordinates' long digit runs left out)
        written = path.read_text(encoding="utf-8-sig") if fields is None else fields.to_csv()
        assert "holder_identity_numbers" not in written
        assert not [n for n in numbers if n in written]
        assert "Nguyễn" in written  # the holders' names are there
    _export(database, tmp_path / "ca_nhan.csv", "csv", personal=True)
    assert "holder_identity_numbers" in _csv(tmp_path / "ca_nhan.csv").columns


def test_a_commune_is_taken_by_its_old_or_new_code_or_its_name(sample_register, tmp_path):
    database = sample_register[0]
    [wanted] = _rows(database, "SELECT count(*) AS n FROM parcel WHERE commune_code = '25459'")
    # 25456, former Phường 1 of Tây Ninh town, is part of Phường Tân Ninh (25459) since 2025
    for commune in ("25459", "25456", "Phường Tân Ninh"):
        path = tmp_path / "xa.csv"
        assert _export(database, path, "csv", commune=commune) == wanted["n"] > 100
        assert set(_csv(path)["commune_code"]) == {"25459"}
    with pytest.raises(ValidationError) as refused:
        _export(database, tmp_path / "x.csv", "csv", commune="Xã Không Có Thật")
    assert refused.value.field == "commune"
    assert refused.value.detail_in("vi").startswith("không tìm thấy xã, phường")


def _command(*args: str, database: RegisterDatabase) -> subprocess.CompletedProcess:
    url = database.engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "cli", "parcels", "export", *args],
        env={**os.environ, "LANDREG_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_command_writes_the_file_and_refuses_bad_input_in_one_line(spatialite_sample, tmp_path):
    out = tmp_path / "xuat" / "thua_dat.gpkg"
    done = _command("--format", "gpkg", "--out", str(out), database=spatialite_sample)
    assert done.returncode == 0, done.stderr
    [count] = _rows(spatialite_sample, "SELECT count(*) AS n FROM parcel")
    assert pyogrio.read_info(out)["features"] == count["n"]
    assert pyogrio.read_info(out)["crs"] == f"EPSG:{SRID}"
    assert f"{count['n']:,} thửa đất" in done.stdout

    bad = _command("--format", "shp", "--out", str(tmp_path / "x.shp"), database=spatialite_sample)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.index("định dạng phải là") < bad.stderr.index("format must be")

    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    unwritable = _command(
        "--format", "csv", "--out", str(blocked / "thua_dat.csv"), database=spatialite_sample
    )
    assert unwritable.returncode == 2
    assert "Traceback" not in unwritable.stderr
    assert len(unwritable.stderr.strip().splitlines()) == 1
    assert "không ghi được tệp" in unwritable.stderr and "cannot write" in unwritable.stderr
