"""A CMND and a CCCD a dossier says are one person's, for :mod:`landreg.services.parties`.

A dossier whose applicant gives a CCCD (12 digits) and the earlier CMND (9 digits, "Số CMND
cũ") states that both are one person's, as a register row giving both does. The statement
joins the two numbers when the applicant's name agrees, up to a typo, with the name the
registers write beside each number they hold (the matching then still splits rows whose own
names or birth years contradict, as for any number). When the applicant's name contradicts
the registers, nothing is joined: the holder of the CMND is proposed for review against the
holder of the CCCD, naming the dossier. The numbers of a statement that made one party are
recorded as that party's with the origin ``dossier`` and the dossier's code.

Pure work on frames, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from landreg.services.party_matching import (
    Matching,
    MatchSettings,
    identity_kind,
    normalised_number,
    similarity,
)
from landreg.services.source_checks import folded_names

ORIGIN = "dossier"
REASON = "dossier_other_name"
_STATEMENT = ["code", "source_name", "name_f", "cccd", "cmnd"]


@dataclass(slots=True)
class Statements:
    """Dossiers' statements: those whose applicant's name agrees with the registers (or
    that give no name, or whose numbers no register row names), and those it contradicts."""

    agreed: pd.DataFrame
    contradicted: pd.DataFrame

    def pairs(self) -> list[tuple[str, str]]:
        """The pairs of numbers to join."""
        unique = self.agreed[["cccd", "cmnd"]].drop_duplicates()
        return list(zip(unique["cccd"], unique["cmnd"], strict=True))


def statements(dossiers: pd.DataFrame, rows: pd.DataFrame, settings: MatchSettings) -> Statements:
    """Judge each dossier giving a CCCD and an earlier CMND against the register rows
    (:func:`~landreg.services.party_matching.prepared` facts) holding either number."""
    stated = _stated(dossiers)
    if stated.empty:
        return Statements(stated, stated)
    held = _held(stated, rows)
    held["score"] = [
        similarity(mine, theirs) if mine and theirs else 100.0
        for mine, theirs in zip(held["name_f"], held["row_name"], strict=True)
    ]
    best = held.groupby(["statement", "side"])["score"].max()
    against = best[best < settings.same_number_name].index.get_level_values("statement")
    contradicted = stated.index.isin(against)
    return Statements(stated[~contradicted], stated[contradicted])


def _stated(dossiers: pd.DataFrame) -> pd.DataFrame:
    """Dossiers whose applicant gives a CCCD and an earlier CMND, numbers normalised."""
    if dossiers.empty:
        return pd.DataFrame(columns=_STATEMENT)
    cccd = dossiers["applicant_identity"].map(normalised_number)
    cmnd = dossiers["applicant_previous_identity"].map(normalised_number)
    names = dossiers["applicant_name"].astype(object).where(dossiers["applicant_name"].notna(), "")
    frame = pd.DataFrame(
        {
            "code": dossiers["code"],
            "source_name": dossiers["source_name"],
            "name_f": folded_names(names).to_numpy(),
            "cccd": cccd,
            "cmnd": cmnd,
        }
    )
    wanted = (cccd.map(identity_kind) == "cccd") & (cmnd.map(identity_kind) == "cmnd")
    return frame[wanted].reset_index(drop=True)


def _held(stated: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Each statement's numbers with the register rows holding them: statement, side,
    number, name_f (the applicant's), id and row_name (the row's)."""
    sides = pd.concat(
        [
            pd.DataFrame({"statement": stated.index, "number": stated[side]}).assign(
                side=side, name_f=stated["name_f"].to_numpy()
            )
            for side in ("cccd", "cmnd")
        ],
        ignore_index=True,
    )
    holders = rows.loc[rows["num"].notna(), ["id", "num", "name_f"]].rename(
        columns={"num": "number", "name_f": "row_name"}
    )
    return sides.merge(holders, on="number")


def review(
    contradicted: pd.DataFrame,
    rows: pd.DataFrame,
    matching: Matching,
) -> list[tuple[int, int, str, float, str]]:
    """The CMND's holder proposed against the CCCD's, for each statement the registers'
    names contradict, where both numbers are held and their holders are apart."""
    if contradicted.empty:
        return []
    group_of = {entry: index for index, ids in enumerate(matching.groups) for entry in ids}
    held = _held(contradicted, rows).sort_values("id", kind="stable")
    first = held.drop_duplicates(["statement", "side"]).set_index("statement")
    sides = first[first["side"] == "cmnd"].merge(
        first[first["side"] == "cccd"], left_index=True, right_index=True, suffixes=("_old", "_new")
    )
    sides["group"] = sides["id_new"].map(group_of)
    apart = sides[sides["id_old"].map(group_of) != sides["group"]]
    codes = contradicted["code"].reindex(apart.index)
    return [
        (int(entry), int(group), REASON, round(similarity(old, new) / 100, 3), _explanation(code))
        for entry, group, old, new, code in zip(
            apart["id_old"], apart["group"], apart["row_name_old"], apart["row_name_new"],
            codes, strict=True,
        )
    ]  # fmt: skip


def _explanation(code: str) -> str:
    return (
        f"hồ sơ {code} ghi số CMND cũ và số CCCD là của một người, nhưng họ tên người nộp "
        "khác quá một lỗi gõ với họ tên sổ ghi cho một trong hai số"
    )


def identities(
    agreed: pd.DataFrame, rows: pd.DataFrame, party_of: dict[int, int]
) -> list[dict[str, Any]]:
    """The numbers of each agreed statement as the party's, with the dossier as their source,
    where the register rows holding either number are all one party's."""
    if agreed.empty:
        return []
    held = _held(agreed, rows)
    held["party_id"] = held["id"].map(party_of)
    held = held[held["party_id"].notna()]
    parties = held.groupby("statement")["party_id"].agg(["nunique", "first"])
    single = parties[parties["nunique"] == 1]
    found = []
    for statement, party in zip(single.index, single["first"], strict=True):
        stated = agreed.loc[statement]
        for side in ("cccd", "cmnd"):
            found.append(
                {"party_id": int(party), "number": stated[side], "kind": side, "origin": ORIGIN,
                 "source_name": stated["source_name"], "source_key": stated["code"],
                 "register_entry_id": None}
            )  # fmt: skip
    return found
