"""The picture of ARCHITECTURE.md, enforced: every import between landreg's rooms follows an
allowed arrow, the inner rooms know no web or database framework, and no modules import each
other in a circle.

The arrows are listed once, here (``ARROWS``); ARCHITECTURE.md draws the same picture. A new
arrow is a design decision: add it here and there together, or move the code instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("landreg", "spatial", "ingest", "api", "cli", "sample_data")

# room -> rooms it may import (a room is a package or module path; the longest match names it)
_FOUNDATION = {"landreg.errors", "landreg.clock"}
ARROWS: dict[str, set[str]] = {
    "spatial": {"spatial"},
    "landreg": set(),  # the package itself: its version
    "landreg.errors": set(),
    "landreg.clock": set(),
    "landreg.secret": {"landreg.errors"},
    "landreg.settings": {"landreg.errors", "landreg.secret"},
    "landreg.reference": set(),
    "landreg.domain": {"landreg.domain", *_FOUNDATION, "spatial"},
    "ingest": {"ingest", "landreg.domain", *_FOUNDATION, "spatial"},
    "landreg.store": {
        "landreg.store", "landreg.domain", *_FOUNDATION, "landreg.settings", "spatial",
    },
    "landreg.services": {
        "landreg.services", "landreg.store", "landreg.domain", *_FOUNDATION, "landreg.settings",
        "ingest", "spatial",
    },
    "api": {
        "api", "landreg", "landreg.services", "landreg.domain", *_FOUNDATION, "landreg.settings",
        "spatial",
    },
    "api.app": {"api", "landreg", "landreg.store", "landreg.services", "landreg.settings"},
    "cli": {
        "cli", "api", "landreg", "landreg.services", "landreg.domain", *_FOUNDATION,
        "landreg.settings", "sample_data", "spatial", "ingest",
    },
    "cli.support": {
        "cli", "landreg.store", *_FOUNDATION, "landreg.settings", "landreg.services", "spatial",
    },
    "sample_data": {"sample_data", "ingest.encodings", "landreg.domain", *_FOUNDATION, "spatial"},
}  # fmt: skip

# Store internals the services reach only through the unit of work's repositories.
STORE_INTERNALS = ("landreg.store.tables", "landreg.store.bulk", "landreg.store.versioning")
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "geoalchemy2", "alembic", "psycopg")
# room -> third-party packages it must not import
WITHOUT: dict[str, tuple[str, ...]] = {
    "spatial": FRAMEWORKS,
    "landreg.domain": FRAMEWORKS,
    "ingest": FRAMEWORKS,
    "landreg.services": FRAMEWORKS + STORE_INTERNALS,
    "landreg.store": ("fastapi", "starlette"),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in FIRST_PARTY:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic's revisions: the store's own scripts
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, room: str) -> bool:
    return name == room or name.startswith(room + ".")


def _room(module: str, rooms: list[str]) -> str | None:
    matches = [room for room in rooms if _within(module, room)]
    return max(matches, key=len) if matches else None


def _allowed(target: str | None, rooms: set[str]) -> bool:
    """Whether ``target`` lies in one of ``rooms`` (``landreg`` names the package itself, not
    everything in it)."""
    return target is not None and any(
        target == room or (room != "landreg" and _within(target, room)) for room in rooms
    )


def _target_room(name: str) -> str | None:
    """The room an imported first-party name lies in: the most specific room named anywhere
    in ``ARROWS`` (``landreg.store.reads.parcels`` lies in ``landreg.store``)."""
    keys = sorted({*ARROWS, *(r for rooms in ARROWS.values() for r in rooms)})
    return _room(name, keys)


def test_every_first_party_import_follows_an_allowed_arrow():
    offending = []
    for module, path in _modules():
        room = _room(module, list(ARROWS))
        assert room is not None, f"{module} lies in no room of ARROWS"
        for name in _imports(path):
            if not name.startswith(FIRST_PARTY):
                continue
            target = _target_room(name)
            if not _allowed(target, ARROWS[room]):
                offending.append(f"{path.relative_to(ROOT)}: {room} -> {name}")
    assert sorted(set(offending)) == []


@pytest.mark.parametrize("room", sorted(WITHOUT))
def test_inner_rooms_import_no_framework(room):
    offending = []
    for module, path in _modules():
        if _room(module, list(ARROWS)) != room and not _within(module, room):
            continue
        if module == "landreg.services":  # names the store's unit of work for the adapters
            continue
        for name in _imports(path):
            if any(_within(name, banned) for banned in WITHOUT[room]):
                offending.append(f"{path.relative_to(ROOT)} imports {name}")
    assert sorted(set(offending)) == []


def test_no_modules_import_each_other_in_a_circle():
    modules = dict(_modules())
    graph = {
        module: {
            name if name in modules else name.rsplit(".", 1)[0]
            for name in _imports(path)
            if name.startswith(FIRST_PARTY)
        }
        & modules.keys()
        for module, path in modules.items()
    }
    cycles = [cycle for cycle in _cycles(graph) if len(cycle) > 1]
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), each a circle of imports when longer than one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
