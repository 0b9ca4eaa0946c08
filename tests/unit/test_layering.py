"""Arrows point inwards: the domain and the geometry engine know no web or database framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The domain and the geometry engine import no web or database framework and no outer layer.
PURE = {
    "fastapi",
    "starlette",
    "sqlalchemy",
    "geoalchemy2",
    "alembic",
    "api",
    "ingest",
    "landreg.store",
    "landreg.services",
}
FORBIDDEN = {
    "landreg/domain": PURE,
    "spatial": PURE,
    "landreg/services": {"fastapi", "starlette", "api", "ingest"},
    "landreg/store": {"fastapi", "starlette", "api", "ingest", "landreg.services"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_outer_layers(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offending = []
    for path in files:
        for name in _imports(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package]):
                offending.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offending == []
