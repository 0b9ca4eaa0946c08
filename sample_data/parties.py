"""Right holders of the sample parcels ("chủ sử dụng"): people, households, couples, groups.

One row per (parcel, holder). Individuals may hold several parcels; a married couple is two
rows at 50 % each; co-users (usually heirs sharing a family name) have shares summing to
100; organisations and religious communities hold their parcels alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sample_data.people import citizen_numbers, old_card_numbers, person_names
from sample_data.places import (
    AUTHORITIES,
    COMMUNITY_USES,
    ORGANISATION_FORMS,
    ORGANISATION_USES,
    ORGANISATION_WORDS,
)

HOLDER_KINDS_VI = {
    "individual": "Cá nhân",
    "household": "Hộ gia đình",
    "couple": "Vợ chồng",
    "co_users": "Nhóm người sử dụng chung",
    "organisation": "Tổ chức",
    "community": "Cộng đồng dân cư",
}


def holder_kinds(rng, land_use: np.ndarray) -> np.ndarray:
    """The kind of holder of each parcel, by its land use."""
    kinds = rng.choice(
        np.array(["individual", "household", "couple", "co_users"], dtype=object),
        size=len(land_use), p=[0.42, 0.22, 0.26, 0.10],
    )  # fmt: skip
    organisation = np.isin(land_use, list(ORGANISATION_USES)) & (rng.random(len(land_use)) < 0.7)
    kinds[organisation] = "organisation"
    kinds[np.isin(land_use, list(COMMUNITY_USES))] = "community"
    return kinds


def _co_user_shares(rng, sizes: np.ndarray) -> np.ndarray:
    """Integer shares summing to 100 for each group, flattened in group order."""
    shares = []
    for size in sizes:  # one small group per co-used parcel (a few percent of parcels)
        raw = rng.dirichlet(np.full(size, 3.0)) * 100
        whole = np.floor(raw).astype(int)
        whole[0] += 100 - whole.sum()
        shares.append(whole)
    return np.concatenate(shares) if shares else np.zeros(0, dtype=int)


def _holder_rows(rng, kinds: np.ndarray) -> pd.DataFrame:
    """One row per holder slot: parcel position, role, share."""
    size = np.where(kinds == "couple", 2, 1)
    co = kinds == "co_users"
    size[co] = rng.integers(2, 5, size=int(co.sum()))
    parcel = np.repeat(np.arange(len(kinds)), size)
    slot = np.arange(len(parcel)) - np.repeat(np.cumsum(size) - size, size)
    share = np.full(len(parcel), 100, dtype=int)
    share[kinds[parcel] == "couple"] = 50
    co_rows = np.flatnonzero(kinds[parcel] == "co_users")
    share[co_rows] = _co_user_shares(rng, size[co])
    return pd.DataFrame({"parcel": parcel, "slot": slot, "kind": kinds[parcel], "share": share})


def _people(rng, count: int, female: np.ndarray, family=None) -> pd.DataFrame:
    birth = rng.integers(1938, 2004, size=count)
    cmnd = rng.random(count) < 0.15
    identity = citizen_numbers(rng, birth, female)
    identity[cmnd] = old_card_numbers(rng, int(cmnd.sum()))
    return pd.DataFrame(
        {
            "name": person_names(rng, female, family),
            "female": female,
            "birth_year": birth,
            "identity": identity,
        }
    )


def _organisation_names(rng, rows: pd.DataFrame, land_use: np.ndarray, place: np.ndarray):
    count = len(rows)
    company = (
        rng.choice(np.array(ORGANISATION_FORMS, dtype=object), count)
        + " " + rng.choice(np.array(ORGANISATION_WORDS, dtype=object), count)
    )  # fmt: skip
    public = rng.choice(np.array(AUTHORITIES[:4], dtype=object), count) + " " + place
    use = land_use[rows["parcel"].to_numpy()]
    return np.where(np.isin(use, ["TMD", "SKC"]), company, public)


def assign_holders(rng, parcels: pd.DataFrame) -> pd.DataFrame:
    """Holders of every parcel: one row per holder with name, identity and share.

    Parameters
    ----------
    rng : numpy.random.Generator
    parcels : pandas.DataFrame
        The parcel table (``land_use``, ``commune_name``, ``hamlet``).

    Returns
    -------
    pandas.DataFrame
        ``parcel`` (position in ``parcels``), ``slot``, ``kind``, ``share``, ``person``
        (-1 for organisations), ``name``, ``female``, ``birth_year``, ``identity``,
        ``tax_code``.
    """
    land_use = parcels["land_use"].to_numpy(dtype=object)
    rows = _holder_rows(rng, holder_kinds(rng, land_use))
    person_slot = ~rows["kind"].isin(["organisation", "community"]).to_numpy()
    first = person_slot & (rows["slot"].to_numpy() == 0)
    # Owners of several parcels: first holders are drawn from a pool smaller than the slots.
    pool = max(1, int(first.sum() * 0.8))
    person = np.full(len(rows), -1, dtype=np.int64)
    person[first] = rng.integers(0, pool, size=int(first.sum()))
    others = person_slot & ~first
    person[others] = pool + np.arange(int(others.sum()))
    female = rng.random(pool + int(others.sum())) < 0.45
    couple_wife = others & (rows["kind"].to_numpy() == "couple")
    female[person[couple_wife]] = True
    female[person[first & (rows["kind"].to_numpy() == "couple")]] = False
    people = _people(rng, len(female), female)
    co = others & (rows["kind"].to_numpy() == "co_users")
    _share_family_name(people, person, rows, co)
    return _finish_holders(rng, rows, person, people, parcels)


def _share_family_name(people: pd.DataFrame, person, rows: pd.DataFrame, co: np.ndarray) -> None:
    """Co-users (heirs) carry the family name of the first co-user of their parcel."""
    parcel = rows["parcel"].to_numpy()
    first_of = pd.Series(person, index=rows.index).groupby(parcel).transform("first").to_numpy()
    families = people["name"].str.split(" ").str[0].to_numpy(dtype=object)
    rest = people["name"].str.split(" ", n=1).str[1].to_numpy(dtype=object)
    people.loc[person[co], "name"] = families[first_of[co]] + " " + rest[person[co]]


def _finish_holders(rng, rows, person, people, parcels) -> pd.DataFrame:
    out = rows.copy()
    out["person"] = person
    has = person >= 0
    for column in ("name", "female", "birth_year", "identity"):
        values = np.full(len(out), None, dtype=object)
        values[has] = people[column].to_numpy(dtype=object)[person[has]]
        out[column] = values
    org = ~has
    place = parcels["commune_name"].to_numpy(dtype=object)[out["parcel"].to_numpy()[org]]
    out.loc[org, "name"] = _organisation_names(rng, out[org], parcels["land_use"].to_numpy(), place)
    tax = np.char.zfill(rng.integers(0, 10**8, size=int(org.sum())).astype(str), 8).astype(object)
    out["tax_code"] = None
    out.loc[org, "tax_code"] = np.where(rng.random(int(org.sum())) < 0.5, "39", "11") + tax
    community = out["kind"].to_numpy() == "community"
    words = rng.choice(np.array(ORGANISATION_WORDS, dtype=object), int(community.sum()))
    out.loc[community, "name"] = "Chùa " + words
    out.loc[community, "tax_code"] = None
    out["person_name"] = out["name"].where(has, None)
    household = out["kind"].to_numpy() == "household"
    title = np.where(out["female"].to_numpy(dtype=object) == True, "Hộ bà ", "Hộ ông ")  # noqa: E712
    out.loc[household, "name"] = title[household] + out.loc[household, "name"]
    return out
