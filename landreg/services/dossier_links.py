"""Use cases on dossier–parcel links: link every dossier, and an officer's review."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import pandas as pd

from landreg.clock import utcnow
from landreg.domain.dossier import ParcelLink
from landreg.errors import ConflictError, NotFoundError, ValidationError
from landreg.services.dossier_link_scoring import LinkSettings, link_dossiers
from landreg.store.unit_of_work import UnitOfWork


@dataclass(slots=True)
class LinkSummary:
    """How the dossiers were linked."""

    dossiers: int = 0
    linked: int = 0
    review: int = 0
    unmatched: int = 0
    kept_decisions: int = 0
    methods: dict[str, int] = field(default_factory=dict)


def link_all(
    uow: UnitOfWork, settings: LinkSettings | None = None, ids: list[int] | None = None
) -> LinkSummary:
    """Link every dossier (or ``ids``) to its parcel; dossiers an officer has decided on keep
    their decision. Commits once."""
    uow.begin_writing()
    decided = uow.links.decided()
    dossiers = uow.links.dossiers(ids)
    dossiers = dossiers[~dossiers["id"].isin(decided)]
    outcome = link_dossiers(
        dossiers, uow.links.parcels(), uow.links.holders(), settings or LinkSettings()
    )
    now = utcnow()
    auto = outcome.links["status"] == "linked"
    rows = outcome.links.assign(
        confidence=outcome.links["confidence"].astype(float).round(4),
        decided_by=pd.Series("landreg", index=auto.index).where(auto),
        decided_at=pd.Series(now, index=auto.index).where(auto),
    )[
        ["dossier_id", "parcel_id", "method", "confidence", "explanation", "status",
         "decided_by", "decided_at"]
    ]  # fmt: skip
    uow.links.replace_links(dossiers["id"].astype(int).tolist(), rows)
    uow.commit()
    auto = outcome.links[outcome.links["status"] == "linked"]
    return LinkSummary(
        dossiers=len(dossiers),
        linked=len(auto),
        review=int(outcome.links.loc[outcome.links["status"] == "review", "dossier_id"].nunique()),
        unmatched=len(outcome.unmatched),
        kept_decisions=len(decided),
        methods=dict(Counter(auto["method"])),
    )


def _dossier_links(uow: UnitOfWork, link_id: int) -> tuple[ParcelLink, list[ParcelLink]]:
    """The link and the other links of its dossier, all locked for this unit of work.

    An officer's decision on one link changes its siblings too, so all of the dossier's
    links are locked (in id order, so that two decisions never wait on each other) before
    any status is checked: of two officers deciding on one dossier at once, the second sees
    the first's decision.
    """
    uow.begin_writing()
    links = uow.links.lock_dossier_links(link_id)
    by_id = {one.id: one for one in links or []}
    if link_id not in by_id:  # no such link, or the dossier was linked again without it
        raise NotFoundError(
            f"no dossier link {link_id}",
            field="link_id",
            value=str(link_id),
            detail_vi=f"không có liên kết hồ sơ - thửa đất số {link_id}",
        )
    link = by_id.pop(link_id)
    return link, list(by_id.values())


def confirm_link(uow: UnitOfWork, link_id: int, *, actor: str) -> ParcelLink:
    """An officer confirms a candidate: it becomes the dossier's link, the other candidates
    are rejected. Audited; a link already decided on is not decided again (409)."""
    link, others = _dossier_links(uow, link_id)
    if link.status == "rejected":
        raise ConflictError(
            f"link {link_id} was rejected; link the dossier again to reconsider it",
            field="link_id",
            value=str(link_id),
            detail_vi=f"liên kết {link_id} đã bị bác; hãy liên kết lại hồ sơ để xem xét lại",
        )
    if link.status == "confirmed":
        raise ConflictError(
            f"link {link_id} is already confirmed",
            field="link_id",
            value=str(link_id),
            detail_vi=f"liên kết {link_id} đã được xác nhận",
        )
    now = utcnow()
    uow.links.decide([other.id for other in others], "rejected", actor=actor, at=now)
    uow.links.decide([link.id], "confirmed", actor=actor, at=now)
    uow.audit.record(
        actor=actor,
        action="confirm",
        entity_type="dossier_parcel_link",
        entity_id=link.id,
        before={"status": link.status, "parcel_id": link.parcel_id},
        after={"status": "confirmed", "parcel_id": link.parcel_id, "dossier_id": link.dossier_id},
    )
    uow.commit()
    return replace(link, status="confirmed")


def reject_link(uow: UnitOfWork, link_id: int, *, actor: str, reason: str) -> None:
    """An officer rejects a link or candidate, saying why. Audited."""
    if not reason.strip():
        raise ValidationError(
            "say why the link is rejected",
            field="reason",
            value=reason,
            detail_vi="hãy ghi lý do bác liên kết",
        )
    link, _ = _dossier_links(uow, link_id)
    if link.status == "rejected":
        raise ConflictError(
            f"link {link_id} is already rejected",
            field="link_id",
            value=str(link_id),
            detail_vi=f"liên kết {link_id} đã bị bác",
        )
    uow.links.decide([link_id], "rejected", actor=actor, at=utcnow())
    uow.audit.record(
        actor=actor,
        action="reject",
        entity_type="dossier_parcel_link",
        entity_id=link_id,
        before={"status": link.status, "parcel_id": link.parcel_id},
        after={"status": "rejected", "reason": reason},
    )
    uow.commit()
