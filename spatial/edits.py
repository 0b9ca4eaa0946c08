"""A parcel boundary a person drew, checked as ingest checks a delivered one.

A cadastral officer who corrects a boundary by hand sends it as GeoJSON in a CRS of their
choice. Before it replaces the stored boundary it must be what ingest and reconciliation
would accept: a polygon or multipolygon of finite 2D coordinates (a Z or M value is refused,
never silently dropped), of a size a parcel can have, lying where its commune is (the same
landing test as ingest's CRS check), and valid for GEOS. Validity is reported rather than
raised: the caller refuses an invalid boundary, or stores it as drawn with a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from spatial.coverage import invalid_geometries
from spatial.crs import candidate_srids, crs_for, landing_share, reproject
from spatial.errors import GeometryError
from spatial.geometry import to_multipolygon

# A cadastral parcel has tens to hundreds of vertices; a forest lot a few thousand.
MAX_VERTICES = 20_000
# No parcel is wider than a commune.
MAX_SPAN_M = 20_000.0
# How far a vertex may lie outside its commune: ingest's CRS check allows as much.
LANDING_TOLERANCE_M = 2_000.0
# What one vertex takes in a GeoJSON body at most (about 42 bytes written compactly,
# "[106.12345678901234,10.123456789012345],", twice that pretty-printed), and the rest of an
# edit request (note, attributes): the body limit of an edit.
BYTES_PER_VERTEX = 128
BODY_ALLOWANCE = 64 << 10


@dataclass(frozen=True, slots=True)
class DrawnBoundary:
    """A drawn boundary, checked.

    Attributes
    ----------
    geometry : shapely.MultiPolygon
        The boundary in the cadastral CRS, 2D, rings oriented, otherwise as drawn.
    invalid_reason : str or None
        GEOS's reason the boundary is invalid, as reconciliation records it
        (``Self-intersection[565010 1249010]``); None when valid.
    location : shapely.Point or None
        Where GEOS found the problem, in the cadastral CRS.
    """

    geometry: shapely.MultiPolygon
    invalid_reason: str | None = None
    location: shapely.Point | None = None


def body_limit(max_vertices: int) -> int:
    """The most bytes an edit request may take when its boundary has ``max_vertices``."""
    return max_vertices * BYTES_PER_VERTEX + BODY_ALLOWANCE


def boundary_from_geojson(data: Any) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon as a shapely geometry, without any repair.

    Parameters
    ----------
    data : dict
        The GeoJSON geometry object.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        As given (with Z where the positions have three numbers, for
        :func:`check_drawn_boundary` to refuse by name).

    Raises
    ------
    GeometryError
        For another type, positions that are not numbers, positions of four numbers (Z and
        M), or rings too short to close.
    """
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            f"geometry must be a GeoJSON Polygon or MultiPolygon, got {kind!r}",
            field="geometry",
            value=kind,
            detail_vi=f"ranh giới phải là GeoJSON Polygon hoặc MultiPolygon, nhận được {kind!r}",
        )
    try:
        return shapely.geometry.shape(data)
    except (GEOSException, ValueError, KeyError, TypeError, AttributeError):
        sizes = sorted(set(_position_sizes(data.get("coordinates"))) - {2})
        if sizes and min(sizes) > 2:
            detail = (
                f"geometry positions must be 2D (x, y); positions of {sizes} numbers carry Z "
                "or M values, which a parcel boundary does not keep"
            )
            detail_vi = (
                f"mỗi điểm của ranh giới phải có 2 tọa độ (x, y); điểm có {sizes} số mang giá "
                "trị Z hoặc M, mà ranh giới thửa đất không lưu"
            )
        else:
            detail = (
                "geometry must be a GeoJSON Polygon or MultiPolygon: rings of 4 or more "
                "positions of two numbers each"
            )
            detail_vi = (
                "ranh giới phải là GeoJSON Polygon hoặc MultiPolygon: các vòng từ 4 điểm trở "
                "lên, mỗi điểm gồm hai số"
            )
        raise GeometryError(detail, field="geometry", value=kind, detail_vi=detail_vi) from None


def _position_sizes(value: Any) -> Iterator[int]:
    """How many numbers each position has, for a message saying what is wrong."""
    if isinstance(value, list) and value and not isinstance(value[0], list):
        yield len(value)
    elif isinstance(value, list):
        for item in value:
            yield from _position_sizes(item)


def check_drawn_boundary(
    geometry: BaseGeometry,
    srid: int,
    cadastral_srid: int,
    *,
    commune: BaseGeometry | None = None,
    where: str = "its commune",
    max_vertices: int = MAX_VERTICES,
) -> DrawnBoundary:
    """Check a drawn parcel boundary and bring it into the cadastral CRS.

    Parameters
    ----------
    geometry : shapely.Polygon or shapely.MultiPolygon
        The boundary as drawn, in ``srid``.
    srid, cadastral_srid : int
        Its CRS and the register's.
    commune : shapely geometry, optional
        Where the parcel must lie (its commune's boundary, in the cadastral CRS); None when
        no boundary is loaded (then only the size is checked).
    where : str
        The commune's name, for the message.
    max_vertices : int
        The most vertices a boundary may have.

    Returns
    -------
    DrawnBoundary
        The boundary in the cadastral CRS, with GEOS's reason if it is invalid.

    Raises
    ------
    GeometryError
        For anything but a non-empty polygon or multipolygon of at most ``max_vertices``
        finite 2D vertices, an area of zero, a span over 20 km, or a place more than 2 km
        outside ``commune``.
    """
    crs_for(srid)
    _check_shape(geometry, max_vertices)
    moved = reproject(geometry, srid, cadastral_srid)
    if not np.isfinite(shapely.get_coordinates(moved)).all():
        raise GeometryError(
            f"geometry coordinates lie outside what EPSG:{srid} can express",
            field="geometry",
            value=f"EPSG:{srid}",
            detail_vi=f"tọa độ của ranh giới nằm ngoài phạm vi hệ EPSG:{srid} biểu diễn được",
        )
    boundary = to_multipolygon(moved)
    bad = invalid_geometries(np.array([boundary], dtype=object))
    _check_size(boundary, valid=bad.empty)
    if commune is not None:
        _check_place(geometry, srid, cadastral_srid, boundary, commune, where)
    if bad.empty:
        return DrawnBoundary(boundary)
    return DrawnBoundary(boundary, str(bad["reason"].iloc[0]), bad["location"].iloc[0])


