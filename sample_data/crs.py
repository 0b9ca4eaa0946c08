"""Coordinate reference systems of the sample data, including the faulty ones real files carry.

The province's cadastral maps are in VN-2000 / TM-3 (EPSG:9209 for former Tây Ninh, 9210 for
former Long An). Old ``.prj`` files describe them as custom WKT with a TOWGS84 clause and no
EPSG code; some carry the three rotations with the wrong signs (about 0.56 m off).
"""

from __future__ import annotations

from functools import cache

import numpy as np

import shapely
from pyproj import CRS, Transformer

# VN-2000 → WGS 84 seven parameters (EPSG:6960 as PROJ writes them): dx, dy, dz, rx, ry, rz, ds.
TOWGS84_RIGHT = (
    -191.90441429, -39.30318279, -111.45032835, 0.00928836, -0.01975479, 0.00427372, 0.252906278,
)  # fmt: skip
# The same with the rotation signs flipped, as in many published proj4 strings and old .prj.
TOWGS84_SIGN_ERROR = (
    -191.90441429, -39.30318279, -111.45032835, -0.00928836, 0.01975479, -0.00427372, 0.252906278,
)  # fmt: skip

_CENTRAL_MERIDIANS = {9209: 105.5, 9210: 105.75}
WGS84 = 4326
UTM48N = 3405


def cadastral_wkt(srid: int, towgs84: tuple[float, ...] = TOWGS84_RIGHT) -> str:
    """WKT1 of a TM-3 cadastral CRS as old VN-2000 ``.prj`` files write it, with no EPSG code.

    Parameters
    ----------
    srid : int
        9209 (central meridian 105°30′) or 9210 (105°45′).
    towgs84 : tuple of float
        The seven Helmert parameters; pass ``TOWGS84_SIGN_ERROR`` for the faulty files.

    Returns
    -------
    str
        One-line WKT1 (``PROJCS[...]``) that GDAL and pyproj read. The datum carries a local
        name (as provincial files do), so PROJ applies the TOWGS84 clause as written instead
        of substituting the registered VN-2000 transformation.
    """
    meridian = _CENTRAL_MERIDIANS[srid]
    province = "Tay Ninh" if srid == 9209 else "Long An"
    zone = f"{int(meridian)}_{round((meridian % 1) * 60):02d}"
    params = ",".join(repr(value) for value in towgs84)
    return (
        f'PROJCS["VN-2000 {province} / TM-3 {zone}",GEOGCS["VN-2000 {province}",'
        f'DATUM["VN2000_{province}",SPHEROID["WGS 84",6378137,298.257223563],'
        f'TOWGS84[{params}]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
        'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
        f'PARAMETER["central_meridian",{meridian}],PARAMETER["scale_factor",0.9999],'
        'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],'
        'AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    )


def cadastral_proj4(srid: int, towgs84: tuple[float, ...] = TOWGS84_RIGHT) -> str:
    """The PROJ string of a TM-3 cadastral CRS with the given seven parameters.

    PROJ strings carry ``+towgs84`` in the position-vector convention the DOMAIN table
    uses. (PROJ 9 reverses the rotation signs when it *parses* a WKT1 TOWGS84 clause, so the
    faulty definition is built from this string, not from the ``.prj`` text.)
    """
    params = ",".join(repr(value) for value in towgs84)
    return (
        f"+proj=tmerc +lat_0=0 +lon_0={_CENTRAL_MERIDIANS[srid]} +k=0.9999 +x_0=500000 +y_0=0 "
        f"+ellps=WGS84 +towgs84={params} +units=m +no_defs"
    )


@cache
def crs_of(key: int | str) -> CRS:
    """The pyproj CRS for an EPSG code or for ``"9209_sign_error"``."""
    if key == "9209_sign_error":
        return CRS.from_proj4(cadastral_proj4(9209, TOWGS84_SIGN_ERROR))
    return CRS.from_epsg(int(key))


@cache
def _transformer(source: int | str, target: int | str) -> Transformer:
    return Transformer.from_crs(crs_of(source), crs_of(target), always_xy=True)


def transform_points(x: np.ndarray, y: np.ndarray, source: int | str, target: int | str):
    """Reproject coordinate arrays from ``source`` to ``target`` (x = easting or longitude)."""
    if source == target:
        return np.asarray(x), np.asarray(y)
    if "9209_sign_error" in (source, target) and WGS84 not in (source, target):
        x, y = transform_points(x, y, source, WGS84)  # through WGS 84, as GPS-era tools did
        return transform_points(x, y, WGS84, target)
    return _transformer(source, target).transform(x, y)


def transform_geometries(geoms: np.ndarray, source: int | str, target: int | str) -> np.ndarray:
    """Reproject an array of geometries vertex by vertex (shared vertices stay shared)."""
    if source == target:
        return geoms

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = transform_points(coords[:, 0], coords[:, 1], source, target)
        return np.column_stack([x, y])

    return shapely.transform(geoms, _apply)


def round_geometries(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Round every vertex (mm in projected CRSs); identical inputs round identically."""
    return shapely.transform(geoms, lambda coords: np.round(coords, decimals))
