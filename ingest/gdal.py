"""The reader of map formats GDAL reads as layers (GeoPackage, Shapefile, GeoJSON, FlatGeobuf).

Attributes come through Arrow; geometry comes as WKB, to be decoded in bulk with shapely.
Legacy Vietnamese encodings in Shapefile DBFs are detected and converted to Unicode.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import pyogrio

from ingest import encodings
from ingest.maps import MapLayer, decode_geometry
from ingest.tabular import Table
from landreg.errors import ValidationError

TEXT_ENCODED_FORMATS = {".shp", ".dbf"}
# Text columns stay Arrow strings: the checks run in Arrow's kernels without a copy.
_ARROW_TEXT = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def list_layers(path: Path) -> list[str]:
    """Names of the layers in a file (one for Shapefile and GeoJSON)."""
    return list(_layers(path))


def attribute_tables(path: Path) -> set[str]:
    """Names of the file's tables without geometry (a GeoPackage's attribute tables)."""
    return {name for name, geometry_type in _layers(path).items() if geometry_type is None}


def _layers(path: Path) -> dict[str, str | None]:
    """Each layer's name and geometry type (None for a table without geometry)."""
    try:
        return {
            str(name): None if kind is None else str(kind)
            for name, kind in pyogrio.list_layers(path)
        }
    except pyogrio.errors.DataSourceError as error:
        raise ValidationError(
            f"{path.name} không phải tệp bản đồ đọc được / {path.name} is not a readable map "
            f"file: {_first_line(error)}",
            field="path",
            value=path.name,
        ) from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def read_layer(path: Path, layer: str | None = None, *, decode: bool = True) -> MapLayer:
    """Read one layer: attributes (text decoded to Unicode) and geometry as delivered.

    Text comes as Arrow strings. With ``decode=False`` geometry stays WKB, to be decoded
    slice by slice with :func:`~ingest.maps.decode_geometry`.
    """
    name = _layer_name(path, layer)
    shapefile = path.suffix.lower() in TEXT_ENCODED_FORMATS
    meta, frame = _read(path, name, encoding="ISO-8859-1" if shapefile else None)
    column = meta["geometry_name"] or "wkb_geometry"
    if column in frame.columns:
        wkb = frame.pop(column).to_numpy()
    else:  # a table without geometry: every feature is refused for it, or the layer stopped
        wkb = np.full(len(frame), None, dtype=object)
    rows = _feature_ids(frame, shapefile)
    result = MapLayer(path, name, frame, wkb, rows, _declared_crs(path, meta), encoded=True)
    if shapefile:
        _decode_text(result)
    return decode_geometry(result) if decode else result


def read_table(path: Path, layer: str) -> Table:
    """A table without geometry (a GeoPackage attribute table) as rows of text, each referred
    to by its feature id (kept as the column ``fid`` too, for a profile's ``source_key``)."""
    name = _layer_name(path, layer)
    _, frame = _read(path, name, encoding=None)
    ids = _feature_ids(frame, shapefile=False)
    if "fid" not in frame.columns:
        frame["fid"] = ids
    rows = "fid " + ids
    text = pd.DataFrame(
        {column: [_cell_text(v) for v in frame[column].astype(object)] for column in frame},
        index=frame.index,
        dtype=object,
    )
    return Table(text, rows.astype(object), [], [])


def _cell_text(value: object) -> str | None:
    """A cell as text (None when empty); whole-number floats lose their ".0"."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _layer_name(path: Path, layer: str | None) -> str:
    layers = list_layers(path)
    name = layer or layers[0]
    if name not in layers:
        raise ValidationError(
            f"{path.name} không có lớp {name!r} / {path.name} has no layer {name!r}; "
            f"it has {layers}",
            field="layer",
            value=name,
        )
    return name


def _read(path: Path, name: str, encoding: str | None) -> tuple[dict, pd.DataFrame]:
    """The layer's metadata, and its features as a frame (text as Arrow strings)."""
    try:
        meta, table = pyogrio.read_arrow(path, layer=name, encoding=encoding, return_fids=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, RuntimeError) as error:
        raise ValidationError(
            f"không đọc được lớp {name!r} của {path.name} / {path.name} layer {name!r} cannot "
            f"be read: {_first_line(error)}",
            field="path",
            value=path.name,
        ) from None
    return meta, table.to_pandas(types_mapper=_ARROW_TEXT.get)


def _feature_ids(frame: pd.DataFrame, shapefile: bool) -> pd.Series:
    """The feature id GDAL reports, taken out of the attributes: a GeoPackage's fid, a
    Shapefile's record number (counted from 1, as the format does), else the position."""
    rows = pd.Series(np.arange(1, len(frame) + 1).astype(str), index=frame.index)
    for column in ("OGC_FID", "fid"):
        if column in frame.columns:
            ids = frame.pop(column)
            rows = (ids + 1 if shapefile and column == "OGC_FID" else ids).astype(str)
    return rows


def _declared_crs(path: Path, meta: dict) -> str | None:
    """The CRS as the file declares it; a Shapefile's ``.prj`` text is read as written."""
    prj = path.with_suffix(".prj")
    if path.suffix.lower() == ".shp" and prj.exists():
        return prj.read_text(encoding="latin-1").strip() or None
    return meta.get("crs")


def _decode_text(layer: MapLayer) -> None:
    """Shapefile text read byte for byte (as Latin-1), decoded in the encoding it really has."""
    columns = [
        c for c in layer.attributes.columns if pd.api.types.is_string_dtype(layer.attributes[c])
    ]
    samples = [
        value.encode("latin-1")
        for column in columns
        for value in layer.attributes[column].dropna().head(200)
        if isinstance(value, str)
    ]
    cpg = layer.path.with_suffix(".cpg")
    declared = cpg.read_text(encoding="latin-1").strip() if cpg.exists() else None
    found = encodings.detect(samples)
    decode = encodings.decoder(found)
    for column in columns:
        layer.attributes[column] = layer.attributes[column].map(
            lambda value: decode(value.encode("latin-1")) if isinstance(value, str) else value
        )
    if found != "UTF-8" or (declared or "UTF-8").upper().replace("-", "") not in ("UTF8", ""):
        layer.notes.append(
            f"text converted from {found} to Unicode (the .cpg says {declared or 'nothing'})"
        )
