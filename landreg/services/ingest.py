"""Taking a source file's records into the register: one batch, atomic, idempotent, diffed.

The readers in ``ingest/`` turn a file into canonical records; this use case stores them.
Ingesting the same file again changes nothing. A newer delivery of the same source is
compared record by record (by its key in the source and a hash of its values): added
records are inserted, changed ones get a new version (the old one goes to history), removed
ones are retired into history. Rows that could not be read are kept in quarantine with the
reason. Everything of a batch is committed together, or nothing is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Table, delete, insert, select

from landreg.clock import utcnow
from landreg.services.dossier_children import (
    bulk_dossiers,
    delete_children,
    insert_children,
    without_children,
)
from landreg.store import versioning
from landreg.store.bulk import insert_frame, plain_records
from landreg.store.tables import (
    DossierRow,
    MapStripRow,
    ParcelRow,
    QuarantineRow,
    RegisterEntryRow,
    SourceBatchRow,
)
from landreg.store.unit_of_work import UnitOfWork

TARGETS: dict[str, Table] = {
    "map": ParcelRow.__table__,  # type: ignore[dict-item]
    "strips": MapStripRow.__table__,  # type: ignore[dict-item]
    "register": RegisterEntryRow.__table__,  # type: ignore[dict-item]
    "dossiers": DossierRow.__table__,  # type: ignore[dict-item]
}
INSERT_CHUNK = 5_000


@dataclass(slots=True)
class BatchInfo:
    """What is being taken in: the file, its source and how it was read."""

    kind: str
    source_name: str
    file_name: str
    size_bytes: int
    sha256: str
    profile: str | None = None
    layer: str | None = None
    source_srid: int | None = None
    commune_code: str | None = None
    actor: str = "landreg"
    warnings: list[str] = field(default_factory=list)
    data_as_of: datetime | None = None
    data_as_of_from: str | None = None


@dataclass(slots=True)
class Rejected:
    """A row that could not be taken in, kept whole with the reason."""

    row: str
    reason: str
    field: str | None = None
    value: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(slots=True)
class IngestResult:
    """What a batch did, for the summary printed at the end and returned by the API."""

    status: str  # "loaded" or "unchanged"
    source_name: str
    file_name: str
    batch_id: int | None = None
    rows_read: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    quarantined: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    changed_keys: list[str] = field(default_factory=list)
    removed_keys: list[str] = field(default_factory=list)


def already_loaded(uow: UnitOfWork, source_name: str, sha256: str) -> int | None:
    """The batch that already loaded exactly this file for this source, if any."""
    return uow.session.scalar(
        select(SourceBatchRow.id)
        .where(
            SourceBatchRow.source_name == source_name,
            SourceBatchRow.sha256 == sha256,
            SourceBatchRow.status == "loaded",
        )
        .order_by(SourceBatchRow.id.desc())
        .limit(1)
    )


@dataclass(slots=True)
class RecordSlice:
    """Some of a batch's canonical records (one row each), and the rows refused among them."""

    records: pd.DataFrame
    rejected: list[Rejected]


@dataclass(slots=True)
class BatchPart:
    """One batch of a file (a file with several layers gives several).

    A large layer comes as a ``stream`` of slices instead of ``records``: each is stored as
    soon as it is made, while the next one is being made.
    """

    info: BatchInfo
    records: pd.DataFrame
    rejected: list[Rejected]
    stream: Iterable[RecordSlice] | None = None
    expected_rows: int | None = None  # of the stream, for the progress bar

    def slices(self) -> Iterable[RecordSlice]:
        """The batch's records, slice by slice."""
        return [RecordSlice(self.records, self.rejected)] if self.stream is None else self.stream


Progress = Callable[[str, int, int], None]


