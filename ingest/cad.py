"""CAD drawings of cadastral maps (DXF, and MicroStation DGN v7) through GDAL.

Parcels are closed polylines; their numbers are text labels placed inside them (``12`` or
``3/12`` for sheet 3, parcel 12). Each closed polyline becomes a parcel and takes the label
inside it; a polygon with no label still loads, with a provisional reference. Drawings carry
no CRS, so the user confirms it (``--crs``) and its candidates are suggested.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import pyogrio
import shapely

from ingest.maps import MapLayer
from landreg.errors import ValidationError

LABEL = r"^\s*(?:(?P<sheet>\d+)\s*/\s*)?(?P<number>\d+)"


def list_layers(path: Path) -> list[str]:
    """A drawing is read as one layer, named after the file."""
    return [path.stem]


def read_layer(path: Path, layer: str | None = None, *, decode: bool = True) -> MapLayer:
    """The drawing's parcels as a map layer (``layer``, other than the file's name, keeps only
    the entities on that CAD layer); geometry comes decoded, whatever ``decode`` asks."""
    attributes, polygons, rows = read_cad(path, None if layer == path.stem else layer)
    return MapLayer(
        path,
        layer or path.stem,
        attributes,
        polygons,
        rows,
        None,
        notes=["CAD drawing: parcels from closed polylines, numbers from labels"],
    )


def read_cad(path: Path, layer: str | None) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Parcels of a drawing: attributes (``cad_sheet``, ``cad_number``, ``cad_label``), polygons
    and entity references. ``layer`` keeps only entities on that CAD layer (level)."""
    try:
        frame = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise ValidationError(
            f"không đọc được {path.name} như một bản vẽ / {path.name} cannot be read as a "
            f"drawing: {error}",
            field="path",
            value=str(path),
        ) from None
    level = "Layer" if "Layer" in frame.columns else "Level"
    if layer is not None and level in frame.columns:
        frame = frame[frame[level].astype(str) == layer]
    geometry = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(geometry)
    lines = geometry[(kinds == 1) & shapely.is_closed(geometry)]
    polygons = np.concatenate([_rings_to_polygons(lines), geometry[np.isin(kinds, (3, 6))]])
    texts = frame[(kinds == 0) & frame.get("Text", pd.Series(index=frame.index)).notna()]
    attributes = _labels(polygons, texts)
    references = pd.Series(
        [f"entity {i}" for i in range(1, len(polygons) + 1)], index=attributes.index, dtype=object
    )
    return attributes, polygons, references


def _rings_to_polygons(lines: np.ndarray) -> np.ndarray:
    if len(lines) == 0:
        return np.array([], dtype=object)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    rings = shapely.linearrings(coords, indices=owner)
    return shapely.polygons(rings)


def _labels(polygons: np.ndarray, texts: pd.DataFrame) -> pd.DataFrame:
    """The label inside each polygon (the first one, by position) and what it says."""
    labels = pd.Series([None] * len(polygons), dtype=object)
    if len(texts) and len(polygons):
        points = texts.geometry.to_numpy()
        inside, owner = shapely.STRtree(polygons).query(points, predicate="within")
        values = texts["Text"].astype(str).to_numpy()
        for point, polygon in zip(inside, owner, strict=True):
            if labels.iloc[polygon] is None:
                labels.iloc[polygon] = values[point]
    parsed = labels.astype("string").str.extract(LABEL)
    return pd.DataFrame(
        {
            "cad_label": labels,
            "cad_sheet": parsed["sheet"],
            "cad_number": parsed["number"],
            "cad_commune": None,
        }
    )
