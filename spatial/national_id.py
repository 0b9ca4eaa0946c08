"""The national parcel identifier (mã định danh thửa đất): a GeoHash of a point inside the parcel.

The national guidance (Circular 09/2024/TT-BTNMT and the Department of Land Management's
technical guidance of September 2025) identifies a parcel by the 12-character GeoHash of its
characteristic point, converted from VN-2000 to WGS 84.

**The characteristic point** is the parcel's pole of inaccessibility: the centre of the
largest circle inscribed in it (GEOS ``MaximumInscribedCircle``, the algorithm of Mapbox's
``polylabel``; ``shapely.maximum_inscribed_circle``, vectorised over arrays). Unlike the
centroid it always lies inside the parcel, also for L-shaped or ring-shaped parcels, and for
a parcel of several parts it lies in the part with the widest room. It is found to within
``TOLERANCE`` (1 cm, below a 12-character GeoHash cell of about 3.7 × 1.9 cm), in the
register's cadastral projection (metres), so the same boundary always gives the same point.
An invalid boundary is made valid first, keeping its areas (a ring repeated as its own hole
counts as its shell). A million parcels take about two minutes of one core; the work is
spread over the machine's cores.

**The transformation** is landreg's one VN-2000 → WGS 84 transformer
(:func:`spatial.crs.transformer`, the 7 parameters of EPSG:6960, as the database uses).

**The GeoHash** (Niemeyer's public-domain encoding: longitude and latitude bits interleaved,
longitude first, 5 bits per base-32 character) is computed here by bisection on whole arrays,
exactly as the reference encoding compares each coordinate with each cell's middle.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import shapely

from spatial.crs import transformer

# Characters of a GeoHash, in value order (no a, i, l, o).
GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
# Characters of the national identifier.
LENGTH = 12
# The identifier as a regular expression (12 characters of the alphabet).
PATTERN = "[0-9b-hjkmnp-z]{12}"
# How close (metres) the characteristic point is to the true pole of inaccessibility.
TOLERANCE = 0.01
# Parcels per slice when the points are found on several cores.
_SLICE = 20_000
_ALPHABET = np.array(list(GEOHASH_ALPHABET))


def is_national_id(text: str) -> bool:
    """True when ``text`` is 12 characters of the GeoHash alphabet (lower case)."""
    return len(text) == LENGTH and all(c in GEOHASH_ALPHABET for c in text)


def characteristic_points(geometries: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """The pole of inaccessibility of each polygon (None for a missing or empty one).

    Parameters
    ----------
    geometries : numpy.ndarray of shapely polygons or multipolygons
        In a projected CRS in metres.
    tolerance : float
        How far (metres) the point may be from the true pole.

    Returns
    -------
    numpy.ndarray of shapely points
        Each inside its polygon; an invalid polygon is made valid first.
    """
    shapes = np.asarray(geometries, dtype=object)
    points = np.full(len(shapes), None, dtype=object)
    usable = ~shapely.is_missing(shapes)
    usable[usable] = ~shapely.is_empty(shapes[usable])
    invalid = usable.copy()
    invalid[usable] = ~shapely.is_valid(shapes[usable])
    if invalid.any():
        shapes = shapes.copy()
        shapes[invalid] = polygonal(shapes[invalid])
        usable &= ~shapely.is_empty(shapes)
    if usable.any():
        points[usable] = _poles(shapes[usable], tolerance)
    return points


def _poles(shapes: np.ndarray, tolerance: float) -> np.ndarray:
    """Centres of the largest inscribed circles, in slices on every core (GEOS runs without
    Python's lock); the same points as one call would give."""
    slices = [shapes[start : start + _SLICE] for start in range(0, len(shapes), _SLICE)]

    def centres(part: np.ndarray) -> np.ndarray:
        return shapely.get_point(shapely.maximum_inscribed_circle(part, tolerance), 0)

    if len(slices) == 1:
        return centres(slices[0])
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, len(slices))) as pool:
        return np.concatenate(list(pool.map(centres, slices)))


def polygonal(shapes: np.ndarray) -> np.ndarray:
    """Invalid polygons made valid, keeping only their areas (no collapsed lines or points).

    A polygon whose hole repeats its shell is left with no area by that; its shell (without
    holes) is what its boundary encloses, and is used instead.
    """
    valid = shapely.make_valid(shapes, method="structure", keep_collapsed=False)
    for position in np.flatnonzero(shapely.is_empty(valid)):
        parts = shapely.get_parts(shapes[position])
        shells = shapely.polygons(shapely.get_exterior_ring(parts))
        valid[position] = shapely.make_valid(
            shapely.union_all(shells), method="structure", keep_collapsed=False
        )
    return valid


