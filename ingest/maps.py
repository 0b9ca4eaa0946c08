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

from ingest.batches import Rejected
from ingest.records import reject_rows
from landreg.domain import reference
from landreg.errors import CRSError, ValidationError
from spatial.crs import (
    CANDIDATE_SRIDS,
    apply_transformer,
    candidate_srids,
    recognise_crs,
    srid_from_text,
    transformer_to,
)

# How far (metres) a layer's features may lie from where they should (90 % of them), and how
# far a single parcel may lie outside the province before it is quarantined.
LAYER_TOLERANCE = 2_000.0
FEATURE_MARGIN = 5_000.0
OUTSIDE_PROVINCE = "nằm ngoài tỉnh / outside the province"


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
            f"lớp {layer.layer!r} không có hình học / layer {layer.layer!r} has no geometry: "
            "every feature's is missing or empty",
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

    Uses the declared CRS, or the one the user confirmed. A layer with no CRS or an
    unrecognised one is stopped with the CRS it is probably in; so is one whose features fall
    far from ``expected`` (its commune or the province; the province's shipped extent when
    None), whichever CRS it was read in: coordinates that cannot be in the province are
    never stored.
    """
    sample = _sample(layer)
    if expected is None:
        expected, where = reference.province_extent(expected_srid), "the province"
    tried = candidate_systems()
    guesses = candidate_srids(sample, expected, expected_srid, candidates=tried)
    if confirmed:
        srid = srid_from_text(confirmed)
        transform = transformer_to(recognise_crs(f"EPSG:{srid}").definition, expected_srid)
        check = _Landing(layer.layer, expected, where, guesses, tried)
        check.raise_if_far(sample, transform, srid, confirmed=True)
        return (
            transform,
            srid,
            f"hệ tọa độ EPSG:{srid} do người dùng xác nhận / CRS EPSG:{srid} confirmed by the user",
        )
    if layer.declared_crs is None:
        raise CRSError(
            f"lớp {layer.layer!r} không khai hệ toạ độ{_hint_vi(guesses, tried, layer, where)} / "
            f"layer {layer.layer!r} declares no CRS{_hint(guesses, tried, layer, where)}",
            field="crs",
            value=None,
            candidates=guesses,
        )
    recognised = recognise_crs(layer.declared_crs)
    if recognised.srid is None:
        raise CRSError(
            f"lớp {layer.layer!r} khai một hệ toạ độ landreg không nhận ra"
            f"{_hint_vi(guesses, tried, layer, where)} / layer {layer.layer!r} declares a CRS "
            f"landreg does not recognise{_hint(guesses, tried, layer, where)}",
            field="crs",
            value=layer.declared_crs[:120],
            candidates=guesses,
        )
    transform = transformer_to(recognised.definition, expected_srid)
    check = _Landing(layer.layer, expected, where, guesses, tried)
    check.raise_if_far(sample, transform, recognised.srid, confirmed=False)
    return transform, recognised.srid, recognised.note


def candidate_systems() -> tuple[int, ...]:
    """The CRSs a layer is tried in: the TM-3 zones of the reference's communes (the
    installation's own when it loaded some), then ``spatial.crs.CANDIDATE_SRIDS``."""
    zones = [unit.cadastral_srid for unit in reference.communes().values() if unit.cadastral_srid]
    return tuple(dict.fromkeys([*zones, *CANDIDATE_SRIDS]))


