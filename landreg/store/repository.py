"""Repositories: the boundary where table rows become domain objects and back.

Repositories add, read and version records; they never commit (the unit of work does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, column, func, insert, literal, select, table, union_all, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

import shapely
from geoalchemy2.shape import from_shape, to_shape

from landreg.clock import utcnow
from landreg.domain.identifiers import ParcelKey
from landreg.domain.model import Parcel
from landreg.errors import ConflictError, NotFoundError
from landreg.store.tables import HISTORY_TABLES, VERSIONED_TABLES, AuditRow, ParcelRow


def archive_version(session: Session, table_name: str, row_id: int, until: datetime) -> None:
    """Copy the current row of a versioned table into its history table, ending at ``until``."""
    current = VERSIONED_TABLES[table_name]
    history = HISTORY_TABLES[table_name]
    names = [column.name for column in current.columns]
    session.execute(
        insert(history).from_select(
            [*names, "valid_to"],
            select(*[current.c[name] for name in names], literal(until).label("valid_to")).where(
                current.c.id == row_id
            ),
        )
    )


class ParcelRepository:
    """Parcels in the register, current and historical."""

    def __init__(self, session: Session, cadastral_srid: int) -> None:
        self.session = session
        self.srid = cadastral_srid

    def add(self, parcel: Parcel, *, actor: str, batch_id: int | None = None) -> int:
        """Store a new parcel; return its id."""
        row = ParcelRow(
            **_parcel_columns(parcel, self.srid),
            version=1,
            valid_from=parcel.valid_from or utcnow(),
            changed_by=actor,
            source_batch_id=batch_id,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def get(self, parcel_id: int) -> Parcel:
        """The current version of a parcel; raises :class:`NotFoundError`."""
        row = self.session.get(ParcelRow, parcel_id)
        if row is None:
            raise NotFoundError(
                f"no parcel with id {parcel_id}", field="parcel_id", value=parcel_id
            )
        return _parcel_from_row(row)

    def by_key(self, key: ParcelKey) -> list[Parcel]:
        """Current parcels with this key (more than one means a duplicate key)."""
        rows = self.session.scalars(
            select(ParcelRow)
            .where(
                ParcelRow.commune_code == key.commune_code,
                ParcelRow.map_sheet == key.map_sheet,
                ParcelRow.parcel_number == key.parcel_number,
            )
            .order_by(ParcelRow.id)
        )
        return [_parcel_from_row(row) for row in rows]

    def at_point(self, x: float, y: float, srid: int) -> list[Parcel]:
        """Current parcels containing the point (x, y) in ``srid``, via the spatial index."""
        statement = select(ParcelRow).where(
            ParcelRow.geom.ST_Intersects(_point(x, y, srid, self.srid))
        )
        statement = self._through_index(statement, _point(x, y, srid, self.srid))
        return [
            _parcel_from_row(row) for row in self.session.scalars(statement.order_by(ParcelRow.id))
        ]

    def _through_index(self, statement: Select[Any], frame: Any) -> Select[Any]:
        """SpatiaLite only uses its R*Tree when the query names the ``SpatialIndex`` table."""
        if self.session.get_bind().dialect.name != "sqlite":
            return statement
        candidates = select(_SPATIAL_INDEX.c.rowid).where(
            _SPATIAL_INDEX.c.f_table_name == "parcel",
            _SPATIAL_INDEX.c.f_geometry_column == "geom",
            _SPATIAL_INDEX.c.search_frame == frame,
        )
        return statement.where(ParcelRow.id.in_(candidates))

    def change(
        self,
        parcel_id: int,
        changes: dict[str, Any],
        *,
        actor: str,
        expected_version: int | None,
        at: datetime,
    ) -> Parcel:
        """Apply changes as a new version; the previous version goes to history.

        ``expected_version`` guards against two people changing the same parcel at once.
        """
        before = self.get(parcel_id)
        if expected_version is not None and before.version != expected_version:
            raise ConflictError(
                f"parcel {parcel_id} is at version {before.version}, not {expected_version}: "
                "someone changed it meanwhile; reload and try again",
                field="version",
                value=expected_version,
            )
        archive_version(self.session, "parcel", parcel_id, at)
        after = Parcel(**{**_as_dict(before), **changes})
        columns = _parcel_columns(after, self.srid)
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(ParcelRow)
            .where(ParcelRow.id == parcel_id, ParcelRow.version == before.version)
            .values(**columns, version=before.version + 1, valid_from=at, changed_by=actor)
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"parcel {parcel_id} changed meanwhile", field="version", value=before.version
            )
        self.session.expire_all()
        return self.get(parcel_id)

    def as_of(self, parcel_id: int, when: datetime) -> Parcel | None:
        """The parcel as it was at ``when``; None if it did not exist yet."""
        current = VERSIONED_TABLES["parcel"]
        history = HISTORY_TABLES["parcel"]
        columns = [column.name for column in current.columns]
        live = select(
            *[current.c[name] for name in columns], literal(None).label("valid_to")
        ).where(current.c.id == parcel_id, current.c.valid_from <= when)
        old = select(*[history.c[name] for name in columns], history.c.valid_to).where(
            history.c.id == parcel_id,
            history.c.valid_from <= when,
            history.c.valid_to > when,
        )
        row = self.session.execute(union_all(live, old)).mappings().first()
        if row is None:
            return None
        return _parcel_from_mapping(row)

    def versions(self, parcel_id: int) -> list[Parcel]:
        """Every version of a parcel, oldest first, the current one last."""
        history = HISTORY_TABLES["parcel"]
        rows = self.session.execute(
            select(history).where(history.c.id == parcel_id).order_by(history.c.version)
        ).mappings()
        return [*(_parcel_from_mapping(row) for row in rows), self.get(parcel_id)]


class AuditRepository:
    """The audit log: who changed what, when, before and after."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Add one entry; it is committed with the change it describes."""
        self.session.add(
            AuditRow(
                actor=actor,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                before=before,
                after=after,
            )
        )


