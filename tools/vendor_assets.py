"""Vendor the browser assets landreg serves from the npm registry: no page loads a CDN.

``python -m tools.vendor_assets`` fetches each package pinned in ``PACKAGES`` with the npm
client (``npm view`` for its registry record, ``npm pack`` for its tarball), checks the
tarball against the registry's sha512 integrity, copies only the files landreg serves and the
package's licence files into ``api/static/vendor/<package>/``, and writes
``api/static/vendor/MANIFEST.json`` (package, version, tarball path in the registry,
integrity, licence, and each file's sha256). The vendored files are committed: landreg serves
them with no internet.

``python -m tools.vendor_assets --check`` needs no network: it checks every file on disk
against the manifest (exit 1 on a difference). To move to a new version, change ``PACKAGES``
and run the script again.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "api" / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"


@dataclass(frozen=True)
class Package:
    """One npm package: the files landreg serves and the licence files kept beside them
    (paths inside the package; each is copied to ``vendor/<name>/<its file name>``)."""

    name: str
    version: str
    served: tuple[str, ...]
    licences: tuple[str, ...]


PACKAGES = (
    # Swagger UI for /docs (FastAPI's page asks for the bundle, its stylesheet and a favicon).
    Package(
        "swagger-ui-dist",
        "5.35.0",
        served=("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"),
        licences=("LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"),
    ),
    # ReDoc for /redoc: the standalone bundle of the major version FastAPI's page is made for.
    Package(
        "redoc",
        "2.5.4",
        served=("bundles/redoc.standalone.js",),
        licences=("LICENSE", "bundles/redoc.standalone.js.LICENSE.txt"),
    ),
    # axe-core: the accessibility audit the browser tests run in every page.
    Package(
        "axe-core",
        "4.14.1",
        served=("axe.min.js",),
        licences=("LICENSE", "LICENSE-3RD-PARTY.txt"),
    ),
    # MapLibre GL JS for the map workbench and the dashboard's commune map: the build for a
    # strict Content-Security-Policy (its worker is a file served by landreg, not a blob).
    Package(
        "maplibre-gl",
        "5.24.1",
        served=(
            "dist/maplibre-gl-csp.js",
            "dist/maplibre-gl-csp-worker.js",
            "dist/maplibre-gl.css",
        ),
        licences=("LICENSE.txt",),
    ),
    # Mapbox GL Draw: vertex editing of one parcel on the map workbench (works on MapLibre).
    Package(
        "@mapbox/mapbox-gl-draw",
        "1.5.2",
        served=("dist/mapbox-gl-draw.js", "dist/mapbox-gl-draw.css"),
        licences=("LICENSE",),
    ),
    # Chart.js: the dashboard's charts (canvas; the UMD build, no bundler).
    Package(
        "chart.js",
        "4.6.2",
        served=("dist/chart.umd.min.js",),
        licences=("LICENSE.md",),
    ),
)


def _npm(*arguments: str, cwd: Path | None = None) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch the packages (Debian: apt-get install npm)")
    done = subprocess.run(
        [npm, *arguments], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"npm {' '.join(arguments)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(package: Package) -> dict[str, Any]:
    """The registry's record of the pinned version: tarball URL, integrity, licence."""
    spec = f"{package.name}@{package.version}"
    answer = json.loads(_npm("view", spec, "dist.tarball", "dist.integrity", "license", "--json"))
    if not answer.get("dist.integrity", "").startswith("sha512-"):
        raise SystemExit(f"{spec}: the registry gives no sha512 integrity")
    return answer


def _fetch(package: Package, folder: Path, integrity: str) -> Path:
    """The package's tarball (``npm pack``), checked against the registry's integrity."""
    spec = f"{package.name}@{package.version}"
    packed = json.loads(_npm("pack", spec, "--json", "--pack-destination", str(folder)))
    tarball = folder / packed[0]["filename"]
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != integrity:
        raise SystemExit(f"{spec}: the tarball does not match the registry's integrity")
    return tarball


def _unpack(package: Package, tarball: Path, destination: Path) -> list[dict[str, Any]]:
    """Copy the package's served and licence files; their manifest rows."""
    destination.mkdir(parents=True)
    rows = []
    with tarfile.open(tarball) as archive:
        members = {m.name.removeprefix("package/"): m for m in archive.getmembers() if m.isfile()}
        for inner in (*package.served, *package.licences):
            member = members.get(inner)
            if member is None:
                raise SystemExit(f"{package.name}@{package.version} has no file {inner}")
            source = archive.extractfile(member)
            assert source is not None
            target = destination / Path(inner).name
            target.write_bytes(source.read())
            rows.append(
                {
                    "file": f"{package.name}/{target.name}",
                    "from": inner,
                    "role": "served" if inner in package.served else "licence",
                    "bytes": target.stat().st_size,
                    "sha256": _sha256(target),
                }
            )
    return rows


def vendor() -> dict[str, Any]:
    """Fetch every package anew into ``api/static/vendor/`` and write the manifest."""
    entries = []
    with tempfile.TemporaryDirectory(prefix="landreg_vendor_") as scratch:
        staging = Path(scratch) / "vendor"
        for package in PACKAGES:
            record = _record(package)
            tarball = _fetch(package, Path(scratch), record["dist.integrity"])
            files = _unpack(package, tarball, staging / package.name)
            entries.append(
                {
                    "package": package.name,
                    "version": package.version,
                    "licence": record.get("license"),
                    # the tarball as the npm registry names it (its path, not the host)
                    "tarball": urlsplit(record["dist.tarball"]).path.lstrip("/"),
                    "integrity": record["dist.integrity"],
                    "files": files,
                }
            )
            print(f"{package.name}@{package.version}: {len(files)} files")
        manifest = {
            "written_by": "python -m tools.vendor_assets (do not edit by hand)",
            "packages": entries,
        }
        for package in PACKAGES:
            shutil.rmtree(VENDOR / package.name, ignore_errors=True)
        VENDOR.mkdir(parents=True, exist_ok=True)
        for folder in staging.iterdir():
            shutil.copytree(folder, VENDOR / folder.name)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def problems(vendor_folder: Path = VENDOR) -> list[str]:
    """What differs between the vendored files and the manifest (empty when all agree)."""
    manifest = json.loads((vendor_folder / "MANIFEST.json").read_text(encoding="utf-8"))
    found = []
    listed = set()
    for entry in manifest["packages"]:
        for row in entry["files"]:
            listed.add(row["file"])
            path = vendor_folder / row["file"]
            if not path.is_file():
                found.append(f"{row['file']}: missing")
            elif _sha256(path) != row["sha256"]:
                found.append(f"{row['file']}: sha256 differs from the manifest")
    for path in sorted(vendor_folder.rglob("*")):
        name = path.relative_to(vendor_folder).as_posix()
        if path.is_file() and name != "MANIFEST.json" and name not in listed:
            found.append(f"{name}: not in the manifest")
    return found


def main(argv: list[str] | None = None) -> int:
    """The command: vendor the packages, or ``--check`` what is vendored."""
    parser = argparse.ArgumentParser(prog="python -m tools.vendor_assets", description=__doc__)
    parser.add_argument("--check", action="store_true", help="check the files, fetch nothing")
    arguments = parser.parse_args(argv)
    if not arguments.check:
        vendor()
    differences = problems()
    for line in differences:
        print(line, file=sys.stderr)
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
