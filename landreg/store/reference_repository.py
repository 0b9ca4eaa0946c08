"""The reference tables as the register database holds them (administrative units).

The bundled reference (:mod:`landreg.domain.reference`) is the truth; the database keeps a
copy so that queries can join it, plus what only the database has (the units' boundaries,
loaded from maps). The repository never commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from landreg.domain.reference import AdministrativeUnit
from landreg.store.tables import AdminUnit

# The columns the reference decides; ``geom`` is the database's own.
_FROM_REFERENCE = (
    "level", "name", "parent_code", "valid_from", "valid_to", "successor_code",
    "cadastral_srid", "remote", "official",
)  # fmt: skip


class ReferenceRepository:
    """Administrative units as stored, brought in line with the reference."""

    def __init__(self, session: Session) -> None:
        self.session = session

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
