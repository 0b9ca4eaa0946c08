"""The national parcel identifiers of current parcels: read as columns, written in bulk.

Assigning an identifier is not a change of the parcel as a person recorded it, so it makes no
new version: the current row gets the identifier, and every later version carries it into
history like any other column. On PostGIS the identifiers are copied into a temporary table
(binary ``COPY``) and set with one ``UPDATE … FROM``; on SpatiaLite by batched ``UPDATE``s.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    not_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from landreg.store.bulk import insert_frame
from landreg.store.tables import HISTORY_TABLES, Base, ParcelRow

_CHUNK = 5_000
_COLUMNS = (
    "id", "national_id", "delivered_national_id", "commune_code", "map_sheet", "parcel_number",
    "source_name", "source_key", "source_row",
)  # fmt: skip
_STAGED = Table(
    "national_id_staged",
    MetaData(),
    Column("parcel_id", Integer),
    Column("national_id", String(12)),
    prefixes=["TEMPORARY"],
)


class NationalIdRepository:
    """Current parcels' identifiers, and storing newly assigned ones."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def identifiers(self) -> pd.DataFrame:
        """Every current parcel's ``id``, ``national_id``, ``delivered_national_id`` and what
        names it in a finding (key and source; the whole register: identifiers are unique
        across communes)."""
        table = ParcelRow.__table__
        rows = self.session.execute(
            select(*[table.c[name] for name in _COLUMNS]).order_by(table.c.id)
        ).all()
        return pd.DataFrame(rows, columns=list(_COLUMNS))

    def ended_identifiers(self) -> set[str]:
        """The identifiers parcels that ended (retired into history) held: never given
        again."""
        history = HISTORY_TABLES["parcel"]
        current = ParcelRow.__table__
        statement = (
            select(history.c.national_id)
            .where(
                history.c.national_id.is_not(None),
                not_(select(current.c.id).where(current.c.id == history.c.id).exists()),
            )
            .distinct()
        )
        return {str(value) for value in self.session.scalars(statement)}

    def parcel_with(self, national_id: str) -> int | None:
        """The current parcel holding ``national_id``, if any."""
        return self.session.scalar(
            select(ParcelRow.id).where(ParcelRow.national_id == national_id).limit(1)
        )

    def assign(self, identifiers: pd.DataFrame) -> None:
        """Set ``national_id`` of the parcels in ``identifiers`` (columns ``parcel_id``,
        ``national_id``; a None clears it)."""
        if identifiers.empty:
            return
        table = Base.metadata.tables["parcel"]
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS national_id_staged "
                    "(parcel_id integer, national_id varchar(12)) ON COMMIT DROP"
                )
            )
            self.session.execute(text("TRUNCATE national_id_staged"))
            insert_frame(self.session, _STAGED, identifiers[["parcel_id", "national_id"]])
            self.session.execute(
                text(
                    "UPDATE parcel SET national_id = s.national_id FROM national_id_staged s "
                    "WHERE parcel.id = s.parcel_id"
                )
            )
            return
        statement = (
            update(table)
            .where(table.c.id == bindparam("parcel_id"))
            .values(national_id=bindparam("new_id"))
        )
        rows = [
            {"parcel_id": int(p), "new_id": n}
            for p, n in zip(identifiers["parcel_id"], identifiers["national_id"], strict=True)
        ]
        connection = self.session.connection()
        for start in range(0, len(rows), _CHUNK):
            connection.execute(statement, rows[start : start + _CHUNK])
