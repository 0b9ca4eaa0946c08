"""Normalising parcel geometries without repairing them.

A parcel boundary is stored as a 2D multipolygon with exterior rings counter-clockwise.
Invalid geometry is kept as received, so that it can be reported; nothing here makes it valid.
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from spatial.errors import GeometryError

_POLYGONAL = {"Polygon", "MultiPolygon"}


def to_multipolygon(geometry: BaseGeometry) -> shapely.MultiPolygon:
    """Return a parcel boundary as a 2D, consistently oriented multipolygon.

    Parameters
    ----------
    geometry : shapely.Polygon or shapely.MultiPolygon
        The boundary as delivered (may carry Z, may be invalid).

    Returns
    -------
    shapely.MultiPolygon
        Same rings, 2D, exterior rings counter-clockwise, holes clockwise.

    Raises
    ------
    GeometryError
        For an empty or non-polygonal geometry.
    """
    if geometry is None or geometry.is_empty:
        raise GeometryError(
            "parcel geometry is empty",
            field="geometry",
            value="EMPTY",
            detail_vi="hình học của thửa đất bị rỗng",
        )
    if geometry.geom_type not in _POLYGONAL:
        raise GeometryError(
            f"parcel geometry must be a polygon or multipolygon, got {geometry.geom_type}",
            field="geometry",
            value=geometry.geom_type,
            detail_vi="hình học của thửa đất phải là Polygon hoặc MultiPolygon, nhận được "
            f"{geometry.geom_type}",
        )
    flat = shapely.force_2d(geometry)
    if flat.geom_type == "Polygon":
        flat = shapely.MultiPolygon([flat])
    return shapely.orient_polygons(flat)
