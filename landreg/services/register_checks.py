"""Linking register entries to map parcels, and the attribute and between-source rules.

The matching ladder records how each link was made: by key (commune, sheet, parcel
number), by the numbers before the re-survey, or by address and area for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

import shapely

from landreg.domain.identifiers import BIRTH_PROVINCE_CODES, IdentityNumber
from landreg.domain.rules import RuleCode
from landreg.errors import ValidationError
from landreg.services.findings import Candidate, entry_subject, parcel_subject
from landreg.services.source_checks import between_sources

KEY = ["commune_code", "map_sheet", "parcel_number"]


@dataclass(frozen=True, slots=True)
class RegisterRuleSettings:
    """Tolerances of the attribute rules."""

    area_tolerance_percent: float = 1.0
    share_tolerance: float = 0.01


def link_entries(parcels: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Links register entry → map parcel with ``match_type``: key, old_key, serial (the
    certificate of a parcel already linked), attributes."""
    columns = ["parcel_id", "register_entry_id", "match_type", "score"]
    if parcels.empty or entries.empty:
        return pd.DataFrame(columns=columns)
    by_key = _merge(entries, parcels, KEY, KEY, "key", 1.0)
    rest = entries[~entries["id"].isin(by_key["register_entry_id"])]
    old = ["commune_code", "old_map_sheet", "old_parcel_number"]
    unlinked_parcels = parcels[~parcels["id"].isin(by_key["parcel_id"])]
    by_old = _merge(
        rest, unlinked_parcels[unlinked_parcels["old_parcel_number"] > 0], KEY, old, "old_key", 0.9
    )
    rest = rest[~rest["id"].isin(by_old["register_entry_id"])]
    by_serial = _by_serial(rest, pd.concat([by_key, by_old]), entries)
    rest = rest[~rest["id"].isin(by_serial["register_entry_id"])]
    unlinked_parcels = unlinked_parcels[~unlinked_parcels["id"].isin(by_old["parcel_id"])]
    by_attributes = _by_attributes(rest, unlinked_parcels)
    return pd.concat([by_key, by_old, by_serial, by_attributes], ignore_index=True)[columns]


