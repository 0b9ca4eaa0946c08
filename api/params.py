"""What the API takes at its edge: row ids and offsets the database can hold, CRS codes of
the supported list, and boxes and points of finite numbers that reproject into the register's
CRS, checked once here before any of them reaches PostGIS, SpatiaLite or PROJ.

Each refusal is a :class:`~landreg.errors.ValidationError` (422) naming the parameter as the
client wrote it (``bbox``, ``bbox_crs``, ``bbox-crs``, ``point_crs``, ``crs``, ``x``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

import shapely
from shapely.geometry.base import BaseGeometry

from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.errors import CRSError, ValidationError
from spatial.crs import crs_for, reproject, transformer

# Ids are the database's integer; an offset past it finds nothing and PostgreSQL refuses it.
LARGEST_ID = 2**31 - 1
LARGEST_OFFSET = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="the record's id")]


def _convertible(moment: datetime) -> datetime:
    """A moment with an offset must stay a date once taken to UTC (the register's times) and
    to UTC+7 (a dossier's): 9999-12-31T23:00-05:00 is past the last day Python holds."""
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
            moment.astimezone(LOCAL_TIME)
        except OverflowError:
            raise ValidationError(
                "the time is out of range once taken to UTC",
                detail_vi="thời điểm nằm ngoài phạm vi khi đổi sang giờ UTC",
            ) from None
    return moment


Moment = Annotated[datetime, AfterValidator(_convertible)]

# The CRSs coordinates are read and written in (besides the register's own storage CRS):
# WGS 84 and VN-2000 longitude/latitude, their UTM zones over the country, the province's
# VN-2000 / TM-3 zones, and Web Mercator. Anything else (a vertical or geocentric CRS, a
# code PROJ does not know) would fail deep inside a transformation, or answer nonsense.
SUPPORTED_SRIDS: dict[int, str] = {
    4326: "WGS 84 longitude/latitude",
    4756: "VN-2000 longitude/latitude",
    3405: "VN-2000 / UTM zone 48N",
    3406: "VN-2000 / UTM zone 49N",
    9209: "VN-2000 / TM-3 105-30",
    9210: "VN-2000 / TM-3 105-45",
    32648: "WGS 84 / UTM zone 48N",
    32649: "WGS 84 / UTM zone 49N",
    3857: "Web Mercator",
}
CRS_CODES = ", ".join(str(srid) for srid in SUPPORTED_SRIDS)
CRS_HELP = f"EPSG code: {CRS_CODES}"
Box = tuple[float, float, float, float]


def checked_srid(srid: int, field: str, cadastral_srid: int) -> int:
    """``srid`` when it is a supported CRS (or the register's own), else a 422 naming
    ``field``."""
    if srid != cadastral_srid and srid not in SUPPORTED_SRIDS:
        raise CRSError(
            f"{field} must be one of the EPSG codes {CRS_CODES}",
            field=field,
            value=srid,
            detail_vi=f"{field} phải là một trong các mã EPSG {CRS_CODES}",
        )
    return srid


def parse_box(text: str, *, field: str = "bbox", heights: bool = False) -> Box:
    """Four finite numbers ``minx,miny,maxx,maxy`` (with ``heights``, six are accepted too:
    ``minx,miny,minz,maxx,maxy,maxz``, the heights dropped)."""
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if heights and len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise ValidationError(
            f"{field} must be four finite numbers: minx,miny,maxx,maxy",
            field=field,
            value=text,
            detail_vi=f"{field} phải gồm bốn số hữu hạn: minx,miny,maxx,maxy",
        )
    minx, miny, maxx, maxy = numbers
    return minx, miny, maxx, maxy


def box_in_crs(
    box: Box,
    srid: int,
    target_srid: int,
    *,
    max_span_m: float,
    field: str = "bbox",
    shown: str | None = None,
) -> BaseGeometry:
    """The box as a polygon in ``target_srid`` (a projected CRS in metres), its edges
    densified so that the reprojected outline follows the curved one.

    Refused: a minimum not below its maximum; longitudes beyond ±180 or latitudes beyond ±90
    in a geographic CRS; a box that does not reproject to finite numbers (far outside the
    area either CRS covers); one spanning more than ``max_span_m`` once reprojected.
    """
    value = shown if shown is not None else ",".join(repr(v) for v in box)
    minx, miny, maxx, maxy = box
    if minx >= maxx or miny >= maxy:
        raise ValidationError(
            f"{field} is the lower corner then the upper one: minx,miny,maxx,maxy, each "
            "minimum below its maximum",
            field=field,
            value=value,
            detail_vi=f"{field} là góc dưới rồi góc trên: minx,miny,maxx,maxy, mỗi giá trị nhỏ "
            "nhất phải nhỏ hơn giá trị lớn nhất tương ứng",
        )
    _check_range(box, srid, field, value)
    outline = shapely.segmentize(shapely.box(*box), max(maxx - minx, maxy - miny) / 8)
    frame = reproject(outline, srid, target_srid)
    west, south, east, north = frame.bounds
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValidationError(
            f"{field} does not convert from EPSG:{srid} into the register's EPSG:"
            f"{target_srid}: it lies outside the area these coordinate systems cover",
            field=field,
            value=value,
            detail_vi=f"{field} không đổi được từ EPSG:{srid} sang EPSG:{target_srid} của sổ "
            "địa chính: nó nằm ngoài vùng các hệ tọa độ này bao phủ",
        )
    if max(east - west, north - south) > max_span_m:
        raise ValidationError(
            f"{field} may span at most {_distance(max_span_m)}",
            field=field,
            value=value,
            detail_vi=f"{field} chỉ được trải rộng tối đa {_distance(max_span_m)}",
        )
    return frame


def point_in_crs(
    x: float, y: float, srid: int, target_srid: int, *, field: str = "x"
) -> tuple[float, float]:
    """The point ``x``, ``y`` of ``srid`` in ``target_srid``; refused when not finite,
    beyond ±180/±90 in a geographic CRS, or when it does not convert into ``target_srid``."""
    value = f"{x},{y}"
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValidationError(
            "x and y must be finite numbers",
            field=field,
            value=value,
            detail_vi="x và y phải là số hữu hạn",
        )
    _check_range((x, y, x, y), srid, field, value)
    if srid == target_srid:
        return x, y
    moved_x, moved_y = transformer(srid, target_srid).transform(x, y)
    if not (math.isfinite(moved_x) and math.isfinite(moved_y)):
        raise ValidationError(
            f"the point does not convert from EPSG:{srid} into the register's EPSG:"
            f"{target_srid}: it lies outside the area these coordinate systems cover",
            field=field,
            value=value,
            detail_vi=f"điểm không đổi được từ EPSG:{srid} sang EPSG:{target_srid} của sổ địa "
            "chính: nó nằm ngoài vùng các hệ tọa độ này bao phủ",
        )
    return float(moved_x), float(moved_y)


# Projected coordinates a hundred thousand kilometres out are on no map (the equator is
# 40,000 km); larger ones only overflow the geometry engine.
LARGEST_PROJECTED = 1e8


def _check_range(box: Box, srid: int, field: str, value: str) -> None:
    """Longitudes within ±180 and latitudes within ±90 in a geographic CRS; projected
    coordinates within ±``LARGEST_PROJECTED``."""
    minx, miny, maxx, maxy = box
    if crs_for(srid).is_geographic:
        if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
            raise ValidationError(
                f"{field}: longitudes must lie in -180..180 and latitudes in -90..90",
                field=field,
                value=value,
                detail_vi=f"{field}: kinh độ phải nằm trong -180..180 và vĩ độ trong -90..90",
            )
    elif max(abs(v) for v in box) > LARGEST_PROJECTED:
        raise ValidationError(
            f"{field}: coordinates in EPSG:{srid} must lie within ±{LARGEST_PROJECTED:.0e} m",
            field=field,
            value=value,
            detail_vi=f"{field}: tọa độ theo EPSG:{srid} phải nằm trong khoảng "
            f"±{LARGEST_PROJECTED:.0e} m",
        )


def _distance(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
