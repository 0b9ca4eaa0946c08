"""Current parcels with their unified records, read as frames a slice at a time for the export.

A slice is a run of parcel ids (keyset order, never ``OFFSET``); its rights (with the holder's
name and identity number), certificates and restrictions are read with one statement each,
limited to the same run of ids, so a whole province costs a few statements per slice and
never one per parcel. Geometry comes back as WKB and is decoded in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from landreg.store.reconcile_repository import read_frame
from landreg.store.tables import VERSIONED_TABLES

PARCEL_COLUMNS = (
    "id", "national_id", "commune_code", "map_sheet", "parcel_number", "old_map_sheet",
    "old_parcel_number", "legal_area", "land_use_code", "legal_land_use_code", "land_use_text",
    "address",
    "source_name", "source_key", "sources",
)  # fmt: skip
RIGHT_COLUMNS = ("parcel_id", "id", "share_percent", "sources")
PARTY_COLUMNS = ("name", "kind", "identity_number")
CERTIFICATE_COLUMNS = ("parcel_id", "id", "serial", "issued_on", "status", "sources")
RESTRICTION_COLUMNS = (
    "parcel_id", "id", "kind", "holder", "registered_on", "released_on", "sources",
)  # fmt: skip


class ParcelExportRepository:
    """Slices of current parcels, and the records of each slice, as frames."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def parcels(self, communes: Sequence[str] | None, *, after_id: int, limit: int) -> pd.DataFrame:
        """Up to ``limit`` current parcels (of ``communes``, or all) with ids above
        ``after_id``, in id order, with a ``geometry`` column (cadastral CRS)."""
        table = VERSIONED_TABLES["parcel"]
        statement = (
            select(*[table.c[name] for name in PARCEL_COLUMNS], func.ST_AsBinary(table.c.geom))
            .where(table.c.id > after_id, *self._in_communes(communes))
            .order_by(table.c.id)
            .limit(limit)
        )
        return read_frame(self.session, statement, list(PARCEL_COLUMNS), True)

    def rights(self, communes: Sequence[str] | None, first: int, last: int) -> pd.DataFrame:
        """The current rights of the parcels with ids from ``first`` to ``last`` (of
        ``communes``), with the holder's name, kind and identity number, in id order."""
        right, party = VERSIONED_TABLES["land_right"], VERSIONED_TABLES["party"]
        statement = (
            select(
                *[right.c[name] for name in RIGHT_COLUMNS],
                *[party.c[name] for name in PARTY_COLUMNS],
            )
            .join(party, party.c.id == right.c.party_id)
            .where(right.c.parcel_id.in_(self._slice(communes, first, last)))
            .order_by(right.c.parcel_id, right.c.id)
        )
        return read_frame(self.session, statement, [*RIGHT_COLUMNS, *PARTY_COLUMNS], False)

    def certificates(self, communes: Sequence[str] | None, first: int, last: int) -> pd.DataFrame:
        """The current certificates of the slice's parcels, in id order."""
        return self._records("certificate", CERTIFICATE_COLUMNS, communes, first, last)

    def restrictions(self, communes: Sequence[str] | None, first: int, last: int) -> pd.DataFrame:
        """The current mortgages, seizures and other restrictions of the slice's parcels."""
        return self._records("restriction", RESTRICTION_COLUMNS, communes, first, last)

    def _records(
        self,
        name: str,
        columns: Sequence[str],
        communes: Sequence[str] | None,
        first: int,
        last: int,
    ) -> pd.DataFrame:
        table = VERSIONED_TABLES[name]
        statement = (
            select(*[table.c[column] for column in columns])
            .where(table.c.parcel_id.in_(self._slice(communes, first, last)))
            .order_by(table.c.parcel_id, table.c.id)
        )
        return read_frame(self.session, statement, list(columns), False)

    def _slice(self, communes: Sequence[str] | None, first: int, last: int) -> Select[Any]:
        table = VERSIONED_TABLES["parcel"]
        return select(table.c.id).where(
            table.c.id >= first, table.c.id <= last, *self._in_communes(communes)
        )

    @staticmethod
    def _in_communes(communes: Sequence[str] | None) -> list[ColumnElement[bool]]:
        if communes is None:
            return []
        return [VERSIONED_TABLES["parcel"].c.commune_code.in_(list(communes))]
