"""Use cases on dossier–parcel links: link every dossier, and an officer's review."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select

from landreg.clock import utcnow
from landreg.errors import ConflictError, NotFoundError, ValidationError
from landreg.services.dossier_linking import LinkSettings, link_dossiers
from landreg.store.dossier_repository import DossierRepository
from landreg.store.tables import DossierParcelLinkRow
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
    repository = DossierRepository(uow.session)
    decided = repository.decided()
    dossiers = repository.dossiers(ids)
    dossiers = dossiers[~dossiers["id"].isin(decided)]
    outcome = link_dossiers(
        dossiers, repository.parcels(), repository.holders(), settings or LinkSettings()
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
    repository.replace_links(dossiers["id"].astype(int).tolist(), rows)
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


def _dossier_links(
    uow: UnitOfWork, link_id: int
) -> tuple[DossierParcelLinkRow, list[DossierParcelLinkRow]]:
    """The link and the other links of its dossier, all locked for this unit of work.

    An officer's decision on one link changes its siblings too, so all of the dossier's
    links are locked (in id order, so that two decisions never wait on each other) before
    any status is checked: of two officers deciding on one dossier at once, the second sees
    the first's decision.
    """
    uow.begin_writing()
    dossier_id = uow.session.scalar(
        select(DossierParcelLinkRow.dossier_id).where(DossierParcelLinkRow.id == link_id)
    )
    if dossier_id is None:
        raise NotFoundError(f"no dossier link {link_id}", field="link_id", value=str(link_id))
    links = uow.session.scalars(
        select(DossierParcelLinkRow)
        .where(DossierParcelLinkRow.dossier_id == dossier_id)
        .order_by(DossierParcelLinkRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    by_id = {one.id: one for one in links}
    if link_id not in by_id:  # the dossier was linked again meanwhile, without this link
        raise NotFoundError(f"no dossier link {link_id}", field="link_id", value=str(link_id))
    link = by_id.pop(link_id)
    return link, list(by_id.values())


def confirm_link(uow: UnitOfWork, link_id: int, *, actor: str) -> DossierParcelLinkRow:
    """An officer confirms a candidate: it becomes the dossier's link, the other candidates
    are rejected. Audited; a link already decided on is not decided again (409)."""
    link, others = _dossier_links(uow, link_id)
    if link.status == "rejected":
        raise ConflictError(
            f"link {link_id} was rejected; link the dossier again to reconsider it",
            field="link_id",
            value=str(link_id),
        )
    if link.status == "confirmed":
        raise ConflictError(
            f"link {link_id} is already confirmed", field="link_id", value=str(link_id)
        )
    now = utcnow()
    for other in others:
        other.status, other.decided_by, other.decided_at = "rejected", actor, now
    before = {"status": link.status, "parcel_id": link.parcel_id}
    link.status, link.decided_by, link.decided_at = "confirmed", actor, now
    uow.audit.record(
        actor=actor,
        action="confirm",
        entity_type="dossier_parcel_link",
        entity_id=link.id,
        before=before,
        after={"status": "confirmed", "parcel_id": link.parcel_id, "dossier_id": link.dossier_id},
    )
    uow.commit()
    return link


def reject_link(uow: UnitOfWork, link_id: int, *, actor: str, reason: str) -> None:
    """An officer rejects a link or candidate, saying why. Audited."""
    if not reason.strip():
        raise ValidationError("say why the link is rejected", field="reason", value=reason)
    link, _ = _dossier_links(uow, link_id)
    if link.status == "rejected":
        raise ConflictError(
            f"link {link_id} is already rejected", field="link_id", value=str(link_id)
        )
    before = {"status": link.status, "parcel_id": link.parcel_id}
    link.status, link.decided_by, link.decided_at = "rejected", actor, utcnow()
    uow.audit.record(
        actor=actor,
        action="reject",
        entity_type="dossier_parcel_link",
        entity_id=link_id,
        before=before,
        after={"status": "rejected", "reason": reason},
    )
    uow.commit()
