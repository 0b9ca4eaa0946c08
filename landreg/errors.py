"""The one error hierarchy of landreg.

Every layer raises these; ``api/errors.py`` maps them to RFC 9457 problem documents and the
command line prints them. Each error names the field and the value that caused it.

The geometry engine (``spatial``) knows nothing of landreg and raises its own errors
(``spatial.errors``). They are mapped, not mixed in: :func:`from_spatial` turns one into the
register's :class:`ValidationError` (a CRS refusal into :class:`CRSError`, its candidates
kept). Services convert at the boundary where they call the engine
(``landreg.services.spatial_refusals``; the ingest service does, so that a file stopped for
its CRS, in a folder, a background job or the command line, reads as before); the outer
layers (``api/errors.py``, ``cli/support.py``) map whatever spatial error still reaches them
the same way, so that a client sees the same 422 problem and the command line the same one
line either way.
"""

from __future__ import annotations

from typing import Any, Protocol


class LandRegError(Exception):
    """Base of every error landreg raises on purpose.

    ``detail`` is English; ``detail_vi``, when given, says the same in Vietnamese (what a
    person at the counter or on the public page reads first). ``title`` and ``title_vi``
    name the kind of error in both languages.
    """

    title = "Land register error"
    title_vi = "Lỗi sổ địa chính"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        value: Any = None,
        detail_vi: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.value = value
        self.detail_vi = detail_vi

    def detail_in(self, language: str) -> str:
        """The detail in ``language`` (``vi`` or ``en``): the English one when there is no
        Vietnamese text yet, never an empty one."""
        return self.detail_vi if language == "vi" and self.detail_vi else self.detail

    def title_in(self, language: str) -> str:
        """The title in ``language`` (``vi`` or ``en``)."""
        return self.title_vi if language == "vi" else self.title


class ValidationError(LandRegError, ValueError):
    """A value does not have the form the land register requires."""

    title = "Invalid value"
    title_vi = "Giá trị không hợp lệ"


class UnknownReferenceError(ValidationError):
    """A code (commune, land use, procedure) that the reference tables do not know."""

    title = "Unknown code"
    title_vi = "Mã không có trong danh mục"


class CRSError(ValidationError):
    """A geometry whose coordinate reference system is missing, unknown or wrong.

    ``candidates`` lists the EPSG codes the coordinates fit, best first, when known.
    """

    title = "Coordinate reference system error"
    title_vi = "Lỗi hệ tọa độ"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        value: Any = None,
        candidates: list[int] | None = None,
        detail_vi: str | None = None,
    ) -> None:
        super().__init__(detail, field=field, value=value, detail_vi=detail_vi)
        self.candidates = candidates or []


class NotFoundError(LandRegError, LookupError):
    """The requested record does not exist."""

    title = "Not found"
    title_vi = "Không tìm thấy"


class ConflictError(LandRegError):
    """The change conflicts with the current state (a concurrent update, a forbidden transition)."""

    title = "Conflict"
    title_vi = "Xung đột dữ liệu"


class ConfigurationError(LandRegError):
    """landreg is configured in a way it refuses to run with."""

    title = "Configuration error"
    title_vi = "Lỗi cấu hình"


class DatabaseUnavailableError(LandRegError):
    """The database cannot be reached or lacks a required extension."""

    title = "Database unavailable"
    title_vi = "Cơ sở dữ liệu không sẵn sàng"


class SpatialProblem(Protocol):
    """What a ``spatial.errors.SpatialError`` carries (this module imports nothing outside it)."""

    detail: str
    field: str | None
    value: Any


def from_spatial(error: SpatialProblem) -> ValidationError:
    """The register's error for an error of the geometry engine: a :class:`CRSError` (with its
    candidates) for a CRS refusal, else a :class:`ValidationError`, same detail (English and
    Vietnamese), field, value."""
    candidates: list[int] | None = getattr(error, "candidates", None)
    detail_vi: str | None = getattr(error, "detail_vi", None)
    if candidates is not None:
        return CRSError(
            error.detail,
            field=error.field,
            value=error.value,
            candidates=candidates,
            detail_vi=detail_vi,
        )
    return ValidationError(error.detail, field=error.field, value=error.value, detail_vi=detail_vi)
