"""Every error a person reads has its Vietnamese text (issue 15, "Vietnamese first").

A walk over the source of the checked packages finds every construction of one of landreg's
errors (``raise NotFoundError(...)``, ``return ValidationError(...)``) and requires each to
say it in Vietnamese: a ``detail_vi=``, or a first argument already written in Vietnamese
(the ingest texts written ``"vi / en"``). Then a handful of the errors a person meets most
(a parcel not found, a stale finding, a malformed or unknown code, a bad box, a day outside
the calendar) are asked for through the real application on both backends: Vietnamese by
default, English with ``Accept-Language: en``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import landreg.errors
from landreg.domain import reference
from landreg.errors import LandRegError, UnknownReferenceError

ROOT = Path(__file__).resolve().parents[2]
# The packages whose errors are checked (one place: add a package here).
CHECKED = ("landreg", "ingest", "spatial", "api", "cli")

# Letters only Vietnamese writes (with its tone marks), never English.
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)


def has_vietnamese(node: ast.expr) -> bool:
    """True when the literal text of ``node`` (a string or the fixed parts of an f-string,
    or of strings joined with ``+``) holds a Vietnamese letter."""
    texts = [
        part.value
        for part in ast.walk(node)
        if isinstance(part, ast.Constant) and isinstance(part.value, str)
    ]
    return any(VIETNAMESE.search(text) for text in texts)


def _error_names() -> set[str]:
    """landreg's error classes by name: ``landreg.errors`` and every class a checked package
    derives from one of them."""
    names: set[str] = set()
    stack: list[type] = [LandRegError]
    while stack:
        kind = stack.pop()
        names.add(kind.__name__)
        stack.extend(kind.__subclasses__())
    trees = [tree for _, tree in _sources()]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    if any(_last_name(base) in names for base in node.bases):
                        names.add(node.name)
                        grew = True
    return names


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _bound_errors(path: Path, tree: ast.Module, names: set[str]) -> set[str]:
    """The names that stand for landreg's errors in one module: imported from a landreg
    module, or defined there on one (so that ``spatial``'s own ``CRSError`` is not taken for
    the register's)."""
    if path == Path(landreg.errors.__file__).resolve():
        return set(names)
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "landreg":
            bound |= {alias.asname or alias.name for alias in node.names if alias.name in names}
        elif isinstance(node, ast.ClassDef) and node.name in names:
            bound.add(node.name)
    return bound


def _self_translating(tree: ast.Module, names: set[str]) -> set[str]:
    """Error classes whose ``__init__`` writes the Vietnamese text itself (a call naming only
    the codes, as ``TransitionNotAllowedError(from_status, to_status)``)."""
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name in names):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                calls = [c for c in ast.walk(item) if isinstance(c, ast.Call)]
                if any(any(k.arg == "detail_vi" for k in c.keywords) for c in calls):
                    found.add(node.name)
    return found


def offenders(path: Path, tree: ast.Module, names: set[str], translating: set[str]) -> list[str]:
    """``file:line Class`` for each construction of a landreg error in ``tree`` without
    Vietnamese text (or with a literal ``detail_vi`` that holds none)."""
    bound = _bound_errors(path, tree, names)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name not in bound or name in translating:
            continue
        given = {k.arg: k.value for k in node.keywords}
        said = given.get("detail_vi")
        if said is not None and not (isinstance(said, ast.Constant) and said.value is None):
            literal = [n for n in ast.walk(said) if isinstance(n, ast.Constant)]
            if not literal or has_vietnamese(said):
                continue  # a text built elsewhere, or Vietnamese words
        elif node.args and has_vietnamese(node.args[0]):
            continue  # written "vi / en" in the detail itself
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        found.append(f"{where}:{node.lineno} {name}")
    return found


def test_every_error_of_the_checked_packages_says_it_in_vietnamese():
    names = _error_names()
    sources = list(_sources())
    translating = set().union(*(_self_translating(tree, names) for _, tree in sources))
    missing = [line for path, tree in sources for line in offenders(path, tree, names, translating)]
    assert not missing, "errors without Vietnamese text (detail_vi=):\n" + "\n".join(missing)


def test_the_walk_finds_what_it_must_and_only_that(tmp_path):
    source = tmp_path / "service.py"
    source.write_text(
        "from landreg.errors import NotFoundError, ValidationError as Refused\n"
        "from spatial.errors import CRSError\n"
        "def a(x):\n"
        "    raise NotFoundError(f'no parcel {x}', field='parcel_id')\n"  # English only
        "def b(x):\n"
        "    return Refused('bad', detail_vi='bad value')\n"  # 'Vietnamese' without its letters
        "def c(x):\n"
        "    raise NotFoundError(f'no parcel {x}', detail_vi=f'không có thửa {x}')\n"
        "def d(x):\n"
        "    raise Refused(f'số tờ / map sheet: {x}')\n"  # bilingual in the detail
        "def e(x):\n"
        "    raise CRSError('the engine speaks for itself')\n"  # spatial's own, not landreg's
        "def f(x, said):\n"
        "    raise Refused('bad', detail_vi=said)\n",  # built elsewhere
        encoding="utf-8",
    )
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found = offenders(source, tree, _error_names(), set())
    assert [line.rsplit("/", 1)[-1] for line in found] == [
        "service.py:4 NotFoundError",
        "service.py:6 Refused",
    ]


def test_a_status_change_refusal_counts_as_translated():
    names = _error_names()
    translating = set().union(*(_self_translating(tree, names) for _, tree in _sources()))
    assert "TransitionNotAllowedError" in translating
    assert "ValidationError" not in translating


def test_an_unknown_commune_names_it_in_both_languages():
    with pytest.raises(UnknownReferenceError) as caught:
        reference.commune("99998")
    assert caught.value.detail_in("vi") == (
        "mã xã '99998' không phải mã của một xã, phường trong tỉnh"
    )
    assert caught.value.detail_in("en") == (
        "commune_code '99998' is not a commune or ward of the province"
    )
