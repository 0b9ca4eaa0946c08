"""Parties resolved across sources: the same holder in two registers, or on two parcels, is
one party; what is uncertain waits for an officer.

A register row names its holder as written: a name, perhaps an identity number (CCCD, old
CMND, passport), a birth year, a tax code for an organisation. :func:`resolve_parties` gives
every row the party of its holder (the matching rules are in
:mod:`landreg.services.party_matching`), creating parties the first time they are seen and
keeping them afterwards: a party's id stays while its rows do, and a change of its name or
number is a new version with the old one in history. A CMND and a CCCD are one person's when
a register row or a dossier gives both (:mod:`landreg.services.dossier_identities`), or an
officer says so. Uncertain matches go to a review queue, like dossier links; an officer's
decision is kept and honoured on every later run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from landreg.clock import utcnow
from landreg.domain.model import Party, PartyKind
from landreg.errors import ConflictError, NotFoundError, ValidationError
from landreg.services import dossier_identities
from landreg.services.party_matching import (
    MatchSettings,
    citizen_birth_year,
    identity_kind,
    match,
    normalised_number,
    prepared,
)
from landreg.store.unit_of_work import UnitOfWork

ACTOR = "landreg"
_KIND = {
    "person": PartyKind.INDIVIDUAL,
    "household": PartyKind.HOUSEHOLD,
    "organisation": PartyKind.ORGANISATION,
    "community": PartyKind.COMMUNITY,
}
_NUMBER_ORIGINS = ("register", "register_previous", "officer", dossier_identities.ORIGIN)


@dataclass(slots=True)
class PartyResolution:
    """What one resolution did."""

    entries: int = 0
    parties: int = 0
    created: int = 0
    changed: int = 0
    review: int = 0
    kept_decisions: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def resolve_parties(
    uow: UnitOfWork, entries: pd.DataFrame, settings: MatchSettings | None = None
) -> dict[int, int]:
    """The party id of each register entry's holder, creating or updating ``party`` rows
    (versioned, audited) and putting uncertain matches in the review queue (each uncertain
    entry keeps a party of its own until an officer merges it). Does not commit."""
    return resolve(uow, entries, settings)[0]


def resolve(
    uow: UnitOfWork, entries: pd.DataFrame, settings: MatchSettings | None = None
) -> tuple[dict[int, int], PartyResolution]:
    """:func:`resolve_parties` with a summary of what it did."""
    repository = uow.party_links
    ids = sorted({int(value) for value in entries["id"]})
    summary = PartyResolution(entries=len(ids))
    if not ids:
        return {}, summary
    facts = repository.entry_facts(ids)
    identities = repository.identities()
    rows = prepared(facts)
    # a dossier giving a CCCD and the old CMND says they are one person's (names checked)
    stated = dossier_identities.statements(
        repository.dossier_numbers(), rows, settings or MatchSettings()
    )
    matching = match(facts, _joined_numbers(identities) + stated.pairs(), settings)
    matching.review += dossier_identities.review(stated.contradicted, rows, matching)
    links = repository.links()
    decided = links[links["status"] != "review"]
    confirmed = decided[decided["status"] == "confirmed"]
    summary.kept_decisions = int(decided["register_entry_id"].isin(ids).sum())
    earlier = repository.resolved()
    group_party = _parties_of_groups(
        matching.groups,
        dict(zip(earlier["register_entry_id"], earlier["party_id"], strict=True)),
        _numbers_to_parties(identities),
        dict(zip(confirmed["register_entry_id"], confirmed["party_id"], strict=True)),
        records := rows.set_index("id").to_dict("index"),
    )
    now = utcnow()
    created, changed = _store_parties(uow, matching.groups, group_party, records, now)
    summary.created, summary.changed = created, changed
    party_of = {
        entry: int(group_party[index])  # type: ignore[arg-type]  # every group has one now
        for index, ids_ in enumerate(matching.groups)
        for entry in ids_
    }
    repository.replace_entries(
        ids,
        [
            {"register_entry_id": entry, "party_id": party, "method": _method(records[entry])}
            for entry, party in party_of.items()
        ],
    )
    repository.add_identities(
        _identities(records, party_of)
        + dossier_identities.identities(stated.agreed, rows, party_of)
    )
    review = _review_rows(matching, group_party, party_of, decided)
    repository.replace_pending(ids, review)
    summary.parties = len(set(party_of.values()))
    summary.review = len(review)
    summary.reasons = dict(Counter(row["reason"] for row in review))
    uow.audit.record(
        actor=ACTOR,
        action="resolve",
        entity_type="party",
        entity_id=None,
        after={
            "entries": summary.entries, "parties": summary.parties,
            "created": summary.created, "changed": summary.changed, "review": summary.review,
        },
    )  # fmt: skip
    return party_of, summary


def _joined_numbers(identities: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs of numbers one party holds (from a register row, an officer or a dossier): one
    person's."""
    pairs = []
    numbered = identities[identities["origin"].isin(_NUMBER_ORIGINS)]
    for _, group in numbered.groupby("party_id"):
        numbers = sorted(set(group["number"]))
        pairs += [(numbers[0], other) for other in numbers[1:]]
    return pairs


