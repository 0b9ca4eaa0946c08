"""Bulk inserts: PostgreSQL ``COPY`` where the database is PostGIS, batched inserts elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from geoalchemy2 import Geometry
from geoalchemy2.elements import WKBElement

CHUNK = 5_000


def insert_rows(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    stored: Callable[[int], None] = lambda done: None,
) -> None:
    """Insert many rows in the session's transaction, reporting how many are stored."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows, stored)
        return
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start : start + CHUNK])
        stored(min(start + CHUNK, len(rows)))


def _copy(
    session: Session, table: Table, rows: list[dict[str, Any]], stored: Callable[[int], None]
) -> None:
    names = [c.name for c in table.columns if c.name in rows[0] or c.name in _all_keys(rows)]
    converters = [_converter(table.c[name].type) for name in names]
    connection: Any = session.connection().connection.driver_connection
    columns = ", ".join(f'"{name}"' for name in names)
    with (
        connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):
        for index, row in enumerate(rows, start=1):
            copy.write_row(
                [convert(row.get(name)) for name, convert in zip(names, converters, strict=True)]
            )
            if index % CHUNK == 0:
                stored(index)
    stored(len(rows))


def _all_keys(rows: list[dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    for row in rows[:100]:
        keys.update(row)
    return keys


def _converter(kind: Any) -> Callable[[Any], Any]:
    if isinstance(kind, Geometry):
        return _geometry
    if isinstance(kind, JSON):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    return lambda value: value


def _geometry(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, WKBElement):
        data = value.data if isinstance(value.data, bytes) else bytes(value.data)
        return f"SRID={value.srid};{data.hex()}"
    return str(value)
