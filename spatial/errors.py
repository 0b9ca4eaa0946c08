"""The geometry engine's own errors: what it refuses, naming the field and the value.

``spatial`` knows nothing of landreg, so it raises these rather than the register's errors;
landreg maps them (``landreg.errors.from_spatial``) where it calls the engine, and its outer
layers (the API's problem documents, the command line, ingest jobs) answer them as they
answer the register's own validation errors. Like rasterio's ``CRSError`` they are
``ValueError``\\ s, so plain Python callers can catch them as such.

Each says what is wrong in English (``detail``) and in Vietnamese (``detail_vi``, what an
officer reads first); landreg carries both across.
"""

from __future__ import annotations

from typing import Any


class SpatialError(ValueError):
    """A geometry or coordinate reference system the engine refuses.

    Parameters
    ----------
    detail : str
        What is wrong, in words a user can act on.
    field : str, optional
        The name of the parameter or field that carried the value.
    value : object, optional
        The value refused.
    detail_vi : str, optional
        The same in Vietnamese; None where no Vietnamese text is written (then a reader of
        Vietnamese is shown ``detail``).
    """

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


class GeometryError(SpatialError):
    """A geometry that is not what is required (empty, not polygonal, 3D, too large, far off)."""


class CRSError(SpatialError):
    """A coordinate reference system that is missing, unknown or does not fit the coordinates.

    ``candidates`` lists the EPSG codes the coordinates fit, best first, when known (an ingest
    offers the first for confirmation).
    """

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
