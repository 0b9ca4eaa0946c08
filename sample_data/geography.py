"""Administrative geography of the sample province: outline, commune boundaries, history.

The merged province (code 80) is drawn as two simplified outlines, former Tây Ninh in the
north (around lat 11.3, lon 106.1) and former Long An in the south (around lat 10.6,
lon 106.4), sharing one border. The sample communes tile each part as Voronoi cells of
their approximate real centres, so commune boundaries tile the province exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import geopandas as gpd
import shapely

from sample_data.crs import WGS84, transform_geometries, transform_points
from sample_data.units import administrative_units, communes, former_units

ADMIN_SRID = 9209
_SPLIT = [(105.90, 11.15), (106.05, 11.05), (106.25, 10.95), (106.40, 11.02)]
_TAY_NINH = [(105.82, 11.45), (105.95, 11.78), (106.20, 11.80), (106.42, 11.55), (106.45, 11.25)]
_LONG_AN = [
    (106.55, 10.90), (106.70, 10.70), (106.80, 10.50), (106.60, 10.40), (106.30, 10.42),
    (106.00, 10.55), (105.70, 10.70), (105.50, 10.80), (105.50, 10.95), (105.75, 11.00),
]  # fmt: skip
# Approximate (lon, lat) of each sample commune or ward.
_CENTRES = {
    "25459": (106.100, 11.310), "25480": (106.075, 11.365), "25567": (106.135, 11.270),
    "25732": (106.350, 11.065), "25630": (105.995, 11.535), "25645": (106.230, 11.370),
    "25612": (106.040, 11.720), "27694": (106.410, 10.570), "27712": (106.425, 10.535),
    "27736": (106.370, 10.510), "27775": (105.920, 10.770), "27790": (105.650, 10.830),
    "27925": (106.420, 10.880), "28003": (106.490, 10.640), "28246": (106.670, 10.610),
}  # fmt: skip


@dataclass(frozen=True)
class Geography:
    """Province, former-province parts and commune polygons in EPSG:9209."""

    province: shapely.Polygon
    parts: dict[str, shapely.Polygon]
    commune_shapes: dict[str, shapely.Geometry]


def _part_outlines() -> dict[str, shapely.Polygon]:
    tay_ninh = shapely.Polygon(_SPLIT[::-1] + _TAY_NINH[::-1])
    long_an = shapely.Polygon(_SPLIT + _LONG_AN)
    lonlat = np.array([shapely.segmentize(tay_ninh, 0.01), shapely.segmentize(long_an, 0.01)])
    projected = transform_geometries(lonlat, WGS84, ADMIN_SRID)
    return {"72": shapely.normalize(projected[0]), "80-LA": shapely.normalize(projected[1])}


def _commune_cells(part: shapely.Polygon, codes: list[str]) -> dict[str, shapely.Geometry]:
    lon = np.array([_CENTRES[code][0] for code in codes])
    lat = np.array([_CENTRES[code][1] for code in codes])
    points = shapely.points(*transform_points(lon, lat, WGS84, ADMIN_SRID))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=part, ordered=True)
    )
    clipped = shapely.intersection(cells, part)
    return {code: shapely.normalize(cell) for code, cell in zip(codes, clipped, strict=True)}


def build_geography() -> Geography:
    """Outline the province and tile it with the sample communes (sorted by code)."""
    parts = _part_outlines()
    shapes: dict[str, shapely.Geometry] = {}
    for part_code, outline in parts.items():
        codes = sorted(code for code, (_, prov) in former_units().items() if prov == part_code)
        shapes.update(_commune_cells(outline, codes))
    province = shapely.union_all([parts["72"], parts["80-LA"]])
    return Geography(province=province, parts=parts, commune_shapes=dict(sorted(shapes.items())))


def _former_names() -> dict[str, str]:
    return {code: unit.name for code, unit in administrative_units().items()}


def communes_frame(geo: Geography) -> gpd.GeoDataFrame:
    """The current communes and wards with their former district and province."""
    names, rows = _former_names(), []
    for code, shape in geo.commune_shapes.items():
        unit, (district, province) = communes()[code], former_units()[code]
        rows.append(
            {
                "code": code, "level": unit.level, "name": unit.name,
                "province_code": unit.parent_code, "valid_from": str(unit.valid_from),
                "former_district_code": district, "former_district_name": names[district],
                "former_province_code": province, "former_province_name": names[province],
                "cadastral_srid": unit.cadastral_srid, "remote": unit.remote,
                "official_code": unit.official, "geometry": shape,
            }
        )  # fmt: skip
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=ADMIN_SRID)


def historical_frames(geo: Geography) -> dict[str, gpd.GeoDataFrame]:
    """Province, former provinces and former districts (union of their sample communes)."""
    units = administrative_units()
    frames = {"province": _units_frame([units["80"]], {"80": geo.province})}
    for level, layer in (
        ("former_province", "former_provinces"),
        ("former_district", "former_districts"),
    ):
        chosen = sorted((u for u in units.values() if u.level == level), key=lambda u: u.code)
        index = 1 if level == "former_province" else 0
        shapes = {
            unit.code: shapely.union_all(
                [s for c, s in geo.commune_shapes.items() if former_units()[c][index] == unit.code]
            )
            for unit in chosen
        }
        frames[layer] = _units_frame(chosen, shapes)
    return frames


def _units_frame(units: list, shapes: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    rows = [
        {
            "code": unit.code, "level": unit.level, "name": unit.name,
            "parent_code": unit.parent_code, "valid_from": str(unit.valid_from or ""),
            "valid_to": str(unit.valid_to or ""), "successor_code": unit.successor_code,
            "cadastral_srid": unit.cadastral_srid,
            "geometry": None if shapes[unit.code].is_empty else shapes[unit.code],
        }
        for unit in units
    ]  # fmt: skip
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=ADMIN_SRID)
