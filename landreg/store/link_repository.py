"""Dossier–parcel links: the columns linking reads in bulk, the links it writes, and an
officer's decisions on one dossier's links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from landreg.domain.dossier import ParcelLink
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


class LinkRepository:
    """Frames of what linking reads, the links it writes, and links as read models."""

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

    def parcels(self) -> pd.DataFrame:
        """Keys, old keys and commune of every current parcel."""
        return self._parcels(None)

    def _parcels(self, where: Any) -> pd.DataFrame:
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

    def nearby(
        self,
        *,
        commune_code: str | None,
        sheet: int | None,
        identity: str | None,
        serials: Sequence[str],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Parcels of the commune and sheet (current or old), and those the applicant's
        ``identity`` or a certificate serial (as ``serials`` spell it) points at, with their
        holders: what one application could mean."""
        wanted: list[ColumnElement[bool]] = []
        if commune_code is not None and sheet is not None:
            wanted.append(
                (ParcelRow.commune_code == commune_code)
                & or_(ParcelRow.map_sheet == sheet, ParcelRow.old_map_sheet == sheet)
            )
        pointers: list[ColumnElement[bool]] = []
        if identity is not None:
            pointers.append(RegisterEntryRow.identity_number == identity)
        if serials:
            pointers.append(RegisterEntryRow.certificate_serial.in_(list(serials)))
        if pointers:
            wanted.append(
                ParcelRow.id.in_(
                    select(ParcelRegisterLinkRow.parcel_id)
                    .join(
                        RegisterEntryRow,
                        RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id,
                    )
                    .where(or_(*pointers))
                )
            )
        if not wanted:
            return self.parcels().iloc[0:0], self.holders().iloc[0:0]
        parcels = self._parcels(or_(*wanted))
        return parcels, self.holders(parcels["id"].tolist())

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

    def add(
        self,
        dossier_id: int,
        parcel_id: int,
        *,
        status: str,
        method: str,
        confidence: float,
        explanation: str | None,
        decided_by: str | None = None,
        decided_at: datetime | None = None,
    ) -> None:
        """Add one link of a dossier (stored with the unit of work's next flush)."""
        self.session.add(
            DossierParcelLinkRow(
                dossier_id=dossier_id, parcel_id=parcel_id, status=status, method=method,
                confidence=confidence, explanation=explanation, decided_by=decided_by,
                decided_at=decided_at,
            )
        )  # fmt: skip

    def of_dossier(self, dossier_id: int) -> list[ParcelLink]:
        """The dossier's links and candidates, most confident first."""
        rows = self.session.scalars(
            select(DossierParcelLinkRow)
            .where(DossierParcelLinkRow.dossier_id == dossier_id)
            .order_by(DossierParcelLinkRow.confidence.desc())
        ).all()
        return self._with_keys(rows)

    def lock_dossier_links(self, link_id: int) -> list[ParcelLink] | None:
        """Every link of the dossier ``link_id`` belongs to, locked (``FOR UPDATE``, in id
        order, so that two decisions never wait on each other) until the unit of work ends and
        read afresh; None when no link has this id. The caller begins writing first."""
        dossier_id = self.session.scalar(
            select(DossierParcelLinkRow.dossier_id).where(DossierParcelLinkRow.id == link_id)
        )
        if dossier_id is None:
            return None
        rows = self.session.scalars(
            select(DossierParcelLinkRow)
            .where(DossierParcelLinkRow.dossier_id == dossier_id)
            .order_by(DossierParcelLinkRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        return self._with_keys(rows)

    def decide(self, link_ids: Iterable[int], status: str, *, actor: str, at: datetime) -> None:
        """Record an officer's decision on links locked by :meth:`lock_dossier_links`."""
        for link_id in link_ids:
            row = self.session.get(DossierParcelLinkRow, link_id)
            if row is None:
                raise LookupError(f"link {link_id} was not locked in this unit of work")
            row.status, row.decided_by, row.decided_at = status, actor, at

    def _with_keys(self, rows: Sequence[DossierParcelLinkRow]) -> list[ParcelLink]:
        """The links as read models, with the key of each one's parcel."""
        keys = self._parcel_keys({row.parcel_id for row in rows})
        return [_link(row, keys.get(row.parcel_id, "?")) for row in rows]

    def _parcel_keys(self, parcel_ids: set[int]) -> dict[int, str]:
        """``commune-sheet-number`` of each of these parcels that is current."""
        if not parcel_ids:
            return {}
        found = self.session.execute(
            select(
                ParcelRow.id, ParcelRow.commune_code, ParcelRow.map_sheet, ParcelRow.parcel_number
            ).where(ParcelRow.id.in_(sorted(parcel_ids)))
        )
        return {row_id: f"{commune}-{sheet}-{number}" for row_id, commune, sheet, number in found}


def _link(row: DossierParcelLinkRow, parcel_key: str) -> ParcelLink:
    return ParcelLink(
        row.id, row.dossier_id, row.parcel_id, parcel_key, row.method, row.confidence,
        row.explanation, row.status,
    )  # fmt: skip
