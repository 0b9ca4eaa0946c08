"""Reconcile: link the sources, run every rule, and keep the findings up to date.

Findings have a stable fingerprint (rule and records), so running again neither duplicates
them nor loses what staff did with them: one still found stays as it is (a dismissed one
stays dismissed), a new one opens, one no longer found is closed with the batch that fixed it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

import shapely

from landreg.clock import utcnow
from landreg.domain.messages import labelled_suggestion
from landreg.domain.model import Finding
from landreg.domain.rules import RuleCode, rule
from landreg.services import lineage, national_ids
from landreg.services.findings import Candidate, plain
from landreg.services.geometry_checks import (
    BROKEN,
    DUPLICATES,
    GeometrySettings,
    geometry_candidates,
)
from landreg.services.parties import resolve_parties
from landreg.services.register_checks import RegisterRuleSettings, link_entries, register_candidates
from landreg.services.unified_register import rebuild
from landreg.store.unit_of_work import UnitOfWork


@dataclass(slots=True)
class ReconcileSummary:
    """What a reconciliation run saw and did."""

    parcels: int = 0
    register_entries: int = 0
    links: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    still_open: int = 0
    closed: int = 0
    seconds: float = 0.0
    # seconds of each stage, in the order run (reading, links, parties, unified register, ...)
    stages: dict[str, float] = field(default_factory=dict)


def reconcile(
    uow: UnitOfWork,
    *,
    communes: list[str] | None = None,
    geometry: GeometrySettings | None = None,
    register: RegisterRuleSettings | None = None,
    partitioned: bool = True,
    authority: tuple[str, ...] = (),
    say: Callable[[str], None] = lambda _: None,
) -> ReconcileSummary:
    """Reconcile the whole register, or only ``communes``; commits once at the end."""
    started = time.perf_counter()
    stages = _Stages()
    repository = uow.reconcile
    with stages("read"):
        parcels = repository.parcels(communes)
        entries = repository.register_entries(communes)
    say(f"{len(parcels):,} map parcels and {len(entries):,} register entries")
    with stages("links"):
        links = link_entries(parcels, entries)
        repository.replace_links(links, parcels["id"].tolist(), entries["id"].tolist())
    with stages("parties"):
        party_of = resolve_parties(uow, entries)
    # the unified register's records (``authority``: LANDREG_REGISTER_AUTHORITY)
    with stages("unified_register"):
        rebuild(uow, parcels, entries, links, party_of, authority=authority)
    say("links: " + ", ".join(f"{k} {v:,}" for k, v in links["match_type"].value_counts().items()))
    with stages("geometry_rules"):
        candidates = geometry_candidates(
            parcels,
            repository.strips(communes),
            repository.communes(),
            geometry or GeometrySettings(),
            partitioned=partitioned,
        )
    invalid = {s["id"] for c in candidates if c.rule in BROKEN for s in c.subjects}
    copies = [
        (c.subjects[0]["id"], c.subjects[1]["id"]) for c in candidates if c.rule in DUPLICATES
    ]
    with stages("register_rules"):
        candidates += register_candidates(
            parcels, entries, links, register or RegisterRuleSettings(), invalid=invalid,
            copies=copies,
        )  # fmt: skip
        candidates += older_deliveries(repository.deliveries(), communes)
    with stages("national_ids"):
        candidates += national_ids.assign(uow, parcels, communes)
    with stages("lineage"):
        lineage.record(uow, parcels, communes)
    _place(candidates, parcels, links)
    summary = ReconcileSummary(
        parcels=len(parcels),
        register_entries=len(entries),
        links=dict(Counter(links["match_type"])),
        stages=stages.seconds,
    )
    with stages("findings"):
        _store(uow, candidates, communes, summary)
        checked = sorted(
            {str(code) for code in parcels["commune_code"].dropna()} | set(communes or ())
        )
        repository.record_run(checked, utcnow(), repository.latest_batch())
        uow.commit()
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


class _Stages:
    """Seconds spent in each stage of a run (``with stages("name"): ...``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 2)


