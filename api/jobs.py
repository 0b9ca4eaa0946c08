"""Ingest jobs run in the background; their progress and summary are kept for polling.

Each job's upload lives in a folder of its own under ``LANDREG_INGEST_DIR``, removed when the
job ends whatever the outcome; the source batch keeps the file's name, size and SHA-256. A
lock file beside the folder, held while this process works on the job, tells a server
starting later (or another worker) which folders were left by a process that died.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from landreg.domain.delivery import IngestOptions
from landreg.errors import LandRegError
from landreg.services import RegisterDatabase
from landreg.services.sources import ingest_folder, ingest_path

log = logging.getLogger("landreg.ingest")
MAX_KEPT = 500
_JOB_ENTRY = re.compile(r"^([0-9a-f]{32})(\.lock)?$")
# A job's error reads in Vietnamese (``title``, ``detail``) with the English beside it
# (``title_en``, ``detail_en``): the job is polled, not negotiated, so it carries both.
INTERNAL_ERROR = {
    "title": "Lỗi hệ thống",
    "title_en": "Internal error",
    "detail": "không nạp được tệp; lỗi đã được ghi lại",
    "detail_en": "the file could not be taken in; the error has been logged",
}


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

    def new(self, file_name: str, actor: str, job_id: str | None = None) -> IngestJob:
        """Register a queued job (named after its folder, when it has one)."""
        job = IngestJob(job_id or uuid.uuid4().hex, file_name, actor)
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-MAX_KEPT]:
                del self._jobs[old]
        return job

    def get(self, job_id: str) -> IngestJob | None:
        """A job by id."""
        with self._lock:
            return self._jobs.get(job_id)


class JobFolder:
    """The folder one job's upload is kept in, locked by this process until it is removed."""

    def __init__(self, root: Path) -> None:
        root = root.resolve()
        root.mkdir(parents=True, exist_ok=True)
        lock = None
        while lock is None:  # another id only when a sweep took the first one's lock file
            self.id = uuid.uuid4().hex
            lock = _locked(root / f"{self.id}.lock")
        self._lock = lock
        self.path = root / self.id
        self.path.mkdir()

    def remove(self) -> None:
        """Remove everything kept for the job (the folder first, then its lock)."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.with_name(f"{self.id}.lock").unlink(missing_ok=True)
        os.close(self._lock)

    def shown(self, value: Any) -> Any:
        """``value`` (text, or lists and dicts of it) naming files as the user knows them:
        relative to the upload, never by their place on the server."""
        if isinstance(value, str):
            for prefix in (f"{self.path}/unpacked/", f"{self.path}/", str(self.path)):
                value = value.replace(prefix, "")
            return value
        if isinstance(value, list):
            return [self.shown(item) for item in value]
        if isinstance(value, dict):
            return {key: self.shown(item) for key, item in value.items()}
        return value


def _locked(path: Path) -> int | None:
    """A new lock file, held; None when a sweep removed it before it could be held."""
    handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held = os.fstat(handle).st_ino == os.stat(path).st_ino
    except OSError:  # a sweep holds it, or has unlinked it since
        held = False
    if held:
        return handle
    os.close(handle)
    return None


def sweep_job_folders(root: Path) -> int:
    """Remove what jobs of processes no longer running left under ``root`` (a server killed
    mid-job); returns how many folders went. Only job folders and locks are touched, and
    only those no living process holds."""
    if not root.is_dir():
        return 0
    removed = 0
    for entry in list(root.iterdir()):
        match = _JOB_ENTRY.match(entry.name)
        if match is None or (match.group(2) is None and not entry.is_dir()):
            continue
        lock = root / f"{match.group(1)}.lock"
        try:
            handle = os.open(lock, os.O_RDWR)
        except FileNotFoundError:  # a folder without a lock: from before locks, or orphaned
            removed += _remove(root / match.group(1))
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            continue  # a living process works on it
        removed += _remove(root / match.group(1))
        lock.unlink(missing_ok=True)
        os.close(handle)
    if removed:
        log.info("removed %d ingest folders left by jobs of a stopped server", removed)
    return removed


def _remove(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    shutil.rmtree(folder, ignore_errors=True)
    return 1


def run_job(
    job: IngestJob,
    database: RegisterDatabase,
    folder: JobFolder,
    path: Path,
    options: IngestOptions,
) -> None:
    """Ingest ``path`` (a file, or a folder unpacked from a zip), record the outcome, and
    remove the job's folder; the outcome is published once the folder is gone. A refusal
    fails the job with its detail (the ingest service raises the geometry engine's errors as
    landreg's own, so a CRS refusal reads as one here too)."""
    job.status = "running"
    status, error = "failed", None
    try:
        _take_in(job, database, folder, path, options)
        status = "done"
    except LandRegError as failure:
        error = folder.shown(job_error(failure))
    except Exception:  # logged whole; the client learns only that it failed
        log.exception("ingest job %s failed", job.id)
        error = INTERNAL_ERROR
    finally:
        folder.remove()
        job.error, job.finished_at = error, datetime.now(UTC).isoformat()
        job.status = status


def job_error(error: LandRegError, *, titled: bool = True) -> dict[str, Any]:
    """An error as a job shows it: Vietnamese (``title``, ``detail``; the English where no
    Vietnamese is written) and English (``title_en``, ``detail_en``), and the field."""
    shown: dict[str, Any] = {"title": error.title_vi, "title_en": error.title} if titled else {}
    return shown | {
        "detail": error.detail_in("vi"),
        "detail_en": error.detail,
        "field": error.field,
    }


def _take_in(
    job: IngestJob,
    database: RegisterDatabase,
    folder: JobFolder,
    path: Path,
    options: IngestOptions,
) -> None:
    def say(line: str) -> None:
        job.messages.append(folder.shown(line))

    if path.is_dir():
        loaded, stopped = ingest_folder(database, path, options, say=say)
        job.results = folder.shown(
            [asdict(result) | {"file": str(p.relative_to(path))} for p, result in loaded]
        )
        job.stopped = folder.shown(
            [{"file": str(p.relative_to(path))} | job_error(e, titled=False) for p, e in stopped]
        )
    else:
        job.results = folder.shown(
            [asdict(result) for result in ingest_path(database, path, options, say=say)]
        )
