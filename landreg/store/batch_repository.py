"""Source batches: one row per file taken in (provenance), and what each did.

The ingest service opens a batch before it stores a file's records and closes it with the
counts; whether the very same file was taken in before is asked here. The repository never
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from landreg.errors import NotFoundError
from landreg.store.tables import SourceBatchRow


class NewBatch(Protocol):
    """What a batch is opened with (the readers' ``ingest.batches.BatchInfo`` has it)."""

    kind: str
    source_name: str
    file_name: str
    size_bytes: int
    sha256: str
    profile: str | None
    layer: str | None
    source_srid: int | None
    commune_code: str | None
    actor: str
    data_as_of: datetime | None
    data_as_of_from: str | None


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A source batch as stored, for the provenance listing."""

    id: int
    kind: str
    source_name: str
    file_name: str
    sha256: str
    profile: str | None
    layer: str | None
    actor: str | None
    started_at: datetime
    counts: dict[str, Any] | None
    warnings: list[Any] | None


@dataclass(frozen=True, slots=True)
class NewerDelivery:
    """A delivery of the same source already taken in, dated after the one at hand."""

    file_name: str
    data_as_of: datetime


class BatchRepository:
    """Source batches over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def already_loaded(self, source_name: str, sha256: str, profile: str | None) -> int | None:
        """The batch that already loaded exactly this file for this source with this profile,
        if any (read with another profile, the file is read again: a corrected profile)."""
        return self.session.scalar(
            select(SourceBatchRow.id)
            .where(
                SourceBatchRow.source_name == source_name,
                SourceBatchRow.sha256 == sha256,
                SourceBatchRow.profile.is_(None)
                if profile is None
                else SourceBatchRow.profile == profile,
                SourceBatchRow.status == "loaded",
            )
            .order_by(SourceBatchRow.id.desc())
            .limit(1)
        )

    def newer_delivery(self, source_name: str, data_as_of: datetime) -> NewerDelivery | None:
        """The newest delivery of the source taken in whose data is newer than
        ``data_as_of``, if any."""
        newest = self.session.execute(
            select(SourceBatchRow.file_name, SourceBatchRow.data_as_of)
            .where(
                SourceBatchRow.source_name == source_name,
                SourceBatchRow.status == "loaded",
                SourceBatchRow.data_as_of > data_as_of,
            )
            .order_by(SourceBatchRow.data_as_of.desc())
            .limit(1)
        ).first()
        return None if newest is None else NewerDelivery(newest.file_name, newest.data_as_of)

    def open(self, batch: NewBatch, started_at: datetime) -> int:
        """Record a batch being loaded; returns its id."""
        row = SourceBatchRow(
            kind=batch.kind,
            source_name=batch.source_name,
            file_name=batch.file_name,
            size_bytes=batch.size_bytes,
            sha256=batch.sha256,
            profile=batch.profile,
            layer=batch.layer,
            source_srid=batch.source_srid,
            commune_code=batch.commune_code,
            actor=batch.actor,
            status="loaded",
            started_at=started_at,
            data_as_of=batch.data_as_of,
            data_as_of_from=batch.data_as_of_from,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def record(
        self,
        batch_id: int,
        counts: dict[str, Any],
        *,
        warnings: list[str] | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Keep what the batch did (its counts, and its warnings and end when given)."""
        row = self.session.get(SourceBatchRow, batch_id)  # in the session since it was opened
        if row is None:
            raise NotFoundError(
                f"no source batch {batch_id}",
                field="batch_id",
                value=batch_id,
                detail_vi=f"không có lô dữ liệu nguồn {batch_id}",
            )
        row.counts = counts
        if warnings is not None:
            row.warnings = warnings
        if finished_at is not None:
            row.finished_at = finished_at
        self.session.flush()

    def newest(self, limit: int, offset: int) -> list[BatchRecord]:
        """Source batches, the newest first."""
        rows = self.session.scalars(
            select(SourceBatchRow).order_by(SourceBatchRow.id.desc()).limit(limit).offset(offset)
        )
        return [
            BatchRecord(
                row.id,
                row.kind,
                row.source_name,
                row.file_name,
                row.sha256,
                row.profile,
                row.layer,
                row.actor,
                row.started_at,
                row.counts,
                row.warnings,
            )
            for row in rows
        ]

    def batch_files(self, batch_ids: set[int]) -> dict[int, str]:
        """The file each of these batches took in, by batch id: a record cites it as the
        source of the values it took from the batch."""
        if not batch_ids:
            return {}
        rows = self.session.execute(
            select(SourceBatchRow.id, SourceBatchRow.file_name).where(
                SourceBatchRow.id.in_(batch_ids)
            )
        )
        return dict(rows.all())
