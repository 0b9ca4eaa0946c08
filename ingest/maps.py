"""A cadastral map layer as read, and the coordinate reference system it is really in.

Each map format's reader (``ingest/formats.py`` names them) gives a :class:`MapLayer`:
attributes, and geometry as delivered (WKB until it is decoded, slice by slice, in bulk with
shapely). Invalid geometry is kept as received (only an unclosed ring, which no geometry
library can hold, is closed, and the record says so). :func:`resolve_crs` checks the CRS a
layer declares against where its features lie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from landreg.errors import CRSError, ValidationError
from spatial.crs import (
    apply_transformer,
    candidate_srids,
    recognise_crs,
    srid_from_text,
    transformer_to,
)


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
