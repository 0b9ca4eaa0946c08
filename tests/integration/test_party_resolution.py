"""Parties resolved across registers, scored against a ground truth the registers were
written from: the province's register and two extracts listing the same holders with typing
slips, missing birth years, CMND → CCCD changes (stated or not), households, couples,
organisations and different people sharing a name."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import pandas as pd
import pytest
from sqlalchemy import select

from landreg.domain.delivery import IngestOptions
from landreg.services.parties import confirm_party_link, reject_party_link
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_folder, ingest_path
from landreg.store.tables import AuditRow, PartyEntryRow, PartyLinkRow, RegisterEntryRow
from landreg.store.unit_of_work import UnitOfWork
from sample_data.party_truth import generate_party_truth
from sample_data.register import TN_COLUMNS


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("party_truth")
    truth = generate_party_truth(folder)
    return folder, truth


def _taken_in(database, folder) -> None:
    loaded, stopped = ingest_folder(database, folder / "register", IngestOptions())
    assert stopped == [] and len(loaded) == 3
    with UnitOfWork(database) as uow:
        reconcile(uow)


def _resolution(database, truth) -> tuple[dict[int, int], dict[int, str], pd.DataFrame]:
    """Each entry's party, each entry's true holder, and the review queue."""
    with UnitOfWork(database) as uow:
        party_of = {
            int(entry): int(party)
            for entry, party in uow.session.execute(
                select(PartyEntryRow.register_entry_id, PartyEntryRow.party_id)
            )
        }
        rows = uow.session.execute(select(RegisterEntryRow.id, RegisterEntryRow.source_row)).all()
        links = pd.DataFrame(
            uow.session.execute(
                select(
                    PartyLinkRow.id,
                    PartyLinkRow.register_entry_id,
                    PartyLinkRow.party_id,
                    PartyLinkRow.reason,
                    PartyLinkRow.status,
                )
            ).all(),
            columns=["id", "register_entry_id", "party_id", "reason", "status"],
        )
    holder_of = {entry: truth["rows"][str(row).split("!")[-1]] for entry, row in rows}
    return party_of, holder_of, links


def _score(party_of, holder_of, links) -> dict[str, float]:
    """Pairs of entries: merged automatically and truly one holder, merged wrongly, truly one
    holder but not merged, and of those how many the review queue proposes."""
    by_party, by_holder = defaultdict(list), defaultdict(list)
    for entry, party in party_of.items():
        by_party[party].append(entry)
        by_holder[holder_of[entry]].append(entry)
    merged = [pair for ids in by_party.values() for pair in itertools.combinations(ids, 2)]
    right = sum(holder_of[a] == holder_of[b] for a, b in merged)
    true_pairs = [pair for ids in by_holder.values() for pair in itertools.combinations(ids, 2)]
    proposed = set()
    pending = links[links["status"] == "review"]
    for entry, party in zip(pending["register_entry_id"], pending["party_id"], strict=True):
        proposed |= {(party_of[entry], party), (party, party_of[entry])}
    apart = [(a, b) for a, b in true_pairs if party_of[a] != party_of[b]]
    in_review = sum((party_of[a], party_of[b]) in proposed for a, b in apart)
    return {
        "entries": len(party_of), "holders": len(by_holder), "parties": len(by_party),
        "true_pairs": len(true_pairs), "merged_pairs": len(merged), "right": right,
        "precision": right / len(merged), "recall": right / len(true_pairs),
        "apart": len(apart), "in_review": in_review,
        "review_share": in_review / len(apart) if apart else 1.0,
        "queue": len(pending),
    }  # fmt: skip


def _table(backend: str, score: dict[str, float]) -> str:
    lines = [f"party resolution on {backend}", f"{'measure':<38}{'value':>10}"]
    names = {
        "entries": "register entries", "holders": "true holders", "parties": "parties made",
        "true_pairs": "pairs of entries of one holder", "merged_pairs": "pairs merged",
        "right": "pairs merged rightly", "precision": "precision of merges",
        "recall": "recall of merges", "apart": "pairs of one holder left apart",
        "in_review": "... of which proposed for review", "queue": "matches in review",
    }  # fmt: skip
    for key, label in names.items():
        value = score[key]
        shown = f"{value:.2%}" if isinstance(value, float) else f"{value:,}"
        lines.append(f"{label:<38}{shown:>10}")
    return "\n".join(lines)


def test_parties_across_registers_score_against_the_truth(register_db, registers, request):
    folder, truth = registers
    _taken_in(register_db, folder)
    party_of, holder_of, links = _resolution(register_db, truth)
    score = _score(party_of, holder_of, links)
    print("\n" + _table(request.node.callspec.id, score))
    assert score["entries"] == sum(truth["files"].values())
    assert score["precision"] >= 0.995
    assert score["recall"] >= 0.95
    assert score["review_share"] >= 0.95  # the rest waits for an officer
    reasons = set(links["reason"])
    assert {"cmnd_cccd", "no_number"} <= reasons


def test_officers_decisions_stay_on_the_next_reconcile(postgis, registers):
    folder, truth = registers
    _taken_in(postgis, folder)
    party_of, holder_of, links = _resolution(postgis, truth)
    pending = links[links["status"] == "review"].sort_values("id")
    right = [
        row for row in pending.itertuples()
        if holder_of[row.register_entry_id]
        in {holder_of[e] for e, p in party_of.items() if p == row.party_id}
    ]  # fmt: skip
    wrong = [row for row in pending.itertuples() if row not in right]
    assert right and wrong
    confirmed, rejected = right[0], wrong[0]
    with UnitOfWork(postgis) as uow:
        confirm_party_link(uow, int(confirmed.id), actor="officer")
    with UnitOfWork(postgis) as uow:
        reject_party_link(uow, int(rejected.id), actor="officer", reason="khác người")
    with UnitOfWork(postgis) as uow:
        reconcile(uow)
    after, _, links_after = _resolution(postgis, truth)
    assert after[confirmed.register_entry_id] == confirmed.party_id
    again = links_after[
        (links_after["register_entry_id"] == rejected.register_entry_id)
        & (links_after["party_id"] == rejected.party_id)
    ]
    assert list(again["status"]) == ["rejected"]  # not proposed again
    score = _score(after, holder_of, links_after)
    before = _score(party_of, holder_of, links)
    assert score["right"] > before["right"] and score["precision"] >= before["precision"]


def test_ground_truth_file_names_every_row(registers):
    folder, truth = registers
    stored = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    assert len(stored["rows"]) == sum(stored["files"].values()) == len(truth["rows"])
    assert {"p", "h", "o", "c"} <= {holder[0] for holder in stored["rows"].values()}


def _one_person_register(path, name: str, year: int) -> None:
    """Two parcels of one person (one CCCD), as a commune's register writes them."""
    rows = [
        {"stt": i, "commune_code": "25459", "sheet_text": "7", "number_text": str(i),
         "holder_name": name, "holder_kind": "Cá nhân", "identity": "072085001234",
         "birth_year": year, "land_use_text": "ONT", "share": 100}
        for i in (1, 2)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(TN_COLUMNS)).rename(columns=TN_COLUMNS)
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def test_a_newer_delivery_changes_the_party_keeping_its_history(register_db, tmp_path):
    path = tmp_path / "so" / "so_dia_chinh_xa.csv"
    _one_person_register(path, "Nguyen Van An", 1985)
    ingest_path(register_db, path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    with UnitOfWork(register_db) as uow:
        [first] = set(uow.session.scalars(select(PartyEntryRow.party_id)))
    _one_person_register(path, "Nguyễn Văn An", 1985)  # the names written properly
    ingest_path(register_db, path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    with UnitOfWork(register_db) as uow:
        current = set(uow.session.scalars(select(PartyEntryRow.party_id)))
        versions = uow.parties.versions(first)
        audited = uow.session.scalars(
            select(AuditRow.action).where(
                AuditRow.entity_type == "party", AuditRow.entity_id == first
            )
        ).all()
    assert current == {first}  # the same party, not a new one
    assert [v.name for v in versions] == ["Nguyen Van An", "Nguyễn Văn An"]
    assert [v.version for v in versions] == [1, 2] and versions[-1].birth_year == 1985
    assert list(audited) == ["update"]


def _namesakes_register(path, holders: list[tuple[str, str | None]]) -> None:
    """One parcel per (name, identity number or None), every holder born in 1970."""
    rows = [
        {"stt": i, "commune_code": "25459", "sheet_text": "9", "number_text": str(i),
         "holder_name": name, "holder_kind": "Cá nhân", "identity": identity or "",
         "birth_year": 1970, "land_use_text": "ONT", "share": 100}
        for i, (name, identity) in enumerate(holders, start=1)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(TN_COLUMNS)).rename(columns=TN_COLUMNS)
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def _proposed(database) -> list[tuple[str, str]]:
    with UnitOfWork(database) as uow:
        return list(
            uow.session.execute(
                select(RegisterEntryRow.holder_name, PartyLinkRow.reason)
                .join(RegisterEntryRow, RegisterEntryRow.id == PartyLinkRow.register_entry_id)
                .where(PartyLinkRow.status == "review")
            ).tuples()
        )


def test_a_common_name_without_a_number_proposes_nobody(register_db, tmp_path):
    path = tmp_path / "so" / "so_dia_chinh_xa.csv"
    # one numberless row beside one numbered namesake: proposed for review
    _namesakes_register(path, [("Trần Thị Bé", None), ("Trần Thị Bé", "072170001111")])
    ingest_path(register_db, path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    assert _proposed(register_db) == [("Trần Thị Bé", "no_number")]
    # the same row among five numbered namesakes: a list of strangers, proposed to nobody
    numbered = [("Trần Thị Bé", f"07217000{n:04d}") for n in range(1, 6)]
    _namesakes_register(path, [("Trần Thị Bé", None), *numbered])
    ingest_path(register_db, path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    assert _proposed(register_db) == []
