"""Ingest one path: find what it is, read it with its profile, and store it as batches."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from ingest import maps
from ingest.dates import data_date
from ingest.parcels import parcel_slices, strip_records
from ingest.profiles import MappingProfile, detect_profile, load_profile
from landreg.errors import CRSError, LandRegError, ValidationError
from landreg.services.boundaries import expected_area
from landreg.services.ingest import (
    BatchInfo,
    BatchPart,
    IngestResult,
    Progress,
    already_loaded,
    ingest_file,
)
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

MAP_SUFFIXES = {".gpkg", ".shp", ".geojson", ".dxf", ".dgn", ".fgb"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".json"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

Say = Callable[[str], None]
T = TypeVar("T")


@dataclass(slots=True)
class IngestOptions:
    """What the user said about the file (everything optional)."""

    kind: str | None = None
    layer: str | None = None
    profile: str | None = None
    crs: str | None = None
    commune: str | None = None
    source: str | None = None
    actor: str = "landreg"
    as_of: datetime | None = None


def fingerprint(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file (a Shapefile counts all its parts)."""
    parts = (
        [path.with_suffix(s) for s in SHAPEFILE_PARTS] if path.suffix.lower() == ".shp" else [path]
    )
    digest, size = hashlib.sha256(), 0
    for part in parts:
        if part.exists():
            with part.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
                    size += len(block)
    return size, digest.hexdigest()


def source_name_of(path: Path, kind: str, layer: str | None = None) -> str:
    """A source's name, stable across deliveries: kind, folder and file, and the layer.

    ``map:tay_ninh_cu/25459_phuong_tan_ninh:ThuaDat``; a file named after its layer (a
    Shapefile) is named by its folder: ``map:25630_xa_tan_bien/ThuaDat``.
    """
    name = f"{kind}:{path.parent.name}/{path.stem}"
    return name if layer is None or layer == path.stem else f"{name}:{layer}"


def kind_of(path: Path, options: IngestOptions) -> str:
    """``admin``, ``map``, ``register`` or ``dossiers``: as told, else from the file."""
    if options.kind:
        return options.kind
    suffix = path.suffix.lower()
    if suffix in MAP_SUFFIXES:
        layers = maps.list_layers(path)
        return "admin" if "communes" in layers else "map"
    if suffix in TABLE_SUFFIXES:
        return "table"
    raise ValidationError(
        f"{path.name}: landreg reads {sorted(MAP_SUFFIXES | TABLE_SUFFIXES)} files",
        field="path",
        value=str(path),
    )


