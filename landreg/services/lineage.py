"""Recording where parcels came from when the register is reconciled (``parcel_lineage``).

Two kinds of evidence, both kept on the link (``evidence``):

- **source**: the delivery names the parent ("Thửa gốc", the ``parent_ref`` field; read by
  :func:`landreg.domain.lineage.parent_keys`). The parent is the parcel of that key that
  ended (retired into history), else the current one of that key, else a parcel this
  register never held: the link then keeps the key alone.
- **geometry**: a delivery that ends a parcel and, in the same delivery, brings new parcels
  on its ground (at least half of the smaller of the two overlaps) is a subdivision, a
  merger or a redrawing, whether or not the file says so.

The kind (split, merge, replace) follows from how many parents each child has and how many
children each parent has (:func:`landreg.domain.lineage.kinds`). Each link keeps the parent's
key and national identifier, so that the identifier of a parcel that ended still leads to the
parcels that replaced it; identifiers themselves are never reused
(:mod:`landreg.services.national_ids`). Links are only added: a second reconcile adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

import shapely

from landreg.clock import utcnow
from landreg.domain.identifiers import ParcelKey
from landreg.domain.lineage import LineageKind, kinds, parent_keys
from landreg.store.unit_of_work import UnitOfWork

# Share of the smaller of a parcel that ended and a new parcel that must overlap for the new
# one to stand on the old one's ground.
OVERLAP_SHARE = 0.5
# A delivery ends and creates its parcels at one moment; this much clock slack is allowed.
SAME_DELIVERY = timedelta(seconds=1)
# The date of a subdivision is the province's day on which the new parcels came in.
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(slots=True)
class LineageSummary:
    """What one run recorded."""

    from_sources: int = 0
    from_ground: int = 0


def record(
    uow: UnitOfWork, parcels: pd.DataFrame, communes: list[str] | None = None
) -> LineageSummary:
    """Add the lineage links the current ``parcels`` (as reconciling reads them) show and the
    register does not have yet. Does not commit."""
    repository = uow.lineage
    known = repository.links()
    done = set(zip(known["child_id"], known["parent_key"], strict=True))
    ended = repository.ended(communes)
    found = _from_sources(uow, parcels, ended)
    seen = {(row["child_id"], row["parent_key"]) for row in found}
    found += [
        row
        for row in _from_ground(uow, parcels, ended, known)
        if (row["child_id"], row["parent_key"]) not in seen
    ]
    new = [row for row in found if (row["child_id"], row["parent_key"]) not in done]
    summary = LineageSummary(
        from_sources=sum(row["evidence"] == "source" for row in new),
        from_ground=sum(row["evidence"] == "geometry" for row in new),
    )
    if not new:
        return summary
    _with_kinds(repository, known, new)
    current_parents = {row["parent_id"] for row in new if row["parent_national_id"] is None}
    national = repository.national_ids(
        sorted({row["child_id"] for row in new} | (current_parents - {None}))
    )
    now = utcnow()
    for row in new:
        row["child_national_id"] = national.get(row["child_id"])
        if row["parent_national_id"] is None and row["parent_id"] is not None:
            row["parent_national_id"] = national.get(row["parent_id"])
        row["created_at"] = now
    repository.add(new)
    uow.audit.record(
        actor="landreg",
        action="lineage",
        entity_type="parcel",
        entity_id=None,
        after={"from_sources": summary.from_sources, "from_ground": summary.from_ground},
    )
    return summary


def _from_sources(uow: UnitOfWork, parcels: pd.DataFrame, ended: pd.DataFrame) -> list[dict]:
    """Links from the parents the deliveries name."""
    refs = uow.lineage.parent_refs(parcels["id"].tolist())
    if refs.empty:
        return []
    by_id = parcels.set_index("id")
    named = [
        (int(child_id), _parents_of(by_id.loc[child_id], text), source, start)
        for child_id, text, source, start in refs.itertuples(index=False)
    ]
    wanted = {str(key) for _, keys, _, _ in named for key in keys}
    current, gone = _by_key(parcels, wanted), _by_key(ended, wanted)
    found = []
    for child_id, keys, source, start in named:
        child = by_id.loc[child_id]
        for key in keys:
            name = str(key)
            parent = gone[name] if name in gone else current.get(name)
            if parent is not None and int(parent["id"]) == int(child_id):
                continue  # a delivery naming the parcel as its own parent
            found.append(
                _link(parent, name, int(child_id), _key_of(child), "source", source, start)
            )
    return found


def _from_ground(
    uow: UnitOfWork, parcels: pd.DataFrame, ended: pd.DataFrame, known: pd.DataFrame
) -> list[dict]:
    """Links from parcels that ended in the delivery that created new parcels on their
    ground."""
    waiting = ended[~ended["id"].isin(known["parent_id"].dropna().astype(int))]
    waiting = waiting[~shapely.is_missing(waiting["geometry"].to_numpy())]
    shapes = parcels["geometry"].to_numpy(dtype=object)
    usable = ~shapely.is_missing(shapes) & shapely.is_valid(shapes)
    if waiting.empty or not usable.any():
        return []
    positions = np.flatnonzero(usable)
    tree = shapely.STRtree(shapes[positions])
    old_shapes = shapely.make_valid(waiting["geometry"].to_numpy(dtype=object))
    pairs = tree.query(old_shapes, predicate="intersects")
    if pairs.shape[1] == 0:
        return []
    old, new = old_shapes[pairs[0]], shapes[positions[pairs[1]]]
    shared = shapely.area(shapely.intersection(old, new))
    enough = shared >= OVERLAP_SHARE * np.minimum(shapely.area(old), shapely.area(new))
    pairs = pairs[:, enough]
    if pairs.shape[1] == 0:
        return []
    child_rows = parcels.iloc[positions[pairs[1]]]
    created = uow.lineage.created(child_rows["id"].astype(int).tolist())
    found = []
    for parent_at, child_at in zip(pairs[0], positions[pairs[1]], strict=True):
        parent, child = waiting.iloc[parent_at], parcels.iloc[child_at]
        start = created.get(int(child["id"]))
        if start is None or abs(_naive(start) - _naive(parent["valid_to"])) > SAME_DELIVERY:
            continue  # the new parcel was there before, or came in another delivery
        found.append(
            _link(
                parent, _key_of(parent) or f"#{int(parent['id'])}", int(child["id"]),
                _key_of(child), "geometry",
                child["source_name"], start,
            )
        )  # fmt: skip
    return found


def _with_kinds(repository: Any, known: pd.DataFrame, new: list[dict]) -> None:
    """Set the kind of the new links, and correct earlier links of the same parcels whose
    kind the new ones change."""
    earlier = list(
        zip(known["parent_key"], known["child_id"], known["id"], known["kind"], strict=True)
    )
    pairs = [(p, int(c)) for p, c, _, _ in earlier] + [
        (row["parent_key"], row["child_id"]) for row in new
    ]
    found = kinds(pairs)
    changed = {
        int(link_id): found[index].value
        for index, (_, _, link_id, kind) in enumerate(earlier)
        if found[index].value != kind
    }
    repository.set_kinds(changed)
    for row, kind in zip(new, found[len(earlier) :], strict=True):
        row["kind"] = LineageKind(kind).value


def _link(
    parent: Any, parent_key: str, child_id: int, child_key: str | None, evidence: str,
    source: Any, start: Any,
) -> dict[str, Any]:  # fmt: skip
    return {
        "parent_id": None if parent is None else int(parent["id"]),
        "parent_key": parent_key,
        "parent_national_id": None if parent is None else _text(parent.get("national_id")),
        "child_id": child_id,
        "child_key": child_key,
        "evidence": evidence,
        "source_name": _text(source),
        "on_date": None if start is None else _local_date(start),
        "kind": LineageKind.REPLACE.value,
    }


def _by_key(frame: pd.DataFrame, wanted: set[str]) -> dict[str, Any]:
    """The rows of the ``wanted`` parcel keys (the last of a key wins: the newest parcel that
    ended)."""
    keyed = frame.dropna(subset=["map_sheet", "parcel_number"])
    keys = (
        keyed["commune_code"].astype(str)
        + "-" + keyed["map_sheet"].astype(int).astype(str)
        + "-" + keyed["parcel_number"].astype(int).astype(str)
    )  # fmt: skip
    hit = keys.isin(wanted).to_numpy()
    return {key: row for key, (_, row) in zip(keys[hit], keyed[hit].iterrows(), strict=True)}


def _parents_of(child: Any, text: str) -> list[ParcelKey]:
    sheet = None if pd.isna(child["map_sheet"]) else int(child["map_sheet"])
    return parent_keys(text, str(child["commune_code"]), sheet)


def _key_of(row: Any) -> str | None:
    if pd.isna(row["map_sheet"]) or pd.isna(row["parcel_number"]):
        return None
    return f"{row['commune_code']}-{int(row['map_sheet'])}-{int(row['parcel_number'])}"


def _naive(value: Any) -> datetime:
    """A stored time as naive UTC (SpatiaLite may give text back)."""
    moment = pd.Timestamp(value)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment.to_pydatetime()


def _local_date(value: Any) -> date:
    return _naive(value).replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TIME).date()


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
