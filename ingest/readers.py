"""A delivered file read as the batches it holds: per kind of source, its description, then
its records.

Describing a batch (its profile, source name, date) is cheap; reading its records is not. The
ingest service (``landreg/services/sources.py``) asks the database what only it knows in
between (was this very file taken in already? where should the layer lie?) and passes the
answers in as plain values; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from ingest import formats, gdal, maps
from ingest.batches import BatchInfo, BatchPart, RecordSlice, source_name_of
from ingest.dates import data_date
from ingest.dossiers import dossier_records
from ingest.maps import MapLayer
from ingest.parcels import parcel_slices, polygons_in, strip_records
from ingest.profiles import (
    LAYER_KINDS,
    NO_ATTRIBUTES,
    TABLE_KINDS,
    MappingProfile,
    check_fits,
    check_kind,
    detect_profile,
    load_profile,
    shipped_profiles,
)
from ingest.registers import register_records
from ingest.tabular import Table
from landreg.domain.delivery import IngestOptions
from landreg.errors import ValidationError


@dataclass(slots=True)
class TableSource:
    """A register or dossier export: its rows read, its profile chosen, its batch described."""

    path: Path
    table: Table
    profile: MappingProfile
    info: BatchInfo

    def part(self) -> BatchPart:
        """The batch with its canonical records and the rows refused."""
        if self.profile.kind == "register":
            records, rejected, notes = register_records(
                self.table, self.profile, self.info.source_name
            )
        else:
            records, rejected, notes = dossier_records(
                self.table, self.profile, self.info.source_name, self.path
            )
        self.info.warnings += notes
        return BatchPart(self.info, records, self.table.rejected + rejected)


def table_source(path: Path, size: int, digest: str, options: IngestOptions) -> TableSource:
    """Read a register or dossier file's rows and describe it as one batch."""
    return _table_batch(path, None, formats.read_table(path), size, digest, options)


def attribute_table_source(
    path: Path, layer: str, size: int, digest: str, options: IngestOptions
) -> TableSource:
    """A table without geometry of a GeoPackage, read as a register or dossier export with
    the profile told, described as one batch."""
    return _table_batch(path, layer, gdal.read_table(path, layer), size, digest, options)


def _table_batch(
    path: Path, layer: str | None, table: Table, size: int, digest: str, options: IngestOptions
) -> TableSource:
    profile = table_profile([str(c) for c in table.frame.columns], options)
    source_name = options.source or source_name_of(path, profile.kind, layer)
    info = BatchInfo(
        profile.kind,
        source_name,
        path.name,
        size,
        digest,
        profile.name,
        layer,
        commune_code=options.commune,
        actor=options.actor,
        warnings=table.notes,
        reprocess=options.reprocess,
    )
    info.data_as_of, info.data_as_of_from = data_date(path, layer, options.as_of)
    return TableSource(path, table, profile, info)


def table_profile(columns: list[str], options: IngestOptions) -> MappingProfile:
    """The profile told (of a table's kind, naming only fields the table has), else the
    shipped one that recognises the columns; raises when none does."""
    kinds = {options.kind} if options.kind in TABLE_KINDS else TABLE_KINDS
    if not options.profile:
        return detect_profile(kinds, columns)
    profile = load_profile(options.profile)
    check_kind(profile, kinds, ("một bảng (sổ địa chính, hồ sơ)", "a table of rows"))
    check_fits(profile, columns, strict=True)
    return profile


@dataclass(slots=True)
class LayerSource:
    """A map layer (geometry still WKB), its profile, and its batch described."""

    layer: MapLayer
    profile: MappingProfile
    info: BatchInfo

    def communes(self, told: str | None) -> list[str]:
        """The communes the layer covers: as told, else the codes its features carry, the
        most frequent first; a parcel layer must name one."""
        present = [told] if told else _communes_in(self.layer, self.profile)
        if not present and self.profile.kind == "map":
            name = f"{self.layer.path.name} ({self.layer.layer})"
            raise ValidationError(
                f"{name} không ghi mã xã nào: hãy cho --commune MÃ_XÃ / {name} names no "
                "commune: pass --commune CODE",
                field="commune",
                value=None,
            )
        return present

    def part(
        self,
        present: list[str],
        *,
        expected: BaseGeometry | None,
        confirmed_crs: str | None,
        cadastral_srid: int,
        extent: BaseGeometry | None = None,
        where: str | None = None,
    ) -> BatchPart:
        """The batch once its CRS is resolved against ``expected`` (where the communes
        ``present`` lie, from the database): strips read whole, parcels as a ``stream`` of
        slices made as they are consumed (those far outside ``extent``, the province,
        quarantined); ``where`` says what ``expected`` is when not the communes'."""
        layer, profile, info = self.layer, self.profile, self.info
        # missing codes are filled in only for a one-commune layer
        commune = present[0] if len(present) == 1 else None
        transform, source_srid, note = maps.resolve_crs(
            layer,
            confirmed=confirmed_crs,
            expected=expected,
            expected_srid=cadastral_srid,
            where=where or (f"commune {', '.join(present[:5])}" if present else "the province"),
        )
        info.source_srid, info.commune_code = source_srid, commune
        info.warnings.append(note)
        if profile.kind == "strips":
            return self._strips(transform, cadastral_srid, commune)
        slices: Iterator[RecordSlice] = parcel_slices(
            layer,
            profile,
            transform,
            source_name=info.source_name,
            source_srid=source_srid,
            cadastral_srid=cadastral_srid,
            default_commune=commune,
            notes=info.warnings,
            extent=extent,
        )
        return BatchPart(info, pd.DataFrame(), [], stream=slices, expected_rows=len(layer.rows))

    def _strips(
        self, transform: Transformer, cadastral_srid: int, commune: str | None
    ) -> BatchPart:
        """A roads-and-canals layer's batch, read whole."""
        records = strip_records(
            maps.decode_geometry(self.layer),
            self.profile,
            transform,
            source_name=self.info.source_name,
            cadastral_srid=cadastral_srid,
            default_commune=commune,
        )
        self.info.warnings += records.notes
        return BatchPart(self.info, records.records, records.rejected)