def geohash(lon: np.ndarray, lat: np.ndarray, length: int = LENGTH) -> np.ndarray:
    """GeoHash of each (longitude, latitude) in degrees, ``length`` characters each.

    Bisection over the whole arrays: at each bit the coordinate is compared with the middle
    of its current interval (longitude for even bits, latitude for odd ones).
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ranges = {
        0: (np.full(lon.shape, -180.0), np.full(lon.shape, 180.0), lon),
        1: (np.full(lat.shape, -90.0), np.full(lat.shape, 90.0), lat),
    }
    values = np.zeros((len(lon), length), dtype=np.int64)
    for bit in range(length * 5):
        low, high, value = ranges[bit % 2]
        middle = (low + high) / 2
        upper = value >= middle
        np.copyto(low, middle, where=upper)
        np.copyto(high, middle, where=~upper)
        values[:, bit // 5] = values[:, bit // 5] * 2 + upper
    characters = np.ascontiguousarray(_ALPHABET[values])
    return characters.view(f"<U{length}").ravel().astype(object)


def geohash_centres(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (degrees) of the middle of each GeoHash cell (all of one length,
    checked with :func:`is_national_id` beforehand)."""
    texts = np.asarray(hashes, dtype=str)
    length = texts.dtype.itemsize // 4
    characters = np.ascontiguousarray(texts).view("<U1").reshape(len(texts), length)
    values = np.searchsorted(_ALPHABET, characters)
    low = [np.full(len(texts), -180.0), np.full(len(texts), -90.0)]
    high = [np.full(len(texts), 180.0), np.full(len(texts), 90.0)]
    for bit in range(length * 5):
        axis = bit % 2
        middle = (low[axis] + high[axis]) / 2
        upper = ((values[:, bit // 5] >> (4 - bit % 5)) & 1).astype(bool)
        np.copyto(low[axis], middle, where=upper)
        np.copyto(high[axis], middle, where=~upper)
    return (low[0] + high[0]) / 2, (low[1] + high[1]) / 2


def neighbours(identifier: str, rings: int = 2) -> list[str]:
    """The GeoHash cells of the same length around ``identifier``: the nearest ring first,
    each ring clockwise from north (a fixed order, so a choice among them is reproducible)."""
    lon, lat = geohash_centres(np.array([identifier], dtype=object))
    bits = len(identifier) * 5
    width, height = 360.0 / 2 ** ((bits + 1) // 2), 180.0 / 2 ** (bits // 2)
    offsets = [
        (dx, dy)
        for ring in range(1, rings + 1)
        for dx, dy in sorted(
            (
                (dx, dy)
                for dx in range(-ring, ring + 1)
                for dy in range(-ring, ring + 1)
                if max(abs(dx), abs(dy)) == ring
            ),
            key=lambda d: np.arctan2(d[0], d[1]) % (2 * np.pi),
        )
    ]
    dx, dy = np.array(offsets, dtype=float).T
    return [str(h) for h in geohash(lon[0] + dx * width, lat[0] + dy * height, len(identifier))]


def identifier_points(hashes: np.ndarray, srid: int) -> np.ndarray:
    """The point each identifier stands for (its cell's middle), in ``srid``."""
    lon, lat = geohash_centres(hashes)
    x, y = transformer(4326, srid).transform(lon, lat)
    return shapely.points(np.asarray(x), np.asarray(y))


def national_ids(geometries: np.ndarray, srid: int, tolerance: float = TOLERANCE) -> np.ndarray:
    """The 12-character national identifier of each parcel (None where it has no polygon).

    Parameters
    ----------
    geometries : numpy.ndarray of shapely polygons or multipolygons
        The parcels, in ``srid`` (a VN-2000 projection in metres, as the register keeps them).
    srid : int
        EPSG code of the geometries.
    tolerance : float
        Of the characteristic point, in metres (``TOLERANCE`` unless told).

    Returns
    -------
    numpy.ndarray of str or None
    """
    points = characteristic_points(geometries, tolerance)
    found = np.array([p is not None for p in points], dtype=bool)
    ids = np.full(len(points), None, dtype=object)
    if not found.any():
        return ids
    xy = shapely.get_coordinates(points[found])
    lon, lat = transformer(srid, 4326).transform(xy[:, 0], xy[:, 1])
    ids[found] = geohash(np.asarray(lon), np.asarray(lat))
    return ids
