"""Use cases on one dossier: receive it at the counter (with its pre-check), read it, move it
on, ask the citizen for documents, print its receipt; and the officer's dossier list
(:mod:`landreg.services.dossier_search`).

Receiving runs the pre-check first: a dossier nothing blocks is received and its clock
starts; one something blocks is recorded as not received, with every reason at once, so the
citizen comes back once with everything. Status changes follow the portal's lifecycle only,
each an event with actor and time, guarded by the dossier's version so that two officers
updating one dossier at once cannot overwrite each other. A request for documents names
them (the procedures' catalogue, or free text) and pauses the dossier until processing
resumes, which closes the request and records the catalogue's documents as brought.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from landreg.domain import reference
from landreg.domain.dossier import Dossier, DossierRecord, StatusChange
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.dossier_workflow import DOCUMENTS_STEP, DossierStatus, check_transition
from landreg.domain.identifiers import DossierCode
from landreg.domain.intake import Application, IntakeCheck
from landreg.domain.public_dossier import document_names
from landreg.errors import ConflictError, ValidationError
from landreg.services.dossier_receipt import Receipt, receipt
from landreg.services.dossier_search import (
    DossierPage,
    DossierQuery,
    DossierSummary,
    search_dossiers,
)
from landreg.services.intake import check_application
from landreg.store.unit_of_work import UnitOfWork
from spatial.planning import PlanningMap

__all__ = [
    "DossierPage",
    "DossierQuery",
    "DossierSummary",
    "Receipt",
    "Received",
    "change_status",
    "dossier_by_code",
    "dossier_record",
    "receipt",
    "receive_dossier",
    "request_documents",
    "search_dossiers",
]
# The steps of the counter, named as the one-stop shop's records name them.
_STEPS = {
    DossierStatus.NEW: "Nộp hồ sơ",
    DossierStatus.RECEIVED: "Bộ phận một cửa tiếp nhận",
    DossierStatus.NOT_RECEIVED: "Bộ phận một cửa không tiếp nhận",
}
MAX_REQUESTED = 20


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
    if uow.dossiers.exists(code):
        raise ConflictError(
            f"dossier {code} already exists", field="code", value=code,
            detail_vi=f"đã có hồ sơ mã {code}",
        )  # fmt: skip
    status = DossierStatus.NOT_RECEIVED if check.blocked else DossierStatus.RECEIVED
    dossier = uow.dossiers.add(
        application, code=code, office=office, phone=phone, status=status.value,
        due_on=None if status is DossierStatus.NOT_RECEIVED else check.due_on,
    )  # fmt: skip
    _children(uow, dossier, application, check, actor, status)
    uow.audit.record(
        actor=actor,
        action="receive",
        entity_type="dossier",
        entity_id=dossier.id,
        after={"code": code, "status": status.value, "items": [i.code for i in check.items]},
    )
    uow.commit()
    return Received(code, status.value, dossier.version, check)


def _next_code(uow: UnitOfWork, office: str, received_at: datetime) -> str:
    """``<office>-<yymmdd>-<sequence>``: the next sequence of the office's day."""
    prefix = f"{office}-{received_at:%y%m%d}-"
    taken = uow.dossiers.count_codes_starting(prefix)
    return str(DossierCode.parse(f"{prefix}{taken + 1:04d}"))


def _children(
    uow: UnitOfWork,
    dossier: Dossier,
    application: Application,
    check: IntakeCheck,
    actor: str,
    status: DossierStatus,
) -> None:
    """The dossier's first events, its documents and its parcel link or candidates."""
    reasons = "; ".join(item.messages()[0] for item in check.items) or None
    first = (
        (DossierStatus.NEW, None, None),
        (status, DossierStatus.NEW.value, reasons),
    )
    uow.dossiers.add_history(
        dossier.id,
        [
            StatusChange(application.received_at, actor, before, to.value, note, _STEPS[to])
            for to, before, note in first
        ],
    )
    uow.dossiers.add_documents(dossier.id, application.documents, application.received_at)
    if check.parcel_id is not None and check.match:
        uow.links.add(
            dossier.id, check.parcel_id, status="linked", decided_by="landreg",
            decided_at=application.received_at, **check.match,
        )  # fmt: skip
    for candidate in check.candidates:
        uow.links.add(
            dossier.id, candidate["parcel_id"], status="review", method="review",
            confidence=candidate["confidence"], explanation=candidate["explanation"],
        )  # fmt: skip


