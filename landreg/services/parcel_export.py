"""The register's current parcels out of landreg: one row per parcel, as CSV, GeoJSON or
GeoPackage, for a spreadsheet, QGIS or another system.

Each row is the parcel as the unified register keeps it
(:mod:`landreg.services.unified_register`): the map's key, boundary and measured area, the
registers' legal area, holders, shares, certificates, mortgages and seizures, and which
register row each came from. The GeoPackage keeps the cadastral CRS (layer ``parcels``) and
opens in QGIS; GeoJSON is WGS 84 longitude/latitude; the CSV has no geometry and is UTF-8
with a byte-order mark, so that Excel shows Vietnamese. :data:`COLUMNS` names the columns.

Holders' names are in every export; their identity numbers (personal data) only with
``personal=True``, in a column of their own that is otherwise left out.

The parcels are read a slice at a time (:data:`SLICE` parcels; a few statements per slice,
never one per parcel) and each slice is written before the next is read, so a province of a
million parcels never sits in memory whole.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import shapely

from landreg.domain import reference
from landreg.errors import ValidationError
from landreg.services.findings import parcel_key_text
from landreg.store.unit_of_work import UnitOfWork

FORMATS = ("csv", "geojson", "gpkg")
LAYER = "parcels"
SLICE = 20_000
SEPARATOR = "; "  # between the holders, serials, restrictions of one parcel

# The columns of the file, in order, and what each holds (the README lists them).
COLUMNS: dict[str, str] = {
    "national_id": "mã định danh thửa đất: 12-character GeoHash (empty until assigned)",
    "parcel_id": "landreg's id of the parcel",
    "parcel_key": "commune-sheet-number, or P:commune:source key when the map gives none",
    "commune_code": "5-digit code of the ward or commune",
    "map_sheet": "map sheet (số tờ bản đồ)",
    "parcel_number": "parcel number on the sheet (số thửa)",
    "old_map_sheet": "map sheet before the last survey",
    "old_parcel_number": "parcel number before the last survey",
    "legal_area": "legal area in m² (diện tích pháp lý), from the land register",
    "measured_area": "area of the map's boundary in m² (diện tích đo đạc)",
    "land_use_code": "land-use code of the parcel's record (mã loại đất): the land register's "
    "where it gives one, else the map's",
    "land_use_text": "the land-use code's Vietnamese name, else the land use as the map writes it",
    "map_land_use_code": "land-use code on the cadastral map",
    "address": "address of the parcel",
    "certificate_serials": "serials of the current certificates, separated by '; '",
    "certificate_status": "status of each certificate, in the same order",
    "holders": "holders' names, separated by '; '",
    "holder_identity_numbers": "holders' identity numbers, same order (only with personal data)",
    "shares": "each holder's share in %, same order",
    "restrictions": "mortgages (creditor, date) and seizures, as text",
    "sources": "which register row each register field came from, and why it won",
}
PERSONAL_COLUMNS = ("holder_identity_numbers",)
_RESTRICTION_VI = {"mortgage": "thế chấp", "seizure": "kê biên"}


def export_parcels(
    uow: UnitOfWork,
    path: Path,
    fmt: str,
    *,
    commune: str | None = None,
    personal: bool = False,
    actor: str | None = None,
    say: Callable[[str], None] | None = None,
) -> int:
    """Write the current parcels (of ``commune``: a code, old or new, or a written name)
    to ``path`` as ``fmt``; returns how many. Identity numbers only with ``personal``; such
    an export for an ``actor`` is audited (who, which commune, how many) and committed."""
    _check_format(fmt)
    communes = commune_codes(commune) if commune is not None else None
    audited = personal and actor is not None
    if audited:
        uow.begin_writing()
    written = 0
    with _Writer(path, fmt, uow.database.cadastral_srid) as writer:
        for part in parcel_slices(uow, communes, personal=personal):
            writer.write(part)
            written += len(part)
            if say is not None:
                say(f"{written:,} thửa đã ghi / parcels written")
    if audited:
        uow.audit.record(
            actor=str(actor), action="export", entity_type="parcel", entity_id=None,
            after={"personal": True, "communes": communes, "format": fmt, "parcels": written},
        )  # fmt: skip
        uow.commit()
    return written


def parcel_slices(
    uow: UnitOfWork, communes: list[str] | None, *, personal: bool = False
) -> Iterator[gpd.GeoDataFrame]:
    """The export's rows a slice at a time (cadastral CRS), in parcel id order; one empty
    frame when there is no parcel."""
    srid = uow.database.cadastral_srid
    after = 0
    while True:
        parcels = uow.parcel_export.parcels(communes, after_id=after, limit=SLICE)
        if parcels.empty:
            if after == 0:
                yield export_rows(parcels, *_no_records(), srid, personal=personal)
            return
        first, after = int(parcels["id"].iloc[0]), int(parcels["id"].iloc[-1])
        yield export_rows(
            parcels,
            uow.parcel_export.rights(communes, first, after),
            uow.parcel_export.certificates(communes, first, after),
            uow.parcel_export.restrictions(communes, first, after),
            srid,
            personal=personal,
        )
        if len(parcels) < SLICE:
            return


def commune_codes(written: str) -> list[str]:
    """The commune codes a filter stands for: the code as given and the current commune
    it resolves to (an old code or address names the commune that took it over)."""
    text = " ".join(str(written).split())
    code = text.zfill(5) if text.isdigit() and len(text) <= 5 else None
    resolved = reference.resolve_commune(text) if text else None
    found = sorted({c for c in (code, resolved) if c is not None})
    if not found:
        raise ValidationError(
            f"no ward or commune is known as {text!r}; give its 5-digit code or its name",
            field="commune",
            value=text,
            detail_vi=f"không tìm thấy xã, phường nào là {text!r}; hãy nhập mã 5 chữ số "
            "hoặc tên của xã, phường",
        )
    return found


def export_rows(
    parcels: pd.DataFrame,
    rights: pd.DataFrame,
    certificates: pd.DataFrame,
    restrictions: pd.DataFrame,
    srid: int,
    *,
    personal: bool = False,
) -> gpd.GeoDataFrame:
    """One row per parcel with its records joined as text (see :data:`COLUMNS`)."""
    ids = parcels["id"].astype("int64")
    geometry = parcels["geometry"].to_numpy(dtype=object)
    sources = parcels["sources"].map(lambda s: s if isinstance(s, dict) else {})
    holders = _holders(rights, ids)
    held_certificates = _certificates(certificates, ids)
    legal = parcels["legal_land_use_code"].astype(object)
    land_use = legal.where(legal.notna(), parcels["land_use_code"].astype(object))
    rows = pd.DataFrame({
        "national_id": parcels["national_id"].astype(object),
        "parcel_id": ids,
        "parcel_key": [parcel_key_text(row) for row in parcels.itertuples(index=False)],
        "commune_code": parcels["commune_code"].astype(object),
        **{name: parcels[name].astype("Int64") for name in (
            "map_sheet", "parcel_number", "old_map_sheet", "old_parcel_number")},
        "legal_area": parcels["legal_area"].astype("float64"),
        "measured_area": shapely.area(geometry).astype("float64").round(2),
        "land_use_code": land_use,
        "land_use_text": _land_use_text(land_use, parcels["land_use_text"]),
        "map_land_use_code": parcels["land_use_code"].astype(object),
        "address": parcels["address"].astype(object),
        "certificate_serials": held_certificates["serials"],
        "certificate_status": held_certificates["status"],
        "holders": holders["names"],
        "holder_identity_numbers": holders["numbers"],
        "shares": holders["shares"],
        "restrictions": _restrictions(restrictions, ids),
        "sources": _sources_text(sources, rights, certificates, ids),
    })  # fmt: skip
    if not personal:
        rows = rows.drop(columns=list(PERSONAL_COLUMNS))
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=srid)


def _land_use_text(codes: pd.Series, written: pd.Series) -> pd.Series:
    """The catalogue's Vietnamese name of each land-use code, else the text as written."""
    names = {code: entry.name_vi for code, entry in reference.land_use_codes().items()}
    named = codes.map(names).astype(object)
    return named.where(named.notna(), written.astype(object))


