"""The browser assets landreg serves are exactly the npm packages' files the manifest names."""

from __future__ import annotations

import json
from pathlib import Path

from tools.vendor_assets import MANIFEST, PACKAGES, VENDOR, problems


def test_every_vendored_file_has_the_checksum_the_manifest_records():
    assert problems() == []


def test_the_manifest_names_each_pinned_package_with_its_origin_and_licence():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    entries = {entry["package"]: entry for entry in manifest["packages"]}
    assert set(entries) == {package.name for package in PACKAGES}
    for package in PACKAGES:
        entry = entries[package.name]
        assert entry["version"] == package.version
        assert entry["tarball"].endswith(f"-{package.version}.tgz")
        assert entry["integrity"].startswith("sha512-")
        assert entry["licence"]
        roles = {row["role"] for row in entry["files"]}
        assert roles == {"served", "licence"}, f"{package.name} keeps its licence beside it"


def test_a_changed_or_stray_file_is_reported(tmp_path: Path):
    copy = tmp_path / "vendor"
    copy.mkdir()
    (copy / "MANIFEST.json").write_text(MANIFEST.read_text(encoding="utf-8"), encoding="utf-8")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    first, second = manifest["packages"][0]["files"][:2]
    for row in (first, second):
        (copy / row["file"]).parent.mkdir(parents=True, exist_ok=True)
        (copy / row["file"]).write_bytes((VENDOR / row["file"]).read_bytes())
    (copy / second["file"]).write_bytes(b"/* changed by hand */")
    (copy / "extra.js").write_text("alert(1)", encoding="utf-8")
    found = problems(copy)
    assert f"{second['file']}: sha256 differs from the manifest" in found
    assert "extra.js: not in the manifest" in found
    assert not any(line.startswith(first["file"] + ":") for line in found)
    assert (
        sum(line.endswith(": missing") for line in found)
        == sum(len(entry["files"]) for entry in manifest["packages"]) - 2
    )
