"""Parcels in the register: stored exactly, versioned, found through the spatial index.

Every test runs on PostGIS and on SpatiaLite: the embedded default keeps the same contract.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

import shapely

from landreg.errors import ConflictError, CRSError, UnknownReferenceError, ValidationError
from landreg.services.register import (
    ParcelInput,
    change_parcel,
    parcel_as_of,
    register_parcels,
)
from landreg.store.tables import AuditRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject

# A parcel near Tân An, former Long An, surveyed in TM-3 105-45 (EPSG:9210).
LONG_AN_PARCEL = shapely.Polygon(
    [
        (575_010.0, 1_163_020.0),
        (575_052.5, 1_163_018.0),
        (575_055.0, 1_163_061.0),
        (575_012.0, 1_163_064.5),
        (575_010.0, 1_163_020.0),
    ]
)
TAN_NINH = shapely.box(565_280, 1_249_680, 565_320, 1_249_730)  # contains lon 106.1, lat 11.3


def _register(db, *inputs):
    with UnitOfWork(db) as uow:
        return register_parcels(uow, list(inputs), actor="officer-1")


def test_parcel_in_another_tm3_zone_round_trips_with_its_area(register_db):
    expected_area = reproject(LONG_AN_PARCEL, 9210, 9209).area
    [parcel_id] = _register(
        register_db,
        ParcelInput(
            "27712",
            "8",
            "1.204",
            LONG_AN_PARCEL,
            9210,
            legal_area=1850.0,
            land_use_code="BHK",
            address="Ấp 3, Phường Tân An",
        ),
    )
    with UnitOfWork(register_db) as uow:
        stored = uow.parcels.get(parcel_id)
        database_area = uow.session.execute(
            select(func.ST_Area(ParcelRow.geom)).where(ParcelRow.id == parcel_id)
        ).scalar_one()
    assert str(stored.key) == "27712-8-1204"
    assert stored.source_srid == 9210
    assert stored.land_use_code == "HNK"  # legacy BHK recorded as the current code
    assert stored.measured_area == pytest.approx(expected_area, abs=1e-6)
    assert database_area == pytest.approx(expected_area, abs=1e-4)
    back_in_its_zone = reproject(stored.geometry, 9209, 9210).normalize()
    assert back_in_its_zone.equals_exact(
        shapely.MultiPolygon([LONG_AN_PARCEL]).normalize(), tolerance=1e-6
    )


def test_change_keeps_the_previous_version(register_db):
    [parcel_id] = _register(
        register_db, ParcelInput("25459", 12, 345, TAN_NINH, 9209, 2000.0, "ODT")
    )
    with UnitOfWork(register_db) as uow:
        created = uow.parcels.get(parcel_id)
        between = created.valid_from + timedelta(microseconds=1)
        changed = change_parcel(
            uow,
            parcel_id,
            {"legal_area": 1990.5, "land_use_code": "TMD"},
            actor="officer-2",
            expected_version=1,
        )
    with UnitOfWork(register_db) as uow:
        versions = uow.parcels.versions(parcel_id)
        then = parcel_as_of(uow, parcel_id, between)
        now = parcel_as_of(uow, parcel_id, datetime(2100, 1, 1))
        before_creation = parcel_as_of(uow, parcel_id, datetime(2000, 1, 1))
        audit = [
            (row.action, row.actor, row.before, row.after)
            for row in uow.session.scalars(
                select(AuditRow).where(AuditRow.entity_id == parcel_id).order_by(AuditRow.id)
            )
        ]
    assert changed.version == 2
    assert [(v.version, v.legal_area, v.land_use_code) for v in versions] == [
        (1, 2000.0, "ODT"),
        (2, 1990.5, "TMD"),
    ]
    assert versions[0].valid_to == versions[1].valid_from
    assert then is not None and then.legal_area == 2000.0 and then.geometry.equals(TAN_NINH)
    assert now is not None and now.land_use_code == "TMD"
    assert before_creation is None
    assert [(action, actor) for action, actor, _, _ in audit] == [
        ("create", "officer-1"),
        ("update", "officer-2"),
    ]
    assert audit[1][2]["legal_area"] == 2000.0 and audit[1][3]["legal_area"] == 1990.5


def test_a_stale_version_is_refused_and_nothing_is_lost(register_db):
    [parcel_id] = _register(register_db, ParcelInput("25459", 12, 346, TAN_NINH, 9209, 2000.0))
    with UnitOfWork(register_db) as uow:
        change_parcel(uow, parcel_id, {"legal_area": 2001.0}, actor="a", expected_version=1)
    with UnitOfWork(register_db) as uow, pytest.raises(ConflictError):
        change_parcel(uow, parcel_id, {"legal_area": 1500.0}, actor="b", expected_version=1)
    with UnitOfWork(register_db) as uow:
        current = uow.parcels.get(parcel_id)
        assert (current.version, current.legal_area) == (2, 2001.0)
        assert len(uow.parcels.versions(parcel_id)) == 2


def test_point_lookup_in_any_crs(register_db):
    [inside] = _register(register_db, ParcelInput("25459", 3, 17, TAN_NINH, 9209, 2000.0))
    _register(
        register_db,
        ParcelInput("25459", 3, 18, shapely.box(565_400, 1_249_680, 565_440, 1_249_730), 9209),
    )
    with UnitOfWork(register_db) as uow:
        by_lonlat = uow.parcels.at_point(106.1, 11.3, 4326)
        by_tm3 = uow.parcels.at_point(565_300, 1_249_700, 9209)
        nowhere = uow.parcels.at_point(106.2, 11.4, 4326)
    assert [p.id for p in by_lonlat] == [inside]
    assert [p.id for p in by_tm3] == [inside]
    assert nowhere == []


def test_point_lookup_uses_the_spatial_index(register_db):
    _register(register_db, ParcelInput("25459", 3, 19, TAN_NINH, 9209))
    with UnitOfWork(register_db) as uow:
        statement = uow.parcels._through_index(
            select(ParcelRow.id).where(
                ParcelRow.geom.ST_Intersects(
                    func.ST_GeomFromEWKT("SRID=9209;POINT(565300 1249700)")
                )
            ),
            func.ST_GeomFromEWKT("SRID=9209;POINT(565300 1249700)"),
        )
        compiled = statement.compile(uow.session.get_bind(), compile_kwargs={"literal_binds": True})
        if register_db.backend == "postgis":
            uow.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(uow.session.execute(text(f"EXPLAIN {compiled}")).scalars())
            assert "idx_parcel_geom" in plan
        else:
            plan = " ".join(
                str(row[-1]) for row in uow.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
            assert "SpatialIndex" in plan and "VIRTUAL TABLE" in plan


@pytest.mark.parametrize(
    ("bad", "field", "value", "error"),
    [
        (ParcelInput("2545X", 1, 1, TAN_NINH, 9209), "commune_code", "2545X", ValidationError),
        (ParcelInput("25459", "1a", 1, TAN_NINH, 9209), "map_sheet", "1a", ValidationError),
        (
            ParcelInput("99999", 1, 1, TAN_NINH, 9209),
            "commune_code",
            "99999",
            UnknownReferenceError,
        ),
        (ParcelInput("25459", 1, 2, TAN_NINH, None), "srid", None, CRSError),
        (ParcelInput("25459", 1, 3, TAN_NINH, 0), "srid", 0, CRSError),
        (
            ParcelInput("25459", 1, 4, shapely.Point(1, 1), 9209),
            "geometry",
            "Point",
            ValidationError,
        ),
        (
            ParcelInput("25459", 1, 5, TAN_NINH, 9209, land_use_code="QQQ"),
            "land_use_code",
            "QQQ",
            UnknownReferenceError,
        ),
    ],
)
def test_bad_input_is_refused_naming_field_and_value_and_nothing_is_committed(
    register_db, bad, field, value, error
):
    good = ParcelInput("25459", 40, 1, TAN_NINH, 9209, 2000.0)
    with UnitOfWork(register_db) as uow:
        count_before = uow.session.scalar(select(func.count()).select_from(ParcelRow))
    with pytest.raises(error) as caught:
        _register(register_db, good, bad)
    assert caught.value.field == field
    assert caught.value.value == value
    if value is not None:
        assert str(value) in str(caught.value)
    with UnitOfWork(register_db) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ParcelRow)) == count_before
        assert (
            uow.session.scalar(
                select(func.count())
                .select_from(AuditRow)
                .where(
                    AuditRow.entity_type == "parcel",
                    AuditRow.action == "create",
                    AuditRow.after["key"].as_string() == "25459-40-1",
                )
            )
            == 0
        )