def _check_shape(geometry: BaseGeometry, max_vertices: int) -> None:
    """A non-empty (multi)polygon of at most ``max_vertices`` finite 2D vertices."""
    kind = getattr(geometry, "geom_type", type(geometry).__name__)
    if kind not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        empty = kind in ("Polygon", "MultiPolygon")
        shown, shown_vi = (f"an empty {kind}", f"{kind} rỗng") if empty else (kind, kind)
        raise GeometryError(
            f"geometry must be a non-empty Polygon or MultiPolygon, got {shown}",
            field="geometry",
            value=kind,
            detail_vi="ranh giới phải là Polygon hoặc MultiPolygon không rỗng, nhận được "
            f"{shown_vi}",
        )
    vertices = int(shapely.get_num_coordinates(geometry))
    if vertices > max_vertices:
        raise GeometryError(
            f"geometry has {vertices} vertices; a parcel boundary may have at most {max_vertices}",
            field="geometry",
            value=vertices,
            detail_vi=f"ranh giới có {vertices} đỉnh; ranh giới một thửa đất có tối đa "
            f"{max_vertices} đỉnh",
        )
    if shapely.has_z(geometry) or shapely.has_m(geometry):
        raise GeometryError(
            "geometry has Z (or M) coordinates: send the boundary in 2D (x, y); heights are "
            "not kept, and landreg does not drop them silently",
            field="geometry",
            value="Z",
            detail_vi="ranh giới có tọa độ Z (hoặc M): hãy gửi ranh giới 2D (x, y); độ cao không "
            "được lưu, và landreg không âm thầm bỏ chúng đi",
        )
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise GeometryError(
            "geometry coordinates must be finite numbers (no NaN or Infinity)",
            field="geometry",
            value="not finite",
            detail_vi="tọa độ của ranh giới phải là số hữu hạn (không có NaN hay Infinity)",
        )


def _check_size(boundary: shapely.MultiPolygon, *, valid: bool) -> None:
    """A span a parcel can have, and an area above zero (of an invalid boundary, the area
    it encloses once made valid: a bow tie's signed halves cancel out)."""
    west, south, east, north = boundary.bounds
    span = max(east - west, north - south)
    if span > MAX_SPAN_M:
        raise GeometryError(
            f"geometry spans {span / 1000:.1f} km; a parcel spans at most "
            f"{MAX_SPAN_M / 1000:.0f} km: check the coordinates and the crs",
            field="geometry",
            value=round(span),
            detail_vi=f"ranh giới trải dài {span / 1000:.1f} km; một thửa đất dài tối đa "
            f"{MAX_SPAN_M / 1000:.0f} km: hãy kiểm tra tọa độ và hệ tọa độ",
        )
    if not shapely.area(boundary if valid else shapely.make_valid(boundary)) > 0:
        raise GeometryError(
            "geometry has no area: its rings enclose nothing",
            field="geometry",
            value=0,
            detail_vi="ranh giới không có diện tích: các vòng không bao quanh phần đất nào",
        )


def _check_place(
    geometry: BaseGeometry,
    srid: int,
    cadastral_srid: int,
    boundary: shapely.MultiPolygon,
    commune: BaseGeometry,
    where: str,
) -> None:
    """Every vertex within 2 km of the commune (ingest's landing test on the layer's
    features, here on the parcel's vertices); else the distance and the CRS it fits."""
    points = shapely.points(shapely.get_coordinates(geometry))
    points = points[:: max(1, len(points) // 500)]
    if landing_share(points, srid, commune, cadastral_srid, LANDING_TOLERANCE_M) == 1.0:
        return
    guesses = candidate_srids(points, commune, cadastral_srid, share=1.0)
    hint = f"; its coordinates fit EPSG:{guesses[0]}" if guesses else ""
    hint_vi = f"; tọa độ khớp với EPSG:{guesses[0]}" if guesses else ""
    where_vi = "xã của thửa" if where == "its commune" else where
    corners = shapely.points(shapely.get_coordinates(boundary))
    farthest = float(shapely.distance(commune, corners[:: max(1, len(corners) // 500)]).max())
    raise GeometryError(
        f"geometry reaches {farthest / 1000:.1f} km outside {where} (read as EPSG:{srid}): "
        f"check the coordinates and the crs{hint}",
        field="geometry",
        value=f"EPSG:{srid}",
        detail_vi=f"ranh giới vượt ra ngoài {where_vi} {farthest / 1000:.1f} km (đọc theo "
        f"EPSG:{srid}): hãy kiểm tra tọa độ và hệ tọa độ{hint_vi}",
    )
