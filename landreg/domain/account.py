"""Accounts as stored: people who sign in with a password, systems that call with an API key.

Read models the account repository returns, so that signing in needs no table row. Only
hashes are kept: a password as Argon2, a key as SHA-256 (see ``landreg.services.accounts``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserAccount:
    """A person who signs in; ``role`` as stored (a :class:`landreg.domain.access.Role` value)."""

    id: int
    username: str
    role: str
    active: bool
    password_hash: str


@dataclass(frozen=True, slots=True)
class ApiKeyAccount:
    """Another system calling with an API key; ``role`` as stored."""

    id: int
    name: str
    role: str
    active: bool
