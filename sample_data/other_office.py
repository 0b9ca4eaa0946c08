"""A province "from another office": parcel layers unlike the sample's, with their ground truth.

``sample_data/small`` is landreg's own: Voronoi parcels between road strips, ``OBJECTID``
keys, the two shipped profiles, defects planted as bands along whole edges. This generator
writes what another office might send instead, so that the detectors are scored on data
they were not shaped around:

* rotated blocks of parcels in rows of random depth and frontage (a vertex where a row's
  boundary meets the next row's is on both parcels), no roads layer;
* field names no shipped profile knows: ``MaXa``, ``SoHieuTo`` / ``SoHieuToBanDo``,
  ``SoThuTu`` / ``SoThuTuThua``, ``DienTich`` (measured area rounded to 0.1 m²),
  ``KyHieuMDSD`` / ``KyHieuMucDich``; string ids ``TD-0001`` in ``MaThua``, or no id column
  (the GeoPackage feature id), or no attributes at all;
* a Shapefile with an ESRI-style TM-3 105°45′ ``.prj`` carrying a TOWGS84 clause, a
  GeoPackage in WGS 84 with an attribute table beside its layer, and a geometry-only
  GeoPackage of a former Tây Ninh commune written in the 105°45′ zone;
* another defect mix: a tongue into the neighbour (overlap), a notch out of a parcel (gap),
  two notches beside one invalid parcel whose bow-tie or spike is elsewhere, exact copies
  appended with their id repeated, multiparts whose parts overlap, a parcel key repeated
  within a layer, a written area off by 3-15 %, a blank parcel number, unknown land-use
  codes, and a layer of parcels with no attributes (each one lacks its key).

``generate_other_office(out_dir, seed=...)`` writes the files and ``ground_truth.json``
(each defect: its kind, the records by file, layer and source key, and where it is in
EPSG:9209). The same seed gives the same bytes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import shapely

from landreg.domain import reference
from landreg.errors import UnknownReferenceError
from sample_data.other_office_block import (
    Block,
    Planted,
    Planter,
    layout,
    plant_geometry,
    shapes,
)
from sample_data.writers import fixed_gdal_dates, write_gpkg, write_shapefile
from spatial.crs import VN2000_TOWGS84, reproject

UNITS = Path(__file__).resolve().parent / "small" / "admin" / "units.gpkg"
WORK_SRID = 9209  # the units' CRS: blocks are laid out and located in it
KIND_RULE = {
    "overlap": "GEOM_OVERLAP", "gap": "GEOM_GAP", "gap_beside_invalid": "GEOM_GAP",
    "duplicate_exact": "GEOM_DUPLICATE", "invalid_self_intersection": "GEOM_INVALID",
    "invalid_spike": "GEOM_INVALID", "parts_overlap": "GEOM_PARTS_OVERLAP",
    "duplicate_key": "ATTR_DUPLICATE_KEY", "map_area_off": "ATTR_MAP_AREA_MISMATCH",
    "missing_number": "ATTR_MISSING_KEY", "no_attributes": "ATTR_MISSING_KEY",
    "unknown_land_use": "ATTR_UNKNOWN_LAND_USE",
}  # fmt: skip
LAND_USES = ("ONT", "CLN", "LUC", "HNK", "NTS")
UNKNOWN_USES = ("ONT+CLN", "LNK2", "TMD1")
HAMLETS = ("Ấp Lộc Giang", "Ấp Tân Hòa", "Ấp Hòa Bình", "Ấp Bình Thủy")
ESRI_TM3_105_45 = (
    'PROJCS["VN_2000_TM3_105_45",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    f'SPHEROID["WGS_1984",6378137.0,298.257223563],TOWGS84[{VN2000_TOWGS84}]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.75],'
    'PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """One delivered layer: where its block lies, how it is written, what is planted."""

    commune: str
    file: str
    layer: str
    file_srid: int
    width: float
    rows: int
    rotation: float
    offset: tuple[float, float]
    sheets: tuple[int, int]
    fields: dict[str, str] | None  # canonical → the file's field; None: no attributes
    id_field: str | None
    counts: dict[str, int] = field(default_factory=dict)
    beside: str = "invalid_self_intersection"  # how the parcel between two holes is invalid


_SHP_FIELDS = {
    "commune": "MaXa", "sheet": "SoHieuTo", "number": "SoThuTu", "area": "DienTich",
    "land_use": "KyHieuMDSD", "address": "DiaChi",
}  # fmt: skip
_GPKG_FIELDS = {
    "commune": "MaXa", "sheet": "SoHieuToBanDo", "number": "SoThuTuThua", "area": "DienTich",
    "land_use": "KyHieuMucDich",
}  # fmt: skip
PLANS = (
    LayerPlan("27925", "xa_duc_hoa/TD_DucHoa.shp", "TD_DucHoa", 9210, 220.0, 10, 23.0,
              (0.0, 0.0), (31, 32), _SHP_FIELDS, "MaThua",
              {"overlap": 3, "gap": 2, "gap_beside_invalid": 1, "duplicate_exact": 2,
               "invalid_self_intersection": 2, "parts_overlap": 1, "duplicate_key": 2,
               "map_area_off": 4, "missing_number": 2, "unknown_land_use": 2}),
    LayerPlan("25612", "xa_tan_lap/ban_do_dia_chinh.gpkg", "thua_dat_2024", 4326, 200.0, 9,
              -12.0, (0.0, 0.0), (7, 8), _GPKG_FIELDS, None,
              {"overlap": 2, "gap": 2, "gap_beside_invalid": 1, "duplicate_exact": 1,
               "invalid_self_intersection": 1, "parts_overlap": 2, "duplicate_key": 2,
               "map_area_off": 3, "missing_number": 2, "unknown_land_use": 1},
              beside="invalid_spike"),
    LayerPlan("25612", "xa_tan_lap/so_hoa_chua_thuoc_tinh.gpkg", "vung", 9210, 110.0, 4, 5.0,
              (700.0, -500.0), (0, 0), None, None, {}),
)  # fmt: skip


@dataclass
class OtherOfficeSummary:
    """What ``generate_other_office`` wrote."""

    out_dir: Path
    seed: int
    parcels: int
    defects: dict[str, int]
    files: list[str]
    seconds: float


# --- placing the block in its commune, in the file's CRS --------------------------------------


def _placement(commune: shapely.Geometry, plan: LayerPlan, block: Block) -> tuple[float, ...]:
    """Origin and angle of the block, its centre well inside the commune."""
    width, height = plan.width, block.levels[-1]
    inner = shapely.buffer(commune, -(float(np.hypot(width, height)) / 2 + 150.0))
    centre = shapely.point_on_surface(inner)
    x, y = centre.x + plan.offset[0], centre.y + plan.offset[1]
    if not shapely.contains_xy(inner, x, y):
        raise RuntimeError(f"block of {plan.file} does not fit in commune {plan.commune}")
    angle = np.radians(plan.rotation)
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    return (
        x - (width / 2 * cos - height / 2 * sin),
        y - (width / 2 * sin + height / 2 * cos),
        cos,
        sin,
    )


def _to_work(coords: np.ndarray, placement: tuple[float, ...]) -> np.ndarray:
    x0, y0, cos, sin = placement
    u, v = coords[:, 0], coords[:, 1]
    return np.column_stack([x0 + u * cos - v * sin, y0 + u * sin + v * cos])


def _as_written(local: np.ndarray, placement: tuple[float, ...], srid: int) -> np.ndarray:
    """Local shapes in the file's CRS, rounded as the office writes coordinates (mm, or
    about 0.1 mm in degrees)."""
    work = shapely.transform(local, lambda coords: _to_work(coords, placement))
    moved = reproject(work, WORK_SRID, srid)
    decimals = 9 if srid == 4326 else 3
    return shapely.transform(moved, lambda coords: np.round(coords, decimals))


# --- attributes: keys numbered per sheet, written areas, land uses ----------------------------


def _sheets_and_numbers(block: Block, plan: LayerPlan) -> tuple[np.ndarray, np.ndarray]:
    """Each parcel's sheet (west or east half) and number: per sheet from the north-east,
    the rows alternating direction."""
    middle = np.array([sum(block.bounds(r, i)[:2]) / 2 for r, i in block.cells])
    sheet = np.where(middle < plan.width / 2, plan.sheets[0], plan.sheets[1])
    rows = np.array([r for r, _ in block.cells])
    along = np.where(rows % 2 == 0, -middle, middle)
    order = np.lexsort((along, -rows, sheet))
    number = np.empty(len(block.cells), dtype=object)
    for value in np.unique(sheet):
        mine = order[sheet[order] == value]
        number[mine] = np.arange(1, len(mine) + 1)
    return sheet, number


def _plant_attributes(
    planter: Planter, counts: dict[str, int], sheet: np.ndarray, values: dict[str, np.ndarray]
) -> list[Planted]:
    rng, planted = planter.rng, []
    details: dict[str, Any]
    for k in range(counts.get("duplicate_key", 0)):
        group = planter.same_sheet(2 + k % 2, sheet)
        values["number"][group[1:]] = values["number"][group[0]]
        details = {"sheet": int(sheet[group[0]]), "number": int(values["number"][group[0]])}
        planted.append(Planted("duplicate_key", group, details=details))
    for _ in range(counts.get("map_area_off", 0)):
        cell = planter.run(1)[0]
        measured = float(values["area"][cell])
        off = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.03, 0.15))
        values["area"][cell] = round(measured * (1 + off), 1)
        details = {"written": values["area"][cell], "measured": round(measured, 2)}
        planted.append(Planted("map_area_off", [cell], details=details))
    for _ in range(counts.get("missing_number", 0)):
        cell = planter.run(1)[0]
        values["number"][cell] = None
        planted.append(Planted("missing_number", [cell]))
    for _ in range(counts.get("unknown_land_use", 0)):
        cell = planter.run(1)[0]
        values["land_use"][cell] = str(rng.choice(UNKNOWN_USES))
        planted.append(
            Planted("unknown_land_use", [cell], details={"code": values["land_use"][cell]})
        )
    return planted


def _values(rng: np.random.Generator, size: int, area: np.ndarray) -> dict[str, np.ndarray]:
    """Honest attributes: areas rounded to 0.1 m², land-use codes (some in lower case, which
    is no defect), hamlets."""
    uses = rng.choice(LAND_USES, size=size, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    lower = rng.random(size) < 0.1
    return {
        "area": np.round(area, 1),
        "land_use": np.where(lower, np.char.lower(uses.astype(str)), uses).astype(object),
        "address": rng.choice(HAMLETS, size=size).astype(object),
    }


def _columns(
    plan: LayerPlan, names: dict[str, str], sheet: np.ndarray, values, rows: list[int]
) -> dict[str, Any]:
    """The layer's attribute columns in file order (``rows``: the parcel of each feature).
    The Shapefile writes codes and numbers as text (a blank number is ""), the GeoPackage
    as integers (a blank number is NULL)."""
    shapefile = plan.file.endswith(".shp")
    number = [values["number"][n] for n in rows]
    columns: dict[str, Any] = {
        names["commune"]: [plan.commune if shapefile else int(plan.commune)] * len(rows),
        names["sheet"]: np.array([sheet[n] for n in rows], dtype=np.int32),
        names["number"]: ["" if v is None else str(v) for v in number]
        if shapefile
        else pd.array(number, dtype="Int64"),
        names["area"]: np.array([values["area"][n] for n in rows], dtype=float),
        names["land_use"]: [values["land_use"][n] for n in rows],
    }
    if "address" in names:
        columns[names["address"]] = [values["address"][n] for n in rows]
    return columns


def _check_codes() -> None:
    """The honest codes are current ones and the planted ones are unknown (as the reference
    says), so nothing is planted by accident."""
    for code in LAND_USES:
        reference.current_land_use_code(code)
    for code in UNKNOWN_USES:
        try:
            reference.current_land_use_code(code)
        except UnknownReferenceError:
            continue
        raise RuntimeError(f"{code} is a known land-use code")


# --- one layer written, and its ground truth ------------------------------------------------


@dataclass
class LayerOutput:
    """A written layer's description and its planted defects, records by source key."""

    description: dict[str, Any]
    defects: list[dict[str, Any]]


