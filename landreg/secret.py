"""The signing secret landreg makes for itself when none is configured.

A secret written in the source (or in the README) is known to everyone who reads it, and a
token signed with it is as good as one landreg issued. So when ``LANDREG_SECRET_KEY`` is not
set, the first start draws a random secret and keeps it in the data folder, readable by its
owner only, and every later start — and every other worker of the same server — reads the
same one back. Two workers starting at once must end with one secret: each writes its draw
to a file of its own and links it to the final name, which only the first can do; the others
read the winner's. A file anyone else may read is refused rather than silently trusted.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from landreg.errors import ConfigurationError

SECRET_FILE_NAME = "secret_key"
SHORTEST_SECRET = 32  # characters; what production requires of a configured secret too
_OWNER_ONLY = 0o600


def stored_secret(folder: Path) -> str:
    """The secret kept in ``folder``, drawn and written there (mode 0600) on first use."""
    path = folder / SECRET_FILE_NAME
    try:
        try:
            return _read(path)
        except FileNotFoundError:
            _create(path)
        return _read(path)
    except OSError as error:
        raise ConfigurationError(
            f"cannot keep a signing secret in {folder} ({error.strerror}): make the folder "
            "writable, choose another with LANDREG_DATA_DIR, or set LANDREG_SECRET_KEY",
            field="data_dir",
            value=str(folder),
            detail_vi=f"không thể lưu khóa ký bí mật trong thư mục {folder} ({error.strerror}): "
            "hãy cấp quyền ghi cho thư mục, chọn thư mục khác bằng LANDREG_DATA_DIR, hoặc đặt "
            "LANDREG_SECRET_KEY",
        ) from None


def _read(path: Path) -> str:
    """The secret in ``path``; refused when others may read it or it is too short."""
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"the signing secret {path} may be read by others (mode {stat.S_IMODE(mode):o}): "
            f"run `chmod 600 {path}`, or delete it to have a new one drawn (signing everyone "
            "out)",
            field="data_dir",
            value=str(path.parent),
            detail_vi=f"tệp khóa ký bí mật {path} có thể bị người khác đọc (quyền "
            f"{stat.S_IMODE(mode):o}): hãy chạy `chmod 600 {path}`, hoặc xóa tệp để tạo khóa mới "
            "(mọi người dùng sẽ phải đăng nhập lại)",
        )
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < SHORTEST_SECRET:
        raise ConfigurationError(
            f"the signing secret {path} holds fewer than {SHORTEST_SECRET} characters: "
            "delete it to have a new one drawn",
            field="data_dir",
            value=str(path.parent),
            detail_vi=f"tệp khóa ký bí mật {path} có ít hơn {SHORTEST_SECRET} ký tự: hãy xóa tệp "
            "để tạo khóa mới",
        )
    return secret


def _create(path: Path) -> None:
    """Write a new secret to ``path`` unless another process got there first.

    The draw goes to a private file first and is then hard-linked to ``path``: the link
    either creates ``path`` whole or fails because it exists, so nobody ever reads a file half
    written and no secret a worker already uses is replaced.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass  # another worker's secret is in place: use it
    finally:
        draft.unlink(missing_ok=True)
