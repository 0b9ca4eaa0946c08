"""Use cases on one dossier: receive it at the counter (with its pre-check), change its status.

Receiving runs the pre-check first: a dossier nothing blocks is received and its clock
starts; one something blocks is recorded as not received, with every reason at once, so the
citizen comes back once with everything. Status changes follow the portal's lifecycle only,
each an event with actor and time, guarded by the dossier's version so that two officers
updating one dossier at once cannot overwrite each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from landreg.domain import reference
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.dossier_workflow import DossierStatus, check_transition
from landreg.domain.identifiers import DossierCode
from landreg.domain.intake import Application, IntakeCheck
from landreg.errors import ConflictError, NotFoundError, ValidationError
from landreg.services.intake import check_application
from landreg.store.tables import (
    DossierDocumentRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
)
from landreg.store.unit_of_work import UnitOfWork
from spatial.planning import PlanningMap


@dataclass(frozen=True, slots=True)
class Received:
    """A dossier taken in: its code, status, version and the pre-check's answer."""

    code: str
    status: str
    version: int
    check: IntakeCheck


def receive_dossier(
    uow: UnitOfWork,
    application: Application,
    *,
    office: str,
    actor: str,
    phone: str | None = None,
    code: str | None = None,
    planning: Sequence[PlanningMap] = (),
) -> Received:
    """Check and record a dossier handed in at ``office``; commits once.

    Dossiers are numbered one at a time, so that two counters receiving at once never hand
    out the same code.
    """
    uow.begin_writing()
    check = check_application(uow, application, planning=planning)
    uow.take_turn("dossier numbering")
    code = (
        str(DossierCode.parse(code)) if code else _next_code(uow, office, application.received_at)
    )
    if uow.session.scalar(select(DossierRow.id).where(DossierRow.code == code)) is not None:
        raise ConflictError(f"dossier {code} already exists", field="code", value=code)
    status = DossierStatus.NOT_RECEIVED if check.blocked else DossierStatus.RECEIVED
    row = _dossier_row(application, check, code, office, phone, status)
    uow.session.add(row)
    uow.session.flush()
    _children(uow, row, application, check, actor, status)
    uow.audit.record(
        actor=actor,
        action="receive",
        entity_type="dossier",
        entity_id=row.id,
        after={"code": code, "status": status.value, "items": [i.code for i in check.items]},
    )
    uow.commit()
    return Received(code, status.value, row.version, check)


def _next_code(uow: UnitOfWork, office: str, received_at: datetime) -> str:
    """``<office>-<yymmdd>-<sequence>``: the next sequence of the office's day."""
    prefix = f"{office}-{received_at:%y%m%d}-"
    taken = uow.session.scalar(
        select(func.count()).select_from(DossierRow).where(DossierRow.code.like(f"{prefix}%"))
    )
    return str(DossierCode.parse(f"{prefix}{(taken or 0) + 1:04d}"))


def _dossier_row(
    application: Application,
    check: IntakeCheck,
    code: str,
    office: str,
    phone: str | None,
    status: DossierStatus,
) -> DossierRow:
    return DossierRow(
        code=code, procedure=application.procedure, status=status.value, office=office,
        applicant_name=application.applicant_name,
        applicant_identity=application.applicant_identity, applicant_phone=phone,
        declared_commune=application.commune, declared_map_sheet=application.map_sheet,
        declared_parcel_number=application.parcel_number, declared_serial=application.serial,
        declared_area=application.declared_area, declared_land_use=application.declared_land_use,
        requested_land_use=application.requested_land_use, received_at=application.received_at,
        due_on=None if status is DossierStatus.NOT_RECEIVED else check.due_on,
        source_name="counter", source_key=code, version=1,
    )  # fmt: skip


