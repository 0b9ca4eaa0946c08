"""Findings: rows of the ``finding`` table become domain :class:`Finding` objects and back.

Staff act on one finding at a time (:meth:`FindingRepository.get_for_update`, then
:meth:`FindingRepository.close`); reconciliation keeps them all up to date in bulk, by
fingerprint, without building an object per row. The repository never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry

from landreg.domain.model import Finding
from landreg.errors import ConflictError, NotFoundError
from landreg.store.reconcile_repository import read_frame
from landreg.store.tables import FindingRow

# The columns a check sets; reconciliation refreshes them when it finds a finding again.
_CHECKED = (
    "rule", "severity", "commune_code", "subjects", "measured", "suggestion", "message_vi",
    "message_en",
)  # fmt: skip
# The columns of the frame that exports and the quality report read.
_FRAME = [
    "id", "rule", "severity", "status", "commune_code", "subjects", "measured", "suggestion",
    "message_vi", "message_en", "created_at", "closed_at",
]  # fmt: skip


class FindingRepository:
    """Findings, current state only (what staff did is in the audit log)."""

    def __init__(self, session: Session, cadastral_srid: int) -> None:
        self.session = session
        self.srid = cadastral_srid

    def get(self, finding_id: int) -> Finding:
        """The finding; raises :class:`NotFoundError`."""
        return _found(self.session.get(FindingRow, finding_id), finding_id)

    def get_for_update(self, finding_id: int) -> Finding:
        """The finding, locked until this unit of work ends (``SELECT … FOR UPDATE`` on
        PostGIS; on SpatiaLite the writing unit holds the database's write lock), so that
        its version and status cannot change between the check and the update."""
        row = self.session.scalar(
            select(FindingRow)
            .where(FindingRow.id == finding_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return _found(row, finding_id)

    def close(
        self, finding: Finding, *, status: str, resolution: str, actor: str, at: datetime
    ) -> Finding:
        """Close ``finding`` as ``status`` (fixed, dismissed) with the resolution; its version
        goes up by one. The update carries the version read, so a finding changed meanwhile
        is refused (:class:`ConflictError`), never overwritten."""
        version = finding.version + 1
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(FindingRow)
            .where(FindingRow.id == finding.id, FindingRow.version == finding.version)
            .values(
                status=status,
                resolution=resolution,
                resolved_by=actor,
                closed_at=at,
                version=version,
            )
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"finding {finding.id} changed meanwhile",
                field="version",
                value=finding.version,
                detail_vi=f"phát hiện {finding.id} vừa được người khác xử lý; hãy tải lại",
            )
        return replace(
            finding,
            status=status,
            resolution=resolution,
            resolved_by=actor,
            closed_at=at,
            version=version,
        )

    def page(
        self,
        *,
        rule: str | None = None,
        severity: str | None = None,
        commune: str | None = None,
        status: str | None = "open",
        area: BaseGeometry | None = None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[Finding]]:
        """How many findings match, and one page of them in id order. ``status`` None is
        every status; ``area`` (cadastral CRS) keeps those whose location meets it."""
        statement = select(FindingRow)
        for column, value in (
            (FindingRow.rule, rule),
            (FindingRow.severity, severity),
            (FindingRow.commune_code, commune),
            (FindingRow.status, status),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if area is not None:
            frame = func.ST_GeomFromText(area.wkt, self.srid)
            statement = statement.where(FindingRow.geom.ST_Intersects(frame))
        total = self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = self.session.scalars(statement.order_by(FindingRow.id).limit(limit).offset(offset))
        return total, [_from_row(row) for row in rows]

    def open_naming(
        self, commune_code: str, records: set[tuple[str, int]], *, rule: str | None = None
    ) -> list[Finding]:
        """Open findings (of ``rule``, or any) naming one of ``records`` (table, id): looked
        for among the commune's open findings, which name their records in JSON."""
        statement = select(FindingRow).where(
            FindingRow.status == "open", FindingRow.commune_code == commune_code
        )
        if rule is not None:
            statement = statement.where(FindingRow.rule == rule)
        found = (_from_row(row) for row in self.session.scalars(statement))
        return [finding for finding in found if finding.names_any(records)]

    def reopen_or_add(self, finding: Finding, *, at: datetime) -> tuple[Finding | None, Finding]:
        """Open ``finding``: the one stored with its fingerprint is reopened with its values
        (a version more, closing cleared), or it is added; returns the stored one before
        (None if new) and after."""
        row = self.session.scalar(
            select(FindingRow).where(FindingRow.fingerprint == finding.fingerprint)
        )
        before = None
        if row is None:
            row = FindingRow(fingerprint=finding.fingerprint, version=0, created_at=at)
            self.session.add(row)
        else:
            before = _from_row(row)
        for name, value in self._checked_columns(finding).items():
            setattr(row, name, value)
        row.status, row.version = "open", row.version + 1
        row.closed_at = row.closed_batch_id = row.resolution = row.resolved_by = None
        self.session.flush()
        return before, _from_row(row)

    def fingerprints(self, communes: list[str] | None) -> dict[str, tuple[int, str]]:
        """Findings already stored (of ``communes``, or all), by fingerprint: (id, status)."""
        statement = select(FindingRow.fingerprint, FindingRow.id, FindingRow.status)
        if communes:
            statement = statement.where(FindingRow.commune_code.in_(communes))
        return {fp: (row_id, status) for fp, row_id, status in self.session.execute(statement)}

    def add_many(self, findings: list[Finding]) -> None:
        """Insert new findings, in statements of 2,000 rows."""
        rows = [
            self._checked_columns(finding)
            | {
                "fingerprint": finding.fingerprint,
                "status": finding.status,
                "version": finding.version,
                "opened_batch_id": finding.opened_batch_id,
                "created_at": finding.created_at,
            }
            for finding in findings
        ]
        for start in range(0, len(rows), 2000):
            self.session.execute(insert(FindingRow), rows[start : start + 2000])

    def refresh_many(self, findings: Iterable[Finding], *, reopen: set[int]) -> None:
        """Update what a check measured and where, of findings found again (by ``id``); their
        status stays, except those in ``reopen`` (closed before), which open again."""
        reopened = {"status": "open", "closed_at": None, "closed_batch_id": None,
                    "resolution": None}  # fmt: skip
        for finding in findings:
            values = self._checked_columns(finding)
            if finding.id in reopen:
                values |= reopened
            self.session.execute(
                update(FindingRow).where(FindingRow.id == finding.id).values(**values)
            )

    def close_many(self, ids: list[int], batch_id: int | None, at: datetime) -> None:
        """Close findings whose cause is gone, naming the batch that fixed them."""
        for start in range(0, len(ids), 5000):
            self.session.execute(
                update(FindingRow)
                .where(FindingRow.id.in_(ids[start : start + 5000]))
                .values(
                    status="closed",
                    closed_batch_id=batch_id,
                    closed_at=at,
                    resolution="no longer found by reconciliation",
                )
            )

    def frame(
        self,
        *,
        rule: str | None = None,
        status: str | None = "open",
        commune: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Findings as a frame with their location as a shapely ``geometry`` column
        (cadastral CRS), in id order."""
        statement: Select[Any] = select(
            *[FindingRow.__table__.c[name] for name in _FRAME], func.ST_AsBinary(FindingRow.geom)
        )
        if rule:
            statement = statement.where(FindingRow.rule == rule)
        if status:
            statement = statement.where(FindingRow.status == status)
        if commune:
            statement = statement.where(FindingRow.commune_code == commune)
        statement = statement.order_by(FindingRow.id)
        if limit:
            statement = statement.limit(limit)
        return read_frame(self.session, statement, list(_FRAME), True)

    def _checked_columns(self, finding: Finding) -> dict[str, Any]:
        """The columns a check sets, the location as a geometry of the cadastral CRS."""
        location = finding.location
        geom = None if location is None else from_shape(location, srid=self.srid)
        return {name: getattr(finding, name) for name in _CHECKED} | {"geom": geom}


def _found(row: FindingRow | None, finding_id: int) -> Finding:
    if row is None:
        raise NotFoundError(
            f"no finding {finding_id}",
            field="finding_id",
            value=finding_id,
            detail_vi=f"không có phát hiện {finding_id}",
        )
    return _from_row(row)


def _from_row(row: FindingRow) -> Finding:
    return Finding(
        rule=row.rule,
        severity=row.severity,
        subjects=row.subjects,
        message_vi=row.message_vi,
        message_en=row.message_en,
        fingerprint=row.fingerprint,
        commune_code=row.commune_code,
        location=None if row.geom is None else to_shape(row.geom),
        measured=row.measured,
        suggestion=row.suggestion,
        status=row.status,
        id=row.id,
        version=row.version,
        created_at=row.created_at,
        closed_at=row.closed_at,
        resolution=row.resolution,
        resolved_by=row.resolved_by,
        opened_batch_id=row.opened_batch_id,
        closed_batch_id=row.closed_batch_id,
    )
