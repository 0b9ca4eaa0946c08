"""Accounts: people who sign in with a password, systems that call with an API key."""

from __future__ import annotations

import hashlib
import secrets

from pwdlib import PasswordHash

from landreg.clock import utcnow
from landreg.domain.access import Principal, Role
from landreg.errors import ConflictError, ValidationError
from landreg.store.unit_of_work import UnitOfWork

# Argon2id with pwdlib's recommended parameters.
_PASSWORDS = PasswordHash.recommended()
# Verifying against this keeps a missing user as slow as a wrong password.
_DUMMY_HASH = _PASSWORDS.hash("landreg-timing-equaliser")
MIN_PASSWORD_LENGTH = 10


def create_user(
    uow: UnitOfWork,
    username: str,
    password: str,
    role: Role,
    *,
    full_name: str | None = None,
    actor: str,
) -> int:
    """Add a person who signs in; the password is stored only as an Argon2 hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"password must have {MIN_PASSWORD_LENGTH} characters or more",
            field="password",
            value="***",
            detail_vi=f"mật khẩu phải có từ {MIN_PASSWORD_LENGTH} ký tự trở lên",
        )
    if not username.strip() or len(username) > 80:
        raise ValidationError(
            "username must be 1 to 80 characters",
            field="username",
            value=username,
            detail_vi="tên đăng nhập phải có từ 1 đến 80 ký tự",
        )
    if uow.accounts.has_user(username):
        raise ConflictError(
            f"user {username!r} exists already",
            field="username",
            value=username,
            detail_vi=f"tên đăng nhập {username!r} đã có người dùng",
        )
    user_id = uow.accounts.add_user(
        username,
        full_name=full_name,
        role=str(role),
        password_hash=_PASSWORDS.hash(password),
        created_at=utcnow(),
    )
    uow.audit.record(
        actor=actor,
        action="create",
        entity_type="app_user",
        entity_id=user_id,
        after={"username": username, "role": str(role)},
    )
    uow.commit()
    return user_id


def authenticate(uow: UnitOfWork, username: str, password: str) -> Principal | None:
    """The principal for a correct username and password, None otherwise."""
    user = uow.accounts.user(username)
    if user is None or not user.active:
        _PASSWORDS.verify(password, _DUMMY_HASH)
        return None
    if not _PASSWORDS.verify(password, user.password_hash):
        return None
    return Principal(user.username, Role(user.role))


def user_principal(uow: UnitOfWork, username: str) -> Principal | None:
    """The principal of an active user (for a token issued earlier)."""
    user = uow.accounts.user(username)
    return Principal(user.username, Role(user.role)) if user and user.active else None


def create_api_key(uow: UnitOfWork, name: str, role: Role, *, actor: str) -> str:
    """A new API key for another system; the key is returned once and stored only hashed."""
    if uow.accounts.has_api_key(name):
        raise ConflictError(
            f"API key {name!r} exists already",
            field="name",
            value=name,
            detail_vi=f"đã có khóa API tên {name!r}",
        )
    key = "lr_" + secrets.token_urlsafe(32)
    key_id = uow.accounts.add_api_key(
        name, key_hash=_key_hash(key), role=str(role), created_at=utcnow()
    )
    uow.audit.record(
        actor=actor,
        action="create",
        entity_type="api_key",
        entity_id=key_id,
        after={"name": name, "role": str(role)},
    )
    uow.commit()
    return key


def api_key_principal(uow: UnitOfWork, key: str) -> Principal | None:
    """The principal of an active API key, None for an unknown or revoked key."""
    account = uow.accounts.api_key(_key_hash(key))
    if account is None or not account.active:
        return None
    return Principal(f"key:{account.name}", Role(account.role))


def _key_hash(key: str) -> str:
    # API keys are long random strings: a fast hash is enough and lets the key be looked up.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
