"""Reading the register as columns for reconciling, and storing the links it computes.

Geometry comes back as WKB and is turned into shapely arrays in one call; no ORM objects
are built for the (possibly million) parcels. The findings reconciling keeps up to date are
stored by :mod:`landreg.store.finding_repository`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

import shapely

from landreg.store.tables import (
    AdminUnit,
    Base,
    MapStripRow,
    ParcelRow,
    ReconcileRunRow,
    RegisterEntryRow,
    SourceBatchRow,
)

PARCEL_COLUMNS = (
    "id", "commune_code", "map_sheet", "parcel_number", "old_map_sheet", "old_parcel_number",
    "land_use_text", "land_use_code", "map_area", "measured_area", "legal_area", "address",
    "source_name", "source_key", "source_row", "intake_notes",
)  # fmt: skip
ENTRY_COLUMNS = (
    "id", "commune_code", "map_sheet", "parcel_number", "old_map_sheet", "old_parcel_number",
    "legal_area", "land_use_text", "land_use_code", "holder_name", "holder_kind",
    "identity_number", "share_percent", "certificate_serial", "address", "mortgage_holder",
    "mortgage_on", "seizure_text", "source_name", "source_key", "source_row",
)  # fmt: skip


def read_frame(
    session: Session, statement: Select[Any], columns: list[str], geometry: bool
) -> pd.DataFrame:
    """The rows of ``statement`` as a frame; with ``geometry``, its last column (WKB) becomes
    a ``geometry`` column of shapely objects, decoded in one call."""
    rows = session.execute(statement).all()
    names = [*columns, "wkb"] if geometry else columns
    frame = pd.DataFrame(rows, columns=names)
    if geometry:
        blobs = [None if b is None else bytes(b) for b in frame.pop("wkb")]
        frame["geometry"] = shapely.from_wkb(np.array(blobs, dtype=object))
    return frame


class ReconcileRepository:
    """The register as pandas frames with shapely geometry columns."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _frame(self, statement: Select[Any], columns: list[str], geometry: bool) -> pd.DataFrame:
        return read_frame(self.session, statement, columns, geometry)

    def parcels(self, communes: list[str] | None = None) -> pd.DataFrame:
        """Current parcels with their geometry."""
        statement = select(
            *[ParcelRow.__table__.c[c] for c in PARCEL_COLUMNS], func.ST_AsBinary(ParcelRow.geom)
        )
        if communes:
            statement = statement.where(ParcelRow.commune_code.in_(communes))
        return self._frame(statement.order_by(ParcelRow.id), list(PARCEL_COLUMNS), True)

    def strips(self, communes: list[str] | None = None) -> pd.DataFrame:
        """Roads and canals on the maps."""
        statement = select(MapStripRow.commune_code, func.ST_AsBinary(MapStripRow.geom))
        if communes:
            statement = statement.where(MapStripRow.commune_code.in_(communes))
        return self._frame(statement, ["commune_code"], True)

    def communes(self) -> pd.DataFrame:
        """Current communes and wards, with their boundary where loaded."""
        statement = select(
            AdminUnit.code, AdminUnit.name, AdminUnit.level, func.ST_AsBinary(AdminUnit.geom)
        ).where(AdminUnit.level.in_(("commune", "ward")), AdminUnit.valid_to.is_(None))
        return self._frame(statement, ["code", "name", "level"], True)

    def register_entries(self, communes: list[str] | None = None) -> pd.DataFrame:
        """Current register entries."""
        statement = select(*[RegisterEntryRow.__table__.c[c] for c in ENTRY_COLUMNS])
        if communes:
            statement = statement.where(RegisterEntryRow.commune_code.in_(communes))
        return self._frame(statement.order_by(RegisterEntryRow.id), list(ENTRY_COLUMNS), False)

    def replace_links(
        self, links: pd.DataFrame, parcel_ids: list[int], entry_ids: list[int]
    ) -> None:
        """The links of these parcels and entries, as just computed."""
        table = Base.metadata.tables["parcel_register_link"]
        for column, ids in (("parcel_id", parcel_ids), ("register_entry_id", entry_ids)):
            for start in range(0, len(ids), 5000):
                self.session.execute(
                    delete(table).where(table.c[column].in_(ids[start : start + 5000]))
                )
        rows = links[["parcel_id", "register_entry_id", "match_type", "score"]].to_dict("records")
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(table), rows[start : start + 5000])

    def deliveries(self) -> pd.DataFrame:
        """Every loaded batch with the date its data is as of, in the order taken in."""
        columns = ["id", "source_name", "file_name", "sha256", "commune_code", "data_as_of",
                   "data_as_of_from"]  # fmt: skip
        table = SourceBatchRow.__table__
        statement = select(*[table.c[c] for c in columns]).where(
            table.c.status == "loaded", table.c.data_as_of.is_not(None)
        )
        return self._frame(statement.order_by(table.c.id), columns, False)

    def record_run(self, communes: list[str], at: datetime, batch: int | None) -> None:
        """Note that a reconciliation checked ``communes`` at ``at`` (UTC)."""
        rows = [{"commune_code": code, "at": at, "batch_id": batch} for code in communes]
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(ReconcileRunRow), rows[start : start + 5000])

    def latest_batch(self) -> int | None:
        """The newest source batch: the one that closes findings it fixed."""
        return self.session.scalar(select(func.max(SourceBatchRow.id)))