def _by_serial(rest: pd.DataFrame, linked: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """An entry whose key matches nothing, carrying the certificate of exactly one parcel
    already linked (a co-holder's row with the numbers mistyped)."""
    serials = (
        entries[["id", "certificate_serial"]].dropna().rename(columns={"id": "register_entry_id"})
    )
    known = linked[["register_entry_id", "parcel_id"]].merge(serials, on="register_entry_id")
    single = known.groupby("certificate_serial")["parcel_id"].nunique()
    known = known[known["certificate_serial"].isin(single.index[single.to_numpy() == 1])]
    joined = (
        rest[["id", "certificate_serial"]]
        .dropna()
        .merge(
            known[["certificate_serial", "parcel_id"]].drop_duplicates(), on="certificate_serial"
        )
    )
    return pd.DataFrame(
        {
            "parcel_id": joined["parcel_id"],
            "register_entry_id": joined["id"],
            "match_type": "serial",
            "score": 0.85,
        }
    )


def _merge(
    entries: pd.DataFrame,
    parcels: pd.DataFrame,
    left: list[str],
    right: list[str],
    kind: str,
    score: float,
) -> pd.DataFrame:
    usable_entries = entries.dropna(subset=left)
    usable_parcels = parcels.dropna(subset=right)
    joined = (
        usable_entries[["id", *left]]
        .astype(dict.fromkeys(left[1:], "int64"))
        .merge(
            usable_parcels[["id", *right]].astype(dict.fromkeys(right[1:], "int64")),
            left_on=left,
            right_on=right,
            suffixes=("_entry", "_parcel"),
        )
    )
    return pd.DataFrame(
        {
            "parcel_id": joined["id_parcel"],
            "register_entry_id": joined["id_entry"],
            "match_type": kind,
            "score": score,
        }
    )


def _by_attributes(entries: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Same commune, same address, legal area within 1 % of the measured one: a strict match,
    so that a register row for a parcel the map lacks is not tied to the wrong parcel."""
    left = entries.dropna(subset=["address", "legal_area"]).assign(
        place=lambda f: f["address"].str.casefold().str.strip()
    )
    right = parcels.dropna(subset=["address"]).assign(
        place=lambda f: f["address"].str.casefold().str.strip()
    )
    joined = left[["id", "commune_code", "place", "legal_area"]].merge(
        right[["id", "commune_code", "place", "measured_area"]],
        on=["commune_code", "place"],
        suffixes=("_entry", "_parcel"),
    )
    close = (joined["legal_area"] - joined["measured_area"]).abs() <= 0.01 * joined["legal_area"]
    joined = joined[close]
    unique = joined.groupby("id_entry")["id_parcel"].transform("nunique") == 1
    joined = joined[unique]
    return pd.DataFrame(
        {
            "parcel_id": joined["id_parcel"],
            "register_entry_id": joined["id_entry"],
            "match_type": "attributes",
            "score": 0.7,
        }
    )


def register_candidates(
    parcels: pd.DataFrame,
    entries: pd.DataFrame,
    links: pd.DataFrame,
    settings: RegisterRuleSettings,
    *,
    invalid: set[int] | None = None,
    copies: Iterable[tuple[int, int]] = (),
) -> list[Candidate]:
    """Attribute rules on parcels and entries, and the rules comparing the two sources.

    Parcels in ``invalid`` (invalid geometry) get no area comparison: their measured area
    means nothing until the geometry is fixed. ``copies`` are pairs of parcel ids drawn
    twice (``GEOM_DUPLICATE``, ``GEOM_NEAR_DUPLICATE``): one parcel, whatever key it repeats.
    """
    return (
        _missing_keys(parcels)
        + _unknown_land_use(parcels, entries)
        + _entry_rules(entries, settings)
        + _duplicate_keys(entries, links, parcels, copies)
        + _duplicate_serials(entries)
        + between_sources(
            parcels, entries, links, settings.area_tolerance_percent, invalid or set()
        )
    )


def _missing_keys(parcels: pd.DataFrame) -> list[Candidate]:
    missing = parcels[parcels["map_sheet"].isna() | parcels["parcel_number"].isna()]
    found = []
    for row in missing.itertuples():
        lacks = [
            name
            for name, value in (
                ("số tờ / map sheet", row.map_sheet),
                ("số thửa / parcel number", row.parcel_number),
            )
            if pd.isna(value)
        ]
        found.append(
            Candidate(
                RuleCode.ATTR_MISSING_KEY,
                [parcel_subject(row)],
                row.commune_code,
                None,
                {"missing": ", ".join(lacks)},
            )
        )
    return found


def _unknown_land_use(parcels: pd.DataFrame, entries: pd.DataFrame) -> list[Candidate]:
    found = []
    for frame, subject, where in (
        (parcels, parcel_subject, "map"),
        (entries, entry_subject, "register"),
    ):
        unknown = frame[frame["land_use_text"].notna() & frame["land_use_code"].isna()]
        for row in unknown.itertuples():
            found.append(
                Candidate(
                    RuleCode.ATTR_UNKNOWN_LAND_USE,
                    [subject(row)],
                    row.commune_code,
                    None,
                    {"code": row.land_use_text, "where": where},
                )
            )
    return found


def _entry_rules(entries: pd.DataFrame, settings: RegisterRuleSettings) -> list[Candidate]:
    found = []
    name = entries["holder_name"].astype("string").str.strip().fillna("")
    number = entries["identity_number"].astype("string").str.strip().fillna("")
    nobody = (name == "") & (number == "")
    for row in entries[nobody.to_numpy()].itertuples():
        found.append(Candidate(RuleCode.ATTR_NO_HOLDER, [entry_subject(row)], row.commune_code))
    # the full check runs only on numbers the quick one cannot vouch for
    doubtful = ~nobody & (number != "") & ~_plausible_identity(number)
    for row in entries[doubtful.to_numpy()].itertuples():
        reason = _identity_problem(row.identity_number)
        if reason:
            found.append(
                Candidate(
                    RuleCode.ATTR_INVALID_IDENTITY,
                    [entry_subject(row)],
                    row.commune_code,
                    None,
                    {"reason": reason},
                )
            )
    return found + _shares(entries, settings)


def _plausible_identity(numbers: pd.Series) -> pd.Series:
    """Numbers that certainly pass :class:`IdentityNumber` (9 digits, or 12 digits opening
    with a province code and a birth year not in the future), checked on the whole column."""
    old = numbers.str.fullmatch(r"\d{9}").fillna(False)
    new = numbers.str.fullmatch(r"\d{12}").fillna(False)
    province = numbers.str[:3].isin(sorted(BIRTH_PROVINCE_CODES))
    century = 1900 + 100 * (pd.to_numeric(numbers.str[3], errors="coerce") // 2)
    year = century + pd.to_numeric(numbers.str[4:6], errors="coerce")
    return (old | (new & province & (year <= date.today().year))).astype(bool)


def _shares(entries: pd.DataFrame, settings: RegisterRuleSettings) -> list[Candidate]:
    """Holders of one certificate whose shares do not sum to 100 %."""
    found = []
    shares = entries.dropna(subset=["share_percent", "parcel_number"]).assign(
        serial=lambda f: f["certificate_serial"].fillna("")
    )
    totals = shares.groupby([*KEY, "serial"])["share_percent"].transform("sum")
    shares = shares[(totals - 100.0).abs() > settings.share_tolerance]
    for _, group in shares.groupby([*KEY, "serial"], sort=True):
        total = float(group["share_percent"].sum())
        if abs(total - 100.0) > settings.share_tolerance:
            first = group.iloc[0]
            found.append(
                Candidate(
                    RuleCode.ATTR_SHARES_NOT_100,
                    [entry_subject(r) for r in group.itertuples()],
                    first.commune_code,
                    None,
                    {"total": total, "serial": first.serial or "—"},
                )
            )
    return found


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _identity_problem(value: object) -> str | None:
    if not _text(value):
        return None
    try:
        IdentityNumber.parse(str(value))
    except ValidationError as error:
        return error.detail
    return None


def _duplicate_keys(
    entries: pd.DataFrame,
    links: pd.DataFrame,
    parcels: pd.DataFrame,
    copies: Iterable[tuple[int, int]],
) -> list[Candidate]:
    """One key, several parcels: one finding per key (commune, sheet, number).

    The register shows it when entries of one key carry different certificates (the entries
    and the parcels they link to are named); a map shows it when different parcels of one
    source carry the key (those parcels are named, wherever they lie, with or without a
    register). A key both show is one finding naming everything, its fingerprint that of
    neither alone. Parcels drawn twice (``copies``) count as one parcel, their duplicate
    geometry being the finding; parcels lacking sheet or number are never duplicates.
    """
    register = _register_duplicates(entries, links, parcels)
    on_map = _map_duplicates(parcels, copies)
    found = []
    for key in sorted(set(register) | set(on_map)):
        subjects: list[dict[str, object]] = []
        count, location = 0, None
        for found_subjects, found_count, found_location in filter(
            None, (register.get(key), on_map.get(key))
        ):
            named = {(s["table"], s["id"]) for s in subjects}
            subjects += [s for s in found_subjects if (s["table"], s["id"]) not in named]
            count = max(count, found_count)
            location = found_location if location is None else location
        found.append(
            Candidate(RuleCode.ATTR_DUPLICATE_KEY, subjects, key[0], location, {"count": count})
        )
    return found


_Duplicate = tuple[list[dict[str, object]], int, shapely.Geometry | None]


def _register_duplicates(
    entries: pd.DataFrame, links: pd.DataFrame, parcels: pd.DataFrame
) -> dict[tuple[str, int, int], _Duplicate]:
    """Keys whose register entries carry different certificates."""
    keyed = entries.dropna(subset=KEY).assign(serial=lambda f: f["certificate_serial"].fillna(""))
    keyed = keyed[keyed.groupby(KEY)["serial"].transform("nunique") > 1]
    found = {}
    for (commune, sheet, number), group in keyed.groupby(KEY, sort=True):
        linked = parcels[
            parcels["id"].isin(links.loc[links["register_entry_id"].isin(group["id"]), "parcel_id"])
        ]
        subjects = [entry_subject(r) for r in group.itertuples()] + [
            parcel_subject(r) for r in linked.itertuples()
        ]
        found[(str(commune), int(sheet), int(number))] = (
            subjects, int(group["serial"].nunique()), None
        )  # fmt: skip
    return found


def _map_duplicates(
    parcels: pd.DataFrame, copies: Iterable[tuple[int, int]]
) -> dict[tuple[str, int, int], _Duplicate]:
    """Keys that different parcels of one map source carry; where: each parcel's point."""
    columns = ["source_name", *KEY]
    keyed = parcels.dropna(subset=KEY)
    keyed = keyed[keyed.groupby(columns, dropna=False)["id"].transform("size") > 1]
    same = _same_parcel(copies)
    found: dict[tuple[str, int, int], _Duplicate] = {}
    for (_, commune, sheet, number), group in keyed.groupby(columns, sort=True, dropna=False):
        distinct = len({same.get(int(i), int(i)) for i in group["id"]})
        if distinct < 2:
            continue
        key = (str(commune), int(sheet), int(number))
        subjects = [parcel_subject(r) for r in group.itertuples()]
        points = shapely.multipoints(shapely.point_on_surface(group["geometry"].to_numpy()))
        before = found.get(key)
        if before is not None:  # the key repeated on two maps: one finding for it
            subjects = before[0] + subjects
            distinct = max(distinct, before[1])
        found[key] = (subjects, distinct, points if before is None else before[2])
    return found


def _same_parcel(copies: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Each parcel drawn twice → the lowest id of the parcels that are copies of it."""
    root: dict[int, int] = {}

    def top(one: int) -> int:
        while root.get(one, one) != one:
            one = root[one]
        return one

    for one, other in copies:
        low, high = sorted((top(int(one)), top(int(other))))
        if low != high:
            root[high] = low
    return {one: top(one) for one in root}


def _duplicate_serials(entries: pd.DataFrame) -> list[Candidate]:
    with_serial = entries.dropna(subset=["certificate_serial", "parcel_number"])
    keys = (
        with_serial["commune_code"].astype(str)
        + "-"
        + with_serial["map_sheet"].astype("Int64").astype(str)
        + "-"
        + with_serial["parcel_number"].astype("Int64").astype(str)
    )
    with_serial = with_serial.assign(key=keys)
    with_serial = with_serial[
        with_serial.groupby("certificate_serial")["key"].transform("nunique") > 1
    ]
    found = []
    for serial, group in with_serial.groupby("certificate_serial", sort=True):
        found.append(
            Candidate(
                RuleCode.ATTR_DUPLICATE_SERIAL,
                [entry_subject(r) for r in group.itertuples()],
                group.iloc[0].commune_code,
                None,
                {
                    "serial": serial,
                    "count": int(group["key"].nunique()),
                    "keys": ", ".join(sorted(group["key"].unique())),
                },
            )
        )
    return found