def dossier_by_code(uow: UnitOfWork, code: str, *, lock: bool = False) -> Dossier:
    """The dossier with this receipt code; with ``lock``, nobody else can change it until
    this unit of work ends."""
    cleaned = str(code).strip().upper()
    if lock:
        uow.begin_writing()
        return uow.dossiers.get_for_update(cleaned)
    return uow.dossiers.get(cleaned)


def dossier_record(uow: UnitOfWork, code: str) -> DossierRecord:
    """The dossier with its documents, history and parcel links."""
    return _record(uow, dossier_by_code(uow, code))


def awaiting_review(uow: UnitOfWork, limit: int) -> list[DossierRecord]:
    """Dossiers with candidates and no confirmed link, oldest first."""
    return [_record(uow, dossier) for dossier in uow.dossiers.awaiting_review(limit)]


def _record(uow: UnitOfWork, dossier: Dossier) -> DossierRecord:
    return DossierRecord(
        dossier,
        uow.dossiers.documents(dossier.id),
        uow.dossiers.history(dossier.id),
        tuple(uow.links.of_dossier(dossier.id)),
        uow.dossiers.requests(dossier.id),
    )


def stored_application(uow: UnitOfWork, code: str) -> tuple[int, Application]:
    """A stored dossier as it was handed in (to check it again as at its receipt)."""
    dossier = dossier_by_code(uow, code)
    return dossier.id, uow.dossiers.application(dossier)


def check_stored(
    uow: UnitOfWork, code: str, *, planning: Sequence[PlanningMap] = ()
) -> IntakeCheck:
    """The pre-check run again on a stored dossier, as the register stood at its receipt."""
    dossier_id, application = stored_application(uow, code)
    return check_application(uow, application, dossier_id=dossier_id, planning=planning)


def change_status(
    uow: UnitOfWork,
    code: str,
    to: str,
    *,
    actor: str,
    expected_version: int | None,
    note: str | None = None,
    at: datetime | None = None,
) -> DossierRecord:
    """Move a dossier to ``to`` if the lifecycle allows it and nobody changed it meanwhile;
    the dossier as it then stands.

    The dossier is locked before its version is checked, so of officers moving it at once
    exactly one succeeds and the others are refused (409), never a stale-data error.
    """
    dossier = dossier_by_code(uow, code, lock=True)
    _check_version(dossier, expected_version)
    target = _status(to)
    current = DossierStatus(dossier.status)
    check_transition(current, target)
    moment = _moment(dossier, at)
    uow.dossiers.add_history(
        dossier.id, [StatusChange(moment, actor, current.value, target.value, note)]
    )
    closed = _close_requests(uow, dossier, target, moment)
    changed = uow.dossiers.set_status(
        dossier.id, target.value,
        processed_on=moment.date() if target is DossierStatus.PROCESSED else None,
        returned_on=moment.date() if target is DossierStatus.RESULT_RETURNED else None,
    )  # fmt: skip
    uow.audit.record(
        actor=actor, action="status", entity_type="dossier", entity_id=dossier.id,
        before={"status": dossier.status, "version": dossier.version},
        after={"status": changed.status, "version": changed.version, "note": note,
               **({"closed_requests": closed} if closed else {})},
    )  # fmt: skip
    uow.commit()
    return _record(uow, uow.dossiers.get(changed.code))


def _check_version(dossier: Dossier, expected_version: int | None) -> None:
    """Refuse (409) a change made on a dossier read before someone else changed it."""
    if expected_version is None or dossier.version == expected_version:
        return
    raise ConflictError(
        f"dossier {dossier.code} changed meanwhile (version {dossier.version}, you had "
        f"{expected_version}); reload it",
        field="expected_version",
        value=str(expected_version),
        detail_vi=f"hồ sơ {dossier.code} vừa được người khác thay đổi; hãy tải lại",
    )