def older_deliveries(batches: pd.DataFrame, communes: list[str] | None) -> list[Candidate]:
    """A source whose latest delivery is older than one it replaced (the register now holds
    older records than it had). Deliveries span communes, so only a whole run judges them."""
    if communes:
        return []
    found = []
    for source, group in batches.groupby("source_name", sort=True):
        latest = group.iloc[-1]
        earlier = group.iloc[:-1]
        newer = earlier[earlier["data_as_of"] > latest["data_as_of"]]
        if newer.empty:
            continue
        newest = newer.sort_values("data_as_of").iloc[-1]
        subject = {
            "table": "source_batch", "id": int(latest["id"]), "key": latest["file_name"],
            "source": source, "record": latest["sha256"], "row": None,
        }  # fmt: skip
        found.append(
            Candidate(
                RuleCode.SRC_OLDER_SOURCE,
                [subject],
                latest["commune_code"],
                None,
                {
                    "as_of": f"{latest['data_as_of']:%Y-%m-%d}",
                    "newer": newest["file_name"],
                    "newer_as_of": f"{newest['data_as_of']:%Y-%m-%d}",
                    "dated_by": latest["data_as_of_from"],
                },
            )
        )
    return found


def _place(candidates: list[Candidate], parcels: pd.DataFrame, links: pd.DataFrame) -> None:
    """Findings about register entries or attributes get the place of their parcel on the map,
    so that every finding with a map parcel behind it shows on the map."""
    where = dict(zip(parcels["id"], parcels["geometry"], strict=True))
    parcel_of = dict(zip(links["register_entry_id"], links["parcel_id"], strict=True))
    for candidate in candidates:
        if candidate.location is not None:
            continue
        for subject in candidate.subjects:
            parcel_id = (
                subject["id"] if subject["table"] == "parcel" else parcel_of.get(subject["id"])
            )
            shape = where.get(parcel_id)
            if shape is not None:
                candidate.location = shapely.point_on_surface(shape)
                break


def _store(
    uow: UnitOfWork,
    candidates: list[Candidate],
    communes: list[str] | None,
    summary: ReconcileSummary,
) -> None:
    existing = uow.findings.fingerprints(communes)
    batch, now = uow.reconcile.latest_batch(), utcnow()
    new, again, reopen, seen = [], [], set(), set()
    for candidate in candidates:
        finding = finding_of(candidate)
        if finding.fingerprint in seen:
            continue
        seen.add(finding.fingerprint)
        known = existing.get(finding.fingerprint)
        if known is None:
            new.append(replace(finding, opened_batch_id=batch, created_at=now))
        else:
            again.append(replace(finding, id=known[0]))
            if known[1] == "closed":
                reopen.add(known[0])
    uow.findings.add_many(new)
    uow.findings.refresh_many(again, reopen=reopen)
    gone = [
        row_id for fp, (row_id, status) in existing.items() if fp not in seen and status == "open"
    ]
    uow.findings.close_many(gone, batch, now)
    summary.found = dict(Counter(c.rule for c in candidates))
    summary.opened, summary.still_open, summary.closed = len(new), len(again), len(gone)


def finding_of(candidate: Candidate) -> Finding:
    """The finding a candidate becomes when stored: open, with its messages and fix."""
    message_vi, message_en = candidate.messages()
    location = candidate.location
    return Finding(
        rule=candidate.rule,
        severity=str(rule(candidate.rule).severity),
        subjects=plain(candidate.subjects),
        message_vi=message_vi,
        message_en=message_en,
        fingerprint=candidate.fingerprint,
        commune_code=candidate.commune,
        location=None if location is None or location.is_empty else location,
        measured=plain(candidate.measured),
        suggestion=labelled_suggestion(suggestion(candidate)),
    )


def suggestion(candidate: Candidate) -> dict[str, Any]:
    """The fix to propose for a finding."""
    checked = rule(candidate.rule)
    keys = [s.get("key") for s in candidate.subjects]
    if checked.fix == "make_valid" and candidate.subjects:
        return {"fix": "make_valid", "parcel": keys[0]}
    if checked.fix == "merge_duplicates":
        return {"fix": "merge_duplicates", "keep": keys[0], "retire": keys[1:]}
    if checked.fix == "snap_to_neighbour":
        area = candidate.measured.get("area")
        return {
            "fix": "snap_to_neighbour",
            "parcels": keys,
            "area": area,
            "geometry": shapely.to_wkt(candidate.location, rounding_precision=3)
            if candidate.location is not None
            else None,
        }
    if checked.fix == "take_register_value":
        return {
            "fix": "take_register_value",
            "field": "land_use_code",
            "value": candidate.measured.get("register_code"),
        }
    return {"fix": "review"}
