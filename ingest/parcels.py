"""Map layers to canonical parcel and strip records, with quarantine for what cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import shapely
from geoalchemy2.elements import WKBElement
from pyproj import Transformer

from ingest import normalise
from ingest.maps import MapLayer
from ingest.profiles import MappingProfile
from ingest.records import apply_profile, land_use_codes, reject_rows, source_keys
from landreg.domain import reference
from landreg.services.ingest import Rejected
from spatial.crs import apply_transformer


@dataclass(slots=True)
class LayerRecords:
    """Canonical records of a layer, the rows refused, and notes for the summary."""

    records: list[dict[str, Any]]
    rejected: list[Rejected]
    notes: list[str] = field(default_factory=list)


def polygons_in(layer: MapLayer, transform: Transformer) -> tuple[np.ndarray, pd.Series]:
    """The layer's geometry in the register's CRS as 2D oriented multipolygons.

    Returns the geometries and a mask of rows without a polygon (missing or another type).
    Invalid polygons are kept as they are: they are reported, never silently repaired.
    """
    geometry = layer.geometry.copy()
    present = ~shapely.is_missing(geometry)
    geometry[present] = apply_transformer(shapely.force_2d(geometry[present]), transform)
    kinds = shapely.get_type_id(geometry)
    polygonal = present & np.isin(kinds, (3, 6)) & ~shapely.is_empty(geometry)
    single = polygonal & (kinds == 3)
    geometry[single] = shapely.multipolygons(geometry[single], indices=np.arange(single.sum()))
    geometry[polygonal] = shapely.orient_polygons(geometry[polygonal])
    return geometry, pd.Series(~polygonal, index=layer.attributes.index)


def parcel_records(
    layer: MapLayer,
    profile: MappingProfile,
    transform: Transformer,
    *,
    source_name: str,
    source_srid: int,
    cadastral_srid: int,
    default_commune: str | None,
) -> LayerRecords:
    """Canonical parcel records of a map layer (``parcel`` table columns)."""
    raw = layer.attributes
    data = apply_profile(raw, profile)
    keys, repeated = source_keys(raw, profile)
    out = LayerRecords([], [])
    if repeated:
        out.notes.append(
            f"{repeated} features repeat another's {profile.source_key}; "
            "numbered #2, #3… so that none is lost"
        )
    geometry, no_polygon = polygons_in(layer, transform)
    out.rejected += reject_rows(
        no_polygon,
        layer.rows,
        "no polygon geometry",
        "geometry",
        pd.Series(shapely.get_type_id(geometry), index=raw.index),
        raw,
    )
    commune = _communes(data["commune_code"], default_commune)
    unknown = commune.notna() & ~commune.isin(list(reference.communes())) & ~no_polygon
    missing_commune = commune.isna() & ~no_polygon
    out.rejected += reject_rows(
        unknown, layer.rows, "unknown commune_code", "commune_code", commune, raw
    )
    out.rejected += reject_rows(
        missing_commune, layer.rows, "missing commune_code", "commune_code", commune, raw
    )
    refused = no_polygon | unknown | missing_commune
    numbers = {}
    for name in ("map_sheet", "parcel_number"):
        numbers[name], bad = normalise.whole_numbers(data[name])
        bad &= ~refused
        out.rejected += reject_rows(
            bad, layer.rows, f"{name} is not a whole number", name, data[name], raw
        )
        refused |= bad
    keep = ~refused.to_numpy()
    frame = pd.DataFrame({
        "commune_code": commune, **numbers,
        "old_map_sheet": normalise.whole_numbers(data["old_map_sheet"])[0]
        if "old_map_sheet" in data else None,
        "old_parcel_number": normalise.whole_numbers(data["old_parcel_number"])[0]
        if "old_parcel_number" in data else None,
        "map_area": normalise.decimals(data["map_area"])[0] if "map_area" in data else None,
        "land_use_text": normalise.text(data["land_use_text"]) if "land_use_text" in data
        else None,
        "parent_ref": normalise.text(data["parent_ref"]) if "parent_ref" in data else None,
        "address": normalise.text(data["address"]) if "address" in data else None,
    }, index=raw.index)[keep]  # fmt: skip
    frame["land_use_code"] = land_use_codes(frame["land_use_text"], frame["commune_code"])
    kept_geometry = geometry[keep]
    wkb = shapely.to_wkb(kept_geometry)
    frame["measured_area"] = shapely.area(kept_geometry)
    out.records = _records(frame, wkb, layer, keep, keys, source_name, source_srid, cadastral_srid)
    missing_keys = int((frame["map_sheet"].isna() | frame["parcel_number"].isna()).sum())
    if missing_keys:
        out.notes.append(
            f"{missing_keys} parcels lack a sheet or parcel number; "
            "they are kept with a provisional reference"
        )
    return out


def _communes(values: pd.Series, default: str | None) -> pd.Series:
    codes = normalise.text(values).astype("string").str.replace(r"\.0$", "", regex=True)
    codes = codes.where(~codes.str.fullmatch(r"\d{1,4}", na=False), codes.str.zfill(5))
    if default:
        codes = codes.fillna(default)
    return codes.astype(object).where(codes.notna(), None)


def _records(
    frame: pd.DataFrame,
    wkb: np.ndarray,
    layer: MapLayer,
    keep: np.ndarray,
    keys: pd.Series,
    source_name: str,
    source_srid: int,
    srid: int,
) -> list[dict[str, Any]]:
    hashes = normalise.record_hashes(frame.drop(columns=["measured_area"]), list(wkb))
    rows = layer.rows[keep].tolist()
    positions = np.flatnonzero(keep)
    key_list = keys.tolist()
    columns = {name: normalise.as_python(frame[name]) for name in frame.columns}
    records = []
    for i, (blob, digest) in enumerate(zip(wkb, hashes, strict=True)):
        record = {name: values[i] for name, values in columns.items()}
        record.update(
            geom=WKBElement(blob, srid=srid),
            source_srid=source_srid,
            source_name=source_name,
            source_key=key_list[positions[i]],
            source_row=rows[i],
            record_hash=digest,
            intake_notes=layer.row_notes.get(int(positions[i])),
        )
        records.append(record)
    return records


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
    keys, _ = source_keys(raw, profile)
    geometry, no_polygon = polygons_in(layer, transform)
    out = LayerRecords(
        [],
        reject_rows(
            no_polygon,
            layer.rows,
            "no polygon geometry",
            "geometry",
            pd.Series(None, index=raw.index),
            raw,
        ),
    )
    keep = ~no_polygon.to_numpy()
    frame = pd.DataFrame({
        "commune_code": _communes(data["commune_code"], default_commune),
        "kind": normalise.text(data["kind"]) if "kind" in data else None,
        "width": normalise.decimals(data["width"])[0] if "width" in data else None,
        "land_use_text": normalise.text(data["land_use_text"]) if "land_use_text" in data
        else None,
    }, index=raw.index)[keep]  # fmt: skip
    wkb = shapely.to_wkb(geometry[keep])
    hashes = normalise.record_hashes(frame, list(wkb))
    columns = {name: normalise.as_python(frame[name]) for name in frame.columns}
    rows, positions, key_list = layer.rows[keep].tolist(), np.flatnonzero(keep), keys.tolist()
    out.records = [
        {name: values[i] for name, values in columns.items()} | {
            "geom": WKBElement(blob, srid=cadastral_srid), "source_name": source_name,
            "source_key": key_list[positions[i]], "source_row": rows[i], "record_hash": digest,
        }
        for i, (blob, digest) in enumerate(zip(wkb, hashes, strict=True))
    ]  # fmt: skip
    return out