def _layer(root: Path, rng: np.random.Generator, plan: LayerPlan, commune) -> LayerOutput:
    block = layout(rng, plan.width, plan.rows)
    planter = Planter(rng, block)
    planted = plant_geometry(planter, plan.counts, plan.beside)
    local, sound = shapes(block, planter)
    placement = _placement(commune, plan, block)
    written = _as_written(local, placement, plan.file_srid)
    projected = plan.file_srid != 4326
    measured = _as_written(sound, placement, plan.file_srid if projected else WORK_SRID)
    order = rng.permutation(len(local)).tolist()
    copies = [p.cells[0] for p in planted if p.kind == "duplicate_exact"]
    rows = order + copies
    frame = gpd.GeoDataFrame(geometry=written[rows], crs=f"EPSG:{plan.file_srid}")
    if plan.fields is not None:
        sheet, number = _sheets_and_numbers(block, plan)
        values = {"number": number, **_values(rng, len(local), shapely.area(measured))}
        planted += _plant_attributes(planter, plan.counts, sheet, values)
        columns = _columns(plan, plan.fields, sheet, values, rows)
        frame = gpd.GeoDataFrame(columns, geometry=written[rows], crs=frame.crs)
    else:
        planted += [Planted("no_attributes", [cell]) for cell in range(len(local))]
    keys = _keys(rng, plan, order, copies)
    if plan.id_field is not None:
        frame.insert(0, plan.id_field, [key.split("#")[0] for key in keys])
    _write(root, plan, frame)
    return LayerOutput(_description(plan, frame), _truth(plan, planted, keys, order, placement))


