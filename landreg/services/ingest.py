"""Taking a source file's records into the register: one batch, atomic, idempotent, diffed.

The readers in ``ingest/`` turn a file into canonical records; this use case stores them.
Ingesting the same file again with the same profile changes nothing (unless told to
``reprocess`` it); read with another profile (a corrected one), it is taken in as a new
delivery would be. A newer delivery of the same source is compared record by record (by its
key in the source and a hash of its values): added records are inserted, changed ones get a
new version (the old one goes to history), removed ones are retired into history. Rows that
could not be read are kept in quarantine with the reason. Everything of a batch is committed
together, or nothing is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ingest.batches import BatchInfo, BatchPart, RecordSlice, Rejected
from landreg.clock import utcnow
from landreg.errors import ValidationError
from landreg.store.batch_repository import BatchRecord
from landreg.store.unit_of_work import UnitOfWork


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
    previous = (
        None
        if info.reprocess
        else uow.batches.already_loaded(info.source_name, info.sha256, info.profile)
    )
    if previous is not None:
        result.status, result.batch_id = "unchanged", previous
        result.unchanged = sum(len(one.records) for one in part.slices())
        result.warnings = list(info.warnings)
        return result
    records, kind, actor = uow.source_records, info.kind, info.actor
    info.warnings += _older_than_before(uow, info)
    batch_id = result.batch_id = uow.batches.open(info, utcnow())
    existing = records.current_by_key(kind, info.source_name)
    sorter = _Sorter(uow, kind, existing, result)
    now = utcnow()
    expected = len(part.records) if part.stream is None else part.expected_rows or 0
    stored = _stage(progress, info, expected)
    added = sorter.added(part.slices())
    records.insert(
        kind, added, batch_id=batch_id, actor=actor, now=now, expected=expected, stored=stored
    )
    records.change(kind, sorter.changed(), existing, batch_id=batch_id, actor=actor, now=now)
    _retire(uow, info, sorter.gone(), existing, now, result)
    _quarantine(uow, batch_id, sorter.rejected, result)
    # a stream adds its notes once it is read through; what storing found comes after them
    result.warnings = [*info.warnings, *result.warnings]
    uow.batches.record(batch_id, _counts(result), warnings=result.warnings, finished_at=utcnow())
    return result


def _counts(result: IngestResult) -> dict[str, Any]:
    """What the batch did, as its row keeps it."""
    counts: dict[str, Any] = {
        name: getattr(result, name)
        for name in ("rows_read", "added", "changed", "removed", "unchanged", "quarantined")
    }
    counts["by_reason"] = result.by_reason
    return counts


def _quarantine(
    uow: UnitOfWork, batch_id: int, rejected: list[Rejected], result: IngestResult
) -> None:
    """Keep the refused rows, and count them by reason."""
    uow.quarantine.add(batch_id, rejected)
    result.quarantined = len(rejected)
    result.by_reason = dict(Counter(r.reason for r in rejected).most_common())


class _Sorter:
    """Sorts a batch's slices, as they come, into new records (to insert), changed ones (to
    version once the inserts are done), and keeps every key seen and every row refused."""

    def __init__(
        self, uow: UnitOfWork, kind: str, existing: pd.DataFrame, result: IngestResult
    ) -> None:
        self.records, self.kind = uow.source_records, kind
        self.existing, self.result = existing, result
        self.rejected: list[Rejected] = []
        self._changed: list[pd.DataFrame] = []
        self._keys: list[pd.Series] = []

    def added(self, slices: Iterable[RecordSlice]) -> Iterator[pd.DataFrame]:
        """The new records of each slice, in order."""
        for one in slices:
            records, too_long = self.records.too_long(self.kind, one.records)
            refused = [Rejected(t.row, t.reason, t.field, t.value, t.raw) for t in too_long]
            self.rejected += [*one.rejected, *refused]
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
    newest = uow.batches.newer_delivery(info.source_name, info.data_as_of)
    if newest is None:
        return []
    return [
        f"older_source: this delivery is dated {info.data_as_of:%Y-%m-%d} "
        f"({info.data_as_of_from}), older than {newest.file_name} of "
        f"{newest.data_as_of:%Y-%m-%d} that it replaces"
    ]


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


def _retire(
    uow: UnitOfWork,
    info: BatchInfo,
    keys: list[str],
    existing: pd.DataFrame,
    now: Any,
    result: IngestResult,
) -> None:
    """Records the new delivery no longer has leave the current register (kept in history)."""
    retired = uow.source_records.retire(info.kind, keys, existing, now)
    result.removed += len(retired.removed)
    result.removed_keys += retired.removed[: max(1000 - len(result.removed_keys), 0)]
    if retired.kept:
        result.warnings.append(
            f"{retired.kept} bản ghi không còn trong lần giao này vẫn có quyền do cán bộ nhập "
            "hoặc hồ sơ trỏ tới nên vẫn giữ hiện hành / "
            f"{retired.kept} records missing from this delivery still have rights or links "
            "an officer entered or dossiers; they stay current"
        )


def recent_batches(uow: UnitOfWork, limit: int, offset: int) -> list[BatchRecord]:
    """The source batches taken in, newest first (provenance: file, hash, profile, who,
    when, what changed)."""
    if not (1 <= limit <= 500 and offset >= 0):
        raise ValidationError(
            "limit must be 1 to 500 and offset 0 or more",
            field="limit",
            value=limit,
            detail_vi="limit phải từ 1 đến 500 và offset từ 0 trở lên",
        )
    return uow.batches.newest(limit, offset)
