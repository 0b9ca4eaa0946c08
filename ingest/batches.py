"""What the readers hand over: batch descriptions, canonical records in slices, refused rows.

A file gives one batch per source it holds (a GeoPackage with several layers gives several).
The ingest service (``landreg/services/ingest.py``) stores them; nothing here touches the
database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(slots=True)
class BatchInfo:
    """What is being taken in: the file, its source and how it was read."""

    kind: str
    source_name: str
    file_name: str
    size_bytes: int
    sha256: str
    profile: str | None = None
    layer: str | None = None
    source_srid: int | None = None
    commune_code: str | None = None
    actor: str = "landreg"
    warnings: list[str] = field(default_factory=list)
    data_as_of: datetime | None = None
    data_as_of_from: str | None = None
    reprocess: bool = False  # read again even if this very file was taken in with its profile


@dataclass(slots=True)
class Rejected:
    """A row that could not be taken in, kept whole with the reason."""

    row: str
    reason: str
    field: str | None = None
    value: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(slots=True)
class RecordSlice:
    """Some of a batch's canonical records (one row each), and the rows refused among them."""

    records: pd.DataFrame
    rejected: list[Rejected]


@dataclass(slots=True)
class BatchPart:
    """One batch of a file (a file with several layers gives several).

    A large layer comes as a ``stream`` of slices instead of ``records``: each is stored as
    soon as it is made, while the next one is being made.
    """

    info: BatchInfo
    records: pd.DataFrame
    rejected: list[Rejected]
    stream: Iterable[RecordSlice] | None = None
    expected_rows: int | None = None  # of the stream, for the progress bar

    def slices(self) -> Iterable[RecordSlice]:
        """The batch's records, slice by slice."""
        return [RecordSlice(self.records, self.rejected)] if self.stream is None else self.stream


def unchanged_part(info: BatchInfo) -> BatchPart:
    """A batch whose file was already taken in: described, nothing read."""
    return BatchPart(info, pd.DataFrame(), [])


def source_name_of(path: Path, kind: str, layer: str | None = None) -> str:
    """A source's name, stable across deliveries: kind, folder and file, and the layer.

    ``map:tay_ninh_cu/25459_phuong_tan_ninh:ThuaDat``; a file named after its layer (a
    Shapefile) is named by its folder: ``map:25630_xa_tan_bien/ThuaDat``.
    """
    name = f"{kind}:{path.parent.name}/{path.stem}"
    return name if layer is None or layer == path.stem else f"{name}:{layer}"
