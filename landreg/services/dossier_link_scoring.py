"""Linking dossiers to the parcels they are about, as people really write them.

A citizen writes the commune (its code, its name, or its name with the abolished district),
the map sheet and parcel number (with typos, or the numbers before the re-survey), sometimes
the certificate serial, and their own identity number. Candidates come from every source of
evidence at once (the key, the old key, the serial, the parcels the applicant holds); each
candidate pair is compared field by field and scored the Fellegi–Sunter way: every field's
agreement level adds log2(m/u) bits, where m is how often a true pair shows that level and u
how often a false one does. The best candidate is linked when its score is high and well
ahead of the next; otherwise the top candidates go to an officer for review.

Everything is computed on whole columns (merges and group-wise aggregates); rapidfuzz
compares the few names that are not equal once folded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from landreg.domain import reference
from landreg.services.source_checks import folded_names

# (m, u) of each comparison level: how often a true pair shows it, and how often a parcel
# picked at random does (so u of an exact key is about one in the parcels of a commune's
# sheets, of a key one keystroke off some twenty times more). Whether the applicant is a
# holder depends on the procedure: a transfer must come from the holder, an inheritance
# comes from the heirs.
LEVELS: dict[str, dict[str, tuple[float, float]]] = {
    "key": {
        "exact": (0.95, 0.0001),
        "old": (0.02, 0.0001),
        "near": (0.025, 0.003),
        "other": (0.005, 0.9977),
    },
    "commune": {"same": (0.999, 0.067), "other": (0.001, 0.933)},
    "holder": {
        "identity": (0.90, 0.0001),
        "name": (0.04, 0.002),
        "other": (0.06, 0.9979),
        "unknown": (1.0, 1.0),
    },
    "holder_optional": {
        "identity": (0.30, 0.0001),
        "name": (0.03, 0.002),
        "other": (0.67, 0.9979),
        "unknown": (1.0, 1.0),
    },
    "serial": {"agrees": (0.99, 0.00001), "differs": (0.01, 0.99999), "unknown": (1.0, 1.0)},
}


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """When a link is made without review, and how many candidates a reviewer sees.

    ``auto_link`` is the lowest score (bits) of a link made alone; ``margin`` how far ahead
    of the next candidate it must be (4.3 bits: twenty to one); candidates scoring below
    ``floor`` are not worth a reviewer's time.
    """

    auto_link: float = 12.0
    margin: float = 4.3
    review_candidates: int = 3
    floor: float = 0.0


def weight(field: str, level: str) -> float:
    """Bits of evidence a field's agreement level gives: log2(m / u)."""
    m, u = LEVELS[field][level]
    return math.log2(m / u)


def written_references(dossiers: pd.DataFrame) -> pd.DataFrame:
    """The parcel reference as written, read: commune code, sheet, number, serial, identity."""
    numbers = {
        name: pd.to_numeric(
            dossiers[column].astype("string").str.replace(r"[.,\s]", "", regex=True),
            errors="coerce",
        ).astype("Int64")
        for name, column in (("sheet", "declared_map_sheet"), ("number", "declared_parcel_number"))
    }
    serial = (
        dossiers["declared_serial"]
        .astype("string")
        .str.upper()
        .str.replace(r"[\s\-]", "", regex=True)
    )
    return pd.DataFrame(
        {
            "dossier_id": dossiers["id"],
            "commune_code": commune_codes(dossiers["declared_commune"]),
            **numbers,
            "serial": serial.replace("", pd.NA),
            "identity": dossiers["applicant_identity"].astype("string").str.strip(),
            "name": folded_names(dossiers["applicant_name"]),
            "procedure": dossiers["procedure"],
        }
    )


def commune_codes(written: pd.Series) -> pd.Series:
    """Commune codes of communes as people write them: the code, the name, the name followed
    by the abolished district ("Xã Tân Biên, Huyện Tân Biên"), with or without diacritics;
    a former commune's code or name (old certificates, old addresses: "Phường 1, Thành phố
    Tây Ninh") gives the commune that took it over (:func:`reference.resolve_commune`)."""
    units = reference.communes()
    text = written.astype("string").str.strip()
    code = text.where(text.str.fullmatch(r"\d{5}").fillna(False) & text.isin(list(units)))
    others = text[code.isna() & text.notna()].unique()
    resolved = {value: reference.resolve_commune(value) for value in others}
    return code.fillna(text.map(resolved).astype(code.dtype)).astype("string")


