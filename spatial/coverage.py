"""Checks of a parcel coverage: invalid geometry, overlaps, duplicates, gaps, misplacement.

Everything works on arrays of geometries at once (GEOS through shapely 2): candidate pairs
come from an STRtree queried with prepared predicates, areas and intersections are computed
for all pairs together. No Python loop runs over parcels, only over the (few) findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import shapely

_LOCATION = re.compile(r"\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]")
# The precision (m) to which the pieces around a mismatched parcel are unioned.
_GRID = 1e-6


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


def mismatched(geometries: np.ndarray) -> np.ndarray:
    """Which parcels do not fit their neighbours edge for edge (GEOS coverage validation).

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        The parcels of one area.

    Returns
    -------
    numpy.ndarray of bool
        True for a parcel with an edge its neighbours do not share (an overlap, a gap, a
        vertex missing on one side), and for missing or invalid geometries; False for the
        parcels that form a valid coverage with the rest. Overlap and gap detection take
        it, so that the validation runs once for both.
    """
    usable = ~shapely.is_missing(geometries) & shapely.is_valid(geometries)
    result = ~usable
    edges = shapely.coverage_invalid_edges(geometries[usable])
    result[np.flatnonzero(usable)] = ~shapely.is_empty(edges)
    return result


def overlapping_pairs(
    geometries: np.ndarray,
    rules: OverlapRules = OverlapRules(),
    flagged: np.ndarray | None = None,
) -> pd.DataFrame:
    """Pairs of parcels whose interiors intersect, sorted into duplicates, overlaps, slivers.

    Only valid geometries are compared (invalid ones are reported as such). GEOS's coverage
    validation (:func:`mismatched`) first finds the few parcels whose edges do not match
    their neighbours'; only those are intersected with what is around them. Identical
    parcels are found by their normalised WKB.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        The parcels.
    rules : OverlapRules
        Thresholds.
    flagged : numpy.ndarray of bool, optional
        :func:`mismatched` of ``geometries``, when already computed.

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (positions, ``a < b``), ``kind`` (``duplicate_exact``,
        ``duplicate_near``, ``overlap`` or ``overlap_sliver``), ``area`` (m² of the overlap)
        and ``geometry`` (the overlap itself).
    """
    usable = np.flatnonzero(~shapely.is_missing(geometries) & shapely.is_valid(geometries))
    if len(usable) < 2:
        return _empty_pairs()
    candidates = geometries[usable]
    flagged = mismatched(geometries) if flagged is None else flagged
    suspects = np.flatnonzero(flagged[usable])
    near, other = shapely.STRtree(candidates).query(candidates[suspects], predicate="intersects")
    pairs = np.unique(np.sort(np.vstack([suspects[near], other]), axis=0), axis=1)
    pairs = np.unique(np.hstack([pairs, _identical(candidates)]), axis=1)
    pairs = pairs[:, pairs[0] < pairs[1]]
    a, b = usable[pairs[0]], usable[pairs[1]]
    return _classified(geometries, a, b, rules)


def _identical(geometries: np.ndarray) -> np.ndarray:
    """Pairs (2, n) of positions whose normalised geometries are byte for byte the same."""
    blobs = pd.Series(shapely.to_wkb(shapely.normalize(geometries)))
    repeated = blobs[blobs.duplicated(keep=False)]
    pairs = [
        (i, j)
        for _, group in repeated.groupby(repeated, sort=False)
        for i in group.index
        for j in group.index
        if i < j
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2).T


def _classified(
    geometries: np.ndarray, a: np.ndarray, b: np.ndarray, rules: OverlapRules
) -> pd.DataFrame:
    """Overlap area of each pair and what it amounts to."""
    overlap = shapely.intersection(geometries[a], geometries[b])
    area = shapely.area(overlap)
    keep = area > rules.noise_area
    a, b, overlap, area = a[keep], b[keep], _areas_only(overlap[keep]), area[keep]
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


def _areas_only(shapes: np.ndarray) -> np.ndarray:
    """The area of each shape without the lines and points an intersection of neighbours
    brings along (two parcels that overlap and also share an edge meet in a polygon and a
    line): an overlap is where it covers ground."""
    out = shapes.copy()
    for position in np.flatnonzero(shapely.get_type_id(shapes) == 7):  # collections, few
        parts = shapely.get_parts(shapes[position])
        out[position] = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
    return out


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


def gaps(
    parcels: np.ndarray,
    strips: np.ndarray,
    *,
    min_area: float = 0.05,
    flagged: np.ndarray | None = None,
) -> pd.DataFrame:
    """Holes in the coverage that no parcel and no road or canal strip fills.

    The parcels whose edges match their neighbours' form a valid coverage, which GEOS
    unions in linear time into blocks; the blocks and the strips (drawn without the parcels'
    vertices along their edges, so never a valid coverage with them) are then unioned by
    overlay. Its holes hold either a gap or the few mismatched (or invalid) parcels, which
    are unioned into each hole: what stays uncovered is a gap. Gaps touching a mismatched
    parcel are found by unioning a small window around it.

    Parameters
    ----------
    parcels : numpy.ndarray of shapely geometries
        The parcels of one area (a commune); invalid ones are repaired (:func:`repaired`)
        for this check only, so a gap beside an invalid parcel is measured on its repaired
        boundary.
    strips : numpy.ndarray of shapely geometries
        Roads, canals and verges: legitimate land between parcels.
    min_area : float
        Holes smaller than this (m²) are floating-point noise.
    flagged : numpy.ndarray of bool, optional
        :func:`mismatched` of ``parcels``, when already computed.

    Returns
    -------
    pandas.DataFrame
        Columns ``geometry`` (the gap), ``area`` and ``neighbours`` (positions in ``parcels``
        of the parcels around it).
    """
    flagged = mismatched(parcels) if flagged is None else flagged
    clean = parcels[~flagged]
    rest = _polygonal(repaired(parcels[flagged & ~shapely.is_missing(parcels)]))
    roads = _polygonal(strips[~shapely.is_missing(strips)])
    if len(clean) + len(rest) + len(roads) == 0:
        return pd.DataFrame({"geometry": [], "area": [], "neighbours": []})
    blocks = shapely.get_parts(shapely.coverage_union_all(clean))
    ground = shapely.union_all(np.concatenate([blocks, roads]))
    pieces = np.concatenate([clean, rest, roads])
    uncovered = np.concatenate([_uncovered(_holes(ground), rest), _holes_around(rest, pieces)])
    uncovered = (
        _distinct(uncovered[shapely.area(uncovered) >= min_area]) if len(uncovered) else uncovered
    )
    if len(uncovered) == 0:
        return pd.DataFrame({"geometry": [], "area": [], "neighbours": []})
    near, owner = shapely.STRtree(parcels).query(
        shapely.buffer(uncovered, 0.01), predicate="intersects"
    )
    neighbours = [sorted(owner[near == i].tolist()) for i in range(len(uncovered))]
    return pd.DataFrame(
        {"geometry": uncovered, "area": shapely.area(uncovered), "neighbours": neighbours}
    )


def repaired(geometries: np.ndarray) -> np.ndarray:
    """Each geometry made valid, keeping only its area: what the parcel covers once fixed.

    GEOS's ``make_valid`` turns a spike or a collapsed edge into a collection of a polygon
    and lines; the lines cover nothing, so only the polygonal parts are kept (unioned, which
    also merges a multipolygon's overlapping parts). A geometry left with no area becomes
    an empty polygon.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        Geometries, valid or not (none missing).

    Returns
    -------
    numpy.ndarray of shapely geometries
        Valid polygons or multipolygons, one per input.
    """
    fixed = shapely.make_valid(geometries)
    result = fixed.copy()
    mixed = np.flatnonzero(shapely.get_type_id(fixed) == 7)  # collections: the few spikes
    for position in mixed:
        parts = shapely.get_parts(fixed[position])
        polygons = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        result[position] = shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
    return result


def overlapping_parts(geometries: np.ndarray, *, noise_area: float = 1e-4) -> pd.DataFrame:
    """Multipart geometries whose parts overlap one another.

    GEOS calls such a geometry invalid ("Self-intersection") like any other; here the
    parts are intersected pair by pair to say what it is. Parts that only touch (an edge in
    common, no area) are not overlaps, and a geometry with a part invalid on its own is left
    to :func:`invalid_geometries`.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        The parcels (missing geometries are skipped).
    noise_area : float
        Intersections smaller than this (m²) are floating-point noise of a shared edge.

    Returns
    -------
    pandas.DataFrame
        Columns ``index`` (position in ``geometries``), ``area`` (m², summed over the
        overlapping pairs of parts), ``pairs`` (how many pairs overlap) and ``geometry``
        (where they overlap).
    """
    present = ~shapely.is_missing(geometries)
    multi = present & (shapely.get_type_id(geometries) == 6)
    suspects = np.flatnonzero(multi)
    suspects = suspects[~shapely.is_valid(geometries[suspects])]
    columns: dict[str, list[Any]] = {"index": [], "area": [], "pairs": [], "geometry": []}
    if len(suspects) == 0:
        return pd.DataFrame(columns)
    parts, owner = shapely.get_parts(geometries[suspects], return_index=True)
    sound = ~np.isin(np.arange(len(suspects)), owner[~shapely.is_valid(parts)])
    one, other = shapely.STRtree(parts).query(parts, predicate="intersects")
    pairs = (one < other) & (owner[one] == owner[other]) & sound[owner[one]]
    one, other = one[pairs], other[pairs]
    overlap = shapely.intersection(parts[one], parts[other])
    area = shapely.area(overlap)
    real = area > noise_area
    found = pd.DataFrame({"owner": owner[one][real], "area": area[real], "geometry": overlap[real]})
    for position, group in found.groupby("owner", sort=True):
        columns["index"].append(int(suspects[position]))
        columns["area"].append(float(group["area"].sum()))
        columns["pairs"].append(len(group))
        columns["geometry"].append(shapely.union_all(group["geometry"].to_numpy()))
    return pd.DataFrame(columns)


def share_inside_outlines(hole: shapely.Geometry, shapes: np.ndarray) -> float:
    """The share of ``hole``'s area inside the outline of any of ``shapes``.

    A shape's outline is the convex hull of what it covers once repaired (:func:`repaired`),
    or of its vertices when nothing is left: where its boundary was meant to run, however
    it crosses itself. A hole mostly inside an invalid parcel's outline is that parcel's own
    defect (a bow-tie's missing triangles), not a gap beside it. The repaired shape rather
    than every vertex, so that a spike (a line, covering nothing) does not stretch the
    outline over its neighbours.

    Parameters
    ----------
    hole : shapely geometry
        A polygon (a gap).
    shapes : numpy.ndarray of shapely geometries
        The shapes whose outlines count (invalid parcels, say).

    Returns
    -------
    float
        Between 0 and 1 (0 for a hole without area).
    """
    area = shapely.area(hole)
    if not area or len(shapes) == 0:
        return 0.0
    fixed = repaired(shapes)
    covering = np.where(shapely.area(fixed) > 0, fixed, shapes)
    outlines = shapely.union_all(shapely.convex_hull(covering))
    return float(shapely.area(shapely.intersection(hole, outlines)) / area)


def _distinct(shapes: np.ndarray) -> np.ndarray:
    """One of each set of shapes that cover the same ground (a gap seen from two sides may
    come back with different vertices)."""
    if len(shapes) < 2:
        return shapes
    one, other = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    pairs = one < other
    one, other = one[pairs], other[pairs]
    apart = shapely.area(shapely.symmetric_difference(shapes[one], shapes[other]))
    same = apart <= 0.01 * np.minimum(shapely.area(shapes[one]), shapely.area(shapes[other]))
    return shapes[~np.isin(np.arange(len(shapes)), other[same])]


def _polygonal(shapes: np.ndarray) -> np.ndarray:
    """The polygons and multipolygons among ``shapes`` that are not empty."""
    return shapes[np.isin(shapely.get_type_id(shapes), (3, 6)) & ~shapely.is_empty(shapes)]


def _holes_around(rest: np.ndarray, pieces: np.ndarray, margin: float = 5.0) -> np.ndarray:
    """Holes near mismatched pieces: everything in a window around them, unioned locally.

    Windows of neighbouring mismatched pieces merge, so each region is unioned once.
    """
    if len(rest) == 0:
        return np.array([], dtype=object)
    windows = shapely.get_parts(
        shapely.union_all(shapely.box(*shapely.bounds(shapely.buffer(rest, margin)).T))
    )
    window, member = shapely.STRtree(pieces).query(windows, predicate="intersects")
    found = []
    for index in range(len(windows)):
        # on a micrometre grid: edges that reprojection left 1e-10 m apart meet again, so
        # that no floating-point sliver opens a hole to the window's edge
        union = shapely.union_all(pieces[member[window == index]], grid_size=_GRID)
        holes = _holes(union)
        if len(holes):
            found.append(holes[shapely.within(holes, windows[index])])
    return np.concatenate(found) if found else np.array([], dtype=object)


def _uncovered(holes: np.ndarray, fillers: np.ndarray) -> np.ndarray:
    """What of each hole the mismatched pieces do not fill, as separate polygons."""
    if len(holes) == 0:
        return holes
    if len(fillers) == 0:
        return holes
    hole, filler = shapely.STRtree(fillers).query(holes, predicate="intersects")
    left = holes.copy()
    for index in np.unique(hole):
        left[index] = shapely.difference(
            holes[index], shapely.union_all(fillers[filler[hole == index]])
        )
    parts = shapely.get_parts(left)
    return parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]


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

    ``areas`` holds, per parcel, the boundary it must lie in (missing: not checked); each
    distinct boundary is buffered and prepared once.
    """
    checkable = ~shapely.is_missing(geometries) & ~shapely.is_missing(areas)
    result = np.zeros(len(geometries), dtype=bool)
    codes, distinct = pd.factorize(pd.Series(shapely.to_wkb(areas[checkable])))
    grown = shapely.buffer(shapely.from_wkb(np.asarray(distinct)), tolerance)
    shapely.prepare(grown)
    result[checkable] = ~shapely.covers(grown[codes], geometries[checkable])
    return result