def layer_names(path: Path, told: str | None) -> list[str]:
    """The layers to read: the one told, else every layer of the file."""
    return [told] if told else formats.list_layers(path)


def layer_profile(layer: MapLayer, options: IngestOptions) -> MappingProfile:
    """The profile told (of a layer's kind, naming only fields the layer has), else the
    shipped one that recognises the layer's fields (``map_no_attributes`` for a layer with no
    attribute columns at all); raises when none does."""
    columns = [str(c) for c in layer.attributes.columns]
    if options.profile:
        profile = load_profile(options.profile)
        where = (f"lớp bản đồ {layer.layer!r}", f"map layer {layer.layer!r}")
        check_kind(profile, LAYER_KINDS, where)
        check_fits(profile, columns, strict=True)
        return profile
    if not has_attributes(layer):
        return shipped_profiles()[NO_ATTRIBUTES]
    return detect_profile(LAYER_KINDS, columns)


# Columns a layer has without meaning anything: the feature id again, the field a Shapefile
# must have (GDAL writes FID, ArcGIS writes Id, all 0).
_PLACEHOLDER_COLUMNS = frozenset({"fid", "id", "ogc_fid"})


def has_attributes(layer: MapLayer) -> bool:
    """True when some column of the layer holds a value (a placeholder id is not one)."""
    frame = layer.attributes
    return any(
        str(column).lower() not in _PLACEHOLDER_COLUMNS
        and frame[column].dropna().head(1000).astype(str).str.strip().ne("").any()
        for column in frame.columns
    )


def attribute_tables(path: Path) -> set[str]:
    """The file's tables without geometry (a GeoPackage's attribute tables), by name."""
    found = formats.format_of(path)
    reader = found.reader if isinstance(found, formats.MapFormat) else formats.GDAL
    return gdal.attribute_tables(path) if reader is formats.GDAL else set()


def layer_source(
    layer: MapLayer, profile: MappingProfile, size: int, digest: str, options: IngestOptions
) -> LayerSource:
    """Describe a layer read with ``decode=False`` (its geometry still WKB) as a batch."""
    path, name = layer.path, layer.layer
    source_name = options.source or source_name_of(path, profile.kind, name)
    info = BatchInfo(
        profile.kind,
        source_name,
        path.name,
        size,
        digest,
        profile.name,
        name,
        commune_code=options.commune,
        actor=options.actor,
        warnings=list(layer.notes),
        reprocess=options.reprocess,
    )
    info.data_as_of, info.data_as_of_from = data_date(path, name, options.as_of)
    return LayerSource(layer, profile, info)


def _communes_in(layer: MapLayer, profile: MappingProfile) -> list[str]:
    """The commune codes a layer's features carry, the most frequent first."""
    field = profile.fields.get("commune_code")
    if field is None or field not in layer.attributes.columns:
        return []
    codes = layer.attributes[field].dropna().astype(str).str.replace(r"\.0$", "", regex=True)
    return [str(code) for code in codes.str.zfill(5).value_counts().index]


def unit_boundaries(
    path: Path, size: int, digest: str, options: IngestOptions, cadastral_srid: int
) -> tuple[BatchInfo, dict[str, shapely.Geometry]]:
    """The boundary of every administrative unit the file names (a ``code`` field per
    feature), in the register's CRS, and the batch that describes them."""
    boundaries: dict[str, shapely.Geometry] = {}
    notes = []
    for name in formats.list_layers(path):
        layer = formats.read_layer(path, name)
        if "code" not in layer.attributes.columns:
            notes.append(f"layer {name}: no code field; skipped")
            continue
        transform, _, note = maps.resolve_crs(
            layer,
            confirmed=options.crs,
            expected=None,
            expected_srid=cadastral_srid,
            where="the province",
        )
        geometry, no_polygon = polygons_in(layer, transform)
        codes = layer.attributes["code"].astype(str)
        boundaries |= {code: geometry[i] for i, code in enumerate(codes) if not no_polygon.iloc[i]}
        notes.append(f"layer {name}: {note}")
    info = BatchInfo(
        "admin",
        options.source or f"admin:{path.parent.name}/{path.stem}",
        path.name,
        size,
        digest,
        layer=None,
        actor=options.actor,
        warnings=notes,
    )
    return info, boundaries
