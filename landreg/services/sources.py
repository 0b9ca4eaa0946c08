"""Taking in a path or a folder: what each file is, its batches read, and stored atomically.

The readers (``ingest/``) describe a file's batches and read their records; this use case
asks the database what only it knows in between (was this very file taken in already?
where do its communes lie, for the CRS check?) and stores the batches through
:mod:`landreg.services.ingest`, every batch of a file in one unit of work. A large map
layer's slices are made in a background thread while the previous slice is stored.

Errors of the geometry engine (``spatial.errors``) met while reading are raised as the
register's own (:mod:`landreg.services.spatial_refusals`), so a file stopped for its CRS
reads the same whichever reader found it, and a folder's CRS confirmation sees the
candidates.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ingest import formats, readers
from ingest.archive import ArchiveLimits, unpack_zip
from ingest.batches import BatchInfo, BatchPart, unchanged_part
from ingest.profiles import NO_ATTRIBUTES, load_profile, shipped_profiles
from landreg.domain.delivery import IngestOptions
from landreg.errors import CRSError, LandRegError, ValidationError
from landreg.services.boundaries import expected_area, load_unit_boundaries, where_checked
from landreg.services.ingest import IngestResult, Progress, ingest_file
from landreg.services.spatial_refusals import spatial_refusals
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

Say = Callable[[str], None]
T = TypeVar("T")


def kind_of(path: Path, options: IngestOptions) -> str:
    """``admin``, ``map`` or ``table`` (or the kind told): what reads the file."""
    return options.kind or formats.kind_of(path)


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
    with spatial_refusals():
        return _take_in(database, path, options, say, progress)


def _take_in(
    database: RegisterDatabase,
    path: Path,
    options: IngestOptions,
    say: Say,
    progress: Progress | None,
) -> list[IngestResult]:
    if not path.exists():
        raise ValidationError(
            f"no such file: {path}",
            field="path",
            value=str(path),
            detail_vi=f"không có tệp {path}",
        )
    size, digest = formats.fingerprint(path)
    kind = kind_of(path, options)
    with UnitOfWork(database, writes=True) as uow:
        if kind == "admin":
            info, boundaries = readers.unit_boundaries(
                path, size, digest, options, uow.database.cadastral_srid
            )
            result = load_unit_boundaries(uow, info, boundaries)
            uow.commit()
            return [result]
        if kind == "map":
            parts = _map_parts(uow, path, size, digest, options, say)
        else:
            parts = _table_parts(uow, path, size, digest, options, say)
        return ingest_file(uow, parts, progress)


def _table_parts(
    uow: UnitOfWork, path: Path, size: int, digest: str, options: IngestOptions, say: Say
) -> list[BatchPart]:
    """A register or dossier file as one batch (nothing more read when it is unchanged)."""
    source = readers.table_source(path, size, digest, options)
    if _unchanged(uow, source.info):
        return [unchanged_part(source.info)]
    say(f"{path.name}: {len(source.table.frame)} rows read with profile {source.profile.name}")
    return [source.part()]


def _unchanged(uow: UnitOfWork, info: BatchInfo) -> bool:
    """True when this very file was taken in for this source with this profile (and the user
    did not ask to read it again)."""
    found = uow.batches.already_loaded(info.source_name, info.sha256, info.profile)
    return not info.reprocess and found is not None


class NothingLoadedError(ValidationError):
    """Nothing of a file could be taken in: no shipped profile recognises any layer of it
    (a profile the user told that fits none is a plain ``ValidationError``)."""


def _map_parts(
    uow: UnitOfWork, path: Path, size: int, digest: str, options: IngestOptions, say: Say
) -> list[BatchPart]:
    """One batch per layer a profile fits. A layer none fits, or a table without geometry,
    is skipped with a line saying so (unless it was the one asked for); a file of which
    nothing is taken in is refused (:class:`NothingLoadedError`, naming the first reason)."""
    if options.profile:
        load_profile(options.profile)  # a profile that is not valid stops the file, not a layer
    names = readers.layer_names(path, options.layer)
    tables = readers.attribute_tables(path)
    parts, skipped = [], []
    for name in names:
        try:
            if name in tables:
                part = _table_layer_part(uow, path, name, size, digest, options, say)
            else:
                part = _spatial_layer_part(uow, path, name, size, digest, options, say)
        except _Skipped as skip:
            if options.layer or (options.profile and len(names) == 1):
                raise skip.error from None
            if len(names) > 1:  # a file of one layer says why once, refusing it
                say(skip.line(name))
            skipped.append((name, skip.error))
            continue
        parts.append(part)
    if not parts:
        raise _nothing_loaded(path, skipped, options)
    return parts


class _Skipped(Exception):
    """A layer that no profile fits (or a table without geometry): skipped, or refused."""

    def __init__(self, error: LandRegError) -> None:
        super().__init__(error.detail)
        self.error = error

    def line(self, name: str) -> str:
        """The line saying the layer was skipped, and why."""
        if self.error.field == "profile" and self.error.value is None:  # none recognises it
            return (
                f"lớp {name}: không hồ sơ ánh xạ nào nhận ra các trường; bỏ qua / layer {name}: "
                "no profile recognises its fields; skipped"
            )
        return f"lớp / layer {name}: {self.error.detail}; bỏ qua / skipped"


def _spatial_layer_part(
    uow: UnitOfWork, path: Path, name: str, size: int, digest: str, options: IngestOptions, say: Say
) -> BatchPart:
    """A layer with geometry as a batch (described only, when this file was taken in)."""
    layer = formats.read_layer(path, name, decode=False)
    try:
        profile = readers.layer_profile(layer, options)
    except LandRegError as error:
        raise _Skipped(error) from None
    source = readers.layer_source(layer, profile, size, digest, options)
    if _unchanged(uow, source.info):
        return unchanged_part(source.info)  # reported as unchanged, nothing read
    part = _layer_part(uow, source, options)
    chosen = " (không có thuộc tính / no attributes)" if profile.name == NO_ATTRIBUTES else ""
    say(
        f"lớp {name}: {len(layer.attributes)} đối tượng đọc với hồ sơ {profile.name}{chosen} / "
        f"layer {name}: {len(layer.attributes)} features read with profile {profile.name}"
    )
    return part


def _table_layer_part(
    uow: UnitOfWork, path: Path, name: str, size: int, digest: str, options: IngestOptions, say: Say
) -> BatchPart:
    """A table without geometry of a GeoPackage: taken in as a register or dossier export when
    it is the layer asked for, with its profile; else skipped."""
    if not (options.layer == name and options.profile):
        raise _Skipped(
            ValidationError(
                f"bảng {name!r} không có hình học: muốn nạp nó như sổ địa chính hoặc hồ sơ, "
                f"hãy cho --layer {name} và --profile / table {name!r} has no geometry: to "
                f"load it as a register or dossier export, give --layer {name} and --profile",
                field="layer",
                value=name,
            )
        )
    source = readers.attribute_table_source(path, name, size, digest, options)
    if _unchanged(uow, source.info):
        return unchanged_part(source.info)
    say(
        f"bảng {name}: {len(source.table.frame)} dòng đọc với hồ sơ {source.profile.name} / "
        f"table {name}: {len(source.table.frame)} rows read with profile {source.profile.name}"
    )
    return source.part()


def _nothing_loaded(
    path: Path, skipped: list[tuple[str, LandRegError]], options: IngestOptions
) -> LandRegError:
    """The refusal of a file of which no layer was taken in, with why its first was not."""
    name, first = skipped[0]
    layers = f" ({len(skipped)} layers skipped)" if len(skipped) > 1 else ""
    layers_vi = f" (bỏ qua {len(skipped)} lớp)" if len(skipped) > 1 else ""
    refusal = ValidationError if options.profile else NothingLoadedError
    return refusal(
        f"không nạp được gì từ {path.name} / nothing was loaded from {path.name}{layers} — "
        f"{name}: {first.detail}",
        field=first.field,
        value=first.value,
        detail_vi=f"không nạp được gì từ {path.name}{layers_vi} — {name}: {first.detail_in('vi')}",
    )


def _layer_part(uow: UnitOfWork, source: readers.LayerSource, options: IngestOptions) -> BatchPart:
    """The layer's batch, its CRS checked against where its communes lie; a parcel layer's
    slices are made in a thread ahead of storing them."""
    present = source.communes(options.commune)
    part = source.part(
        present,
        expected=expected_area(uow, present),
        confirmed_crs=options.crs,
        cadastral_srid=uow.database.cadastral_srid,
        extent=expected_area(uow, []),
        where=where_checked(uow, present),
    )
    if part.stream is not None:
        part.stream = prefetched(iter(part.stream))
    return part


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


def files_to_ingest(folder: Path) -> list[Path]:
    """Every file landreg can read under ``folder``: boundaries first, then maps, then tables
    (companion files, such as a Shapefile's .dbf or a dossier export's history, not on their
    own)."""
    return formats.sources_in(folder)


def ingest_folder(
    database: RegisterDatabase,
    folder: Path,
    options: IngestOptions,
    *,
    confirm_crs: bool = False,
    say: Say = lambda _: None,
) -> tuple[list[tuple[Path, IngestResult]], list[tuple[Path, LandRegError]]]:
    """Ingest every file under ``folder``; returns what loaded and what was stopped.

    A file no shipped profile recognises (a sheet index beside the parcels) is skipped with a
    line saying so; told a ``profile``, a file it does not fit is stopped. With
    ``confirm_crs`` a layer stopped for its CRS is taken in again in the CRS its coordinates
    fit, as a cadastral officer would confirm after checking it on the map (the demo does
    this; the command line never guesses).
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
        except NothingLoadedError as error:  # no shipped profile recognises it
            say(f"{path.name}: {error.detail}; bỏ qua / skipped")
            continue
        except LandRegError as error:
            stopped.append((path, error))
            continue
        loaded += [(path, result) for result in results]
    return loaded, stopped


def check_profile_name(name: str | None) -> None:
    """Refuse a profile other than a shipped one (an upload may not name a path: it would
    read a file of the server)."""
    if name is not None and name not in shipped_profiles():
        raise ValidationError(
            f"không có hồ sơ ánh xạ tên {name!r} / no profile named {name!r}; "
            f"shipped: {sorted(shipped_profiles())}",
            field="profile",
            value=name,
        )


def unpack_upload(
    archive: Path, into: Path, *, max_bytes: int, max_members: int, max_ratio: float
) -> tuple[Path, list[str]]:
    """Unpack an uploaded zip into the new folder ``into`` within the limits; returns the
    folder and the members left out (archives inside it). Raises ``ValidationError`` for a
    zip that breaks them, leaving nothing behind."""
    limits = ArchiveLimits(max_bytes=max_bytes, max_members=max_members, max_ratio=max_ratio)
    unpacked = unpack_zip(archive, into, limits)
    return unpacked.folder, unpacked.skipped
