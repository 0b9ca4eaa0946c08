"""Use cases on the register's parcels: register, change, look up, and see history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

from landreg.clock import as_utc, utcnow
from landreg.domain import reference
from landreg.domain.identifiers import CertificateSerial, IdentityNumber, ParcelKey
from landreg.domain.model import Parcel
from landreg.errors import ValidationError
from landreg.services.drawn_boundaries import (
    checked_boundary,
    declared_srid,
    invalid_refused,
    refuse_if_reported,
    report_invalid,
)
from landreg.services.spatial_refusals import spatial_refusals
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject
from spatial.edits import MAX_VERTICES, DrawnBoundary
from spatial.geometry import to_multipolygon


@dataclass(frozen=True, slots=True)
class ParcelInput:
    """A parcel as submitted: numbers as written, geometry with its declared CRS."""

    commune_code: str
    map_sheet: str | int
    parcel_number: str | int
    geometry: BaseGeometry | None = None
    srid: int | None = None
    legal_area: float | None = None
    land_use_code: str | None = None
    address: str | None = None
    old_map_sheet: int | None = None
    old_parcel_number: int | None = None


def build_parcel(data: ParcelInput, cadastral_srid: int) -> Parcel:
    """Validate a submitted parcel and bring its geometry into the register's CRS.

    Raises a :class:`ValidationError` naming the field and value for a malformed key, an
    unknown commune or land-use code, or a geometry without a declared CRS.
    """
    key = ParcelKey.parse(data.commune_code, data.map_sheet, data.parcel_number)
    reference.commune(key.commune_code)
    land_use = None
    if data.land_use_code:
        land_use = reference.current_land_use_code(data.land_use_code)
    if data.legal_area is not None and data.legal_area <= 0:
        raise ValidationError(
            f"legal_area must be positive, got {data.legal_area!r}",
            field="legal_area",
            value=data.legal_area,
            detail_vi=f"diện tích pháp lý phải lớn hơn 0, nhận được {data.legal_area!r}",
        )
    geometry = None
    if data.geometry is not None:
        srid = declared_srid(data.srid)
        with spatial_refusals():
            geometry = to_multipolygon(reproject(data.geometry, srid, cadastral_srid))
    return Parcel(
        commune_code=key.commune_code,
        map_sheet=key.map_sheet,
        parcel_number=key.parcel_number,
        geometry=geometry,
        legal_area=data.legal_area,
        land_use_code=land_use,
        address=data.address,
        old_map_sheet=data.old_map_sheet,
        old_parcel_number=data.old_parcel_number,
        source_srid=data.srid,
    )


def register_parcels(uow: UnitOfWork, inputs: list[ParcelInput], *, actor: str) -> list[int]:
    """Add parcels, all or none: every input is checked before anything is written, a
    boundary as an edited one is (an invalid one is refused with GEOS's reason)."""
    srid = uow.database.cadastral_srid
    parcels = []
    for data in inputs:
        parcels.append(build_parcel(data, srid))
        if data.geometry is not None:
            drawn = checked_boundary(uow, data.commune_code, data.geometry, data.srid)
            if drawn.invalid_reason is not None:
                raise invalid_refused(drawn, declared_srid(data.srid), srid)
    ids = []
    for parcel in parcels:
        parcel_id = uow.parcels.add(parcel, actor=actor)
        uow.audit.record(
            actor=actor,
            action="create",
            entity_type="parcel",
            entity_id=parcel_id,
            after=_summary(parcel),
        )
        ids.append(parcel_id)
    uow.commit()
    return ids


def change_parcel(
    uow: UnitOfWork,
    parcel_id: int,
    changes: dict[str, Any],
    *,
    actor: str,
    expected_version: int | None = None,
) -> Parcel:
    """Change a parcel's attributes or boundary; the previous version stays in history.

    ``changes`` may hold ``legal_area``, ``land_use_code``, ``address`` and ``geometry`` with
    ``srid``; the geometry is checked (:mod:`spatial.edits`: a valid 2D (multi)polygon of
    finite coordinates in its commune) and reprojected as for a new parcel. Two more keys
    say how a boundary is taken: ``max_vertices`` (20,000 unless given) and
    ``store_as_drawn``: with it an invalid boundary is stored as drawn and a GEOM_INVALID
    finding opened for the parcel, instead of being refused.
    """
    after = changed_parcel(uow, parcel_id, changes, actor=actor, expected_version=expected_version)
    uow.commit()
    return after


def changed_parcel(
    uow: UnitOfWork,
    parcel_id: int,
    changes: dict[str, Any],
    *,
    actor: str,
    expected_version: int | None = None,
) -> Parcel:
    """:func:`change_parcel` inside the caller's unit of work, which commits."""
    fields = {name: value for name, value in changes.items() if name not in _HOW_DRAWN}
    uow.begin_writing()
    # locked before it is read: changes without a version take turns instead of refusing
    before = uow.parcels.get(parcel_id, lock=True)
    cadastral = uow.database.cadastral_srid
    merged = _fields(before, cadastral)
    unknown = set(fields) - set(merged)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError(
            f"{name} cannot be changed here",
            field=name,
            value=changes[name],
            detail_vi=f"không được sửa trường {name} tại đây",
        )
    drawn = _taken_boundary(uow, before, fields, changes)
    if drawn is not None:
        fields |= {"geometry": drawn.geometry, "srid": cadastral}
    elif "geometry" in fields and "srid" not in fields:
        merged["srid"] = None
    checked = build_parcel(ParcelInput(**{**merged, **fields}), cadastral)
    # what the change does not touch stays: where the record came from (so that the next
    # delivery of its source finds it) and the source's own values beside the parsed ones
    checked.source, checked.map_area = before.source, before.map_area
    checked.land_use_text, checked.parent_ref = before.land_use_text, before.parent_ref
    checked.source_srid = changes.get("srid", before.source_srid)
    after = uow.parcels.change(
        parcel_id, checked, actor=actor, expected_version=expected_version, at=utcnow()
    )
    uow.audit.record(
        actor=actor,
        action="update",
        entity_type="parcel",
        entity_id=parcel_id,
        before=_summary(before),
        after=_summary(after),
    )
    if drawn is not None and drawn.invalid_reason is not None:
        report_invalid(uow, after, drawn, actor)
    return after


def _taken_boundary(
    uow: UnitOfWork, before: Parcel, fields: dict[str, Any], changes: dict[str, Any]
) -> DrawnBoundary | None:
    """The new boundary, checked; an invalid one is refused with GEOS's reason unless it is
    to be stored as drawn (and no open finding reports the parcel invalid already)."""
    if fields.get("geometry") is None:
        return None
    srid = fields.get("srid")
    max_vertices = int(changes.get("max_vertices", MAX_VERTICES))
    drawn = checked_boundary(
        uow, before.commune_code, fields["geometry"], srid, max_vertices=max_vertices
    )
    if drawn.invalid_reason is not None:
        if not changes.get("store_as_drawn"):
            raise invalid_refused(drawn, declared_srid(srid), uow.database.cadastral_srid)
        refuse_if_reported(uow, before)
    return drawn


# Keys of ``changes`` that say how a drawn boundary is taken rather than what changes.
_HOW_DRAWN = ("store_as_drawn", "max_vertices")


def _fields(parcel: Parcel, cadastral_srid: int) -> dict[str, Any]:
    """The fields a change may set, as the parcel has them now."""
    return {
        "commune_code": parcel.commune_code,
        "map_sheet": parcel.map_sheet,
        "parcel_number": parcel.parcel_number,
        "geometry": parcel.geometry,
        "srid": cadastral_srid,
        "legal_area": parcel.legal_area,
        "land_use_code": parcel.land_use_code,
        "address": parcel.address,
        "old_map_sheet": parcel.old_map_sheet,
        "old_parcel_number": parcel.old_parcel_number,
    }


def parcel_history(uow: UnitOfWork, parcel_id: int) -> list[Parcel]:
    """Every version of a parcel, oldest first, the current one last."""
    return uow.parcels.versions(parcel_id)


def parcels_by_key(
    uow: UnitOfWork, commune_code: str, map_sheet: str | int, parcel_number: str | int
) -> list[Parcel]:
    """Current parcels with this key, as written (checked as a key is); more than one means
    the register holds a duplicate key."""
    return uow.parcels.by_key(ParcelKey.parse(commune_code, map_sheet, parcel_number))


def parcel_as_of(uow: UnitOfWork, parcel_id: int, when: datetime) -> Parcel | None:
    """The parcel as it was at ``when`` (None if it did not exist yet)."""
    uow.parcels.get(parcel_id)
    return uow.parcels.as_of(parcel_id, as_utc(when))


# What a look-up in a box may span and return (``GET /parcels/within``).
MAX_BOX_M = 5_000
MAX_PAGE = 500


def parcels_by_serial(uow: UnitOfWork, text: str) -> list[Parcel]:
    """Parcels holding the certificate with this serial (the unified register's certificates,
    under either way registers write a serial)."""
    serial = CertificateSerial.parse(text)
    spellings = [str(serial), f"{serial.letters}{serial.digits}"]
    return [uow.parcels.get(i) for i in uow.unified.parcels_with_certificate(spellings)]


def parcels_of_holder(uow: UnitOfWork, text: str) -> list[Parcel]:
    """Parcels the register lists this identity number as a holder of, and those of the
    parties holding it: a CCCD also finds the parcels registered under the person's old
    CMND once a register row or an officer has linked the two."""
    number = IdentityNumber.parse(text)
    found = {p.id: p for p in uow.parcels.by_register("identity_number", number.value)}
    parties = uow.party_links.parties_by_number(number.value)
    for parcel_id in uow.party_links.parcels_of_parties(parties):
        if parcel_id not in found:
            found[parcel_id] = uow.parcels.get(parcel_id)
    return sorted(found.values(), key=lambda parcel: parcel.id or 0)


def looked_up_holder(uow: UnitOfWork, text: str, *, actor: str) -> list[Parcel]:
    """:func:`parcels_of_holder` for a person, the look-up audited (who asked, the number's
    last three digits, how many parcels) and committed: holders' data is personal."""
    found = parcels_of_holder(uow, text)
    uow.audit.record(
        actor=actor, action="lookup", entity_type="holder", entity_id=None,
        after={"identity_number_end": text[-3:], "parcels": len(found)},
    )  # fmt: skip
    uow.commit()
    return found


def _summary(parcel: Parcel) -> dict[str, Any]:
    data = audit_summary(parcel)
    data["key"] = parcel.reference
    data["measured_area"] = parcel.measured_area
    return data


def audit_summary(entity: Any) -> dict[str, Any]:
    """An entity as JSON-safe values for the audit log's before and after."""
    data = {}
    for name in entity.__slots__:
        value = getattr(entity, name)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, BaseGeometry):
            value = value.wkt[:2000]
        elif not isinstance(value, str | int | float | None):
            value = str(value)
        data[name] = value
    return data