def _numbers_to_parties(identities: pd.DataFrame) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    once = identities[["number", "party_id"]].drop_duplicates()  # a number of two origins
    for number, party in zip(once["number"], once["party_id"], strict=True):
        found.setdefault(str(number), []).append(int(party))
    return found


def _parties_of_groups(
    groups: list[list[int]],
    earlier: dict[int, int],
    by_number: dict[str, list[int]],
    confirmed: dict[int, int],
    records: dict[int, dict[str, Any]],
) -> dict[int, int | None]:
    """The party each group keeps: an officer's confirmed merge first, then the party most of
    its entries had, then a party holding its number; None for a new party."""
    chosen: dict[int, int | None] = {}
    claimed: set[int] = set()
    for index, ids in enumerate(groups):
        forced = [confirmed[entry] for entry in ids if entry in confirmed]
        if forced:
            chosen[index] = Counter(forced).most_common(1)[0][0]
    for index, ids in enumerate(groups):
        if index in chosen:
            continue
        votes = Counter(earlier[entry] for entry in ids if entry in earlier)
        pick = next((party for party, _ in votes.most_common() if party not in claimed), None)
        if pick is None:
            numbers = [records[entry]["num"] for entry in ids if records[entry]["num"]]
            candidates = [p for n in numbers for p in by_number.get(n, ())]
            pick = next((p for p, _ in Counter(candidates).most_common() if p not in claimed), None)
        chosen[index] = pick
        if pick is not None:
            claimed.add(pick)
    return chosen


def _wanted(records: dict[int, dict[str, Any]], ids: list[int]) -> dict[str, Any]:
    """A party's values from its rows: the name written most often (the newest row breaks a
    tie), a CCCD before a CMND, the birth year written most often, the tax code."""
    mine = [records[entry] for entry in ids]
    written = [(entry, row["holder_name"]) for entry, row in zip(ids, mine, strict=True)]
    names = Counter(str(name).strip() for _, name in written if isinstance(name, str))
    newest = {str(name).strip(): entry for entry, name in written if isinstance(name, str)}
    name = max(names, key=lambda n: (names[n], newest.get(n, 0))) if names else "?"
    numbers = [row["num"] for row in mine if row["num"]]
    by_kind = sorted(
        Counter(numbers).items(),
        key=lambda item: (
            {"cccd": 0, "cmnd": 1, "passport": 2}[identity_kind(item[0]) or ""],
            -item[1],
        ),
    )
    years = Counter(row["year"] for row in mine if row["year"] is not None)
    year = years.most_common(1)[0][0] if years else None
    if year is None and by_kind:
        year = citizen_birth_year(by_kind[0][0])
    taxes = Counter(row["tax"] for row in mine if row["tax"])
    cls = Counter(row["cls"] for row in mine).most_common(1)[0][0]
    return {
        "kind": str(_KIND[cls]),
        "name": name,
        "identity_number": by_kind[0][0] if by_kind else None,
        "birth_year": year,
        "tax_code": taxes.most_common(1)[0][0] if taxes else None,
    }