def _keys(
    rng: np.random.Generator, plan: LayerPlan, order: list[int], copies: list[int]
) -> list[str]:
    """The source key landreg gives each feature, in file order: the id column's value (a
    copy appended with its original's id numbered ``#2``), or the feature id."""
    if plan.id_field is None:
        return [str(fid) for fid in range(1, len(order) + len(copies) + 1)]
    ids = {
        cell: f"TD-{n:04d}" for cell, n in zip(order, rng.permutation(len(order)) + 1, strict=True)
    }
    return [ids[cell] for cell in order] + [f"{ids[cell]}#2" for cell in copies]


def _truth(
    plan: LayerPlan, planted: list[Planted], keys: list[str], order, placement
) -> list[dict]:
    position = {cell: n for n, cell in enumerate(order)}
    copy_at = len(order)
    found = []
    for defect in planted:
        records = [keys[position[cell]] for cell in defect.cells]
        if defect.kind == "duplicate_exact":
            records.append(keys[copy_at])
            copy_at += 1
        where = None
        if defect.where is not None:
            x, y = _to_work(np.array([defect.where]), placement)[0]
            where = [round(float(x), 2), round(float(y), 2)]
        found.append({
            "kind": defect.kind, "rule": KIND_RULE[defect.kind],
            "records": [{"file": plan.file, "layer": plan.layer, "key": key} for key in records],
            "where": where, "within_m": defect.within if where else None,
            "details": defect.details,
        })  # fmt: skip
    return found


