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
from landreg.errors import ValidationError

TEXT_ENCODED_FORMATS = {".shp", ".dbf"}
# Text columns stay Arrow strings: the checks run in Arrow's kernels without a copy.
_ARROW_TEXT = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def list_layers(path: Path) -> list[str]:
    """Names of the layers in a file (one for Shapefile and GeoJSON)."""
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as error:
        raise ValidationError(
            f"{path.name} is not a readable map file: {error}", field="path", value=str(path)
        ) from None


def read_layer(path: Path, layer: str | None = None, *, decode: bool = True) -> MapLayer:
    """Read one layer: attributes (text decoded to Unicode) and geometry as delivered.

    Text comes as Arrow strings. With ``decode=False`` geometry stays WKB, to be decoded
    slice by slice with :func:`~ingest.maps.decode_geometry`.
    """
    layers = list_layers(path)
    name = layer or layers[0]
    if name not in layers:
        raise ValidationError(
            f"{path.name} has no layer {name!r}; it has {layers}", field="layer", value=name
        )
    shapefile = path.suffix.lower() in TEXT_ENCODED_FORMATS
    try:
        meta, table = pyogrio.read_arrow(
            path, layer=name, encoding="ISO-8859-1" if shapefile else None, return_fids=True
        )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, RuntimeError) as error:
        raise ValidationError(
            f"{path.name} layer {name!r} cannot be read: {error}", field="path", value=str(path)
        ) from None
    frame = table.to_pandas(types_mapper=_ARROW_TEXT.get)
    wkb = frame.pop(meta["geometry_name"] or "wkb_geometry").to_numpy()
    rows = pd.Series(np.arange(1, len(frame) + 1).astype(str), index=frame.index)
    for column in ("OGC_FID", "fid"):  # the feature id GDAL reports, where the file has one
        if column in frame.columns:
            rows = frame.pop(column).astype(str)
    result = MapLayer(path, name, frame, wkb, rows, _declared_crs(path, meta), encoded=True)
    if shapefile:
        _decode_text(result)
    return decode_geometry(result) if decode else result


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
