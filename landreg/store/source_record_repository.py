"""The records sources deliver, in the tables each kind of source fills (parcels, strips,
register entries, dossiers), written the way a delivery changes them.

Each record carries its ``source_name``, its ``source_key`` there and a ``record_hash`` of its
values; the ingest service compares a delivery with the current records by those and asks
this repository to insert the new ones (binary ``COPY`` on PostGIS), version the changed
ones and retire the gone ones (into history). The repository never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from landreg.store import dossier_children, versioning
from landreg.store.bulk import insert_frame, plain_records
from landreg.store.tables import DossierRow, MapStripRow, ParcelRow, RegisterEntryRow

TARGETS: dict[str, Table] = {
    "map": ParcelRow.__table__,  # type: ignore[dict-item]
    "strips": MapStripRow.__table__,  # type: ignore[dict-item]
    "register": RegisterEntryRow.__table__,  # type: ignore[dict-item]
    "dossiers": DossierRow.__table__,  # type: ignore[dict-item]
}
INSERT_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class TooLong:
    """A record with a value longer than its column allows: the first such column."""

    row: str
    reason: str
    field: str
    value: str
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Retired:
    """What retiring a delivery's missing records did."""

    removed: list[str]  # their source keys
    kept: int  # still referenced (rights, links): left current


class SourceRecordRepository:
    """A kind of source's records (``map``, ``strips``, ``register``, ``dossiers``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def current_by_key(self, kind: str, source_name: str) -> pd.DataFrame:
        """The source's current records: ``id`` and ``record_hash`` by ``source_key``."""
        table = TARGETS[kind]
        rows = self.session.execute(
            select(table.c.source_key, table.c.id, table.c.record_hash).where(
                table.c.source_name == source_name
            )
        ).all()
        frame = pd.DataFrame(rows, columns=["source_key", "id", "record_hash"], dtype=object)
        return frame.drop_duplicates("source_key", keep="last").set_index("source_key")

    def too_long(self, kind: str, records: pd.DataFrame) -> tuple[pd.DataFrame, list[TooLong]]:
        """The records whose values fit their columns, and those that do not (each with its
        values as text, for quarantine, rather than a crash)."""
        table = TARGETS[kind]
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
            TooLong(
                row=str(record.get("source_row")),
                reason=f"{name} longer than {limits[name]} characters",
                field=name,
                value=record[name][:200],
                raw={k: str(v)[:500] for k, v in record.items()},
            )
            for name, record in zip(first[over], plain_records(shown[over]), strict=True)
        ]
        return records[~over], refused

    def insert(
        self,
        kind: str,
        frames: Iterable[pd.DataFrame],
        *,
        batch_id: int,
        actor: str,
        now: datetime,
        expected: int,
        stored: Callable[[int], None],
    ) -> None:
        """Insert new records, frame by frame as they come, reporting how many are stored
        (dossiers with their documents and events)."""
        table = TARGETS[kind]
        extra: dict[str, Any] = {"source_batch_id": batch_id, "version": 1}
        if "valid_from" in table.c:  # versioned tables
            extra |= {"valid_from": now, "changed_by": actor}
        added = (frame.assign(**extra) for frame in frames)
        if table.name != "dossier":
            insert_frame(self.session, table, added, stored, expected_rows=expected)
        elif self.session.get_bind().dialect.name == "postgresql":
            _bulk_dossiers(self.session, added, stored)
        else:
            _dossiers_row_by_row(self.session, table, added, stored)

    def change(
        self,
        kind: str,
        records: pd.DataFrame,
        existing: pd.DataFrame,
        *,
        batch_id: int,
        actor: str,
        now: datetime,
    ) -> None:
        """Make each record the new version of the current one with its key (``existing``:
        ids by key); versioned tables keep the old version in history."""
        table = TARGETS[kind]
        for record in plain_records(records, table):
            row_id = int(existing.at[record["source_key"], "id"])
            values = dossier_children.without_children(record) | {"source_batch_id": batch_id}
            if table.name in versioning.VERSIONED_TABLES:
                versioning.change_version(
                    self.session,
                    table.name,
                    row_id,
                    values,
                    expected_version=None,
                    actor=actor,
                    at=now,
                )
                continue
            version = self.session.scalar(select(table.c.version).where(table.c.id == row_id))
            self.session.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(**values, version=(version or 0) + 1)
            )
            if table.name == "dossier":
                dossier_children.delete_children(self.session, row_id)
                dossier_children.insert_children(self.session, [(row_id, record)])

    def retire(self, kind: str, keys: list[str], existing: pd.DataFrame, now: datetime) -> Retired:
        """Take the records with these keys out of the current register (versioned ones into
        history, with the rights, certificates and restrictions the unified register derived
        for them); a record an officer's entry or a dossier still points at stays."""
        table = TARGETS[kind]
        removed, kept = [], 0
        for key in keys:
            row_id = int(existing.at[key, "id"])
            if table.name in versioning.VERSIONED_TABLES:
                if versioning.is_referenced(self.session, table.name, row_id, derived=False):
                    kept += 1
                    continue
                versioning.retire_derived(self.session, table.name, row_id, now)
                versioning.archive_version(self.session, table.name, row_id, now)
            elif table.name == "dossier":
                dossier_children.delete_children(self.session, row_id)
            self.session.execute(delete(table).where(table.c.id == row_id))
            removed.append(key)
        return Retired(removed, kept)


def _bulk_dossiers(
    session: Session, frames: Iterator[pd.DataFrame], stored: Callable[[int], None]
) -> None:
    """New dossiers in bulk with their children (``COPY`` on PostGIS), frame by frame."""
    done = 0
    for records in frames:
        dossier_children.bulk_dossiers(session, records)
        done += len(records)
        stored(done)


def _dossiers_row_by_row(
    session: Session, table: Table, frames: Iterator[pd.DataFrame], stored: Callable[[int], None]
) -> None:
    """New dossiers in batched inserts returning their ids, then their children."""
    done = 0
    for records in frames:
        for start in range(0, len(records), INSERT_CHUNK):
            chunk = plain_records(records.iloc[start : start + INSERT_CHUNK], table)
            rows = [dossier_children.without_children(record) for record in chunk]
            ids = session.scalars(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).all()
            dossier_children.insert_children(session, list(zip(ids, chunk, strict=True)))
            done += len(chunk)
            stored(done)
