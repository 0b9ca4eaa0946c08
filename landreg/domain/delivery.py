"""What the person taking a source file in says about the delivery (all of it optional).

The API's upload form and the ``landreg ingest`` command fill it in, the ingest service
(``landreg.services.sources``) passes it along, and the readers (``ingest/``) read the file
as it says; one value object, so that every layer names these the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class IngestOptions:
    """What the user said about the file (everything optional).

    ``kind`` (map, register, dossiers, admin) and ``profile`` override detection, ``layer``
    picks one layer of a multi-layer file, ``crs`` confirms the CRS (an EPSG code or name),
    ``commune`` names the commune the file covers, ``source`` names the source across
    deliveries, ``as_of`` dates the data when the file does not, ``actor`` is who took it in;
    ``reprocess`` reads the file again even when this very file was taken in with the same
    profile (a file already taken in with another profile is read again anyway).
    """

    kind: str | None = None
    layer: str | None = None
    profile: str | None = None
    crs: str | None = None
    commune: str | None = None
    source: str | None = None
    actor: str = "landreg"
    as_of: datetime | None = None
    reprocess: bool = False
