"""CRSs of Vietnamese cadastral data, and the one place transformers are built.

Assigning a CRS (the data already is in it) and reprojecting (the coordinates change) are
different functions here, as in geopandas' ``set_crs`` and ``to_crs``. Nothing falls back
silently to SRID 0 or a guess.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.geometry.base import BaseGeometry

from spatial.errors import CRSError

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
            detail_vi=f"hệ tọa độ {text!r} không phải mã EPSG, cũng không phải một trong "
            f"{sorted(NAMED_CRS)}",
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
        raise CRSError(
            "geometry has no declared CRS (SRID 0)",
            field="srid",
            value=srid,
            detail_vi="hình học không khai hệ tọa độ (SRID 0)",
        )
    try:
        return CRS.from_epsg(srid)
    except ProjCRSError:
        raise CRSError(
            f"EPSG:{srid} is not a known coordinate reference system",
            field="srid",
            value=srid,
            detail_vi=f"EPSG:{srid} không phải một hệ tọa độ đã biết",
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
    return apply_transformer(geometries, transformer(source_srid, target_srid))


def transformer_to(definition: CRS, target_srid: int) -> Transformer:
    """The transformer from a file's own CRS definition to a registered CRS, x/y order."""
    return Transformer.from_crs(definition, _definition(target_srid), always_xy=True)


def apply_transformer(geometries: np.ndarray | shapely.Geometry, forward: Transformer):
    """Every coordinate of the geometries through ``forward``, in one vectorised pass."""

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


# --- recognising the CRS of delivered files --------------------------------------------------

# Grid parameters (central meridian, scale factor) of the systems cadastral files come in.
_TM_GRIDS: dict[tuple[float, float], int] = {
    (105.5, 0.9999): 9209,
    (105.75, 0.9999): 9210,
    (105.0, 0.9996): 3405,
    (111.0, 0.9996): 3406,
}
_VN2000_PARAMETERS = tuple(float(value) for value in VN2000_TOWGS84.split(","))
# Systems a file with no or a wrong CRS is tried in, nearest first.
CANDIDATE_SRIDS = (9209, 9210, 3405, 3406, 4326, 4756)


@dataclass(frozen=True, slots=True)
class CrsRecognition:
    """What a file's CRS definition amounts to.

    Attributes
    ----------
    srid : int or None
        The EPSG system whose grid the file's coordinates are in (None if unrecognised).
    definition : pyproj.CRS
        The definition to transform the file's coordinates with. It is the file's own when
        its datum shift differs from the EPSG one (the sign error), since the coordinates
        were produced with it.
    towgs84_sign_error : bool
        The three rotations carry the opposite signs of EPSG:6960 (about 0.56 m off).
    note : str
        One sentence for the ingest summary.
    """

    srid: int | None
    definition: CRS
    towgs84_sign_error: bool
    note: str


@cache
def recognise_crs(declared: str | CRS) -> CrsRecognition:
    """Recognise a CRS definition from a ``.prj``, GeoPackage or GeoJSON, EPSG code or not.

    Old VN-2000 ``.prj`` files carry a custom WKT with a TOWGS84 clause and no EPSG code;
    many carry the rotations with the wrong signs. Both are recognised by their parameters,
    read from the text itself: PROJ drops the TOWGS84 clause of ESRI-style WKT.

    Parameters
    ----------
    declared : str or pyproj.CRS
        WKT, PROJ string, ``EPSG:xxxx`` or a CRS.

    Returns
    -------
    CrsRecognition
    """
    try:
        crs = declared if isinstance(declared, CRS) else CRS.from_user_input(declared)
    except ProjCRSError:
        raise CRSError(
            "the declared CRS cannot be read",
            field="crs",
            value=str(declared)[:120],
            detail_vi="không đọc được hệ tọa độ đã khai",
        ) from None
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    srid = _grid_srid(base)
    if srid is None:
        return CrsRecognition(
            None,
            crs,
            False,
            "hệ tọa độ đã khai không phải hệ landreg biết / "
            "the declared CRS is not one landreg recognises",
        )
    towgs84 = _towgs84_in_text(declared) if isinstance(declared, str) else None
    towgs84 = towgs84 or _towgs84(crs)
    if towgs84 is None or _same(towgs84, _VN2000_PARAMETERS) or srid in (4326,):
        return CrsRecognition(
            srid, _definition(srid), False, f"nhận là EPSG:{srid} / recognised as EPSG:{srid}"
        )
    flipped = (
        *_VN2000_PARAMETERS[:3],
        *(-v for v in _VN2000_PARAMETERS[3:6]),
        _VN2000_PARAMETERS[6],
    )
    note = (
        f"lưới EPSG:{srid} với tham số chuyển datum riêng {towgs84} / "
        f"EPSG:{srid} grid with its own datum shift {towgs84}"
    )
    if _same(towgs84, flipped):
        note = (
            f"lưới EPSG:{srid} với dấu các góc xoay towgs84 bị đảo (lệch khoảng 0,56 m); "
            "toạ độ được chuyển bằng tham số của chính tệp / "
            f"EPSG:{srid} grid with the towgs84 rotation signs flipped (about 0.56 m); "
            "coordinates converted with the file's own parameters"
        )
    return CrsRecognition(srid, _with_towgs84(srid, towgs84), _same(towgs84, flipped), note)


