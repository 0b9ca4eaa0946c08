"""Dossiers for registry officers: the intake pre-check, receiving, the dossier list (search),
status, requests for documents, the review queue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StringConstraints

from api.deps import UowDep
from api.params import Moment, RowId
from api.schemas import LocalTime, Problem
from api.security import InternalDep, OfficerDep
from landreg.domain.dossier import DocumentRequest, DossierRecord, ParcelLink
from landreg.domain.intake import Application, IntakeCheck
from landreg.domain.public_dossier import document_names
from landreg.services.dossier_links import confirm_link, reject_link
from landreg.services.dossiers import (
    DossierQuery,
    DossierSummary,
    awaiting_review,
    change_status,
    check_stored,
    dossier_record,
    receive_dossier,
    request_documents,
    search_dossiers,
)
from landreg.services.intake import check_application, plans_in

router = APIRouter(tags=["dossiers"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
}
CODE = r"^[A-Za-z0-9.]+-\d{6}-\d{3,6}$"


class ApplicationIn(BaseModel):
    """A dossier as handed in: procedure, applicant, the parcel as written, documents."""

    procedure: str = Field(
        max_length=120,
        examples=["transfer", "Chuyển nhượng quyền sử dụng đất"],
        description="the code or the Vietnamese name (any case, with or without diacritics)",
    )
    received_at: Moment = Field(description="local time (UTC+7) of receipt")
    applicant_name: str | None = Field(default=None, max_length=200)
    applicant_identity: str | None = Field(default=None, pattern=r"^\d{9}(\d{3})?$")
    applicant_previous_identity: str | None = Field(
        default=None,
        pattern=r"^\d{9}(\d{3})?$",
        description="the applicant's earlier number (the old CMND next to the CCCD)",
    )
    applicant_phone: str | None = Field(default=None, pattern=r"^\+?\d{9,12}$")
    commune: str | None = Field(default=None, max_length=200, examples=["Phường Tân Ninh"])
    map_sheet: str | None = Field(default=None, max_length=20)
    parcel_number: str | None = Field(default=None, max_length=20)
    serial: str | None = Field(default=None, max_length=20)
    declared_area: float | None = Field(default=None, gt=0, lt=1e8)
    declared_land_use: str | None = Field(default=None, max_length=10)
    requested_land_use: str | None = Field(default=None, max_length=10)
    documents: list[str] = Field(default_factory=list, max_length=50)

    def application(self) -> Application:
        """The domain's view of it."""
        data = self.model_dump(
            include=set(ApplicationIn.model_fields) - {"applicant_phone", "documents"}
        )
        return Application(**data, documents=tuple(self.documents))


class ReceiveIn(ApplicationIn):
    """A dossier to receive: the office, and its receipt code if the counter printed one."""

    office: str = Field(max_length=40, pattern=r"^[A-Z0-9][A-Z0-9.]*$", examples=["H55.703"])
    code: str | None = Field(default=None, pattern=CODE)


class ItemOut(BaseModel):
    """One problem: code, whether it blocks, the message in both languages, the values."""

    code: str
    severity: str
    message_vi: str
    message_en: str
    details: dict[str, Any]


class CheckOut(BaseModel):
    """The pre-check's whole answer."""

    blocked: bool
    parcel_id: int | None
    parcel_key: str | None
    match: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    due_on: date | None
    items: list[ItemOut]

    @classmethod
    def of(cls, check: IntakeCheck) -> CheckOut:
        """From the domain's answer."""
        items = []
        for item in check.items:
            vi, en = item.messages()
            details = {
                k: v.isoformat() if isinstance(v, date) else v for k, v in item.details.items()
            }
            items.append(ItemOut(code=item.code, severity=item.severity.value, message_vi=vi,
                                 message_en=en, details=details))  # fmt: skip
        return cls(
            blocked=check.blocked, parcel_id=check.parcel_id, parcel_key=check.parcel_key,
            match=check.match, candidates=list(check.candidates), due_on=check.due_on,
            items=items,
        )  # fmt: skip


class ReceivedOut(BaseModel):
    """A dossier taken in: received, or not received with every reason."""

    code: str
    status: str
    version: int
    check: CheckOut


class EventOut(BaseModel):
    """A step of the dossier's life."""

    at: LocalTime
    actor: str | None
    from_status: str | None
    to_status: str
    note: str | None


class LinkOut(BaseModel):
    """A parcel the dossier is linked to, or a candidate for review."""

    id: int
    parcel_id: int
    parcel_key: str
    method: str
    confidence: float
    explanation: str | None
    status: str

    @classmethod
    def of(cls, link: ParcelLink) -> LinkOut:
        """From the domain's link."""
        return cls(
            id=link.id, parcel_id=link.parcel_id, parcel_key=link.parcel_key, method=link.method,
            confidence=link.confidence, explanation=link.explanation, status=link.status,
        )  # fmt: skip


class RequestedDocumentOut(BaseModel):
    """A document asked for: its catalogue code (null for free text) and its names."""

    code: str | None
    name_vi: str
    name_en: str


