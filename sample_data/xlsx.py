"""A minimal, deterministic XLSX (SpreadsheetML) writer.

openpyxl stamps the current time into ``docProps/core.xml`` and the zip entries, and is
slow for half a million rows. The register needs neither styles nor formulas: this writer
builds the few XML parts from vectorised strings (inline strings, no shared-string table)
and zips them with a fixed date, so the same data always gives the same bytes. openpyxl,
Excel and LibreOffice read the result.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="2"><font><sz val="11"/><name val="Arial"/>'
    '</font><font><b/><sz val="11"/><name val="Arial"/></font></fonts><fills count="2"><fill>'
    '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _as_text(values: pd.Series) -> np.ndarray:
    """Each value as text (empty for missing), as an object array; vectorised per dtype."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_float_dtype(values):
        text = values.to_numpy(dtype=float, na_value=0.0).astype(str)
    elif pd.api.types.is_integer_dtype(values):
        text = values.to_numpy(dtype=np.int64, na_value=0).astype(str)
    else:
        text = values.astype(object).where(~missing, "").astype(str).to_numpy()
    return np.where(missing, "", text).astype(object)


def _escape(text: np.ndarray) -> np.ndarray:
    fixed = text.astype(str)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        fixed = np.char.replace(fixed, char, entity)
    return fixed.astype(object)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_cells(values: pd.Series, letter: str, rows: np.ndarray) -> pd.Series:
    """The ``<c>`` elements of one column; empty cells give empty strings."""
    ref = letter + rows.astype(str).astype(object)
    text = _as_text(values)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        cells = '<c r="' + ref + '"><v>' + text + "</v></c>"
    else:
        cells = '<c r="' + ref + '" t="inlineStr"><is><t>' + _escape(text) + "</t></is></c>"
    return np.where(text == "", "", cells)


def sheet_xml(frame: pd.DataFrame) -> str:
    """The worksheet XML for a frame: a bold header row, then one row per record."""
    header = "".join(
        f'<c r="{_column_letter(i)}1" t="inlineStr" s="1"><is><t>{escape(str(c))}</t></is></c>'
        for i, c in enumerate(frame.columns)
    )
    rows = np.arange(2, len(frame) + 2)
    body = np.full(len(frame), "", dtype=object)
    for i, column in enumerate(frame.columns):
        body = body + _column_cells(frame[column], _column_letter(i), rows)
    lines = '<row r="' + rows.astype(str).astype(object) + '">' + body + "</row>"
    return (
        f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData><row r="1">{header}</row>'
        + "".join(lines)
        + "</sheetData></worksheet>"
    )


def _package_parts(names: list[str], title: str) -> dict[str, str]:
    sheets = "".join(
        f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    styles_id = len(names) + 1
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1)
    )
    return {
        "[Content_Types].xml": f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/'
        '2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        f'ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>{overrides}'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>',
        "_rels/.rels": f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" '
        f'Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/></Relationships>',
        "docProps/core.xml": f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.'
        'org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-'
        f'instance"><dc:title>{escape(title)}</dc:title><dc:creator>landreg sample_data'
        '</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2025-11-27T00:00:00Z'
        "</dcterms:created></cp:coreProperties>",
        "xl/workbook.xml": f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}'
        f'<Relationship Id="rId{styles_id}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": _STYLES,
    }


def write_xlsx(path: Path, sheets: dict[str, pd.DataFrame], title: str) -> None:
    """Write one worksheet per frame (names at most 31 characters) with fixed zip dates."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = _package_parts(list(sheets), title)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            _add(archive, name, text)
        for i, frame in enumerate(sheets.values(), 1):
            _add(archive, f"xl/worksheets/sheet{i}.xml", sheet_xml(frame))


def _add(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2025, 11, 27, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, text.encode("utf-8"), compresslevel=6)