def _store_parties(
    uow: UnitOfWork,
    groups: list[list[int]],
    group_party: dict[int, int | None],
    records: dict[int, dict[str, Any]],
    now: Any,
) -> tuple[int, int]:
    """Create the new parties in bulk; change those whose values moved (a new version each,
    audited). Fills ``group_party`` in."""
    wanted = {index: _wanted(records, ids) for index, ids in enumerate(groups)}
    new = [index for index, party in group_party.items() if party is None]
    fresh = set(new)
    made = uow.party_links.add_parties(
        [wanted[index] | {"address": None} for index in new], actor=ACTOR, at=now
    )
    for index, made_id in zip(new, made, strict=True):
        group_party[index] = made_id
    existing = sorted({p for i, p in group_party.items() if i not in fresh and p is not None})
    current = uow.party_links.parties(existing).set_index("id").to_dict("index") if existing else {}
    changed = 0
    done: set[int] = set()
    for index, party_id in group_party.items():
        if index in fresh or party_id is None or party_id in done or party_id not in current:
            continue
        done.add(party_id)
        values = wanted[index]
        row = current[party_id]
        if all(_same(row[key], value) for key, value in values.items()):
            continue
        before = uow.parties.get(party_id, lock=True)
        after = Party(
            kind=PartyKind(values["kind"]),
            name=values["name"],
            identity_number=values["identity_number"],
            address=before.address,
            phone=before.phone,
            birth_year=values["birth_year"],
            tax_code=values["tax_code"],
        )
        saved = uow.parties.change(party_id, after, actor=ACTOR, expected_version=None, at=now)
        uow.audit.record(
            actor=ACTOR,
            action="update",
            entity_type="party",
            entity_id=party_id,
            before=_summary(before),
            after=_summary(saved),
        )
        changed += 1
    return len(made), changed


def _summary(party: Party) -> dict[str, Any]:
    """A party's values for the audit log."""
    return {
        "kind": str(party.kind), "name": party.name, "identity_number": party.identity_number,
        "birth_year": party.birth_year, "tax_code": party.tax_code, "version": party.version,
    }  # fmt: skip


def _same(stored: Any, value: Any) -> bool:
    if stored is None or (not isinstance(stored, str) and pd.isna(stored)):
        return value is None
    if value is None:
        return False
    if isinstance(value, int) and not isinstance(stored, str):
        return float(stored) == float(value)
    return str(stored) == str(value)


def _method(row: dict[str, Any]) -> str:
    if row["cls"] == "organisation" and row["tax"]:
        return "tax_code"
    if row["cls"] in ("organisation", "community"):
        return "name"
    return "number" if row["num"] else "own"


def _identities(
    records: dict[int, dict[str, Any]], party_of: dict[int, int]
) -> list[dict[str, Any]]:
    found = []
    for entry, party in party_of.items():
        row = records[entry]
        where = {"source_name": row["source_name"], "source_key": row["source_key"],
                 "register_entry_id": entry, "party_id": party}  # fmt: skip
        if row["num"]:
            found.append(where | {"number": row["num"], "kind": identity_kind(row["num"]),
                                  "origin": "register"})  # fmt: skip
        if row["prev"] and row["prev"] != row["num"]:
            found.append(where | {"number": row["prev"], "kind": identity_kind(row["prev"]),
                                  "origin": "register_previous"})  # fmt: skip
        if row["tax"]:
            found.append(where | {"number": row["tax"], "kind": "tax_code", "origin": "register"})
    return found


def _review_rows(
    matching: Any, group_party: dict[int, int | None], party_of: dict[int, int],
    decided: pd.DataFrame,
) -> list[dict[str, Any]]:  # fmt: skip
    """The uncertain pairs as (entry, party) to review, leaving out pairs an officer has
    already decided on (either way round) and pairs already in one party."""
    decided_pairs = {
        (party_of.get(int(entry)), int(party))
        for entry, party in zip(decided["register_entry_id"], decided["party_id"], strict=True)
    }
    out, seen = [], set()
    for entry, group, reason, score, explanation in matching.review:
        party, own = group_party[group], party_of[entry]
        if party is None or party == own or (entry, party) in seen:
            continue
        if (own, party) in decided_pairs or (party, own) in decided_pairs:
            continue
        seen.add((entry, party))
        out.append(
            {"register_entry_id": entry, "party_id": party, "reason": reason, "score": score,
             "explanation": explanation}
        )  # fmt: skip
    return out


# -- the review queue -------------------------------------------------------------------------


