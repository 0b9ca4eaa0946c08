"""Uploads cannot fill the disk: a real ``landreg serve`` on PostGIS, signed in as staff.

A 1 MB upload holding one 1 GiB member was once accepted, unpacked whole and left on disk
after its job failed, and failed jobs showed where the server keeps its files. Here each
limit is set small through its ``LANDREG_`` setting, and after every answer the ingest folder
is measured: nothing an upload brought may stay once it is refused or its job has ended.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import stat
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.jobs import IngestJobs, JobFolder, run_job
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_user
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, _migrated_database
from tests.serving import landreg_serving

REPO = Path(__file__).resolve().parents[2]
SHAPEFILE = REPO / "sample_data" / "small" / "maps" / "tay_ninh_cu" / "25630_xa_tan_bien"
STAFF, PASSWORD = "staff", "correct horse battery"
LIMITS = {
    "LANDREG_MAX_UPLOAD_MB": "4",
    "LANDREG_MAX_UNPACKED_MB": "8",
    "LANDREG_MAX_ZIP_MEMBERS": "40",
    "LANDREG_MAX_ZIP_RATIO": "100",
}


@pytest.fixture(scope="module")
def register_url() -> Iterator[str]:
    """A database of its own with one cadastral staff account (committed: the server is a
    process of its own)."""
    url, database = _migrated_database(f"landreg_test_uploads_{os.getpid()}")
    with UnitOfWork(database) as uow:
        create_user(uow, STAFF, PASSWORD, Role.CADASTRAL_STAFF, actor="test")
    database.engine.dispose()
    yield url
    _drop_database(url)


def _serving(url: str, folder: Path, **settings: str):  # type: ignore[no-untyped-def]
    return landreg_serving(
        url,
        LANDREG_INGEST_DIR=str(folder / "ingest"),
        LANDREG_DATA_DIR=str(folder / "data"),
        LANDREG_SECRET_KEY=uuid.uuid4().hex * 2,
        **{**LIMITS, **settings},
    )


@pytest.fixture(scope="module")
def server(register_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("served")
    with _serving(register_url, folder) as base:
        token = httpx.post(f"{base}/auth/token", data={"username": STAFF, "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        yield {"base": base, "headers": headers, "ingest": folder / "ingest"}


def _disk(folder: Path) -> tuple[int, list[str]]:
    """Bytes and entries under ``folder``."""
    size, entries = 0, []
    for parent, folders, files in os.walk(folder):
        entries += [os.path.join(parent, name) for name in folders + files]
        size += sum(os.path.getsize(os.path.join(parent, name)) for name in files)
    return size, entries


def _upload(server: dict[str, Any], name: str, data: bytes, **form: str) -> httpx.Response:
    return httpx.post(
        f"{server['base']}/ingest",
        headers=server["headers"],
        files={"file": (name, data)},
        data=form,
        timeout=60,
    )


def _finished(server: dict[str, Any], href: str) -> dict[str, Any]:
    """The job once it has ended (polled as a client would)."""
    for _ in range(600):
        job = httpx.get(f"{server['base']}{href}", headers=server["headers"]).json()
        if job["finished_at"] is not None:
            return dict(job)
        time.sleep(0.1)
    pytest.fail(f"the job {href} did not end")


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return bundle.getvalue()


def _lie_about_size(data: bytes, declared: int) -> bytes:
    """The zip with its one member's uncompressed size rewritten in both headers."""
    patched = bytearray(data)
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    patched[local + 22 : local + 26] = declared.to_bytes(4, "little")
    patched[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(patched)


def _refused_leaving_nothing(server: dict[str, Any], answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = dict(answer.json())
    assert problem["errors"][0]["field"] == "file"
    assert _disk(server["ingest"]) == (0, []), "a refused upload leaves nothing on disk"
    return problem


def test_a_zip_bomb_is_refused_and_leaves_nothing(server):
    bomb = _zip({"ThuaDat.gpkg": bytes(64 << 20)})
    assert len(bomb) < 100_000  # 64 MB of zeros in well under 100 kB
    problem = _refused_leaving_nothing(server, _upload(server, "bomb.zip", bomb))
    assert "more than 8 MB" in problem["detail"]


def test_a_bomb_whose_directory_lies_about_its_size_is_refused(server):
    lying = _lie_about_size(_zip({"ThuaDat.gpkg": bytes(64 << 20)}), 1000)
    assert zipfile.ZipFile(io.BytesIO(lying)).infolist()[0].file_size == 1000
    problem = _refused_leaving_nothing(server, _upload(server, "lying.zip", lying))
    assert "ThuaDat.gpkg is damaged" in problem["detail"]


def _symlink_zip() -> bytes:
    link = zipfile.ZipInfo("maps/ThuaDat.gpkg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(link, "/etc/passwd")
    return bundle.getvalue()


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (_zip({f"bang/{n}.csv": b"a,b\n1,2\n" for n in range(41)}), "more than 40 entries"),
        (_zip({"zeros.csv": bytes(2 << 20)}), "more than the limit of 100 times"),
        (_zip({"../../escape.csv": b"a,b\n"}), "a path outside itself"),
        (_zip({"/etc/cron.d/landreg": b"* * * * * root true\n"}), "a path outside itself"),
        (_symlink_zip(), "is a symbolic link"),
        (_zip({"maps": b"x", "maps/a.csv": b"a\n"}), "both as a file and as a folder"),
    ],
    ids=["members", "ratio", "dotdot", "absolute", "symlink", "file-and-folder"],
)
def test_a_zip_breaking_a_rule_is_refused_and_leaves_nothing(server, data, said):
    problem = _refused_leaving_nothing(server, _upload(server, "bundle.zip", data))
    assert said in problem["detail"]


def test_a_zip_holding_a_name_twice_is_refused(server):
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("register.csv", "first")
        archive.writestr("register.csv", "second")
    problem = _refused_leaving_nothing(server, _upload(server, "twice.zip", bundle.getvalue()))
    assert "register.csv twice" in problem["detail"]


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(server):
    too_big = _upload(server, "ThuaDat.gpkg", bytes(5 << 20))  # Content-Length says it
    problem = _refused_leaving_nothing(server, too_big)  # in Vietnamese unless asked otherwise
    assert too_big.headers["content-language"] == "vi"
    assert problem["detail"] == "tệp tải lên lớn hơn 4 MB"
    assert problem["title"] == "Giá trị không hợp lệ"

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield (
            b'--edge\r\nContent-Disposition: form-data; name="file"; filename="big.gpkg"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n"
        )
        for _ in range(8):
            yield bytes(1 << 20)
        yield b"\r\n--edge--\r\n"

    streamed = httpx.post(
        f"{server['base']}/ingest",
        headers={
            **server["headers"],
            "Content-Type": "multipart/form-data; boundary=edge",
            "Accept-Language": "en-GB, vi;q=0.5",
        },
        content=chunked(),
        timeout=60,
    )
    problem = _refused_leaving_nothing(server, streamed)
    assert streamed.headers["content-language"] == "en"
    assert problem["detail"] == "the upload is larger than 4 MB"


def _shapefile_sha256() -> str:
    """The SHA-256 a Shapefile's batch records: all its parts, in the order landreg reads."""
    digest = hashlib.sha256()
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        part = SHAPEFILE / f"ThuaDat{suffix}"
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


def test_a_good_zip_is_taken_in_and_its_folder_removed(server):
    parts = {f"25630_xa_tan_bien/{p.name}": p.read_bytes() for p in sorted(SHAPEFILE.iterdir())}
    parts["25630_xa_tan_bien/old_delivery.zip"] = _zip({"ThuaDat.dbf": b"old"})
    accepted = _upload(server, "tan_bien.zip", _zip(parts))
    assert accepted.status_code == 202, accepted.text
    job = _finished(server, accepted.json()["href"])
    assert job["status"] == "done" and not job["stopped"], job
    assert any(r["file"] == "25630_xa_tan_bien/ThuaDat.shp" for r in job["results"])
    assert any("old_delivery.zip" in m and "not unpacked" in m for m in job["messages"])
    assert _disk(server["ingest"]) == (0, []), "the job's folder is removed when it is done"
    # provenance stays in the register: the file's name, size and hash
    batches = httpx.get(f"{server['base']}/ingest/batches", headers=server["headers"]).json()
    parcels = next(b for b in batches if b["file_name"] == "ThuaDat.shp")
    assert parcels["sha256"] == _shapefile_sha256()


def test_a_failed_job_names_no_server_path(server):
    jobs = []
    for name, data in [
        ("broken.gpkg", b"not a geopackage" * 50),  # the reader's error quotes the full path
        ("two.zip", _zip({"maps/broken.gpkg": b"not a geopackage" * 50})),
        ("three.zip", _zip({"register/empty.csv": b"", "register/a.csv": b"a,b\n"})),
    ]:
        accepted = _upload(server, name, data)
        assert accepted.status_code == 202, accepted.text
        jobs.append(_finished(server, accepted.json()["href"]))
    single, zipped, stopped = jobs
    assert single["status"] == "failed" and "'broken.gpkg' not" in single["error"]["detail"]
    # in a zip, the unreadable file is stopped with its reason and the rest of the zip loads
    [broken] = zipped["stopped"]
    assert zipped["status"] == "done" and broken["file"] == "maps/broken.gpkg"
    assert "'maps/broken.gpkg' not" in broken["detail"]
    assert "register/empty.csv" in {s["file"] for s in stopped["stopped"]}
    for job in jobs:
        shown = httpx.get(f"{server['base']}/ingest/{job['id']}", headers=server["headers"]).text
        for server_path in (str(server["ingest"]), str(server["ingest"].resolve()), str(REPO)):
            assert server_path not in shown, shown
        assert shown.count(job["id"]) == 1, "the job's folder is not named either"
    assert _disk(server["ingest"]) == (0, []), "a failed job's folder is removed too"


def test_a_profile_is_named_never_a_file_of_the_server(server):
    answer = _upload(server, "a.csv", b"a,b\n", profile=str(REPO / "pyproject.toml"))
    assert answer.status_code == 422 and "no profile named" in answer.json()["detail"]
    assert "setuptools" not in answer.text and _disk(server["ingest"]) == (0, [])


def _leftover(root: Path, *, lock: bool) -> Path:
    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True)
    (folder / "ThuaDat.gpkg").write_bytes(bytes(1 << 20))
    if lock:
        folder.with_name(f"{folder.name}.lock").touch()
    return folder


