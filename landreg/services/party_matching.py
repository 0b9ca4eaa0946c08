"""Which register rows name one holder: the matching behind :mod:`landreg.services.parties`.

Pure work on frames, no database. The rules, in the order they apply:

* a person (an individual, a spouse of a couple, a co-user) or a household is known by its
  identity number — CCCD (12 digits), old CMND (9), passport (a letter and 7 or 8 digits) —
  written without spaces, dots or dashes. Rows with one number are one holder when their
  names agree up to a typo (folded without case or diacritics, a rapidfuzz ratio of at least
  :attr:`MatchSettings.same_number_name`) and their birth years do not contradict;
* a CMND and a CCCD are one person only when a register row gives both (the old number in
  its own column) or an officer has said so: never guessed from names;
* an organisation is known by its tax code; one without, and a community, by its folded name
  in its commune;
* what is uncertain is proposed for review, never merged: rows with one number whose names
  differ beyond a typo or whose birth years differ; a row without a usable number whose
  name and birth year are another holder's; a CMND holder and a CCCD holder with the same
  name and birth year (the CCCD's own birth year counts when the row gives none).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from landreg.services.source_checks import folded_names


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """How close two names must be to be the same holder's."""

    same_number_name: float = 85.0
    # A row whose name is alike more holders than this (a common name in a big register)
    # proposes none of them: a list of namesakes is no evidence for an officer to decide on.
    most_candidates: int = 3


@dataclass(slots=True)
class Matching:
    """Groups of entry ids that are one holder each, and the uncertain pairs of groups.

    ``review`` holds ``(entry_id, group index, reason, score, explanation)``: the entry's
    group may be the other group's holder.
    """

    groups: list[list[int]] = field(default_factory=list)
    review: list[tuple[int, int, str, float, str]] = field(default_factory=list)


_HOUSEHOLD_TITLE = re.compile(r"^(ho gia dinh|ho)\s+(ong|ba)?\s*")
_KIND_CLASS = {
    "ca nhan": "person", "individual": "person", "vo chong": "person",
    "married_couple": "person", "couple": "person", "nhom nguoi su dung chung": "person",
    "co_users": "person", "ho gia dinh": "household", "household": "household",
    "to chuc": "organisation", "organisation": "organisation",
    "cong dong dan cu": "community", "cong dong": "community", "community": "community",
}  # fmt: skip


def identity_kind(number: str | None) -> str | None:
    """``cccd``, ``cmnd`` or ``passport`` for a normalised number; None for anything else."""
    if not number:
        return None
    if re.fullmatch(r"\d{12}", number):
        return "cccd"
    if re.fullmatch(r"\d{9}", number):
        return "cmnd"
    if re.fullmatch(r"[A-Z]\d{7,8}", number):
        return "passport"
    return None


def normalised_number(text: object) -> str | None:
    """An identity number as the register compares it (no spaces, dots or dashes, upper
    case); None when it is no identity number at all."""
    if text is None or text is pd.NA or (isinstance(text, float) and pd.isna(text)):
        return None
    cleaned = re.sub(r"[\s.\-]", "", str(text)).upper()
    return cleaned if identity_kind(cleaned) else None


def normalised_tax_code(text: object) -> str | None:
    """A tax code as 10 digits, or 10 digits, a dash and 3 (a branch); None otherwise."""
    if text is None or text is pd.NA or (isinstance(text, float) and pd.isna(text)):
        return None
    digits = re.sub(r"[\s.\-]", "", str(text))
    if re.fullmatch(r"\d{10}", digits):
        return digits
    if re.fullmatch(r"\d{13}", digits):
        return f"{digits[:10]}-{digits[10:]}"
    return None


