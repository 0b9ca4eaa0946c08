"""How old a delivery's data is: the date the file itself carries, or what the user says.

A GeoPackage records when each layer last changed (``gpkg_contents.last_change``), an XLSX
workbook when it was last saved (``dcterms:modified``, else ``dcterms:created``); for other
files only the file system's modification time is known, which a copy may have reset, so
the user can say it with ``--as-of``. Knowing it lets landreg notice a delivery older than
the one it replaces.
"""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

_DCTERMS = "{http://purl.org/dc/terms/}"


def data_date(path: Path, layer: str | None, told: datetime | None) -> tuple[datetime, str]:
    """The moment the file's data is as of (naive UTC), and where that came from."""
    if told is not None:
        return _utc(told), "user"
    suffix = path.suffix.lower()
    found = None
    if suffix == ".gpkg":
        found = _geopackage(path, layer), "gpkg_contents"
    elif suffix == ".xlsx":
        found = _workbook(path), "workbook properties"
    if found is not None and found[0] is not None:
        return found[0], found[1]
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None), "file time"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def _geopackage(path: Path, layer: str | None) -> datetime | None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT table_name, last_change FROM gpkg_contents").fetchall()
    except sqlite3.Error:
        return None
    stamps = [_parse(stamp) for name, stamp in rows if layer is None or name == layer]
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def _workbook(path: Path) -> datetime | None:
    try:
        with zipfile.ZipFile(path) as book:
            core = ElementTree.fromstring(book.read("docProps/core.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return None
    for name in ("modified", "created"):
        element = core.find(f"{_DCTERMS}{name}")
        if element is not None and _parse(element.text):
            return _parse(element.text)
    return None