def test_leftovers_of_a_stopped_server_are_removed_at_start(register_url, tmp_path):
    root = tmp_path / "ingest"
    before_locks = _leftover(root, lock=False)  # a killed server of an older version
    crashed = _leftover(root, lock=True)  # a killed server: its lock is no longer held
    living = _leftover(root, lock=True)  # another worker still working on it
    held = os.open(living.with_name(f"{living.name}.lock"), os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    (root / "notes.txt").write_text("not a job's")
    (root / "keep").mkdir()
    try:
        with _serving(register_url, tmp_path) as base:
            assert httpx.get(f"{base}/health").status_code == 200
            assert not before_locks.exists() and not crashed.exists()
            assert not crashed.with_name(f"{crashed.name}.lock").exists()
            assert (living / "ThuaDat.gpkg").exists()
            assert (root / "notes.txt").exists() and (root / "keep").is_dir()
    finally:
        os.close(held)


def test_a_job_that_crashes_removes_its_folder_and_tells_only_that(tmp_path):
    folder = JobFolder(tmp_path / "ingest")
    (folder.path / "register.csv").write_bytes(b"a,b\n1,2\n" * 1000)
    job = IngestJobs().new("register.csv", "staff", job_id=folder.id)
    no_database: Any = None  # taking the file in breaks with an error nobody planned for
    run_job(job, no_database, folder, folder.path / "register.csv", IngestOptions())
    assert job.status == "failed" and job.error is not None
    assert job.error["title_en"] == "Internal error" and job.error["title"] == "Lỗi hệ thống"
    assert str(tmp_path) not in str(job.error)
    assert _disk(tmp_path / "ingest") == (0, [])
