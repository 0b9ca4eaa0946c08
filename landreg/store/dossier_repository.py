"""Dossiers: one dossier with its documents and history, read as domain objects and changed
under its version; and the dossiers a pre-check or the review queue asks for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from landreg.domain.dossier import HELD_LINKS, DocumentRequest, Dossier, StatusChange
from landreg.domain.intake import Application
from landreg.errors import ConflictError, NotFoundError
from landreg.store.dossier_search import DossierSearch, dossier_of
from landreg.store.tables import (
    DossierDocumentRequestRow,
    DossierDocumentRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
)


class DossierRepository(DossierSearch):
    """Dossiers and their children (documents, events, requests for documents); adds,
    changes and searches (:class:`DossierSearch`), never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Dossier:
        """The dossier with this receipt code (as stored: upper case); raises
        :class:`NotFoundError`."""
        return _dossier(self._row(select(DossierRow).where(DossierRow.code == code), code))

    def get_for_update(self, code: str) -> Dossier:
        """The dossier, locked (``FOR UPDATE``) until the unit of work ends and read afresh,
        so that its version can be checked before it is changed. The caller begins writing
        first (on SpatiaLite the write lock is what locks the row)."""
        statement = (
            select(DossierRow)
            .where(DossierRow.code == code)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return _dossier(self._row(statement, code))

    def _row(self, statement: Select[Any], code: str) -> DossierRow:
        row: DossierRow | None = self.session.scalar(statement)
        if row is None:
            raise NotFoundError(
                f"no dossier {code}", field="code", value=code, detail_vi=f"không có hồ sơ {code}"
            )
        return row

    def exists(self, code: str) -> bool:
        """Whether a dossier has this receipt code."""
        found = self.session.scalar(select(DossierRow.id).where(DossierRow.code == code))
        return found is not None

    def count_codes_starting(self, prefix: str) -> int:
        """How many dossiers have a receipt code starting with ``prefix``."""
        taken = self.session.scalar(
            select(func.count()).select_from(DossierRow).where(DossierRow.code.like(f"{prefix}%"))
        )
        return taken or 0

    def add(
        self,
        application: Application,
        *,
        code: str,
        office: str,
        phone: str | None,
        status: str,
        due_on: date | None,
    ) -> Dossier:
        """Add a dossier received at the counter (without its documents and history)."""
        row = DossierRow(
            code=code, procedure=application.procedure, status=status, office=office,
            applicant_name=application.applicant_name,
            applicant_identity=application.applicant_identity, applicant_phone=phone,
            applicant_previous_identity=application.applicant_previous_identity,
            declared_commune=application.commune, declared_map_sheet=application.map_sheet,
            declared_parcel_number=application.parcel_number, declared_serial=application.serial,
            declared_area=application.declared_area,
            declared_land_use=application.declared_land_use,
            requested_land_use=application.requested_land_use,
            received_at=application.received_at, due_on=due_on, source_name="counter",
            source_key=code, version=1,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return _dossier(row)

    def add_history(self, dossier_id: int, changes: Iterable[StatusChange]) -> None:
        """Add steps to a dossier's history."""
        for change in changes:
            self.session.add(
                DossierEventRow(
                    dossier_id=dossier_id, at=change.at, actor=change.actor,
                    from_status=change.from_status, to_status=change.to_status,
                    step=change.step, note=change.note,
                )
            )  # fmt: skip

    def add_documents(
        self, dossier_id: int, documents: Iterable[str], received_at: datetime
    ) -> None:
        """Add the documents a dossier was handed in with."""
        for document in documents:
            self.session.add(
                DossierDocumentRow(
                    dossier_id=dossier_id, document_code=document, received_at=received_at
                )
            )

    def set_status(
        self,
        dossier_id: int,
        status: str,
        *,
        processed_on: date | None = None,
        returned_on: date | None = None,
    ) -> Dossier:
        """Change the status of a dossier read by :meth:`get_for_update` (and the day it was
        processed or returned, when given); its version goes up by one, guarded by the ORM's
        version check: a dossier changed meanwhile raises :class:`ConflictError`."""
        row = self.session.get(DossierRow, dossier_id)
        if row is None:
            raise NotFoundError(
                f"no dossier {dossier_id}",
                field="id",
                value=str(dossier_id),
                detail_vi=f"không có hồ sơ {dossier_id}",
            )
        row.status = status
        if processed_on is not None:
            row.processed_on = processed_on
        if returned_on is not None:
            row.returned_on = returned_on
        try:
            self.session.flush()
        except StaleDataError:
            raise ConflictError(
                f"dossier {row.code} changed meanwhile; reload it",
                field="expected_version",
                detail_vi=f"hồ sơ {row.code} vừa được người khác thay đổi; hãy tải lại",
            ) from None
        return _dossier(row)

    def documents(self, dossier_id: int) -> tuple[str, ...]:
        """The codes of the documents the dossier came with."""
        return tuple(
            self.session.scalars(
                select(DossierDocumentRow.document_code).where(
                    DossierDocumentRow.dossier_id == dossier_id
                )
            ).all()
        )

    def history(self, dossier_id: int) -> tuple[StatusChange, ...]:
        """The dossier's status changes, in time order."""
        rows = self.session.scalars(
            select(DossierEventRow)
            .where(DossierEventRow.dossier_id == dossier_id)
            .order_by(DossierEventRow.at, DossierEventRow.id)
        ).all()
        return tuple(
            StatusChange(e.at, e.actor, e.from_status, e.to_status, e.note, e.step) for e in rows
        )

    def application(self, dossier: Dossier) -> Application:
        """The dossier as it was handed in: what the form said, and its documents."""
        row = self.session.get(DossierRow, dossier.id)
        if row is None:
            raise NotFoundError(
                f"no dossier {dossier.code}",
                field="code",
                value=dossier.code,
                detail_vi=f"không có hồ sơ {dossier.code}",
            )
        documents = self.documents(row.id)
        return Application(
            row.procedure, row.received_at, row.applicant_name, row.applicant_identity,
            row.declared_commune, row.declared_map_sheet, row.declared_parcel_number,
            row.declared_serial, row.declared_area, row.declared_land_use, row.requested_land_use,
            documents, row.applicant_previous_identity,
        )  # fmt: skip

    def awaiting_review(self, limit: int) -> list[Dossier]:
        """Dossiers with a candidate parcel waiting for an officer, oldest first."""
        rows = self.session.scalars(
            select(DossierRow)
            .where(DossierRow.id.in_(
                select(DossierParcelLinkRow.dossier_id)
                .where(DossierParcelLinkRow.status == "review")
            ))
            .order_by(DossierRow.received_at)
            .limit(limit)
        ).all()  # fmt: skip
        return [_dossier(row) for row in rows]

    def open_on_parcel(
        self, parcel_id: int, at: datetime, *, excluding: int | None, closing: Sequence[str]
    ) -> list[str]:
        """Codes of the dossiers linked to the parcel, received before ``at`` and still open
        then (no event before ``at`` moved them to a ``closing`` status), oldest first;
        ``excluding`` a dossier's own id. One query."""
        closed = (
            select(DossierEventRow.id)
            .where(
                DossierEventRow.dossier_id == DossierRow.id,
                DossierEventRow.at <= at,
                DossierEventRow.to_status.in_(closing),
            )
            .exists()
        )
        return list(
            self.session.scalars(
                select(DossierRow.code)
                .join(DossierParcelLinkRow, DossierParcelLinkRow.dossier_id == DossierRow.id)
                .where(
                    DossierParcelLinkRow.parcel_id == parcel_id,
                    DossierParcelLinkRow.status.in_(HELD_LINKS),
                    DossierRow.received_at <= at,
                    DossierRow.id != (excluding or -1),
                    ~closed,
                )
                .order_by(DossierRow.received_at)
            )
        )

    def add_request(
        self,
        dossier_id: int,
        items: Sequence[str],
        *,
        note: str | None,
        requested_at: datetime,
        requested_by: str,
    ) -> DocumentRequest:
        """Record an officer's request for documents, open."""
        row = DossierDocumentRequestRow(
            dossier_id=dossier_id, items=list(items), note=note, requested_at=requested_at,
            requested_by=requested_by,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return _request(row)

    def requests(self, dossier_id: int) -> tuple[DocumentRequest, ...]:
        """The dossier's requests for documents, oldest first."""
        rows = self.session.scalars(
            select(DossierDocumentRequestRow)
            .where(DossierDocumentRequestRow.dossier_id == dossier_id)
            .order_by(DossierDocumentRequestRow.requested_at, DossierDocumentRequestRow.id)
        )
        return tuple(_request(row) for row in rows)

    def close_requests(self, dossier_id: int, at: datetime) -> tuple[DocumentRequest, ...]:
        """Close the dossier's open requests at ``at``; the requests closed."""
        rows = self.session.scalars(
            select(DossierDocumentRequestRow).where(
                DossierDocumentRequestRow.dossier_id == dossier_id,
                DossierDocumentRequestRow.closed_at.is_(None),
            )
        ).all()
        for row in rows:
            row.closed_at = at
        self.session.flush()
        return tuple(_request(row) for row in rows)


_dossier = dossier_of


def _request(row: DossierDocumentRequestRow) -> DocumentRequest:
    return DocumentRequest(
        row.id, row.dossier_id, tuple(row.items), row.note, row.requested_at, row.requested_by,
        row.closed_at,
    )  # fmt: skip
