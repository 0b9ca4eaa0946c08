"""Coordinates that cannot be in the province are refused, even on a fresh database whose
units have no boundaries loaded (issue 14, item 8): a layer in another country's CRS, a
single parcel in the Pacific, a ``--crs`` that does not fit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

import geopandas as gpd
import shapely

from landreg.domain.delivery import IngestOptions
from landreg.errors import CRSError
from landreg.services.sources import ingest_path
from landreg.store.database import RegisterDatabase
from landreg.store.tables import AdminUnit, ParcelRow, QuarantineRow, SourceBatchRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import CANDIDATE_SRIDS, reproject
from tests.conftest import _drop_database, _isolated, _migrated_database

# Another office's field names, and a key of its own (not the sample's OBJECTID).
PROFILE = """
name = "map_office_b"
kind = "map"
source_key = ["MA_THUA"]
[fields]
commune_code = "XA"
map_sheet = "TO"
parcel_number = "THUA"
"""


@pytest.fixture(scope="module")
def fresh_database() -> Iterator[RegisterDatabase]:
    """A migrated database as `landreg db upgrade` leaves it: units, no boundaries."""
    url, database = _migrated_database(f"landreg_test_far_{os.getpid()}")
    yield database
    database.engine.dispose()
    _drop_database(url)


@pytest.fixture
def fresh(fresh_database: RegisterDatabase) -> Iterator[RegisterDatabase]:
    yield from _isolated(fresh_database)


def _layer(tmp_path: Path, centres: np.ndarray, crs: str | None, side: float) -> Path:
    """A GeoPackage of squares around ``centres`` (x, y in ``crs``), commune 25459."""
    squares = [shapely.box(x, y, x + side, y + side) for x, y in centres]
    frame = gpd.GeoDataFrame(
        {
            "MA_THUA": [f"B-{n:03d}" for n in range(len(squares))],
            "XA": ["25459"] * len(squares),
            "TO": [7] * len(squares),
            "THUA": list(range(101, 101 + len(squares))),
        },
        geometry=squares,
        crs=crs,
    )
    path = tmp_path / "thua_dat_office_b.gpkg"
    frame.to_file(path, layer="thua", driver="GPKG")
    return path


def _profile(tmp_path: Path) -> str:
    path = tmp_path / "office_b.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return str(path)


def _count(database: RegisterDatabase, table, *where) -> int:
    with UnitOfWork(database) as uow:
        return uow.session.scalar(select(func.count()).select_from(table).where(*where))


def _tan_ninh(count: int) -> np.ndarray:
    """Lower-left corners of ``count`` parcels in Phường Tân Ninh, in EPSG:9209."""
    return np.column_stack([565_000 + 40 * np.arange(count), np.full(count, 1_249_600)])


def test_the_fresh_database_has_no_boundaries(fresh):
    assert _count(fresh, AdminUnit) > 0
    assert _count(fresh, AdminUnit, AdminUnit.geom.is_not(None)) == 0


def test_a_layer_in_a_foreign_national_crs_is_stopped_naming_the_systems_tried(fresh, tmp_path):
    # Lambert-93 (France) coordinates, declared: no known system puts them in the province.
    paris = np.column_stack([652_000 + 40 * np.arange(12), np.full(12, 6_862_000)])
    path = _layer(tmp_path, paris, "EPSG:2154", 30)
    with pytest.raises(CRSError) as caught:
        ingest_path(fresh, path, IngestOptions(profile=_profile(tmp_path)))
    detail = caught.value.detail
    assert "\n" not in detail
    assert detail.startswith("lớp 'thua'")  # Vietnamese first, English beside
    assert "không hệ toạ độ nào đã biết" in detail
    assert "none of the known coordinate systems puts layer 'thua' in the province" in detail
    assert all(f"EPSG:{srid}" in detail for srid in CANDIDATE_SRIDS)
    assert "EPSG:2154" in detail and "km from the province" in detail
    assert caught.value.candidates == []
    assert _count(fresh, ParcelRow) == 0
    assert _count(fresh, SourceBatchRow) == 0


def test_a_layer_stored_19000_km_north_is_stopped(fresh, tmp_path):
    # VN-2000 grid numbers with the northing's digits doubled: the y ≈ 19,000 km of the issue.
    corners = _tan_ninh(10) + np.array([0, 17_750_000])
    path = _layer(tmp_path, corners, "EPSG:9209", 30)
    with pytest.raises(CRSError) as caught:
        ingest_path(fresh, path, IngestOptions(profile=_profile(tmp_path)))
    assert "none of the known coordinate systems" in caught.value.detail
    assert _count(fresh, ParcelRow) == 0


def test_one_parcel_in_the_pacific_is_quarantined_and_the_rest_loads(fresh, tmp_path):
    # Degrees, declared WGS 84: twenty parcels in Tây Ninh and one (3 km²) in the Pacific.
    near = np.column_stack([106.10 + 0.0005 * np.arange(20), np.full(20, 11.30)])
    corners = np.vstack([near, [[-150.0, 10.0]]])
    squares = [shapely.box(x, y, x + 0.0003, y + 0.0003) for x, y in corners[:-1]]
    squares.append(shapely.box(-150.0, 10.0, -149.984, 10.016))
    path = _layer(tmp_path, corners, "EPSG:4326", 0.0003)
    frame = gpd.read_file(path).set_geometry(squares, crs="EPSG:4326")
    frame.to_file(path, layer="thua", driver="GPKG")

    result = ingest_path(fresh, path, IngestOptions(profile=_profile(tmp_path)))[0]

    assert (result.added, result.quarantined) == (20, 1)
    assert result.by_reason == {"nằm ngoài tỉnh / outside the province": 1}
    with UnitOfWork(fresh) as uow:
        held = uow.session.scalars(select(QuarantineRow)).one()
        reason, field, raw, value = held.reason, held.field, held.raw, held.value
        stored = set(uow.session.scalars(select(ParcelRow.source_key)))
    assert (reason, field) == ("nằm ngoài tỉnh / outside the province", "geometry")
    assert raw["MA_THUA"] == "B-020" and value.endswith(" km")
    assert "B-020" not in stored and len(stored) == 20


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_a_confirmed_crs_that_does_not_fit_is_refused(fresh, tmp_path):
    # VN-2000 / TM-3 105-30 coordinates, no CRS declared: a GeoPackage without an SRS.
    path = _layer(tmp_path, _tan_ninh(12), None, 30)
    options = IngestOptions(profile=_profile(tmp_path))
    with pytest.raises(CRSError) as no_crs:
        ingest_path(fresh, path, options)
    assert "declares no CRS" in no_crs.value.detail and 9209 in no_crs.value.candidates

    # Metres read as degrees (nowhere on Earth); Lambert-93 (France, 11,000 km away).
    for wrong in ("EPSG:4326", "EPSG:2154"):
        with pytest.raises(CRSError) as caught:
            ingest_path(fresh, path, IngestOptions(profile=options.profile, crs=wrong))
        detail = caught.value.detail
        assert f"confirmed {wrong} lies" in detail and f"hệ toạ độ đã xác nhận {wrong}" in detail
        assert "\n" not in detail
        assert _count(fresh, ParcelRow) == 0

    loaded = ingest_path(fresh, path, IngestOptions(profile=options.profile, crs="EPSG:9209"))
    assert loaded[0].added == 12
    with UnitOfWork(fresh) as uow:
        where = shapely.from_wkb(uow.session.scalar(select(func.ST_AsBinary(ParcelRow.geom))))
    corner = reproject(shapely.Point(*_tan_ninh(1)[0]), 9209, 4326)
    assert shapely.distance(reproject(where, 9209, 4326), corner) < 0.001
