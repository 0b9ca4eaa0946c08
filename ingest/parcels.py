"""Map layers to canonical parcel and strip records, with quarantine for what cannot be read."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from ingest import maps, normalise
from ingest.batches import RecordSlice, Rejected
from ingest.maps import MapLayer
from ingest.profiles import MappingProfile
from ingest.records import apply_profile, land_use_codes, reason, reject_rows, source_keys
from landreg.domain import reference
from spatial.crs import apply_transformer

# WKB type code of a multipolygon, and the EWKB flag saying an SRID follows the type.
_MULTIPOLYGON = 6
_EWKB_SRID = 0x20000000
# binary_slice needs an explicit stop (without one, pyarrow 26 fails to size its output).
_TO_THE_END = 2**31 - 1
# Features decoded, checked and hashed at a time (one slice is stored while the next is made).
SLICE = 100_000


@dataclass(slots=True)
class LayerRecords:
    """Canonical records of a layer (one row each), the rows refused, and notes."""

    records: pd.DataFrame
    rejected: list[Rejected]
    notes: list[str] = field(default_factory=list)


def _oriented(layer: MapLayer, transform: Transformer) -> tuple[np.ndarray, pd.Series]:
    """2D, oriented polygons and multipolygons in the register's CRS, and rows without one."""
    geometry = layer.geometry.copy()
    present = ~shapely.is_missing(geometry)
    if shapely.has_z(geometry[present]).any():
        geometry[present] = shapely.force_2d(geometry[present])
    if not _is_identity(transform):
        geometry[present] = apply_transformer(geometry[present], transform)
    kinds = shapely.get_type_id(geometry)
    polygonal = present & np.isin(kinds, (3, 6)) & ~shapely.is_empty(geometry)
    geometry[polygonal] = shapely.orient_polygons(geometry[polygonal])
    return geometry, pd.Series(~polygonal, index=layer.attributes.index)


def _is_identity(transform: Transformer) -> bool:
    """True when PROJ's operation does nothing (the layer is already in the register's CRS).

    Equal-looking CRSs are not enough: a ``.prj`` with its own datum shift compares equal
    to the register's CRS in pyproj, yet moves coordinates; PROJ's operation tells.
    """
    return transform.definition.split(" ", 1)[0] == "proj=noop"


def polygons_in(layer: MapLayer, transform: Transformer) -> tuple[np.ndarray, pd.Series]:
    """The layer's geometry in the register's CRS as 2D oriented multipolygons.

    Returns the geometries and a mask of rows without a polygon (missing or another type).
    Invalid polygons are kept as they are: they are reported, never silently repaired.
    """
    geometry, no_polygon = _oriented(layer, transform)
    single = ~no_polygon.to_numpy() & (shapely.get_type_id(geometry) == 3)
    geometry[single] = shapely.multipolygons(geometry[single], indices=np.arange(single.sum()))
    return geometry, no_polygon


def multipolygon_ewkb(geometry: np.ndarray, srid: int) -> pd.Series:
    """Polygons and multipolygons as multipolygon EWKB with ``srid`` (Arrow binary).

    A polygon's WKB is wrapped in a one-member multipolygon header, byte for byte, rather
    than building a shapely multipolygon per row: the same bytes, without a GEOS object each.
    """
    wkb = pa.array(shapely.to_wkb(geometry, byte_order=1), type=pa.binary())
    head = struct.pack("<BII", 1, _MULTIPOLYGON | _EWKB_SRID, srid)
    single = pa.array(shapely.get_type_id(geometry) == 3)
    wrapped = pc.if_else(
        single,
        pc.binary_join_element_wise(head + struct.pack("<I", 1), wkb, b""),
        pc.binary_join_element_wise(head, pc.binary_slice(wkb, 5, _TO_THE_END), b""),
    )
    return pd.Series(pd.arrays.ArrowExtensionArray(wrapped))


def parcel_slices(
    layer: MapLayer,
    profile: MappingProfile,
    transform: Transformer,
    *,
    source_name: str,
    source_srid: int,
    cadastral_srid: int,
    default_commune: str | None,
    notes: list[str],
    size: int = SLICE,
    extent: BaseGeometry | None = None,
) -> Iterator[RecordSlice]:
    """Canonical parcel records of a map layer, ``size`` features at a time.

    Source keys are made unique over the whole layer first; each slice is then decoded,
    checked and hashed on its own, so that one slice can be stored while the next is made.
    What the layer as a whole showed is added to ``notes`` once every slice is made.
    """
    apply_profile(layer.attributes.iloc[:0], profile)  # a missing field stops it before any slice
    keys, repeated = source_keys(layer.attributes, profile, layer.rows)
    missing_keys = loaded = 0
    for start in range(0, len(layer.rows), size):
        part = maps.decode_geometry(layer.part(start, start + size))
        one = parcel_records(
            part,
            profile,
            transform,
            keys.iloc[start : start + size],
            source_name=source_name,
            source_srid=source_srid,
            cadastral_srid=cadastral_srid,
            default_commune=default_commune,
            extent=extent,
        )
        frame = one.records
        missing_keys += int((frame["map_sheet"].isna() | frame["parcel_number"].isna()).sum())
        loaded += len(frame)
        yield RecordSlice(frame, one.rejected)
    notes += _layer_notes(profile, repeated, missing_keys, loaded)


