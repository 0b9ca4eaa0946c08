"""Geometry rules over the map parcels, run by commune with a halo so nothing on a
boundary is missed; the result is the same whether run whole or partitioned."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context

import numpy as np
import pandas as pd

import shapely

from landreg.domain.rules import RuleCode
from landreg.services.findings import Candidate, parcel_key_text, parcel_subject
from spatial import coverage

# One parcel drawn twice.
DUPLICATES = frozenset({RuleCode.GEOM_DUPLICATE, RuleCode.GEOM_NEAR_DUPLICATE})
# A parcel found by one of these has no usable geometry until it is fixed.
BROKEN = frozenset({RuleCode.GEOM_INVALID, RuleCode.GEOM_PARTS_OVERLAP})
# A gap lying this much inside an invalid neighbour's own outline is that parcel's defect.
_OWN_DEFECT_SHARE = 0.5
_OVERLAP_RULES = {
    "duplicate_exact": RuleCode.GEOM_DUPLICATE,
    "duplicate_near": RuleCode.GEOM_NEAR_DUPLICATE,
    "overlap": RuleCode.GEOM_OVERLAP,
    "overlap_sliver": RuleCode.GEOM_OVERLAP_SLIVER,
}


@dataclass(frozen=True, slots=True)
class GeometrySettings:
    """Tolerances of the geometry rules (m and m²), and how many processes run them."""

    sliver_area: float = 1.0
    gap_min_area: float = 0.05
    tiny_area: float = 5.0
    commune_tolerance: float = 1.0
    halo: float = 10.0
    workers: int = 1


def geometry_candidates(
    parcels: pd.DataFrame,
    strips: pd.DataFrame,
    communes: pd.DataFrame,
    settings: GeometrySettings,
    *,
    partitioned: bool = True,
) -> list[Candidate]:
    """Every geometry finding over ``parcels`` (one row each, ``geometry`` column).

    ``partitioned`` compares parcels commune by commune, each with a halo of neighbours, as
    a cluster would (``settings.workers`` processes share the communes); the findings are
    the same either way. Consequences are not reported twice: an invalid parcel (or one
    whose parts overlap) gets no area or size finding (its area means nothing until it is
    fixed), a hole that is its own defect (:func:`_beside_broken`) no gap finding, and the
    copy in a duplicate pair no overlap with its twin's neighbours.
    """
    invalid = _invalid(parcels)
    broken = {s["id"] for c in invalid for s in c.subjects}
    if partitioned:
        overlaps, gaps = _by_partition(parcels, strips, settings)
    else:
        everything = np.arange(len(parcels))
        overlaps, gaps = _partition(parcels, strips, settings, everything, everything)
    twins = {s["id"] for c in overlaps if c.rule in DUPLICATES for s in c.subjects}
    overlaps = [
        c for c in overlaps if c.rule in DUPLICATES or not any(s["id"] in twins for s in c.subjects)
    ]
    gaps = _beside_broken(gaps, parcels[parcels["id"].isin(broken)])
    sound = parcels[~parcels["id"].isin(broken)]
    return (
        invalid
        + overlaps
        + gaps
        + _shapes(sound, settings)
        + _placement(parcels, communes, settings)
    )


def _partitions(parcels: pd.DataFrame, halo: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per commune: the positions in view (its parcels and a halo), and its own positions."""
    geometry = parcels["geometry"].to_numpy()
    tree = shapely.STRtree(geometry)
    for commune in sorted(parcels["commune_code"].unique()):
        mine = np.flatnonzero((parcels["commune_code"] == commune).to_numpy())
        box = shapely.buffer(shapely.box(*shapely.total_bounds(geometry[mine])), halo)
        yield np.union1d(mine, tree.query(box)), mine


def _partition(
    parcels: pd.DataFrame,
    strips: pd.DataFrame,
    settings: GeometrySettings,
    window: np.ndarray,
    mine: np.ndarray,
) -> tuple[list[Candidate], list[Candidate]]:
    """Overlaps and gaps of the parcels at ``mine``, seen with those at ``window`` around
    them; one coverage validation serves both."""
    seen = parcels.iloc[window]
    own = np.isin(window, mine)
    flagged = coverage.mismatched(seen["geometry"].to_numpy())
    overlaps = _overlaps(seen, own, settings, flagged)
    gaps: list[Candidate] = []
    codes = seen["commune_code"].to_numpy()
    for commune in sorted(set(codes[own])):
        theirs = own & (codes == commune)
        gaps += _gaps(seen[theirs], strips, settings, flagged[theirs])
    return overlaps, gaps


# The register being checked, seen by the worker processes (forked after it is set).
_SHARED: dict[str, object] = {}


