"""Byte-for-byte reproducible writers for the formats the province exchanges.

GDAL stamps GeoPackages with the current time and Shapefile DBF headers with today's date,
and XLSX files are zips with timestamps: each writer here pins those to ``FIXED_DATE`` so
that the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import shapely

from sample_data.encodings import ENCODERS

FIXED_DATE = (2025, 11, 27)
_FIXED_STAMP = "2025-11-27T00:00:00Z"


@contextmanager
def fixed_gdal_dates() -> Iterator[None]:
    """Make GDAL write ``FIXED_DATE`` instead of the current time (GeoPackage ``last_change``)."""
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_STAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def write_gpkg(path: Path, layers: list[tuple[str, gpd.GeoDataFrame]]) -> None:
    """Write layers to a new GeoPackage, in order, with fixed timestamps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with fixed_gdal_dates():
        for name, frame in layers:
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())


def _legacy_text(frame: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Replace text by its legacy bytes seen as Latin-1, so GDAL writes those exact bytes."""
    encode = ENCODERS[encoding]
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and pd.api.types.is_string_dtype(out[column]):
            text = [
                encode(v).decode("latin-1") if isinstance(v, str) else None for v in out[column]
            ]
            out[column] = pd.Series(text, index=out.index, dtype=object)
    return out


def _patch_dbf_header(path: Path) -> None:
    """Pin the DBF last-update date and clear the language-driver byte (as old tools left it)."""
    with path.open("r+b") as handle:
        handle.seek(1)
        handle.write(bytes([FIXED_DATE[0] - 1900, FIXED_DATE[1], FIXED_DATE[2]]))
        handle.seek(29)
        handle.write(b"\x00")


def write_shapefile(
    folder: Path, name: str, frame: gpd.GeoDataFrame, prj: str, encoding: str, cpg: str | None
) -> None:
    """Write a Shapefile with a hand-written ``.prj`` and text in ``encoding``.

    ``encoding`` is ``UTF-8``, ``TCVN3`` or ``VNI``. ``cpg`` is what the ``.cpg`` file says
    (None: no ``.cpg``), which for legacy encodings is missing or wrong, as in real files.
    """
    folder.mkdir(parents=True, exist_ok=True)
    legacy = encoding in ENCODERS
    data = _legacy_text(frame, encoding) if legacy else frame
    data = data.set_crs(None, allow_override=True)
    with warnings.catch_warnings():  # no CRS on purpose: the .prj is written by hand below
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        pyogrio.write_dataframe(
            data, folder / f"{name}.shp", driver="ESRI Shapefile",
            encoding="ISO-8859-1" if legacy else "UTF-8",
        )  # fmt: skip
    _patch_dbf_header(folder / f"{name}.dbf")
    (folder / f"{name}.prj").write_text(prj, encoding="ascii")
    cpg_path = folder / f"{name}.cpg"
    cpg_path.unlink(missing_ok=True)
    if cpg is not None:
        cpg_path.write_text(cpg, encoding="ascii")


def _ring_positions(ring: np.ndarray, closed: bool) -> list:
    coords = np.round(ring, 9)
    return (coords if closed else coords[:-1]).tolist()


def _polygon_coordinates(polygon: shapely.Polygon, closed: bool) -> list:
    rings = [polygon.exterior, *polygon.interiors]
    return [_ring_positions(shapely.get_coordinates(ring), closed) for ring in rings]


def write_geojson(path: Path, frame: gpd.GeoDataFrame, open_rows: set[int], name: str) -> None:
    """Write an RFC 7946 FeatureCollection (WGS 84 lon/lat, 9 decimals: 0.1 mm).

    Rows in ``open_rows`` get their rings written without the closing position, the
    ``invalid_ring_not_closed`` defect that only a text format can carry.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    records = frame[columns].to_dict("records")
    lines = []
    for row, (props, geom) in enumerate(zip(records, frame.geometry.values, strict=True)):
        coords = _polygon_coordinates(geom, closed=row not in open_rows)
        feature = {
            "type": "Feature", "properties": {k: _plain(v) for k, v in props.items()},
            "geometry": {"type": "Polygon", "coordinates": coords},
        }  # fmt: skip
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)[:-1]
    text = head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _plain(value):
    """A JSON-ready Python value for a numpy/pandas scalar (NaN/None → null)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def write_csv(path: Path, frame: pd.DataFrame, *, sep: str = ",", bom: bool = False) -> None:
    """Write a CSV with Windows line ends, optionally with a UTF-8 byte-order mark."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(
        path, sep=sep, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\r\n"
    )


def write_json_records(path: Path, records: list[dict]) -> None:
    """Write a JSON array, one record per line (UTF-8, no ASCII escapes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
    path.write_text("[\n" + body + "\n]\n", encoding="utf-8")
