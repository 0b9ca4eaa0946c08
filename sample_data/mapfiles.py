"""Write one commune's cadastral map in the format, CRS and encoding its plan says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import geopandas as gpd

from sample_data.commune import CommuneResult
from sample_data.crs import TOWGS84_SIGN_ERROR, cadastral_wkt, transform_geometries
from sample_data.sources import LAYERS, MAP_FIELDS, SHEET_FIELDS, STRIP_FIELDS, STRIP_KIND_VI
from sample_data.writers import write_geojson, write_gpkg, write_shapefile

_TRUE_CRS_TEXT = {
    3405: "EPSG:3405 (VN-2000 / UTM 48N)", 4326: "EPSG:4326 (WGS 84)",
    9209: "EPSG:9209", 9210: "EPSG:9210",
    "9209_sign_error": "VN-2000 TM-3 105°30′ computed with the sign-flipped towgs84",
}  # fmt: skip


def _prj(result: CommuneResult) -> str:
    plan = result.plan
    if plan.coords == "9209_sign_error":
        return cadastral_wkt(9209, TOWGS84_SIGN_ERROR)
    return cadastral_wkt(plan.native_srid)


def _renamed(frame: gpd.GeoDataFrame, fields: dict[str, str], coords) -> gpd.GeoDataFrame:
    out = frame[[c for c in fields if c in frame.columns] + [frame.geometry.name]].rename(
        columns=fields
    )
    geometry = transform_geometries(out.geometry.to_numpy(), frame.crs.to_epsg(), coords)
    return gpd.GeoDataFrame(out.drop(columns=frame.geometry.name), geometry=geometry, crs=None)


def _layers(result: CommuneResult) -> dict[str, gpd.GeoDataFrame]:
    plan, schema = result.plan, result.plan.schema
    strips = result.strips.assign(kind=result.strips["kind"].map(STRIP_KIND_VI))
    return {
        "parcels": _renamed(result.features, MAP_FIELDS[schema], plan.coords),
        "roads_canals": _renamed(strips, STRIP_FIELDS[schema], plan.coords),
        "sheets": _renamed(result.sheets, SHEET_FIELDS[schema], plan.coords),
    }


def _open_ring_rows(result: CommuneResult) -> set[int]:
    return {d["rows"][0] for d in result.map_defects if d["kind"] == "invalid_ring_not_closed"}


def _declared_frame(frame: gpd.GeoDataFrame, declared: int) -> gpd.GeoDataFrame:
    return frame.set_crs(declared, allow_override=True)


def write_commune_map(root: Path, result: CommuneResult) -> tuple[dict[str, str], list[dict]]:
    """Write the commune's map layers; returns the parcel layer's address and manifest entries.

    The address is ``{"source", "layer", "id_field"}``: the file (relative to ``root``), the
    layer name and the field that identifies a feature.
    """
    plan, schema = result.plan, result.plan.schema
    layers, names = _layers(result), LAYERS[schema]
    base = Path(plan.folder)
    if plan.map_format == "gpkg":
        declared = 9209 if plan.coords == 3405 else plan.native_srid
        paths = {role: (base / f"{plan.slug}.gpkg", names[role]) for role in layers}
        write_gpkg(
            root / paths["parcels"][0],
            [(names[role], _declared_frame(frame, declared)) for role, frame in layers.items()],
        )
    elif plan.map_format == "shapefile":
        paths = {role: (base / plan.slug / f"{names[role]}.shp", names[role]) for role in layers}
        for role, frame in layers.items():
            write_shapefile(
                root / base / plan.slug, names[role], frame, _prj(result), plan.encoding, plan.cpg
            )
    else:
        paths = {
            role: (base / plan.slug / f"{names[role]}.geojson", names[role]) for role in layers
        }
        for role, frame in layers.items():
            open_rows = _open_ring_rows(result) if role == "parcels" else set()
            write_geojson(root / paths[role][0], frame, open_rows, names[role])
    id_field = MAP_FIELDS[schema]["objectid"]
    address = {
        "source": paths["parcels"][0].as_posix(),
        "layer": names["parcels"],
        "id_field": id_field,
    }
    return address, _manifest_entries(result, layers, paths)


def _manifest_entries(result: CommuneResult, layers, paths) -> list[dict]:
    plan = result.plan
    fields = {"parcels": MAP_FIELDS, "roads_canals": STRIP_FIELDS, "sheets": SHEET_FIELDS}
    entries = []
    for role, frame in layers.items():
        path, layer = paths[role]
        entries.append(
            {
                "path": path.as_posix(), "kind": "map", "role": role, "format": plan.map_format,
                "layer": layer, "communes": [plan.code], "declared_crs": plan.declared,
                "true_crs": _TRUE_CRS_TEXT[plan.coords],
                "true_crs_epsg": plan.coords if isinstance(plan.coords, int) else None,
                "cadastral_srid": plan.native_srid, "encoding": plan.encoding,
                "cpg": plan.cpg if plan.map_format == "shapefile" else None,
                "fields": fields[role][plan.schema], "feature_count": len(frame),
            }
        )  # fmt: skip
    return entries


def map_reference(address: dict[str, str], objectid: int, parcel_key: str) -> dict:
    """A ground-truth reference to one map feature."""
    return {**address, "id": int(objectid), "parcel_key": parcel_key}


def ring_rows(result: CommuneResult) -> np.ndarray:
    """Positions of features written with an unclosed ring."""
    return np.array(sorted(_open_ring_rows(result)), dtype=np.int64)
