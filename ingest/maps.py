"""Reading cadastral map layers (GeoPackage, Shapefile, GeoJSON, DXF, DGN) through GDAL.

Attributes come through Arrow; geometry comes as WKB and is checked, reprojected and
normalised in bulk with shapely. Legacy Vietnamese encodings in Shapefile DBFs are detected
and converted to Unicode. Invalid geometry is kept as received (only an unclosed ring, which
no geometry library can hold, is closed, and the record says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from ingest import encodings
from ingest.cad import CAD_SUFFIXES, read_cad
from landreg.errors import CRSError, ValidationError
from spatial.crs import (
    apply_transformer,
    candidate_srids,
    recognise_crs,
    srid_from_text,
    transformer_to,
)

TEXT_ENCODED_FORMATS = {".shp", ".dbf"}
# Text columns stay Arrow strings: the checks run in Arrow's kernels without a copy.
_ARROW_TEXT = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


@dataclass(slots=True)
class MapLayer:
    """One layer as read: attributes, geometry as delivered, and what was learnt reading it."""

    path: Path
    layer: str
    attributes: pd.DataFrame
    geometry: np.ndarray
    rows: pd.Series
    declared_crs: str | None
    notes: list[str] = field(default_factory=list)
    row_notes: dict[int, list[str]] = field(default_factory=dict)
    encoded: bool = False  # geometry still WKB as read (see decode_geometry)

    def part(self, start: int, stop: int) -> MapLayer:
        """Features ``start:stop`` as a layer of their own (row notes renumbered)."""
        return MapLayer(
            self.path,
            self.layer,
            self.attributes.iloc[start:stop],
            self.geometry[start:stop],
            self.rows.iloc[start:stop],
            self.declared_crs,
            self.notes,
            {p - start: n for p, n in self.row_notes.items() if start <= p < stop},
            self.encoded,
        )


def list_layers(path: Path) -> list[str]:
    """Names of the layers in a file (one for Shapefile and GeoJSON, and for a drawing)."""
    if path.suffix.lower() in CAD_SUFFIXES:
        return [path.stem]
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as error:
        raise ValidationError(
            f"{path.name} is not a readable map file: {error}", field="path", value=str(path)
        ) from None


def read_layer(path: Path, layer: str | None = None, *, decode: bool = True) -> MapLayer:
    """Read one layer: attributes (text decoded to Unicode) and geometry as delivered.

    Text comes as Arrow strings. With ``decode=False`` geometry stays WKB, to be decoded
    slice by slice with :func:`decode_geometry`.
    """
    if path.suffix.lower() in CAD_SUFFIXES:
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


def decode_geometry(layer: MapLayer) -> MapLayer:
    """The layer with its WKB as shapely geometry; an unclosed ring is closed and noted."""
    if not layer.encoded:
        return layer
    geometry = shapely.from_wkb(layer.geometry, on_invalid="ignore")
    unreadable = np.flatnonzero(shapely.is_missing(geometry) & pd.notna(layer.geometry))
    if len(unreadable):
        fixed = shapely.from_wkb(layer.geometry[unreadable], on_invalid="fix")
        geometry[unreadable] = fixed
        for position in unreadable[~shapely.is_missing(fixed)]:
            layer.row_notes.setdefault(int(position), []).append(
                "ring_not_closed: the source ring was not closed; closed on intake"
            )
    layer.geometry, layer.encoded = geometry, False
    return layer


def _sample(layer: MapLayer) -> np.ndarray:
    """About 500 points on the layer's features, spread through it, for the CRS check."""
    present = layer.geometry[pd.notna(layer.geometry)]
    sample = present[:: max(1, len(present) // 500)]
    if layer.encoded:  # only the sample is decoded here; the rest is, slice by slice, later
        sample = shapely.from_wkb(sample, on_invalid="fix")
    # empty geometries have no place (they are quarantined with the features they belong to)
    sample = sample[~shapely.is_missing(sample) & ~shapely.is_empty(sample)]
    if len(sample) == 0:
        raise ValidationError(
            f"layer {layer.layer!r} has no geometry: every feature's is missing or empty",
            field="layer",
            value=layer.layer,
        )
    return shapely.point_on_surface(sample)


def resolve_crs(
    layer: MapLayer,
    *,
    confirmed: str | None,
    expected: BaseGeometry | None,
    expected_srid: int,
    where: str,
) -> tuple[Transformer, int, str]:
    """The transformer from the layer's coordinates to ``expected_srid``, its SRID and a note.

    Uses the declared CRS; a layer with no CRS, an unrecognised one, or coordinates that fall
    far from ``expected`` (its commune or the province) is stopped with the CRS it is
    probably in, unless the user confirmed one.
    """
    sample = _sample(layer)
    if confirmed:
        srid = srid_from_text(confirmed)
        return (
            transformer_to(recognise_crs(f"EPSG:{srid}").definition, expected_srid),
            srid,
            f"CRS EPSG:{srid} confirmed by the user",
        )
    guesses = [] if expected is None else candidate_srids(sample, expected, expected_srid)
    hint = (
        f"; its coordinates fit EPSG:{guesses[0]} — confirm with --crs EPSG:{guesses[0]}"
        if guesses
        else "; give it with --crs"
    )
    if layer.declared_crs is None:
        raise CRSError(
            f"layer {layer.layer!r} declares no CRS{hint}",
            field="crs",
            value=None,
            candidates=guesses,
        )
    recognised = recognise_crs(layer.declared_crs)
    if recognised.srid is None:
        raise CRSError(
            f"layer {layer.layer!r} declares a CRS landreg does not recognise{hint}",
            field="crs",
            value=layer.declared_crs[:120],
            candidates=guesses,
        )
    transform = transformer_to(recognised.definition, expected_srid)
    if expected is not None:
        moved = apply_transformer(sample, transform)
        landed = float(np.mean(shapely.dwithin(expected, moved, 2_000.0)))
        if landed < 0.9:
            distance = float(np.median(shapely.distance(expected, moved)))
            raise CRSError(
                f"layer {layer.layer!r} declares EPSG:{recognised.srid} but its features lie "
                f"{distance / 1000:.0f} km from {where}{hint}",
                field="crs",
                value=f"EPSG:{recognised.srid}",
                candidates=guesses,
            )
    return transform, recognised.srid, recognised.note
