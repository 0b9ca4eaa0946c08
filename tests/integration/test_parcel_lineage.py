"""Subdivisions and mergers: the new parcels get new identifiers and the lineage is kept.

Deliveries are map layers written here (the helpers of ``test_national_ids``): a first one,
reconciled, then one that splits or merges parcels, reconciled again.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

import shapely

from landreg.domain.delivery import IngestOptions
from landreg.domain.lineage import parent_keys
from landreg.errors import NotFoundError
from landreg.services import national_ids
from landreg.services.parcel_record import parcel_record
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.store.tables import HISTORY_TABLES, ParcelLineageRow, ParcelRow, RightRow
from landreg.store.unit_of_work import UnitOfWork
from tests.integration.test_national_ids import (
    ORIGIN,
    _cell,
    _deliver,
    _forward,
    _identifiers,
    expected_identifier,
)
from tests.layers import REGISTER_PROFILE


def _lineage(database) -> pd.DataFrame:
    with UnitOfWork(database) as uow:
        frame = uow.lineage.links()
    return frame.sort_values(["child_key", "parent_key"]).reset_index(drop=True)


def _ended_ids(database) -> dict[str, int]:
    """Id of each parcel that ended, by its key in the source."""
    history = HISTORY_TABLES["parcel"]
    with UnitOfWork(database) as uow:
        current = set(uow.session.scalars(select(ParcelRow.id)))
        rows = uow.session.execute(select(history.c.source_key, history.c.id)).all()
    return {str(key): int(row_id) for key, row_id in rows if row_id not in current}


def test_a_split_named_by_the_delivery_keeps_the_parent_and_its_identifier(register_db, tmp_path):
    shapes = {k: _cell(k) for k in range(1, 4)}
    _deliver(register_db, tmp_path, shapes)
    before = _identifiers(register_db)
    left, right = (shapely.clip_by_rect(shapes[3], *box) for box in (
        (ORIGIN[0] + 75, ORIGIN[1], ORIGIN[0] + 86, ORIGIN[1] + 30),
        (ORIGIN[0] + 86, ORIGIN[1], ORIGIN[0] + 100, ORIGIN[1] + 30),
    ))  # fmt: skip
    _deliver(
        register_db, tmp_path, {1: shapes[1], 2: shapes[2], 31: left, 32: right},
        ThuaGoc={31: "thửa 3", 32: "Tờ 7 thửa 3"},
    )  # fmt: skip

    links = _lineage(register_db)
    after = _identifiers(register_db)
    assert set(after) == {"1", "2", "31", "32"}
    assert after["1"] == before["1"] and after["2"] == before["2"]
    assert after["31"] == expected_identifier(left, _forward())
    assert after["32"] == expected_identifier(right, _forward())
    assert before["3"] not in after.values() and after["31"] != after["32"]
    assert links["child_key"].tolist() == ["25645-7-31", "25645-7-32"]
    assert set(links["parent_key"]) == {"25645-7-3"}
    assert set(links["parent_id"]) == {_ended_ids(register_db)["3"]}
    assert set(links["parent_national_id"]) == {before["3"]}
    assert links["child_national_id"].tolist() == [after["31"], after["32"]]
    assert set(links["kind"]) == {"split"} and set(links["evidence"]) == {"source"}
    assert links["on_date"].notna().all()

    with UnitOfWork(register_db) as uow:  # a second reconcile adds nothing
        reconcile(uow)
    assert len(_lineage(register_db)) == 2

    with UnitOfWork(register_db) as uow:  # the record shows it; the old identifier leads on
        child = uow.session.scalar(select(ParcelRow.id).where(ParcelRow.source_key == "31"))
        [parent] = parcel_record(uow, child)["lineage"]["parents"]
        with pytest.raises(NotFoundError) as gone:
            national_ids.parcel_id_with(uow, before["3"])
    assert (parent["key"], parent["national_id"], parent["kind_vi"]) == (
        "25645-7-3",
        before["3"],
        "tách thửa",
    )
    assert f"25645-7-31 ({after['31']})" in gone.value.detail_vi
    assert "25645-7-32" in str(gone.value)


def test_a_merger_is_found_from_the_ground_when_the_file_does_not_say(register_db, tmp_path):
    shapes = {k: _cell(k) for k in range(1, 4)}
    shapes[3] = shapely.affinity.translate(shapes[2], 20, 0)  # 2 and 3 share an edge
    _deliver(register_db, tmp_path, shapes)
    before = _identifiers(register_db)
    merged = shapely.union(shapes[2], shapes[3])
    _deliver(register_db, tmp_path, {1: shapes[1], 23: merged})

    links = _lineage(register_db)
    ended = _ended_ids(register_db)
    assert links["parent_key"].tolist() == ["25645-7-2", "25645-7-3"]
    assert links["parent_id"].tolist() == [ended["2"], ended["3"]]
    assert links["parent_national_id"].tolist() == [before["2"], before["3"]]
    assert set(links["child_key"]) == {"25645-7-23"}
    assert set(links["kind"]) == {"merge"} and set(links["evidence"]) == {"geometry"}
    assert _identifiers(register_db)["23"] not in before.values()


def test_a_parcel_kept_in_place_while_a_neighbour_is_drawn_is_not_a_child(register_db, tmp_path):
    shapes = {k: _cell(k) for k in range(1, 4)}
    _deliver(register_db, tmp_path, shapes)
    # parcel 3 removed and a new parcel 4 drawn far away: no ground shared, no lineage
    _deliver(register_db, tmp_path, {1: shapes[1], 2: shapes[2], 4: _cell(9)})
    assert _lineage(register_db).empty


def test_a_child_that_keeps_its_parents_point_gets_an_identifier_of_its_own(register_db, tmp_path):
    x, y = ORIGIN
    square = shapely.Polygon([(x, y), (x + 40, y + 1), (x + 41, y + 39), (x + 2, y + 40)])
    tail = shapely.box(x + 40.5, y + 10, x + 90, y + 16)
    parent = shapely.union(square, tail)
    assert expected_identifier(parent, _forward()) == expected_identifier(square, _forward())
    _deliver(register_db, tmp_path, {1: parent})
    held = _identifiers(register_db)["1"]

    kept = shapely.difference(parent, shapely.box(x + 41.5, y, x + 100, y + 50))
    cut = shapely.difference(parent, kept)
    _deliver(register_db, tmp_path, {11: kept, 12: cut}, ThuaGoc={11: "1", 12: "1"})

    after = _identifiers(register_db)
    assert expected_identifier(kept, _forward()) == held  # the same point as the parent's...
    assert after["11"] != held and after["11"] is not None  # ...but never the same identifier
    assert _point_of(after["11"]).within(shapely.buffer(kept, 0.05))
    assert set(_lineage(register_db)["kind"]) == {"split"}


def _point_of(identifier: str) -> shapely.Point:
    import numpy as np

    from spatial.national_id import identifier_points

    return identifier_points(np.array([identifier], dtype=object), 9209)[0]


def test_a_parent_with_rights_from_the_register_is_retired_with_them(register_db, tmp_path):
    shapes = {k: _cell(k) for k in range(1, 3)}
    _deliver(register_db, tmp_path / "map", shapes)
    register = tmp_path / "register" / "so_muc_ke_xa.csv"
    register.parent.mkdir()
    register.write_text(
        "MA_XA;TO;THUA;CHU;CCCD;DT_PHAP_LY;MDSD;TY_LE;SO_GCN\n"
        "25645;7;1;Trần Văn Một;072090123401;300;ONT;100;CS 700001\n"
        "25645;7;2;Lê Thị Hai;072090123402;300;LUC;100;CS 700002\n",
        encoding="utf-8",
    )
    profile = register.parent / "register_xa.toml"
    profile.write_text(REGISTER_PROFILE, encoding="utf-8")
    ingest_path(register_db, register, IngestOptions(profile=str(profile)))
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
        parcel_id = uow.session.scalar(select(ParcelRow.id).where(ParcelRow.source_key == "2"))
        assert uow.session.scalars(
            select(RightRow.id).where(RightRow.parcel_id == parcel_id)
        ).all()  # the register gave parcel 2 its holder's right
    halves = [shapely.clip_by_rect(shapes[2], *b) for b in (
        (ORIGIN[0] + 50, ORIGIN[1], ORIGIN[0] + 60, ORIGIN[1] + 30),
        (ORIGIN[0] + 60, ORIGIN[1], ORIGIN[0] + 80, ORIGIN[1] + 30),
    )]  # fmt: skip
    _deliver(register_db, tmp_path / "map", {1: shapes[1], 21: halves[0], 22: halves[1]})

    assert set(_identifiers(register_db)) == {"1", "21", "22"}  # the parent left
    rights = HISTORY_TABLES["land_right"]
    with UnitOfWork(register_db) as uow:
        current = uow.session.scalars(
            select(RightRow.id).where(RightRow.parcel_id == parcel_id)
        ).all()
        ended = uow.session.scalars(select(rights.c.id).where(rights.c.parcel_id == parcel_id))
        assert current == [] and len(ended.all()) == 1  # the right went to history with it
    links = _lineage(register_db)
    assert set(links["kind"]) == {"split"} and set(links["evidence"]) == {"geometry"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("25459-12-345", ["25459-12-345"]),
        ("12/345", ["25645-12-345"]),
        ("Tờ 12 thửa 345", ["25645-12-345"]),
        ("thửa 345 tờ 12; thửa 346 tờ 12", ["25645-12-345", "25645-12-346"]),
        ("12-345 và 12-346", ["25645-12-345", "25645-12-346"]),
        ("Thửa 5 + thửa 6", ["25645-7-5", "25645-7-6"]),
        ("3", ["25645-7-3"]),
        ("ghi chú của cán bộ", []),
        ("0", []),
        (None, []),
    ],
)
def test_parents_are_read_as_offices_write_them(written, expected):
    assert [str(k) for k in parent_keys(written, "25645", 7)] == expected


def test_lineage_rows_outlive_their_parcels(register_db, tmp_path):
    shapes = {1: _cell(1)}
    _deliver(register_db, tmp_path, shapes)
    halves = [shapely.clip_by_rect(shapes[1], *b) for b in (
        (ORIGIN[0], ORIGIN[1], ORIGIN[0] + 35, ORIGIN[1] + 30),
        (ORIGIN[0] + 35, ORIGIN[1], ORIGIN[0] + 60, ORIGIN[1] + 30),
    )]  # fmt: skip
    _deliver(register_db, tmp_path, {11: halves[0], 12: halves[1]}, ThuaGoc={11: "1", 12: "1"})
    # the children merged again later: the first links stay, the merger adds two
    _deliver(register_db, tmp_path, {13: shapes[1]}, ThuaGoc={13: "11; 12"})
    with UnitOfWork(register_db) as uow:
        rows = uow.session.execute(
            select(
                ParcelLineageRow.parent_key, ParcelLineageRow.child_key, ParcelLineageRow.kind
            ).order_by(ParcelLineageRow.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("25645-7-1", "25645-7-11", "split"),
        ("25645-7-1", "25645-7-12", "split"),
        ("25645-7-11", "25645-7-13", "merge"),
        ("25645-7-12", "25645-7-13", "merge"),
    ]
