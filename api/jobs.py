"""Ingest jobs run in the background; their progress and summary are kept for polling."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.pipeline import IngestOptions, ingest_folder, ingest_path
from landreg.errors import LandRegError
from landreg.store.database import RegisterDatabase

log = logging.getLogger("landreg.ingest")
MAX_KEPT = 500


@dataclass(slots=True)
class IngestJob:
    """One uploaded file being taken in."""

    id: str
    file_name: str
    actor: str
    status: str = "queued"  # queued, running, done, failed
    submitted_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    messages: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    stopped: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None


class IngestJobs:
    """The jobs of this server process, newest kept."""

    def __init__(self) -> None:
        self._jobs: dict[str, IngestJob] = {}
        self._lock = threading.Lock()

    def new(self, file_name: str, actor: str) -> IngestJob:
        """Register a queued job."""
        job = IngestJob(uuid.uuid4().hex, file_name, actor)
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-MAX_KEPT]:
                del self._jobs[old]
        return job

    def get(self, job_id: str) -> IngestJob | None:
        """A job by id."""
        with self._lock:
            return self._jobs.get(job_id)


def run_job(job: IngestJob, database: RegisterDatabase, path: Path, options: IngestOptions) -> None:
    """Ingest ``path`` (a file, or a folder unpacked from a zip) and record the outcome."""
    job.status = "running"
    try:
        if path.is_dir():
            loaded, stopped = ingest_folder(database, path, options, say=job.messages.append)
            job.results = [
                asdict(result) | {"file": str(p.relative_to(path))} for p, result in loaded
            ]
            job.stopped = [
                {"file": str(p.relative_to(path)), "field": e.field, "detail": e.detail}
                for p, e in stopped
            ]
        else:
            job.results = [
                asdict(result)
                for result in ingest_path(database, path, options, say=job.messages.append)
            ]
        job.status = "done"
    except LandRegError as error:
        job.status = "failed"
        job.error = {"title": error.title, "detail": error.detail, "field": error.field}
    except Exception:  # logged whole; the client learns only that it failed
        log.exception("ingest job %s failed", job.id)
        job.status = "failed"
        job.error = {
            "title": "Internal error",
            "detail": "the file could not be taken in; the error has been logged",
        }
    finally:
        job.finished_at = datetime.now(UTC).isoformat()
