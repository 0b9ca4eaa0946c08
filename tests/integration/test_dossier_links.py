"""Dossiers linked to their parcels on PostGIS, measured against the sample's ground truth."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from landreg.errors import ValidationError
from landreg.services.dossier_links import confirm_link, link_all, reject_link
from landreg.store.tables import AuditRow, DossierParcelLinkRow, DossierRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from tests.ground_truth import link_table, score_links


@pytest.fixture(scope="module")
def linked(sample_register):
    database, _ = sample_register
    with UnitOfWork(database) as uow:
        summary = link_all(uow)
    return database, summary


def _links(database):
    with UnitOfWork(database) as uow:
        rows = uow.session.execute(
            select(DossierParcelLinkRow, DossierRow.code, ParcelRow)
            .join(DossierRow, DossierRow.id == DossierParcelLinkRow.dossier_id)
            .join(ParcelRow, ParcelRow.id == DossierParcelLinkRow.parcel_id)
            .order_by(DossierParcelLinkRow.dossier_id, DossierParcelLinkRow.confidence.desc())
        ).all()
        ranks: dict[str, int] = {}
        out = []
        for link, code, parcel in rows:
            key = f"{parcel.commune_code}-{parcel.map_sheet}-{parcel.parcel_number}"
            out.append((code, key, link.status, ranks.get(code, 0)))
            ranks[code] = ranks.get(code, 0) + 1
        return out


def test_dossiers_are_linked_to_the_parcel_they_mean(linked):
    database, summary = linked
    scores = score_links(_links(database))
    print("\n" + link_table(scores))
    exact, typo, not_found = scores["exact"], scores["typo"], scores["not_found"]
    assert exact.auto_right == exact.dossiers  # every reference written right links itself
    assert typo.correct >= 0.95, link_table(scores)
    wrong = sum(s.auto_wrong for s in scores.values())
    assert wrong / sum(s.dossiers for s in scores.values()) <= 0.005, link_table(scores)
    assert not_found.auto_wrong == 0  # a sheet the commune lacks is never guessed alone
    assert summary.linked == exact.auto_right + typo.auto_right + typo.auto_wrong


def test_an_officer_confirms_a_candidate_and_linking_again_keeps_it(linked):
    database, _ = linked
    with UnitOfWork(database) as uow:
        dossier_id, first, second = _reviewed_with_two_candidates(uow)
        confirmed = confirm_link(uow, second, actor="officer.lan")
        assert confirmed.status == "confirmed"
    with UnitOfWork(database) as uow:
        link_all(uow)
        statuses = dict(
            uow.session.execute(
                select(DossierParcelLinkRow.id, DossierParcelLinkRow.status).where(
                    DossierParcelLinkRow.dossier_id == dossier_id
                )
            ).all()
        )
        actor, after = uow.session.execute(
            select(AuditRow.actor, AuditRow.after).where(
                AuditRow.entity_type == "dossier_parcel_link", AuditRow.entity_id == second
            )
        ).one()
    assert statuses.pop(second) == "confirmed" and statuses[first] == "rejected"
    assert set(statuses.values()) == {"rejected"}  # every other candidate
    assert actor == "officer.lan" and after["status"] == "confirmed"


def test_rejecting_a_link_needs_a_reason(linked):
    database, _ = linked
    with UnitOfWork(database) as uow:
        link_id = uow.session.scalars(
            select(DossierParcelLinkRow.id).where(DossierParcelLinkRow.status == "linked").limit(1)
        ).one()
        with pytest.raises(ValidationError) as caught:
            reject_link(uow, link_id, actor="officer.lan", reason="  ")
        assert caught.value.field == "reason"


def _reviewed_with_two_candidates(uow):
    rows = uow.session.execute(
        select(DossierParcelLinkRow.dossier_id, DossierParcelLinkRow.id)
        .where(DossierParcelLinkRow.status == "review")
        .order_by(DossierParcelLinkRow.dossier_id, DossierParcelLinkRow.confidence.desc())
    ).all()
    by_dossier: dict[int, list[int]] = {}
    for dossier_id, link_id in rows:
        by_dossier.setdefault(dossier_id, []).append(link_id)
    dossier_id, (first, second, *_) = next(
        (d, ids) for d, ids in by_dossier.items() if len(ids) > 1
    )
    return dossier_id, first, second