def candidates(written: pd.DataFrame, parcels: pd.DataFrame, holders: pd.DataFrame) -> pd.DataFrame:
    """Candidate (dossier, parcel) pairs from every source of evidence.

    ``parcels``: id, commune_code, map_sheet, parcel_number, old_map_sheet, old_parcel_number.
    ``holders``: parcel_id, identity_number, holder_name, certificate_serial (one row per
    register entry linked to a parcel).
    """
    keyed = written.dropna(subset=["commune_code", "sheet", "number"])
    by_key = keyed.merge(
        _keys(parcels, "map_sheet", "parcel_number"), on=["commune_code", "sheet", "number"]
    )
    by_old = keyed.merge(
        _keys(parcels, "old_map_sheet", "old_parcel_number"), on=["commune_code", "sheet", "number"]
    )
    serials = holders.assign(
        serial=holders["certificate_serial"].astype("string").str.replace(" ", "", regex=False)
    ).dropna(subset=["serial"])
    by_serial = written.dropna(subset=["serial"]).merge(
        serials[["serial", "parcel_id"]], on="serial"
    )
    by_holder = written.dropna(subset=["identity"]).merge(
        holders.dropna(subset=["identity_number"])[["identity_number", "parcel_id"]],
        left_on="identity",
        right_on="identity_number",
    )
    pairs = pd.concat(
        [f[["dossier_id", "parcel_id"]] for f in (by_key, by_old, by_serial, by_holder)]
    ).drop_duplicates()
    return pairs.astype("int64")


def _keys(parcels: pd.DataFrame, sheet: str, number: str) -> pd.DataFrame:
    usable = parcels.dropna(subset=[sheet, number])
    return pd.DataFrame(
        {
            "parcel_id": usable["id"],
            "commune_code": usable["commune_code"].astype("string"),
            "sheet": usable[sheet].astype("Int64"),
            "number": usable[number].astype("Int64"),
        }
    )