def _children(
    uow: UnitOfWork,
    row: DossierRow,
    application: Application,
    check: IntakeCheck,
    actor: str,
    status: DossierStatus,
) -> None:
    """The dossier's first events, its documents and its parcel link or candidates."""
    reasons = "; ".join(item.messages()[0] for item in check.items) or None
    for step, to in ((None, DossierStatus.NEW), (reasons, status)):
        uow.session.add(
            DossierEventRow(
                dossier_id=row.id, at=application.received_at, actor=actor,
                from_status=None if to is DossierStatus.NEW else DossierStatus.NEW.value,
                to_status=to.value, step="intake", note=step,
            )
        )  # fmt: skip
    for document in application.documents:
        uow.session.add(
            DossierDocumentRow(
                dossier_id=row.id, document_code=document, received_at=application.received_at
            )
        )
    if check.parcel_id is not None and check.match:
        uow.session.add(
            DossierParcelLinkRow(
                dossier_id=row.id, parcel_id=check.parcel_id, status="linked",
                decided_by="landreg", decided_at=application.received_at, **check.match,
            )
        )  # fmt: skip
    for candidate in check.candidates:
        uow.session.add(
            DossierParcelLinkRow(
                dossier_id=row.id, parcel_id=candidate["parcel_id"], status="review",
                method="review", confidence=candidate["confidence"],
                explanation=candidate["explanation"],
            )
        )  # fmt: skip


def dossier_by_code(uow: UnitOfWork, code: str, *, lock: bool = False) -> DossierRow:
    """The dossier with this receipt code; with ``lock``, nobody else can change it until
    this unit of work ends."""
    cleaned = str(code).strip().upper()
    statement = select(DossierRow).where(DossierRow.code == cleaned)
    if lock:
        uow.begin_writing()
        statement = statement.with_for_update().execution_options(populate_existing=True)
    row = uow.session.scalar(statement)
    if row is None:
        raise NotFoundError(f"no dossier {cleaned}", field="code", value=cleaned)
    return row


def stored_application(uow: UnitOfWork, code: str) -> tuple[int, Application]:
    """A stored dossier as it was handed in (to check it again as at its receipt)."""
    row = dossier_by_code(uow, code)
    documents = uow.session.scalars(
        select(DossierDocumentRow.document_code).where(DossierDocumentRow.dossier_id == row.id)
    ).all()
    return row.id, Application(
        row.procedure, row.received_at, row.applicant_name, row.applicant_identity,
        row.declared_commune, row.declared_map_sheet, row.declared_parcel_number,
        row.declared_serial, row.declared_area, row.declared_land_use, row.requested_land_use,
        tuple(documents),
    )  # fmt: skip


def change_status(
    uow: UnitOfWork,
    code: str,
    to: str,
    *,
    actor: str,
    expected_version: int,
    note: str | None = None,
    at: datetime | None = None,
) -> DossierRow:
    """Move a dossier to ``to`` if the lifecycle allows it and nobody changed it meanwhile.

    The dossier is locked before its version is checked, so of officers moving it at once
    exactly one succeeds and the others are refused (409), never a stale-data error.
    """
    row = dossier_by_code(uow, code, lock=True)
    if row.version != expected_version:
        raise ConflictError(
            f"dossier {row.code} changed meanwhile (version {row.version}, you had "
            f"{expected_version}); reload it",
            field="expected_version",
            value=str(expected_version),
        )
    target = _status(to)
    current = DossierStatus(row.status)
    check_transition(current, target)
    moment = at or datetime.now(LOCAL_TIME).replace(tzinfo=None)
    if moment < row.received_at:
        raise ValidationError(
            "a status cannot change before the dossier was received",
            field="at",
            value=moment.isoformat(),
        )
    before = {"status": row.status, "version": row.version}
    row.status = target.value
    if target is DossierStatus.PROCESSED:
        row.processed_on = moment.date()
    if target is DossierStatus.RESULT_RETURNED:
        row.returned_on = moment.date()
    uow.session.add(
        DossierEventRow(
            dossier_id=row.id, at=moment, actor=actor, from_status=current.value,
            to_status=target.value, note=note,
        )
    )  # fmt: skip
    try:
        uow.session.flush()
    except StaleDataError:
        raise ConflictError(
            f"dossier {row.code} changed meanwhile; reload it", field="expected_version"
        ) from None
    uow.audit.record(
        actor=actor, action="status", entity_type="dossier", entity_id=row.id, before=before,
        after={"status": row.status, "version": row.version, "note": note},
    )  # fmt: skip
    uow.commit()
    return row


def _status(text: str) -> DossierStatus:
    try:
        return DossierStatus.parse(text)
    except (ValueError, ValidationError):
        raise ValidationError(
            f"unknown status {text!r}; known: {', '.join(s.value for s in DossierStatus)}",
            field="to",
            value=text,
        ) from None


def known_procedures() -> list[str]:
    """The procedures dossiers may be filed under."""
    return sorted(reference.procedures_config()["procedures"])
