"""CRSs of Vietnamese cadastral data, and the one place transformers are built.

Assigning a CRS (the data already is in it) and reprojecting (the coordinates change) are
different functions here, as in geopandas' ``set_crs`` and ``to_crs``. Nothing falls back
silently to SRID 0 or a guess.
"""

from __future__ import annotations

from functools import cache

import numpy as np

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from landreg.errors import CRSError

# VN-2000 -> WGS 84, 7 parameters (EPSG:6960), position-vector convention as PROJ's towgs84.
VN2000_TOWGS84 = (
    "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
)


def _tm3(central_meridian: float) -> str:
    return (
        f"+proj=tmerc +lat_0=0 +lon_0={central_meridian} +k=0.9999 +x_0=500000 +y_0=0 "
        f"+ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs"
    )


# Definitions landreg registers in the database (PostGIS 3.3 and SpatiaLite 5 lack 9209/9210).
CADASTRAL_PROJ4: dict[int, str] = {
    9209: _tm3(105.5),  # VN-2000 / TM-3 105-30, former Tây Ninh
    9210: _tm3(105.75),  # VN-2000 / TM-3 105-45, former Long An
}

# CRSs known by name on the command line and in mapping profiles.
NAMED_CRS: dict[str, int] = {
    "wgs84": 4326,
    "vn2000": 4756,
    "vn2000-utm48n": 3405,
    "vn2000-utm49n": 3406,
    "vn2000-tm3-105-30": 9209,
    "vn2000-tm3-105-45": 9210,
}


def srid_from_text(text: str | int) -> int:
    """Read an SRID given as ``9209``, ``"EPSG:9209"`` or a name such as ``"vn2000-tm3-105-30"``.

    Parameters
    ----------
    text : str or int
        What the user wrote.

    Returns
    -------
    int
        The EPSG code.
    """
    cleaned = str(text).strip().lower()
    if cleaned in NAMED_CRS:
        return NAMED_CRS[cleaned]
    cleaned = cleaned.removeprefix("epsg:")
    if not cleaned.isdigit():
        raise CRSError(
            f"crs {text!r} is neither an EPSG code nor one of {sorted(NAMED_CRS)}",
            field="crs",
            value=text,
        )
    srid = int(cleaned)
    crs_for(srid)
    return srid


@cache
def crs_for(srid: int) -> CRS:
    """The pyproj CRS of an EPSG code; raises :class:`CRSError` for 0, None or an unknown code.

    Parameters
    ----------
    srid : int
        EPSG code.

    Returns
    -------
    pyproj.CRS
    """
    if not srid:
        raise CRSError("geometry has no declared CRS (SRID 0)", field="srid", value=srid)
    try:
        return CRS.from_epsg(srid)
    except ProjCRSError:
        raise CRSError(
            f"EPSG:{srid} is not a known coordinate reference system", field="srid", value=srid
        ) from None


def is_projected_metres(srid: int) -> bool:
    """True when coordinates of ``srid`` are projected metres (areas can be measured in it)."""
    crs = crs_for(srid)
    return bool(crs.is_projected) and crs.axis_info[0].unit_name in {"metre", "meter"}


@cache
def transformer(source_srid: int, target_srid: int) -> Transformer:
    """The transformer between two CRSs, x/y (lon/lat) order always.

    For the VN-2000 TM-3 zones the 7-parameter VN-2000 → WGS 84 definition is used, so
    results agree with what PostGIS and SpatiaLite compute from the registered definitions.
    """
    return Transformer.from_crs(_definition(source_srid), _definition(target_srid), always_xy=True)


def _definition(srid: int) -> CRS:
    if srid in CADASTRAL_PROJ4:
        return CRS.from_proj4(CADASTRAL_PROJ4[srid])
    return crs_for(srid)


def reproject(geometries: np.ndarray | shapely.Geometry, source_srid: int, target_srid: int):
    """Reproject geometries (a shapely geometry or an array of them) between two CRSs.

    Parameters
    ----------
    geometries : shapely.Geometry or numpy.ndarray
        Geometries whose coordinates are in ``source_srid``.
    source_srid, target_srid : int
        EPSG codes.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        The same shape of input, with coordinates in ``target_srid``.
    """
    crs_for(source_srid)
    crs_for(target_srid)
    if source_srid == target_srid:
        return geometries
    forward = transformer(source_srid, target_srid)

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = forward.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometries, _apply)


def wkt_for(srid: int) -> str:
    """OGC WKT 1 of a CRS, as ``spatial_ref_sys.srtext`` expects (names and authority kept)."""
    return crs_for(srid).to_wkt("WKT1_GDAL")


def proj4_for(srid: int) -> str:
    """PROJ string of a CRS, as ``spatial_ref_sys.proj4text`` expects."""
    if srid in CADASTRAL_PROJ4:
        return CADASTRAL_PROJ4[srid]
    return crs_for(srid).to_proj4()
