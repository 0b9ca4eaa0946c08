"""What the geometry engine refuses in what a person sent, as the register's own errors.

``spatial`` knows nothing of landreg and raises its own errors (:mod:`spatial.errors`).
Services that hand it a person's boundary, point or CRS convert them here, so that whoever
calls a service meets one hierarchy: a refused CRS stays a :class:`~landreg.errors.CRSError`
(with the codes the coordinates fit), anything else is a
:class:`~landreg.errors.ValidationError` naming the same field and value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from landreg.errors import from_spatial
from spatial.errors import SpatialError


@contextmanager
def spatial_refusals() -> Iterator[None]:
    """Inside, an error of the geometry engine is raised as the register's error."""
    try:
        yield
    except SpatialError as error:
        raise from_spatial(error) from error
