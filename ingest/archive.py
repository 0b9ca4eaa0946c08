"""Unpacking an uploaded zip without trusting it: size, entries and ratio bounded, paths kept in.

Whoever makes a zip writes its directory: the sizes it declares can lie, an entry can name a
path outside the folder or be a symbolic link, and a few kilobytes can unpack to gigabytes
(a zip bomb). So the directory is checked before anything is written, and then each member
is streamed out with the bytes really written counted, stopping at the limit. Archives inside
the zip are not unpacked.
"""

from __future__ import annotations

import lzma
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from landreg.errors import ValidationError

# Members (and whole zips) smaller than this cannot fill a disk whatever their ratio; tiny
# files (a .cpg, an empty table) often pack badly or absurdly well.
RATIO_FLOOR = 1 << 20
CHUNK = 1 << 20
ENTRY_ALLOWANCE = 2048  # bytes of the zip's directory one entry may take (name, extras)
NESTED_ARCHIVES = frozenset(
    {".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".kmz"}
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_UNREADABLE = (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, OSError)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How much one zip may unpack to."""

    max_bytes: int
    max_members: int
    max_ratio: float


@dataclass(slots=True)
class Unpacked:
    """What a zip gave: the files written (relative names), their size, what was left out."""

    folder: Path
    files: list[str] = field(default_factory=list)
    size: int = 0
    skipped: list[str] = field(default_factory=list)


def unpack_zip(archive: Path, into: Path, limits: ArchiveLimits) -> Unpacked:
    """Unpack ``archive`` into the new folder ``into``, refusing what breaks ``limits``.

    Raises ``ValidationError`` (field ``file``, the member's name as value) for an unreadable
    zip, too many entries, too many bytes, a ratio above the limit, a path outside the
    folder, a link or special file, a name twice; ``into`` is then removed whole.
    """
    check_directory_size(archive, limits)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            unpacked = Unpacked(into, skipped=plan_members(members, archive.stat().st_size, limits))
            into.mkdir(parents=True)
            budget = Budget(limits)
            for member in members:
                _extract(bundle, member, unpacked, budget)
    except (zipfile.BadZipFile, UnicodeDecodeError, EOFError):
        shutil.rmtree(into, ignore_errors=True)
        raise ValidationError(
            "không đọc được tệp zip / the zip cannot be read", field="file", value=archive.name
        ) from None
    except BaseException:
        shutil.rmtree(into, ignore_errors=True)
        raise
    return unpacked


def check_directory_size(archive: Path, limits: ArchiveLimits) -> None:
    """Refuse a zip whose directory declares more entries, or more bytes, than the limit
    allows, before the directory is read into memory (millions of entries would fill it)."""
    declared = _declared_directory(archive)
    if declared is None:
        return  # no end record: zipfile says the zip cannot be read
    entries, size = declared
    if entries > limits.max_members or size > limits.max_members * ENTRY_ALLOWANCE:
        raise ValidationError(
            f"tệp zip chứa hơn {limits.max_members} mục, giới hạn của một lần tải lên / the zip "
            f"holds more than {limits.max_members} entries, the limit for an upload",
            field="file",
            value=archive.name,
        )


def plan_members(
    members: list[zipfile.ZipInfo], archive_size: int, limits: ArchiveLimits
) -> list[str]:
    """Check the zip's directory against the limits before anything is written; returns the
    archives inside it, which are left packed."""
    if len(members) > limits.max_members:
        raise ValidationError(
            f"tệp zip chứa {len(members)} mục, vượt giới hạn {limits.max_members} / the zip "
            f"holds {len(members)} entries, more than the limit of {limits.max_members}",
            field="file",
            value=None,
        )
    seen: set[PurePosixPath] = set()
    folders: set[PurePosixPath] = set()
    skipped = []
    for member in members:
        path = member_path(member)
        _refuse_special(member)
        if is_left_out(path):
            if path.suffix.lower() in NESTED_ARCHIVES and not member.is_dir():
                skipped.append(member.filename)
            continue
        if member.is_dir():
            folders.add(path)
            continue
        if path in seen:
            raise ValidationError(
                f"tệp zip chứa {member.filename} hai lần / the zip holds {member.filename} twice",
                field="file",
                value=member.filename,
            )
        seen.add(path)
        folders.update(path.parents)
    _refuse_file_and_folder(seen, folders)
    _check_declared_sizes([m for m in members if member_path(m) in seen], archive_size, limits)
    return skipped


def member_path(member: zipfile.ZipInfo) -> PurePosixPath:
    """The member's path inside the folder; refused when it would lead outside it."""
    raw = member.filename.replace("\\", "/")
    path = PurePosixPath(raw)
    outside = raw.startswith("/") or _DRIVE.match(raw) or ".." in path.parts
    if outside or not (path.parts or member.is_dir()) or any(ord(c) < 32 for c in raw):
        raise ValidationError(
            "tệp zip chứa một đường dẫn ra ngoài chính nó / the zip holds a path outside itself",
            field="file",
            value=member.filename,
        )
    if len(raw.encode()) > 1024 or any(len(part.encode()) > 255 for part in path.parts):
        raise ValidationError(
            "tệp zip chứa một tên quá dài cho một tệp / the zip holds a name too long for a file",
            field="file",
            value=member.filename,
        )
    return path


def is_left_out(path: PurePosixPath) -> bool:
    """Archives inside the zip are not unpacked, nor macOS's ``__MACOSX`` metadata (nor
    a ``./`` folder entry)."""
    return not path.parts or path.parts[0] == "__MACOSX" or path.suffix.lower() in NESTED_ARCHIVES


def _refuse_special(member: zipfile.ZipInfo) -> None:
    """Only files and folders (a symbolic link could point anywhere on the server), and
    none encrypted (it could not be read)."""
    kind = stat.S_IFMT(member.external_attr >> 16)
    if kind in (0, stat.S_IFREG, stat.S_IFDIR):
        if member.flag_bits & 0x1:
            raise ValidationError(
                f"{member.filename} đã được mã hóa; hãy gửi bản không mã hóa / "
                f"{member.filename} is encrypted; send it unencrypted",
                field="file",
                value=member.filename,
            )
        return
    what, what_vi = (
        ("a symbolic link", "một liên kết tượng trưng")
        if kind == stat.S_IFLNK
        else ("a special file", "một tệp đặc biệt")
    )
    raise ValidationError(
        f"{member.filename} là {what_vi}; tệp zip chỉ được chứa tệp và thư mục / "
        f"{member.filename} is {what}; a zip may hold only files and folders",
        field="file",
        value=member.filename,
    )


def _refuse_file_and_folder(files: set[PurePosixPath], folders: set[PurePosixPath]) -> None:
    both = sorted(files & folders)
    if both:
        raise ValidationError(
            f"tệp zip chứa {both[0]} vừa là tệp vừa là thư mục / the zip holds {both[0]} both "
            "as a file and as a folder",
            field="file",
            value=str(both[0]),
        )


def _check_declared_sizes(
    members: list[zipfile.ZipInfo], archive_size: int, limits: ArchiveLimits
) -> None:
    """What the directory declares: the total, each member's ratio and the whole's."""
    total = sum(m.file_size for m in members)
    if total > limits.max_bytes:
        raise too_big(limits, None)
    packed = sum(m.compress_size for m in members)
    if packed > archive_size:  # entries sharing their data: the overlapping zip bomb
        raise ValidationError(
            "các mục trong tệp zip chồng lên nhau: đây không phải tệp nén thông thường / the "
            "zip's entries overlap: it is not a plain archive",
            field="file",
            value=None,
        )
    for member in members:
        check_ratio(member, member.file_size, limits)
    if total > RATIO_FLOOR and total > limits.max_ratio * max(packed, 1):
        raise too_dense("the zip", total / max(packed, 1), limits, None)


def check_ratio(member: zipfile.ZipInfo, unpacked: int, limits: ArchiveLimits) -> None:
    """Refuse a member that unpacks (or has unpacked so far) to more than the ratio allows."""
    if unpacked > RATIO_FLOOR and unpacked > limits.max_ratio * max(member.compress_size, 1):
        ratio = unpacked / max(member.compress_size, 1)
        raise too_dense(member.filename, ratio, limits, member.filename)


def too_big(limits: ArchiveLimits, name: str | None) -> ValidationError:
    """The error for a zip that unpacks to more than the limit."""
    return ValidationError(
        f"tệp zip giải nén ra hơn {limits.max_bytes >> 20} MB, giới hạn của một lần tải lên / "
        f"the zip unpacks to more than {limits.max_bytes >> 20} MB, the limit for an upload",
        field="file",
        value=name,
    )


def too_dense(what: str, ratio: float, limits: ArchiveLimits, name: str | None) -> ValidationError:
    """The error for a member (or zip) packed far tighter than real data packs."""
    what_vi = "tệp zip" if what == "the zip" else what
    return ValidationError(
        f"{what_vi} giải nén ra gấp {ratio:.0f} lần kích thước nén, vượt giới hạn "
        f"{limits.max_ratio:g} lần (bom zip?) / {what} unpacks to {ratio:.0f} times its packed "
        f"size, more than the limit of {limits.max_ratio:g} times (a zip bomb?)",
        field="file",
        value=name,
    )


class Budget:
    """The bytes a zip may still unpack to, counted as they are really written: the sizes
    its directory declares may lie."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.written = 0

    def add(self, member: zipfile.ZipInfo, chunk: int, member_done: int) -> None:
        """Count ``chunk`` more bytes of ``member`` (``member_done`` with them)."""
        self.written += chunk
        if member_done > member.file_size:
            raise ValidationError(
                f"{member.filename} chứa nhiều hơn {member.file_size} byte mà danh mục của tệp "
                f"zip khai / {member.filename} holds more than the {member.file_size} bytes "
                "the zip's directory declares",
                field="file",
                value=member.filename,
            )
        if self.written > self.limits.max_bytes:
            raise too_big(self.limits, member.filename)
        check_ratio(member, member_done, self.limits)


def copy_member(source: IO[bytes], out: IO[bytes], member: zipfile.ZipInfo, budget: Budget) -> int:
    """Stream ``member`` from ``source`` to ``out`` chunk by chunk, within ``budget``."""
    done = 0
    while True:
        try:
            chunk = source.read(CHUNK)
        except _UNREADABLE:
            raise ValidationError(
                f"không đọc được tệp zip: {member.filename} bị hỏng / the zip cannot be read: "
                f"{member.filename} is damaged",
                field="file",
                value=member.filename,
            ) from None
        if not chunk:
            return done
        done += len(chunk)
        budget.add(member, len(chunk), done)
        out.write(chunk)


def _extract(
    bundle: zipfile.ZipFile, member: zipfile.ZipInfo, unpacked: Unpacked, budget: Budget
) -> None:
    path = member_path(member)
    if is_left_out(path):
        return
    target = unpacked.folder.joinpath(*path.parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = bundle.open(member)
    except NotImplementedError:
        raise ValidationError(
            f"{member.filename} được nén theo cách landreg không giải nén được; hãy dùng "
            f"deflate / {member.filename} is packed with a method landreg cannot unpack; use "
            "deflate",
            field="file",
            value=member.filename,
        ) from None
    try:
        out = target.open("xb")
    except FileExistsError:  # names that differ only in case, on a file system that ignores it
        source.close()
        raise ValidationError(
            f"tệp zip chứa {member.filename} hai lần / the zip holds {member.filename} twice",
            field="file",
            value=member.filename,
        ) from None
    with source, out:
        unpacked.size += copy_member(source, out, member, budget)
    unpacked.files.append(str(path))


def _declared_directory(archive: Path) -> tuple[int, int] | None:
    """Entries and bytes of the zip's directory as its end record (or Zip64 record) says."""
    with archive.open("rb") as handle:
        end = handle.seek(0, 2)
        start = max(0, end - 22 - 0xFFFF)
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        entries = int.from_bytes(tail[at + 10 : at + 12], "little")
        size = int.from_bytes(tail[at + 12 : at + 16], "little")
        locator = tail[at - 20 : at] if at >= 20 else b""
        if not locator.startswith(b"PK\x06\x07"):
            return entries, size
        handle.seek(int.from_bytes(locator[8:16], "little"))
        record = handle.read(56)
    if not record.startswith(b"PK\x06\x06") or len(record) < 56:
        return entries, size
    return (
        max(entries, int.from_bytes(record[32:40], "little")),
        max(size, int.from_bytes(record[40:48], "little")),
    )
