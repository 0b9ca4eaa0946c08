"""Geometry defects planted in a commune's cadastral map, each recorded for the ground truth.

Every defect touches parcels no other defect touches, so each finding has one cause:

* ``overlap`` / ``overlap_sliver``: a parcel grows into its neighbour by a band 1.5-4 m
  (urban 0.8-2 m) or 2-4 cm wide along their shared edge;
* ``gap``: a parcel shrinks away from its neighbour by a band 0.3-1.5 m wide;
* ``duplicate_exact`` / ``duplicate_near``: a second feature with the same key, identical or
  scaled by 0.2 % and shifted by about 10 cm;
* ``invalid_self_intersection`` (a small twist at a corner), ``invalid_repeated_ring`` (the
  shell repeated as a hole), ``invalid_spike`` (a 3-8 m out-and-back spike);
* ``invalid_ring_not_closed`` is only marked here; the GeoJSON writer drops the closing
  position, because WKB formats cannot carry an open ring.
"""

from __future__ import annotations

import numpy as np

import shapely
from shapely import affinity

GEOMETRY_KINDS = (
    "overlap", "overlap_sliver", "gap", "duplicate_exact", "duplicate_near",
    "invalid_self_intersection", "invalid_repeated_ring", "invalid_spike",
    "invalid_ring_not_closed",
)  # fmt: skip
_NEIGHBOUR_KINDS = ("overlap", "overlap_sliver", "gap")


def neighbour_pairs(parcels: np.ndarray, block: np.ndarray, candidates: np.ndarray):
    """For candidate parcels, one same-block neighbour sharing an edge longer than 4 m."""
    tree = shapely.STRtree(parcels)
    a, b = tree.query(parcels[candidates], predicate="intersects")
    a = candidates[a]
    keep = (a != b) & (block[a] == block[b])
    a, b = a[keep], b[keep]
    shared = shapely.intersection(shapely.boundary(parcels[a]), shapely.boundary(parcels[b]))
    length = shapely.length(shared)
    keep = length > 4.0
    a, b, shared, length = a[keep], b[keep], shared[keep], length[keep]
    _, first = np.unique(a, return_index=True)
    return a[first], b[first], shared[first], length[first]


def _band_width(rng, kind: str, length: np.ndarray, urban: bool) -> np.ndarray:
    size = len(length)
    if kind == "overlap_sliver":
        return np.minimum(rng.uniform(0.02, 0.04, size), 0.8 / length)
    if kind == "gap":
        return rng.uniform(0.3, 1.5, size) * (0.5 if urban else 1.0)
    return rng.uniform(0.8, 2.0, size) if urban else rng.uniform(1.5, 4.0, size)


def grow_or_shrink(rng, parcels, a, b, shared, length, kind: str, urban: bool):
    """New geometry of ``a`` and the affected area for an overlap, sliver or gap."""
    width = _band_width(rng, kind, length, urban)
    band = shapely.buffer(shared, width, cap_style="flat", join_style="mitre")
    if kind == "gap":
        piece = shapely.intersection(band, parcels[a])
        new = shapely.difference(parcels[a], band)
    else:
        piece = shapely.intersection(band, parcels[b])
        new = shapely.union(parcels[a], piece)
    ok = (shapely.get_type_id(new) == 3) & shapely.is_valid(new) & (shapely.area(piece) > 0.02)
    ok &= shapely.area(piece) < 0.25 * shapely.area(parcels[a])
    if kind == "overlap_sliver":
        ok &= shapely.area(piece) < 1.0
    return new, shapely.area(piece), ok


def twist_corner(polygon: shapely.Polygon, step: float = 0.3) -> shapely.Polygon:
    """A self-intersecting copy: the ring crosses itself in a small bow-tie at one corner."""
    ring = shapely.get_coordinates(polygon.exterior)[:-1]
    prev, corner, nxt = ring[-1], ring[0], ring[1]
    towards_next = corner + step * (nxt - corner) / np.linalg.norm(nxt - corner)
    towards_prev = corner + step * (prev - corner) / np.linalg.norm(prev - corner)
    twisted = np.vstack([towards_next, towards_prev, ring[1:]])
    return shapely.Polygon(twisted)


def repeated_ring(polygon: shapely.Polygon) -> shapely.Polygon:
    """A copy whose exterior ring is repeated as an interior ring (invalid)."""
    return shapely.Polygon(polygon.exterior.coords, holes=[polygon.exterior.coords])


