"""Findings out of the register: a table for the terminal, CSV, GeoJSON and GeoPackage.

The GeoPackage keeps the cadastral CRS and opens in QGIS; GeoJSON is WGS 84 (RFC 7946).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import geopandas as gpd
import pyogrio
import shapely

from landreg.errors import ValidationError
from landreg.store.unit_of_work import UnitOfWork

FORMATS = ("table", "csv", "geojson", "gpkg")


def findings_table(
    uow: UnitOfWork,
    *,
    rule: str | None = None,
    status: str | None = "open",
    commune: str | None = None,
) -> gpd.GeoDataFrame:
    """Findings (of every status where ``status`` is None) as a flat table: subjects and
    values as text, location as geometry."""
    frame = uow.findings.frame(rule=rule, status=status, commune=commune)
    srid = uow.database.cadastral_srid
    flat = pd.DataFrame({
        "id": frame["id"], "rule": frame["rule"], "severity": frame["severity"],
        "status": frame["status"], "commune": frame["commune_code"],
        "parcels": frame["subjects"].map(lambda s: ", ".join(dict.fromkeys(
            str(x.get("key")) for x in s or []))),
        "records": frame["subjects"].map(lambda s: "; ".join(
            f"{x.get('source')}#{x.get('row')}" for x in s or [])),
        "measured": frame["measured"].map(lambda m: json.dumps(m, ensure_ascii=False)),
        "suggested_fix": frame["suggestion"].map(lambda m: (m or {}).get("fix")),
        "message_vi": frame["message_vi"], "message_en": frame["message_en"],
    })  # fmt: skip
    return gpd.GeoDataFrame(flat, geometry=frame["geometry"].to_numpy(), crs=srid)


def write_findings(table: gpd.GeoDataFrame, path: Path, fmt: str) -> Path:
    """Write findings as CSV (geometry as WKT), GeoJSON (WGS 84) or GeoPackage."""
    if fmt not in FORMATS[1:]:
        raise ValidationError(
            f"format must be one of {FORMATS}",
            field="format",
            value=fmt,
            detail_vi=f"định dạng phải là một trong: {', '.join(FORMATS[1:])}",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        out = pd.DataFrame(table.drop(columns="geometry"))
        out["wkt"] = shapely.to_wkt(table.geometry.to_numpy(), rounding_precision=3)
        out.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "geojson":
        pyogrio.write_dataframe(table.to_crs(4326), path, driver="GeoJSON")
    else:
        path.unlink(missing_ok=True)
        for geometry_kind, part in _by_geometry_kind(table):
            pyogrio.write_dataframe(
                part, path, layer=f"findings_{geometry_kind}", driver="GPKG", append=path.exists()
            )
    return path


def _by_geometry_kind(table: gpd.GeoDataFrame) -> list[tuple[str, gpd.GeoDataFrame]]:
    """GeoPackage layers hold one geometry type: points, polygons, and findings without place."""
    kinds = table.geometry.geom_type.fillna("none").map(
        lambda t: (
            "points"
            if "Point" in t
            else "areas"
            if "Polygon" in t or "Collection" in t
            else "lines"
            if "Line" in t
            else "without_location"
        )
    )
    return [(kind, table[kinds == kind]) for kind in sorted(kinds.unique())]
