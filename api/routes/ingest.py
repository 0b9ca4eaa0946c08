"""Cadastral staff upload source files; ingest runs in the background and is polled."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from api.deps import UowDep
from api.jobs import IngestJob, IngestJobs, JobFolder, run_job
from api.params import LARGEST_OFFSET, Moment
from api.schemas import Problem, UtcTime
from api.security import StaffDep
from landreg.domain.delivery import IngestOptions
from landreg.errors import NotFoundError, ValidationError
from landreg.services.ingest import recent_batches
from landreg.services.sources import check_profile_name, unpack_upload
from landreg.settings import ApiSettings

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}
FORM_ALLOWANCE = 1 << 20  # the form's other fields and the multipart framing, beside the file


class _BodyCounter:
    """Passes a request's body on, counting it; stops it past ``limit`` bytes."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive, self.limit = receive, limit
        self.seen, self.exceeded = 0, False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.exceeded = True
                raise ValidationError(
                    "the request body is too large",
                    field="file",
                    detail_vi="nội dung yêu cầu quá lớn",
                )
        return message


class BoundedUploadRoute(APIRoute):
    """A route whose request body may not exceed ``LANDREG_MAX_UPLOAD_MB`` (and a little for
    the form): refused by its Content-Length before a byte is read, else (a chunked body)
    stopped as it arrives, so an oversized upload never reaches the disk whole."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            max_mb: int = request.app.state.settings.api.max_upload_mb
            counter = _BodyCounter(request.receive, (max_mb << 20) + FORM_ALLOWANCE)
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > counter.limit:
                raise _too_large(max_mb)
            try:
                return await handler(Request(request.scope, counter.receive))
            except HTTPException:  # the form parser's answer to the counter stopping it
                if counter.exceeded:
                    raise _too_large(max_mb) from None
                raise

        return bounded


router = APIRouter(prefix="/ingest", tags=["ingest"], route_class=BoundedUploadRoute)


class JobAccepted(BaseModel):
    """Where to follow an accepted upload."""

    id: str
    status: str
    href: str


class JobOut(BaseModel):
    """Progress and outcome of an ingest job."""

    id: str
    file_name: str
    actor: str
    status: str
    submitted_at: str
    finished_at: str | None
    messages: list[str]
    results: list[dict[str, Any]]
    stopped: list[dict[str, Any]]
    error: dict[str, Any] | None


class BatchOut(BaseModel):
    """A source batch taken in earlier (provenance)."""

    id: int
    kind: str
    source_name: str
    file_name: str
    sha256: str
    profile: str | None
    layer: str | None
    actor: str | None
    started_at: UtcTime
    counts: dict[str, Any] | None
    warnings: list[Any] | None


def _jobs(request: Request) -> IngestJobs:
    jobs: IngestJobs = request.app.state.ingest_jobs
    return jobs


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=ERRORS,
    summary="Upload a source file to ingest",
)
def upload(
    request: Request,
    principal: StaffDep,
    background: BackgroundTasks,
    file: Annotated[
        UploadFile,
        File(
            description="a map layer, register or dossier export, "
            "or a .zip of several (Shapefiles with parts)"
        ),
    ],
    kind: Annotated[str | None, Form(pattern="^(map|register|dossiers|admin)$")] = None,
    layer: Annotated[str | None, Form(max_length=120)] = None,
    profile: Annotated[str | None, Form(max_length=80)] = None,
    crs: Annotated[str | None, Form(max_length=40)] = None,
    commune: Annotated[str | None, Form(pattern=r"^\d{5}$")] = None,
    source: Annotated[str | None, Form(max_length=120)] = None,
    as_of: Annotated[Moment | None, Form(description="the date the file's data is as of")] = None,
    reprocess: Annotated[
        bool,
        Form(description="read the file again even if it was taken in with the same profile"),
    ] = False,
) -> JobAccepted:
    """Accept the upload and take it in in the background; poll ``href`` for the outcome.

    A zip is unpacked here, within the limits (``LANDREG_MAX_UNPACKED_MB``, ``…_ZIP_MEMBERS``,
    ``…_ZIP_RATIO``): one that breaks them is refused with 422 and leaves nothing behind.
    """
    check_profile_name(profile)  # only the shipped profiles: a path would read a server file
    settings: ApiSettings = request.app.state.settings.api
    name = _safe_name(file.filename)
    folder = JobFolder(settings.ingest_dir)
    try:
        path, skipped = _store_upload(file, folder.path / name, settings)
    except BaseException:
        folder.remove()
        raise
    job = _jobs(request).new(name, principal.name, job_id=folder.id)
    job.messages += [f"{member}: an archive inside the zip, not unpacked" for member in skipped]
    options = IngestOptions(
        kind=kind,
        layer=layer,
        profile=profile,
        crs=crs,
        commune=commune,
        source=source,
        actor=principal.name,
        as_of=as_of,
        reprocess=reprocess,
    )
    background.add_task(run_job, job, request.app.state.database, folder, path, options)
    return JobAccepted(id=job.id, status=job.status, href=f"/ingest/{job.id}")


@router.get(
    "/batches", response_model=list[BatchOut], responses=ERRORS, summary="Source batches taken in"
)
def batches(
    uow: UowDep,
    principal: StaffDep,
    limit: int = 50,
    offset: Annotated[int, Query(ge=0, le=LARGEST_OFFSET)] = 0,
) -> list[BatchOut]:
    """The newest source batches first: file, hash, profile, who, when and what changed."""
    return [
        BatchOut.model_validate(batch, from_attributes=True)
        for batch in recent_batches(uow, limit, offset)
    ]


@router.get("/{job_id}", response_model=JobOut, responses=ERRORS, summary="An ingest job")
def job(request: Request, job_id: str, principal: StaffDep) -> JobOut:
    """Progress messages while it runs; per-batch summaries or the error when it is done."""
    found: IngestJob | None = _jobs(request).get(job_id)
    if found is None:
        raise NotFoundError(
            f"no ingest job {job_id}",
            field="job_id",
            value=job_id,
            detail_vi=f"không có lượt nạp dữ liệu {job_id}",
        )
    return JobOut.model_validate(found, from_attributes=True)


def _safe_name(name: str | None) -> str:
    cleaned = PurePosixPath((name or "upload").replace("\\", "/")).name
    if (
        cleaned in {"", ".", ".."}
        or any(ord(c) < 32 for c in cleaned)
        or len(cleaned.encode()) > 255
    ):
        raise ValidationError(
            "the upload has no usable file name",
            field="file",
            value=name,
            detail_vi="tệp tải lên không có tên dùng được",
        )
    return cleaned


def _too_large(max_mb: int, name: str | None = None) -> ValidationError:
    return ValidationError(
        f"the upload is larger than {max_mb} MB",
        field="file",
        value=name,
        detail_vi=f"tệp tải lên lớn hơn {max_mb} MB",
    )


def _store_upload(file: UploadFile, target: Path, settings: ApiSettings) -> tuple[Path, list[str]]:
    """Save the upload, unpacking a zip within the limits; returns what to ingest (the file,
    or the folder the zip gave) and the members left out."""
    written = 0
    with target.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            written += len(chunk)
            if written > settings.max_upload_mb << 20:
                raise _too_large(settings.max_upload_mb, file.filename)
            out.write(chunk)
    if target.suffix.lower() != ".zip":
        return target, []
    unpacked, skipped = unpack_upload(
        target,
        target.with_name("unpacked"),
        max_bytes=settings.max_unpacked_mb << 20,
        max_members=settings.max_zip_members,
        max_ratio=settings.max_zip_ratio,
    )
    target.unlink()  # its members are what is taken in
    return unpacked, skipped