def _with_towgs84(srid: int, values: tuple[float, ...]) -> CRS:
    """The grid of ``srid`` with the given VN-2000 → WGS 84 parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PROJ strings drop names, not parameters
        base = CADASTRAL_PROJ4.get(srid) or _definition(srid).to_proj4()
    base = re.sub(r"\+towgs84=\S+|\+type=crs", "", base)
    return CRS.from_proj4(f"{base} +towgs84={','.join(repr(v) for v in values)}")


def _towgs84_in_text(text: str) -> tuple[float, ...] | None:
    match = re.search(r"TOWGS84\[([^\]]+)\]", text, flags=re.IGNORECASE)
    if not match:
        return None
    try:
        values = tuple(float(part) for part in match.group(1).split(","))
    except ValueError:
        return None
    return values if len(values) == 7 else None


def _towgs84(crs: CRS) -> tuple[float, ...] | None:
    if not crs.is_bound:
        return None
    parameters = crs.to_json_dict().get("transformation", {}).get("parameters", [])
    values = tuple(float(p["value"]) for p in parameters)
    return values if len(values) == 7 else None


def _grid_srid(crs: CRS) -> int | None:
    code = crs.to_epsg(min_confidence=70)
    if code in _TM_GRIDS.values() or code in (4326, 4756):
        return code
    if crs.is_geographic:
        return 4326 if code == 4326 else (4756 if "2000" in crs.name else code)
    operation = crs.coordinate_operation
    if operation is None or "Transverse Mercator" not in operation.method_name:
        return code
    values = {p.name: p.value for p in operation.params}
    if values.get("False easting") != 500000 or values.get("Latitude of natural origin") != 0:
        return code
    grid = (
        round(float(values.get("Longitude of natural origin", 0)), 6),
        round(float(values.get("Scale factor at natural origin", 0)), 6),
    )
    return _TM_GRIDS.get(grid, code)


def _same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Equal Helmert parameters, allowing for files that round them to 9 digits."""
    limits = (1e-3, 1e-3, 1e-3, 1e-7, 1e-7, 1e-7, 1e-6)
    return len(a) == len(b) == 7 and all(
        abs(x - y) <= limit for x, y, limit in zip(a, b, limits, strict=True)
    )


def candidate_srids(
    points: np.ndarray,
    expected: BaseGeometry,
    expected_srid: int,
    *,
    tolerance: float = 2_000.0,
    share: float = 0.9,
    candidates: tuple[int, ...] = CANDIDATE_SRIDS,
) -> list[int]:
    """The CRSs (of ``candidates``) in which a layer lands on its expected area, best first.

    Parameters
    ----------
    points : numpy.ndarray of shapely points
        A sample of the layer's features (a point on each), in its file coordinates.
    expected : shapely geometry
        Where the layer should be (its communes, or the province), in ``expected_srid``.
    expected_srid : int
        CRS of ``expected``.
    tolerance : float
        How far (in ``expected_srid`` units) a point may lie outside ``expected``.
    share : float
        The share of points that must land within ``tolerance`` for a CRS to fit.
    candidates : tuple of int
        The CRSs to try, nearest first (``CANDIDATE_SRIDS`` unless told).
    """
    scores = []
    for order, srid in enumerate(candidates):
        fitting = landing_share(points, srid, expected, expected_srid, tolerance)
        if fitting >= share:
            scores.append((-fitting, order, srid))
    return [srid for _, _, srid in sorted(scores)]


def landing_share(
    points: np.ndarray, srid: int, expected: BaseGeometry, expected_srid: int, tolerance: float
) -> float:
    """The share of ``points`` (in ``srid``) that land within ``tolerance`` of ``expected``;
    missing and empty points have no place and are not counted."""
    points = points[~shapely.is_missing(points) & ~shapely.is_empty(points)]
    if len(points) == 0:
        return 0.0
    xy = shapely.get_coordinates(points)
    geographic = bool(crs_for(srid).is_geographic)
    if geographic != bool(np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)):
        return 0.0
    moved = reproject(points, srid, expected_srid)
    return float(np.mean(shapely.dwithin(expected, moved, tolerance)))
