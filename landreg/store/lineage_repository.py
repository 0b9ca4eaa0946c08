"""Parcel lineage: the parcels that ended (current table vs history), and the links kept.

A parcel that ended is a parcel whose id is in ``parcel_history`` and no longer in ``parcel``;
its last history row is how it was when it ended (``valid_to`` is when).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, insert, not_, select, update
from sqlalchemy.orm import Session

from landreg.store.reconcile_repository import read_frame
from landreg.store.tables import HISTORY_TABLES, ParcelLineageRow, ParcelRow

_ENDED_COLUMNS = [
    "id", "commune_code", "map_sheet", "parcel_number", "national_id", "valid_from", "valid_to",
]  # fmt: skip
_CHUNK = 5_000


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [[int(i) for i in ids[s : s + _CHUNK]] for s in range(0, len(ids), _CHUNK)]


class LineageRepository:
    """Reads for finding lineage, and the lineage links themselves."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ended(self, communes: list[str] | None = None) -> pd.DataFrame:
        """Parcels that ended (retired into history), as they were when they ended, with
        their boundary (``geometry``)."""
        history = HISTORY_TABLES["parcel"]
        current = ParcelRow.__table__
        last = (
            select(history.c.id, func.max(history.c.valid_to).label("ended"))
            .where(not_(select(current.c.id).where(current.c.id == history.c.id).exists()))
            .group_by(history.c.id)
            .subquery()
        )
        statement = select(
            *[history.c[name] for name in _ENDED_COLUMNS], func.ST_AsBinary(history.c.geom)
        ).join(last, and_(last.c.id == history.c.id, last.c.ended == history.c.valid_to))
        if communes:
            statement = statement.where(history.c.commune_code.in_(communes))
        frame = read_frame(self.session, statement.order_by(history.c.id), _ENDED_COLUMNS, True)
        return frame.drop_duplicates("id", keep="last").reset_index(drop=True)

    def parent_refs(self, ids: Sequence[int]) -> pd.DataFrame:
        """``id``, ``parent_ref``, ``source_name`` and ``valid_from`` of the current parcels
        among ``ids`` whose delivery named a parent."""
        table = ParcelRow.__table__
        columns = ["id", "parent_ref", "source_name", "valid_from"]
        rows: list[Any] = []
        for chunk in _chunks(ids):
            rows += self.session.execute(
                select(*[table.c[c] for c in columns]).where(
                    table.c.id.in_(chunk), table.c.parent_ref.is_not(None)
                )
            ).all()
        return pd.DataFrame(rows, columns=columns)

    def created(self, ids: Sequence[int]) -> dict[int, Any]:
        """When each of these current parcels first entered the register (the start of its
        first version)."""
        table, history = ParcelRow.__table__, HISTORY_TABLES["parcel"]
        found: dict[int, Any] = {}
        for chunk in _chunks(ids):
            for row_id, start in self.session.execute(
                select(table.c.id, table.c.valid_from).where(table.c.id.in_(chunk))
            ):
                found[int(row_id)] = start
            for row_id, start in self.session.execute(
                select(history.c.id, func.min(history.c.valid_from))
                .where(history.c.id.in_(chunk))
                .group_by(history.c.id)
            ):
                if start is not None and start < found.get(int(row_id), start):
                    found[int(row_id)] = start
        return found

    def national_ids(self, ids: Sequence[int]) -> dict[int, str | None]:
        """The current identifiers of these current parcels."""
        table = ParcelRow.__table__
        found: dict[int, str | None] = {}
        for chunk in _chunks(ids):
            for row_id, national_id in self.session.execute(
                select(table.c.id, table.c.national_id).where(table.c.id.in_(chunk))
            ):
                found[int(row_id)] = national_id
        return found

    def links(self) -> pd.DataFrame:
        """Every lineage link."""
        table = ParcelLineageRow.__table__
        names = [column.name for column in table.columns]
        rows = self.session.execute(select(table).order_by(table.c.id)).all()
        return pd.DataFrame(rows, columns=names)

    def add(self, rows: list[dict[str, Any]]) -> None:
        """New links (columns as the table's)."""
        if rows:
            self.session.execute(insert(ParcelLineageRow), rows)

    def set_kinds(self, kinds: dict[int, str]) -> None:
        """Change the kind of these links (a second child found makes a split of a
        replacement)."""
        for link_id, kind in kinds.items():
            self.session.execute(
                update(ParcelLineageRow).where(ParcelLineageRow.id == link_id).values(kind=kind)
            )

    def children_of_identifier(self, national_id: str) -> list[str]:
        """The keys (with identifiers) of the parcels a parcel that held ``national_id``
        became, in the order they were recorded."""
        table = ParcelLineageRow.__table__
        rows = self.session.execute(
            select(table.c.child_key, table.c.child_national_id)
            .where(table.c.parent_national_id == national_id)
            .order_by(table.c.id)
        ).all()
        return [f"{key} ({child})" if child else str(key) for key, child in rows]

    def of_parcel(self, parcel_id: int) -> dict[str, list[dict[str, Any]]]:
        """The parcel's parents (what it came from) and children (what it became)."""
        table = ParcelLineageRow.__table__
        rows = self.session.execute(
            select(table)
            .where((table.c.child_id == parcel_id) | (table.c.parent_id == parcel_id))
            .order_by(table.c.id)
        ).mappings()
        found: dict[str, list[dict[str, Any]]] = {"parents": [], "children": []}
        for row in rows:
            link = dict(row)
            if link["child_id"] == parcel_id:
                found["parents"].append(link)
            if link["parent_id"] == parcel_id:
                found["children"].append(link)
        return found
