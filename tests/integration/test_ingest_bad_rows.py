"""Bad rows of any encoding are quarantined with their reason and raw content, never a failed
job: a register CSV with a NUL byte, a UTF-16 row, TCVN3 and Windows-1258 rows among UTF-8
ones; a map layer with empty and missing geometries. On PostGIS (COPY refuses NUL) and on
SpatiaLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import geopandas as gpd
import pyogrio
import shapely

from ingest.encodings import encode_cp1258, encode_tcvn3
from landreg.domain.delivery import IngestOptions
from landreg.errors import ValidationError
from landreg.services.sources import ingest_path
from landreg.store.tables import ParcelRow, QuarantineRow, RegisterEntryRow, SourceBatchRow
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"

# A register shaped unlike the sample's: its own headings, semicolons, decimal commas.
PROFILE = """
name = "register_bad_rows_test"
kind = "register"
source_key = ["MA_XA", "TO", "THUA", "CHU"]

[fields]
commune_code = "MA_XA"
map_sheet = "TO"
parcel_number = "THUA"
holder_name = "CHU"
legal_area = "DT"
land_use_text = "MDSD"
identity_number = "CCCD"
"""
HEADER = "MA_XA;TO;THUA;CHU;DT;MDSD;CCCD"


def _row(number: int, name: str) -> str:
    return f"25459;7;{number};{name};{100 + number},5;ODT;0790830{number:05d}"


GOOD = {
    2: "Trần Thị Ánh",
    3: "Lê Văn Tám",
    5: "Nguyễn Hữu Phước",
    11: "Phạm Thị Hường",
    12: "Đặng Quốc Bảo",
}


def _register_file(folder: Path) -> Path:
    """Lines 2, 3, 5, 11, 12 are good UTF-8; 4 has a NUL byte; 6 is UTF-16 with a byte-order
    mark, 7 UTF-16-LE with its line end in UTF-16 too; 8 is TCVN3, 9 Windows-1258; 10 has
    a field too many."""
    lines: dict[int, bytes] = {1: HEADER.encode()}
    lines |= {n: _row(n, name).encode() for n, name in GOOD.items()}
    lines[4] = _row(4, "Võ Văn\x00 Kiệt").encode()
    lines[6] = _row(6, "Hồ Thị Lụa").encode("utf-16")
    lines[8] = encode_tcvn3(_row(8, "Bùi Thị Xuân"))
    lines[9] = encode_cp1258(_row(9, "Dương Văn Minh"))
    lines[10] = (_row(10, "Lý Thường Kiệt") + ";thừa").encode()
    data = b""
    for number in range(1, 13):
        if number == 7:  # written by a tool that thinks in UTF-16: its newline is two bytes
            data += (_row(7, "Mạc Đĩnh Chi") + "\n").encode("utf-16-le")
        else:
            data += lines[number] + b"\n"
    path = folder / "register" / "so_muc_ke_bad_rows.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def test_register_rows_in_other_encodings_are_quarantined_and_the_rest_load(register_db, tmp_path):
    profile = tmp_path / "register_bad_rows.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    path = _register_file(tmp_path)
    [result] = ingest_path(register_db, path, IngestOptions(profile=str(profile)))
    assert result.status == "loaded"
    assert result.added == len(GOOD)
    assert result.quarantined == 6
    with UnitOfWork(register_db) as uow:
        status = uow.session.scalar(
            select(SourceBatchRow.status).where(SourceBatchRow.id == result.batch_id)
        )
        names = set(
            uow.session.scalars(
                select(RegisterEntryRow.holder_name).where(
                    RegisterEntryRow.source_batch_id == result.batch_id
                )
            )
        )
        kept = {
            row.row_ref: row
            for row in uow.session.execute(
                select(QuarantineRow.row_ref, QuarantineRow.reason, QuarantineRow.raw).where(
                    QuarantineRow.batch_id == result.batch_id
                )
            )
        }
    assert status == "loaded"
    # the good rows are read as UTF-8, not converted as if the whole file were legacy text
    assert names == set(GOOD.values())
    assert set(kept) == {f"line {n}" for n in (4, 6, 7, 8, 9, 10)}
    assert "NUL" in kept["line 4"].reason
    assert "UTF-16" in kept["line 6"].reason and "UTF-16" in kept["line 7"].reason
    assert all("not in UTF-8" in kept[f"line {n}"].reason for n in (8, 9))
    assert kept["line 10"].reason == "sai số cột / wrong number of fields"
    # raw content kept, safely: the NUL shown, not stored; the UTF-16 rows readable
    assert "\x00" not in kept["line 4"].raw["line"]
    assert "Võ Văn\\x00 Kiệt" in kept["line 4"].raw["line"]
    assert "Hồ Thị Lụa" in kept["line 6"].raw["line"]
    assert "Mạc Đĩnh Chi" in kept["line 7"].raw["line"]
    assert "Bùi Thị Xuân" in kept["line 8"].raw["reads_as"]
    assert all(kept[f"line {n}"].raw["line"] for n in (8, 9))


def test_a_whole_file_in_utf16_is_read(register_db, tmp_path):
    """Excel's "Unicode text" export: the whole file in UTF-16 with a byte-order mark."""
    profile = tmp_path / "register_bad_rows.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    path = tmp_path / "register" / "so_muc_ke_utf16.csv"
    path.parent.mkdir()
    text = "\r\n".join([HEADER, *(_row(n, name) for n, name in GOOD.items())]) + "\r\n"
    path.write_bytes(text.encode("utf-16"))
    [result] = ingest_path(register_db, path, IngestOptions(profile=str(profile)))
    assert (result.added, result.quarantined) == (len(GOOD), 0)
    with UnitOfWork(register_db) as uow:
        names = set(
            uow.session.scalars(
                select(RegisterEntryRow.holder_name).where(
                    RegisterEntryRow.source_batch_id == result.batch_id
                )
            )
        )
    assert names == set(GOOD.values())


