"""Use cases on parties and their rights: record, change (keeping history), look up.

A change locks the record before reading it, so the values it merges are the current ones
and two changes of one record take turns instead of one overwriting the other.
"""

from __future__ import annotations

from typing import Any

from landreg.clock import utcnow
from landreg.domain import reference
from landreg.domain.model import Party, Right
from landreg.errors import ValidationError
from landreg.services.register import audit_summary
from landreg.store.unit_of_work import UnitOfWork


def register_party(uow: UnitOfWork, party: Party, *, actor: str) -> int:
    """Record a party; a malformed identity number is refused, naming it."""
    party.identity()
    if not party.name.strip():
        raise ValidationError(
            "party name is empty",
            field="name",
            value=party.name,
            detail_vi="tên người sử dụng đất không được để trống",
        )
    uow.begin_writing()
    party_id = uow.parties.add(party, actor=actor)
    uow.audit.record(
        actor=actor,
        action="create",
        entity_type="party",
        entity_id=party_id,
        after=audit_summary(party),
    )
    uow.commit()
    return party_id


def change_party(
    uow: UnitOfWork,
    party_id: int,
    changes: dict[str, Any],
    *,
    actor: str,
    expected_version: int | None = None,
) -> Party:
    """Change a party's name, identity number, address or phone; the old version stays."""
    uow.begin_writing()
    before = uow.parties.get(party_id, lock=True)
    after = _changed(before, changes, {"name", "identity_number", "address", "phone", "birth_year"})
    after.identity()
    saved = uow.parties.change(
        party_id, after, actor=actor, expected_version=expected_version, at=utcnow()
    )
    _record_change(uow, actor, "party", party_id, before, saved)
    uow.commit()
    return saved


def grant_right(uow: UnitOfWork, right: Right, *, actor: str) -> int:
    """Record a party's right on a parcel, checking both exist and the share is possible."""
    uow.begin_writing()
    _check_right(uow, right)
    right_id = uow.rights.add(right, actor=actor)
    uow.audit.record(
        actor=actor,
        action="create",
        entity_type="land_right",
        entity_id=right_id,
        after=audit_summary(right),
    )
    uow.commit()
    return right_id


def change_right(
    uow: UnitOfWork,
    right_id: int,
    changes: dict[str, Any],
    *,
    actor: str,
    expected_version: int | None = None,
) -> Right:
    """Change a right's share, land use or term; the old version stays in history."""
    uow.begin_writing()
    before = uow.rights.get(right_id, lock=True)
    after = _changed(before, changes, {"share_percent", "land_use_code", "term_until", "origin"})
    _check_right(uow, after)
    saved = uow.rights.change(
        right_id, after, actor=actor, expected_version=expected_version, at=utcnow()
    )
    _record_change(uow, actor, "land_right", right_id, before, saved)
    uow.commit()
    return saved


def _record_change(
    uow: UnitOfWork, actor: str, entity_type: str, entity_id: int, before: Any, after: Any
) -> None:
    uow.audit.record(
        actor=actor,
        action="update",
        entity_type=entity_type,
        entity_id=entity_id,
        before=audit_summary(before),
        after=audit_summary(after),
    )


def _changed(entity: Any, changes: dict[str, Any], allowed: set[str]) -> Any:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(
            f"{unknown[0]} cannot be changed here",
            field=unknown[0],
            value=changes[unknown[0]],
            detail_vi=f"không được sửa trường {unknown[0]} tại đây",
        )
    values = {name: getattr(entity, name) for name in entity.__slots__} | changes
    return type(entity)(**values)


def _check_right(uow: UnitOfWork, right: Right) -> None:
    uow.parcels.get(right.parcel_id)
    uow.parties.get(right.party_id)
    if not 0 < right.share_percent <= 100:
        raise ValidationError(
            f"share_percent must be in (0, 100], got {right.share_percent}",
            field="share_percent",
            value=right.share_percent,
            detail_vi="tỷ lệ phần quyền (share_percent) phải lớn hơn 0 và không quá 100, "
            f"nhận được {right.share_percent}",
        )
    if right.land_use_code:
        right.land_use_code = reference.current_land_use_code(right.land_use_code)
