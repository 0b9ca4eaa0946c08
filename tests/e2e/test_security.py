"""No known secret, tokens that expire, a limit nobody can dodge: a real ``landreg serve`` on
PostGIS in its default environment, with no ``LANDREG_SECRET_KEY``.

Anyone who read the source knew the secret it once shipped with, and a token signed with it
(without ``exp``, so for ever) was accepted as an administrator; uvicorn believed the
``X-Forwarded-For`` of any local client, so a citizen's look-up limit was lifted by naming
another address each time.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from landreg.domain.access import Role
from landreg.secret import SECRET_FILE_NAME
from landreg.services.accounts import create_user
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, _migrated_database
from tests.serving import landreg_serving

PUBLISHED_SECRET = "development-only-secret-change-me"  # what the source once shipped
ADMIN, PASSWORD = "chi", "correct horse battery"
UNKNOWN_DOSSIER = "/public/dossiers/H55.703-240104-0999"
LOOKUPS_PER_MINUTE = 3


@pytest.fixture(scope="module")
def register_url() -> Iterator[str]:
    """A database of its own with one administrator (committed: the server is a process)."""
    url, database = _migrated_database(f"landreg_test_security_{os.getpid()}")
    with UnitOfWork(database) as uow:
        create_user(uow, ADMIN, PASSWORD, Role.ADMINISTRATOR, actor="test")
    database.engine.dispose()
    yield url
    _drop_database(url)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


def _serving(url: str, data_dir: Path, **settings: str):  # type: ignore[no-untyped-def]
    """A server as an operator starts it by default: no secret configured (an empty value is
    unset, whatever the developer's environment holds), no proxy named."""
    defaults = {
        "LANDREG_ENVIRONMENT": "development",
        "LANDREG_SECRET_KEY": "",
        "LANDREG_DATA_DIR": str(data_dir),
        "LANDREG_PUBLIC_LOOKUPS_PER_MINUTE": str(LOOKUPS_PER_MINUTE),
        "LANDREG_TRUSTED_PROXIES": "",
    }
    return landreg_serving(url, **{**defaults, **settings})


@pytest.fixture(scope="module")
def server(register_url: str, data_dir: Path) -> Iterator[str]:
    with _serving(register_url, data_dir) as base:
        yield base


def _claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": ADMIN, "role": "administrator", "iat": now, "exp": now + timedelta(hours=1),
    }  # fmt: skip
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _server_secret(data_dir: Path) -> str:
    return (data_dir / SECRET_FILE_NAME).read_text().strip()


def _refused(base: str, token: str) -> None:
    """The token opens nothing: who-am-I and a staff page both 401 problem+json."""
    for path in ("/auth/me", "/ingest/batches"):
        answer = httpx.get(f"{base}{path}", headers=_bearer(token))
        assert answer.status_code == 401, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "phiên đăng nhập đã hết hạn hoặc không hợp lệ"
        assert answer.headers["www-authenticate"] == "Bearer"


def _admitted(base: str, token: str) -> None:
    me = httpx.get(f"{base}/auth/me", headers=_bearer(token))
    assert me.status_code == 200, me.text
    assert me.json() == {"name": ADMIN, "role": "administrator"}
    assert httpx.get(f"{base}/ingest/batches", headers=_bearer(token)).status_code == 200


def test_a_token_forged_with_the_published_secret_is_refused(server: str):
    forever = jwt.encode(_claims(exp=None), PUBLISHED_SECRET, algorithm="HS256")
    _refused(server, forever)  # the token of the issue: no exp, the secret in the source
    _refused(server, jwt.encode(_claims(), PUBLISHED_SECRET, algorithm="HS256"))


def test_the_servers_own_secret_still_needs_exp_iat_and_sub(server: str, data_dir: Path):
    secret = _server_secret(data_dir)
    _admitted(server, jwt.encode(_claims(), secret, algorithm="HS256"))  # the secret is right
    for missing in ("exp", "iat", "sub"):
        _refused(server, jwt.encode(_claims(**{missing: None}), secret, algorithm="HS256"))
    expired = _claims(iat=datetime.now(UTC) - timedelta(hours=2))
    expired["exp"] = datetime.now(UTC) - timedelta(minutes=1)
    _refused(server, jwt.encode(expired, secret, algorithm="HS256"))
    _refused(server, jwt.encode(_claims(), secret, algorithm="HS512"))  # HS256 only


def test_an_unsigned_token_is_refused(server: str):
    unsigned = jwt.encode(_claims(), key=None, algorithm="none")
    assert unsigned.endswith(".")  # no signature at all
    _refused(server, unsigned)


def test_a_real_sign_in_carries_exp_and_works(server: str, data_dir: Path):
    answer = httpx.post(f"{server}/auth/token", data={"username": ADMIN, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 480 * 60 and body["role"] == "administrator"
    claims = jwt.decode(body["access_token"], _server_secret(data_dir), algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 480 * 60 and claims["sub"] == ADMIN
    _admitted(server, body["access_token"])
    wrong = httpx.post(f"{server}/auth/token", data={"username": ADMIN, "password": "x" * 12})
    assert wrong.status_code == 401


def test_the_secret_is_kept_private_and_survives_a_restart(
    server: str, register_url: str, data_dir: Path, tmp_path: Path
):
    path = data_dir / SECRET_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(_server_secret(data_dir)) == 64 and _server_secret(data_dir) != PUBLISHED_SECRET
    # the secret and nothing else beside the sample's units the test put there
    assert sorted(p.name for p in data_dir.iterdir()) == ["admin_units.csv", SECRET_FILE_NAME]
    first = httpx.post(f"{server}/auth/token", data={"username": ADMIN, "password": PASSWORD})
    token = first.json()["access_token"]
    kept = path.read_bytes()
    with _serving(register_url, data_dir) as again:
        _admitted(again, token)  # the same secret, read back: still signed in
    assert path.read_bytes() == kept
    with _serving(register_url, tmp_path / "elsewhere") as other:
        _refused(other, token)  # another installation draws its own
    assert _server_secret(tmp_path / "elsewhere") != _server_secret(data_dir)


def test_a_spoofed_forwarded_for_does_not_lift_the_citizens_limit(server: str):
    answers = [
        httpx.get(
            f"{server}{UNKNOWN_DOSSIER}",
            params={"verify": "1234"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        for n in range(1, LOOKUPS_PER_MINUTE + 2)
    ]
    assert [a.status_code for a in answers] == [404] * LOOKUPS_PER_MINUTE + [429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_a_named_proxy_is_believed(register_url: str, data_dir: Path):
    """``LANDREG_TRUSTED_PROXIES=127.0.0.1``: each citizen behind the proxy has a limit of
    their own, counted by the address the proxy forwards."""
    with _serving(register_url, data_dir, LANDREG_TRUSTED_PROXIES="127.0.0.1") as base:

        def look(client: str) -> int:
            headers = {"X-Forwarded-For": client}
            answer = httpx.get(
                f"{base}{UNKNOWN_DOSSIER}", params={"verify": "1234"}, headers=headers
            )
            return answer.status_code

        spread = [look(f"203.0.113.{n}") for n in range(1, 2 * LOOKUPS_PER_MINUTE + 1)]
        assert spread == [404] * (2 * LOOKUPS_PER_MINUTE)  # six citizens, one look-up each
        one = [look("198.51.100.7") for _ in range(LOOKUPS_PER_MINUTE + 1)]
        assert one == [404] * LOOKUPS_PER_MINUTE + [429]  # that citizen's own limit holds
        assert look("198.51.100.8") == 404  # and only theirs
