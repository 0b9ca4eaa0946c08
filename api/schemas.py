"""Response and request schemas of the API, separate from the domain classes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

import shapely

from landreg.domain.model import Parcel
from spatial.crs import reproject


def _in_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _in_local_time(moment: datetime) -> datetime:
    from landreg.domain.dossier_deadline import LOCAL_TIME

    return moment.replace(tzinfo=LOCAL_TIME) if moment.tzinfo is None else moment


# The register keeps its own times (versions, findings, batches) in UTC and a dossier's times
# in the province's local time (UTC+7), both without an offset; answers carry the offset.
UtcTime = Annotated[datetime, AfterValidator(_in_utc)]
LocalTime = Annotated[datetime, AfterValidator(_in_local_time)]


class Health(BaseModel):
    """Whether the service and its database answer."""

    status: str = Field(examples=["ok"])
    database: str = Field(examples=["ok"])
    backend: str = Field(examples=["postgis"])
    version: str


class ParcelOut(BaseModel):
    """A parcel as the API shows it, with its boundary as GeoJSON in the requested CRS."""

    id: int
    key: str = Field(examples=["25459-12-345"])
    national_id: str | None = Field(
        default=None,
        description="national parcel identifier (mã định danh thửa đất): 12-character GeoHash "
        "of the parcel's characteristic point in WGS 84; null until reconciliation assigns it",
        examples=["w3gvk2j8x1mq"],
    )
    commune_code: str
    map_sheet: int | None
    parcel_number: int | None
    old_map_sheet: int | None
    old_parcel_number: int | None
    legal_area: float | None = Field(description="area on the certificate, m²")
    measured_area: float | None = Field(description="area of the boundary in the cadastral CRS, m²")
    land_use_code: str | None = Field(
        description="land use of the parcel's record: the land register's where it records "
        "one, else the cadastral map's (Circular 08/2024 code)"
    )
    map_land_use_code: str | None = Field(
        default=None, description="land use as the cadastral map writes it"
    )
    address: str | None
    version: int
    valid_from: UtcTime | None
    valid_to: UtcTime | None = None
    crs: str = Field(examples=["EPSG:4326"])
    geometry: dict[str, Any] | None

    @classmethod
    def from_parcel(cls, parcel: Parcel, cadastral_srid: int, out_srid: int) -> ParcelOut:
        """Convert a domain parcel, reprojecting its boundary to ``out_srid``."""
        geometry = None
        if parcel.geometry is not None:
            shown = reproject(parcel.geometry, cadastral_srid, out_srid)
            geometry = shapely.geometry.mapping(shown)
        return cls(
            id=parcel.id or 0,
            key=parcel.reference,
            national_id=parcel.national_id,
            commune_code=parcel.commune_code,
            map_sheet=parcel.map_sheet,
            parcel_number=parcel.parcel_number,
            old_map_sheet=parcel.old_map_sheet,
            old_parcel_number=parcel.old_parcel_number,
            legal_area=parcel.legal_area,
            measured_area=parcel.measured_area,
            land_use_code=parcel.land_use,
            map_land_use_code=parcel.land_use_code,
            address=parcel.address,
            version=parcel.version,
            valid_from=parcel.valid_from,
            valid_to=parcel.valid_to,
            crs=f"EPSG:{out_srid}",
            geometry=geometry,
        )


class Problem(BaseModel):
    """RFC 9457 problem details, in the language the request prefers: Vietnamese unless its
    ``Accept-Language`` prefers English (q-values honoured); ``Content-Language`` says which.
    An error with no Vietnamese text yet keeps its English detail under a Vietnamese title."""

    type: str = Field(examples=["/problems/notfound"])
    title: str = Field(examples=["Không tìm thấy"], description="the kind of error")
    status: int = Field(examples=[404])
    detail: str = Field(
        examples=["không có hồ sơ H55.703-240104-0001"],
        description="what went wrong, for a person; never SQL, a path or a stack trace",
    )
    instance: str | None = Field(default=None, examples=["/dossiers/H55.703-240104-0001"])
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="each field at fault: `field`, the `value` sent (personal numbers masked) "
        "and its `detail` in the same language",
    )


class Traced(BaseModel):
    """A value and the source record it comes from."""

    value: Any
    source: dict[str, Any] | None = Field(alias="from", serialization_alias="from")


class ParcelRecordOut(BaseModel):
    """The parcel's current record: each field with its source, holders, certificates,
    restrictions and open findings."""

    parcel: ParcelOut
    fields: dict[str, Traced]
    holders: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    restrictions: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    lineage: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="parents: the parcels this one was split from or merged out of; children: "
        "the parcels it became (key, national identifier, kind, date, evidence)",
    )