def _description(plan: LayerPlan, frame: gpd.GeoDataFrame) -> dict[str, Any]:
    return {
        "file": plan.file, "layer": plan.layer, "commune": plan.commune,
        "format": "ESRI Shapefile" if plan.file.endswith(".shp") else "GPKG",
        "declared_crs": "ESRI WKT TM-3 105°45′ with TOWGS84" if plan.file.endswith(".shp")
        else f"EPSG:{plan.file_srid}",
        "id_field": plan.id_field, "fields": plan.fields, "features": len(frame),
    }  # fmt: skip


def _write(root: Path, plan: LayerPlan, frame: gpd.GeoDataFrame) -> None:
    path = root / plan.file
    if path.suffix == ".shp":
        write_shapefile(path.parent, path.stem, frame, ESRI_TM3_105_45, "UTF-8", "UTF-8")
        return
    write_gpkg(path, [(plan.layer, frame)])
    if plan.fields is not None:  # a holders' table beside the layer, as office databases keep
        names = plan.fields
        table = pd.DataFrame({
            names["commune"]: frame[names["commune"]].iloc[:12],
            names["sheet"]: frame[names["sheet"]].iloc[:12],
            names["number"]: frame[names["number"]].iloc[:12],
            "HoTenChu": [f"Nguyễn Văn {chr(65 + n)}" for n in range(12)],
        })  # fmt: skip
        with fixed_gdal_dates():
            pyogrio.write_dataframe(table, path, layer="chu_su_dung", driver="GPKG", append=True)


def generate_other_office(
    out_dir: Path, *, seed: int = 20140614, units: Path = UNITS
) -> OtherOfficeSummary:
    """Write the other office's layers and ``ground_truth.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : pathlib.Path
        Where to write (files there with the same names are overwritten).
    seed : int
        The same seed gives byte-identical files.
    units : pathlib.Path
        The administrative units (``communes`` layer, EPSG:9209) the blocks are placed in.

    Returns
    -------
    OtherOfficeSummary
    """
    started = time.perf_counter()
    _check_codes()
    communes = pyogrio.read_dataframe(units, layer="communes", columns=["code"])
    boundary = dict(zip(communes["code"].astype(str), communes.geometry.to_numpy(), strict=True))
    layers, defects = [], []
    for n, plan in enumerate(PLANS):
        output = _layer(out_dir, np.random.default_rng([seed, n]), plan, boundary[plan.commune])
        layers.append(output.description)
        defects += output.defects
    for number, defect in enumerate(defects, start=1):
        defect["id"] = number
    truth = {"seed": seed, "work_srid": WORK_SRID, "layers": layers, "defects": defects}
    text = json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True)
    (out_dir / "ground_truth.json").write_text(text + "\n", encoding="utf-8")
    kinds = pd.Series([d["kind"] for d in defects]).value_counts().sort_index()
    return OtherOfficeSummary(
        out_dir,
        seed,
        sum(layer["features"] for layer in layers),
        {str(k): int(v) for k, v in kinds.items()},
        sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file()),
        round(time.perf_counter() - started, 2),
    )