def _by_partition(
    parcels: pd.DataFrame, strips: pd.DataFrame, settings: GeometrySettings
) -> tuple[list[Candidate], list[Candidate]]:
    """Every partition's overlaps and gaps, in ``settings.workers`` processes (forked, so the
    parcels are shared rather than copied); the largest communes go first."""
    parts = sorted(_partitions(parcels, settings.halo), key=lambda p: -len(p[0]))
    overlaps: list[Candidate] = []
    gaps: list[Candidate] = []
    if settings.workers <= 1 or len(parts) < 2 or "fork" not in get_all_start_methods():
        results: Iterable[tuple[list[Candidate], list[Candidate]]] = (
            _partition(parcels, strips, settings, window, mine) for window, mine in parts
        )
    else:
        _SHARED.update(parcels=parcels, strips=strips, settings=settings)
        try:
            with get_context("fork").Pool(min(settings.workers, len(parts))) as pool:
                results = pool.starmap(_shared_partition, parts, chunksize=1)
        finally:
            _SHARED.clear()
    for found_overlaps, found_gaps in results:
        overlaps += found_overlaps
        gaps += found_gaps
    return overlaps, gaps


def _shared_partition(
    window: np.ndarray, mine: np.ndarray
) -> tuple[list[Candidate], list[Candidate]]:
    parcels, strips, settings = _SHARED["parcels"], _SHARED["strips"], _SHARED["settings"]
    assert isinstance(parcels, pd.DataFrame) and isinstance(strips, pd.DataFrame)
    assert isinstance(settings, GeometrySettings)
    return _partition(parcels, strips, settings, window, mine)


def _beside_broken(gaps: list[Candidate], broken: pd.DataFrame) -> list[Candidate]:
    """The gaps to report, of those found with invalid parcels around them.

    A gap lying mostly (``_OWN_DEFECT_SHARE`` of its area) inside the outline of an invalid
    neighbour (the convex hull of what it covers once repaired, see
    :func:`spatial.coverage.share_inside_outlines`: a bow-tie's missing triangles, the area
    of a collapsed ring) is that parcel's defect, already reported. Any other hole is a
    hole: it is reported, measured on the repaired boundary of its invalid neighbours, and
    says so (``measured["repaired"]`` names them).
    """
    shapes = dict(zip(broken["id"], broken["geometry"], strict=True))
    kept = []
    for gap in gaps:
        beside = [s for s in gap.subjects if s["id"] in shapes]
        if not beside:
            kept.append(gap)
            continue
        outlines = np.array([shapes[s["id"]] for s in beside], dtype=object)
        if coverage.share_inside_outlines(gap.location, outlines) >= _OWN_DEFECT_SHARE:
            continue
        gap.measured["repaired"] = ", ".join(s["key"] for s in beside)
        kept.append(gap)
    return kept


def _invalid(parcels: pd.DataFrame) -> list[Candidate]:
    """Invalid parcels: a multipolygon whose parts overlap as such (with the overlap), any
    other with GEOS's reason, and rings the source left open."""
    geometry = parcels["geometry"].to_numpy()
    found = []
    parts = coverage.overlapping_parts(geometry)
    for position, area, pairs, overlap in parts.itertuples(index=False):
        row = parcels.iloc[position]
        found.append(
            Candidate(
                RuleCode.GEOM_PARTS_OVERLAP,
                [parcel_subject(row)],
                row.commune_code,
                overlap,
                {"area": float(area), "pairs": int(pairs)},
            )
        )
    bad = coverage.invalid_geometries(geometry)
    bad = bad[~bad["index"].isin(parts["index"])]
    for position, reason, location in bad.itertuples(index=False):
        row = parcels.iloc[position]
        found.append(
            Candidate(
                RuleCode.GEOM_INVALID,
                [parcel_subject(row)],
                row.commune_code,
                location,
                {"reason": str(reason)},
            )
        )
    for row in parcels[parcels["intake_notes"].notna()].itertuples():
        notes = [n for n in row.intake_notes or [] if n.startswith("ring_not_closed")]
        if notes:
            found.append(
                Candidate(
                    RuleCode.GEOM_INVALID,
                    [parcel_subject(row)],
                    row.commune_code,
                    shapely.point_on_surface(row.geometry),
                    {"reason": "ring not closed in the source"},
                )
            )
    return found


