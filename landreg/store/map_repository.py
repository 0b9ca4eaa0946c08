"""What the staff's map workbench reads beyond the published layers: how the register stands
(a revision number and the open findings counted), parcels by number (current, old, the
register's) and by address, a parcel's versions and the findings that named it.

Every read is one or two indexed statements, cheap enough for a page that asks every half
minute. The repository never writes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from landreg.domain.map_features import MapRevision, VersionNote
from landreg.store.tables import (
    HISTORY_TABLES,
    AuditRow,
    FindingRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
    SourceBatchRow,
)
from landreg.store.text_folding import folded

# How a parcel was found by its numbers (the service words each for the reader).
CURRENT, OLD, REGISTER, EARLIER = "current", "old", "register", "earlier"
_LIKE_ESCAPE = "\\"


class MapRepository:
    """Reads for the staff's map; see the module docstring."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def revision(self) -> MapRevision:
        """A number that changes with every change of a parcel or a finding, and the open
        findings by severity.

        The number digests what only grows when something changes: the newest audit entry
        (every staff action), parcel, earlier parcel version (every change and retirement),
        finding and batch, and the latest closing of a finding (reconciliation closes them
        without an audit entry); with the open counts, which reopened findings change.
        """
        history = HISTORY_TABLES["parcel"]
        newest = [
            select(func.max(column)).scalar_subquery()
            for column in (
                AuditRow.id, ParcelRow.id, history.c.history_id, FindingRow.id,
                SourceBatchRow.id, FindingRow.closed_at,
            )
        ]  # fmt: skip
        marks = self.session.execute(select(*newest)).one()
        counted = dict(
            self.session.execute(
                select(FindingRow.severity, func.count())
                .where(FindingRow.status == "open")
                .group_by(FindingRow.severity)
            ).all()
        )
        errors, warnings = int(counted.get("error", 0)), int(counted.get("warning", 0))
        total = sum(int(n) for n in counted.values())
        text = "|".join(str(mark) for mark in (*marks, errors, warnings, total))
        # 48 bits: a whole number a browser's JavaScript holds exactly
        number = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "big")
        return MapRevision(number, total, errors, warnings)

    def parcel_ids_by_numbers(
        self, commune: str | None, sheet: int, number: int, *, limit: int
    ) -> list[tuple[int, str]]:
        """Current parcels a sheet and parcel number (of ``commune``, or any) may mean, with how
        each was found: its numbers now (``current``), its numbers before a re-survey
        (``old``), the land register's numbers of an entry linked to it (``register``), or the
        numbers an earlier version of it had (``earlier``)."""
        history = HISTORY_TABLES["parcel"]
        entry = RegisterEntryRow

        def numbered(table: Any, sheet_column: str, number_column: str) -> ColumnElement[bool]:
            wanted = (getattr(table, sheet_column) == sheet) & (
                getattr(table, number_column) == number
            )
            return wanted if commune is None else wanted & (table.commune_code == commune)

        register = select(ParcelRegisterLinkRow.parcel_id).join(
            entry, entry.id == ParcelRegisterLinkRow.register_entry_id
        )
        earlier = select(history.c.id).where(numbered(history.c, "map_sheet", "parcel_number"))
        parcels = select(ParcelRow.id)
        statements: list[tuple[str, Select[Any]]] = [
            (CURRENT, parcels.where(numbered(ParcelRow, "map_sheet", "parcel_number"))),
            (OLD, parcels.where(numbered(ParcelRow, "old_map_sheet", "old_parcel_number"))),
            (REGISTER, register.where(or_(
                numbered(entry, "map_sheet", "parcel_number"),
                numbered(entry, "old_map_sheet", "old_parcel_number"),
            ))),
            (EARLIER, select(ParcelRow.id).where(ParcelRow.id.in_(earlier))),
        ]  # fmt: skip
        found: dict[int, str] = {}
        for how, statement in statements:
            first = statement.selected_columns[0]
            ids = self.session.scalars(statement.distinct().order_by(first).limit(limit))
            for parcel_id in ids:
                found.setdefault(int(parcel_id), how)
        return list(found.items())[:limit]

    def parcel_ids_by_address(self, words: list[str], *, limit: int) -> list[int]:
        """Current parcels whose address holds every one of ``words`` (already folded: lower
        case, no diacritics), compared without case or diacritics."""
        address = folded(ParcelRow.address)
        conditions = [
            address.like(f"%{_escaped(word)}%", escape=_LIKE_ESCAPE) for word in words if word
        ]
        if not conditions:
            return []
        statement = select(ParcelRow.id).where(*conditions).order_by(ParcelRow.id).limit(limit)
        return [int(i) for i in self.session.scalars(statement)]

    def parcel_bounds(self, parcel_ids: list[int]) -> dict[int, tuple[float, float, float, float]]:
        """The bounds (cadastral CRS) of those of ``parcel_ids`` that have a boundary."""
        if not parcel_ids:
            return {}
        box = func.ST_Envelope(ParcelRow.geom)
        if self.session.get_bind().dialect.name == "sqlite":
            corners: tuple[Any, ...] = (
                func.MbrMinX(box), func.MbrMinY(box), func.MbrMaxX(box), func.MbrMaxY(box),
            )  # fmt: skip
        else:
            corners = (func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box), func.ST_YMax(box))
        rows = self.session.execute(
            select(ParcelRow.id, *corners).where(
                ParcelRow.id.in_(parcel_ids), ParcelRow.geom.is_not(None)
            )
        )
        return {int(row[0]): (row[1], row[2], row[3], row[4]) for row in rows}

    def version_notes(self, parcel_id: int) -> list[VersionNote]:
        """Who made each version of the parcel and when, oldest first (the current last)."""
        history = HISTORY_TABLES["parcel"]
        columns = ("version", "valid_from", "changed_by", "source_batch_id")
        earlier = select(*(history.c[name] for name in columns), history.c.valid_to).where(
            history.c.id == parcel_id
        )
        current = select(
            *(ParcelRow.__table__.c[name] for name in columns),
            literal(None).label("valid_to"),
        ).where(ParcelRow.id == parcel_id)
        rows = self.session.execute(earlier.union_all(current).order_by("version")).all()
        return [
            VersionNote(int(row[0]), row[1], row[4], row[2], row[3])
            for row in rows  # history rows first: the current version is the newest
        ]

    def finding_ids_naming(self, parcel_id: int, *, status: str | None = None) -> list[int]:
        """Findings (of ``status``, or any) whose records include the parcel, in id order."""
        statement = select(FindingRow.id).where(self._names_parcel(parcel_id))
        if status is not None:
            statement = statement.where(FindingRow.status == status)
        return [int(i) for i in self.session.scalars(statement.order_by(FindingRow.id))]

    def _names_parcel(self, parcel_id: int) -> ColumnElement[bool]:
        if self.session.get_bind().dialect.name == "sqlite":
            each = func.json_each(FindingRow.subjects).table_valued("value")
            return exists(
                select(1)
                .select_from(each)
                .where(
                    func.json_extract(each.c.value, "$.table") == "parcel",
                    func.json_extract(each.c.value, "$.id") == parcel_id,
                )
            )
        wanted = cast([{"table": "parcel", "id": parcel_id}], JSONB)
        return cast(cast(FindingRow.subjects, JSON), JSONB).contains(wanted)


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
