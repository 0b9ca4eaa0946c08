"""Land-use planning maps ("quy hoạch sử dụng đất"): rasters of planned land-use classes.

A planning raster holds one class number per pixel; the classes mean land-use codes, given
by the raster's ``CLASSES`` tag (JSON) or by a ``planning_classes.csv`` beside it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import rasterio
import rasterio.mask
import shapely
from shapely.geometry.base import BaseGeometry

from spatial.crs import reproject, srid_from_text


@dataclass(frozen=True, slots=True)
class PlanningMap:
    """One planning raster and what its classes mean.

    Attributes
    ----------
    path : pathlib.Path
        The GeoTIFF.
    srid : int
        Its CRS.
    classes : dict[int, str]
        Class number → land-use code.
    """

    path: Path
    srid: int
    classes: dict[int, str]

    @classmethod
    def open(cls, path: Path) -> PlanningMap:
        """Read a planning raster's CRS and class table (tag, else the CSV beside it)."""
        with rasterio.open(path) as raster:
            srid = srid_from_text(raster.crs.to_string())
            tag = raster.tags().get("CLASSES")
        if tag:
            classes = {int(k): str(v) for k, v in json.loads(tag).items()}
        else:
            table = path.with_name("planning_classes.csv")
            with table.open(encoding="utf-8-sig", newline="") as rows:
                classes = {int(r["value"]): r["code"] for r in csv.DictReader(rows)}
        return cls(path, srid, classes)

    def planned_use(self, parcel: BaseGeometry, srid: int) -> str | None:
        """The land use the plan gives most of the parcel's pixels (None outside the plan).

        Parameters
        ----------
        parcel : shapely geometry
            The parcel.
        srid : int
            Its CRS.
        """
        shape = reproject(parcel, srid, self.srid) if srid != self.srid else parcel
        with rasterio.open(self.path) as raster:
            if not shapely.intersects(shapely.box(*raster.bounds), shape):
                return None
            pixels, _ = rasterio.mask.mask(
                raster, [shape], crop=True, all_touched=True, filled=False
            )
        values = np.ma.compressed(pixels[0])
        counts = Counter(int(v) for v in values[values != 0])
        if not counts:
            return None
        return self.classes.get(counts.most_common(1)[0][0])


def planning_maps(folder: Path | None) -> list[PlanningMap]:
    """The planning rasters of a folder: single-band GeoTIFFs with a class table."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.tif")):
        with rasterio.open(path) as raster:
            single = raster.count == 1
            tagged = "CLASSES" in raster.tags()
        if single and (tagged or path.with_name("planning_classes.csv").exists()):
            found.append(PlanningMap.open(path))
    return found