def _overlaps(
    window: pd.DataFrame, own: np.ndarray, settings: GeometrySettings, flagged: np.ndarray
) -> list[Candidate]:
    pairs = coverage.overlapping_pairs(
        window["geometry"].to_numpy(),
        coverage.OverlapRules(sliver_area=settings.sliver_area),
        flagged,
    )
    pairs = pairs[own[pairs["a"].to_numpy()] | own[pairs["b"].to_numpy()]]
    ids = window["id"].to_numpy()
    # a pair seen from two partitions is reported by the one owning its lower parcel id
    first = np.where(ids[pairs["a"]] < ids[pairs["b"]], pairs["a"], pairs["b"])
    pairs = pairs[own[first]]
    found = []
    for a, b, kind, area, geometry in pairs.itertuples(index=False):
        one, other = window.iloc[a], window.iloc[b]
        larger = max(one.geometry.area, other.geometry.area)
        found.append(
            Candidate(
                _OVERLAP_RULES[kind],
                [parcel_subject(one), parcel_subject(other)],
                one.commune_code,
                geometry,
                {
                    "area": float(area),
                    "other": parcel_key_text(other),
                    "ratio": float(area / larger) if larger else 0.0,
                },
            )
        )
    return found


def _gaps(
    mine: pd.DataFrame, strips: pd.DataFrame, settings: GeometrySettings, flagged: np.ndarray
) -> list[Candidate]:
    if mine.empty:
        return []
    commune = mine["commune_code"].iloc[0]
    roads = strips.loc[strips["commune_code"] == commune, "geometry"].to_numpy()
    holes = coverage.gaps(
        mine["geometry"].to_numpy(), roads, min_area=settings.gap_min_area, flagged=flagged
    )
    found = []
    for geometry, area, neighbours in holes.itertuples(index=False):
        around = mine.iloc[neighbours]
        subjects = [parcel_subject(row) for row in around.itertuples()]
        centre = shapely.centroid(geometry)
        found.append(
            Candidate(
                RuleCode.GEOM_GAP,
                subjects,
                commune,
                geometry,
                {"area": float(area), "keys": ", ".join(s["key"] for s in subjects)},
                place=f"{centre.x:.0f} {centre.y:.0f}",
            )
        )
    return found


def _shapes(parcels: pd.DataFrame, settings: GeometrySettings) -> list[Candidate]:
    geometry = parcels["geometry"].to_numpy()
    present = ~shapely.is_missing(geometry)
    parts = np.where(present, shapely.get_num_geometries(geometry), 0)
    area = np.where(present, shapely.area(geometry), np.nan)
    found = []
    for position in np.flatnonzero(parts > 1):
        row = parcels.iloc[position]
        found.append(
            Candidate(
                RuleCode.GEOM_MULTIPART,
                [parcel_subject(row)],
                row.commune_code,
                shapely.point_on_surface(row.geometry),
                {"parts": int(parts[position])},
            )
        )
    for position in np.flatnonzero(area < settings.tiny_area):
        row = parcels.iloc[position]
        found.append(
            Candidate(
                RuleCode.GEOM_TINY,
                [parcel_subject(row)],
                row.commune_code,
                row.geometry,
                {"area": float(area[position])},
            )
        )
    return found


def _placement(
    parcels: pd.DataFrame, communes: pd.DataFrame, settings: GeometrySettings
) -> list[Candidate]:
    """Parcels outside their commune, or lying in another commune than recorded."""
    known = communes[~shapely.is_missing(communes["geometry"].to_numpy())]
    if known.empty:
        return []
    boundary = dict(zip(known["code"], known["geometry"], strict=True))
    names = dict(zip(communes["code"], communes["name"], strict=True))
    geometry = parcels["geometry"].to_numpy()
    own = np.array([boundary.get(code) for code in parcels["commune_code"]], dtype=object)
    outside = coverage.outside(geometry, own, tolerance=settings.commune_tolerance)
    points = shapely.point_on_surface(geometry[outside])
    inside, which = shapely.STRtree(known["geometry"].to_numpy()).query(points, predicate="within")
    lies_in = dict(zip(inside.tolist(), known["code"].to_numpy()[which].tolist(), strict=True))
    found = []
    for n, position in enumerate(np.flatnonzero(outside)):
        row = parcels.iloc[position]
        elsewhere = lies_in.get(n)
        if elsewhere is not None and elsewhere != row.commune_code:
            found.append(
                Candidate(
                    RuleCode.GEOM_WRONG_COMMUNE,
                    [parcel_subject(row)],
                    row.commune_code,
                    points[n],
                    {"commune": names.get(row.commune_code), "found": names.get(elsewhere)},
                )
            )
        else:
            found.append(
                Candidate(
                    RuleCode.GEOM_OUTSIDE_COMMUNE,
                    [parcel_subject(row)],
                    row.commune_code,
                    points[n],
                    {"commune": names.get(row.commune_code)},
                )
            )
    return found
