"""The national parcel identifier (mã định danh thửa đất) on the sample and on layers made here.

The test vector is computed without landreg's code: the pole of inaccessibility by shapely's
``polylabel``, VN-2000 → WGS 84 by a pyproj transformer built here from the province's
published parameters, and GeoHash by the reference encoding written out below.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

import geopandas as gpd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from shapely.ops import polylabel

from landreg.domain.delivery import IngestOptions
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.store.tables import FindingRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork

# EPSG:9209 with EPSG:6960's seven parameters, as the province publishes them.
VN2000_TM3_105_30 = (
    "+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,"
    "0.252906278 +units=m +no_defs"
)
BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
COMMUNE = "25645"
ORIGIN = (590000.0, 1270000.0)


def reference_geohash(lat: float, lon: float, length: int = 12) -> str:
    """Niemeyer's GeoHash, as the public-domain reference encodes it: bisect, interleave
    (longitude first), five bits a character."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    text: list[str] = []
    bits, value, even = 0, 0, True
    while len(text) < length:
        span, coordinate = (lon_range, lon) if even else (lat_range, lat)
        middle = (span[0] + span[1]) / 2
        if coordinate >= middle:
            value = value * 2 + 1
            span[0] = middle
        else:
            value = value * 2
            span[1] = middle
        even = not even
        bits += 1
        if bits == 5:
            text.append(BASE32[value])
            bits, value = 0, 0
    return "".join(text)


def expected_identifier(shape: shapely.Geometry, forward: Transformer) -> str:
    """The identifier of a parcel (in EPSG:9209), computed independently of landreg."""
    pole = polylabel(shape, tolerance=0.01)
    lon, lat = forward.transform(pole.x, pole.y)
    return reference_geohash(lat, lon)


def test_the_reference_geohash_is_the_published_one():
    assert reference_geohash(42.6, -5.6, 5) == "ezs42"  # the example of geohash.org
    assert reference_geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"


# --- the sample ------------------------------------------------------------------------------


def _sample_parcels(database) -> pd.DataFrame:
    with UnitOfWork(database) as uow:
        rows = uow.session.execute(
            select(
                ParcelRow.id,
                ParcelRow.national_id,
                func.ST_AsBinary(ParcelRow.geom),
                func.ST_IsValid(ParcelRow.geom),
            ).order_by(ParcelRow.id)
        ).all()
    frame = pd.DataFrame(rows, columns=["id", "national_id", "wkb", "valid"])
    frame["geometry"] = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")])
    return frame


