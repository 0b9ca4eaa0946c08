"""Administrative units' boundaries as the register database holds them, loaded from maps.

The boundaries tell ingest where a commune's map layer should lie (its CRS check) and
edits where a drawn parcel may go. The repository never commits.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry

from landreg.store.tables import AdminUnit


class AdminUnitRepository:
    """Units' codes and boundaries over one session; geometry in the cadastral CRS."""

    def __init__(self, session: Session, cadastral_srid: int) -> None:
        self.session = session
        self.srid = cadastral_srid

    def expected_area(self, communes: list[str]) -> BaseGeometry | None:
        """The union of these communes' boundaries, else of every current unit's; None when
        no boundaries have been loaded yet."""
        statement = select(AdminUnit.geom).where(AdminUnit.geom.is_not(None))
        if communes:
            found = [
                to_shape(g)
                for g in self.session.scalars(statement.where(AdminUnit.code.in_(communes)))
            ]
            if found:
                return shapely.union_all(found)
        shapes = [
            to_shape(g) for g in self.session.scalars(statement.where(AdminUnit.valid_to.is_(None)))
        ]
        return shapely.union_all(shapes) if shapes else None

    def codes(self) -> set[str]:
        """The code of every unit the reference table holds."""
        return set(self.session.scalars(select(AdminUnit.code)))

    def set_boundary(self, code: str, shape: BaseGeometry) -> None:
        """Make ``shape`` (in the cadastral CRS) the unit's boundary."""
        self.session.execute(
            update(AdminUnit)
            .where(AdminUnit.code == code)
            .values(geom=from_shape(shape, srid=self.srid))
        )
