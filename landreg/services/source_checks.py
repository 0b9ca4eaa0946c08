"""Rules comparing the sources: the map against the register, one register against another,
and the area a map writes against the area measured on it.

Every comparison runs on whole columns (one merge of links, parcels and entries, then
group-wise aggregates); Python only builds the findings themselves, which are few.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from landreg.domain.rules import RuleCode
from landreg.services.findings import Candidate, entry_subject, parcel_subject

KEY = ["commune_code", "map_sheet", "parcel_number"]


def between_sources(
    parcels: pd.DataFrame,
    entries: pd.DataFrame,
    links: pd.DataFrame,
    area_tolerance_percent: float,
    invalid: set[int],
) -> list[Candidate]:
    """Findings of every rule comparing sources.

    Areas further apart than ``area_tolerance_percent`` disagree. Parcels in ``invalid``
    get no area comparison: the measured area of an invalid polygon
    means nothing until it is fixed. The map's written areas are checked with or without
    a register.
    """
    pairs = _pairs(parcels, entries, links)
    legal_areas = _map_area(pairs, parcels, entries, area_tolerance_percent, invalid)
    return (
        _register_without_map(entries, links)
        + _map_without_register(parcels, links)
        + _land_use(pairs, parcels, entries)
        + legal_areas
        + _written_areas(parcels, legal_areas, area_tolerance_percent, invalid)
        + _holders_between_registers(pairs, parcels, entries)
        + _areas_between_registers(pairs, parcels, entries, area_tolerance_percent)
    )


def _pairs(parcels: pd.DataFrame, entries: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """One row per link: the parcel's map values beside the entry's register values."""
    map_side = parcels[["id", "land_use_code", "measured_area", "map_area"]].rename(
        columns={"id": "parcel_id", "land_use_code": "map_code"}
    )
    register_side = entries[
        ["id", "land_use_code", "legal_area", "source_name", "holder_name", "identity_number"]
    ].rename(columns={"id": "register_entry_id", "land_use_code": "register_code"})
    return (
        links[["parcel_id", "register_entry_id"]]
        .merge(map_side, on="parcel_id")
        .merge(register_side, on="register_entry_id")
        .sort_values(["parcel_id", "register_entry_id"], kind="stable")
    )


def _register_without_map(entries: pd.DataFrame, links: pd.DataFrame) -> list[Candidate]:
    unlinked = entries[~entries["id"].isin(links["register_entry_id"])].dropna(subset=KEY)
    return [
        Candidate(
            RuleCode.SRC_REGISTER_WITHOUT_MAP,
            [entry_subject(r) for r in group.itertuples()],
            group.iloc[0].commune_code,
        )
        for _, group in unlinked.groupby(KEY, sort=True)
    ]


def _map_without_register(parcels: pd.DataFrame, links: pd.DataFrame) -> list[Candidate]:
    lonely = parcels[~parcels["id"].isin(links["parcel_id"])]
    return [
        Candidate(
            RuleCode.SRC_MAP_WITHOUT_REGISTER, [parcel_subject(r)], r.commune_code, r.geometry
        )
        for r in lonely.itertuples()
    ]


def _flagged(
    pairs: pd.DataFrame, parcel_ids: pd.Index, parcels: pd.DataFrame, entries: pd.DataFrame
) -> Iterator[tuple[pd.Series, list[dict[str, object]]]]:
    """For each flagged parcel: its row and the subjects (the parcel, then its entries)."""
    by_id = parcels.set_index("id", drop=False)
    wanted = pairs[pairs["parcel_id"].isin(parcel_ids)]
    own = entries.set_index("id", drop=False)
    for parcel_id, group in wanted.groupby("parcel_id", sort=True):
        parcel = by_id.loc[parcel_id]
        linked = own.loc[group["register_entry_id"]]
        yield parcel, [parcel_subject(parcel), *(entry_subject(r) for r in linked.itertuples())]


def _land_use(pairs: pd.DataFrame, parcels: pd.DataFrame, entries: pd.DataFrame) -> list[Candidate]:
    """The map's land use is none of the codes its register entries give."""
    coded = pairs.dropna(subset=["map_code", "register_code"])
    agrees = (coded["map_code"] == coded["register_code"]).groupby(coded["parcel_id"]).any()
    disagreeing = agrees.index[~agrees.to_numpy()]
    codes = coded.groupby("parcel_id")["register_code"].agg(lambda c: ", ".join(sorted(set(c))))
    return [
        Candidate(
            RuleCode.SRC_LAND_USE_MISMATCH,
            subjects,
            parcel.commune_code,
            parcel.geometry,
            {"map_code": parcel.land_use_code, "register_code": codes[parcel.id]},
        )
        for parcel, subjects in _flagged(pairs, disagreeing, parcels, entries)
    ]


