"""Public lookups, no sign-in: a citizen's dossier status by receipt code and verification.

Each client (IP address) gets ``LOOKUPS_PER_MINUTE`` lookups in any moving minute, counted in
this process's memory (:mod:`api.rate_limit`): with several workers each counts on its own
(see the README). A client is the address connected to the server: ``landreg serve`` believes
an ``X-Forwarded-For`` header only from the reverse proxies ``LANDREG_TRUSTED_PROXIES`` names,
so that behind one the citizen's address, not the proxy's, is counted, and nobody else can
choose the address they are counted as.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from api.deps import reads_of
from api.rate_limit import MovingWindowLimit
from api.schemas import Problem
from landreg.domain.dossier_deadline import LOCAL_TIME, to_local
from landreg.domain.public_dossier import VERIFY_DIGITS
from landreg.services.public_status import PublicDossierStatus, public_dossier_status

router = APIRouter(prefix="/public", tags=["citizens"])
LOOKUPS_PER_MINUTE = 10
# Errors are RFC 9457 problem details, served as application/problem+json.
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "model": Problem,
        "content": _PROBLEM,
        "description": "unknown code, or wrong verification (the same answer)",
    },
    422: {"model": Problem, "content": _PROBLEM, "description": "verify is not 4 digits"},
    429: {
        "model": Problem,
        "content": _PROBLEM,
        "description": f"more than {LOOKUPS_PER_MINUTE} lookups in a minute from this client",
        "headers": {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        },
    },
}


async def _rate_limited(request: Request) -> None:
    """Refuse a client over its lookups with 429 and Retry-After (one limiter per app;
    ``LANDREG_PUBLIC_LOOKUPS_PER_MINUTE``, 0 for none)."""
    per_minute = request.app.state.settings.api.public_lookups_per_minute
    if per_minute == 0:
        return
    limit: MovingWindowLimit | None = getattr(request.app.state, "public_rate_limit", None)
    if limit is None:
        limit = request.app.state.public_rate_limit = MovingWindowLimit(per_minute)
    wait = limit.hit(request.client.host if request.client else "unknown")
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"at most {per_minute} lookups a minute; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


class StatusOut(BaseModel):
    """A dossier status as the national public-service portal names it."""

    code: str = Field(examples=["processing"])
    portal_code: int = Field(ge=1, le=10, description="the portal's number, 1 (new) to 10")
    label_vi: str = Field(examples=["Đang xử lý"])
    label_en: str = Field(examples=["Processing"])


class ProcedureOut(BaseModel):
    """The procedure the dossier was filed under."""

    code: str = Field(examples=["transfer"])
    name_vi: str = Field(examples=["Chuyển nhượng quyền sử dụng đất"])
    name_en: str = Field(examples=["Transfer of land-use right"])


class MissingDocumentOut(BaseModel):
    """A document the citizen still has to bring, by its names."""

    code: str | None = Field(
        description="its code in the procedures' catalogue; null for one the officer "
        "described in free text",
        examples=["notarised_contract"],
    )
    name_vi: str = Field(examples=["Hợp đồng đã công chứng, chứng thực"])
    name_en: str = Field(examples=["Notarised contract"])


class PublicDossierOut(BaseModel):
    """Where a dossier stands; nothing about any person."""

    code: str = Field(examples=["H55.703-240104-0001"])
    status: StatusOut
    current_step: str = Field(description="the last step recorded, else the status")
    procedure: ProcedureOut
    office: str | None = Field(description="the receiving office", examples=["H55.703"])
    received_at: datetime = Field(description="time of receipt, with the province's offset")
    due_on: date | None = Field(description="the date the result is due, clock pauses counted")
    overdue: bool = Field(description="still open and past its due date")
    timeliness: str | None = Field(
        description="early, on_time, late, on_track, at_risk, overdue or not_counted"
    )
    processed_on: date | None
    returned_on: date | None
    missing_documents: list[MissingDocumentOut] = Field(
        description="the documents the officer asked for, while that request is open; "
        "otherwise the procedure's required documents not recorded as handed in"
    )
    requested_on: date | None = Field(
        description="the day the officer asked for the missing documents; null when the "
        "list is the procedure's"
    )
    national_ids: list[str] = Field(
        default_factory=list,
        description="the national identifiers (mã định danh thửa đất) of the parcels the "
        "dossier is linked to, as the new certificate prints them; empty when it is "
        "linked to none (or none has one yet). Nothing else about the parcel is given.",
        examples=[["w3gvk2j8x1mq"]],
    )

    @classmethod
    def of(cls, found: PublicDossierStatus) -> PublicDossierOut:
        """From the service's answer."""
        return cls(
            code=found.code,
            status=StatusOut(
                code=found.status.value, portal_code=found.status.portal_code,
                label_vi=found.status.label_vi, label_en=found.status.label_en,
            ),
            current_step=found.current_step,
            procedure=ProcedureOut(code=found.procedure, name_vi=found.procedure_name_vi,
                                   name_en=found.procedure_name_en),
            office=found.office, due_on=found.due_on,
            received_at=to_local(found.received_at).replace(tzinfo=LOCAL_TIME),
            overdue=found.overdue,
            timeliness=found.timeliness.value if found.timeliness is not None else None,
            processed_on=found.processed_on, returned_on=found.returned_on,
            missing_documents=[
                MissingDocumentOut(code=d.code, name_vi=d.name_vi, name_en=d.name_en)
                for d in found.missing_documents
            ],
            requested_on=found.requested_on, national_ids=list(found.national_ids),
        )  # fmt: skip


@router.get(
    "/dossiers/{code}",
    response_model=PublicDossierOut,
    responses=ERRORS,
    dependencies=[Depends(_rate_limited)],
    summary="A dossier's status, for the citizen who filed it",
)
async def public_dossier(
    request: Request,
    code: Annotated[str, Path(description="the receipt code", examples=["H55.703-240104-0001"])],
    verify: Annotated[
        str,
        Query(
            description=f"the last {VERIFY_DIGITS} digits of the applicant's identity number "
            "or phone number",
            # Documented here, checked by the service: a refusal must not echo the digits.
            json_schema_extra={"pattern": rf"^[0-9]{{{VERIFY_DIGITS}}}$"},
            examples=["6789"],
        ),
    ],
) -> PublicDossierOut:
    """Status, current step, due date, whether it is overdue and the documents still missing.
    A wrong verification is answered exactly as an unknown code."""
    return PublicDossierOut.of(await public_dossier_status(reads_of(request).status, code, verify))
