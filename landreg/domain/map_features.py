"""The published map's read models: which layer, which features, and a page of them.

The map ("bản đồ") publishes two layers, current parcels and open findings, as GeoJSON
features (OGC API – Features) and vector tiles; the staff's map draws a third, the communes'
boundaries ("ranh giới xã, phường"). What a reader asks for and what one page
holds are plain values here, so that the routes and both implementations of the map reads
(:mod:`landreg.services.reads`) speak the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shapely.geometry.base import BaseGeometry


class MapLayerName(StrEnum):
    """A layer of the published map (never holders or identity numbers)."""

    PARCELS = "parcels"
    FINDINGS = "findings"
    COMMUNES = "communes"
    STRIPS = "strips"  # roads and canals between the parcels


@dataclass(frozen=True, slots=True)
class FeatureRequest:
    """Which features, and in which CRS and axis order their coordinates are written.

    Parameters
    ----------
    out_srid : int
        EPSG code of the coordinates written.
    swap_axes : bool
        Latitude first (EPSG:4326 as the OGC reads it); the register stores x = longitude.
    frame : shapely geometry or None
        Only features intersecting it, in the cadastral CRS.
    limit, offset : int
        The page: at most ``limit`` features after skipping ``offset``, in id order.
    """

    out_srid: int
    swap_axes: bool = False
    frame: BaseGeometry | None = None  # in the cadastral CRS
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FeaturePage:
    """Features of one page, as GeoJSON Feature texts joined by commas, and how many matched.

    Parameters
    ----------
    matched : int
        Features matching the request, all pages together.
    returned : int
        Features on this page.
    features : str
        Their GeoJSON texts, joined by commas (written by the database).
    """

    matched: int
    returned: int
    features: str


@dataclass(frozen=True, slots=True)
class MapRevision:
    """How the register stands for the staff's map: a number that changes whenever a parcel
    or a finding changes (anyone's change), and the open findings counted.

    Parameters
    ----------
    revision : int
        Changes with every change of a parcel or a finding; only equality means anything.
    open, open_errors, open_warnings : int
        Open findings, all of them and by severity.
    """

    revision: int
    open: int
    open_errors: int
    open_warnings: int


@dataclass(frozen=True, slots=True)
class VersionNote:
    """Who made one version of a parcel, and when it was in force ("phiên bản thửa đất").

    Parameters
    ----------
    version : int
        The version's number, from 1.
    valid_from, valid_to : datetime
        When it came into force (UTC, naive) and, for an earlier version, when it ended.
    changed_by : str or None
        The person or system that made it.
    batch_id : int or None
        The ingest batch that delivered it, when a source file did.
    """

    version: int
    valid_from: datetime
    valid_to: datetime | None
    changed_by: str | None
    batch_id: int | None
