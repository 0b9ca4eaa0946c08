"""Repositories: the boundary where table rows become domain objects and back.

Repositories add, read and version records; they never commit (the unit of work does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import RowMapping, Select, column, func, select, table
from sqlalchemy.orm import Session

import shapely
from geoalchemy2.shape import from_shape, to_shape

from landreg.clock import utcnow
from landreg.domain.identifiers import ParcelKey
from landreg.domain.model import Parcel, Party, PartyKind, Right, RightKind, SourceRef
from landreg.store import versioning
from landreg.store.tables import (
    AuditRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    PartyRow,
    RegisterEntryRow,
    RightRow,
)
from spatial.crs import reproject

Entity = TypeVar("Entity")

# SpatiaLite's virtual table over its R*Tree indexes.
_SPATIAL_INDEX = table(
    "SpatialIndex",
    column("rowid"),
    column("f_table_name"),
    column("f_geometry_column"),
    column("search_frame"),
)


class _VersionedRepository(Generic[Entity]):
    """Shared reading and versioning of one versioned table."""

    table_name: str

    def __init__(self, session: Session) -> None:
        self.session = session

    def _from_row(self, row: RowMapping | dict[str, Any]) -> Entity:
        raise NotImplementedError

    def _add_row(self, row: Any) -> int:
        self.session.add(row)
        self.session.flush()
        return int(row.id)

    def get(self, row_id: int, *, lock: bool = False) -> Entity:
        """The current version; raises :class:`NotFoundError`. With ``lock``, nobody else can
        change it until this unit of work ends (read it so before changing it)."""
        row = versioning.current_row(self.session, self.table_name, row_id, lock=lock)
        return self._from_row(dict(row) | {"valid_to": None})

    def _change(
        self,
        row_id: int,
        values: dict[str, Any],
        *,
        actor: str,
        expected_version: int | None,
        at: datetime,
    ) -> Entity:
        versioning.change_version(
            self.session,
            self.table_name,
            row_id,
            values,
            expected_version=expected_version,
            actor=actor,
            at=at,
        )
        return self.get(row_id)

    def _current(self, statement: Select[Any]) -> list[Entity]:
        """Records from one query of current rows, in id order (no query per record)."""
        table = versioning.VERSIONED_TABLES[self.table_name]
        rows = self.session.execute(statement.order_by(table.c.id)).mappings()
        return [self._from_row(dict(row) | {"valid_to": None}) for row in rows]

    def is_referenced(self, row_id: int) -> bool:
        """True when another record still points at this one (rights on a parcel, links)."""
        return versioning.is_referenced(self.session, self.table_name, row_id)

    def retire(self, row_id: int, *, at: datetime) -> None:
        """End the record at ``at``: its current version goes to history and the record
        leaves the current table. Lock it first (:meth:`get` with ``lock``), and check that
        nothing points at it (:meth:`is_referenced`)."""
        versioning.archive_version(self.session, self.table_name, row_id, at)
        table = versioning.VERSIONED_TABLES[self.table_name]
        self.session.execute(table.delete().where(table.c.id == row_id))

    def as_of(self, row_id: int, when: datetime) -> Entity | None:
        """The record as it was at ``when``; None if it did not exist yet."""
        row = versioning.row_as_of(self.session, self.table_name, row_id, when)
        return None if row is None else self._from_row(row)

    def versions(self, row_id: int) -> list[Entity]:
        """Every version of the record, oldest first, the current one last."""
        return [
            self._from_row(row)
            for row in versioning.row_versions(self.session, self.table_name, row_id)
        ]


class ParcelRepository(_VersionedRepository[Parcel]):
    """Parcels in the register, current and historical."""

    table_name = "parcel"

    def __init__(self, session: Session, cadastral_srid: int) -> None:
        super().__init__(session)
        self.srid = cadastral_srid

    def add(self, parcel: Parcel, *, actor: str) -> int:
        """Store a new parcel; return its id."""
        return self._add_row(
            ParcelRow(
                **_parcel_columns(parcel, self.srid),
                version=1,
                valid_from=parcel.valid_from or utcnow(),
                changed_by=actor,
            )
        )

    def change(
        self,
        parcel_id: int,
        parcel: Parcel,
        *,
        actor: str,
        expected_version: int | None,
        at: datetime,
    ) -> Parcel:
        """Make ``parcel`` the new current version; the previous one goes to history."""
        return self._change(
            parcel_id,
            _parcel_columns(parcel, self.srid),
            actor=actor,
            expected_version=expected_version,
            at=at,
        )

    def by_key(self, key: ParcelKey) -> list[Parcel]:
        """Current parcels with this key (more than one means a duplicate key)."""
        return self._current(
            select(ParcelRow.__table__).where(
                ParcelRow.commune_code == key.commune_code,
                ParcelRow.map_sheet == key.map_sheet,
                ParcelRow.parcel_number == key.parcel_number,
            )
        )

    def at_point(self, x: float, y: float, srid: int) -> list[Parcel]:
        """Current parcels containing the point (x, y) in ``srid``, via the spatial index."""
        point = _point(x, y, srid, self.srid)
        return self._current(
            self._through_index(
                select(ParcelRow.__table__).where(ParcelRow.geom.ST_Intersects(point)), point
            )
        )

    def in_box(self, box_wkt: str, limit: int, offset: int) -> list[Parcel]:
        """Current parcels intersecting a box (WKT in the cadastral CRS), in id order."""
        frame = func.ST_GeomFromText(box_wkt, self.srid)
        statement = self._through_index(
            select(ParcelRow.__table__).where(ParcelRow.geom.ST_Intersects(frame)), frame
        )
        return self._current(statement.limit(limit).offset(offset))

    def by_register(self, column: str, value: str) -> list[Parcel]:
        """Current parcels linked to register entries whose ``column`` equals ``value``."""
        entries = select(ParcelRegisterLinkRow.parcel_id).join(
            RegisterEntryRow, RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id
        )
        return self._current(
            select(ParcelRow.__table__).where(
                ParcelRow.id.in_(entries.where(RegisterEntryRow.__table__.c[column] == value))
            )
        )

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

    def _from_row(self, row: RowMapping | dict[str, Any]) -> Parcel:
        geometry = row["geom"]
        return Parcel(
            commune_code=row["commune_code"],
            map_sheet=row["map_sheet"],
            parcel_number=row["parcel_number"],
            geometry=None if geometry is None else to_shape(geometry),
            legal_area=row["legal_area"],
            land_use_code=row["land_use_code"],
            address=row["address"],
            old_map_sheet=row["old_map_sheet"],
            old_parcel_number=row["old_parcel_number"],
            source_srid=row["source_srid"],
            source=_source_from_row(row),
            map_area=row["map_area"],
            land_use_text=row["land_use_text"],
            parent_ref=row["parent_ref"],
            national_id=row.get("national_id"),
            legal_land_use_code=row.get("legal_land_use_code"),
            id=row["id"],
            version=row["version"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
        )


class PartyRepository(_VersionedRepository[Party]):
    """Parties that hold rights, current and historical."""

    table_name = "party"

    def add(self, party: Party, *, actor: str, batch_id: int | None = None) -> int:
        """Store a new party; return its id."""
        return self._add_row(
            PartyRow(
                **_party_columns(party),
                version=1,
                valid_from=party.valid_from or utcnow(),
                changed_by=actor,
                source_batch_id=batch_id,
            )
        )

    def change(
        self, party_id: int, party: Party, *, actor: str, expected_version: int | None, at: datetime
    ) -> Party:
        """Make ``party`` the new current version; the previous one goes to history."""
        return self._change(
            party_id,
            _party_columns(party),
            actor=actor,
            expected_version=expected_version,
            at=at,
        )

    def _from_row(self, row: RowMapping | dict[str, Any]) -> Party:
        return Party(
            kind=PartyKind(row["kind"]),
            name=row["name"],
            identity_number=row["identity_number"],
            address=row["address"],
            phone=row["phone"],
            birth_year=row["birth_year"],
            tax_code=row.get("tax_code"),
            id=row["id"],
            version=row["version"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
        )


class RightRepository(_VersionedRepository[Right]):
    """Rights of parties on parcels, current and historical."""

    table_name = "land_right"

    def add(self, right: Right, *, actor: str, batch_id: int | None = None) -> int:
        """Store a new right; return its id."""
        return self._add_row(
            RightRow(
                **_right_columns(right),
                version=1,
                valid_from=right.valid_from or utcnow(),
                changed_by=actor,
                source_batch_id=batch_id,
            )
        )

    def change(
        self, right_id: int, right: Right, *, actor: str, expected_version: int | None, at: datetime
    ) -> Right:
        """Make ``right`` the new current version; the previous one goes to history."""
        return self._change(
            right_id,
            _right_columns(right),
            actor=actor,
            expected_version=expected_version,
            at=at,
        )

    def of_parcel(self, parcel_id: int) -> list[Right]:
        """Current rights on a parcel."""
        return self._current(select(RightRow.__table__).where(RightRow.parcel_id == parcel_id))

    def _from_row(self, row: RowMapping | dict[str, Any]) -> Right:
        return Right(
            parcel_id=row["parcel_id"],
            party_id=row["party_id"],
            kind=RightKind(row["kind"]),
            share_percent=row["share_percent"],
            land_use_code=row["land_use_code"],
            term_until=row["term_until"],
            origin=row["origin"],
            id=row["id"],
            version=row["version"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
        )


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
                at=utcnow(),
            )
        )


def _point(x: float, y: float, srid: int, target_srid: int) -> Any:
    """The point in the cadastral CRS, reprojected here with landreg's own parameters (the
    database's PROJ may choose another VN-2000 transformation)."""
    if srid != target_srid:
        moved = reproject(shapely.Point(float(x), float(y)), srid, target_srid)
        x, y = moved.x, moved.y
    return func.ST_GeomFromEWKT(f"SRID={target_srid};POINT({float(x)!r} {float(y)!r})")