def near_keys(written: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Pairs whose parcel number is near the written one (a digit changed, two adjacent
    digits swapped, one or ten off) in the same commune and sheet: suggestions for a
    reviewer."""
    keyed = written.dropna(subset=["commune_code", "sheet", "number"])
    if keyed.empty:
        return pd.DataFrame({"dossier_id": [], "parcel_id": []}, dtype="int64")
    text = keyed["number"].astype("int64").astype(str)
    variants = []
    for position in range(int(text.str.len().max())):
        long_enough = text.str.len() > position
        for digit in "0123456789":
            changed = text.str[:position] + digit + text.str[position + 1 :]
            variants.append(keyed.assign(variant=changed.where(long_enough)))
        swapped = text.str[:position] + text.str[position + 1 : position + 2]
        swapped = swapped + text.str[position : position + 1] + text.str[position + 2 :]
        variants.append(keyed.assign(variant=swapped.where(text.str.len() > position + 1)))
    counted = keyed["number"].astype("int64")
    for step in (-10, -1, 1, 10):
        shifted = counted + step
        variants.append(keyed.assign(variant=shifted.astype(str).where(shifted > 0)))
    spread = pd.concat(variants).dropna(subset=["variant"])
    spread = spread[spread["variant"] != text.reindex(spread.index)]
    spread = spread.assign(number=spread["variant"].astype("int64").astype("Int64"))
    found = spread.merge(
        _keys(parcels, "map_sheet", "parcel_number"), on=["commune_code", "sheet", "number"]
    )
    return found[["dossier_id", "parcel_id"]].drop_duplicates().astype("int64")


def compare(
    pairs: pd.DataFrame, written: pd.DataFrame, parcels: pd.DataFrame, holders: pd.DataFrame
) -> pd.DataFrame:
    """The agreement level of each field of each pair, and the pair's score (bits)."""
    seen = pairs.merge(written, on="dossier_id").merge(
        parcels[["id", "commune_code", "map_sheet", "parcel_number", "old_map_sheet",
                 "old_parcel_number"]].rename(columns={"id": "parcel_id",
                                                       "commune_code": "parcel_commune"}),
        on="parcel_id",
    )  # fmt: skip
    seen["key"] = _key_level(seen)
    seen["commune"] = np.where(seen["commune_code"] == seen["parcel_commune"], "same", "other")
    seen["holder"], seen["serial"] = _holder_levels(seen, holders)
    required = seen["procedure"].map(
        {name: bool(p.get("requires_holder")) for name, p in _procedures().items()}
    )
    seen["score"] = (
        sum(_weights(seen[field], field) for field in ("key", "commune", "serial"))
        + _weights(seen["holder"], "holder").where(required.fillna(True).astype(bool),
                                                    _weights(seen["holder"], "holder_optional"))
    )  # fmt: skip
    return seen


def _weights(levels: pd.Series, field: str) -> pd.Series:
    return levels.map({level: weight(field, level) for level in LEVELS[field]}).astype(float)


def _procedures() -> dict[str, dict[str, object]]:
    return dict(reference.procedures_config()["procedures"])


def _key_level(seen: pd.DataFrame) -> np.ndarray:
    """How the written key compares with the parcel's, in the written commune only."""
    sheet, number = seen["sheet"], seen["number"]
    commune = (seen["commune_code"] == seen["parcel_commune"]).fillna(False)
    exact = commune & (sheet == seen["map_sheet"]) & (number == seen["parcel_number"])
    old = commune & (sheet == seen["old_map_sheet"]) & (number == seen["old_parcel_number"])
    same_sheet = (commune & (sheet == seen["map_sheet"])).fillna(False).to_numpy()
    keystroke = cpdist(
        number.astype("string").fillna("").tolist(),
        seen["parcel_number"].astype("Int64").astype("string").fillna("").tolist(),
        scorer=OSA.distance,
    )
    apart = (number - seen["parcel_number"]).abs().fillna(0).to_numpy()
    # a digit changed or two swapped (one keystroke), or a count one or ten off ("469" for 470)
    near = same_sheet & ((keystroke == 1) | np.isin(apart, (1, 10)))
    return np.select(
        [exact.fillna(False), old.fillna(False), near], ["exact", "old", "near"], "other"
    )


def _holder_levels(seen: pd.DataFrame, holders: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Is the applicant a holder of the parcel (by identity number, else by name), and does
    the written serial agree with the parcel's certificates."""
    own = holders.assign(
        holder=folded_names(holders["holder_name"]),
        certificate=holders["certificate_serial"]
        .astype("string")
        .str.replace(" ", "", regex=False),
    )
    both = seen[["dossier_id", "parcel_id", "identity", "name", "serial"]].merge(
        own[["parcel_id", "identity_number", "holder", "certificate"]], on="parcel_id", how="left"
    )
    same_person = (both["identity"] == both["identity_number"]).fillna(False)
    names = both["name"].fillna("").tolist()
    similar = cpdist(names, both["holder"].fillna("").tolist(), scorer=fuzz.token_sort_ratio)
    same_name = (similar >= 92) & both["holder"].notna().to_numpy()
    same_serial = (both["serial"] == both["certificate"]).fillna(False)
    has_holder, has_serial = both["holder"].notna(), both["certificate"].notna()
    facts = pd.DataFrame(
        {"identity": same_person, "name": same_name, "holders": has_holder,
         "serial": same_serial, "serials": has_serial & both["serial"].notna()}
    ).groupby([both["dossier_id"], both["parcel_id"]]).any()  # fmt: skip
    facts = facts.reindex(pd.MultiIndex.from_frame(seen[["dossier_id", "parcel_id"]]))
    holder = np.select(
        [facts["identity"], facts["name"], facts["holders"]],
        ["identity", "name", "other"],
        "unknown",
    )
    serial = np.select([facts["serial"], facts["serials"]], ["agrees", "differs"], "unknown")
    return holder, serial


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """Links to store: one row per (dossier, parcel) kept, and the dossiers with none."""

    links: pd.DataFrame
    unmatched: list[int]


def link_dossiers(
    dossiers: pd.DataFrame,
    parcels: pd.DataFrame,
    holders: pd.DataFrame,
    settings: LinkSettings = LinkSettings(),
) -> LinkOutcome:
    """Link every dossier: automatically when one candidate is clearly right, else the top
    candidates for review. Rows: dossier_id, parcel_id, method, confidence, score,
    explanation, status (``linked`` or ``review``), key (how the written key compares)."""
    written = written_references(dossiers)
    pairs = candidates(written, parcels, holders)
    scored = compare(pairs, written, parcels, holders)
    weak = set(written["dossier_id"]) - set(
        scored.loc[scored["score"] >= settings.auto_link, "dossier_id"]
    )
    near = near_keys(written[written["dossier_id"].isin(weak)], parcels)
    near = near.merge(scored[["dossier_id", "parcel_id"]], how="left", indicator=True)
    extra = near.loc[near["_merge"] == "left_only", ["dossier_id", "parcel_id"]]
    if not extra.empty:
        scored = pd.concat([scored, compare(extra, written, parcels, holders)], ignore_index=True)
    return _decided(scored, set(written["dossier_id"]), settings)


def _decided(scored: pd.DataFrame, every: set[int], settings: LinkSettings) -> LinkOutcome:
    ranked = scored.sort_values(["dossier_id", "score", "parcel_id"], ascending=[True, False, True])
    ranked["rank"] = ranked.groupby("dossier_id").cumcount()
    best = ranked.groupby("dossier_id")["score"].transform("first")
    runner_up = (
        ranked["score"].where(ranked["rank"] == 1).groupby(ranked["dossier_id"]).transform("max")
    ).fillna(-np.inf)
    # probability the candidate is the one, given that one of them (or none) is
    odds = np.exp2(ranked["score"] - best)
    ranked["confidence"] = odds / (
        odds.groupby(ranked["dossier_id"]).transform("sum") + np.exp2(-best)
    )
    sure = (best >= settings.auto_link) & (best - runner_up >= settings.margin)
    ranked["status"] = np.where(sure, "linked", "review")
    kept = ranked[
        (sure & (ranked["rank"] == 0))
        | (
            ~sure
            & (ranked["rank"] < settings.review_candidates)
            & (ranked["score"] > settings.floor)
        )
    ]
    kept = kept.assign(method=_method(kept), explanation=_explanation(kept))
    columns = [
        "dossier_id", "parcel_id", "method", "confidence", "score", "explanation", "status", "key",
    ]  # fmt: skip
    return LinkOutcome(
        kept[columns].reset_index(drop=True), sorted(every - set(kept["dossier_id"]))
    )


def _method(pairs: pd.DataFrame) -> np.ndarray:
    """The strongest evidence of a link, by name."""
    return np.select(
        [pairs["serial"] == "agrees", pairs["key"] == "exact", pairs["key"] == "old",
         pairs["key"] == "near", pairs["holder"] == "identity"],
        ["serial", "key", "old_key", "near_key", "holder"],
        "other",
    )  # fmt: skip


# What each agreement level says, in English (stored with the link) and in Vietnamese.
_SAYS = {
    ("key", "exact"): "sheet and parcel number as written",
    ("key", "old"): "the numbers before the re-survey",
    ("key", "near"): "parcel number one keystroke or one off",
    ("key", "other"): "another sheet and parcel number",
    ("commune", "other"): "in another commune than written",
    ("holder", "identity"): "the applicant's identity number is a holder's",
    ("holder", "name"): "the applicant's name is a holder's",
    ("holder", "other"): "the applicant is not a holder of record",
    ("serial", "agrees"): "certificate serial agrees",
    ("serial", "differs"): "certificate serial differs",
}
_SAYS_VI = {
    "sheet and parcel number as written": "số tờ, số thửa đúng như đã ghi",
    "the numbers before the re-survey": "số tờ, số thửa trước khi đo đạc lại",
    "parcel number one keystroke or one off": "số thửa sai một phím gõ hoặc lệch một số",
    "another sheet and parcel number": "số tờ, số thửa khác với đã ghi",
    "in another commune than written": "ở xã khác với xã đã ghi",
    "the applicant's identity number is a holder's": (
        "số định danh của người nộp là của một chủ sử dụng"
    ),
    "the applicant's name is a holder's": "tên người nộp là tên một chủ sử dụng",
    "the applicant is not a holder of record": "người nộp không phải chủ sử dụng trong sổ",
    "certificate serial agrees": "số phát hành Giấy chứng nhận khớp",
    "certificate serial differs": "số phát hành Giấy chứng nhận khác",
}
_BITS = re.compile(r" \((-?[\d.]+) bits\)$")


def explanation_in(explanation: str | None, lang: str) -> str | None:
    """A link's stored (English) explanation in ``lang`` (``vi`` or ``en``): each piece of
    evidence translated, the score kept ("… (30.2 bit)")."""
    if not explanation or lang == "en":
        return explanation
    match = _BITS.search(explanation)
    body = explanation[: match.start()] if match else explanation
    pieces = [_SAYS_VI.get(piece, piece) for piece in body.split("; ") if piece]
    score = f" (điểm {match.group(1)} bit)" if match else ""
    return "; ".join(pieces) + score


def _explanation(pairs: pd.DataFrame) -> list[str]:
    fields = ["key", "commune", "holder", "serial"]
    return [
        "; ".join(
            _SAYS[(f, level)]
            for f, level in zip(fields, levels, strict=True)
            if (f, level) in _SAYS
        )
        + f" ({score:.1f} bits)"
        for *levels, score in pairs[[*fields, "score"]].itertuples(index=False)
    ]