def party_review(uow: UnitOfWork, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """Uncertain matches waiting for an officer, oldest first."""
    return uow.party_links.review(limit=limit, offset=offset)


def _locked_link(uow: UnitOfWork, link_id: int) -> dict[str, Any]:
    uow.begin_writing()
    link = uow.party_links.lock_link(link_id)
    if link is None:
        raise NotFoundError(
            f"no party link {link_id}",
            field="link_id",
            value=str(link_id),
            detail_vi=f"không có đề xuất gộp người sử dụng đất số {link_id}",
        )
    if link["status"] != "review":
        said = "xác nhận" if link["status"] == "confirmed" else "bác"
        raise ConflictError(
            f"party link {link_id} was already {link['status']}",
            field="link_id",
            value=str(link_id),
            detail_vi=f"đề xuất gộp số {link_id} đã được {said} trước đó",
        )
    return link


def confirm_party_link(uow: UnitOfWork, link_id: int, *, actor: str) -> dict[str, Any]:
    """An officer confirms that the entry's holder is the party: the entry and every other
    entry of its party move to it, and its numbers become the party's (so a CMND and a
    CCCD are linked from now on). Audited; a decided link is not decided again (409)."""
    link = _locked_link(uow, link_id)
    entry_id, party_id = int(link["register_entry_id"]), int(link["party_id"])
    uow.parties.get(party_id, lock=True)
    own = uow.party_links.party_of_entry(entry_id)
    now = utcnow()
    uow.party_links.decide(link_id, "confirmed", actor=actor, at=now)
    if own is not None and own != party_id:
        moved = uow.party_links.numbers_of(own)
        uow.party_links.move_entries(own, party_id, entry_id)
        uow.party_links.add_identities(
            [row | {"party_id": party_id, "origin": "officer"} for row in moved]
        )
    uow.audit.record(
        actor=actor,
        action="confirm",
        entity_type="party_link",
        entity_id=link_id,
        before={"status": "review", "party_id": own},
        after={"status": "confirmed", "party_id": party_id, "register_entry_id": entry_id},
    )
    uow.commit()
    return link | {"status": "confirmed", "decided_by": actor, "decided_at": now}


def reject_party_link(uow: UnitOfWork, link_id: int, *, actor: str, reason: str) -> None:
    """An officer says the entry's holder is not the party, and why. Audited; the pair is not
    proposed again."""
    if not reason.strip():
        raise ValidationError(
            "say why the match is rejected",
            field="reason",
            value=reason,
            detail_vi="hãy ghi lý do bác đề xuất gộp",
        )
    link = _locked_link(uow, link_id)
    uow.party_links.decide(link_id, "rejected", actor=actor, at=utcnow())
    uow.audit.record(
        actor=actor,
        action="reject",
        entity_type="party_link",
        entity_id=link_id,
        before={"status": "review", "party_id": int(link["party_id"])},
        after={"status": "rejected", "reason": reason},
    )
    uow.commit()


# -- a party as officers see it -------------------------------------------------------------


def party_card(uow: UnitOfWork, party_id: int) -> dict[str, Any]:
    """A party with its identity numbers (and where each came from), the parcels its register
    entries name, and its rights."""
    party = uow.parties.get(party_id)
    entries = uow.party_links.entries_of(party_id)
    rights = uow.party_links.rights_of(party_id)
    return {
        "party": party,
        "identities": [
            row | {"origin_text": _origin_text(row)}
            for row in uow.party_links.identity_rows(party_id)
        ],
        "entries": entries,
        "rights": rights,
        "review": uow.party_links.review_of_party(party_id),
    }


def _origin_text(row: dict[str, Any]) -> str:
    """Where a number came from, as an officer reads it: "hồ sơ <code>" for a dossier."""
    source = row.get("source_name") or "?"
    if row["origin"] == dossier_identities.ORIGIN:
        return f"hồ sơ {row.get('source_key')}"
    if row["origin"] == "register_previous":
        return f"số cũ ghi trong sổ địa chính {source}"
    if row["origin"] == "officer":
        return "cán bộ xác nhận gộp"
    return f"sổ địa chính {source}"


def parties_with_number(uow: UnitOfWork, number: str) -> list[int]:
    """Parties holding this identity number, directly or linked to another of theirs."""
    cleaned = normalised_number(number) or number.strip()
    return uow.party_links.parties_by_number(cleaned)