@dataclass(frozen=True, slots=True)
class _Landing:
    """Where a layer should land, and what to tell the user when it does not."""

    name: str
    expected: BaseGeometry
    where: str
    guesses: list[int]
    tried: tuple[int, ...]

    def raise_if_far(
        self, sample: np.ndarray, transform: Transformer, srid: int, *, confirmed: bool
    ) -> None:
        """Raise when fewer than 90 % of the sample (read in ``srid``, declared or
        ``confirmed`` by the user) land within 2 km of ``expected``."""
        moved = apply_transformer(sample, transform)
        moved = moved[np.isfinite(shapely.get_coordinates(moved)).all(axis=1)]
        if len(moved) and np.mean(shapely.dwithin(self.expected, moved, LAYER_TOLERANCE)) >= 0.9:
            return
        km = float(np.median(shapely.distance(self.expected, moved))) / 1000 if len(moved) else 0
        far, far_vi = (f"{km:,.0f} km",) * 2 if km else ("far", "rất xa")
        how, how_vi = ("confirmed", "đã xác nhận") if confirmed else ("declared", "đã khai")
        raise CRSError(
            f"lớp {self.name!r} theo hệ toạ độ {how_vi} EPSG:{srid} nằm cách {_vi(self.where)} "
            f"{far_vi}{_hint_vi(self.guesses, self.tried, self.name, self.where)} / layer "
            f"{self.name!r} in the {how} EPSG:{srid} lies {far} from {self.where}"
            f"{_hint(self.guesses, self.tried, self.name, self.where)}",
            field="crs",
            value=f"EPSG:{srid}",
            candidates=self.guesses,
        )


def _name(layer: MapLayer | str) -> str:
    return layer if isinstance(layer, str) else layer.layer


def _tried(tried: tuple[int, ...]) -> str:
    return ", ".join(f"EPSG:{srid}" for srid in tried)


def _hint(guesses: list[int], tried: tuple[int, ...], layer: MapLayer | str, where: str) -> str:
    if guesses:
        return f"; its coordinates fit EPSG:{guesses[0]} — confirm with --crs EPSG:{guesses[0]}"
    return (
        f"; none of the known coordinate systems puts layer {_name(layer)!r} in {where} "
        f"(tried {_tried(tried)})"
    )


def _hint_vi(guesses: list[int], tried: tuple[int, ...], layer: MapLayer | str, where: str) -> str:
    if guesses:
        return f"; toạ độ khớp EPSG:{guesses[0]} — xác nhận bằng --crs EPSG:{guesses[0]}"
    return (
        f"; không hệ toạ độ nào đã biết đưa lớp {_name(layer)!r} vào {_vi(where)} "
        f"(đã thử {_tried(tried)})"
    )


def _vi(where: str) -> str:
    """``where`` (the province, commune 25459, …) in Vietnamese."""
    return where.replace("the province", "tỉnh").replace("commune ", "xã ").replace("Viet", "Việt")


def outside_extent(geometry: np.ndarray, extent: BaseGeometry, margin: float) -> np.ndarray:
    """Which features lie wholly more than ``margin`` from ``extent`` (same CRS): a parcel in
    the Pacific in an otherwise good layer. Missing and empty geometries are not outside.

    Parameters
    ----------
    geometry : numpy.ndarray of shapely geometries
    extent : shapely geometry
        Where the features can be (the province).
    margin : float
        How far outside it a feature may still lie, in the CRS's units.
    """
    present = ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)
    shapely.prepare(extent)
    outside = np.zeros(len(geometry), dtype=bool)
    outside[present] = ~shapely.dwithin(extent, geometry[present], margin)
    return outside


def refuse_outside(
    geometry: np.ndarray, refused: pd.Series, layer: MapLayer, extent: BaseGeometry | None
) -> tuple[pd.Series, list[Rejected]]:
    """The features (not ``refused`` already) far outside the province, and their quarantine
    entries (reason :data:`OUTSIDE_PROVINCE`, field geometry, value the distance)."""
    far = pd.Series(False, index=refused.index)
    if extent is None:
        return far, []
    far[:] = outside_extent(geometry, extent, FEATURE_MARGIN) & ~refused.to_numpy()
    shown = pd.Series(None, index=refused.index, dtype=object)
    for position in np.flatnonzero(far.to_numpy()):  # the few refused, not them all
        shown.iat[position] = f"{shapely.distance(extent, geometry[position]) / 1000:,.0f} km"
    return far, reject_rows(far, layer.rows, OUTSIDE_PROVINCE, "geometry", shown, layer.attributes)