def _map_area(
    pairs: pd.DataFrame,
    parcels: pd.DataFrame,
    entries: pd.DataFrame,
    area_tolerance_percent: float,
    invalid: set[int],
) -> list[Candidate]:
    """The register's legal area against the area measured on the map (and the area the map
    writes, reported beside it)."""
    measurable = pairs[~pairs["parcel_id"].isin(invalid)].dropna(subset=["legal_area"])
    first = measurable.groupby("parcel_id")[["legal_area", "measured_area", "map_area"]].first()
    first = first[first["measured_area"].notna() & (first["measured_area"] > 0)]
    legal = first["legal_area"]
    difference = 100.0 * (first["measured_area"] - legal) / legal.where(legal != 0, np.nan)
    beyond = first[difference.fillna(np.inf).abs() > area_tolerance_percent]
    return [
        Candidate(
            RuleCode.ATTR_AREA_MISMATCH,
            subjects,
            parcel.commune_code,
            parcel.geometry,
            {
                "legal": float(beyond.at[parcel.id, "legal_area"]),
                "measured": float(parcel.measured_area),
                "map_area": beyond.at[parcel.id, "map_area"],
                "difference": float(difference[parcel.id]),
            },
        )
        for parcel, subjects in _flagged(pairs, beyond.index, parcels, entries)
    ]


# Written areas are rounded to 0.1 m²: closer than this to the measured area, a written area
# is right whatever the percentage allows.
WRITTEN_AREA_ROUNDING = 0.1


def _written_areas(
    parcels: pd.DataFrame,
    legal_areas: list[Candidate],
    area_tolerance_percent: float,
    invalid: set[int],
) -> list[Candidate]:
    """The area a map writes for a parcel (``map_area``, say DienTich) against the area
    measured on its geometry: further apart than ``area_tolerance_percent`` of the measured
    area, and never less than :data:`WRITTEN_AREA_ROUNDING`, is a finding, register or not.

    Not on invalid parcels (their area means nothing until fixed), nor when the register's
    legal area is flagged against the measured one (``ATTR_AREA_MISMATCH``) and the map wrote
    that legal area: one wrong geometry, not two findings. A written 0 is no area written
    (a Shapefile cannot leave a number empty).
    """
    written = parcels[
        (parcels["map_area"].fillna(0) > 0)
        & parcels["measured_area"].notna()
        & ~parcels["id"].isin(invalid)
    ]
    measured = written["measured_area"].astype(float)
    area = written["map_area"].astype(float)
    tolerance = np.maximum(measured * area_tolerance_percent / 100.0, WRITTEN_AREA_ROUNDING)
    off = written[((area - measured).abs() > tolerance).to_numpy()]
    legal = {c.subjects[0]["id"]: float(c.measured["legal"]) for c in legal_areas}
    found = []
    for row in off.itertuples():
        allowed = float(tolerance[row.Index])
        if row.id in legal and abs(row.map_area - legal[row.id]) <= allowed:
            continue
        found.append(
            Candidate(
                RuleCode.ATTR_MAP_AREA_MISMATCH,
                [parcel_subject(row)],
                row.commune_code,
                row.geometry,
                {
                    "written": float(row.map_area),
                    "measured": float(row.measured_area),
                    "difference": float(row.map_area - row.measured_area),
                    "tolerance": allowed,
                },
            )
        )
    return found


