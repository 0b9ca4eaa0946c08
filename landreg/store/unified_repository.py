"""The unified register's records (rights, certificates, restrictions, the parcel's legal
fields) read as frames and written in bulk, versioned like every other record.

A change first copies the current rows to ``<table>_history`` (ending at the change), then
updates them with ``version + 1``: one ``INSERT … SELECT`` and one ``UPDATE`` per chunk of
rows, never one statement per record loaded through the ORM. A record the registers no
longer give is retired: its last version goes to history and the current row is removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Table, bindparam, delete, insert, literal, select, update
from sqlalchemy.orm import Session

from landreg.store.reconcile_repository import read_frame
from landreg.store.tables import (
    HISTORY_TABLES,
    VERSIONED_TABLES,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
    SourceBatchRow,
)

CHUNK = 5000

# The columns of each record the unified register keeps, besides id, parcel_id and sources.
RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "land_right": ("party_id", "kind", "share_percent", "land_use_code"),
    "certificate": ("serial", "issued_on", "book_entry", "status"),
    "restriction": ("kind", "holder", "registered_on"),
}
ENTRY_DETAILS = (
    "id", "source_name", "source_row", "source_batch_id", "holder_kind", "share_percent",
    "land_use_code", "legal_area", "certificate_serial", "issued_on", "book_entry",
    "mortgage_holder", "mortgage_on", "seizure_text",
)  # fmt: skip


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class UnifiedRepository:
    """Rights, certificates and restrictions made from the registers, in bulk."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def entry_details(self, communes: Sequence[str]) -> pd.DataFrame:
        """The fields a record is made of, of the register entries linked to the parcels of
        ``communes``, with the date their delivery's data is as of (``data_as_of``)."""
        entry = RegisterEntryRow.__table__
        linked = (
            select(ParcelRegisterLinkRow.register_entry_id)
            .join(ParcelRow, ParcelRow.id == ParcelRegisterLinkRow.parcel_id)
            .where(ParcelRow.commune_code.in_(list(communes)))
        )
        names = [*ENTRY_DETAILS, "data_as_of"]
        statement = (
            select(*[entry.c[name] for name in ENTRY_DETAILS], SourceBatchRow.data_as_of)
            .outerjoin(SourceBatchRow, SourceBatchRow.id == entry.c.source_batch_id)
            .where(entry.c.id.in_(linked))
        )
        return read_frame(self.session, statement, names, False)

    def records(self, table_name: str, communes: Sequence[str]) -> pd.DataFrame:
        """The current records of the parcels of ``communes`` made from the registers
        (``sources`` set); records an officer entered by hand are not the registers' to
        change."""
        table = VERSIONED_TABLES[table_name]
        names = ["id", "version", "parcel_id", *RECORD_COLUMNS[table_name], "sources"]
        parcels = select(ParcelRow.id).where(ParcelRow.commune_code.in_(list(communes)))
        statement = select(*[table.c[name] for name in names]).where(
            table.c.parcel_id.in_(parcels), table.c.sources.is_not(None)
        )
        return read_frame(self.session, statement, names, False)

    def parcel_fields(self, communes: Sequence[str]) -> pd.DataFrame:
        """The legal area and land use of the parcels of ``communes`` and where their fields
        came from."""
        table = VERSIONED_TABLES["parcel"]
        names = ["id", "version", "legal_area", "legal_land_use_code", "sources"]
        statement = select(*[table.c[name] for name in names]).where(
            table.c.commune_code.in_(list(communes))
        )
        return read_frame(self.session, statement, names, False)

    def add(self, table_name: str, rows: list[dict[str, Any]], *, actor: str, at: datetime) -> None:
        """New records, at version 1."""
        table = VERSIONED_TABLES[table_name]
        stamped = [row | {"version": 1, "valid_from": at, "changed_by": actor} for row in rows]
        for chunk in _chunks(stamped):
            self.session.execute(insert(table), list(chunk))

    def change(
        self, table_name: str, rows: list[dict[str, Any]], *, actor: str, at: datetime
    ) -> int:
        """New versions of these records (each row: ``id``, the ``version`` it was read at
        and the new values, the same keys in every row); the versions they replace go to
        history, ending at ``at``. The rows are locked first; one changed meanwhile by
        someone else is left as it is (the next reconciliation looks again). Returns how
        many records got a new version."""
        table = VERSIONED_TABLES[table_name]
        locked: dict[int, int] = {}
        for chunk in _chunks([int(row["id"]) for row in rows]):
            found = self.session.execute(
                select(table.c.id, table.c.version).where(table.c.id.in_(chunk)).with_for_update()
            ).all()
            locked |= {int(i): int(v) for i, v in found}
        rows = [row for row in rows if locked.get(int(row["id"])) == int(row["version"])]
        if not rows:
            return 0
        self._archive(table_name, [int(row["id"]) for row in rows], at)
        names = [name for name in rows[0] if name not in ("id", "version")]
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                {name: bindparam(f"new_{name}") for name in names}
                | {"version": table.c.version + 1, "valid_from": at, "changed_by": actor}
            )
        )
        params = [{"row_id": row["id"]} | {f"new_{n}": row[n] for n in names} for row in rows]
        for chunk in _chunks(params):
            self.session.connection().execute(statement, list(chunk))
        return len(rows)

    def fill(self, table_name: str, rows: list[dict[str, Any]]) -> None:
        """Values recorded for the first time, or only a newer delivery confirming a value,
        written in place: no earlier value is replaced, so no version is made. A record
        changed meanwhile (its ``version`` moved on) is left to the next reconciliation."""
        if not rows:
            return
        table = VERSIONED_TABLES[table_name]
        names = [name for name in rows[0] if name not in ("id", "version")]
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("row_version"))
            .values({name: bindparam(f"new_{name}") for name in names})
        )
        params = [
            {"row_id": row["id"], "row_version": row["version"]}
            | {f"new_{n}": row[n] for n in names}
            for row in rows
        ]
        for chunk in _chunks(params):
            self.session.connection().execute(statement, list(chunk))

    def retire(self, table_name: str, ids: Sequence[int], *, at: datetime) -> None:
        """Records the registers no longer give: their last version goes to history."""
        if not ids:
            return
        table = VERSIONED_TABLES[table_name]
        self._archive(table_name, ids, at)
        for chunk in _chunks(list(ids)):
            self.session.execute(delete(table).where(table.c.id.in_([int(i) for i in chunk])))

    def _archive(self, table_name: str, ids: Sequence[int], at: datetime) -> None:
        current: Table = VERSIONED_TABLES[table_name]
        history = HISTORY_TABLES[table_name]
        names = [column.name for column in current.columns]
        for chunk in _chunks(list(ids)):
            self.session.execute(
                insert(history).from_select(
                    [*names, "valid_to"],
                    select(*[current.c[n] for n in names], literal(at).label("valid_to")).where(
                        current.c.id.in_([int(i) for i in chunk])
                    ),
                )
            )

    def of_parcel(self, parcel_id: int) -> dict[str, list[dict[str, Any]]]:
        """The parcel's current rights (with the party's name, kind, identity number and
        birth year), certificates and restrictions, in the order they were recorded."""
        right = VERSIONED_TABLES["land_right"]
        party = VERSIONED_TABLES["party"]
        rights = self.session.execute(
            select(
                right.c.id,
                right.c.party_id,
                right.c.kind.label("right_kind"),
                right.c.share_percent,
                right.c.land_use_code,
                right.c.term_until,
                right.c.sources,
                party.c.name,
                party.c.kind,
                party.c.identity_number,
                party.c.birth_year,
            )
            .join(party, party.c.id == right.c.party_id)
            .where(right.c.parcel_id == parcel_id)
            .order_by(right.c.id)
        ).mappings()
        found = {"rights": [dict(row) for row in rights]}
        for name in ("certificate", "restriction"):
            table = VERSIONED_TABLES[name]
            rows = self.session.execute(
                select(table).where(table.c.parcel_id == parcel_id).order_by(table.c.id)
            ).mappings()
            found[f"{name}s"] = [dict(row) for row in rows]
        return found

    def parcel_sources(self, parcel_id: int) -> dict[str, Any] | None:
        """Where the parcel's register fields came from (``parcel.sources``)."""
        table = VERSIONED_TABLES["parcel"]
        return self.session.scalar(select(table.c.sources).where(table.c.id == parcel_id))

    def parcels_with_certificate(self, serials: Sequence[str]) -> list[int]:
        """The parcels holding a current certificate with one of these serials."""
        table = VERSIONED_TABLES["certificate"]
        found = self.session.scalars(
            select(table.c.parcel_id)
            .where(table.c.serial.in_(list(serials)), table.c.parcel_id.is_not(None))
            .distinct()
        )
        return sorted(int(i) for i in found)