def _source_from_row(row: RowMapping | dict[str, Any]) -> SourceRef | None:
    if row["source_name"] is None:
        return None
    return SourceRef(
        row["source_name"],
        row["source_key"],
        row["source_batch_id"],
        row["source_row"],
        row["record_hash"],
    )


def source_columns(source: SourceRef | None) -> dict[str, Any]:
    """Provenance columns of a record version."""
    if source is None:
        return {"source_name": None, "source_key": None, "source_row": None, "record_hash": None}
    return {
        "source_name": source.name,
        "source_key": source.key,
        "source_row": source.row,
        "record_hash": source.record_hash,
        "source_batch_id": source.batch_id,
    }


def _parcel_columns(parcel: Parcel, srid: int) -> dict[str, Any]:
    return {
        **source_columns(parcel.source),
        "commune_code": parcel.commune_code,
        "map_sheet": parcel.map_sheet,
        "parcel_number": parcel.parcel_number,
        "map_area": parcel.map_area,
        "land_use_text": parcel.land_use_text,
        "parent_ref": parcel.parent_ref,
        "old_map_sheet": parcel.old_map_sheet,
        "old_parcel_number": parcel.old_parcel_number,
        "legal_area": parcel.legal_area,
        "measured_area": parcel.measured_area,
        "land_use_code": parcel.land_use_code,
        "legal_land_use_code": parcel.legal_land_use_code,
        "address": parcel.address,
        "source_srid": parcel.source_srid,
        "geom": None if parcel.geometry is None else from_shape(parcel.geometry, srid=srid),
    }


def _party_columns(party: Party) -> dict[str, Any]:
    return {
        "kind": str(party.kind),
        "name": party.name,
        "identity_number": party.identity_number,
        "address": party.address,
        "phone": party.phone,
        "birth_year": party.birth_year,
        "tax_code": party.tax_code,
    }


def _right_columns(right: Right) -> dict[str, Any]:
    return {
        "parcel_id": right.parcel_id,
        "party_id": right.party_id,
        "kind": str(right.kind),
        "share_percent": right.share_percent,
        "land_use_code": right.land_use_code,
        "term_until": right.term_until,
        "origin": right.origin,
    }