# SpatiaLite's virtual table over its R*Tree indexes.
_SPATIAL_INDEX = table(
    "SpatialIndex",
    column("rowid"),
    column("f_table_name"),
    column("f_geometry_column"),
    column("search_frame"),
)


def _point(x: float, y: float, srid: int, target_srid: int) -> Any:
    point = func.ST_GeomFromEWKT(f"SRID={srid};POINT({float(x)!r} {float(y)!r})")
    return point if srid == target_srid else func.ST_Transform(point, target_srid)


def _parcel_columns(parcel: Parcel, srid: int) -> dict[str, Any]:
    return {
        "commune_code": parcel.key.commune_code,
        "map_sheet": parcel.key.map_sheet,
        "parcel_number": parcel.key.parcel_number,
        "old_map_sheet": parcel.old_map_sheet,
        "old_parcel_number": parcel.old_parcel_number,
        "legal_area": parcel.legal_area,
        "measured_area": parcel.measured_area,
        "land_use_code": parcel.land_use_code,
        "address": parcel.address,
        "source_srid": parcel.source_srid,
        "geom": None if parcel.geometry is None else from_shape(parcel.geometry, srid=srid),
    }


def _as_dict(parcel: Parcel) -> dict[str, Any]:
    return {name: getattr(parcel, name) for name in Parcel.__slots__}


def _parcel_from_row(row: ParcelRow) -> Parcel:
    return _parcel_from_mapping(
        {column.name: getattr(row, column.key) for column in ParcelRow.__table__.columns}
        | {"valid_to": None}
    )


def _parcel_from_mapping(row: Any) -> Parcel:
    geometry = row["geom"]
    shape = None
    if geometry is not None:
        shape = (
            to_shape(geometry)
            if not isinstance(geometry, bytes | memoryview)
            else (shapely.from_wkb(bytes(geometry)))
        )
    return Parcel(
        key=ParcelKey(row["commune_code"], row["map_sheet"], row["parcel_number"]),
        geometry=shape,
        legal_area=row["legal_area"],
        land_use_code=row["land_use_code"],
        address=row["address"],
        old_map_sheet=row["old_map_sheet"],
        old_parcel_number=row["old_parcel_number"],
        source_srid=row["source_srid"],
        id=row["id"],
        version=row["version"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
    )
