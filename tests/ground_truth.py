"""Scoring landreg's output against the sample data's ground truth (recall and precision)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.batches import source_name_of

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small"

# Planted defect kind → the rule that must find it.
KIND_RULE = {
    "overlap": "GEOM_OVERLAP", "overlap_sliver": "GEOM_OVERLAP_SLIVER", "gap": "GEOM_GAP",
    "duplicate_exact": "GEOM_DUPLICATE", "duplicate_near": "GEOM_NEAR_DUPLICATE",
    "invalid_self_intersection": "GEOM_INVALID", "invalid_repeated_ring": "GEOM_INVALID",
    "invalid_spike": "GEOM_INVALID", "invalid_ring_not_closed": "GEOM_INVALID",
    "duplicate_parcel_key": "ATTR_DUPLICATE_KEY",
    "register_without_map": "SRC_REGISTER_WITHOUT_MAP",
    "map_without_register": "SRC_MAP_WITHOUT_REGISTER", "area_mismatch": "ATTR_AREA_MISMATCH",
    "unknown_land_use_code": "ATTR_UNKNOWN_LAND_USE",
    "land_use_mismatch": "SRC_LAND_USE_MISMATCH",
    "invalid_identity_number": "ATTR_INVALID_IDENTITY", "missing_owner": "ATTR_NO_HOLDER",
    "shares_not_100": "ATTR_SHARES_NOT_100",
    "duplicate_certificate_serial": "ATTR_DUPLICATE_SERIAL",
}  # fmt: skip
# Planted defect kinds a second rule must find too: two parcels with one boundary compute one
# national identifier, which only one of them may hold.
ALSO_FOUND_BY = {"duplicate_exact": ("GEOM_NATIONAL_ID_COLLISION",)}


def ground_truth() -> dict[str, Any]:
    """The committed sample set's ground truth."""
    return json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))


def record_ref(record: dict[str, Any]) -> tuple[str, str]:
    """(source name, record) of a ground-truth record, as landreg names them."""
    path = Path(record["source"])
    if "layer" in record:
        return source_name_of(path, "map", record["layer"]), str(record["id"])
    if "dossier_code" in record:
        return "dossier", str(record["dossier_code"])
    row = f"{record['sheet']}!{record['id']}" if record.get("sheet") else str(record["id"])
    return source_name_of(path, "register"), row


def subject_ref(subject: dict[str, Any]) -> tuple[str, str]:
    """(source name, record) of a finding's subject."""
    if subject["table"] == "parcel":
        return str(subject["source"]), str(subject["record"])
    return str(subject["source"]), str(subject["row"])


@dataclass(frozen=True, slots=True)
class Score:
    """Recall and precision of one rule."""

    rule: str
    planted: int
    found: int
    findings: int
    true: int

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.true / self.findings if self.findings else 1.0


def score_findings(findings: list[tuple[str, list[dict[str, Any]]]]) -> list[Score]:
    """Per rule: how many planted defects a finding points at, and how many findings point at
    a planted defect (a finding points at a defect when they share a record)."""
    planted: dict[str, list[set[tuple[str, str]]]] = defaultdict(list)
    for defect in ground_truth()["defects"]:
        if defect["kind"] in KIND_RULE:
            records = {record_ref(r) for r in defect["records"]}
            for name in (KIND_RULE[defect["kind"]], *ALSO_FOUND_BY.get(defect["kind"], ())):
                planted[name].append(records)
    found_by_rule: dict[str, list[set[tuple[str, str]]]] = defaultdict(list)
    for rule, subjects in findings:
        found_by_rule[rule].append({subject_ref(s) for s in subjects})
    scores = []
    for rule in sorted(set(planted) | set(found_by_rule)):
        defects, ours = planted.get(rule, []), found_by_rule.get(rule, [])
        scores.append(
            Score(
                rule,
                len(defects),
                sum(any(d & f for f in ours) for d in defects),
                len(ours),
                sum(any(f & d for d in defects) for f in ours),
            )
        )
    return scores


def table(scores: list[Score]) -> str:
    """The scores as a printable table."""
    lines = [
        f"{'rule':28} {'planted':>7} {'found':>6} {'recall':>7} {'findings':>8} "
        f"{'true':>5} {'precision':>9}"
    ]
    for s in scores:
        lines.append(
            f"{s.rule:28} {s.planted:7d} {s.found:6d} {s.recall:7.1%} {s.findings:8d} "
            f"{s.true:5d} {s.precision:9.1%}"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class LinkScore:
    """How dossiers of one kind were linked, against the parcel they truly refer to."""

    kind: str
    dossiers: int
    auto_right: int
    auto_wrong: int
    review_first: int
    review_other: int
    none: int

    @property
    def correct(self) -> float:
        """Linked to the right parcel, or that parcel offered first to the reviewer."""
        return (self.auto_right + self.review_first) / self.dossiers if self.dossiers else 1.0


def score_links(links: list[tuple[str, str | None, str, int]]) -> dict[str, LinkScore]:
    """Score (dossier code, parcel key, status, rank) rows by dossier kind: ``exact``
    (written right), ``typo`` (typos and old numbers), ``not_found`` (no such parcel)."""
    truth = {d["dossier_code"]: d["parcel_key"] for d in ground_truth()["dossier_links"]}
    kinds = {
        r["dossier_code"]: {"dossier_reference_typo": "typo"}.get(d["kind"], "not_found")
        for d in ground_truth()["defects"]
        if d["kind"] in ("dossier_reference_typo", "dossier_parcel_not_found")
        for r in d["records"]
    }
    seen: dict[str, list[tuple[str | None, str, int]]] = defaultdict(list)
    for code, key, status, rank in links:
        seen[code].append((key, status, rank))
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for code, true_key in truth.items():
        row = counts[kinds.get(code, "exact")]
        row[0] += 1
        mine = sorted(seen.get(code, []), key=lambda r: r[2])
        auto = [key for key, status, _ in mine if status == "linked"]
        if auto:
            row[1 if auto[0] == true_key else 2] += 1
        elif mine:
            row[3 if mine[0][0] == true_key else 4] += 1
        else:
            row[5] += 1
    return {kind: LinkScore(kind, *row) for kind, row in counts.items()}


def link_table(scores: dict[str, LinkScore]) -> str:
    """The scores as a text table."""
    lines = [
        "kind       dossiers  auto-right  auto-wrong  review-first  review-other  none  correct"
    ]
    for s in scores.values():
        lines.append(
            f"{s.kind:<10} {s.dossiers:>8} {s.auto_right:>11} {s.auto_wrong:>11} "
            f"{s.review_first:>13} {s.review_other:>13} {s.none:>5} {s.correct:>8.1%}"
        )
    return "\n".join(lines)


# Statuses of a dossier the office still owes a result on (as the portal names them).
OPEN_DOSSIER_STATUSES = frozenset(
    {"new", "received", "processing", "additional_documents_requested",
     "financial_obligation_required"}
)  # fmt: skip


def dossier_truth() -> dict[str, dict[str, Any]]:
    """The ground truth of each exported dossier by code: procedure, status at the export
    day, due date and, once processed, whether it was on time (``on_time``)."""
    return {link["dossier_code"]: link for link in ground_truth()["dossier_links"]}
