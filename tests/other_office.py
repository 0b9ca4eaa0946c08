"""The other office's province (``sample_data/other_office.py``): its files read back without
landreg's readers, the profiles a user writes for them, and scoring findings against its
ground truth per rule (recall and precision), a finding and a planted defect matching when
they share a record and, where the defect has a place, the finding lies there."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import geopandas as gpd
import pyogrio
import shapely
from pyproj import CRS

from ingest.batches import source_name_of
from spatial.crs import reproject
from tests import ground_truth
from tests.ground_truth import Score

WORK_SRID = 9209

# What a user of that office writes to load its layers (no shipped profile knows them).
PROFILES = {
    "xa_duc_hoa/TD_DucHoa.shp": """
name = "van_phong_duc_hoa"
kind = "map"
description = "Thửa đất Xã Đức Hòa, Shapefile của văn phòng khác / another office's parcels"
source_key = ["MaThua"]

[fields]
commune_code = "MaXa"
map_sheet = "SoHieuTo"
parcel_number = "SoThuTu"
map_area = "DienTich"
land_use_text = "KyHieuMDSD"
address = "DiaChi"
""",
    "xa_tan_lap/ban_do_dia_chinh.gpkg": """
name = "van_phong_tan_lap"
kind = "map"
description = "Thửa đất Xã Tân Lập, GeoPackage không có cột mã / no id column"
source_key = []

[fields]
commune_code = "MaXa"
map_sheet = "SoHieuToBanDo"
parcel_number = "SoThuTuThua"
map_area = "DienTich"
land_use_text = "KyHieuMucDich"
""",
}


def load_truth(root: Path) -> dict[str, Any]:
    """The generated ground truth."""
    return json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))


def source_of(root: Path, file: str, layer: str) -> str:
    """The source name landreg gives a layer of ``file`` (relative to ``root``)."""
    return source_name_of(root / file, "map", layer)


def record_ref(root: Path, record: dict[str, str]) -> tuple[str, str]:
    """(source name, source key) of a ground-truth record."""
    return source_of(root, record["file"], record["layer"]), record["key"]


def write_profiles(folder: Path) -> dict[str, Path]:
    """The profiles as TOML files; by the layer file they are for."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for file, text in PROFILES.items():
        path = folder / f"{Path(file).stem}.toml"
        path.write_text(text.lstrip(), encoding="utf-8")
        paths[file] = path
    return paths


# --- the files read back, independently of landreg's readers ---------------------------------


def file_srid(path: Path, crs: CRS | None) -> int:
    """The EPSG grid a layer's coordinates are in: a Shapefile's ``.prj`` is a custom TM-3
    WKT, recognised here by its central meridian and scale."""
    if path.suffix == ".shp":
        declared = CRS.from_wkt(path.with_suffix(".prj").read_text())
        grid_crs = declared.source_crs if declared.is_bound else declared
        operation = grid_crs.coordinate_operation if grid_crs is not None else None
        if operation is None:
            raise ValueError(f"{path.name}: the .prj is not a projected CRS")
        values = {p.name: float(p.value) for p in operation.params}
        grid = (values["Longitude of natural origin"], values["Scale factor at natural origin"])
        return {(105.5, 0.9999): 9209, (105.75, 0.9999): 9210}[grid]
    epsg = crs.to_epsg() if crs is not None else None
    if epsg is None:
        raise ValueError(f"{path.name} declares no EPSG CRS")
    return epsg


def read_layer(root: Path, description: dict[str, Any]) -> gpd.GeoDataFrame:
    """A generated layer indexed by the source key landreg gives each feature (the id
    column's value, a repeated one numbered ``#2``; else the feature id), its fields under
    canonical names, its geometry in EPSG:9209."""
    path = root / description["file"]
    frame = pyogrio.read_dataframe(path, layer=description["layer"], fid_as_index=True)
    if description["id_field"]:
        ids = frame[description["id_field"]].astype(str)
        occurrence = ids.groupby(ids).cumcount()
        keys = ids.where(occurrence == 0, ids + "#" + (occurrence + 1).astype(str))
    else:
        keys = pd.Series(frame.index.astype(str), index=frame.index)
    renamed = {v: k for k, v in (description["fields"] or {}).items()}
    attributes = frame.drop(columns=frame.geometry.name).rename(columns=renamed)
    geometry = reproject(frame.geometry.to_numpy(), file_srid(path, frame.crs), WORK_SRID)
    out = gpd.GeoDataFrame(attributes, geometry=geometry, crs=f"EPSG:{WORK_SRID}")
    return out.set_axis(keys.to_numpy())


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a repaired geometry (make_valid may add lines, as for a spike)."""
    parts = shapely.get_parts(shapely.make_valid(geometry))
    return shapely.union_all(parts[shapely.get_type_id(parts) == 3])


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Defect:
    """A planted defect as landreg names its records, and where it is (EPSG:9209)."""

    rule: str
    records: frozenset[tuple[str, str]]
    where: shapely.Point | None
    within: float


@dataclass(frozen=True, slots=True)
class Found:
    """A finding: its rule, the records it names, its place."""

    rule: str
    records: frozenset[tuple[str, str]]
    location: shapely.Geometry | None


# A parcel drawn twice also computes one national parcel identifier twice: the same
# characteristic point of the same boundary (never a place: the finding names both parcels).
ALSO_FOUND_BY = {"duplicate_exact": ("GEOM_NATIONAL_ID_COLLISION",)}


def planted(root: Path) -> list[Defect]:
    """Every planted defect of the generated province, under each rule that must find it."""
    found = []
    for d in load_truth(root)["defects"]:
        records = frozenset(record_ref(root, r) for r in d["records"])
        where = shapely.Point(d["where"]) if d["where"] else None
        found.append(Defect(d["rule"], records, where, d["within_m"] or 0.0))
        for rule in ALSO_FOUND_BY.get(d["kind"], ()):
            found.append(Defect(rule, records, None, 0.0))
    return found


def finding_of(rule: str, subjects: list[dict[str, Any]], location) -> Found:
    """A stored finding, by the records its subjects name (map parcels only)."""
    records = frozenset(
        (str(s["source"]), str(s["record"])) for s in subjects if s.get("table") == "parcel"
    )
    return Found(rule, records, location)


def matches(defect: Defect, found: Found) -> bool:
    """Same rule, a shared record, and the finding where the defect is (when it has a place)."""
    if defect.rule != found.rule or not defect.records & found.records:
        return False
    if defect.where is None:
        return True
    return found.location is not None and shapely.dwithin(
        found.location, defect.where, defect.within
    )


def score(defects: list[Defect], findings: list[Found]) -> dict[str, Score]:
    """Per rule: planted defects a finding matches, and findings matching a planted defect."""
    by_rule: dict[str, tuple[list[Defect], list[Found]]] = defaultdict(lambda: ([], []))
    for defect in defects:
        by_rule[defect.rule][0].append(defect)
    for found in findings:
        by_rule[found.rule][1].append(found)
    return {
        rule: Score(
            rule,
            len(ds),
            sum(any(matches(d, f) for f in fs) for d in ds),
            len(fs),
            sum(any(matches(d, f) for d in ds) for f in fs),
        )
        for rule, (ds, fs) in sorted(by_rule.items())
    }


def table(scores: dict[str, Score]) -> str:
    """The scores as a printable table."""
    return ground_truth.table(list(scores.values()))
