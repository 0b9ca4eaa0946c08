"""Ingest on PostGIS: every format and encoding of the sample data, idempotency, diffs, and
bad input that is quarantined or refused without losing anything else."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

import geopandas as gpd
import pyogrio
import shapely
from geoalchemy2.shape import to_shape

from ingest.encodings import encode_tcvn3
from landreg.domain.delivery import IngestOptions
from landreg.domain.model import Party, PartyKind, Right
from landreg.errors import CRSError, ValidationError
from landreg.services.holders import grant_right, register_party
from landreg.services.sources import ingest_folder, ingest_path
from landreg.store.tables import (
    DossierDocumentRow,
    DossierEventRow,
    DossierRow,
    MapStripRow,
    ParcelRow,
    QuarantineRow,
    RegisterEntryRow,
    SourceBatchRow,
)
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
TN = SAMPLE / "maps" / "tay_ninh_cu"
LA = SAMPLE / "maps" / "long_an_cu"


def _ingest(db, path, **options):
    return ingest_path(db, Path(path), IngestOptions(**options))


def _count(db, table, *where):
    with UnitOfWork(db) as uow:
        return uow.session.scalar(select(func.count()).select_from(table).where(*where))


def _parcels(db, source_like):
    with UnitOfWork(db) as uow:
        rows = uow.session.scalars(
            select(ParcelRow).where(ParcelRow.source_name.like(source_like)).order_by(ParcelRow.id)
        ).all()
        return [
            (
                r.commune_code,
                r.map_sheet,
                r.parcel_number,
                r.address,
                to_shape(r.geom),
                r.source_row,
                r.source_srid,
                r.intake_notes,
            )
            for r in rows
        ]


@pytest.fixture
def units(postgis):
    [result] = _ingest(postgis, SAMPLE / "admin" / "units.gpkg")
    assert result.changed >= 15
    return postgis


def test_geopackage_in_tm3_105_45_is_reprojected_into_the_register(units):
    [parcels, strips] = _ingest(units, LA / "27712_phuong_tan_an.gpkg")
    assert parcels.added > 50 and strips.added >= 1 and parcels.quarantined == 0
    stored = _parcels(units, "%27712_phuong_tan_an:thua_dat")
    assert len(stored) == parcels.added
    assert {s[6] for s in stored} == {9210}
    frame = pyogrio.read_dataframe(LA / "27712_phuong_tan_an.gpkg", layer="thua_dat")
    first = frame.iloc[0]
    ours = next(s for s in stored if s[1] == first["so_to_bd"] and s[2] == first["so_thua"])
    expected = reproject(first.geometry, 9210, 9209)
    assert (
        ours[4]
        .normalize()
        .equals_exact(
            shapely.MultiPolygon([expected]).normalize()
            if expected.geom_type == "Polygon"
            else expected,
            1e-6,
        )
    )


@pytest.mark.parametrize(
    ("path", "encoding", "word"),
    [
        (TN / "25630_xa_tan_bien" / "ThuaDat.shp", "TCVN3", "Tân Biên"),
        (LA / "27790_xa_hung_dien" / "thua_dat.shp", "VNI", "Hưng Điền"),
    ],
)
def test_legacy_encodings_in_shapefiles_become_unicode(units, path, encoding, word):
    [result] = [r for r in _ingest(units, path) if r.source_name.startswith("map:")]
    assert any(f"from {encoding}" in note for note in result.warnings)
    addresses = [s[3] for s in _parcels(units, f"map:{path.parent.name}/%")]
    assert addresses and all(word.lower() in a.lower() for a in addresses if a)


def test_geojson_in_wgs84_lands_in_its_commune(units):
    results = _ingest(units, LA / "27736_phuong_khanh_hau" / "thua_dat.geojson")
    stored = _parcels(units, "map:27736_phuong_khanh_hau/%")
    assert results[0].added == len(stored) > 50 and {s[6] for s in stored} == {4326}
    with UnitOfWork(units) as uow:
        commune = uow.session.scalar(select(func.ST_AsBinary(ParcelRow.geom)).limit(1))
    assert commune is not None
    # unclosed rings are closed on intake, and the record says so
    notes = [n for s in stored for n in (s[7] or [])]
    assert any(note.startswith("ring_not_closed") for note in notes)


def test_towgs84_sign_error_is_recognised_and_reported(units):
    results = _ingest(units, TN / "25567_phuong_long_hoa" / "ThuaDat.shp")
    assert any("signs flipped" in note for note in results[0].warnings)


def test_layer_in_the_wrong_crs_is_stopped_with_the_likely_crs_and_nothing_stored(units):
    path = TN / "25480_phuong_binh_minh.gpkg"
    before = _count(units, ParcelRow)
    with pytest.raises(CRSError) as caught:
        _ingest(units, path)
    assert "EPSG:3405" in caught.value.detail and "--crs" in caught.value.detail
    assert _count(units, ParcelRow) == before
    assert _count(units, SourceBatchRow, SourceBatchRow.file_name == path.name) == 0
    confirmed = _ingest(units, path, crs="EPSG:3405")
    assert confirmed[0].added > 0 and "confirmed" in " ".join(confirmed[0].warnings)


def test_layer_without_any_crs_is_stopped_naming_the_candidate(units, tmp_path):
    folder = tmp_path / "25459_no_prj"
    shutil.copytree(TN / "25630_xa_tan_bien", folder)
    (folder / "ThuaDat.prj").unlink()
    with pytest.raises(CRSError) as caught:
        _ingest(units, folder / "ThuaDat.shp")
    assert "declares no CRS" in caught.value.detail and "EPSG:9209" in caught.value.detail


def test_same_file_twice_changes_nothing_and_says_so(units):
    path = TN / "25459_phuong_tan_ninh.gpkg"
    first = _ingest(units, path)
    batches, parcels = _count(units, SourceBatchRow), _count(units, ParcelRow)
    again = _ingest(units, path)
    assert [r.status for r in first] == ["loaded", "loaded"]
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert (_count(units, SourceBatchRow), _count(units, ParcelRow)) == (batches, parcels)


def test_a_newer_delivery_gives_a_diff_and_keeps_old_versions(units, tmp_path):
    path = tmp_path / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
    path.parent.mkdir()
    frame = pyogrio.read_dataframe(TN / "25459_phuong_tan_ninh.gpkg", layer="ThuaDat")
    pyogrio.write_dataframe(frame, path, layer="ThuaDat")
    _ingest(units, path)
    changed = frame.copy()
    changed.loc[0, "LoaiDat"] = "TMD"
    changed.loc[1, "geometry"] = shapely.affinity.translate(changed.loc[1, "geometry"], 0.5, 0)
    gone = changed.loc[2, "OBJECTID"]
    changed = changed.drop(index=2)
    extra = changed.iloc[[3]].copy()
    extra["OBJECTID"] = 99_999
    changed = pd.concat([changed, extra])
    path.unlink()
    pyogrio.write_dataframe(changed, path, layer="ThuaDat")
    [result] = _ingest(units, path)
    assert (result.added, result.changed, result.removed) == (1, 2, 1)
    assert result.unchanged == len(frame) - 3
    assert str(gone) in result.removed_keys
    with UnitOfWork(units) as uow:
        row = uow.session.scalar(
            select(ParcelRow).where(
                ParcelRow.source_name.like("%25459_phuong_tan_ninh:ThuaDat"),
                ParcelRow.source_key == str(frame.loc[0, "OBJECTID"]),
            )
        )
        versions = uow.parcels.versions(row.id)
    assert [v.land_use_code for v in versions] == [frame.loc[0, "LoaiDat"], "TMD"]


def test_a_parcel_missing_from_a_delivery_but_held_by_a_right_stays_and_says_so(units, tmp_path):
    path = tmp_path / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
    path.parent.mkdir()
    frame = pyogrio.read_dataframe(TN / "25459_phuong_tan_ninh.gpkg", layer="ThuaDat")
    pyogrio.write_dataframe(frame, path, layer="ThuaDat")
    _ingest(units, path)
    held = str(frame.loc[2, "OBJECTID"])
    with UnitOfWork(units) as uow:
        parcel_id = uow.session.scalar(select(ParcelRow.id).where(ParcelRow.source_key == held))
        party_id = register_party(
            uow, Party(PartyKind.INDIVIDUAL, "Nguyễn Văn An", "072085001234"), actor="officer"
        )
        grant_right(uow, Right(parcel_id, party_id), actor="officer")
    path.unlink()
    pyogrio.write_dataframe(frame.drop(index=[2, 3]), path, layer="ThuaDat")
    [result] = _ingest(units, path)
    assert result.removed == 1 and held not in result.removed_keys
    assert any(
        "1 records missing from this delivery still have rights" in w and "vẫn giữ hiện hành" in w
        for w in result.warnings
    )
    assert _count(units, ParcelRow, ParcelRow.id == parcel_id) == 1


def test_register_csv_and_xlsx_with_their_own_headings(postgis):
    [csv_result] = _ingest(postgis, SAMPLE / "register" / "so_dia_chinh_tay_ninh_cu.csv")
    [xlsx_result] = _ingest(postgis, SAMPLE / "register" / "so_dia_chinh_long_an_cu.xlsx")
    assert csv_result.added > 1000 and xlsx_result.added > 500
    with UnitOfWork(postgis) as uow:
        entry = uow.session.scalar(
            select(RegisterEntryRow).where(RegisterEntryRow.source_row == "27694 Phường Long An!1")
        )
        assert (entry.commune_code, entry.map_sheet, entry.parcel_number) == ("27694", 1, 1)
        assert entry.holder_name and entry.certificate_serial and entry.legal_area > 0
        written = uow.session.execute(
            select(RegisterEntryRow.parcel_number_text, RegisterEntryRow.parcel_number).where(
                RegisterEntryRow.parcel_number_text.like("%.%")
                | RegisterEntryRow.parcel_number_text.like("%,%")
            )
        ).all()
    # "1.234" and "1,234" are read as 1234, and the written form is kept beside it
    assert written
    assert all(int(text.replace(".", "").replace(",", "")) == n for text, n in written)


def test_dossier_exports_with_documents_and_event_histories(postgis):
    [csv_result] = _ingest(postgis, SAMPLE / "dossiers" / "ho_so_2021_2022.csv")
    [json_result] = _ingest(postgis, SAMPLE / "dossiers" / "ho_so_2023.json")
    assert csv_result.added > 500 and json_result.added > 200
    assert csv_result.quarantined == json_result.quarantined == 0
    with UnitOfWork(postgis) as uow:
        for code_year in ("-21", "-23"):
            dossier = uow.session.scalar(
                select(DossierRow)
                .where(DossierRow.code.like(f"%{code_year}0%"))
                .order_by(DossierRow.id)
                .limit(1)
            )
            events = uow.session.scalars(
                select(DossierEventRow)
                .where(DossierEventRow.dossier_id == dossier.id)
                .order_by(DossierEventRow.at)
            ).all()
            documents = uow.session.scalar(
                select(func.count())
                .select_from(DossierDocumentRow)
                .where(DossierDocumentRow.dossier_id == dossier.id)
            )
            assert events and events[0].at >= dossier.received_at.replace(second=0)
            assert events[-1].to_status == dossier.status
            assert documents >= 1 and dossier.procedure and dossier.due_on


def test_csv_with_broken_rows_quarantines_them_and_loads_the_rest(postgis, tmp_path):
    source = SAMPLE / "register" / "so_dia_chinh_tay_ninh_cu.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    broken = [lines[0], lines[1], lines[2][:40], lines[3].replace(",1,", ",1x,", 1), *lines[4:30]]
    path = tmp_path / "register" / "so_dia_chinh_broken.csv"
    path.parent.mkdir()
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    [result] = _ingest(postgis, path)
    assert result.quarantined == 2
    assert result.added == len(broken) - 1 - 2
    assert set(result.by_reason) == {
        "sai số cột / wrong number of fields",
        "số tờ bản đồ phải là số nguyên dương / map_sheet must be a whole number of 1 or more",
    }
    with UnitOfWork(postgis) as uow:
        kept = uow.session.scalars(
            select(QuarantineRow).where(QuarantineRow.batch_id == result.batch_id)
        ).all()
        assert {q.row_ref for q in kept} == {"line 3", "line 4"}
        assert all(q.raw for q in kept)


def test_csv_in_a_legacy_encoding_is_converted(postgis, tmp_path):
    source = SAMPLE / "register" / "so_dia_chinh_tay_ninh_cu.csv"
    text = "\n".join(source.read_text(encoding="utf-8-sig").splitlines()[:20]) + "\n"
    path = tmp_path / "register" / "so_dia_chinh_tcvn3.csv"
    path.parent.mkdir()
    path.write_bytes(encode_tcvn3(text.replace("Ấ", "ấ")))
    [result] = _ingest(postgis, path)
    assert result.added == 19 and any("TCVN3" in note for note in result.warnings)
    with UnitOfWork(postgis) as uow:
        names = uow.session.scalars(
            select(RegisterEntryRow.holder_name).where(
                RegisterEntryRow.source_batch_id == result.batch_id
            )
        ).all()
    assert any("ễ" in n or "ư" in n or "ơ" in n for n in names)


@pytest.mark.parametrize("damage", ["truncated", "not a map"])
def test_a_file_that_cannot_be_read_changes_nothing(postgis, tmp_path, damage):
    path = tmp_path / "maps" / "bad.gpkg"
    path.parent.mkdir()
    data = (TN / "25459_phuong_tan_ninh.gpkg").read_bytes()
    path.write_bytes(data[: len(data) // 3] if damage == "truncated" else b"hello" * 100)
    before = (_count(postgis, ParcelRow), _count(postgis, SourceBatchRow))
    with pytest.raises(ValidationError):
        _ingest(postgis, path)
    assert (_count(postgis, ParcelRow), _count(postgis, SourceBatchRow)) == before


def test_an_unreadable_map_in_a_folder_is_stopped_and_the_rest_loads(units, tmp_path):
    shutil.copy(TN / "25459_phuong_tan_ninh.gpkg", tmp_path / "good.gpkg")
    (tmp_path / "broken.gpkg").write_bytes(b"hello" * 100)
    loaded, stopped = ingest_folder(units, tmp_path, IngestOptions())
    assert {path.name for path, _ in loaded} == {"good.gpkg"}
    assert [(path.name, error.field) for path, error in stopped] == [("broken.gpkg", "path")]
    assert _count(units, ParcelRow, ParcelRow.source_name.like("%good%")) > 100


def test_every_record_traces_back_to_its_file_and_row(units):
    _ingest(units, TN / "25459_phuong_tan_ninh.gpkg")
    with UnitOfWork(units) as uow:
        row, file_name, digest, layer = uow.session.execute(
            select(
                ParcelRow.source_row,
                SourceBatchRow.file_name,
                SourceBatchRow.sha256,
                SourceBatchRow.layer,
            )
            .join(SourceBatchRow, SourceBatchRow.id == ParcelRow.source_batch_id)
            .where(ParcelRow.source_key == "7", ParcelRow.source_name.like("%25459%"))
        ).one()
        strips = uow.session.scalar(select(func.count()).select_from(MapStripRow))
    assert file_name == "25459_phuong_tan_ninh.gpkg" and len(digest) == 64
    assert row == "7" and layer == "ThuaDat"
    assert strips >= 1


def _drawing(path, labelled):
    """A DXF as CAD users draw parcels: closed polylines, numbers as text inside."""
    frame = pyogrio.read_dataframe(TN / "25459_phuong_tan_ninh.gpkg", layer="ThuaDat").head(12)
    lines = gpd.GeoDataFrame(geometry=frame.geometry.boundary.explode().to_numpy())
    texts = [f'LABEL(f:"Arial",t:"{s}/{n}")' for s, n in zip(frame.SoTo, frame.SoThua, strict=True)]
    labels = gpd.GeoDataFrame(
        {"OGR_STYLE": texts}, geometry=frame.geometry.representative_point().to_numpy()
    ).head(labelled)
    drawing = gpd.GeoDataFrame(pd.concat([lines, labels], ignore_index=True))
    with warnings.catch_warnings():  # a drawing has no CRS: that is the point
        warnings.simplefilter("ignore", UserWarning)
        pyogrio.write_dataframe(drawing, path, driver="DXF")
    return frame


def test_cad_drawing_needs_its_crs_confirmed_and_takes_numbers_from_labels(units, tmp_path):
    path = tmp_path / "25459_ban_ve.dxf"
    frame = _drawing(path, labelled=10)
    with pytest.raises(CRSError) as caught:
        _ingest(units, path, commune="25459")
    assert caught.value.candidates[0] == 9209
    [result] = _ingest(units, path, commune="25459", crs="EPSG:9209")
    assert result.added == 12 and result.quarantined == 0
    assert any("provisional" in note for note in result.warnings)
    stored = _parcels(units, "map:%25459_ban_ve")
    numbered = {(s[1], s[2]) for s in stored if s[2] is not None}
    assert numbered == set(zip(frame.SoTo.head(10), frame.SoThua.head(10), strict=True))
    assert sum(s[2] is None for s in stored) == 2


def test_cad_drawing_without_a_commune_is_refused(units, tmp_path):
    path = tmp_path / "ban_ve.dxf"
    _drawing(path, labelled=3)
    with pytest.raises(ValidationError) as caught:
        _ingest(units, path, crs="EPSG:9209")
    assert caught.value.field == "commune"


def test_microstation_dgn_drawing_is_read_like_a_dxf(units):
    """A DGN v7 fixture written by GDAL from the same twelve parcels, ten of them labelled."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "25459_ban_ve.dgn"
    [result] = _ingest(units, path, commune="25459", crs="EPSG:9209", source="map:dgn-test")
    assert (result.added, result.quarantined) == (12, 0)
    stored = _parcels(units, "map:dgn-test")
    frame = pyogrio.read_dataframe(TN / "25459_phuong_tan_ninh.gpkg", layer="ThuaDat").head(10)
    assert {(s[1], s[2]) for s in stored if s[2]} == set(zip(frame.SoTo, frame.SoThua, strict=True))


