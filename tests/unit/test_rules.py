"""The rule catalogue: every rule a check can raise has its code, severity, fix and texts in
Vietnamese and English, and the checks name rules only through the one enumeration."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from landreg.domain.rules import RULES, RuleCode, Severity, rule

ROOT = Path(__file__).resolve().parents[2]
FIXES = {"make_valid", "snap_to_neighbour", "merge_duplicates", "take_register_value", "review"}
BARE_CODE = re.compile(r"^(GEOM|ATTR|SRC)_[A-Z0-9_]+$")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", list(RuleCode))
def test_every_rule_code_has_its_texts_in_both_languages(code):
    checked = rule(code)
    assert checked.code is code and isinstance(checked.severity, Severity)
    assert checked.fix in FIXES and checked.group in {"geometry", "attributes", "sources"}
    for text in (checked.title_vi, checked.title_en, checked.message_vi, checked.message_en):
        assert text.strip()
    # both languages say the same measured values, and the Vietnamese is not the English
    assert _fields(checked.message_vi) == _fields(checked.message_en)
    assert checked.message_vi != checked.message_en and checked.title_vi != checked.title_en
    for name, note_vi, note_en in checked.notes:
        assert name in _fields(note_vi) and _fields(note_vi) == _fields(note_en)
        assert note_vi != note_en


def test_a_gap_measured_on_a_repaired_neighbour_says_so_in_both_languages():
    measured = {"area": 10.0, "keys": "80001-3-4, 80001-3-5"}
    plain_vi, plain_en = rule(RuleCode.GEOM_GAP).messages(measured)
    vi, en = rule(RuleCode.GEOM_GAP).messages(measured | {"repaired": "80001-3-5"})
    assert "sửa" not in plain_vi and "repaired" not in plain_en
    assert vi.startswith(plain_vi) and "ranh giới đã sửa hợp lệ của thửa 80001-3-5" in vi
    assert en.startswith(plain_en) and "repaired boundary of parcel 80001-3-5" in en


def test_the_new_rules_fill_their_measured_values():
    vi, en = rule(RuleCode.ATTR_MAP_AREA_MISMATCH).messages(
        {"key": "25645-3-7", "written": 250.0, "measured": 200.04, "difference": 49.96,
         "tolerance": 2.0}
    )  # fmt: skip
    assert "250.0 m²" in vi and "200.0 m²" in vi and "+50.0 m²" in vi and "25645-3-7" in vi
    assert "250.0 m²" in en and "+50.0 m²" in en and "the map writes" in en
    vi, en = rule(RuleCode.GEOM_PARTS_OVERLAP).messages({"key": "K", "area": 20.0, "pairs": 1})
    assert "20.00 m²" in vi and "chồng lấn" in vi and "overlap" in en


def test_the_catalogue_holds_exactly_the_codes():
    assert set(RULES) == set(RuleCode)
    assert rule("GEOM_GAP") is RULES[RuleCode.GEOM_GAP]  # stored findings keep the text


def _checks() -> list[Path]:
    return [p for p in sorted((ROOT / "landreg").rglob("*.py")) if p.name != "rules.py"]


def test_checks_raise_rules_only_by_their_code_in_the_enumeration():
    bare, unnamed = [], []
    for path in _checks():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if BARE_CODE.match(node.value):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Candidate":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant):
                    unnamed.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == [] and unnamed == []
