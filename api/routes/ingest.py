"""Cadastral staff upload source files; ingest runs in the background and is polled."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile, status
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import UowDep
from api.jobs import IngestJob, IngestJobs, run_job
from api.schemas import Problem, UtcTime
from api.security import StaffDep
from ingest.pipeline import IngestOptions
from ingest.profiles import load_profile, shipped_profiles
from landreg.errors import NotFoundError, ValidationError
from landreg.store.tables import SourceBatchRow

router = APIRouter(prefix="/ingest", tags=["ingest"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}
MAX_UNPACKED = 4 << 30  # a zip may not unpack to more than 4 GiB


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
    as_of: Annotated[datetime | None, Form(description="the date the file's data is as of")] = None,
) -> JobAccepted:
    """Accept the upload and take it in in the background; poll ``href`` for the outcome."""
    if profile is not None and profile not in shipped_profiles():
        load_profile(profile)  # raises, naming the shipped profiles
    settings = request.app.state.settings.api
    job = _jobs(request).new(_safe_name(file.filename), principal.name)
    folder = Path(settings.ingest_dir) / job.id
    path = _store_upload(file, folder, settings.max_upload_mb)
    options = IngestOptions(
        kind=kind,
        layer=layer,
        profile=profile,
        crs=crs,
        commune=commune,
        source=source,
        actor=principal.name,
        as_of=as_of,
    )
    background.add_task(run_job, job, request.app.state.database, path, options)
    return JobAccepted(id=job.id, status=job.status, href=f"/ingest/{job.id}")


@router.get(
    "/batches", response_model=list[BatchOut], responses=ERRORS, summary="Source batches taken in"
)
def batches(uow: UowDep, principal: StaffDep, limit: int = 50, offset: int = 0) -> list[BatchOut]:
    """The newest source batches first: file, hash, profile, who, when and what changed."""
    if not (1 <= limit <= 500 and offset >= 0):
        raise ValidationError(
            "limit must be 1 to 500 and offset 0 or more", field="limit", value=limit
        )
    rows = uow.session.scalars(
        select(SourceBatchRow).order_by(SourceBatchRow.id.desc()).limit(limit).offset(offset)
    )
    return [BatchOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/{job_id}", response_model=JobOut, responses=ERRORS, summary="An ingest job")
def job(request: Request, job_id: str, principal: StaffDep) -> JobOut:
    """Progress messages while it runs; per-batch summaries or the error when it is done."""
    found: IngestJob | None = _jobs(request).get(job_id)
    if found is None:
        raise NotFoundError(f"no ingest job {job_id}", field="job_id", value=job_id)
    return JobOut.model_validate(found, from_attributes=True)


def _safe_name(name: str | None) -> str:
    cleaned = PurePosixPath((name or "upload").replace("\\", "/")).name
    if not cleaned or cleaned in {".", ".."}:
        raise ValidationError("the upload has no usable file name", field="file", value=name)
    return cleaned


def _store_upload(file: UploadFile, folder: Path, max_mb: int) -> Path:
    """Save the upload (unpacking a zip safely) and return what to ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _safe_name(file.filename)
    written = 0
    with target.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            written += len(chunk)
            if written > max_mb << 20:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise ValidationError(
                    f"the upload is larger than {max_mb} MB", field="file", value=file.filename
                )
            out.write(chunk)
    if target.suffix.lower() != ".zip":
        return target
    return _unzip(target, folder / "unpacked")


def _unzip(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise ValidationError(
                    "the zip unpacks to more than 4 GiB", field="file", value=archive.name
                )
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise ValidationError(
                        "the zip holds a path outside itself", field="file", value=member.filename
                    )
            bundle.extractall(into)
    except zipfile.BadZipFile:
        raise ValidationError("the zip cannot be read", field="file", value=archive.name) from None
    return into