def test_sample_identifiers_equal_an_independent_computation(sample_register):
    database, _ = sample_register
    parcels = _sample_parcels(database)
    forward = Transformer.from_crs(
        CRS.from_proj4(VN2000_TM3_105_30), CRS.from_epsg(4326), always_xy=True
    )
    chosen = parcels[parcels["valid"] & parcels["national_id"].notna()]
    chosen = chosen.iloc[:: max(len(chosen) // 300, 1)]  # 300 parcels across the sample
    assert len(chosen) >= 250
    expected = [expected_identifier(shape, forward) for shape in chosen["geometry"]]
    assert chosen["national_id"].tolist() == expected


def test_every_parcel_of_the_sample_has_its_own_identifier(sample_register):
    database, _ = sample_register
    parcels = _sample_parcels(database)
    held = parcels["national_id"].dropna()
    assert held.is_unique
    assert held.str.fullmatch(r"[0-9b-hjkmnp-z]{12}").all()
    collisions = _open(database, "GEOM_NATIONAL_ID_COLLISION")
    # the only parcels without one are exact duplicates of a parcel that holds it
    without = set(parcels.loc[parcels["national_id"].isna(), "id"])
    assert without == {f.subjects[0]["id"] for f in collisions}
    assert 0 < len(without) <= 5
    holders = dict(zip(parcels["id"], parcels["national_id"], strict=True))
    for finding in collisions:
        _, holder = finding.subjects
        assert holders[holder["id"]] == finding.measured["national_id"]
        assert "chưa được cấp mã" in finding.message_vi and "gets none" in finding.message_en


# --- layers made here ------------------------------------------------------------------------


def _cell(column: int, row: int = 0) -> shapely.Polygon:
    """An irregular 20 m parcel (its pole of inaccessibility is one point)."""
    x, y = ORIGIN[0] + column * 25.0, ORIGIN[1] + row * 25.0
    return shapely.Polygon([(x, y), (x + 20, y), (x + 22, y + 17), (x + 6, y + 21), (x, y + 14)])


def _deliver(
    database, folder: Path, shapes: dict[int, shapely.Geometry], **fields: dict[int, str]
) -> None:
    """The map layer ``shapes`` (OBJECTID → boundary, EPSG:9209) as a delivery of one
    source, taken in and reconciled; ``fields`` add columns (column → OBJECTID → value)."""
    keys = sorted(shapes)
    frame = pd.DataFrame({
        "OBJECTID": keys, "MaXa": COMMUNE, "SoTo": 7, "SoThua": keys,
        **{name: [values.get(k) for k in keys] for name, values in fields.items()},
    })  # fmt: skip
    layer = gpd.GeoDataFrame(frame, geometry=[shapes[k] for k in keys], crs="EPSG:9209")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ban_do_xa.gpkg"
    pyogrio.write_dataframe(layer, path, layer="ThuaDat", promote_to_multi=True)
    mapped = {"ThuaGoc": 'parent_ref = "ThuaGoc"', "MaDinhDanh": 'national_id = "MaDinhDanh"'}
    lines = [line for column, line in mapped.items() if column in fields]
    profile = _profile(folder, lines)
    ingest_path(database, path, IngestOptions(profile=str(profile)))
    with UnitOfWork(database) as uow:
        reconcile(uow)


def _profile(folder: Path, extra: list[str]) -> Path:
    """A map profile keyed by OBJECTID, with the ``extra`` field lines."""
    path = folder / "map_xa_ma_dinh_danh.toml"
    path.write_text(
        "\n".join([
            'name = "map_xa_ma_dinh_danh"', 'kind = "map"', 'source_key = ["OBJECTID"]', "",
            "[fields]", 'commune_code = "MaXa"', 'map_sheet = "SoTo"',
            'parcel_number = "SoThua"', *extra, "",
        ]),
        encoding="utf-8",
    )  # fmt: skip
    return path


def _identifiers(database) -> dict[str, str | None]:
    """National identifier of each current parcel, by its key in the source."""
    with UnitOfWork(database) as uow:
        rows = uow.session.execute(select(ParcelRow.source_key, ParcelRow.national_id)).all()
    return {str(key): national_id for key, national_id in rows}


def _open(database, rule: str) -> list[SimpleNamespace]:
    """The open findings of a rule (subjects, measured values, messages)."""
    columns = (FindingRow.subjects, FindingRow.measured, FindingRow.message_vi,
               FindingRow.message_en)  # fmt: skip
    with UnitOfWork(database) as uow:
        rows = uow.session.execute(
            select(*columns).where(FindingRow.rule == rule, FindingRow.status == "open")
        ).all()
    return [SimpleNamespace(**row._asdict()) for row in rows]


def _forward() -> Transformer:
    return Transformer.from_crs(
        CRS.from_proj4(VN2000_TM3_105_30), CRS.from_epsg(4326), always_xy=True
    )


def test_identifiers_survive_a_reingest_and_a_small_correction(register_db, tmp_path):
    shapes = {k: _cell(k) for k in range(1, 6)}
    _deliver(register_db, tmp_path, shapes)
    first = _identifiers(register_db)
    assert first == {str(k): expected_identifier(s, _forward()) for k, s in shapes.items()}

    # the same file again, read again from scratch
    path = tmp_path / "ban_do_xa.gpkg"
    profile = str(_profile(tmp_path, []))
    ingest_path(register_db, path, IngestOptions(profile=profile, reprocess=True))
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    assert _identifiers(register_db) == first

    # parcel 2's boundary corrected by 30 cm: its pole moves, its identifier does not
    corrected = dict(shapes)
    corrected[2] = shapely.affinity.scale(shapes[2], 0.97, 0.98, origin=(ORIGIN[0] + 25, ORIGIN[1]))
    assert expected_identifier(corrected[2], _forward()) != first["2"]
    _deliver(register_db, tmp_path, corrected)
    again = _identifiers(register_db)
    assert again == first
    with UnitOfWork(register_db) as uow:
        version = uow.session.scalar(select(ParcelRow.version).where(ParcelRow.source_key == "2"))
    assert version == 2  # the correction is a new version, the identifier stays

    # parcel 4 redrawn 100 m away: its identifier's point is no longer in it, it gets a new one
    redrawn = dict(corrected)
    redrawn[4] = shapely.affinity.translate(shapes[4], 0, 100)
    _deliver(register_db, tmp_path, redrawn)
    moved = _identifiers(register_db)
    assert moved["4"] == expected_identifier(redrawn[4], _forward()) != first["4"]
    assert {k: v for k, v in moved.items() if k != "4"} == {
        k: v for k, v in first.items() if k != "4"
    }


def test_duplicate_boundaries_never_share_an_identifier(register_db, tmp_path):
    shapes = {1: _cell(1), 2: _cell(2), 3: _cell(2)}
    _deliver(register_db, tmp_path, shapes)
    held = _identifiers(register_db)
    assert held["2"] == expected_identifier(shapes[2], _forward()) and held["3"] is None
    [finding] = _open(register_db, "GEOM_NATIONAL_ID_COLLISION")
    assert [s["record"] for s in finding.subjects] == ["3", "2"]
    assert held["2"] in finding.message_vi and "chưa được cấp mã" in finding.message_vi
    assert "gets none until this is resolved" in finding.message_en

    # running again finds the same, and the duplicate's removal resolves it
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    assert len(_open(register_db, "GEOM_NATIONAL_ID_COLLISION")) == 1
    _deliver(register_db, tmp_path, {1: shapes[1], 2: shapes[2]})
    assert _open(register_db, "GEOM_NATIONAL_ID_COLLISION") == []
    assert _identifiers(register_db)["2"] == held["2"]


def test_a_delivered_identifier_is_checked_against_the_computed_one(register_db, tmp_path):
    shapes = {k: _cell(k) for k in range(1, 4)}
    right = expected_identifier(shapes[1], _forward())
    _deliver(register_db, tmp_path, shapes, MaDinhDanh={1: right, 2: "w00000000000"})
    [finding] = _open(register_db, "SRC_NATIONAL_ID_MISMATCH")
    computed = expected_identifier(shapes[2], _forward())
    assert finding.subjects[0]["record"] == "2"
    assert finding.measured["delivered"] == "w00000000000"
    assert finding.measured["computed"] == computed
    assert "w00000000000" in finding.message_vi and computed in finding.message_vi
    assert _identifiers(register_db)["2"] == computed  # landreg's identifier stands


@pytest.mark.parametrize("text", ["w3gvk2j8x1m", "w3gvk2j8x1mqq", "w3gvk2j8x1ma"])
def test_only_geohash_text_is_an_identifier(text):
    from spatial.national_id import is_national_id

    assert not is_national_id(text)
    assert is_national_id("w3gvk2j8x1mq")


def test_landreg_encodes_as_the_reference_does():
    from spatial.national_id import geohash

    rng = np.random.default_rng(17)
    lon, lat = rng.uniform(105.5, 107.0, 2000), rng.uniform(10.3, 11.8, 2000)
    expected = [reference_geohash(b, a) for a, b in zip(lon, lat, strict=True)]
    assert geohash(lon, lat).tolist() == expected