class DocumentRequestOut(BaseModel):
    """Documents an officer asked the citizen to bring; open until processing resumes."""

    id: int
    documents: list[RequestedDocumentOut]
    note: str | None
    requested_at: LocalTime
    requested_by: str
    closed_at: LocalTime | None
    open: bool

    @classmethod
    def of(cls, request: DocumentRequest) -> DocumentRequestOut:
        """From the domain's request."""
        return cls(
            id=request.id,
            documents=[
                RequestedDocumentOut(code=d.code, name_vi=d.name_vi, name_en=d.name_en)
                for d in document_names(request.items)
            ],
            note=request.note, requested_at=request.requested_at,
            requested_by=request.requested_by, closed_at=request.closed_at, open=request.is_open,
        )  # fmt: skip


class DossierOut(BaseModel):
    """A dossier as an officer sees it."""

    code: str
    procedure: str
    status: str
    version: int
    office: str | None
    applicant_name: str | None
    applicant_identity: str | None
    received_at: LocalTime
    due_on: date | None
    processed_on: date | None
    returned_on: date | None
    documents: list[str]
    events: list[EventOut]
    links: list[LinkOut]
    document_requests: list[DocumentRequestOut] = Field(
        default_factory=list, description="requests for documents, oldest first"
    )

    @classmethod
    def of(cls, record: DossierRecord) -> DossierOut:
        """From the domain's dossier with its documents, history and links."""
        d = record.dossier
        return cls(
            code=d.code, procedure=d.procedure, status=d.status, version=d.version,
            office=d.office, applicant_name=d.applicant_name,
            applicant_identity=d.applicant_identity, received_at=d.received_at, due_on=d.due_on,
            processed_on=d.processed_on, returned_on=d.returned_on,
            documents=list(record.documents),
            events=[EventOut(at=e.at, actor=e.actor, from_status=e.from_status,
                             to_status=e.to_status, note=e.note) for e in record.history],
            links=[LinkOut.of(link) for link in record.links],
            document_requests=[DocumentRequestOut.of(r) for r in record.requests],
        )  # fmt: skip


class DossierSummaryOut(BaseModel):
    """One line of the dossier list."""

    code: str
    procedure: str
    procedure_name_vi: str
    status: str
    status_label_vi: str
    applicant_name: str | None
    office: str | None
    received_at: LocalTime
    due_on: date | None = Field(description="the due date, clock pauses counted")
    timeliness: str | None = Field(
        description="early, on_time, late, on_track, at_risk, overdue or not_counted; null "
        "when the history cannot be read"
    )
    version: int

    @classmethod
    def of(cls, found: DossierSummary) -> DossierSummaryOut:
        """From the service's line."""
        return cls(
            code=found.code, procedure=found.procedure,
            procedure_name_vi=found.procedure_name_vi, status=found.status,
            status_label_vi=found.status_label_vi, applicant_name=found.applicant_name,
            office=found.office, received_at=found.received_at, due_on=found.due_on,
            timeliness=found.timeliness, version=found.version,
        )  # fmt: skip


class DossierPageOut(BaseModel):
    """A page of the dossier list, newest first, and how many match in all."""

    items: list[DossierSummaryOut]
    total: int
    limit: int
    offset: int


RequestedItem = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class DocumentRequestIn(BaseModel):
    """Documents to ask the citizen for: catalogue codes or names, or free text."""

    documents: list[RequestedItem] = Field(
        min_length=1,
        max_length=20,
        examples=[["notarised_contract", "Bản sao sổ hộ khẩu"]],
        description="each a document of the procedures' catalogue (its code or name) or "
        "free text, 1 to 20 items of at most 200 characters",
    )
    note: str | None = Field(default=None, max_length=2000)
    expected_version: int | None = Field(
        default=None, ge=1, description="optimistic locking: the version you read"
    )


class StatusIn(BaseModel):
    """Move a dossier on: the new status, the version you read, and why."""

    to: str = Field(max_length=40, examples=["processing"])
    expected_version: int = Field(ge=1, description="optimistic locking: the version you read")
    note: str | None = Field(default=None, max_length=2000)


class RejectIn(BaseModel):
    """Why a link or candidate is wrong."""

    reason: str = Field(min_length=3, max_length=2000)


@router.post("/dossiers/check", response_model=CheckOut, responses=ERRORS,
             summary="Pre-check a dossier before receiving it")  # fmt: skip
def precheck(body: ApplicationIn, uow: UowDep, _: OfficerDep, request: Request) -> CheckOut:
    """Everything wrong with the dossier, in one answer; nothing is stored."""
    plans = plans_in(request.app.state.settings.cadastre.planning_dir)
    return CheckOut.of(check_application(uow, body.application(), planning=plans))


@router.post("/dossiers", response_model=ReceivedOut, status_code=201, responses=ERRORS,
             summary="Receive a dossier")  # fmt: skip
