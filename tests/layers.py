"""Parcel layers unlike sample_data/ for the detector tests: a commune export with its own
field names (MaXa, SoTo, SoThua, DienTich, LoaiDat), string ids or none, written as a
GeoPackage in VN-2000 or a Shapefile in WGS 84, with defects planted at known places.

Every parcel is a 20 m cell of a grid (``COLUMNS`` × ``ROWS``) whose lower left corner is
``origin`` (VN-2000 / TM-3 105°30', EPSG:9209, metres, inside Xã Dương Minh Châu); cells
are numbered row by row from 1 on map sheet ``SHEET``. ``Plant`` says what was planted where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import geopandas as gpd
import pyogrio
import shapely

from spatial.crs import reproject

COMMUNE = "25645"
SHEET = 12
SIDE = 20.0
COLUMNS, ROWS = 8, 3


@dataclass(slots=True)
class Plant:
    """Where each defect of a layer is (cell numbers as drawn, 1-based), and its measures."""

    origin: tuple[float, float]
    repeated: tuple[int, int] = (3, 7)  # cell 7 carries cell 3's number
    written_off: int = 5  # DienTich 37.5 m² above the measured area
    written_like_register: int = 6  # DienTich 450 on a 400 m² cell (the register says 450)
    notched: int = 13  # its top edge crosses itself: 1 m² notch and 1 m² hole of its own
    # cells beside it shrunk away (m): two holes, areas not round (written areas are)
    shrunk: dict[int, float] = field(default_factory=lambda: {12: 0.4837, 14: 0.2519})
    bowtie: int = 18
    parts_overlap: int = 23  # two parts overlapping by 3 × 20 m
    parts_touch: int = 24  # two halves sharing an edge

    def cell(self, number: int) -> tuple[float, float]:
        """Lower left corner of the cell drawn as ``number``."""
        row, column = divmod(number - 1, COLUMNS)
        return self.origin[0] + column * SIDE, self.origin[1] + row * SIDE

    def planted_invalid(self) -> set[int]:
        return {self.notched, self.bowtie, self.parts_overlap, self.parts_touch}

    def clean(self) -> set[int]:
        """Cells with nothing planted on them (nor next to a planted gap)."""
        planted = {
            *self.repeated, self.written_off, self.written_like_register,
            *self.planted_invalid(), *self.shrunk,
        }  # fmt: skip
        return set(range(1, COLUMNS * ROWS + 1)) - planted


def _shape(plant: Plant, number: int, *, full: bool) -> shapely.Geometry:
    x, y = plant.cell(number)
    if number == plant.notched and not full:
        corners = [(0, 0), (20, 0), (20, 20), (11, 20), (9, 18), (11, 18), (9, 20), (0, 20)]
        return shapely.Polygon([(x + a, y + b) for a, b in corners])
    if number == plant.bowtie and not full:
        return shapely.Polygon([(x, y), (x + SIDE, y + SIDE), (x + SIDE, y), (x, y + SIDE)])
    if number == plant.parts_overlap and not full:
        return shapely.MultiPolygon(
            [shapely.box(x, y, x + 12, y + SIDE), shapely.box(x + 9, y, x + SIDE, y + SIDE)]
        )
    if number == plant.parts_touch and not full:
        return shapely.MultiPolygon(
            [shapely.box(x, y, x + 10, y + SIDE), shapely.box(x + 10, y, x + SIDE, y + SIDE)]
        )
    if number in plant.shrunk and not full:
        width = plant.shrunk[number]
        if number < plant.notched:  # the cell on its left gives up its right edge
            return shapely.box(x, y, x + SIDE - width, y + SIDE)
        return shapely.box(x + width, y, x + SIDE, y + SIDE)
    return shapely.box(x, y, x + SIDE, y + SIDE)


def parcels(plant: Plant) -> pd.DataFrame:
    """The layer's parcels: ``cell`` (as drawn), ``number`` (as written), ``geometry``
    (EPSG:9209), ``area`` (measured), ``written`` (DienTich) and ``land_use``."""
    rows = []
    for cell in range(1, COLUMNS * ROWS + 1):
        shape = _shape(plant, cell, full=False)
        area = round(shapely.area(shape), 1) if shape.is_valid else SIDE * SIDE
        written = {
            plant.written_off: area + 37.5,
            plant.written_like_register: 450.0,
            plant.notched: 420.0,  # off, but an invalid parcel's area means nothing
            plant.parts_overlap: 400.0,  # its parts add up to 460 m²
        }.get(cell, area)
        rows.append({
            "cell": cell,
            "number": plant.repeated[0] if cell == plant.repeated[1] else cell,
            "geometry": shape,
            "area": area,
            "written": written,
            "land_use": "ONT" if cell % 3 else "CLN",
        })  # fmt: skip
    return pd.DataFrame(rows)


def write_layer(
    folder: Path, plant: Plant, *, ids: bool, shapefile: bool = False
) -> tuple[Path, pd.DataFrame]:
    """The layer as a GeoPackage in EPSG:9209 (layer ``ThuaDatXa``) or a Shapefile in
    EPSG:4326; with ``ids`` a string id column ``MaThua`` ("DMC-000…")."""
    drawn = parcels(plant)
    frame = pd.DataFrame({
        "MaXa": COMMUNE, "SoTo": SHEET, "SoThua": drawn["number"],
        "DienTich": drawn["written"], "LoaiDat": drawn["land_use"],
    })  # fmt: skip
    if ids:
        frame.insert(0, "MaThua", [f"DMC-{9000 + c:06d}" for c in drawn["cell"]])
    shapes = drawn["geometry"]
    if shapefile:
        shapes = pd.Series([reproject(s, 9209, 4326) for s in shapes])
    layer = gpd.GeoDataFrame(
        frame, geometry=list(shapes), crs="EPSG:4326" if shapefile else "EPSG:9209"
    )
    folder.mkdir(parents=True, exist_ok=True)
    if shapefile:
        path = folder / "thua_dat_xa.shp"
        pyogrio.write_dataframe(layer, path, promote_to_multi=True)
    else:
        path = folder / "ban_do_dia_chinh_xa.gpkg"
        pyogrio.write_dataframe(layer, path, layer="ThuaDatXa", promote_to_multi=True)
    return path, drawn


def map_profile(folder: Path, *, ids: bool) -> Path:
    """A profile for the layer: keyed by ``MaThua``, or by commune, sheet and number when
    the layer has no id column (ingest numbers a repeated key ``#2``)."""
    key = '["MaThua"]' if ids else '["MaXa", "SoTo", "SoThua"]'
    path = folder / f"map_xa_{'ids' if ids else 'no_ids'}.toml"
    path.write_text(
        f"""
name = "map_xa_test_{"ids" if ids else "no_ids"}"
kind = "map"
source_key = {key}

[fields]
commune_code = "MaXa"
map_sheet = "SoTo"
parcel_number = "SoThua"
map_area = "DienTich"
land_use_text = "LoaiDat"
""",
        encoding="utf-8",
    )
    return path


REGISTER_PROFILE = """
name = "register_xa_test"
kind = "register"
source_key = ["MA_XA", "TO", "THUA", "CHU"]

[fields]
commune_code = "MA_XA"
map_sheet = "TO"
parcel_number = "THUA"
holder_name = "CHU"
identity_number = "CCCD"
legal_area = "DT_PHAP_LY"
land_use_text = "MDSD"
share_percent = "TY_LE"
certificate_serial = "SO_GCN"
"""


def write_register(
    folder: Path, drawn: pd.DataFrame, plant: Plant, *, repeated_serials: bool
) -> tuple[Path, Path]:
    """A register CSV (';') for the layer's keys, agreeing with the map except the legal
    area of ``written_like_register`` (450 m², as the map writes); with
    ``repeated_serials``, the repeated key has a second entry under another certificate.
    Returns the file and its profile."""
    lines = ["MA_XA;TO;THUA;CHU;CCCD;DT_PHAP_LY;MDSD;TY_LE;SO_GCN"]
    for row in drawn[drawn["cell"] != plant.repeated[1]].itertuples():
        legal = 450.0 if row.cell == plant.written_like_register else row.area
        lines.append(
            f"{COMMUNE};{SHEET};{row.number};Người Thứ {row.cell};0720901234{row.cell:02d};"
            f"{legal};{row.land_use};100;CS {700000 + row.cell}"
        )
    if repeated_serials:
        lines.append(
            f"{COMMUNE};{SHEET};{plant.repeated[0]};Người Khác;072090123499;400.0;ONT;100;CS 799999"
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "so_muc_ke_xa.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = folder / "register_xa.toml"
    profile.write_text(REGISTER_PROFILE, encoding="utf-8")
    return path, profile
