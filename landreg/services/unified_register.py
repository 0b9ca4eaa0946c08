"""The unified register: rights, certificates and restrictions kept as records, made from the
land registers ("sổ địa chính") each time reconciliation links them to the map.

For each parcel, its linked register entries give the holders' rights with their shares, the
certificates ("Giấy chứng nhận": serial, issue date, book entry), the restrictions (mortgages
with the creditor and date, seizures) and the parcel's legal area. Every field of a record
names the register entry it came from (source, batch, row) and why that source won:

- ``only``: one source gives the field;
- ``authority``: several do, and this one comes first in ``LANDREG_REGISTER_AUTHORITY``
  (register sources, most authoritative first);
- ``newest``: several equally authoritative sources (none listed, or the same place in the
  list) give it, and this one's delivery holds the newest data.

Disagreements between the sources stay findings (the ``SRC_*`` rules); the record only says
which value it keeps. A newer delivery is one more diff: a record whose values changed gets a
new version (the earlier one goes to history), a value given for the first time is written in
place, a record no longer given is retired to history, and an unchanged one is not written.

The parcel's land-use code stays the map's (a disagreement with the register is the finding
an officer resolves by taking the register's value); the register's code is kept in the
parcel's sources beside it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from landreg.clock import utcnow
from landreg.domain.model import RightKind
from landreg.store.unit_of_work import UnitOfWork

ACTOR = "reconcile"

# Why a source's value was kept, as a person reads it.
WHY_VI = {
    "only": "nguồn duy nhất có giá trị này",
    "authority": "nguồn đứng trước theo thứ tự thẩm quyền đã cấu hình",
    "newest": "lần giao nộp có dữ liệu mới nhất",
}
WHY_EN = {
    "only": "the only source giving this value",
    "authority": "the source ranked first in the configured order of authority",
    "newest": "the delivery with the newest data",
}

# Each record: the fields that identify it, and its fields with the entry column each comes from.
_RIGHT_KEY = ["parcel_id", "party_id"]
_RIGHT_FIELDS = {"share_percent": "share_percent", "land_use_code": "land_use_code"}
_CERTIFICATE_KEY = ["parcel_id", "serial"]
_CERTIFICATE_FIELDS = {"issued_on": "issued_on", "book_entry": "book_entry"}
_RESTRICTION_KEY = ["parcel_id", "kind", "holder"]
_RESTRICTION_FIELDS = {"registered_on": "registered_on"}
_PARCEL_FIELDS = {"legal_area": "legal_area", "land_use_code": "land_use_code"}


@dataclass(slots=True)
class UnifiedSummary:
    """What rebuilding the records did, per table: added, new versions, first values written
    in place (or newer sources confirming a value), retired."""

    added: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        """Records written in all."""
        return sum(
            sum(counts.values()) for counts in (self.added, self.changed, self.filled, self.retired)
        )


def rebuild(
    uow: UnitOfWork,
    parcels: pd.DataFrame,
    entries: pd.DataFrame,
    links: pd.DataFrame,
    party_of: dict[int, int],
    *,
    authority: Sequence[str] = (),
) -> UnifiedSummary:
    """Bring the records of ``parcels`` in line with their linked register ``entries``
    (``links``: parcel_id, register_entry_id; ``party_of``: entry id → its holder's party).
    Does not commit: the caller's unit of work does."""
    summary = UnifiedSummary()
    parcel_ids = set(parcels["id"].astype("int64"))
    communes = sorted({str(code) for code in parcels["commune_code"].dropna()})
    linked = links[links["register_entry_id"].isin(entries["id"])]
    rows = _ranked(uow, linked, communes, party_of, authority)
    at = utcnow()
    desired = {
        "land_right": _rights(rows),
        "certificate": _certificates(rows),
        "restriction": _restrictions(rows),
    }
    keys = {"land_right": _RIGHT_KEY, "certificate": _CERTIFICATE_KEY,
            "restriction": _RESTRICTION_KEY}  # fmt: skip
    for table, wanted in desired.items():
        current = uow.unified.records(table, communes)
        current = current[current["parcel_id"].isin(parcel_ids)]
        _sync(uow, table, wanted, current, keys[table], summary, at)
    _sync_parcels(uow, rows, communes, parcel_ids, summary)
    return summary


def _ranked(
    uow: UnitOfWork,
    links: pd.DataFrame,
    communes: list[str],
    party_of: dict[int, int],
    authority: Sequence[str],
) -> pd.DataFrame:
    """The linked entries with their fields, most authoritative first within each parcel:
    by the authority order, then the newest data, then the latest delivery."""
    pairs = links[["parcel_id", "register_entry_id"]].astype("int64")
    details = uow.unified.entry_details(communes)
    rows = pairs.merge(details.rename(columns={"id": "register_entry_id"}), on="register_entry_id")
    rows["party_id"] = rows["register_entry_id"].map(party_of)
    place = {name: index for index, name in enumerate(authority)}
    rows["rank"] = rows["source_name"].map(place).fillna(len(authority)).astype("int64")
    rows["data_as_of"] = pd.to_datetime(rows["data_as_of"])
    return rows.sort_values(
        ["parcel_id", "rank", "data_as_of", "source_batch_id", "register_entry_id"],
        ascending=[True, True, False, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)


def _pick(rows: pd.DataFrame, keys: list[str], fields: dict[str, str]) -> pd.DataFrame:
    """One row per record (``keys``): each field's value from the first entry giving it in
    the ranked order, and a ``sources`` column naming, for each field and for the record
    itself (``record``: the entry that gives it, e.g. a certificate's serial), that entry
    and why it won."""
    if rows.empty:
        return pd.DataFrame(columns=[*keys, *fields, "sources", "source_batch_id"])
    grouped = rows.groupby(keys, sort=False)
    picked = grouped[["source_batch_id"]].first()
    origins = {"record": _origin(rows, keys, "register_entry_id")}
    for name, column in fields.items():
        picked[name] = rows[rows[column].notna()].groupby(keys, sort=False)[column].first()
        origins[name] = _origin(rows, keys, column)
    refs = _entry_refs(rows)
    picked["sources"] = [
        {
            name: refs[found[key][0]] | {"why": found[key][1]}
            for name, found in origins.items()
            if key in found
        }
        for key in picked.index
    ]
    return picked.reset_index()


def _origin(rows: pd.DataFrame, keys: list[str], column: str) -> dict[Any, tuple[int, str]]:
    """Per record, the entry whose ``column`` it takes (the first giving one) and why."""
    giving = rows[rows[column].notna()]
    by_record = giving.groupby(keys, sort=False)
    best = by_record["rank"].transform("min")
    sources = by_record["source_name"].nunique()
    best_sources = giving[giving["rank"] == best].groupby(keys)["source_name"].nunique()
    why = pd.Series("newest", index=sources.index)
    why[best_sources.reindex(sources.index) == 1] = "authority"
    why[sources == 1] = "only"
    entry = by_record["register_entry_id"].first()
    return {
        key: (int(found), str(reason))
        for key, found, reason in zip(entry.index, entry, why.reindex(entry.index), strict=True)
    }


def _entry_refs(rows: pd.DataFrame) -> dict[int, dict[str, Any]]:
    columns = ["register_entry_id", "source_name", "source_batch_id", "source_row"]
    return {
        int(entry): {
            "entry": int(entry),
            "source": source,
            "batch": None if pd.isna(batch) else int(batch),
            "row": row,
        }
        for entry, source, batch, row in rows[columns].drop_duplicates().itertuples(index=False)
    }


def _rights(rows: pd.DataFrame) -> pd.DataFrame:
    held = rows[rows["party_id"].notna()].astype({"party_id": "int64"})
    picked = _pick(held, _RIGHT_KEY, _RIGHT_FIELDS)
    picked["kind"] = str(RightKind.LAND_USE)
    picked["share_percent"] = picked["share_percent"].astype(object)
    # A right the register gives no share for is the holder's whole right.
    picked.loc[picked["share_percent"].isna(), "share_percent"] = 100.0
    return picked


def _certificates(rows: pd.DataFrame) -> pd.DataFrame:
    given = rows[rows["certificate_serial"].notna()].rename(
        columns={"certificate_serial": "serial"}
    )
    picked = _pick(given, _CERTIFICATE_KEY, _CERTIFICATE_FIELDS)
    picked["status"] = "valid"
    return picked


def _restrictions(rows: pd.DataFrame) -> pd.DataFrame:
    mortgages = rows[rows["mortgage_holder"].notna()].assign(
        kind="mortgage",
        holder=lambda f: f["mortgage_holder"],
        registered_on=lambda f: f["mortgage_on"],
    )
    seizures = rows[rows["seizure_text"].notna()].assign(
        kind="seizure", holder=lambda f: f["seizure_text"], registered_on=None
    )
    both = pd.concat([mortgages, seizures], ignore_index=True).sort_values(
        ["parcel_id", "rank", "data_as_of", "source_batch_id", "register_entry_id"],
        ascending=[True, True, False, False, True],
        na_position="last",
        kind="stable",
    )
    return _pick(both, _RESTRICTION_KEY, _RESTRICTION_FIELDS)


def _sync(
    uow: UnitOfWork,
    table: str,
    wanted: pd.DataFrame,
    current: pd.DataFrame,
    keys: list[str],
    summary: UnifiedSummary,
    at: datetime,
) -> None:
    """Write the difference between the records the registers give and those kept,
    compared column by column over the whole frames; only the records that differ are
    turned into rows to write."""
    values = [c for c in wanted.columns if c not in (*keys, "sources", "source_batch_id")]
    both = wanted.merge(
        current.rename(columns={c: f"old_{c}" for c in [*values, "sources"]}),
        on=keys,
        how="outer",
        indicator=True,
    )
    differs = pd.Series(False, index=both.index)
    for column in values:
        new, old = both[column], both[f"old_{column}"]
        differs |= (new.astype(object) != old.astype(object)) & ~(new.isna() & old.isna())
    kept = both["_merge"] == "both"
    moved = kept & ~differs & _unequal(both["sources"], both["old_sources"])
    fields = [*values, "sources", "source_batch_id"]
    new_rows = _plain_rows(both[both["_merge"] == "left_only"], [*keys, *fields])
    changed = _plain_rows(both[kept & differs], ["id", "version", *fields])
    confirmed = _plain_rows(both[moved], ["id", "version", "sources", "source_batch_id"])
    gone = [int(i) for i in both.loc[both["_merge"] == "right_only", "id"]]
    uow.unified.add(table, new_rows, actor=ACTOR, at=at)
    done = uow.unified.change(table, changed, actor=ACTOR, at=at) if changed else 0
    uow.unified.fill(table, confirmed)
    uow.unified.retire(table, gone, at=at)
    _count(summary, table, len(new_rows), done, len(confirmed), len(gone))


def _unequal(new: pd.Series, old: pd.Series) -> pd.Series:
    """Where two columns of ``sources`` mappings differ (compared as canonical JSON)."""
    return pd.Series(
        [_canonical(a) != _canonical(b) for a, b in zip(new, old, strict=True)], index=new.index
    )


def _canonical(value: Any) -> str:
    return json.dumps(value if isinstance(value, dict) else None, sort_keys=True, default=str)


# Columns that hold ids and counters (a frame with gaps holds them as floats).
_WHOLE = frozenset({"id", "version", "parcel_id", "party_id", "source_batch_id"})


def _plain_rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    rows = []
    for row in frame[columns].itertuples(index=False):
        plain = {name: _plain(value) for name, value in zip(columns, row, strict=True)}
        rows.append({n: int(v) if n in _WHOLE and v is not None else v for n, v in plain.items()})
    return rows


def _sync_parcels(
    uow: UnitOfWork,
    rows: pd.DataFrame,
    communes: list[str],
    parcel_ids: set[int],
    summary: UnifiedSummary,
) -> None:
    """The parcels' legal area and land use from the registers, and where they came from."""
    picked = {
        int(record["parcel_id"]): record
        for record in _pick(rows, ["parcel_id"], _PARCEL_FIELDS).to_dict("records")
    }
    current = uow.unified.parcel_fields(communes)
    current = current[current["id"].isin(parcel_ids)]
    changed: list[dict[str, Any]] = []
    filled: list[dict[str, Any]] = []
    for pid, version, old_area, old_use, old_sources in current[
        ["id", "version", "legal_area", "legal_land_use_code", "sources"]
    ].itertuples(index=False):
        record = picked.get(int(pid))
        area = _plain(record["legal_area"]) if record else None
        use = _plain(record["land_use_code"]) if record else None
        sources = _parcel_sources(record) if record else None
        old_area, old_use = _plain(old_area), _plain(old_use)
        if area == old_area and use == old_use and sources == old_sources:
            continue
        row = {
            "id": int(pid), "version": int(version), "legal_area": area,
            "legal_land_use_code": use, "sources": sources,
        }  # fmt: skip
        first = (old_area is None or area == old_area) and (old_use is None or use == old_use)
        (filled if first else changed).append(row)
    done = uow.unified.change("parcel", changed, actor=ACTOR, at=utcnow()) if changed else 0
    uow.unified.fill("parcel", filled)
    _count(summary, "parcel", 0, done, len(filled), 0)


def _parcel_sources(record: dict[str, Any]) -> dict[str, Any] | None:
    """The parcel's sources, with the register's values (its land use is not the column's)."""
    given = {
        name: ref | {"value": _plain(record[name])}
        for name, ref in record["sources"].items()
        if name in _PARCEL_FIELDS
    }
    return given or None


def _count(
    summary: UnifiedSummary, table: str, added: int, changed: int, filled: int, retired: int
) -> None:
    for counts, number in (
        (summary.added, added),
        (summary.changed, changed),
        (summary.filled, filled),
        (summary.retired, retired),
    ):
        if number:
            counts.update(Counter({table: number}))


def _plain(value: Any) -> Any:
    """A value as the database gives it back: None for missing, dates as dates, numbers as
    Python numbers, so that a stored record and a rebuilt one compare equal."""
    if value is None or (not isinstance(value, (dict, list, str)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, datetime | date | str | dict | list):
        return value
    if hasattr(value, "item"):
        return value.item()
    return value