def receive(body: ReceiveIn, uow: UowDep, officer: OfficerDep, request: Request) -> ReceivedOut:
    """Check and record the dossier: received when nothing blocks it, otherwise recorded as
    not received with every reason, so the citizen comes back once."""
    received = receive_dossier(
        uow, body.application(), office=body.office, actor=officer.name,
        phone=body.applicant_phone, code=body.code,
        planning=plans_in(request.app.state.settings.cadastre.planning_dir),
    )  # fmt: skip
    return ReceivedOut(code=received.code, status=received.status, version=received.version,
                       check=CheckOut.of(received.check))  # fmt: skip


@router.get("/dossiers", response_model=DossierPageOut, responses=ERRORS,
            summary="Find dossiers")  # fmt: skip
def search(
    uow: UowDep,
    _: OfficerDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="receipt code (or part), applicant name (any case, "
            "with or without diacritics), parcel key 25459-12-345 or certificate serial",
        ),
    ] = None,
    status: Annotated[
        str | None, Query(max_length=60, description="a status code or its Vietnamese label")
    ] = None,
    procedure: Annotated[
        str | None, Query(max_length=120, description="a procedure code or Vietnamese name")
    ] = None,
    office: Annotated[str | None, Query(max_length=80, examples=["H55.703"])] = None,
    timeliness: Annotated[
        Literal["overdue", "at_risk"] | None, Query(description="only overdue or at risk")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DossierPageOut:
    """Dossiers matching the search and every filter given, newest first, with the total."""
    query = DossierQuery(q, status, procedure, office, timeliness)
    page = search_dossiers(uow, query, limit=limit, offset=offset)
    return DossierPageOut(
        items=[DossierSummaryOut.of(item) for item in page.items], total=page.total,
        limit=limit, offset=offset,
    )  # fmt: skip


@router.get("/dossiers/review", response_model=list[DossierOut], responses=ERRORS,
            summary="Dossiers whose parcel an officer must choose")  # fmt: skip
def review_queue(
    uow: UowDep, _: InternalDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[DossierOut]:
    """Dossiers with candidates and no confirmed link, oldest first."""
    return [DossierOut.of(record) for record in awaiting_review(uow, limit)]


@router.get("/dossiers/{code}", response_model=DossierOut, responses=ERRORS, summary="A dossier")
def dossier(code: str, uow: UowDep, _: InternalDep) -> DossierOut:
    """The dossier with its documents, history and parcel links."""
    return DossierOut.of(dossier_record(uow, code))


@router.get("/dossiers/{code}/check", response_model=CheckOut, responses=ERRORS,
            summary="The pre-check of a stored dossier, as at its receipt")  # fmt: skip
def stored_check(code: str, uow: UowDep, _: InternalDep, request: Request) -> CheckOut:
    """The pre-check run again on a stored dossier, as the register stood at its receipt."""
    plans = plans_in(request.app.state.settings.cadastre.planning_dir)
    return CheckOut.of(check_stored(uow, code, planning=plans))


@router.post("/dossiers/{code}/status", response_model=DossierOut, responses=ERRORS,
             summary="Move a dossier to its next status")  # fmt: skip
def status(code: str, body: StatusIn, uow: UowDep, officer: OfficerDep) -> DossierOut:
    """Only the portal's allowed transitions; 409 when someone changed it meanwhile."""
    record = change_status(
        uow, code, body.to, actor=officer.name, expected_version=body.expected_version,
        note=body.note,
    )  # fmt: skip
    return DossierOut.of(record)


@router.post("/dossiers/{code}/document-requests", response_model=DossierOut, status_code=201,
             responses=ERRORS, summary="Ask the citizen for documents")  # fmt: skip
def ask_for_documents(
    code: str, body: DocumentRequestIn, uow: UowDep, officer: OfficerDep
) -> DossierOut:
    """The dossier waits for the documents named (the citizen's status page lists them) until
    processing resumes; 409 when the lifecycle does not allow it or someone changed the
    dossier meanwhile."""
    request_documents(
        uow, code, list(body.documents), note=body.note, actor=officer.name,
        expected_version=body.expected_version,
    )  # fmt: skip
    return DossierOut.of(dossier_record(uow, code))


@router.post("/dossier-links/{link_id}/confirm", response_model=LinkOut, responses=ERRORS,
             summary="Confirm a candidate parcel")  # fmt: skip
def confirm(link_id: RowId, uow: UowDep, officer: OfficerDep) -> LinkOut:
    """The candidate becomes the dossier's parcel; the other candidates are rejected."""
    return LinkOut.of(confirm_link(uow, link_id, actor=officer.name))


@router.post("/dossier-links/{link_id}/reject", status_code=204, responses=ERRORS,
             summary="Reject a link or candidate")  # fmt: skip
def reject(link_id: RowId, body: RejectIn, uow: UowDep, officer: OfficerDep) -> None:
    """The link is wrong; the reason is kept in the audit log."""
    reject_link(uow, link_id, actor=officer.name, reason=body.reason)
