"""Accounts: the people and systems that may call landreg, found by name or key hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from landreg.domain.account import ApiKeyAccount, UserAccount
from landreg.store.tables import ApiKeyRow, AppUserRow


class AccountRepository:
    """Users and API keys; adds them (never commits) and reads them as read models."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def has_user(self, username: str) -> bool:
        """Whether a user of this name exists (active or not)."""
        found = self.session.scalar(select(AppUserRow.id).where(AppUserRow.username == username))
        return bool(found)

    def user(self, username: str) -> UserAccount | None:
        """The user of this name, None when there is none."""
        row = self.session.scalar(select(AppUserRow).where(AppUserRow.username == username))
        if row is None:
            return None
        return UserAccount(row.id, row.username, row.role, row.active, row.password_hash)

    def add_user(
        self,
        username: str,
        *,
        full_name: str | None,
        role: str,
        password_hash: str,
        created_at: datetime,
    ) -> int:
        """Add an active user; returns its id."""
        row = AppUserRow(
            username=username,
            full_name=full_name,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=created_at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def has_api_key(self, name: str) -> bool:
        """Whether an API key of this name exists (active or not)."""
        return bool(self.session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.name == name)))

    def api_key(self, key_hash: str) -> ApiKeyAccount | None:
        """The API key with this hash, None when there is none."""
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
        if row is None:
            return None
        return ApiKeyAccount(row.id, row.name, row.role, row.active)

    def add_api_key(self, name: str, *, key_hash: str, role: str, created_at: datetime) -> int:
        """Add an active API key, by its hash only; returns its id."""
        row = ApiKeyRow(name=name, key_hash=key_hash, role=role, active=True, created_at=created_at)
        self.session.add(row)
        self.session.flush()
        return row.id