def _joined(frame: pd.DataFrame, column: str, ids: pd.Series) -> pd.Series:
    """Per parcel of ``ids``, the ``column`` of its records as text, joined in their order
    (None for a parcel without any)."""
    if frame.empty:
        return pd.Series([None] * len(ids), index=ids.index, dtype=object)
    texts = frame[column].map(lambda v: str(v) if _given(v) else "")
    joined = texts.groupby(frame["parcel_id"].astype("int64"), sort=False).agg(SEPARATOR.join)
    return pd.Series(ids.map(joined).to_numpy(dtype=object), index=ids.index)


def _holders(rights: pd.DataFrame, ids: pd.Series) -> dict[str, pd.Series]:
    shares = rights.assign(share=rights["share_percent"].map(_number))
    return {
        "names": _joined(rights, "name", ids),
        "numbers": _joined(rights, "identity_number", ids),
        "shares": _joined(shares, "share", ids),
    }


def _certificates(certificates: pd.DataFrame, ids: pd.Series) -> dict[str, pd.Series]:
    return {
        "serials": _joined(certificates, "serial", ids),
        "status": _joined(certificates, "status", ids),
    }


def _restrictions(restrictions: pd.DataFrame, ids: pd.Series) -> pd.Series:
    """ "thế chấp: <creditor>, <date>" and "kê biên: <text>", one per restriction."""
    if restrictions.empty:
        return _joined(restrictions, "kind", ids)
    texts = [
        _restriction_text(kind, holder, registered, released)
        for kind, holder, registered, released in restrictions[
            ["kind", "holder", "registered_on", "released_on"]
        ].itertuples(index=False)
    ]
    return _joined(restrictions.assign(text=texts), "text", ids)


