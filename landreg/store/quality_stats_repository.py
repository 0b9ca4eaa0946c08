"""What the data-quality statistics read: findings with their open/close times, the parcels
they name, parcels per commune, the last reconciliation of each commune, commune boundaries.

Times are the register's (naive UTC). Nothing here interprets them: the statistics service
decides what "open at a moment" means and counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import Session

from landreg.store.reconcile_repository import read_frame
from landreg.store.tables import (
    AdminUnit,
    FindingRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    ReconcileRunRow,
)

_FINDING_COLUMNS = ["id", "rule", "severity", "commune_code", "created_at", "closed_at"]
_CHUNK = 5000
COMMUNE_LEVELS = ("commune", "ward")


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


class QualityStatsRepository:
    """Read-only reads for the data-quality statistics, on both backends."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def findings(self, until: datetime) -> pd.DataFrame:
        """Every finding created at or before ``until``: id, rule, severity, commune_code,
        created_at, closed_at (None while open), in id order."""
        table = FindingRow.__table__
        statement: Select[Any] = (
            select(*[table.c[name] for name in _FINDING_COLUMNS])
            .where(table.c.created_at <= until)
            .order_by(table.c.id)
        )
        return read_frame(self.session, statement, _FINDING_COLUMNS, False)

    def subjects(self, finding_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """The records each finding names (its ``subjects``), by finding id."""
        found: dict[int, list[dict[str, Any]]] = {}
        for chunk in _chunks(finding_ids):
            rows = self.session.execute(
                select(FindingRow.id, FindingRow.subjects).where(FindingRow.id.in_(chunk))
            )
            found.update({int(row_id): list(subjects or []) for row_id, subjects in rows})
        return found

    def parcels_of_entries(self, entry_ids: Iterable[int]) -> set[int]:
        """The map parcels the register entries are linked to."""
        parcels: set[int] = set()
        for chunk in _chunks(entry_ids):
            parcels.update(
                self.session.scalars(
                    select(ParcelRegisterLinkRow.parcel_id).where(
                        ParcelRegisterLinkRow.register_entry_id.in_(chunk)
                    )
                )
            )
        return parcels

    def current_parcels(self, parcel_ids: Iterable[int]) -> set[int]:
        """Those of ``parcel_ids`` that are parcels of the register now (not merged away)."""
        current: set[int] = set()
        for chunk in _chunks(parcel_ids):
            current.update(
                self.session.scalars(select(ParcelRow.id).where(ParcelRow.id.in_(chunk)))
            )
        return current

    def parcels_by_commune(self) -> dict[str, int]:
        """Current parcels per commune code."""
        rows = self.session.execute(
            select(ParcelRow.commune_code, func.count()).group_by(ParcelRow.commune_code)
        )
        return {str(code): int(count) for code, count in rows}

    def checked_parcels(self, until: datetime) -> int:
        """Current parcels a reconciliation looked at in their current version, by ``until``.

        Reconciling a commune records the run (``reconcile_run``, since migration 0005);
        runs before that left three traces, each stamped with the run's time: the links of its
        parcels to the register (replaced on every run), the findings it opened (they carry
        the batch they were opened under) and those it closed (status ``closed``). The
        latest trace of a commune up to ``until`` is when it was last checked; a parcel
        counts when its current version began before that.
        """
        link = ParcelRegisterLinkRow
        finding = FindingRow
        traces = union_all(
            select(ParcelRow.commune_code.label("commune"), link.created_at.label("at"))
            .join(ParcelRow, ParcelRow.id == link.parcel_id)
            .where(link.created_at <= until),
            select(finding.commune_code, finding.created_at).where(
                finding.opened_batch_id.is_not(None), finding.created_at <= until
            ),
            select(finding.commune_code, finding.closed_at).where(
                finding.status == "closed", finding.closed_at <= until
            ),
            select(ReconcileRunRow.commune_code, ReconcileRunRow.at).where(
                ReconcileRunRow.at <= until
            ),
        ).subquery()
        last = (
            select(traces.c.commune, func.max(traces.c.at).label("at"))
            .group_by(traces.c.commune)
            .subquery()
        )
        statement = (
            select(func.count())
            .select_from(ParcelRow)
            .join(last, last.c.commune == ParcelRow.commune_code)
            .where(ParcelRow.valid_from <= last.c.at)
        )
        return int(self.session.scalar(statement) or 0)

    def communes(self) -> pd.DataFrame:
        """Current communes and wards: code, name, and the boundary as WKB in the cadastral
        CRS (``wkb``, None where no boundary is loaded), in code order."""
        statement = (
            select(AdminUnit.code, AdminUnit.name, func.ST_AsBinary(AdminUnit.geom))
            .where(AdminUnit.level.in_(COMMUNE_LEVELS), AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.code)
        )
        rows = self.session.execute(statement).all()
        frame = pd.DataFrame(rows, columns=["code", "name", "wkb"])
        frame["wkb"] = [None if blob is None else bytes(blob) for blob in frame["wkb"]]
        return frame

    def unit_names(self) -> dict[str, str]:
        """Name of every administrative unit by code (historical ones too: old findings may
        name a commune merged since)."""
        return {str(code): str(name) for code, name in self.session.execute(
            select(AdminUnit.code, AdminUnit.name)
        )}  # fmt: skip
