"""Bulk inserts of a whole frame: binary ``COPY`` on PostGIS, batched inserts elsewhere.

On PostgreSQL the frame is encoded column by column into the binary COPY format with numpy
and Arrow kernels (no Python object per value) and streamed in slices, so the server stores
one slice while the next is encoded. SQLite/SpatiaLite, the embedded default, takes plain
rows through ``executemany``.
"""

from __future__ import annotations

import itertools
import json
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Table, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from geoalchemy2 import Geometry
from geoalchemy2.elements import WKBElement

CHUNK = 5_000
COPY_SLICE = 100_000
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_PG_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


def insert_frame(
    session: Session,
    table: Table,
    frames: pd.DataFrame | Iterable[pd.DataFrame],
    stored: Callable[[int], None] = lambda done: None,
    *,
    expected_rows: int | None = None,
) -> None:
    """Insert every row of ``frames`` (one frame, or frames as they are made; columns named
    as the table's) in the session's transaction, reporting how many are stored.

    Geometry is EWKB bytes; JSON columns hold Python lists or dicts; missing values (None,
    NaN, NA) become NULL. ``expected_rows`` (of a stream of frames) decides whether the
    table's indexes are rebuilt after loading.
    """
    if isinstance(frames, pd.DataFrame):
        expected_rows, frames = len(frames), [frames]
    if session.get_bind().dialect.name != "postgresql":
        _insert_rows(session, table, frames, stored)
        return
    if _rebuild_worthwhile(session, table, expected_rows or 0):
        with _indexes_rebuilt(session, table):
            copied = _copy(session, table, frames, stored)
    else:
        copied = _copy(session, table, frames, stored)
    if copied >= ANALYZE_ROWS:
        # The planner's statistics, as PostgreSQL advises after a bulk load: until autovacuum
        # comes by (if it runs at all), plans would be made for the table as it was.
        session.execute(text(f'ANALYZE "{table.name}"'))


def _insert_rows(
    session: Session, table: Table, frames: Iterable[pd.DataFrame], stored: Callable[[int], None]
) -> None:
    """Batched ``INSERT``s (SQLite/SpatiaLite)."""
    done = 0
    for frame in frames:
        for start in range(0, len(frame), CHUNK):
            rows = plain_records(frame.iloc[start : start + CHUNK], table)
            session.execute(insert(table), rows)
            done += len(rows)
            stored(done)


# A batch at least this large, and at least as large as the table, is loaded with the table's
# secondary indexes and foreign keys dropped and rebuilt once afterwards (as ogr2ogr builds its
# index after loading). All of it is inside the load's transaction: if anything fails, the
# indexes and constraints are back as they were. The table is locked while it loads.
REBUILD_ROWS = 100_000
# A load of at least this many rows is followed by ANALYZE of its table.
ANALYZE_ROWS = 50_000
INDEX_BUILD_MEMORY = "1GB"


def _rebuild_worthwhile(session: Session, table: Table, rows: int) -> bool:
    if rows < REBUILD_ROWS:
        return False
    present = session.execute(text(f'SELECT count(*) FROM "{table.name}"')).scalar_one()
    return rows >= int(present)