def _restriction_text(kind: str, holder: Any, registered: Any, released: Any) -> str:
    parts = [str(holder)] if _given(holder) else []
    if _given(registered):
        parts.append(str(pd.Timestamp(registered).date()))
    if _given(released):
        parts.append(f"đã xoá {pd.Timestamp(released).date()}")
    return f"{_RESTRICTION_VI.get(kind, kind)}: {', '.join(parts)}".rstrip(": ")


def _sources_text(
    sources: pd.Series, rights: pd.DataFrame, certificates: pd.DataFrame, ids: pd.Series
) -> pd.Series:
    """``field=source#row (why)`` for the parcel's register fields, then where the holders
    and certificates came from; "; " between them."""
    own = sources.map(
        lambda given: [
            f"{name}={_ref(ref)}" for name, ref in sorted(given.items()) if isinstance(ref, dict)
        ]
    )
    held = _record_sources(rights, "holders", ids)
    certified = _record_sources(certificates, "certificates", ids)
    combined = [
        SEPARATOR.join([*mine, *(x for x in (h, c) if x)]) or None
        for mine, h, c in zip(own, held, certified, strict=True)
    ]
    return pd.Series(combined, index=ids.index, dtype=object)


def _record_sources(records: pd.DataFrame, label: str, ids: pd.Series) -> list[str | None]:
    """``label=source#row,source#row`` of each parcel's records (each row once)."""
    if records.empty:
        return [None] * len(ids)
    refs = records["sources"].map(
        lambda s: _ref((s or {}).get("record"), why=False) if isinstance(s, dict) else None
    )
    given = records.assign(ref=refs).dropna(subset=["ref"])
    by_parcel = given.groupby(given["parcel_id"].astype("int64"), sort=False)["ref"].agg(
        lambda r: ",".join(dict.fromkeys(r))
    )
    return [f"{label}={found}" if isinstance(found, str) else None for found in ids.map(by_parcel)]


