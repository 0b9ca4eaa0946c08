"""The committed sample data set: reproducible, internally consistent, defects as documented."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import pyogrio
import rasterio
import shapely
from pyproj import CRS, Transformer

from landreg.domain.identifiers import CertificateSerial, IdentityNumber, ParcelKey
from landreg.domain.reference import communes, current_land_use_code, procedures_config
from sample_data.crs import cadastral_proj4, transform_geometries
from sample_data.encodings import decode_tcvn3, decode_vni, tcvn3_round_trip
from sample_data.generator import RATES, generate
from sample_data.places import FOLK_TERMS

SMALL = Path(__file__).resolve().parents[2] / "sample_data" / "small"
MAP_KINDS = {
    "overlap",
    "overlap_sliver",
    "gap",
    "duplicate_exact",
    "duplicate_near",
    "invalid_self_intersection",
    "invalid_repeated_ring",
    "invalid_spike",
    "invalid_ring_not_closed",
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((SMALL / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SMALL / "ground_truth.json").read_text(encoding="utf-8"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _read(path: Path, layer: str | None = None):
    legacy = path.suffix == ".shp" and path.parent.name in (
        "25630_xa_tan_bien",
        "27790_xa_hung_dien",
    )
    with warnings.catch_warnings():  # the planted unclosed rings make GDAL warn
        warnings.simplefilter("ignore", RuntimeWarning)
        # Legacy DBF text is read as Latin-1 (bytes kept as they are), decoded by the tests.
        return pyogrio.read_dataframe(
            path, layer=layer, on_invalid="fix", encoding="latin1" if legacy else None
        )


def _parcel_entries(manifest: dict) -> list[dict]:
    return [f for f in manifest["files"] if f["kind"] == "map" and f["role"] == "parcels"]


def _entry(manifest: dict, path: str, role: str = "parcels") -> dict:
    return next(f for f in manifest["files"] if f["path"] == path and f.get("role") == role)


def test_regenerating_gives_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path)
    fresh, committed = _files(tmp_path), _files(SMALL)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in committed if fresh[name] != committed[name]]
    assert changed == []


def test_every_defect_kind_is_planted_several_times(truth: dict) -> None:
    counts = Counter(d["kind"] for d in truth["defects"])
    assert set(counts) == set(RATES)
    assert min(counts.values()) >= 3


def test_map_defect_records_exist_in_their_files(truth: dict) -> None:
    cache: dict[tuple, dict] = {}
    for defect in (d for d in truth["defects"] if any("layer" in r for r in d["records"])):
        for ref in (r for r in defect["records"] if "layer" in r):
            key = (ref["source"], ref["layer"])
            if key not in cache:
                frame = _read(SMALL / ref["source"], ref["layer"])
                cache[key] = {
                    int(i): row
                    for i, row in zip(frame[ref["id_field"]], frame.itertuples(), strict=True)
                }
            row = cache[key][ref["id"]]
            fields = row._fields
            sheet, number = (getattr(row, f) for f in fields if f in ("SoTo", "so_to_bd")), None
            sheet = next(sheet)
            number = next(getattr(row, f) for f in fields if f in ("SoThua", "so_thua"))
            commune = next(getattr(row, f) for f in fields if f in ("MaXa", "ma_xa"))
            assert str(ParcelKey.parse(commune, sheet, number)) == ref["parcel_key"]


def _register_rows() -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    with (SMALL / "register/so_dia_chinh_tay_ninh_cu.csv").open(
        encoding="utf-8-sig", newline=""
    ) as handle:
        for row in csv.DictReader(handle):
            rows[("register/so_dia_chinh_tay_ninh_cu.csv", None, int(row["STT"]))] = {
                "key": (row["Mã xã"], row["Số tờ"], row["Số thửa"]),
                **row,
            }
    book = openpyxl.load_workbook(SMALL / "register/so_dia_chinh_long_an_cu.xlsx", read_only=True)
    for sheet in book.worksheets:
        values = sheet.iter_rows(values_only=True)
        header = next(values)
        for line in values:
            row = dict(zip(header, (*line, *[None] * (len(header) - len(line))), strict=True))
            rows[("register/so_dia_chinh_long_an_cu.xlsx", sheet.title, int(row["STT"]))] = {
                "key": (row["Mã ĐVHC"], row["Tờ bản đồ số"], row["Thửa đất số"]),
                **row,
            }
    return rows


def test_register_and_dossier_records_exist(truth: dict) -> None:
    register = _register_rows()
    dossiers = _dossier_rows()
    for defect in truth["defects"]:
        for ref in defect["records"]:
            if ref["source"].startswith("register/"):
                row = register[(ref["source"], ref.get("sheet"), ref["id"])]
                assert str(ParcelKey.parse(*row["key"])) == ref["parcel_key"]
            if ref["source"].startswith("dossiers/"):
                assert dossiers[(ref["source"], ref["id"])] == ref["dossier_code"]
    assert len(truth["dossier_links"]) == len(dossiers)


def _dossier_rows() -> dict[tuple, str]:
    out = {}
    with (SMALL / "dossiers/ho_so_2021_2022.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            out[("dossiers/ho_so_2021_2022.csv", int(row["STT"]))] = row["Mã hồ sơ"]
    for record in json.loads((SMALL / "dossiers/ho_so_2023.json").read_text(encoding="utf-8")):
        out[("dossiers/ho_so_2023.json", record["stt"])] = record["maHoSo"]
    return out


def _true_crs(entry: dict) -> int | str:
    if entry["true_crs_epsg"]:
        return entry["true_crs_epsg"]
    return "9209_sign_error"


def _planted_ids(truth: dict, source: str) -> set[int]:
    return {
        r["id"]
        for d in truth["defects"]
        if d["kind"] in MAP_KINDS
        for r in d["records"]
        if r["source"] == source
    }


def test_clean_coverage_is_valid_without_overlaps_or_gaps(manifest: dict, truth: dict) -> None:
    for entry in _parcel_entries(manifest):
        frame = _read(SMALL / entry["path"], entry["layer"])
        ids = frame[entry["fields"]["objectid"]].to_numpy()
        geoms = transform_geometries(
            frame.geometry.to_numpy(), _true_crs(entry), entry["cadastral_srid"]
        )
        planted = np.isin(ids, list(_planted_ids(truth, entry["path"])))
        clean = geoms[~planted]
        assert shapely.is_valid(clean).all(), entry["path"]
        tree = shapely.STRtree(clean)
        a, b = tree.query(clean, predicate="intersects")
        pairs = a < b
        overlap = shapely.area(shapely.intersection(clean[a[pairs]], clean[b[pairs]]))
        assert overlap.max(initial=0) < 0.01, entry["path"]
        _assert_no_unplanted_gaps(manifest, entry, geoms, planted)


def _assert_no_unplanted_gaps(manifest, entry, geoms, planted) -> None:
    sheets_entry = next(
        f
        for f in manifest["files"]
        if f.get("role") == "sheets" and f["communes"] == entry["communes"]
    )
    strips_entry = next(
        f
        for f in manifest["files"]
        if f.get("role") == "roads_canals" and f["communes"] == entry["communes"]
    )
    native = entry["cadastral_srid"]
    sheets = _read(SMALL / sheets_entry["path"], sheets_entry["layer"]).geometry.to_numpy()
    strips = _read(SMALL / strips_entry["path"], strips_entry["layer"]).geometry.to_numpy()
    area = shapely.union_all(transform_geometries(sheets, _true_crs(entry), native))
    filled = np.concatenate(
        [
            geoms[~planted],
            shapely.make_valid(geoms[planted][~shapely.is_missing(geoms[planted])]),
            transform_geometries(strips, _true_crs(entry), native),
        ]
    )
    holes = shapely.get_parts(shapely.difference(area, shapely.union_all(filled)))
    holes = holes[shapely.area(holes) > 0.01]
    near_planted = shapely.buffer(shapely.envelope(geoms[planted]), 1.0)
    for hole in holes:
        assert shapely.intersects(near_planted, hole).any(), (entry["path"], hole.area)


def test_legacy_encoded_dbf_decodes_with_its_table(manifest: dict) -> None:
    decoders = {"TCVN3": decode_tcvn3, "VNI": decode_vni}
    legacy = [e for e in _parcel_entries(manifest) if e["encoding"] in decoders]
    assert {e["encoding"] for e in legacy} == {"TCVN3", "VNI"}
    for entry in legacy:
        dbf = (SMALL / entry["path"]).with_suffix(".dbf").read_bytes()
        with pytest.raises(UnicodeDecodeError):
            dbf.decode("utf-8")
        text = decoders[entry["encoding"]](dbf[int.from_bytes(dbf[8:10], "little") : -1])
        commune = "Xã Tân Biên" if entry["communes"] == ["25630"] else "Xã Hưng Điền"
        expected = tcvn3_round_trip(commune) if entry["encoding"] == "TCVN3" else commune
        assert text.count(expected) >= entry["feature_count"]
        cpg = (SMALL / entry["path"]).with_suffix(".cpg")
        assert not cpg.exists() or cpg.read_text() != entry["encoding"]


def test_geojson_is_wgs84_with_unclosed_rings_where_planted(manifest: dict, truth: dict) -> None:
    entry = next(e for e in _parcel_entries(manifest) if e["format"] == "geojson")
    document = json.loads((SMALL / entry["path"]).read_text(encoding="utf-8"))
    assert "crs" not in document
    coords = np.array([p for f in document["features"] for p in f["geometry"]["coordinates"][0]])
    assert coords[:, 0].min() > 105.5 and coords[:, 0].max() < 107.0
    assert coords[:, 1].min() > 10.3 and coords[:, 1].max() < 11.0
    open_ids = {
        r["id"]
        for d in truth["defects"]
        if d["kind"] == "invalid_ring_not_closed"
        for r in d["records"]
    }
    for feature in document["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert (ring[0] != ring[-1]) == (feature["properties"]["objectid"] in open_ids)


def test_sign_error_prj_has_flipped_rotations_and_shifted_coordinates(manifest: dict) -> None:
    entry = next(e for e in _parcel_entries(manifest) if "sign" in e["declared_crs"])
    prj = (SMALL / entry["path"]).with_suffix(".prj").read_text()
    params = [float(v) for v in re.search(r"TOWGS84\[([^\]]+)\]", prj).group(1).split(",")]
    assert params[3:6] == [-0.00928836, 0.01975479, -0.00427372]
    assert 'central_meridian",105.5' in prj and "AUTHORITY" not in prj
    declared = CRS.from_proj4(cadastral_proj4(9209, tuple(params)))
    point = shapely.point_on_surface(_read(SMALL / entry["path"]).geometry.iloc[0])
    lon, lat = Transformer.from_crs(declared, 4326, always_xy=True).transform(point.x, point.y)
    x, y = Transformer.from_crs(4326, 9209, always_xy=True).transform(lon, lat)
    assert 0.4 < np.hypot(x - point.x, y - point.y) < 0.7  # read as EPSG:9209, ~0.56 m off


def test_wrong_crs_commune_lies_in_utm_48n(manifest: dict) -> None:
    geo = next(f for f in manifest["files"] if f["kind"] == "admin")
    entry = next(e for e in _parcel_entries(manifest) if e["true_crs_epsg"] == 3405)
    assert entry["declared_crs"] == "EPSG:9209"
    path = SMALL / entry["path"]
    assert pyogrio.read_info(path, layer=entry["layer"])["crs"] == "EPSG:9209"
    communes = _read(SMALL / geo["path"], "communes").set_index("code")
    boundary = communes.geometry[entry["communes"][0]]
    parcels = _read(path, entry["layer"]).geometry.to_numpy()
    as_utm = shapely.contains(transform_geometries(np.array([boundary]), 9209, 3405)[0], parcels)
    as_declared = shapely.contains(boundary, parcels)
    assert as_utm.all() and not as_declared.any()


def test_crs_of_every_gpkg_matches_the_manifest(manifest: dict) -> None:
    for entry in (e for e in manifest["files"] if e["format"] == "gpkg" and e["kind"] == "map"):
        info = pyogrio.read_info(SMALL / entry["path"], layer=entry.get("layer") or "communes")
        assert info["crs"] == entry["declared_crs"]


def test_gpkg_and_tiff_carry_the_fixed_date(manifest: dict) -> None:
    gpkg = SMALL / _parcel_entries(manifest)[0]["path"]
    with sqlite3.connect(gpkg) as db:
        stamps = {row[0] for row in db.execute("select last_change from gpkg_contents")}
    assert stamps == {"2025-11-27T00:00:00Z"}
    with rasterio.open(SMALL / "rasters/quy_hoach_su_dung_dat_25645.tif") as planning:
        assert planning.crs.to_epsg() == 9209 and "TIFFTAG_DATETIME" not in planning.tags()


def test_identity_numbers_and_serials_are_valid_unless_planted(truth: dict) -> None:
    register = _register_rows()
    bad = {(r["source"], r.get("sheet"), r["id"]) for d in truth["defects"]
           if d["kind"] == "invalid_identity_number" for r in d["records"]}  # fmt: skip
    kinds = Counter()
    for ref, row in register.items():
        identity = row.get("Số CCCD") or row.get("Số CMND/CCCD")
        serial = row.get("Số phát hành GCN") or row.get("Số seri GCN")
        if serial:
            kinds[CertificateSerial.parse(serial).form] += 1
        if identity and ref not in bad:
            kinds[IdentityNumber.parse(str(identity)).kind] += 1
        elif ref in bad:
            with pytest.raises(ValueError):
                IdentityNumber.parse(str(identity))
    assert min(kinds["cccd"], kinds["cmnd"], kinds["2014"], kinds["2024"]) > 10


def test_planning_conflicts_request_a_use_the_raster_does_not_plan(truth: dict) -> None:
    classes = dict(
        line.split(",") for line in (SMALL / "rasters/planning_classes.csv").read_text().split()[1:]
    )
    conflicts = [d for d in truth["defects"] if d["kind"] == "planning_conflict"]
    assert conflicts
    for defect in conflicts:
        assert defect["details"]["requested_use"] != defect["details"]["planned_use"]
        assert defect["details"]["planned_use"] in classes.values()


def _map_parcels(manifest: dict) -> dict[str, list]:
    """Parcel key → (land-use code, area in the cadastral CRS) of every map feature."""
    out: dict[str, list] = {}
    for entry in _parcel_entries(manifest):
        frame, fields = _read(SMALL / entry["path"], entry["layer"]), entry["fields"]
        geoms = transform_geometries(
            frame.geometry.to_numpy(), _true_crs(entry), entry["cadastral_srid"]
        )
        keys = [
            str(ParcelKey.parse(c, s, n))
            for c, s, n in zip(frame[fields["commune_code"]], frame[fields["sheet"]],
                               frame[fields["number"]], strict=True)
        ]  # fmt: skip
        for key, code, area in zip(
            keys, frame[fields["land_use"]], shapely.area(geoms), strict=True
        ):
            out.setdefault(key, []).append((code, area))
    return out


def _meaning(code: str) -> str | None:
    """The current code a written land use means (residential kinds merged), None if unknown."""
    folk = {term: current for current, term in FOLK_TERMS.items()}
    try:
        current = folk.get(str(code).strip()) or current_land_use_code(str(code))
    except ValueError:
        return None
    return "residential" if current in ("ONT", "ODT") else current


def test_register_agrees_with_map_except_where_planted(manifest: dict, truth: dict) -> None:
    planted: dict[str, set] = {}
    for defect in truth["defects"]:
        for ref in defect["records"]:
            planted.setdefault(ref.get("parcel_key"), set()).add(defect["kind"])
    mapped, register = _map_parcels(manifest), {}
    for row in _register_rows().values():
        register.setdefault(str(ParcelKey.parse(*row["key"])), []).append(row)
    assert {k for k in register if k not in mapped} == {
        k for k, v in planted.items() if "register_without_map" in v
    }
    assert {k for k in mapped if k not in register} == {
        k for k, v in planted.items() if "map_without_register" in v
    }
    for key, rows in register.items():
        if key not in mapped or planted.get(key):
            continue
        code, area = mapped[key][0]
        legal = float(rows[0].get("Diện tích pháp lý") or rows[0].get("Diện tích (m2)"))
        assert abs(legal - area) < 0.01 * area, key
        written = rows[0].get("Mục đích sử dụng") or rows[0].get("Mục đích SDĐ")
        assert _meaning(code) is not None and _meaning(code) == _meaning(written), key
        shares: Counter = Counter()
        for row in rows:
            serial = row.get("Số phát hành GCN") or row.get("Số seri GCN")
            shares[serial] += int(row.get("Tỷ lệ sở hữu (%)") or row.get("Tỷ lệ (%)"))
        assert set(shares.values()) == {100}, key


def _dossier_details() -> list[dict]:
    out = []
    with (SMALL / "dossiers/ho_so_2021_2022.csv").open(encoding="utf-8-sig", newline="") as handle:
        for r in csv.DictReader(handle, delimiter=";"):
            out.append({"source": "dossiers/ho_so_2021_2022.csv", "id": int(r["STT"]),
                        "procedure": r["Tên thủ tục"], "identity": r["Số CCCD/CMND"],
                        "ref": (r["Xã/Phường"], r["Tờ bản đồ"], r["Thửa đất"]),
                        "documents": r["Giấy tờ đã nộp"].split("|")})  # fmt: skip
    for r in json.loads((SMALL / "dossiers/ho_so_2023.json").read_text(encoding="utf-8")):
        place = r["thuaDat"]
        out.append({"source": "dossiers/ho_so_2023.json", "id": r["stt"],
                    "procedure": r["tenThuTuc"], "identity": r["chuHoSo"]["soGiayTo"],
                    "ref": (place["xaPhuong"], place["soTo"], place["soThua"]),
                    "documents": r["giayToNop"]})  # fmt: skip
    return out


def test_clean_dossiers_point_at_their_parcel_with_holder_and_documents(truth: dict) -> None:
    procedures = procedures_config()["procedures"]
    by_name = {p["name_vi"]: p for p in procedures.values()}
    codes = {unit.name: code for code, unit in communes().items()}
    links = {(x["source"], x["id"]): x["parcel_key"] for x in truth["dossier_links"]}
    planted = {
        (r["source"], r["id"])
        for d in truth["defects"]
        for r in d["records"]
        if "dossier_code" in r
    }
    holders: dict[str, set] = {}
    for row in _register_rows().values():
        identity = row.get("Số CCCD") or row.get("Số CMND/CCCD")
        holders.setdefault(str(ParcelKey.parse(*row["key"])), set()).add(str(identity))
    clean = [d for d in _dossier_details() if (d["source"], d["id"]) not in planted]
    assert len(clean) > 0.9 * len(links)
    for dossier in clean:
        key, procedure = links[(dossier["source"], dossier["id"])], by_name[dossier["procedure"]]
        commune, sheet, number = dossier["ref"]
        commune = codes.get(commune.split(",")[0], commune)
        assert str(ParcelKey.parse(commune, sheet, number)) == key
        assert set(procedure["documents"]) <= set(dossier["documents"])
        if procedure["requires_holder"]:
            assert dossier["identity"] in holders[key]