def test_empty_geometries_are_quarantined_and_the_crs_check_ignores_them(register_db, tmp_path):
    ingest_path(register_db, SAMPLE / "admin" / "units.gpkg", IngestOptions())
    source = SAMPLE / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
    frame = pyogrio.read_dataframe(source, layer="ThuaDat").head(9)
    holes = frame.head(3).copy()
    holes["OBJECTID"] = [90_001, 90_002, 90_003]
    holes["SoThua"] = [9001, 9002, 9003]
    holes = holes.set_geometry([shapely.Polygon(), shapely.MultiPolygon(), None], crs=frame.crs)
    layer = gpd.GeoDataFrame(
        gpd.pd.concat([frame, holes], ignore_index=True), geometry="geometry", crs=frame.crs
    )
    path = tmp_path / "tay_ninh_cu" / "25459_empty_shapes.gpkg"
    path.parent.mkdir()
    pyogrio.write_dataframe(layer, path, layer="ThuaDat")
    [result] = ingest_path(register_db, path, IngestOptions())
    assert not any("nan" in warning for warning in result.warnings)
    assert (result.added, result.quarantined) == (9, 3)
    with UnitOfWork(register_db) as uow:
        refused = uow.session.execute(
            select(QuarantineRow.reason, QuarantineRow.value).where(
                QuarantineRow.batch_id == result.batch_id
            )
        ).all()
        stored = uow.session.scalars(
            select(ParcelRow.parcel_number).where(ParcelRow.source_batch_id == result.batch_id)
        ).all()
    assert sorted(stored) == sorted(frame["SoThua"].astype(int))
    assert sorted(reason for reason, _ in refused) == [
        "hình học rỗng / empty geometry",
        "hình học rỗng / empty geometry",
        "không có hình học / no geometry",
    ]
    assert all("EMPTY" in value for reason, value in refused if reason.endswith("empty geometry"))


def test_a_layer_of_only_empty_geometries_is_refused_by_name(register_db, tmp_path):
    ingest_path(register_db, SAMPLE / "admin" / "units.gpkg", IngestOptions())
    source = SAMPLE / "maps" / "tay_ninh_cu" / "25459_phuong_tan_ninh.gpkg"
    frame = pyogrio.read_dataframe(source, layer="ThuaDat").head(3)
    frame = frame.set_geometry([shapely.Polygon()] * 3, crs=frame.crs)
    path = tmp_path / "tay_ninh_cu" / "25459_all_empty.gpkg"
    path.parent.mkdir()
    pyogrio.write_dataframe(frame, path, layer="ThuaDat")
    with pytest.raises(ValidationError) as caught:
        ingest_path(register_db, path, IngestOptions())
    assert "no geometry" in caught.value.detail and "nan" not in caught.value.detail


def test_dossier_records_with_a_nul_or_of_the_wrong_shape_are_quarantined(register_db, tmp_path):
    source = SAMPLE / "dossiers" / "ho_so_2023.json"
    records = json.loads(source.read_text(encoding="utf-8-sig"))[:6]
    records[1]["chuHoSo"]["hoTen"] = "Trần\x00 Văn Ơn"
    records[3]["lichSu"][0]["ghiChu"] = "ghi\x00chú"
    records.insert(4, 42)
    path = tmp_path / "dossiers" / "ho_so_2023.json"
    path.parent.mkdir()
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    [result] = ingest_path(register_db, path, IngestOptions())
    assert (result.added, result.quarantined) == (4, 3)
    with UnitOfWork(register_db) as uow:
        kept = dict(
            uow.session.execute(
                select(QuarantineRow.row_ref, QuarantineRow.reason).where(
                    QuarantineRow.batch_id == result.batch_id
                )
            ).all()
        )
    assert kept == {
        "record 2": "bản ghi có ký tự NUL / NUL character in the record",
        "record 4": "bản ghi có ký tự NUL / NUL character in the record",
        "record 5": "bản ghi không phải đối tượng JSON / not a JSON object",
    }