def test_one_layer_covering_several_communes_is_checked_against_all_of_them(units, tmp_path):
    frames = [
        pyogrio.read_dataframe(LA / name, layer="thua_dat")
        for name in ("27694_phuong_long_an.gpkg", "27712_phuong_tan_an.gpkg")
    ]
    both = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    both["objectid"] = range(1, len(both) + 1)
    path = tmp_path / "long_an_cu" / "tan_an_two_wards.gpkg"
    path.parent.mkdir()
    pyogrio.write_dataframe(both, path, layer="thua_dat")
    [result] = _ingest(units, path)
    assert result.added == len(both) and result.quarantined == 0
    stored = _parcels(units, "map:long_an_cu/tan_an_two_wards%")
    assert {s[0] for s in stored} == {"27694", "27712"}


def test_a_large_first_load_rebuilds_indexes_and_keys_once(postgis, monkeypatch):
    """Large batches load without the secondary indexes and keys, then rebuild them."""
    from sqlalchemy import text

    from landreg.store import bulk

    monkeypatch.setattr(bulk, "REBUILD_ROWS", 10)
    rebuilt = []
    original = bulk._indexes_rebuilt

    def counted(session, table):
        rebuilt.append(table.name)
        return original(session, table)

    monkeypatch.setattr(bulk, "_indexes_rebuilt", counted)

    def definitions():
        with UnitOfWork(postgis) as uow:
            indexes = set(
                uow.session.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE tablename = 'parcel'")
                ).scalars()
            )
            keys = set(
                uow.session.execute(
                    text(
                        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = 'parcel'::regclass"
                    )
                ).scalars()
            )
        return indexes, keys

    before = definitions()
    [result, _] = _ingest(postgis, TN / "25459_phuong_tan_ninh.gpkg")
    assert result.added > 100
    assert "parcel" in rebuilt
    assert definitions() == before
    assert any("gist" in d for d in before[0]) and any("FOREIGN KEY" in k for k in before[1])
