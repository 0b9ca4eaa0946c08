"""The read interfaces of the busiest look-ups: parcels, a citizen's dossier status, the map's
features and its tiles.

Each has two implementations side by side in :mod:`landreg.store.reads`: one statement per
look-up that PostGIS answers on a pool of asynchronous connections (the request never leaves
the event loop), and the ORM through a session in a worker thread (SpatiaLite). The app
chooses once, when it starts (``api/app.py``: ``reads_for``); a route makes one call and never
asks which it got. Every method answers what the route sends: the JSON text the database
wrote, or a read model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from landreg.domain.map_features import FeaturePage, FeatureRequest, MapLayerName
from landreg.domain.public_dossier import VerifiedDossier

Bounds = tuple[float, float, float, float]  # west, south, east, north


class ParcelReads(Protocol):
    """Parcels as the API shows them (``ParcelOut``), as JSON text; points and boxes are in the
    cadastral CRS, the geometry is written in ``out_srid``."""

    async def by_id(self, parcel_id: int, at: datetime | None, out_srid: int) -> str:
        """The current parcel, or the version in force at ``at``; :class:`NotFoundError`
        when there is none."""
        ...

    async def at_point(self, x: float, y: float, out_srid: int) -> str:
        """A JSON array of the current parcels containing the point, by id."""
        ...

    async def within(self, bounds: Bounds, out_srid: int, limit: int, offset: int) -> str:
        """A JSON array of a page of the current parcels intersecting the box, by id."""
        ...


class StatusReads(Protocol):
    """What a citizen's dossier status is made from (the rules: :mod:`.public_status`)."""

    async def verified_dossier(self, code: str, verify: str) -> VerifiedDossier | None:
        """The dossier ``code`` if ``verify`` is the last four digits of its applicant's
        identity number or phone; None otherwise, for an unknown code alike and after the
        same work (one look-up by code, both digits compared)."""
        ...

    async def commune_remote(self, commune_code: str) -> bool:
        """Whether the commune is remote (False for a code the register does not know)."""
        ...


class MapReads(Protocol):
    """The map's layers as OGC API features (GeoJSON written by the database)."""

    async def feature_page(self, layer: MapLayerName, request: FeatureRequest) -> FeaturePage:
        """One page of features in id order, and the number matched."""
        ...

    async def feature(
        self, layer: MapLayerName, feature_id: int, request: FeatureRequest
    ) -> str | None:
        """One feature as GeoJSON text; None when the layer has no such feature."""
        ...

    async def extent(self, layer: MapLayerName) -> Bounds | None:
        """The layer's bounds in WGS 84 longitude/latitude (the communes' when their
        boundaries are loaded); None when it is empty."""
        ...


class TileReads(Protocol):
    """The map's layers as Mapbox Vector Tiles, XYZ in Web Mercator."""

    async def tile(self, layer: MapLayerName, z: int, x: int, y: int) -> bytes:
        """The tile; empty bytes when nothing is in it or the zoom is below the layer's first;
        :class:`ValidationError` naming ``x`` or ``y`` when it is not below 2^z."""
        ...


class RegisterReads(Protocol):
    """The four read interfaces of one register, and the life of what they hold (a pool)."""

    @property
    def parcels(self) -> ParcelReads: ...

    @property
    def status(self) -> StatusReads: ...

    @property
    def map(self) -> MapReads: ...

    @property
    def tiles(self) -> TileReads: ...

    async def open(self) -> None:
        """Start what the reads need (on the event loop that will run them)."""
        ...

    async def close(self) -> None:
        """Release it; :meth:`open` may start it again."""
        ...