def spike(polygon: shapely.Polygon, length: float) -> shapely.Polygon:
    """A copy with a zero-width out-and-back spike at its first vertex (invalid)."""
    ring = shapely.get_coordinates(polygon.exterior)[:-1]
    corner = ring[0]
    outward = corner - shapely.get_coordinates(polygon.centroid)[0]
    tip = corner + length * outward / np.linalg.norm(outward)
    return shapely.Polygon(np.vstack([corner, tip, corner, ring[1:]]))


def invalid_copy(rng, polygon: shapely.Polygon, kind: str) -> shapely.Polygon:
    """The invalid form of ``polygon`` for one of the ``invalid_*`` kinds."""
    if kind == "invalid_self_intersection":
        return twist_corner(polygon)
    if kind == "invalid_repeated_ring":
        return repeated_ring(polygon)
    return spike(polygon, float(rng.uniform(3.0, 8.0)))


def near_copy(rng, polygon: shapely.Polygon) -> shapely.Polygon:
    """A near duplicate: scaled by 0.2 % about its centroid and shifted by about 10 cm."""
    scaled = affinity.scale(polygon, 1.002, 1.002, origin="centroid")
    dx, dy = rng.uniform(-0.12, 0.12, size=2)
    return affinity.translate(scaled, dx, dy)


def _take(rng, free: np.ndarray, count: int) -> np.ndarray:
    """Pick ``count`` free parcels at random and mark them used."""
    chosen = rng.permutation(np.flatnonzero(free))[:count]
    free[chosen] = False
    return np.sort(chosen)


def _plant_neighbour_kind(rng, gdf, free, kind: str, count: int, urban: bool) -> list[dict]:
    if count == 0:
        return []
    parcels, block = gdf.geometry.to_numpy(), gdf["block"].to_numpy()
    candidates = rng.permutation(np.flatnonzero(free))[: count * 8]
    a, b, shared, length = neighbour_pairs(parcels, block, np.sort(candidates))
    new, affected, ok = grow_or_shrink(rng, parcels, a, b, shared, length, kind, urban)
    planted = []
    for i in rng.permutation(np.flatnonzero(ok)):
        if len(planted) == count:
            break
        if not (free[a[i]] and free[b[i]]):
            continue
        free[[a[i], b[i]]] = False
        gdf.geometry.values[a[i]] = new[i]
        planted.append(
            {"kind": kind, "rows": [int(a[i]), int(b[i])], "area_m2": float(affected[i])}
        )
    return planted


def _plant_single_kind(rng, gdf, free, kind: str, count: int) -> list[dict]:
    planted = []
    for row in _take(rng, free, count):
        polygon = gdf.geometry.values[row]
        if kind.startswith("invalid_") and kind != "invalid_ring_not_closed":
            gdf.geometry.values[row] = invalid_copy(rng, polygon, kind)
        planted.append({"kind": kind, "rows": [int(row)]})
    return planted


def _append_duplicates(rng, gdf, planted: list[dict]):
    copies = []
    for defect in planted:
        if defect["kind"] not in ("duplicate_exact", "duplicate_near"):
            continue
        row = defect["rows"][0]
        copy = gdf.iloc[[row]].copy()
        if defect["kind"] == "duplicate_near":
            copy.geometry.values[0] = near_copy(rng, copy.geometry.values[0])
        defect["rows"].append(len(gdf) + len(copies))
        copies.append(copy)
    if not copies:
        return gdf
    import pandas as pd

    return pd.concat([gdf, *copies], ignore_index=True)


def plant_map_defects(rng, gdf, counts: dict[str, int], urban: bool):
    """Plant the map defects of one commune.

    Parameters
    ----------
    rng : numpy.random.Generator
        The commune's random stream.
    gdf : geopandas.GeoDataFrame
        The clean parcels in reading order (modified in place where geometry changes).
    counts : dict
        Number of defects of each kind in ``GEOMETRY_KINDS`` to plant.
    urban : bool
        Urban ward (narrower bands).

    Returns
    -------
    tuple
        The parcels with duplicates appended at the end, and one dict per defect with its
        ``kind``, the positional ``rows`` involved and details.
    """
    free = np.ones(len(gdf), dtype=bool)
    planted: list[dict] = []
    for kind in GEOMETRY_KINDS:
        if kind in _NEIGHBOUR_KINDS:
            planted += _plant_neighbour_kind(rng, gdf, free, kind, counts.get(kind, 0), urban)
        else:
            planted += _plant_single_kind(rng, gdf, free, kind, counts.get(kind, 0))
    return _append_duplicates(rng, gdf, planted), planted
