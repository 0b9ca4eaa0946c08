"""The readers of tabular formats: registers (CSV, XLSX) and dossier exports (CSV, JSON).

CSV files may come with any delimiter, with or without a UTF-8 byte-order mark, or in a
legacy Vietnamese encoding; rows with the wrong number of fields are quarantined with their
raw text, and the rest load.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ingest import encodings
from ingest.batches import Rejected
from ingest.profiles import MappingProfile, shipped_profiles
from landreg.errors import ValidationError

_DELIMITERS = ",;\t|"


class Table:
    """Rows of a tabular file as text, each with the reference of the row it came from."""

    def __init__(
        self, frame: pd.DataFrame, rows: pd.Series, rejected: list[Rejected], notes: list[str]
    ) -> None:
        self.frame, self.rows, self.rejected, self.notes = frame, rows, rejected, notes


def read_csv(path: Path) -> Table:
    """A CSV with its delimiter and encoding found; malformed rows set aside.

    A row that cannot be read with the rest (a NUL byte, UTF-16 or another encoding than
    the file's, the wrong number of fields) is quarantined with its raw text and the reason.
    """
    decoded = encodings.decode_text(path.read_bytes())
    if decoded.bad and decoded.bad[0].number == 1:
        raise ValidationError(
            f"{path.name}: không đọc được dòng tiêu đề / {path.name}: its header line cannot "
            f"be read ({decoded.bad[0].reason})",
            field="path",
            value=path.name,
        )
    text = decoded.text.removeprefix("\ufeff")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ValidationError(
            f"{path.name} là tệp rỗng / {path.name} is empty", field="path", value=str(path)
        )
    table = _rows(reader, [name.strip() for name in header], delimiter)
    table.rejected[:0] = [
        Rejected(row=f"line {line.number}", reason=line.reason, value=line.value, raw=line.raw)
        for line in decoded.bad
    ]
    if decoded.encoding != "UTF-8":
        table.notes.append(f"{path.name}: text converted from {decoded.encoding} to Unicode")
    return table


def _delimiter(text: str) -> str:
    """The delimiter of a CSV: as Python's sniffer finds it in the first lines, else the one
    the header line has most of (a row with a field too many can puzzle the sniffer)."""
    lines = [line for line in text.splitlines()[:40] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(_DELIMITERS, key=header.count) if header else ","


def _rows(reader: Iterator[list[str]], header: list[str], delimiter: str) -> Table:
    """The rows after the header; those with the wrong number of fields set aside."""
    good, rows, rejected = [], [], []
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            rejected.append(
                Rejected(
                    row=f"line {number}",
                    reason="sai số cột / wrong number of fields",
                    field=None,
                    value=f"{len(values)} fields, the header has {len(header)}",
                    raw={"line": delimiter.join(values)[:2000]},
                )
            )
            continue
        good.append(values)
        rows.append(f"line {number}")
    frame = pd.DataFrame(good, columns=header, dtype=object)
    return Table(frame, pd.Series(rows, index=frame.index, dtype=object), rejected, [])


def read_xlsx(path: Path) -> Table:
    """Every worksheet of a workbook (same headings), rows referenced as ``sheet!row``."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as error:
        raise ValidationError(
            f"{path.name} không phải sổ tính XLSX đọc được / {path.name} is not a readable "
            f"XLSX workbook: {error}",
            field="path",
            value=str(path),
        ) from None
    frames, references = [], []
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            continue
        header = [
            str(v).strip() if v is not None else f"column {i}" for i, v in enumerate(values[0])
        ]
        body = [
            list(row) + [None] * (len(header) - len(row))
            for row in values[1:]
            if any(v not in (None, "") for v in row)
        ]
        frame = pd.DataFrame([row[: len(header)] for row in body], columns=header, dtype=object)
        frame = frame.map(lambda v: None if v is None else _cell_text(v))
        frame["_sheet"] = sheet.title
        frames.append(frame)
        references += [f"{sheet.title}!{i}" for i in range(2, len(body) + 2)]
    book.close()
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Table(frame, pd.Series(references, index=frame.index, dtype=object), [], [])


def _cell_text(value: object) -> str:
    """A cell as text; whole-number floats lose their ".0" (Excel stores 12 as 12.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def read_json(path: Path) -> tuple[Table, list[Any]]:
    """A JSON array of records, nested objects flattened (``chuHoSo.hoTen``)."""
    try:
        records = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValidationError(
            f"{path.name} không phải JSON hợp lệ / {path.name} is not valid JSON: {error}",
            field="path",
            value=str(path),
        ) from None
    if isinstance(records, dict):
        records = next((v for v in records.values() if isinstance(v, list)), [records])
    if not isinstance(records, list):
        raise ValidationError(
            f"{path.name} không chứa danh sách bản ghi nào / {path.name} holds no list of records",
            field="path",
            value=str(path),
        )
    kept, rows, rejected = [], [], []
    for number, record in enumerate(records, start=1):
        problem = _unreadable_record(record)
        if problem is None:
            kept.append(record)
            rows.append(f"record {number}")
        else:
            shown = json.dumps(record, ensure_ascii=False, default=str)[:2000]  # NUL escaped
            rejected.append(Rejected(f"record {number}", problem, raw={"record": shown}))
    frame = pd.json_normalize(kept, max_level=1)
    return Table(frame, pd.Series(rows, index=frame.index, dtype=object), rejected, []), kept


def read_json_table(path: Path) -> Table:
    """A JSON array of records as a table (see :func:`read_json`)."""
    return read_json(path)[0]


def _unreadable_record(record: object) -> str | None:
    """Why a JSON record cannot be taken in (not an object, a NUL character), or None."""
    if not isinstance(record, dict):
        return "bản ghi không phải đối tượng JSON / not a JSON object"
    if "\\u0000" in json.dumps(record, default=str):
        return "bản ghi có ký tự NUL / NUL character in the record"
    return None


def is_event_history(path: Path) -> bool:
    """True for the event-history companion of a dossier export (read with the export)."""
    return any(
        profile.events_file
        and path.name == profile.events_file.replace("{suffix}", path.stem.split("_", 2)[-1])
        for profile in _dossier_profiles()
    )


def _dossier_profiles() -> list[MappingProfile]:
    return [p for p in shipped_profiles().values() if p.kind == "dossiers"]