def citizen_birth_year(number: str | None) -> int | None:
    """The birth year a CCCD number carries (its 4th digit gives the century)."""
    if number is None or identity_kind(number) != "cccd":
        return None
    return 1900 + 100 * (int(number[3]) // 2) + int(number[4:6])


def holder_class(kind: object, tax_code: str | None) -> str:
    """person, household, organisation or community, from the row's kind as written."""
    if kind is None or kind is pd.NA or (isinstance(kind, float) and pd.isna(kind)):
        return "organisation" if tax_code else "person"
    folded = folded_names(pd.Series([str(kind)])).iloc[0]
    return _KIND_CLASS.get(folded, "organisation" if tax_code else "person")


def prepared(facts: pd.DataFrame) -> pd.DataFrame:
    """The facts with what matching compares: class, folded name, numbers, tax code, year."""
    out = facts.copy()
    objects = lambda values: pd.Series(values, index=out.index, dtype=object)  # noqa: E731
    out["tax"] = objects([normalised_tax_code(value) for value in out["tax_code"]])
    kinds = out["holder_kind"].astype(object).where(out["holder_kind"].notna(), "")
    out["cls"] = objects(
        [
            _KIND_CLASS.get(kind, "organisation" if tax else "person")
            for kind, tax in zip(folded_names(kinds), out["tax"], strict=True)
        ]
    )
    written = out["holder_name"].astype(object).where(out["holder_name"].notna(), "")
    out["name_f"] = objects(
        [
            _HOUSEHOLD_TITLE.sub("", name) if cls == "household" else name
            for name, cls in zip(folded_names(written), out["cls"], strict=True)
        ]
    )
    out["num"] = objects([normalised_number(value) for value in out["identity_number"]])
    previous = out.get("previous_identity_number", pd.Series(None, index=out.index, dtype=object))
    out["prev"] = objects([normalised_number(value) for value in previous])
    stated = pd.to_numeric(out["birth_year"], errors="coerce").astype(object)
    out["year"] = objects([int(value) if pd.notna(value) else None for value in stated])
    out["year_checked"] = objects(
        [
            citizen_birth_year(number) if identity_kind(number) == "cccd" else year
            for year, number in zip(out["year"], out["num"], strict=True)
        ]
    )
    out["year_any"] = objects(
        [
            year if year is not None else citizen_birth_year(number)
            for year, number in zip(out["year"], out["num"], strict=True)
        ]
    )
    return out


class _Joined:
    """Union-find over identity numbers that are one person's."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = item
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(item, item) != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def join(self, one: str, other: str) -> None:
        a, b = self.find(one), self.find(other)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def match(
    facts: pd.DataFrame,
    joined_numbers: Iterable[tuple[str, str]] = (),
    settings: MatchSettings | None = None,
) -> Matching:
    """Group register entries into holders; ``joined_numbers`` are pairs of numbers known to
    be one person's (earlier rows, officers' decisions)."""
    settings = settings or MatchSettings()
    rows = prepared(facts).sort_values("id", kind="stable")
    joined = _Joined()
    for one, other in joined_numbers:
        joined.join(one, other)
    for number, previous in zip(rows["num"], rows["prev"], strict=True):
        if number and previous and number != previous:
            joined.join(number, previous)
    keys: dict[tuple[object, ...], list[int]] = defaultdict(list)
    records = rows.set_index("id", drop=False).to_dict("index")
    borrowed = _numbers_on_the_parcel(rows, joined, settings)
    for row in rows.itertuples(index=False):
        keys[_key(row, joined, borrowed.get(int(row.id)))].append(int(row.id))
    matching = Matching()
    for key, ids in keys.items():
        if key[0] not in ("household", "person") or len(ids) == 1:
            matching.groups.append(ids)
            continue
        _split_by_name([records[entry] for entry in ids], matching, settings)
    _uncertain(rows, matching, settings)
    return matching


def _numbers_on_the_parcel(
    rows: pd.DataFrame, joined: _Joined, settings: MatchSettings
) -> dict[int, str]:
    """For a person's or household's row without a usable number: the number of the holder
    of the same class that another row lists on the same parcel under a name alike up to a
    typo, with no contradicting birth year — when exactly one holder fits. (A parcel's
    holder written once with and once without a number; never a CMND joined to a CCCD.)"""
    numbered: dict[tuple[object, ...], list[tuple[str, str, int | None, str]]] = defaultdict(list)
    bare = []
    for row in rows.itertuples(index=False):
        if row.cls not in ("person", "household") or not row.name_f:
            continue
        parcel = (row.cls, row.commune_code, row.map_sheet, row.parcel_number)
        if row.num:
            numbered[parcel].append((row.name_f, row.num, row.year_checked, joined.find(row.num)))
        else:
            bare.append((int(row.id), parcel, row.name_f, row.year))
    found = {}
    for entry, parcel, name, year in bare:
        fits = {
            (root, number)
            for other, number, other_year, root in numbered.get(parcel, ())
            if similarity(name, other) >= settings.same_number_name
            and (year is None or other_year is None or year == other_year)
        }
        if len({root for root, _ in fits}) == 1:
            found[entry] = min(number for _, number in fits)
    return found


def _key(row: object, joined: _Joined, borrowed: str | None = None) -> tuple[object, ...]:
    cls, entry_id = row.cls, int(row.id)  # type: ignore[attr-defined]
    number = row.num or borrowed  # type: ignore[attr-defined]
    if cls == "organisation":
        if row.tax:  # type: ignore[attr-defined]
            return ("tax", row.tax)  # type: ignore[attr-defined]
        return ("organisation", row.name_f, row.commune_code)  # type: ignore[attr-defined]
    if cls == "community":
        return ("community", row.name_f, row.commune_code)  # type: ignore[attr-defined]
    if number:
        return (cls, joined.find(number))
    return ("entry", entry_id)


def _split_by_name(rows: list[dict[str, Any]], matching: Matching, settings: MatchSettings) -> None:
    """Rows sharing a number: one holder per set of names that agree up to a typo and birth
    years that do not contradict; the others are proposed against the first set."""
    subsets: list[tuple[list[int], set[str], set[int]]] = []
    reasons: dict[int, tuple[str, float]] = {}
    for row in rows:
        name, year, entry = row["name_f"], row["year_checked"], int(row["id"])
        placed = False
        best = 0.0
        for ids, names, years in subsets:
            score = max(similarity(name, other) for other in names)
            best = max(best, score)
            if score >= settings.same_number_name and (year is None or not years or year in years):
                ids.append(entry)
                names.add(name)
                if year is not None:
                    years.add(year)
                placed = True
                break
        if not placed:
            if subsets:
                reason = (
                    "same_number_other_birth_year"
                    if best >= settings.same_number_name
                    else "same_number_other_name"
                )
                reasons[entry] = (reason, best)
            subsets.append(([entry], {name}, set() if year is None else {year}))
    first = len(matching.groups)
    for ids, _, _ in subsets:
        matching.groups.append(ids)
    for ids, _, _ in subsets[1:]:
        reason, score = reasons[ids[0]]
        matching.review.append((ids[0], first, reason, round(score / 100, 3), _explain(reason)))


_EXPLANATIONS = {
    "same_number_other_name": "cùng số định danh nhưng họ tên khác quá một lỗi gõ",
    "same_number_other_birth_year": "cùng số định danh, họ tên khớp nhưng năm sinh khác",
    "no_number": "trùng họ tên và năm sinh; một bên không có số định danh hợp lệ",
    "cmnd_cccd": "trùng họ tên và năm sinh; một bên mang CMND, bên kia CCCD, "
    "chưa có nguồn nào ghi hai số là của một người",
}


def _explain(reason: str) -> str:
    return _EXPLANATIONS[reason]


def similarity(one: str, other: str) -> float:
    """How alike two folded names are, 0-100: the better of rapidfuzz's ratio and the optimal
    string alignment similarity (a swap of two letters is one slip, not two)."""
    return max(fuzz.ratio(one, other), OSA.normalized_similarity(one, other) * 100)


def alike(one: str, other: str) -> bool:
    """Two folded names one slip apart (a letter changed, dropped, added or two swapped; two
    slips in a name of more than 12 letters), or equal."""
    if one == other:
        return True
    return OSA.distance(one, other) <= (1 if min(len(one), len(other)) <= 12 else 2)


def _uncertain(rows: pd.DataFrame, matching: Matching, settings: MatchSettings) -> None:
    """Groups that may be one holder: same class and birth year and names alike up to a typo
    (or the same name when a birth year is missing), where one lacks a usable number or holds
    only a CMND and the other a CCCD. Only the weaker groups' rows are looked for, in blocks
    sharing the given name or the rest of the name, so the search stays small; each block's
    names are compared all at once (:func:`_close_pairs`), in the order the rows come. A row
    alike more than ``settings.most_candidates`` holders proposes none (a common name)."""
    group_of = {entry: index for index, ids in enumerate(matching.groups) for entry in ids}
    facts = _group_facts(rows, group_of)
    blocks: dict[tuple[object, ...], list[tuple[int, int, str]]] = defaultdict(list)
    seekers: dict[tuple[object, ...], list[tuple[int, int, tuple[int, int, str]]]] = defaultdict(
        list
    )
    for position, row in enumerate(rows.itertuples(index=False)):
        if not row.name_f:
            continue
        group = group_of[int(row.id)]
        member = (group, int(row.id), row.name_f)
        for key in _blocks(row.cls, row.name_f, row.year_any):
            blocks[key].append(member)
        if _rank(facts, group) < 2:
            for order, key in enumerate(_blocks(row.cls, row.name_f, row.year_any, searching=True)):
                seekers[key].append((position, order, member))
    hits = []
    for key, seeking in seekers.items():
        members = blocks.get(key, [])
        pairs = _close_pairs([m[2] for _, _, m in seeking], [m[2] for m in members])
        hits += [(*seeking[s][:2], int(m), seeking[s][2], members[m]) for s, m in pairs]
    hits.sort(key=lambda hit: hit[:3])  # as a row-by-row search would meet them
    hits = _without_common_names(hits, settings.most_candidates)
    proposed: set[tuple[int, int]] = {(e, g) for e, g, *_ in matching.review}
    for _, _, _, (group, entry, name), (other, _, other_name) in hits:
        if other != group and (entry, other) not in proposed:
            _consider(facts, (group, entry, name), (other, other_name), proposed,
                      matching, settings)  # fmt: skip


def _without_common_names(hits: list[Any], most: int) -> list[Any]:
    """The hits of rows alike at most ``most`` other holders."""
    others: dict[int, set[int]] = defaultdict(set)
    for *_, (group, entry, _), (other, _, _) in hits:
        if other != group:
            others[entry].add(other)
    common = {entry for entry, found in others.items() if len(found) > most}
    return [hit for hit in hits if hit[3][1] not in common]


# Seekers compared with a block at once (a slice of this many rows by the whole block).
_SLICE = 2_000


def _close_pairs(seeking: list[str], names: list[str]) -> list[tuple[int, int]]:
    """The (seeker, name) positions of names one slip apart or equal, as :func:`alike`
    decides, computed by rapidfuzz over whole slices (``cdist``, both cores)."""
    if not seeking or not names:
        return []
    lengths = np.fromiter((len(n) for n in names), dtype=np.int32, count=len(names))
    found: list[tuple[int, int]] = []
    for start in range(0, len(seeking), _SLICE):
        part = seeking[start : start + _SLICE]
        distance = cdist(part, names, scorer=OSA.distance, score_cutoff=2, dtype=np.int32,
                         workers=-1)  # fmt: skip
        own = np.fromiter((len(n) for n in part), dtype=np.int32, count=len(part))
        allowed = np.where(np.minimum.outer(own, lengths) <= 12, 1, 2)
        rows, columns = np.nonzero(distance <= allowed)
        found += [(start + int(r), int(c)) for r, c in zip(rows, columns, strict=True)]
    return found


def _consider(
    facts: dict[int, dict[str, set[str]]],
    mine: tuple[int, int, str],
    theirs: tuple[int, str],
    proposed: set[tuple[int, int]],
    matching: Matching,
    settings: MatchSettings,
) -> None:
    """Propose the entry's group against the other when their names are alike and one of
    them has less to identify it."""
    (group, entry, name), (other, other_name) = mine, theirs
    if not alike(name, other_name):
        return
    score = similarity(name, other_name)
    reason = _pair_reason(facts, group, other)
    if reason is None or not _weaker(facts, group, other):
        return
    proposed.add((entry, other))
    matching.review.append((entry, other, reason, round(score / 100, 3), _explain(reason)))


def _group_facts(rows: pd.DataFrame, group_of: dict[int, int]) -> dict[int, dict[str, set[str]]]:
    """The CCCDs, CMNDs and tax codes of each group."""
    facts: dict[int, dict[str, set[str]]] = defaultdict(
        lambda: {"cccd": set(), "cmnd": set(), "tax": set()}
    )
    for row in rows.itertuples(index=False):
        kind = identity_kind(row.num)
        if kind in ("cccd", "cmnd"):
            facts[group_of[int(row.id)]][kind].add(row.num)
        if row.tax:
            facts[group_of[int(row.id)]]["tax"].add(row.tax)
    return facts


def _blocks(
    cls: str, name: str, year: int | None, *, searching: bool = False
) -> list[tuple[object, ...]]:
    """Where a name is filed and looked for: people and households by birth year and given
    name, or birth year and the rest of the name (a slip changes one of the two); a name
    without a birth year only finds the same name (in any year); organisations and
    communities by their whole name."""
    if cls in ("organisation", "community") or year is None:
        return [(cls, "=", name)]
    head, _, given = name.rpartition(" ")
    found: list[tuple[object, ...]] = [(cls, year, "given", given), (cls, year, "head", head)]
    return found if searching else [*found, (cls, "=", name)]


def _rank(facts: dict[int, dict[str, set[str]]], group: int) -> int:
    """What a group has to identify it: 0 nothing, 1 a CMND only, 2 a CCCD or a tax code."""
    known = facts.get(group)
    if known is None:
        return 0
    if known["cccd"] or known["tax"]:
        return 2
    return 1 if known["cmnd"] else 0


def _pair_reason(facts: dict[int, dict[str, set[str]]], one: int, other: int) -> str | None:
    ranks = (_rank(facts, one), _rank(facts, other))
    if 0 in ranks:
        return "no_number"
    if ranks == (1, 2) or ranks == (2, 1):
        return "cmnd_cccd"
    return None


def _weaker(facts: dict[int, dict[str, set[str]]], one: int, other: int) -> bool:
    """True when ``one`` is proposed against ``other``: it has less to identify it, or as
    little and comes later (so each pair is proposed once)."""
    a, b = _rank(facts, one), _rank(facts, other)
    return a < b or (a == b and one > other)
