"""The signing secret landreg draws for itself: private to its owner, one for every worker."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from landreg.errors import ConfigurationError
from landreg.secret import SECRET_FILE_NAME, stored_secret

WORKERS = 8


def test_drawn_once_private_to_its_owner_and_read_back(tmp_path: Path):
    folder = tmp_path / "var"  # made when missing
    secret = stored_secret(folder)
    path = folder / SECRET_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) == 64 and path.read_text() == secret + "\n"
    assert stored_secret(folder) == secret
    assert stored_secret(tmp_path / "another") != secret  # random, not derived
    assert sorted(p.name for p in folder.iterdir()) == [SECRET_FILE_NAME]  # no draft left


def test_private_even_under_a_permissive_umask(tmp_path: Path):
    before = os.umask(0)
    try:
        stored_secret(tmp_path)
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / SECRET_FILE_NAME).stat().st_mode) == 0o600


def _draw(folder: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue):
    start.wait()
    out.put(stored_secret(Path(folder)))


def test_workers_starting_at_once_end_with_one_secret(tmp_path: Path):
    """Eight processes released together on an empty folder: each either writes the secret
    or reads the one written, never a half-written file or a secret replaced under it."""
    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        folder = tmp_path / f"run{attempt}"
        start, out = context.Barrier(WORKERS), context.Queue()
        workers = [
            context.Process(target=_draw, args=(str(folder), start, out)) for _ in range(WORKERS)
        ]
        for worker in workers:
            worker.start()
        secrets = [out.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        assert len(set(secrets)) == 1
        assert (folder / SECRET_FILE_NAME).read_text().strip() == secrets[0]
        assert [p.name for p in folder.iterdir()] == [SECRET_FILE_NAME]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_secret_others_may_read_is_refused(tmp_path: Path, mode: int):
    stored_secret(tmp_path)
    path = tmp_path / SECRET_FILE_NAME
    path.chmod(mode)
    with pytest.raises(ConfigurationError) as caught:
        stored_secret(tmp_path)
    assert caught.value.field == "data_dir"
    assert "chmod 600" in caught.value.detail and oct(mode)[2:] in caught.value.detail
    assert stat.S_IMODE(path.stat().st_mode) == mode  # left for the operator to look at


def test_a_short_secret_file_is_refused(tmp_path: Path):
    path = tmp_path / SECRET_FILE_NAME
    path.write_text("too short\n")
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="fewer than 32 characters"):
        stored_secret(tmp_path)


def test_a_folder_it_cannot_make_is_a_clear_error(tmp_path: Path):
    taken = tmp_path / "var"
    taken.write_text("a file where the data folder should be")
    with pytest.raises(ConfigurationError, match="LANDREG_SECRET_KEY") as caught:
        stored_secret(taken)
    assert caught.value.field == "data_dir" and "Traceback" not in caught.value.detail
