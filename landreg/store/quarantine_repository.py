"""Quarantine: source rows refused at ingest, kept whole with the reason, so nothing is lost.

The repository never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from landreg.store.tables import QuarantineRow

CHUNK = 5_000


class RefusedRow(Protocol):
    """A row a reader refused (the readers' ``ingest.batches.Rejected`` is one)."""

    @property
    def row(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def value(self) -> str | None: ...
    @property
    def raw(self) -> dict[str, Any] | None: ...


class QuarantineRepository:
    """Refused rows of source batches over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, batch_id: int, refused: Sequence[RefusedRow]) -> None:
        """Keep every refused row of a batch, in inserts of a few thousand rows."""
        rows = [
            {
                "batch_id": batch_id,
                "row_ref": r.row,
                "reason": r.reason,
                "field": r.field,
                "value": r.value,
                "raw": r.raw,
            }
            for r in refused
        ]
        for start in range(0, len(rows), CHUNK):
            self.session.execute(insert(QuarantineRow), rows[start : start + CHUNK])