def _ref(ref: dict[str, Any] | None, *, why: bool = True) -> str | None:
    if not ref or not ref.get("source"):
        return None
    text = f"{ref['source']}#{ref.get('row') or '?'}"
    return f"{text} ({ref['why']})" if why and ref.get("why") else text


def _number(value: Any) -> str:
    return "" if not _given(value) else f"{float(value):g}"


def _given(value: Any) -> bool:
    return value is not None and not (np.ndim(value) == 0 and bool(pd.isna(value)))


def _no_records() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    empty = {"parcel_id": pd.Series(dtype="int64"), "sources": pd.Series(dtype=object)}
    rights = pd.DataFrame(empty | {c: pd.Series(dtype=object) for c in (
        "name", "identity_number", "share_percent")})  # fmt: skip
    certificates = pd.DataFrame(empty | {c: pd.Series(dtype=object) for c in ("serial", "status")})
    restrictions = pd.DataFrame(empty | {c: pd.Series(dtype=object) for c in (
        "kind", "holder", "registered_on", "released_on")})  # fmt: skip
    return rights, certificates, restrictions


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError(
            f"format must be one of {', '.join(FORMATS)}",
            field="format",
            value=fmt,
            detail_vi=f"định dạng phải là một trong: {', '.join(FORMATS)}",
        )


class _Writer:
    """Writes the slices one after another to one file (the CSV through one open handle,
    so the byte-order mark is written once; GeoJSON and GeoPackage appended by GDAL)."""

    def __init__(self, path: Path, fmt: str, srid: int) -> None:
        self.path, self.fmt, self.srid = path, fmt, srid
        self.handle: Any = None
        self.started = False

    def __enter__(self) -> _Writer:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "csv":
                self.handle = self.path.open("w", encoding="utf-8-sig", newline="")
            else:
                self.path.unlink(missing_ok=True)
                self.path.touch()  # can it be written? before anything is read
                self.path.unlink()
        except OSError as error:
            raise _unwritable(self.path, error) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()

    def write(self, part: gpd.GeoDataFrame) -> None:
        """Add a slice (cadastral CRS) to the file."""
        try:
            if self.fmt == "csv":
                pd.DataFrame(part.drop(columns="geometry")).to_csv(
                    self.handle, header=not self.started, index=False
                )
            else:
                shown = part.to_crs(4326) if self.fmt == "geojson" else part
                pyogrio.write_dataframe(
                    shown,
                    self.path,
                    layer=LAYER,
                    driver="GeoJSON" if self.fmt == "geojson" else "GPKG",
                    geometry_type="MultiPolygon",
                    append=self.started,
                )
        except (OSError, pyogrio.errors.DataSourceError) as error:
            raise _unwritable(self.path, error) from None
        self.started = True


# Why a file could not be written, by errno, in both languages.
_WHY_UNWRITABLE = {
    errno.ENOENT: ("thư mục không tồn tại", "the folder does not exist"),
    errno.ENOTDIR: ("thư mục không tồn tại", "the folder does not exist"),
    errno.EACCES: ("không có quyền ghi vào đó", "permission denied"),
    errno.EPERM: ("không có quyền ghi vào đó", "permission denied"),
    errno.EISDIR: ("đó là một thư mục", "it is a folder"),
    errno.EEXIST: ("một tệp nằm ở chỗ của thư mục", "a file stands where the folder should be"),
    errno.EROFS: ("ổ đĩa chỉ cho đọc", "the disk is read-only"),
    errno.ENOSPC: ("ổ đĩa đã đầy", "the disk is full"),
}


def _unwritable(path: Path, error: Exception) -> ValidationError:
    why_vi, why = _WHY_UNWRITABLE.get(
        getattr(error, "errno", None) or 0, ("lỗi hệ thống tệp", "the file system refused it")
    )
    return ValidationError(
        f"cannot write {path}: {why}",
        field="out",
        value=str(path),
        detail_vi=f"không ghi được tệp {path}: {why_vi}",
    )
