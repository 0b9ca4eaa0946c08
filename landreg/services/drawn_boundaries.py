"""Boundaries people draw: checked as ingest checks delivered ones, and an invalid one stored
only when asked to, with the finding reconciliation would open for it.

Every path that takes a parcel boundary from a person (a new parcel, a change, an edit from
the findings queue) goes through :func:`checked_boundary`.
"""

from __future__ import annotations

from types import SimpleNamespace

from shapely.geometry.base import BaseGeometry

from landreg.clock import utcnow
from landreg.domain import reference
from landreg.domain.messages import geos_reason_vi
from landreg.domain.model import Finding, Parcel
from landreg.domain.rules import RuleCode
from landreg.errors import CRSError, UnknownReferenceError, ValidationError
from landreg.services.boundaries import expected_area
from landreg.services.findings import Candidate, parcel_subject
from landreg.services.reconcile import finding_of
from landreg.services.spatial_refusals import spatial_refusals
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import is_projected_metres, reproject
from spatial.edits import MAX_VERTICES, DrawnBoundary, check_drawn_boundary

INVALID = RuleCode.GEOM_INVALID


def declared_srid(srid: int | None) -> int:
    """The CRS a submitted geometry is in; a geometry without one is refused."""
    if not srid:
        raise CRSError(
            "geometry has no declared CRS: give its EPSG code (e.g. 9209 for VN-2000 / "
            "TM-3 105-30)",
            field="srid",
            value=srid,
            detail_vi="hình học chưa khai báo hệ tọa độ: hãy ghi mã EPSG của nó (ví dụ 9209 cho "
            "VN-2000 / TM-3 105-30)",
        )
    return srid


def checked_boundary(
    uow: UnitOfWork,
    commune_code: str,
    geometry: BaseGeometry,
    srid: int | None,
    *,
    max_vertices: int = MAX_VERTICES,
) -> DrawnBoundary:
    """A boundary drawn for a parcel of ``commune_code``, checked (see
    :func:`spatial.edits.check_drawn_boundary`) against the commune's boundary, or the
    province's where the commune has none loaded, as ingest checks a map layer."""
    cadastral = uow.database.cadastral_srid
    try:
        name = reference.commune(commune_code).name
    except UnknownReferenceError:
        name = commune_code
    commune = expected_area(uow, [commune_code])
    with spatial_refusals():
        return check_drawn_boundary(
            geometry,
            declared_srid(srid),
            cadastral,
            commune=commune,
            where=f"{name} ({commune_code})",
            max_vertices=max_vertices,
        )


def invalid_refused(drawn: DrawnBoundary, srid: int, cadastral_srid: int) -> ValidationError:
    """The refusal of an invalid boundary: GEOS's reason and where, in the CRS it was sent."""
    reason = str(drawn.invalid_reason).split("[", 1)[0]
    place = place_vi = ""
    if drawn.location is not None:
        point = reproject(drawn.location, cadastral_srid, srid)
        digits = 2 if is_projected_metres(srid) else 7
        shown = f"({point.x:.{digits}f}, {point.y:.{digits}f})"
        place, place_vi = f" at {shown} in EPSG:{srid}", f" tại {shown} theo EPSG:{srid}"
    return ValidationError(
        f"geometry is not valid: {reason}{place}; redraw it, or send store_as_drawn: true "
        "to keep it as drawn with a GEOM_INVALID finding",
        field="geometry",
        value=reason,
        detail_vi=f"ranh giới không hợp lệ: {geos_reason_vi(reason)}{place_vi}; hãy vẽ lại, "
        "hoặc yêu cầu lưu đúng như đã vẽ (kèm một phát hiện ranh giới không hợp lệ)",
    )


def refuse_if_reported(uow: UnitOfWork, parcel: Parcel) -> None:
    """An invalid boundary is not stored as drawn over one an open finding already reports
    invalid: that finding is resolved by a valid boundary, or dismissed with a reason."""
    found = open_invalid_finding(uow, parcel)
    if found is not None:
        raise ValidationError(
            f"finding {found.id} already reports parcel {parcel.id}'s boundary invalid: "
            "redraw it valid, or dismiss that finding with the reason",
            field="store_as_drawn",
            value=True,
            detail_vi=f"phát hiện {found.id} đã ghi nhận ranh giới thửa {parcel.id} không hợp "
            "lệ: hãy vẽ lại cho hợp lệ, hoặc bỏ qua phát hiện đó kèm lý do",
        )


def invalid_finding_of(uow: UnitOfWork, parcel_id: int) -> Finding | None:
    """The open GEOM_INVALID finding of a parcel whose boundary is invalid (after a boundary
    was stored as drawn: the one :func:`report_invalid` opened); None for a valid one."""
    parcel = uow.parcels.get(parcel_id)
    if parcel.geometry is None or parcel.geometry.is_valid:
        return None
    return open_invalid_finding(uow, parcel)


def open_invalid_finding(uow: UnitOfWork, parcel: Parcel) -> Finding | None:
    """The open GEOM_INVALID finding about ``parcel``, if there is one."""
    if parcel.id is None:
        return None
    found = uow.findings.open_naming(parcel.commune_code, {("parcel", parcel.id)}, rule=INVALID)
    return found[0] if found else None


def report_invalid(uow: UnitOfWork, parcel: Parcel, drawn: DrawnBoundary, actor: str) -> Finding:
    """Open the GEOM_INVALID finding of a boundary stored as drawn, as reconciliation opens
    it (same rule, records, fingerprint, message and fix), so that the next run finds it
    again instead of a second one; one closed before with the same records is reopened.
    Returns the finding as stored."""
    candidate = Candidate(
        INVALID,
        [parcel_subject(_as_row(parcel))],
        parcel.commune_code,
        drawn.location,
        {"reason": str(drawn.invalid_reason)},
    )
    before, after = uow.findings.reopen_or_add(finding_of(candidate), at=utcnow())
    uow.audit.record(
        actor=actor,
        action="open" if before is None else "reopen",
        entity_type="finding",
        entity_id=after.id,
        before=None if before is None else {"status": before.status, "version": before.version},
        after={"status": "open", "why": "boundary stored as drawn", "version": after.version},
    )
    return after


def _as_row(parcel: Parcel) -> SimpleNamespace:
    """The parcel as reconciliation reads it, for the finding to name it as it does."""
    source = parcel.source
    return SimpleNamespace(
        id=parcel.id,
        commune_code=parcel.commune_code,
        map_sheet=parcel.map_sheet,
        parcel_number=parcel.parcel_number,
        source_name=source.name if source else None,
        source_key=source.key if source else None,
        source_row=source.row if source else None,
    )