def ingest_file(
    uow: UnitOfWork,
    parts: list[BatchPart],
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Take in every batch of one file together: all are committed, or none."""
    results = [ingest_records(uow, part, progress) for part in parts]
    uow.commit()
    return results


def ingest_records(
    uow: UnitOfWork, part: BatchPart, progress: Progress | None = None
) -> IngestResult:
    """Store one batch of canonical records, one row each (with ``source_key`` and
    ``record_hash`` columns; geometry as EWKB bytes).

    Returns what changed; the caller's unit of work commits.
    """
    info = part.info
    result = IngestResult("loaded", info.source_name, info.file_name)
    previous = already_loaded(uow, info.source_name, info.sha256)
    if previous is not None:
        result.status, result.batch_id = "unchanged", previous
        result.unchanged = sum(len(one.records) for one in part.slices())
        result.warnings = list(info.warnings)
        return result
    table = TARGETS[info.kind]
    info.warnings += _older_than_before(uow, info)
    batch = open_batch(uow, info)
    result.batch_id = batch.id
    sorter = _Sorter(table, _current_by_key(uow, table, info.source_name), result)
    now = utcnow()
    expected = len(part.records) if part.stream is None else part.expected_rows or 0
    extra = _insert_extra(table, batch.id, info.actor, now)
    added = (one.assign(**extra) for one in sorter.added(part.slices()))
    _insert(uow, table, added, expected, _stage(progress, info, expected))
    _change(uow, table, sorter.changed(), sorter.existing, batch.id, info.actor, now)
    _retire(uow, table, info, sorter.gone(), sorter.existing, now, result)
    _quarantine(uow, batch.id, sorter.rejected, result)
    result.warnings = list(info.warnings)  # a stream adds its notes once it is read through
    batch.counts = {
        name: getattr(result, name)
        for name in ("rows_read", "added", "changed", "removed", "unchanged", "quarantined")
    }
    batch.counts["by_reason"] = result.by_reason
    batch.warnings = result.warnings
    batch.finished_at = utcnow()
    uow.session.flush()
    return result


class _Sorter:
    """Sorts a batch's slices, as they come, into new records (to insert), changed ones (to
    version once the inserts are done), and keeps every key seen and every row refused."""

    def __init__(self, table: Table, existing: pd.DataFrame, result: IngestResult) -> None:
        self.table, self.existing, self.result = table, existing, result
        self.rejected: list[Rejected] = []
        self._changed: list[pd.DataFrame] = []
        self._keys: list[pd.Series] = []

    def added(self, slices: Iterable[RecordSlice]) -> Iterator[pd.DataFrame]:
        """The new records of each slice, in order."""
        for one in slices:
            records, too_long = _too_long(self.table, one.records)
            self.rejected += [*one.rejected, *too_long]
            self.result.rows_read += len(one.records) + len(one.rejected)
            added, changed = _classify(records, self.existing, self.result)
            self._changed.append(changed)
            self._keys.append(records["source_key"])
            yield added

    def changed(self) -> pd.DataFrame:
        """Every changed record seen."""
        return pd.concat(self._changed) if self._changed else pd.DataFrame()

    def gone(self) -> list[str]:
        """Keys of current records that no slice had."""
        seen = pd.concat(self._keys) if self._keys else pd.Series([], dtype=object)
        return self.existing.index[~self.existing.index.isin(seen)].tolist()


def _older_than_before(uow: UnitOfWork, info: BatchInfo) -> list[str]:
    """A warning when this delivery's data is older than a delivery of the same source
    already taken in: it is about to replace newer records with older ones."""
    if info.data_as_of is None:
        return []
    newest = uow.session.execute(
        select(SourceBatchRow.file_name, SourceBatchRow.data_as_of)
        .where(
            SourceBatchRow.source_name == info.source_name,
            SourceBatchRow.status == "loaded",
            SourceBatchRow.data_as_of > info.data_as_of,
        )
        .order_by(SourceBatchRow.data_as_of.desc())
        .limit(1)
    ).first()
    if newest is None:
        return []
    return [
        f"older_source: this delivery is dated {info.data_as_of:%Y-%m-%d} "
        f"({info.data_as_of_from}), older than {newest.file_name} of "
        f"{newest.data_as_of:%Y-%m-%d} that it replaces"
    ]


def open_batch(uow: UnitOfWork, info: BatchInfo) -> SourceBatchRow:
    batch = SourceBatchRow(
        kind=info.kind,
        source_name=info.source_name,
        file_name=info.file_name,
        size_bytes=info.size_bytes,
        sha256=info.sha256,
        profile=info.profile,
        layer=info.layer,
        source_srid=info.source_srid,
        commune_code=info.commune_code,
        actor=info.actor,
        status="loaded",
        started_at=utcnow(),
        data_as_of=info.data_as_of,
        data_as_of_from=info.data_as_of_from,
    )
    uow.session.add(batch)
    uow.session.flush()
    return batch


def _too_long(table: Table, records: pd.DataFrame) -> tuple[pd.DataFrame, list[Rejected]]:
    """Records with a value longer than its column allows go to quarantine, not to a crash."""
    limits = {
        c.name: c.type.length  # type: ignore[attr-defined]
        for c in table.columns
        if isinstance(getattr(c.type, "length", None), int) and c.name in records.columns
    }
    first = pd.Series(None, index=records.index, dtype=object)  # the first column too long
    for name, limit in limits.items():
        column = records[name]
        if not (pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)):
            continue
        lengths = column.astype(pd.StringDtype("pyarrow")).str.len()
        first = first.where(first.notna() | ~(lengths > limit).fillna(False), name)
    over = first.notna().to_numpy()
    if not over.any():
        return records, []
    shown = records.drop(columns=[c for c in ("geom", "events") if c in records.columns])
    refused = [
        Rejected(
            row=str(record.get("source_row")),
            reason=f"{name} longer than {limits[name]} characters",
            field=name,
            value=record[name][:200],
            raw={k: str(v)[:500] for k, v in record.items()},
        )
        for name, record in zip(first[over], plain_records(shown[over]), strict=True)
    ]
    return records[~over], refused


def _current_by_key(uow: UnitOfWork, table: Table, source_name: str) -> pd.DataFrame:
    """The source's current records: ``id`` and ``record_hash`` by ``source_key``."""
    rows = uow.session.execute(
        select(table.c.source_key, table.c.id, table.c.record_hash).where(
            table.c.source_name == source_name
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["source_key", "id", "record_hash"], dtype=object)
    return frame.drop_duplicates("source_key", keep="last").set_index("source_key")


def _classify(
    records: pd.DataFrame, existing: pd.DataFrame, result: IngestResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New records, and records whose hash differs from the current version's."""
    keys = records["source_key"]
    known = keys.isin(existing.index).to_numpy()
    previous = existing["record_hash"].reindex(keys.to_numpy()).to_numpy()
    same = known & (previous == records["record_hash"].to_numpy(dtype=object))
    added, changed = records[~known], records[known & ~same]
    result.unchanged += int(same.sum())
    result.added += len(added)
    result.changed += len(changed)
    room = 1000 - len(result.changed_keys)
    result.changed_keys += changed["source_key"].head(max(room, 0)).tolist()
    return added, changed


def _stage(progress: Progress | None, info: BatchInfo, total: int) -> Callable[[int], None]:
    """A callback reporting stored rows of this batch (or nothing, without a reporter)."""
    if progress is None:
        return lambda done: None
    return lambda done: progress(f"storing {info.source_name}", done, total)


def _insert_extra(table: Table, batch_id: int, actor: str, now: Any) -> dict[str, Any]:
    """Columns every inserted record of the batch gets."""
    extra: dict[str, Any] = {"source_batch_id": batch_id, "version": 1}
    if "valid_from" in table.c:  # versioned tables
        extra |= {"valid_from": now, "changed_by": actor}
    return extra


def _insert(
    uow: UnitOfWork,
    table: Table,
    frames: Iterable[pd.DataFrame],
    expected: int,
    stored: Callable[[int], None],
) -> None:
    """Insert the new records, frame by frame (dossiers with their documents and events)."""
    if table.name != "dossier":
        insert_frame(uow.session, table, frames, stored, expected_rows=expected)
        return
    if uow.session.get_bind().dialect.name == "postgresql":
        done = 0
        for records in frames:
            bulk_dossiers(uow.session, records)
            done += len(records)
            stored(done)
        return
    done = 0
    for records in frames:
        for start in range(0, len(records), INSERT_CHUNK):
            chunk = plain_records(records.iloc[start : start + INSERT_CHUNK], table)
            rows = [without_children(record) for record in chunk]
            ids = uow.session.scalars(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).all()
            insert_children(uow, list(zip(ids, chunk, strict=True)))
            done += len(chunk)
            stored(done)


def _change(
    uow: UnitOfWork,
    table: Table,
    records: pd.DataFrame,
    existing: pd.DataFrame,
    batch_id: int,
    actor: str,
    now: Any,
) -> None:
    for record in plain_records(records, table):
        row_id = int(existing.at[record["source_key"], "id"])
        values = without_children(record) | {"source_batch_id": batch_id}
        if table.name in versioning.VERSIONED_TABLES:
            versioning.change_version(
                uow.session, table.name, row_id, values, expected_version=None, actor=actor, at=now
            )
            continue
        version = uow.session.scalar(select(table.c.version).where(table.c.id == row_id))
        uow.session.execute(
            table.update().where(table.c.id == row_id).values(**values, version=(version or 0) + 1)
        )
        if table.name == "dossier":
            delete_children(uow, row_id)
            insert_children(uow, [(row_id, record)])


def _retire(
    uow: UnitOfWork,
    table: Table,
    info: BatchInfo,
    keys: list[str],
    existing: pd.DataFrame,
    now: Any,
    result: IngestResult,
) -> None:
    """Records the new delivery no longer has leave the current register (kept in history)."""
    kept = 0
    for key in keys:
        row_id = int(existing.at[key, "id"])
        if table.name in versioning.VERSIONED_TABLES:
            if versioning.is_referenced(uow.session, table.name, row_id):
                kept += 1
                continue
            versioning.archive_version(uow.session, table.name, row_id, now)
        elif table.name == "dossier":
            delete_children(uow, row_id)
        uow.session.execute(delete(table).where(table.c.id == row_id))
        result.removed += 1
        if len(result.removed_keys) < 1000:
            result.removed_keys.append(key)
    if kept:
        result.warnings.append(
            f"{kept} records missing from this delivery still have rights or links; "
            "they stay current until the register is reconciled"
        )


def _quarantine(
    uow: UnitOfWork, batch_id: int, rejected: list[Rejected], result: IngestResult
) -> None:
    rows = [
        {
            "batch_id": batch_id,
            "row_ref": r.row,
            "reason": r.reason,
            "field": r.field,
            "value": r.value,
            "raw": r.raw,
        }
        for r in rejected
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        uow.session.execute(insert(QuarantineRow), rows[start : start + INSERT_CHUNK])
    result.quarantined = len(rejected)
    result.by_reason = dict(Counter(r.reason for r in rejected).most_common())
