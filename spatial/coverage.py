"""Checks of a parcel coverage: invalid geometry, overlaps, duplicates, gaps, misplacement.

Everything works on arrays of geometries at once (GEOS through shapely 2): candidate pairs
come from an STRtree queried with prepared predicates, areas and intersections are computed
for all pairs together. No Python loop runs over parcels, only over the (few) findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

import shapely

_LOCATION = re.compile(r"\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]")


def invalid_geometries(geometries: np.ndarray) -> pd.DataFrame:
    """Invalid geometries with GEOS's reason and where it is.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        The parcels (missing geometries are skipped).

    Returns
    -------
    pandas.DataFrame
        Columns ``index`` (position in ``geometries``), ``reason`` (GEOS's text) and
        ``location`` (a point at the problem, or the geometry's representative point).
    """
    present = ~shapely.is_missing(geometries)
    bad = np.flatnonzero(present & ~shapely.is_valid(geometries))
    reasons = shapely.is_valid_reason(geometries[bad])
    locations = []
    for reason, geometry in zip(reasons, geometries[bad], strict=True):
        match = _LOCATION.search(str(reason))
        locations.append(
            shapely.Point(float(match.group(1)), float(match.group(2)))
            if match
            else shapely.point_on_surface(geometry)
        )
    return pd.DataFrame({"index": bad, "reason": reasons, "location": locations})


@dataclass(frozen=True, slots=True)
class OverlapRules:
    """Thresholds that sort overlapping pairs.

    Attributes
    ----------
    sliver_area : float
        Overlaps smaller than this (m²) are slivers: reported on their own, never dropped.
    noise_area : float
        Intersections smaller than this (m²) are floating-point noise of shared edges.
    duplicate_ratio : float
        Pairs whose overlap covers this share of the larger parcel are near-duplicates.
    """

    sliver_area: float = 1.0
    noise_area: float = 1e-4
    duplicate_ratio: float = 0.95


def overlapping_pairs(geometries: np.ndarray, rules: OverlapRules = OverlapRules()) -> pd.DataFrame:
    """Pairs of parcels whose interiors intersect, sorted into duplicates, overlaps, slivers.

    Only valid geometries are compared (invalid ones are reported as such). Candidates come
    from the STRtree with the ``overlaps``, ``contains`` and ``within`` predicates, which for
    polygons together mean "interiors intersect" (DE-9IM ``2********``).

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        The parcels.
    rules : OverlapRules
        Thresholds.

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (positions, ``a < b``), ``kind`` (``duplicate_exact``,
        ``duplicate_near``, ``overlap`` or ``overlap_sliver``), ``area`` (m² of the overlap)
        and ``geometry`` (the overlap itself).
    """
    usable = ~shapely.is_missing(geometries) & shapely.is_valid(geometries)
    positions = np.flatnonzero(usable)
    if len(positions) < 2:
        return _empty_pairs()
    candidates = geometries[positions]
    tree = shapely.STRtree(candidates)
    found = [tree.query(candidates, predicate=name) for name in ("overlaps", "contains", "within")]
    pairs = np.unique(np.concatenate(found, axis=1), axis=1)
    pairs = pairs[:, pairs[0] < pairs[1]]
    a, b = positions[pairs[0]], positions[pairs[1]]
    overlap = shapely.intersection(geometries[a], geometries[b])
    area = shapely.area(overlap)
    keep = area > rules.noise_area
    a, b, overlap, area = a[keep], b[keep], overlap[keep], area[keep]
    larger = np.maximum(shapely.area(geometries[a]), shapely.area(geometries[b]))
    exact = shapely.equals_exact(
        shapely.normalize(geometries[a]), shapely.normalize(geometries[b]), tolerance=0.0
    )
    kind = np.where(
        exact,
        "duplicate_exact",
        np.where(
            area >= rules.duplicate_ratio * larger,
            "duplicate_near",
            np.where(area < rules.sliver_area, "overlap_sliver", "overlap"),
        ),
    )
    return pd.DataFrame({"a": a, "b": b, "kind": kind, "area": area, "geometry": overlap})


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": pd.Series(dtype=int),
            "b": pd.Series(dtype=int),
            "kind": pd.Series(dtype=object),
            "area": pd.Series(dtype=float),
            "geometry": pd.Series(dtype=object),
        }
    )


def gaps(parcels: np.ndarray, strips: np.ndarray, *, min_area: float = 0.05) -> pd.DataFrame:
    """Holes in the coverage that no parcel and no road or canal strip fills.

    Parameters
    ----------
    parcels : numpy.ndarray of shapely geometries
        The parcels of one area (a commune); invalid ones are made valid for this check only.
    strips : numpy.ndarray of shapely geometries
        Roads, canals and verges: legitimate land between parcels.
    min_area : float
        Holes smaller than this (m²) are floating-point noise.

    Returns
    -------
    pandas.DataFrame
        Columns ``geometry`` (the gap), ``area`` and ``neighbours`` (positions in ``parcels``
        of the parcels around it).
    """
    present = parcels[~shapely.is_missing(parcels)]
    if len(present) == 0:
        return pd.DataFrame({"geometry": [], "area": [], "neighbours": []})
    fixed = np.where(shapely.is_valid(present), present, shapely.make_valid(present))
    covered = shapely.union_all(np.concatenate([fixed, strips[~shapely.is_missing(strips)]]))
    holes = _holes(covered)
    holes = holes[shapely.area(holes) >= min_area] if len(holes) else holes
    if len(holes) == 0:
        return pd.DataFrame({"geometry": [], "area": [], "neighbours": []})
    tree = shapely.STRtree(parcels)
    near, owner = tree.query(shapely.buffer(holes, 0.01), predicate="intersects")
    neighbours = [sorted(owner[near == i].tolist()) for i in range(len(holes))]
    return pd.DataFrame({"geometry": holes, "area": shapely.area(holes), "neighbours": neighbours})


def _holes(covered: shapely.Geometry) -> np.ndarray:
    """The interior rings of a (multi)polygon, as polygons."""
    polygons = shapely.get_parts(covered)
    polygons = polygons[shapely.get_type_id(polygons) == 3]
    counts = shapely.get_num_interior_rings(polygons)
    if len(polygons) == 0 or counts.max() == 0:
        return np.array([], dtype=object)
    rings = np.concatenate([shapely.get_interior_ring(polygons, i) for i in range(counts.max())])
    return shapely.polygons(rings[~shapely.is_missing(rings)])


def outside(geometries: np.ndarray, areas: np.ndarray, *, tolerance: float = 1.0) -> np.ndarray:
    """For each parcel, True when it is not inside its own area (commune) by ``tolerance`` m.

    ``areas`` holds, per parcel, the boundary it must lie in (missing: not checked).
    """
    checkable = ~shapely.is_missing(geometries) & ~shapely.is_missing(areas)
    result = np.zeros(len(geometries), dtype=bool)
    grown = shapely.buffer(areas[checkable], tolerance)
    result[checkable] = ~shapely.covers(grown, geometries[checkable])
    return result