def ingest_path(
    database: RegisterDatabase,
    path: Path,
    options: IngestOptions,
    say: Say = lambda _: None,
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Ingest one file; every batch of it is committed together or not at all.

    ``say`` receives one line per step, ``progress`` (stage, done, total) while rows are
    stored, for a progress bar.
    """
    if not path.exists():
        raise ValidationError(f"no such file: {path}", field="path", value=str(path))
    size, digest = fingerprint(path)
    kind = kind_of(path, options)
    with UnitOfWork(database, writes=True) as uow:
        if kind == "admin":
            from ingest.units import ingest_units

            return [ingest_units(uow, path, size, digest, options)]
        if kind == "map":
            parts = _map_parts(uow, path, size, digest, options, say)
        else:
            from ingest.tables import table_parts

            parts = table_parts(uow, path, size, digest, options, say)
        return ingest_file(uow, parts, progress)


def _map_parts(
    uow: UnitOfWork, path: Path, size: int, digest: str, options: IngestOptions, say: Say
) -> list[BatchPart]:
    layers = [options.layer] if options.layer else maps.list_layers(path)
    parts = []
    for name in layers:
        layer = maps.read_layer(path, name, decode=False)
        columns = [str(c) for c in layer.attributes.columns]
        try:
            profile = (
                load_profile(options.profile) if options.profile else detect_profile(None, columns)
            )
        except LandRegError:
            if options.layer:
                raise
            say(f"layer {name}: no profile recognises its fields; skipped")
            continue
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
        if already_loaded(uow, source_name, digest) is not None:
            parts.append(BatchPart(info, pd.DataFrame(), []))  # reported as unchanged, nothing read
            continue
        parts.append(_layer_part(uow, layer, profile, info, options))
        say(f"layer {name}: {len(layer.attributes)} features read with profile {profile.name}")
    return parts


def _layer_part(
    uow: UnitOfWork,
    layer: maps.MapLayer,
    profile: MappingProfile,
    info: BatchInfo,
    options: IngestOptions,
) -> BatchPart:
    srid = uow.database.cadastral_srid
    present = [options.commune] if options.commune else _communes_in(layer, profile)
    if not present and profile.kind == "map":
        raise ValidationError(
            f"{layer.path.name} names no commune: pass --commune CODE", field="commune", value=None
        )
    # missing codes are filled in only for a one-commune layer
    commune = present[0] if len(present) == 1 else None
    transform, source_srid, note = maps.resolve_crs(
        layer,
        confirmed=options.crs,
        expected=expected_area(uow, present),
        expected_srid=srid,
        where=f"commune {', '.join(present[:5])}" if present else "the province",
    )
    info.source_srid, info.commune_code = source_srid, commune
    info.warnings.append(note)
    if profile.kind == "strips":
        records = strip_records(
            maps.decode_geometry(layer),
            profile,
            transform,
            source_name=info.source_name,
            cadastral_srid=srid,
            default_commune=commune,
        )
        info.warnings += records.notes
        return BatchPart(info, records.records, records.rejected)
    slices = parcel_slices(
        layer,
        profile,
        transform,
        source_name=info.source_name,
        source_srid=source_srid,
        cadastral_srid=srid,
        default_commune=commune,
        notes=info.warnings,
    )
    stream = prefetched(slices)
    return BatchPart(info, pd.DataFrame(), [], stream=stream, expected_rows=len(layer.rows))


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """``items``, each made in a background thread while the caller works on the one before.

    Preparing a slice (GEOS, Arrow, hashing) and storing the previous one (the database
    server) then use both cores. An error making an item is raised here, in the caller; if
    the caller stops early, the thread stops after the item it is making.
    """
    handover = _Handover()
    worker = threading.Thread(
        target=handover.produce, args=(items,), name="ingest-slices", daemon=True
    )
    worker.start()
    try:
        while True:
            more, item = handover.ready.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        handover.stop.set()


class _Handover:
    """One item at a time from a producer thread to its consumer; the consumer can stop it."""

    def __init__(self) -> None:
        self.ready: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self.stop = threading.Event()

    def produce(self, items: Iterator[Any]) -> None:
        """Hand over every item, then the end (or the error that stopped them)."""
        try:
            for item in items:
                if not self._put((True, item)):
                    return
            self._put((False, None))
        except BaseException as error:  # handed to the consumer, which raises it
            self._put((False, error))

    def _put(self, entry: tuple[bool, Any]) -> bool:
        while not self.stop.is_set():
            try:
                self.ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _communes_in(layer: maps.MapLayer, profile: MappingProfile) -> list[str]:
    """The commune codes a layer's features carry, the most frequent first."""
    field = profile.fields.get("commune_code")
    if field is None or field not in layer.attributes.columns:
        return []
    codes = layer.attributes[field].dropna().astype(str).str.replace(r"\.0$", "", regex=True)
    return [str(code) for code in codes.str.zfill(5).value_counts().index]


def files_to_ingest(folder: Path) -> list[Path]:
    """Every file landreg can read under ``folder``: boundaries first, then maps, then tables.

    Companion files (a Shapefile's .dbf, a dossier export's event history) are not listed on
    their own.
    """
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder", field="path", value=str(folder))
    found = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in (MAP_SUFFIXES | TABLE_SUFFIXES)
        and not _is_companion(p)
    ]

    def order(path: Path) -> tuple[int, str]:
        if path.suffix.lower() in MAP_SUFFIXES:
            try:
                layers = maps.list_layers(path)
            except LandRegError:  # unreadable: stopped with its reason when its turn comes
                layers = []
            return (0 if "communes" in layers else 1, str(path))
        return (2, str(path))

    return sorted(found, key=order)


def _is_companion(path: Path) -> bool:
    if path.name in {"manifest.json", "ground_truth.json"}:
        return True
    if path.suffix.lower() == ".csv" and any(path.parent.glob("*.tif")):
        return True  # a raster's class table, read with the raster
    from ingest.tables import is_event_history

    return is_event_history(path)


def ingest_folder(
    database: RegisterDatabase,
    folder: Path,
    options: IngestOptions,
    *,
    confirm_crs: bool = False,
    say: Say = lambda _: None,
) -> tuple[list[tuple[Path, IngestResult]], list[tuple[Path, LandRegError]]]:
    """Ingest every file under ``folder``; returns what loaded and what was stopped.

    With ``confirm_crs`` a layer stopped for its CRS is taken in again in the CRS its
    coordinates fit, as a cadastral officer would confirm after checking it on the map (the
    demo does this; the command line never guesses).
    """
    loaded: list[tuple[Path, IngestResult]] = []
    stopped: list[tuple[Path, LandRegError]] = []
    for path in files_to_ingest(folder):
        try:
            results = ingest_path(database, path, options, say)
        except CRSError as error:
            if not (confirm_crs and error.candidates):
                stopped.append((path, error))
                continue
            say(f"{path.name}: {error.detail}")
            say(f"{path.name}: confirming EPSG:{error.candidates[0]} as staff would")
            confirmed = replace(options, crs=f"EPSG:{error.candidates[0]}")
            results = ingest_path(database, path, confirmed, say)
        except LandRegError as error:
            stopped.append((path, error))
            continue
        loaded += [(path, result) for result in results]
    return loaded, stopped
