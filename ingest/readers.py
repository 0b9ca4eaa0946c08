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

from ingest import formats, maps
from ingest.batches import BatchInfo, BatchPart, RecordSlice, source_name_of
from ingest.dates import data_date
from ingest.dossiers import dossier_records
from ingest.maps import MapLayer
from ingest.parcels import parcel_slices, polygons_in, strip_records
from ingest.profiles import MappingProfile, detect_profile, load_profile
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
    table = formats.read_table(path)
    columns = [str(c) for c in table.frame.columns]
    profile = (
        load_profile(options.profile) if options.profile else detect_profile(options.kind, columns)
    )
    source_name = options.source or source_name_of(path, profile.kind)
    info = BatchInfo(
        profile.kind,
        source_name,
        path.name,
        size,
        digest,
        profile.name,
        commune_code=options.commune,
        actor=options.actor,
        warnings=table.notes,
    )
    info.data_as_of, info.data_as_of_from = data_date(path, None, options.as_of)
    return TableSource(path, table, profile, info)


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
            raise ValidationError(
                f"{self.layer.path.name} names no commune: pass --commune CODE",
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
    ) -> BatchPart:
        """The batch once its CRS is resolved against ``expected`` (where the communes
        ``present`` lie, from the database): strips read whole, parcels as a ``stream`` of
        slices made as they are consumed."""
        layer, profile, info = self.layer, self.profile, self.info
        # missing codes are filled in only for a one-commune layer
        commune = present[0] if len(present) == 1 else None
        transform, source_srid, note = maps.resolve_crs(
            layer,
            confirmed=confirmed_crs,
            expected=expected,
            expected_srid=cadastral_srid,
            where=f"commune {', '.join(present[:5])}" if present else "the province",
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
    """The profile told, else the shipped one that recognises the layer's fields; raises when
    none does."""
    columns = [str(c) for c in layer.attributes.columns]
    return load_profile(options.profile) if options.profile else detect_profile(None, columns)


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