@contextmanager
def _indexes_rebuilt(session: Session, table: Table) -> Iterator[None]:
    """Drop the table's secondary indexes and foreign keys; build them again at the end."""
    indexes = session.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :name "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"name": table.name},
    ).all()
    keys = session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:name AS regclass) AND contype = 'f'"
        ),
        {"name": table.name},
    ).all()
    for name, _ in keys:
        session.execute(text(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    yield
    # Sorting for the builds in memory (this transaction only; the server's default is 64 MB)
    # lets PostgreSQL sort each index in one pass and give the btrees parallel workers.
    session.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"))
    for _, definition in indexes:
        session.execute(text(definition))
    for name, definition in keys:  # checked once for all rows instead of row by row
        session.execute(text(f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{name}" {definition}'))


def plain_records(frame: pd.DataFrame, table: Table | None = None) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN/NA → None; EWKB → ``WKBElement``)."""
    columns = {}
    for name in frame.columns:
        values = [_plain(v) for v in frame[name].astype(object).tolist()]
        kind = table.c[name].type if table is not None and name in table.c else None
        if isinstance(kind, Geometry):
            values = [None if v is None else WKBElement(v, extended=True) for v in values]
        columns[name] = values
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _plain(value: Any) -> Any:
    if isinstance(value, list | dict | bytes):
        return value
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _copy(
    session: Session, table: Table, frames: Iterable[pd.DataFrame], stored: Callable[[int], None]
) -> int:
    """One binary ``COPY`` of every frame; the server stores a slice while the next is made.
    Returns the number of rows copied."""
    frames = iter(frames)
    first = next((frame for frame in frames if not frame.empty), None)
    if first is None:
        return 0
    names = [c.name for c in table.columns if c.name in first.columns]
    dialect = session.get_bind().dialect
    kinds = [table.c[name].type.dialect_impl(dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    connection: Any = session.connection().connection.driver_connection
    done = 0
    with connection.cursor() as cursor:
        sql = f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT BINARY)'
        with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
            copy.write(_SIGNATURE)
            for frame in itertools.chain([first], frames):
                for start in range(0, len(frame), COPY_SLICE):
                    part = frame.iloc[start : start + COPY_SLICE]
                    copy.write(_encode(part, names, kinds))
                    done += len(part)
                    stored(done)
            copy.write(_TRAILER)
    return done


def _encode(frame: pd.DataFrame, names: list[str], kinds: list[Any]) -> memoryview:
    """Rows of the binary COPY format: field count, then each field's length and bytes."""
    fields = [_field(frame[name], kind) for name, kind in zip(names, kinds, strict=True)]
    count = pa.scalar(struct.pack(">h", len(names)), pa.binary())
    rows = pc.binary_join_element_wise(count, *fields, pa.scalar(b"", pa.binary()))
    offsets = rows.buffers()[1]
    first, last = np.frombuffer(offsets, dtype=np.int32)[[rows.offset, rows.offset + len(rows)]]
    return memoryview(rows.buffers()[2])[first:last]


def _field(values: pd.Series, kind: Any) -> pa.Array:
    """One column as length-prefixed binary fields (length -1 and no bytes for NULL)."""
    data = _values(values, kind)
    if isinstance(data, pa.ChunkedArray):  # Arrow-backed pandas columns may come in chunks
        data = data.combine_chunks()
    lengths = pc.fill_null(pc.binary_length(data), -1).to_numpy().astype(">i4")
    prefix = pa.Array.from_buffers(
        pa.binary(),
        len(lengths),
        [
            None,
            pa.py_buffer(np.arange(0, 4 * len(lengths) + 1, 4, dtype=np.int32)),
            pa.py_buffer(lengths),
        ],
    )
    return pc.binary_join_element_wise(prefix, pc.fill_null(data, b""), b"")


def _values(values: pd.Series, kind: Any) -> pa.Array:
    """Each value in PostgreSQL's binary send format (null where missing)."""
    if isinstance(kind, Geometry):
        return pa.array(values, type=pa.binary(), from_pandas=True)
    if isinstance(kind, JSON):
        prefix = b"\x01" if isinstance(kind, JSONB) else b""  # jsonb's format version
        present = values.notna()
        text = values[present].map(lambda v: prefix + json.dumps(v, ensure_ascii=False).encode())
        return pa.array(text.reindex(values.index), type=pa.binary(), from_pandas=True)
    if isinstance(kind, Boolean):
        return _fixed(values.astype("boolean"), ">u1")
    if isinstance(kind, Integer):
        wide = kind.__visit_name__ == "big_integer"
        return _fixed(pd.to_numeric(values).astype("Int64"), ">i8" if wide else ">i4")
    if isinstance(kind, Float):
        return _fixed(pd.to_numeric(values).astype("Float64"), ">f8")
    if isinstance(kind, DateTime):
        micros = (pd.to_datetime(values).to_numpy("datetime64[us]") - _PG_EPOCH).astype(np.int64)
        return _fixed(pd.Series(micros).where(values.notna().to_numpy()), ">i8")
    if isinstance(kind, Date):
        days = pd.to_datetime(values).to_numpy("datetime64[D]") - _PG_EPOCH.astype("datetime64[D]")
        return _fixed(pd.Series(days.astype(np.int64)).where(values.notna().to_numpy()), ">i4")
    text = values.astype(pd.StringDtype("pyarrow"))
    return pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.binary())


def _fixed(values: pd.Series, dtype: str) -> pa.Array:
    """Fixed-width numbers as big-endian bytes; missing values have none."""
    present = values.notna().to_numpy()
    width = np.dtype(dtype).itemsize
    data = values[present].to_numpy().astype(dtype).tobytes()
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum(np.where(present, width, 0), out=offsets[1:])
    validity = pa.array(present).buffers()[1]
    return pa.Array.from_buffers(
        pa.binary(), len(values), [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
