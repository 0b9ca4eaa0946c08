"""Boundaries people draw, through the register's use cases, on PostGIS and on SpatiaLite:
refused when invalid, or stored as drawn with the GEOM_INVALID finding reconciliation keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import shapely

from landreg.domain.delivery import IngestOptions
from landreg.errors import ValidationError
from landreg.services.reconcile import reconcile
from landreg.services.register import ParcelInput, change_parcel, register_parcels
from landreg.services.sources import ingest_path
from landreg.store.tables import FindingRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
MAP = SAMPLE / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
BOW_TIE = shapely.Polygon(
    [(565_280, 1_249_680), (565_320, 1_249_730), (565_320, 1_249_680), (565_280, 1_249_730)]
)


@pytest.fixture
def mapped(register_db):
    """Phường Tân Ninh's boundaries and map taken in; a parcel of it."""
    for path in (SAMPLE / "admin" / "units.gpkg", MAP):
        ingest_path(register_db, path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        parcel_id = uow.session.scalar(select(ParcelRow.id).order_by(ParcelRow.id).limit(1))
    return register_db, parcel_id


def _geometry_findings(db, parcel_id):
    with UnitOfWork(db) as uow:
        rows = uow.session.execute(
            select(FindingRow.id, FindingRow.status, FindingRow.subjects).where(
                FindingRow.rule == "GEOM_INVALID"
            )
        ).all()
    return [(i, status) for i, status, subjects in rows if parcel_id in [s["id"] for s in subjects]]


def test_an_invalid_change_is_refused_and_changes_nothing(mapped):
    db, parcel_id = mapped
    with UnitOfWork(db) as uow, pytest.raises(ValidationError) as refused:
        change_parcel(uow, parcel_id, {"geometry": BOW_TIE, "srid": 9209}, actor="staff")
    assert "Self-intersection at (565300.00, 1249705.00) in EPSG:9209" in refused.value.detail
    with UnitOfWork(db) as uow:
        assert uow.parcels.get(parcel_id).version == 1
    assert _geometry_findings(db, parcel_id) == []


def test_stored_as_drawn_it_keeps_its_finding_through_reconciliation(mapped):
    db, parcel_id = mapped
    changes = {"geometry": BOW_TIE, "srid": 9209, "store_as_drawn": True}
    with UnitOfWork(db) as uow:
        after = change_parcel(uow, parcel_id, changes, actor="staff")
    assert after.version == 2 and not after.geometry.is_valid
    assert after.source is not None  # where the record came from stays
    [(finding_id, status)] = _geometry_findings(db, parcel_id)
    assert status == "open"
    with UnitOfWork(db) as uow:
        reconcile(uow)
    assert _geometry_findings(db, parcel_id) == [(finding_id, "open")]
    # an open finding already says the boundary is invalid: no second drawing over it
    with UnitOfWork(db) as uow, pytest.raises(ValidationError) as refused:
        change_parcel(uow, parcel_id, changes, actor="staff")
    assert f"finding {finding_id} already reports" in refused.value.detail


def test_a_new_parcel_with_an_invalid_or_3d_boundary_is_refused(register_db):
    for shape, words in ((BOW_TIE, "Self-intersection"), (shapely.force_3d(BOW_TIE, 2.0), "Z")):
        with UnitOfWork(register_db) as uow, pytest.raises(ValidationError) as refused:
            register_parcels(uow, [ParcelInput("25459", 90, 1, shape, 9209)], actor="staff")
        assert words in refused.value.detail
