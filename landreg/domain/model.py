"""The land register's entities, after LADM (ISO 19152) with Vietnamese keys.

Parcels are spatial units ("thửa đất"); parties hold rights ("quyền sử dụng đất") in shares;
findings are the problems the register found in its own data. Dossiers (applications at the
one-stop shop, "hồ sơ một cửa") are in :mod:`landreg.domain.dossier`, the land register's rows
with their certificates and restrictions in :mod:`landreg.domain.register_entry`. Entities
carry shapely geometries in the cadastral CRS, never database types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry

from landreg.domain.identifiers import IdentityNumber, ParcelKey


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a record version came from (provenance).

    Attributes
    ----------
    name : str
        The source, stable across deliveries (``map:25459``, ``register:tay_ninh_cu``).
    key : str
        The record's identity within the source (an OBJECTID, a row's key).
    batch_id : int or None
        The ingest batch that delivered this version.
    row : str or None
        Row or feature number in the delivered file.
    record_hash : str or None
        SHA-256 of the record's values, to tell unchanged records from changed ones.
    """

    name: str
    key: str
    batch_id: int | None = None
    row: str | None = None
    record_hash: str | None = None


class PartyKind(StrEnum):
    """Who can hold a right ("chủ sử dụng")."""

    INDIVIDUAL = "individual"
    HOUSEHOLD = "household"
    MARRIED_COUPLE = "married_couple"
    ORGANISATION = "organisation"
    COMMUNITY = "community"


class RightKind(StrEnum):
    """Kinds of right recorded in the register."""

    LAND_USE = "land_use"
    ASSET_OWNERSHIP = "asset_ownership"


@dataclass(slots=True)
class Parcel:
    """A parcel of land: its key, boundary, areas, land use and address.

    Parameters
    ----------
    commune_code : str
        Five-digit commune or ward code.
    map_sheet, parcel_number : int or None
        Map sheet and parcel number; None where the source lacks them (the parcel then has a
        provisional reference and a finding says so).
    geometry : shapely.MultiPolygon or None
        Boundary in the register's cadastral CRS; None for register rows with no map parcel.
    legal_area : float or None
        Area on the certificate or register ("diện tích pháp lý"), m².
    land_use_code : str or None
        Current land-use code (Circular 08/2024).
    address : str or None
        Address as recorded.
    old_map_sheet, old_parcel_number : int or None
        Numbers before the last re-survey, which citizens still quote.
    source_srid : int or None
        CRS the geometry was delivered in (the province has maps in two TM-3 zones).
    source : SourceRef or None
        Where this version came from: source, record key in it, batch and row.
    map_area : float or None
        Area written in the map's attribute table, m².
    land_use_text : str or None
        Land use exactly as the source wrote it (legacy codes, folk terms).
    parent_ref : str or None
        The parcel it was split from or merged out of, as the source wrote it.
    national_id : str or None
        The national parcel identifier ("mã định danh thửa đất", 12 GeoHash characters),
        assigned by reconciliation and kept while the parcel exists.
    legal_land_use_code : str or None
        Land use as the land register records it (the unified register's record, set by
        reconciliation); ``land_use_code`` is the map's. :attr:`land_use` is the one to show.
    id, version, valid_from, valid_to :
        Identity and lifespan, set by the register.
    """

    commune_code: str
    map_sheet: int | None
    parcel_number: int | None
    geometry: BaseGeometry | None = None
    legal_area: float | None = None
    land_use_code: str | None = None
    address: str | None = None
    old_map_sheet: int | None = None
    old_parcel_number: int | None = None
    source_srid: int | None = None
    source: SourceRef | None = None
    map_area: float | None = None
    land_use_text: str | None = None
    parent_ref: str | None = None
    national_id: str | None = None
    legal_land_use_code: str | None = None
    id: int | None = None
    version: int = 1
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @property
    def land_use(self) -> str | None:
        """The parcel's land use as the register shows it: the land register's where it
        records one, else the map's."""
        return self.legal_land_use_code or self.land_use_code

    @property
    def key(self) -> ParcelKey | None:
        """The full key, or None while the sheet or parcel number is missing."""
        if self.map_sheet is None or self.parcel_number is None:
            return None
        return ParcelKey(self.commune_code, self.map_sheet, self.parcel_number)

    @property
    def reference(self) -> str:
        """The key as text, or a provisional reference ``P:<commune>:<source key>``."""
        key = self.key
        if key is not None:
            return str(key)
        return f"P:{self.commune_code}:{self.source.key if self.source else self.id}"

    @property
    def measured_area(self) -> float | None:
        """Area of the geometry in m² ("diện tích đo đạc"), None without geometry."""
        return None if self.geometry is None else float(self.geometry.area)


@dataclass(slots=True)
class Party:
    """A person, household, couple, organisation or community that holds rights.

    The identity number is kept as recorded, even when malformed, so that the register can
    report it; :meth:`identity` validates it.
    """

    kind: PartyKind
    name: str
    identity_number: str | None = None
    address: str | None = None
    phone: str | None = None
    birth_year: int | None = None
    tax_code: str | None = None
    id: int | None = None
    version: int = 1
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def identity(self) -> IdentityNumber | None:
        """The identity number validated (raises :class:`ValidationError` when malformed)."""
        return None if self.identity_number is None else IdentityNumber.parse(self.identity_number)


@dataclass(slots=True)
class Right:
    """A party's right on a parcel, with its share in percent."""

    parcel_id: int
    party_id: int
    kind: RightKind = RightKind.LAND_USE
    share_percent: float = 100.0
    land_use_code: str | None = None
    term_until: date | None = None
    origin: str | None = None
    id: int | None = None
    version: int = 1
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem the register found ("vấn đề dữ liệu"): a rule broken by some records, where,
    by how much, and what staff did about it.

    Parameters
    ----------
    rule, severity : str
        The rule's code (``GEOM_OVERLAP``) and how bad it is (``error``, ``warning``).
    subjects : list of dict
        The records involved: ``table``, ``id``, ``key``, and the ``source``, ``record`` and
        ``row`` they came from.
    message_vi, message_en : str
        The explanation, filled with the measured values.
    fingerprint : str
        Stable identity (rule and records), so that a check run again finds the same finding.
    commune_code : str or None
        The commune the records lie in.
    location : shapely geometry or None
        Where the problem is, in the cadastral CRS.
    measured, suggestion : dict or None
        The values the check measured, and the fix it proposes (``{"fix": "make_valid"}``).
    status : str
        ``open``, ``closed`` (its cause is gone), ``fixed`` or ``dismissed``.
    id, version, created_at, closed_at, resolution, resolved_by, opened_batch_id,
    closed_batch_id :
        Identity, the version staff act on, and when, why and by whom it was opened and closed.
    """

    rule: str
    severity: str
    subjects: list[dict[str, Any]]
    message_vi: str
    message_en: str
    fingerprint: str
    commune_code: str | None = None
    location: BaseGeometry | None = None
    measured: dict[str, Any] | None = None
    suggestion: dict[str, Any] | None = None
    status: str = "open"
    id: int | None = None
    version: int = 1
    created_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str | None = None
    resolved_by: str | None = None
    opened_batch_id: int | None = None
    closed_batch_id: int | None = None

    @property
    def parcel_ids(self) -> list[int]:
        """Ids of the parcels the finding names, in its order."""
        return [int(s["id"]) for s in self.subjects if s["table"] == "parcel"]

    def names_any(self, records: set[tuple[str, int]]) -> bool:
        """True when the finding names one of ``records`` (pairs of table and id)."""
        return any((s.get("table"), s.get("id")) in records for s in self.subjects)
