"""The one error hierarchy of landreg.

Every layer raises these; ``api/errors.py`` maps them to RFC 9457 problem documents and the
command line prints them. Each error names the field and the value that caused it.
"""

from __future__ import annotations

from typing import Any


class LandRegError(Exception):
    """Base of every error landreg raises on purpose."""

    title = "Land register error"

    def __init__(self, detail: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.value = value


class ValidationError(LandRegError, ValueError):
    """A value does not have the form the land register requires."""

    title = "Invalid value"


class UnknownReferenceError(ValidationError):
    """A code (commune, land use, procedure) that the reference tables do not know."""

    title = "Unknown code"


class CRSError(ValidationError):
    """A geometry whose coordinate reference system is missing, unknown or wrong.

    ``candidates`` lists the EPSG codes the coordinates fit, best first, when known.
    """

    title = "Coordinate reference system error"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        value: Any = None,
        candidates: list[int] | None = None,
    ) -> None:
        super().__init__(detail, field=field, value=value)
        self.candidates = candidates or []


class NotFoundError(LandRegError, LookupError):
    """The requested record does not exist."""

    title = "Not found"


class ConflictError(LandRegError):
    """The change conflicts with the current state (a concurrent update, a forbidden transition)."""

    title = "Conflict"


class ConfigurationError(LandRegError):
    """landreg is configured in a way it refuses to run with."""

    title = "Configuration error"


class DatabaseUnavailableError(LandRegError):
    """The database cannot be reached or lacks a required extension."""

    title = "Database unavailable"
