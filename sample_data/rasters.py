"""The land-use planning raster and a small synthetic orthophoto, both GeoTIFF in EPSG:9209.

The planning map covers the surveyed area of the planning commune: each block between roads
is one planning zone, mostly keeping its current dominant use, about a third planned for
conversion (mostly to rural residential land); roads are DGT and canals DTL. Values are
class numbers; ``rasters/planning_classes.csv`` and the GeoTIFF metadata give the codes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin

from sample_data.commune import CommuneResult
from sample_data.places import AGRICULTURAL, PLANNING_CLASSES

PLANNING_PATH = "rasters/quy_hoach_su_dung_dat_25645.tif"
CLASSES_PATH = "rasters/planning_classes.csv"
ORTHO_PATH = "rasters/anh_truc_giao_25459.tif"
_CODE_TO_CLASS = {code: value for value, code in PLANNING_CLASSES.items()}
_COLOURS = {
    "ODT": (178, 102, 86), "ONT": (170, 110, 90), "TMD": (150, 150, 160), "CLN": (60, 120, 50),
    "HNK": (150, 180, 90), "LUC": (120, 170, 70), "LUK": (130, 175, 80), "DGT": (120, 120, 120),
    "DTL": (70, 100, 150),
}  # fmt: skip


def plan_blocks(rng, result: CommuneResult) -> tuple[np.ndarray, np.ndarray]:
    """Dominant current use and planned use of every block of the planning commune."""
    parcels = result.parcels
    dominant = parcels.groupby("block")["land_use"].agg(lambda s: s.value_counts().index[0])
    dominant = dominant.reindex(np.arange(len(result.blocks))).fillna("BCS").to_numpy(dtype=object)
    convert = np.isin(dominant, list(AGRICULTURAL)) & (rng.random(len(dominant)) < 0.35)
    target = rng.choice(np.array(["ONT", "ONT", "ONT", "TMD", "CLN"], dtype=object), len(dominant))
    target[(target == "CLN") & (dominant == "CLN")] = "ONT"
    return dominant, np.where(convert, target, dominant)


def parcel_plans(result: CommuneResult, dominant, planned) -> pd.DataFrame:
    """Planned use of each parcel, and whether it is a conversion the parcel may apply for."""
    block = result.parcels["block"].to_numpy()
    own = result.parcels["land_use"].to_numpy()
    change = (planned[block] != dominant[block]) & (own == dominant[block])
    return pd.DataFrame({"planned": planned[block], "plan_change": change})


def _profile(bounds, pixel: float, count: int, dtype: str, **extra) -> dict:
    x0, y0, x1, y1 = bounds
    width, height = int(np.ceil((x1 - x0) / pixel)), int(np.ceil((y1 - y0) / pixel))
    return {
        "driver": "GTiff", "width": width, "height": height, "count": count, "dtype": dtype,
        "crs": "EPSG:9209", "transform": from_origin(x0, y1, pixel, pixel), "tiled": True,
        "blockxsize": 256, "blockysize": 256, **extra,
    }  # fmt: skip


def write_planning(root: Path, result: CommuneResult, planned: np.ndarray) -> dict:
    """Rasterise the planning zones; returns the manifest entry."""
    square = result.blocks.geometry.union_all().envelope
    pixel = max(2.0, (square.bounds[2] - square.bounds[0]) / 1500)
    profile = _profile(square.bounds, pixel, 1, "uint8", nodata=0, compress="deflate", predictor=2)
    strip_codes = np.where(result.strips["land_use"].to_numpy() == "DTL", "DTL", "DGT")
    shapes = list(
        zip(result.blocks.geometry.values, [_CODE_TO_CLASS[c] for c in planned], strict=True)
    )
    shapes += list(
        zip(result.strips.geometry.values, [_CODE_TO_CLASS[c] for c in strip_codes], strict=True)
    )
    image = rasterize(shapes, out_shape=(profile["height"], profile["width"]),
                      transform=profile["transform"], fill=0, dtype="uint8")  # fmt: skip
    path = root / PLANNING_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image, 1)
        dst.update_tags(CLASSES=json.dumps(PLANNING_CLASSES, ensure_ascii=False), COMMUNE="25645",
                        PLAN="Quy hoạch sử dụng đất đến năm 2030 (mẫu)")  # fmt: skip
    table = pd.DataFrame({"value": list(PLANNING_CLASSES), "code": list(PLANNING_CLASSES.values())})
    table.to_csv(root / CLASSES_PATH, index=False, lineterminator="\n")
    return {"path": PLANNING_PATH, "kind": "raster", "role": "planning", "format": "GeoTIFF",
            "communes": ["25645"], "declared_crs": "EPSG:9209", "true_crs": "EPSG:9209",
            "encoding": None, "pixel_size_m": pixel, "nodata": 0, "classes_table": CLASSES_PATH,
            "fields": {"band 1": "planning class (see classes_table)"}}  # fmt: skip


def _ortho_image(result: CommuneResult, transform, shape: tuple[int, int]) -> np.ndarray:
    """Parcels and strips painted by land use, parcel edges darkened (float RGB, no noise)."""
    kinds = result.parcels["land_use"].to_numpy()
    parcels = list(result.features.geometry.values[: len(kinds)])
    geoms = parcels + list(result.strips.geometry.values)
    codes = list(kinds) + list(result.strips["land_use"].to_numpy())
    image = np.zeros((3, *shape), dtype=np.float64)
    for band in range(3):
        values = [_COLOURS.get(c, (140, 130, 110))[band] for c in codes]
        image[band] = rasterize(list(zip(geoms, values, strict=True)), out_shape=shape,
                                transform=transform, fill=90, dtype="uint8")  # fmt: skip
    edges = rasterize(shapely.boundary(np.array(parcels)), out_shape=shape, transform=transform,
                      fill=0, default_value=1, dtype="uint8")  # fmt: skip
    return image * np.where(edges, 0.7, 1.0)


def write_orthophoto(root: Path, rng, result: CommuneResult, size: int = 384) -> dict:
    """A synthetic RGB orthophoto (0.5 m pixels) over the centre of the ward's survey area."""
    centre = shapely.centroid(result.blocks.geometry.union_all())
    half = size * 0.5 / 2
    bounds = (centre.x - half, centre.y - half, centre.x + half, centre.y + half)
    options = {"compress": "jpeg", "photometric": "YCBCR", "jpeg_quality": 80}
    profile = _profile(bounds, 0.5, 3, "uint8", **options)
    image = _ortho_image(result, profile["transform"], (size, size))
    image = image + rng.normal(0, 6, size=image.shape)
    path = root / ORTHO_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.clip(image, 0, 255).astype("uint8"))
    return {"path": ORTHO_PATH, "kind": "raster", "role": "orthophoto", "format": "GeoTIFF",
            "communes": ["25459"], "declared_crs": "EPSG:9209", "true_crs": "EPSG:9209",
            "encoding": None, "pixel_size_m": 0.5,
            "fields": {"bands": "red, green, blue"}}  # fmt: skip
