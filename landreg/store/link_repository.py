"""Dossiers and their parcel links as columns, for linking many at once."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from landreg.store.bulk import insert_frame
from landreg.store.tables import (
    Base,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
)

DECIDED = ("confirmed", "rejected")


class DossierRepository:
    """Frames of what linking reads, and the links it writes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _frame(self, statement: Any) -> pd.DataFrame:
        result = self.session.execute(statement)
        return pd.DataFrame(result.all(), columns=list(result.keys()))

    def dossiers(self, ids: list[int] | None = None) -> pd.DataFrame:
        """The parcel reference and applicant of each dossier (of ``ids``, or all)."""
        table = DossierRow
        statement = select(
            table.id, table.code, table.procedure, table.applicant_name,
            table.applicant_identity, table.declared_commune, table.declared_map_sheet,
            table.declared_parcel_number, table.declared_serial,
        )  # fmt: skip
        if ids is not None:
            statement = statement.where(table.id.in_(ids))
        return self._frame(statement.order_by(table.id))

    def parcels(self, where: Any = None) -> pd.DataFrame:
        """Keys, old keys and commune of every current parcel (or those ``where`` selects)."""
        table = ParcelRow
        statement = select(
            table.id,
            table.commune_code,
            table.map_sheet,
            table.parcel_number,
            table.old_map_sheet,
            table.old_parcel_number,
        )
        if where is not None:
            statement = statement.where(where)
        return self._frame(statement)

    def holders(self, parcel_ids: list[int] | None = None) -> pd.DataFrame:
        """One row per register entry linked to a parcel (of ``parcel_ids``, or all): holder
        and certificate."""
        entry = RegisterEntryRow
        statement = select(
            ParcelRegisterLinkRow.parcel_id,
            entry.identity_number,
            entry.holder_name,
            entry.certificate_serial,
        ).join(entry, entry.id == ParcelRegisterLinkRow.register_entry_id)
        if parcel_ids is not None:
            statement = statement.where(ParcelRegisterLinkRow.parcel_id.in_(parcel_ids))
        return self._frame(statement)

    def decided(self) -> set[int]:
        """Dossiers an officer has confirmed a link of: linking leaves them alone."""
        return set(
            self.session.scalars(
                select(DossierParcelLinkRow.dossier_id).where(
                    DossierParcelLinkRow.status == "confirmed"
                )
            )
        )

    def replace_links(self, dossier_ids: list[int], links: pd.DataFrame) -> None:
        """The undecided links of these dossiers, as just computed (one row per link, columns
        named as the table's); officers' decisions stay, and a rejected pair is not offered
        again. Stored in bulk (``COPY`` on PostGIS)."""
        table = DossierParcelLinkRow
        rejected = pd.DataFrame(
            self.session.execute(
                select(table.dossier_id, table.parcel_id).where(table.status == "rejected")
            ).all(),
            columns=["dossier_id", "parcel_id"],
        )
        for start in range(0, len(dossier_ids), 5000):
            self.session.execute(
                delete(table).where(
                    table.dossier_id.in_(dossier_ids[start : start + 5000]),
                    table.status.not_in(DECIDED),
                )
            )
        fresh = links.merge(rejected, how="left", indicator=True)
        fresh = fresh[fresh["_merge"] == "left_only"].drop(columns="_merge")
        insert_frame(self.session, Base.metadata.tables["dossier_parcel_link"], fresh)