def _shared(pairs: pd.DataFrame) -> pd.DataFrame:
    """The links of parcels that entries of two or more register sources describe."""
    sources = pairs.groupby("parcel_id")["source_name"].nunique()
    return pairs[pairs["parcel_id"].isin(sources.index[sources.to_numpy() > 1])]


def folded_names(names: pd.Series) -> pd.Series:
    """Names comparable however they were typed: no case, diacritics or extra spaces
    ("Nguyễn Văn  An" and "NGUYEN VAN AN" fold to "nguyen van an")."""
    return (
        names.astype("string")
        .str.casefold()
        .str.replace("đ", "d", regex=False)
        .str.normalize("NFD")
        .str.replace(r"[\u0300-\u036f]", "", regex=True)
        .str.split()
        .str.join(" ")
        .fillna("")
    )


def _joined(values: pd.Series) -> str:
    return "|".join(sorted(set(values)))


def _holders_between_registers(
    pairs: pd.DataFrame, parcels: pd.DataFrame, entries: pd.DataFrame
) -> list[Candidate]:
    """Two register sources name different holders for one parcel: by identity number when
    every source gives every holder's number, else by name."""
    shared = _shared(pairs)
    if shared.empty:
        return []
    numbers = shared["identity_number"].astype("string").str.strip().fillna("")
    shared = shared.assign(name=folded_names(shared["holder_name"]), number=numbers)
    per_source = shared.groupby(["parcel_id", "source_name"]).agg(
        names=("name", _joined), numbers=("number", _joined), numbered=("number", "all")
    )
    per_parcel = per_source.groupby(level="parcel_id").agg(
        names=("names", "nunique"), numbers=("numbers", "nunique"), numbered=("numbered", "all")
    )
    differ = per_parcel["numbers"].where(per_parcel["numbered"], per_parcel["names"]) > 1
    written = shared.groupby(["parcel_id", "source_name"])["holder_name"].agg(
        lambda n: ", ".join(sorted({str(v) for v in n if isinstance(v, str)}))
    )
    return [
        Candidate(
            RuleCode.SRC_HOLDER_MISMATCH,
            subjects,
            parcel.commune_code,
            parcel.geometry,
            {"holders": "; ".join(f"{s}: {n or '—'}" for s, n in written[parcel.id].items())},
        )
        for parcel, subjects in _flagged(
            pairs, per_parcel.index[differ.to_numpy()], parcels, entries
        )
    ]


def _areas_between_registers(
    pairs: pd.DataFrame,
    parcels: pd.DataFrame,
    entries: pd.DataFrame,
    area_tolerance_percent: float,
) -> list[Candidate]:
    """Two register sources give legal areas further apart than the tolerance."""
    shared = _shared(pairs).dropna(subset=["legal_area"])
    if shared.empty:
        return []
    area = shared.groupby(["parcel_id", "source_name"])["legal_area"].first()
    spread = area.groupby(level="parcel_id").agg(["min", "max"])
    apart = 100.0 * (spread["max"] - spread["min"]) / spread["min"].where(spread["min"] > 0)
    flagged = spread.index[apart.fillna(np.inf).to_numpy() > area_tolerance_percent]
    return [
        Candidate(
            RuleCode.SRC_AREA_MISMATCH,
            subjects,
            parcel.commune_code,
            parcel.geometry,
            {"areas": "; ".join(f"{s}: {a:g} m²" for s, a in area[parcel.id].items())},
        )
        for parcel, subjects in _flagged(pairs, flagged, parcels, entries)
    ]
