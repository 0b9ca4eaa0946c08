"""Administrative units as the register database holds them: the reference's copy and the
boundaries loaded from maps.

The reference (:mod:`landreg.domain.reference`: the shipped units, or the installation's own)
is the truth for codes, names and dates; the database keeps a copy so that queries can join
it, plus what only the database has, the boundaries. They tell ingest where a commune's map
layer should lie (its CRS check) and edits where a drawn parcel may go; without them, the
province's extent shipped with the reference does. The repository never commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry

from landreg.domain.reference import AdministrativeUnit, province_extent
from landreg.errors import ConflictError
from landreg.store.tables import AdminUnit, ParcelRow

# The columns the reference decides; ``geom`` is the database's own.
_FROM_REFERENCE = (
    "level", "name", "parent_code", "valid_from", "valid_to", "successor_code",
    "cadastral_srid", "remote", "official",
)  # fmt: skip


def _rank(unit: AdministrativeUnit) -> tuple[bool, int, str]:
    """Current units first; provinces, then communes and wards, then former units; by code."""
    order = ("province", "commune", "ward", "former_province", "former_district")
    level = order.index(unit.level) if unit.level in order else len(order)
    return not unit.is_current, level, unit.code


class AdminUnitRepository:
    """Units' codes and boundaries over one session; geometry in the cadastral CRS."""

    def __init__(self, session: Session, cadastral_srid: int) -> None:
        self.session = session
        self.srid = cadastral_srid

    def expected_area(self, communes: list[str]) -> BaseGeometry:
        """The union of these communes' boundaries, else of every current unit's (the
        province), else the province's extent shipped with the reference units."""
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
        return shapely.union_all(shapes) if shapes else province_extent(self.srid)

    def has_boundaries(self, communes: list[str]) -> bool:
        """True when a boundary of one of these communes is loaded."""
        statement = select(AdminUnit.code).where(
            AdminUnit.geom.is_not(None), AdminUnit.code.in_(communes)
        )
        return bool(communes) and self.session.scalars(statement.limit(1)).first() is not None

    def listed(self) -> list[tuple[AdministrativeUnit, bool]]:
        """Every unit the database holds, by level and code, and whether its boundary is
        loaded."""
        rows = self.session.execute(select(AdminUnit, AdminUnit.geom.is_not(None)))
        listed = [
            (AdministrativeUnit(row.code, **{name: getattr(row, name) for name in _FROM_REFERENCE}),
             bool(has_boundary))
            for row, has_boundary in rows
        ]  # fmt: skip
        return sorted(listed, key=lambda item: _rank(item[0]))

    def replace_units(self, units: list[AdministrativeUnit]) -> tuple[int, int]:
        """Make ``units`` the units the database holds: the others are removed, unless a
        parcel of the register lies in one (then nothing changes); returns how many were
        added or changed and how many removed."""
        keep = {unit.code for unit in units}
        dropped = self.codes() - keep
        used = sorted(
            self.session.scalars(
                select(ParcelRow.commune_code).where(ParcelRow.commune_code.in_(dropped)).distinct()
            )
        )
        if used:
            raise ConflictError(
                f"sổ đăng ký có thửa đất ở xã {', '.join(used[:10])} mà tệp không có / the "
                f"register holds parcels of unit(s) {', '.join(used[:10])}, which the file "
                "does not list",
                field="code",
                value=used[:10],
            )
        if dropped:
            self.session.execute(delete(AdminUnit).where(AdminUnit.code.in_(dropped)))
        return self.sync_units(units), len(dropped)

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