def _moment(dossier: Dossier, at: datetime | None) -> datetime:
    """The local time of a change (now by default), never before the dossier's receipt."""
    moment = at or datetime.now(LOCAL_TIME).replace(tzinfo=None, microsecond=0)
    if moment < dossier.received_at:
        raise ValidationError(
            "a status cannot change before the dossier was received",
            field="at",
            value=moment.isoformat(),
            detail_vi="trạng thái không thể đổi trước lúc tiếp nhận hồ sơ",
        )
    return moment


def _close_requests(
    uow: UnitOfWork, dossier: Dossier, target: DossierStatus, moment: datetime
) -> list[int]:
    """Leaving the wait for the citizen closes the open request for documents (waiting for
    the financial obligations instead keeps it open); resuming processing records its
    catalogue documents as brought. The ids of the requests closed."""
    if target.stops_clock:
        return []
    closed = uow.dossiers.close_requests(dossier.id, moment)
    if target is DossierStatus.PROCESSING:
        have = set(uow.dossiers.documents(dossier.id))
        brought = [
            d.code
            for r in closed
            for d in document_names(r.items)
            if d.code is not None and d.code not in have
        ]
        uow.dossiers.add_documents(dossier.id, dict.fromkeys(brought), moment)
    return [r.id for r in closed]


def request_documents(
    uow: UnitOfWork,
    code: str,
    documents: list[str],
    *,
    note: str | None,
    actor: str,
    expected_version: int | None,
    at: datetime | None = None,
) -> Dossier:
    """Ask the citizen for documents: each item a code or name of the procedures' document
    catalogue, or free text; the dossier waits (additional documents requested) until
    processing resumes. Only from a status the lifecycle allows it from (409 otherwise, and
    when the dossier changed since ``expected_version``); the dossier as it then stands."""
    items = _requested_items(documents)
    dossier = dossier_by_code(uow, code, lock=True)
    _check_version(dossier, expected_version)
    current = DossierStatus(dossier.status)
    target = check_transition(current, DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED)
    moment = _moment(dossier, at)
    asked = uow.dossiers.add_request(
        dossier.id, items, note=note, requested_at=moment, requested_by=actor
    )
    named = "; ".join(d.name_vi for d in document_names(items))
    uow.dossiers.add_history(
        dossier.id,
        [StatusChange(moment, actor, current.value, target.value, note or named, DOCUMENTS_STEP)],
    )
    changed = uow.dossiers.set_status(dossier.id, target.value)
    uow.audit.record(
        actor=actor, action="request_documents", entity_type="dossier", entity_id=dossier.id,
        before={"status": dossier.status, "version": dossier.version},
        after={"status": changed.status, "version": changed.version, "request": asked.id,
               "items": list(items), "note": note},
    )  # fmt: skip
    uow.commit()
    return changed


def _requested_items(documents: list[str]) -> tuple[str, ...]:
    """The items as stored: spaces trimmed, each once, a catalogue document by its code."""
    items: dict[str, None] = {}
    for text in documents:
        cleaned = " ".join(str(text).split())
        if len(cleaned) > 200:
            raise ValidationError(
                "each document is at most 200 characters",
                field="documents",
                detail_vi="mỗi giấy tờ tối đa 200 ký tự",
            )
        if cleaned:
            [named] = document_names([cleaned])
            items.setdefault(named.code or cleaned)
    if not 1 <= len(items) <= MAX_REQUESTED:
        raise ValidationError(
            f"name 1 to {MAX_REQUESTED} documents",
            field="documents",
            detail_vi=f"hãy ghi từ 1 đến {MAX_REQUESTED} giấy tờ cần bổ sung",
        )
    return tuple(items)


def _status(text: str) -> DossierStatus:
    try:
        return DossierStatus.parse(text)
    except (ValueError, ValidationError):
        raise ValidationError(
            f"unknown status {text!r}; known: {', '.join(s.value for s in DossierStatus)}",
            field="to",
            value=text,
            detail_vi=f"không có trạng thái {text!r}; các trạng thái: "
            + "; ".join(s.label_vi for s in DossierStatus),
        ) from None


def known_procedures() -> list[str]:
    """The procedures dossiers may be filed under."""
    return sorted(reference.procedures_config()["procedures"])
