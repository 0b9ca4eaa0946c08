"""An installation's own administrative units: taking them in from a file, and listing them.

landreg ships Tây Ninh's units. Another province loads its own with ``landreg units load
FILE``: a table (CSV, XLSX, JSON) or a map file (GeoPackage, GeoJSON, Shapefile…, every
layer read) with a row per unit — ``code``, ``level``, ``name`` and optionally
``parent_code``, ``valid_from``, ``valid_to``, ``successor_code``, ``cadastral_srid``,
``remote``, ``official``. They replace the units in the database (boundaries too, when the
file has geometry) and are written to ``admin_units.csv`` in ``LANDREG_DATA_DIR``, which the
reference (:mod:`landreg.domain.reference`) then reads instead of the shipped table: ingest's
commune codes, remote communes' deadlines and where the province lies follow them.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from shapely.geometry.base import BaseGeometry

from ingest import formats, maps
from ingest.formats import MapFormat
from ingest.parcels import polygons_in
from landreg.domain import reference
from landreg.domain.admin_units import UNIT_COLUMNS, AdministrativeUnit, units_from_rows
from landreg.errors import ValidationError
from landreg.services.spatial_refusals import spatial_refusals
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import crs_for
from spatial.errors import CRSError as SpatialCRSError


@dataclass(slots=True)
class UnitsFile:
    """The units a file holds, their boundaries in the register's CRS, and notes on reading."""

    units: list[AdministrativeUnit]
    boundaries: dict[str, BaseGeometry] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UnitsLoaded:
    """What ``units load`` did."""

    units: int
    communes: int
    boundaries: int
    changed: int
    removed: int
    written_to: Path
    notes: list[str]


@dataclass(frozen=True, slots=True)
class UnitsListed:
    """The units the register checks against, and where they come from."""

    units: list[tuple[AdministrativeUnit, bool]]
    installation_file: Path | None


def read_units_file(path: Path, cadastral_srid: int, *, crs: str | None = None) -> UnitsFile:
    """The units of a table or map file; boundaries (map files) in ``cadastral_srid``, their
    CRS checked against Viet Nam's extent (``crs`` confirms one for a file without)."""
    if not path.is_file():
        raise ValidationError(
            f"không có tệp {path.name} / no such file: {path.name}", field="path", value=path.name
        )
    if isinstance(formats.format_of(path), MapFormat):
        with spatial_refusals():
            return _map_units(path, cadastral_srid, crs)
    frame = formats.read_table(path).frame
    columns = [str(c) for c in frame.columns]
    return UnitsFile(units_from_rows(columns, _records(frame), source=path.name))


def _map_units(path: Path, cadastral_srid: int, crs: str | None) -> UnitsFile:
    """Every layer's rows as units, and each polygon as its unit's boundary."""
    rows: list[dict[str, object]] = []
    columns: set[str] | None = None
    boundaries: dict[str, BaseGeometry] = {}
    notes = []
    country = reference.country_extent(cadastral_srid)
    for name in formats.list_layers(path):
        layer = formats.read_layer(path, name)
        names = {str(c) for c in layer.attributes.columns}
        columns = names if columns is None else columns & names
        rows += _records(layer.attributes)
        if not pd.notna(layer.geometry).any():
            continue
        transform, _, note = maps.resolve_crs(
            layer, confirmed=crs, expected=country, expected_srid=cadastral_srid, where="Viet Nam"
        )
        geometry, no_polygon = polygons_in(layer, transform)
        codes = layer.attributes["code"].tolist() if "code" in names else []
        for position, code in enumerate(codes):
            if not no_polygon.iloc[position]:
                boundaries[str(code)] = geometry[position]
        notes.append(f"layer {name}: {note}")
    units = units_from_rows(sorted(columns or ()), rows, source=path.name)
    by_raw = {str(row.get("code")): unit.code for row, unit in zip(rows, units, strict=True)}
    return UnitsFile(units, {by_raw[k]: v for k, v in boundaries.items()}, notes)


def load_units(database: RegisterDatabase, loaded: UnitsFile) -> UnitsLoaded:
    """Make the file's units the register's reference: in the database (units no longer
    listed removed, boundaries set) and in the installation's ``admin_units.csv``.

    Refused, changing nothing, when a unit's cadastral SRID is unknown or a parcel of the
    register lies in a unit the file drops.
    """
    for unit in loaded.units:
        _check_srid(unit)
    target = reference.installation_units_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}")
    _write_units(staged, loaded.units)
    try:
        with UnitOfWork(database, writes=True) as uow:
            changed, removed = uow.units.replace_units(loaded.units)
            for code, shape in loaded.boundaries.items():
                uow.units.set_boundary(code, shape)
            uow.commit()
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    current = [u for u in loaded.units if u.level in {"commune", "ward"} and u.is_current]
    return UnitsLoaded(
        units=len(loaded.units),
        communes=len(current),
        boundaries=len(loaded.boundaries),
        changed=changed,
        removed=removed,
        written_to=target,
        notes=loaded.notes,
    )


def list_units(database: RegisterDatabase) -> UnitsListed:
    """The units the database holds (with whether each has a boundary) and the
    installation's units file when it replaces the shipped units."""
    with UnitOfWork(database) as uow:
        units = uow.units.listed()
    own = reference.installation_units_path() if reference.uses_installation_units() else None
    return UnitsListed(units, own)


def _check_srid(unit: AdministrativeUnit) -> None:
    if unit.cadastral_srid is None:
        return
    try:
        crs_for(unit.cadastral_srid)
    except SpatialCRSError:
        raise ValidationError(
            f"cadastral_srid của đơn vị {unit.code!r} không phải hệ toạ độ đã biết / "
            f"cadastral_srid of unit {unit.code!r} is not a known CRS: "
            f"EPSG:{unit.cadastral_srid}",
            field="cadastral_srid",
            value=unit.cadastral_srid,
        ) from None


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A table's rows as plain values (missing ones None)."""
    plain = frame.astype(object)
    return plain.where(plain.notna(), None).to_dict("records")


def _write_units(path: Path, units: list[AdministrativeUnit]) -> None:
    """The units as the reference reads them (``UNIT_COLUMNS``, ISO dates, true/false)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(UNIT_COLUMNS)
        for unit in units:
            writer.writerow([_cell(getattr(unit, name)) for name in UNIT_COLUMNS])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
