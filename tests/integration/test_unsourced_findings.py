"""Parcels that came from no source file (drawn in landreg) are told apart by their findings.

A finding's identity names its records by source and key; a parcel without either must still
be a record of its own, or reconciliation would keep one finding for all such parcels.
"""

from __future__ import annotations

from sqlalchemy import select

import shapely

from landreg.services.reconcile import reconcile
from landreg.services.register import ParcelInput, register_parcels
from landreg.store.tables import FindingRow
from landreg.store.unit_of_work import UnitOfWork

# Two parcels of 4 m² (under GEOM_TINY's 5 m²) far apart near Tân Ninh, TM-3 105-30.
TINY = [
    shapely.box(565_280, 1_249_680, 565_282, 1_249_682),
    shapely.box(565_300, 1_249_700, 565_302, 1_249_702),
]


def test_each_parcel_without_a_source_keeps_its_own_finding(register_db):
    with UnitOfWork(register_db) as uow:
        ids = register_parcels(
            uow,
            [ParcelInput("25459", "3", str(90 + n), shape, 9209) for n, shape in enumerate(TINY)],
            actor="officer-1",
        )
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    with UnitOfWork(register_db) as uow:
        tiny = uow.session.scalars(select(FindingRow).where(FindingRow.rule == "GEOM_TINY")).all()
        reported = sorted(subject["id"] for row in tiny for subject in row.subjects)
        sources = {subject["source"] for row in tiny for subject in row.subjects}
    assert reported == sorted(ids)
    assert sources == {None}  # not the text "nan"