def _layer_notes(
    profile: MappingProfile, repeated: int, missing_keys: int, loaded: int
) -> list[str]:
    """What the layer as a whole showed: repeated keys, parcels kept with a provisional key."""
    key = profile.source_key or "feature id"
    notes = []
    if repeated:
        notes.append(
            f"{repeated} đối tượng trùng khoá {key} với đối tượng khác; đánh số #2, #3… để không "
            f"mất đối tượng nào / {repeated} features repeat another's {key}; "
            "numbered #2, #3… so that none is lost"
        )
    if not profile.fields:
        notes.append(
            f"lớp không có thuộc tính: {loaded} thửa được nạp với số hiệu tạm theo số thứ tự "
            f"đối tượng / layer has no attributes: {loaded} parcels loaded with provisional "
            "keys from the feature id"
        )
    elif missing_keys:
        notes.append(
            f"{missing_keys} thửa thiếu số tờ hoặc số thửa; được giữ với số hiệu tạm / "
            f"{missing_keys} parcels lack a sheet or parcel number; "
            "they are kept with a provisional reference"
        )
    return notes


def parcel_records(
    layer: MapLayer,
    profile: MappingProfile,
    transform: Transformer,
    keys: pd.Series,
    *,
    source_name: str,
    source_srid: int,
    cadastral_srid: int,
    default_commune: str | None,
    extent: BaseGeometry | None = None,
) -> LayerRecords:
    """Canonical parcel records (``parcel`` table columns) of a layer with decoded geometry,
    one row each; ``keys`` are the features' source keys. Features far outside ``extent``
    (the province, in the register's CRS) are quarantined."""
    raw = layer.attributes
    data = apply_profile(raw, profile)
    out = LayerRecords(pd.DataFrame(), [])
    geometry, no_polygon = _oriented(layer, transform)
    out.rejected += refuse_shapes(geometry, no_polygon, layer)
    far, outside = maps.refuse_outside(geometry, no_polygon, layer, extent)
    out.rejected += outside
    commune = _communes(data["commune_code"], default_commune)
    refused = _refuse_communes(commune, no_polygon | far, layer, out)
    numbers, refused = _parcel_numbers(data, refused, layer, out)
    keep = ~refused.to_numpy()
    frame = pd.concat([commune.rename("commune_code"), *numbers], axis=1)
    frame = frame.join(_parcel_values(data))[keep]
    if "national_id" in data:  # the national identifier a delivery carries, checked later
        frame["delivered_national_id"] = normalise.strings(data["national_id"])[keep]
    frame["land_use_code"] = land_use_codes(frame["land_use_text"], frame["commune_code"])
    kept = geometry[keep]
    geom = multipolygon_ewkb(kept, cadastral_srid).set_axis(frame.index)
    frame["record_hash"] = normalise.record_hashes(frame, geom)
    frame["measured_area"] = shapely.area(kept)
    frame["geom"] = geom
    frame["source_srid"] = source_srid
    out.records = _provenance(frame, layer, keep, keys, source_name)
    return out


def refuse_shapes(geometry: np.ndarray, no_polygon: pd.Series, layer: MapLayer) -> list[Rejected]:
    """Quarantine entries for the features without a polygon, each saying what it has
    instead: no geometry at all, an empty one (its WKT shown), or another type (its name)."""
    reasons = pd.Series(None, index=no_polygon.index, dtype=object)
    shown = pd.Series(None, index=no_polygon.index, dtype=object)
    for position in np.flatnonzero(no_polygon.to_numpy()):  # the few refused, not them all
        reasons.iat[position], shown.iat[position] = _instead_of_a_polygon(geometry[position])
    raw = layer.attributes
    return [
        entry
        for reason in _NO_POLYGON
        for entry in reject_rows(reasons == reason, layer.rows, reason, "geometry", shown, raw)
    ]


NO_GEOMETRY = "không có hình học / no geometry"
EMPTY_GEOMETRY = "hình học rỗng / empty geometry"
NOT_A_POLYGON = "không phải vùng (đa giác) / no polygon geometry"
_NO_POLYGON = (NO_GEOMETRY, EMPTY_GEOMETRY, NOT_A_POLYGON)
UNKNOWN_COMMUNE = "mã xã không có trong danh mục / unknown commune_code"
MISSING_COMMUNE = "thiếu mã xã / missing commune_code"


