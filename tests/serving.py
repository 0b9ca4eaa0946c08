"""Helpers the end-to-end tests share: a commune taken in and reconciled, a real server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from landreg.domain.delivery import IngestOptions
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small"
LONG_AN = (
    "admin/units.gpkg",
    "maps/long_an_cu/27694_phuong_long_an.gpkg",
    "register/so_dia_chinh_long_an_cu.xlsx",
)


def take_in_long_an(database: RegisterDatabase) -> None:
    """Phường Long An's map and register (with the commune boundaries), reconciled."""
    for path in LONG_AN:
        ingest_path(database, SAMPLE / path, IngestOptions())
    with UnitOfWork(database) as uow:
        reconcile(uow)


def free_port() -> int:
    """A TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def install_sample_units(folder: Path) -> None:
    """The sample's administrative units as the installation's own in ``folder`` (a
    ``LANDREG_DATA_DIR``), as ``landreg demo`` loads them: the sample data is made of them."""
    from sample_data.units import UNITS_FILE

    shutil.copyfile(UNITS_FILE, folder / "admin_units.csv")


@contextmanager
def landreg_serving(database_url: str, **settings: str) -> Iterator[str]:
    """A real ``landreg serve`` process on ``database_url``; yields its base URL once it
    answers, and stops it afterwards. ``settings`` are extra ``LANDREG_*`` variables."""
    port = free_port()
    env = {**os.environ, "LANDREG_DATABASE_URL": database_url, **settings}
    if "LANDREG_DATA_DIR" in settings:  # a data folder of its own: the sample's units in it
        folder = Path(settings["LANDREG_DATA_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "admin_units.csv").exists():
            install_sample_units(folder)
    # Its output goes to a file: a pipe nobody reads fills up after a few logged errors, and
    # the server then hangs on its next log line.
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("landreg serve did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
