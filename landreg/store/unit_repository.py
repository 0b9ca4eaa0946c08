"""Administrative units as the register database holds them: the reference's copy and the
boundaries loaded from maps.

The bundled reference (:mod:`landreg.domain.reference`) is the truth for codes, names and
dates; the database keeps a copy so that queries can join it, plus what only the database
has, the boundaries. They tell ingest where a commune's map layer should lie (its CRS check)
and edits where a drawn parcel may go. The repository never commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry

from landreg.domain.reference import AdministrativeUnit
from landreg.store.tables import AdminUnit

# The columns the reference decides; ``geom`` is the database's own.
_FROM_REFERENCE = (
    "level", "name", "parent_code", "valid_from", "valid_to", "successor_code",
    "cadastral_srid", "remote", "official",
)  # fmt: skip


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

    def sync_units(self, units: Iterable[AdministrativeUnit]) -> int:
        """Insert or update every unit as the reference has it; return how many changed.

        Boundaries already loaded (from a map of communes) are kept.
        """
        existing = {unit.code: unit for unit in self.session.scalars(select(AdminUnit))}
        changed = 0
        for unit in units:
            values = {name: getattr(unit, name) for name in _FROM_REFERENCE}
            row = existing.get(unit.code)
            if row is None:
                self.session.add(AdminUnit(code=unit.code, **values))
                changed += 1
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                changed += 1
        self.session.flush()
        return changed