def _instead_of_a_polygon(shape: shapely.Geometry | None) -> tuple[str, str | None]:
    if shape is None:
        return NO_GEOMETRY, None
    if shape.is_empty:
        return EMPTY_GEOMETRY, shape.wkt
    return NOT_A_POLYGON, shape.geom_type


def _refuse_communes(
    commune: pd.Series, no_polygon: pd.Series, layer: MapLayer, out: LayerRecords
) -> pd.Series:
    """Quarantine rows whose commune is unknown or missing; returns every row refused so far."""
    known = list(reference.communes())
    unknown = commune.notna() & ~commune.isin(known) & ~no_polygon
    missing = commune.isna() & ~no_polygon
    raw = layer.attributes
    for mask, why in ((unknown, UNKNOWN_COMMUNE), (missing, MISSING_COMMUNE)):
        out.rejected += reject_rows(mask, layer.rows, why, "commune_code", commune, raw)
    return no_polygon | unknown | missing


def _parcel_numbers(
    data: pd.DataFrame, refused: pd.Series, layer: MapLayer, out: LayerRecords
) -> tuple[list[pd.Series], pd.Series]:
    """Sheet and parcel numbers; rows where one is not a whole number are quarantined."""
    numbers = []
    for name in ("map_sheet", "parcel_number"):
        values, bad = normalise.whole_numbers(data[name])
        bad &= ~refused
        why = reason(name, "a whole number")
        out.rejected += reject_rows(bad, layer.rows, why, name, data[name], layer.attributes)
        numbers.append(values)
        refused = refused | bad
    return numbers, refused


def _parcel_values(data: pd.DataFrame) -> pd.DataFrame:
    """The optional parcel fields, parsed (None where the profile does not map them)."""
    return pd.DataFrame({
        "old_map_sheet": normalise.whole_numbers(data["old_map_sheet"])[0]
        if "old_map_sheet" in data else None,
        "old_parcel_number": normalise.whole_numbers(data["old_parcel_number"])[0]
        if "old_parcel_number" in data else None,
        "map_area": normalise.decimals(data["map_area"])[0] if "map_area" in data else None,
        "land_use_text": normalise.strings(data["land_use_text"]) if "land_use_text" in data
        else None,
        "parent_ref": normalise.strings(data["parent_ref"]) if "parent_ref" in data else None,
        "address": normalise.strings(data["address"]) if "address" in data else None,
    }, index=data.index)  # fmt: skip


def _communes(values: pd.Series, default: str | None) -> pd.Series:
    codes = normalise.strings(values).str.replace(r"\.0$", "", regex=True)
    codes = codes.where(~codes.str.fullmatch(r"\d{1,4}").fillna(False), codes.str.zfill(5))
    return codes.fillna(default) if default else codes


def _provenance(
    frame: pd.DataFrame, layer: MapLayer, keep: np.ndarray, keys: pd.Series, source_name: str
) -> pd.DataFrame:
    """Where each kept record comes from: source, key, row, and what intake noted."""
    positions = np.flatnonzero(keep)
    notes = np.full(len(layer.rows), None, dtype=object)
    for position, row_notes in layer.row_notes.items():
        notes[position] = row_notes
    return frame.assign(
        source_name=source_name,
        source_key=keys.to_numpy()[positions],
        source_row=layer.rows.astype(normalise.STRING).to_numpy()[positions],
        intake_notes=notes[positions],
    )


def strip_records(
    layer: MapLayer,
    profile: MappingProfile,
    transform: Transformer,
    *,
    source_name: str,
    cadastral_srid: int,
    default_commune: str | None,
) -> LayerRecords:
    """Canonical records of a roads-and-canals layer (``map_strip`` table columns)."""
    raw = layer.attributes
    data = apply_profile(raw, profile)
    keys, _ = source_keys(raw, profile, layer.rows)
    geometry, no_polygon = _oriented(layer, transform)
    rejected = refuse_shapes(geometry, no_polygon, layer)
    keep = ~no_polygon.to_numpy()
    frame = pd.DataFrame({
        "commune_code": _communes(data["commune_code"], default_commune),
        "kind": normalise.strings(data["kind"]) if "kind" in data else None,
        "width": normalise.decimals(data["width"])[0] if "width" in data else None,
        "land_use_text": normalise.strings(data["land_use_text"]) if "land_use_text" in data
        else None,
    }, index=raw.index)[keep]  # fmt: skip
    geom = multipolygon_ewkb(geometry[keep], cadastral_srid).set_axis(frame.index)
    frame["record_hash"] = normalise.record_hashes(frame, geom)
    frame["geom"] = geom
    records = _provenance(frame, layer, keep, keys, source_name).drop(columns="intake_notes")
    return LayerRecords(records, rejected)
