"""What dossier statistics read, in bulk: dossiers, their histories, the remote communes."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from landreg.domain.dossier import HELD_LINKS
from landreg.store.tables import (
    AdminUnit,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRow,
)


class DossierStatsRepository:
    """Read-only frames of dossiers and events, filtered by office and procedure in SQL."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _frame(self, statement: Any) -> pd.DataFrame:
        result = self.session.execute(statement)
        return pd.DataFrame(result.all(), columns=list(result.keys()))

    @staticmethod
    def _filtered(statement: Any, office: str | None, procedure: str | None) -> Any:
        if office is not None:
            statement = statement.where(DossierRow.office == office)
        if procedure is not None:
            statement = statement.where(DossierRow.procedure == procedure)
        return statement

    def dossiers(self, *, office: str | None = None, procedure: str | None = None) -> pd.DataFrame:
        """One row per dossier: code, procedure, status, office, commune as written, receipt,
        the source's due date, the applicant's name (for apology letters only) and the commune
        of the parcel it is linked to (``linked_commune``, None when not linked)."""
        linked = (
            select(
                DossierParcelLinkRow.dossier_id,
                func.min(ParcelRow.commune_code).label("linked_commune"),
            )
            .join(ParcelRow, ParcelRow.id == DossierParcelLinkRow.parcel_id)
            .where(DossierParcelLinkRow.status.in_(HELD_LINKS))
            .group_by(DossierParcelLinkRow.dossier_id)
            .subquery()
        )
        table = DossierRow
        statement = select(
            table.id, table.code, table.procedure, table.status, table.office,
            table.declared_commune, table.received_at, table.due_on, table.applicant_name,
            linked.c.linked_commune,
        ).outerjoin(linked, linked.c.dossier_id == table.id)  # fmt: skip
        return self._frame(self._filtered(statement, office, procedure).order_by(table.id))

    def events(self, *, office: str | None = None, procedure: str | None = None) -> pd.DataFrame:
        """Every status change of the dossiers, in time order per dossier: dossier_id, at,
        to_status, step, note."""
        event = DossierEventRow
        statement = select(
            event.dossier_id, event.at, event.to_status, event.step, event.note
        ).join(DossierRow, DossierRow.id == event.dossier_id)
        statement = self._filtered(statement, office, procedure)
        return self._frame(statement.order_by(event.dossier_id, event.at, event.id))

    def remote_communes(self) -> frozenset[str]:
        """Codes of the communes flagged remote, whose deadlines get extra working days."""
        return frozenset(
            self.session.scalars(select(AdminUnit.code).where(AdminUnit.remote.is_(True)))
        )
