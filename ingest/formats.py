"""The one registry of the formats landreg reads: a file's suffix → its format and reader.

Map formats are read as layers (:class:`MapFormat`: list the layers, read one), tables as
rows (:class:`TableFormat`). Kind detection, the folder walk, fingerprinting and reading all
look formats up here, so a new format is one reader and one line in :data:`FORMATS`, e.g.
``".kml": MapFormat("KML", "KML", GDAL)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ingest import cad, gdal, tabular
from ingest.maps import MapLayer
from ingest.tabular import Table
from landreg.errors import LandRegError, ValidationError


class LayerReader(Protocol):
    """How a map format's layers are listed and read (a module: ``gdal``, ``cad``)."""

    def list_layers(self, path: Path) -> list[str]: ...

    def read_layer(self, path: Path, layer: str | None = None, *, decode: bool = True) -> MapLayer:
        """One layer; with ``decode=False`` its geometry may stay WKB until decoded."""
        ...


@dataclass(frozen=True, slots=True)
class MapFormat:
    """A map format: its name, the GDAL driver that reads it, its reader, and the files a
    delivery of it is made of (its own suffix first), all of them fingerprinted together."""

    name: str
    driver: str
    reader: LayerReader
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableFormat:
    """A tabular format: its name and its reader."""

    name: str
    read: Callable[[Path], Table]


GDAL: LayerReader = gdal
CAD: LayerReader = cad
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

FORMATS: dict[str, MapFormat | TableFormat] = {
    ".gpkg": MapFormat("GeoPackage", "GPKG", GDAL),
    ".shp": MapFormat("Shapefile", "ESRI Shapefile", GDAL, parts=SHAPEFILE_PARTS),
    ".geojson": MapFormat("GeoJSON", "GeoJSON", GDAL),
    ".fgb": MapFormat("FlatGeobuf", "FlatGeobuf", GDAL),
    ".dxf": MapFormat("DXF drawing", "DXF", CAD),
    ".dgn": MapFormat("MicroStation DGN v7 drawing", "DGN", CAD),
    ".csv": TableFormat("CSV", tabular.read_csv),
    ".xlsx": TableFormat("XLSX workbook", tabular.read_xlsx),
    ".json": TableFormat("JSON records", tabular.read_json_table),
}
# Files beside the sources that are not sources themselves.
NOT_SOURCES = frozenset({"manifest.json", "ground_truth.json"})


def format_of(path: Path) -> MapFormat | TableFormat | None:
    """The format of a file by its suffix; None when landreg does not read it."""
    return FORMATS.get(path.suffix.lower())


def _layer_reader(path: Path) -> LayerReader:
    """The reader of a map format; any other file is offered to GDAL (told ``--kind map``,
    GDAL may still read it as a layer, or says why not)."""
    found = format_of(path)
    return found.reader if isinstance(found, MapFormat) else GDAL


def list_layers(path: Path) -> list[str]:
    """Names of the layers in a map file (one for Shapefile and GeoJSON, and for a drawing)."""
    return _layer_reader(path).list_layers(path)


def read_layer(path: Path, layer: str | None = None, *, decode: bool = True) -> MapLayer:
    """Read one layer of a map file with its format's reader (see :class:`LayerReader`)."""
    return _layer_reader(path).read_layer(path, layer, decode=decode)


def read_table(path: Path) -> Table:
    """Any tabular file landreg reads, by its extension."""
    found = format_of(path)
    if not isinstance(found, TableFormat):
        raise ValidationError(
            f"{path.name}: không phải tệp CSV, XLSX hay JSON / {path.name}: not a CSV, XLSX or "
            "JSON file",
            field="path",
            value=str(path),
        )
    return found.read(path)


def kind_of(path: Path) -> str:
    """``admin`` (a map file with a ``communes`` layer), ``map`` or ``table``, by the format."""
    found = format_of(path)
    if isinstance(found, MapFormat):
        return "admin" if "communes" in list_layers(path) else "map"
    if isinstance(found, TableFormat):
        return "table"
    raise ValidationError(
        f"{path.name}: landreg chỉ đọc các tệp {sorted(FORMATS)} / {path.name}: landreg reads "
        f"{sorted(FORMATS)} files",
        field="path",
        value=str(path),
    )


def fingerprint(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a delivery (a Shapefile counts all its parts)."""
    found = format_of(path)
    suffixes = found.parts if isinstance(found, MapFormat) and found.parts else None
    parts = [path.with_suffix(s) for s in suffixes] if suffixes else [path]
    digest, size = hashlib.sha256(), 0
    for part in parts:
        if part.exists():
            with part.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
                    size += len(block)
    return size, digest.hexdigest()


def sources_in(folder: Path) -> list[Path]:
    """Every file landreg can read under ``folder``: boundaries first, then maps, then tables.

    Companion files (a Shapefile's .dbf, a dossier export's event history) are not listed on
    their own.
    """
    if not folder.is_dir():
        raise ValidationError(
            f"{folder} không phải thư mục / {folder} is not a folder",
            field="path",
            value=str(folder),
        )
    found = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and format_of(p) is not None and not _is_companion(p)
    ]
    return sorted(found, key=_order)


def _order(path: Path) -> tuple[int, str]:
    """Boundaries (a map with a ``communes`` layer) first, then maps, then tables."""
    if isinstance(format_of(path), MapFormat):
        try:
            layers = list_layers(path)
        except LandRegError:  # unreadable: stopped with its reason when its turn comes
            layers = []
        return (0 if "communes" in layers else 1, str(path))
    return (2, str(path))


def _is_companion(path: Path) -> bool:
    if path.name in NOT_SOURCES:
        return True
    if path.suffix.lower() == ".csv" and any(path.parent.glob("*.tif")):
        return True  # a raster's class table, read with the raster
    return tabular.is_event_history(path)
