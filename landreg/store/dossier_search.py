"""Finding dossiers for an officer: by code, applicant, parcel key or certificate serial,
filtered by status, procedure and office, newest first; and what their clocks are read from.

The applicant's name is compared folded in the database (:mod:`landreg.store.text_folding`),
a parcel key and a serial through the dossier's parcel links (certificates and register
entries of the linked parcel), so that a page of results is one counted, limited query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from landreg.domain.dossier import HELD_LINKS, Dossier, DossierFilter
from landreg.store.tables import (
    CertificateRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
)
from landreg.store.text_folding import folded

_NEWEST_FIRST = (DossierRow.received_at.desc(), DossierRow.id.desc())


class DossierSearch:
    """The search half of the dossier repository (mixed into it); never commits."""

    session: Session

    def count_matching(self, wanted: DossierFilter) -> int:
        """How many dossiers match."""
        statement = select(func.count()).select_from(DossierRow).where(_condition(wanted))
        return self.session.scalar(statement) or 0

    def ids_matching(self, wanted: DossierFilter) -> list[int]:
        """The ids of every matching dossier, newest first."""
        statement = select(DossierRow.id).where(_condition(wanted)).order_by(*_NEWEST_FIRST)
        return list(self.session.scalars(statement))

    def page_matching(self, wanted: DossierFilter, *, limit: int, offset: int) -> list[Dossier]:
        """One page of the matching dossiers, newest first."""
        statement = (
            select(DossierRow)
            .where(_condition(wanted))
            .order_by(*_NEWEST_FIRST)
            .limit(limit)
            .offset(offset)
        )
        return [dossier_of(row) for row in self.session.scalars(statement)]

    def by_ids(self, ids: Sequence[int]) -> list[Dossier]:
        """The dossiers with these ids, in the order given."""
        if not ids:
            return []
        rows = self.session.scalars(select(DossierRow).where(DossierRow.id.in_(ids)))
        found = {row.id: row for row in rows}
        return [dossier_of(found[i]) for i in ids if i in found]

    def clock_frames(self, ids: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """What the clocks of these dossiers are read from, as the statistics read it: one row
        per dossier (id, procedure, declared_commune, linked_commune) and their events in
        time order (dossier_id, at, to_status)."""
        linked = (
            select(
                DossierParcelLinkRow.dossier_id,
                func.min(ParcelRow.commune_code).label("linked_commune"),
            )
            .join(ParcelRow, ParcelRow.id == DossierParcelLinkRow.parcel_id)
            .where(
                DossierParcelLinkRow.status.in_(HELD_LINKS),
                DossierParcelLinkRow.dossier_id.in_(ids),
            )
            .group_by(DossierParcelLinkRow.dossier_id)
            .subquery()
        )
        dossiers = self._frame(
            select(
                DossierRow.id, DossierRow.procedure, DossierRow.declared_commune,
                linked.c.linked_commune,
            )
            .outerjoin(linked, linked.c.dossier_id == DossierRow.id)
            .where(DossierRow.id.in_(ids))
        )  # fmt: skip
        events = self._frame(
            select(DossierEventRow.dossier_id, DossierEventRow.at, DossierEventRow.to_status)
            .where(DossierEventRow.dossier_id.in_(ids))
            .order_by(DossierEventRow.dossier_id, DossierEventRow.at, DossierEventRow.id)
        )
        return dossiers, events

    def _frame(self, statement: Any) -> pd.DataFrame:
        result = self.session.execute(statement)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def dossier_of(row: DossierRow) -> Dossier:
    """The read model of a dossier row."""
    return Dossier(
        row.id, row.code, row.procedure, row.status, row.version, row.office, row.applicant_name,
        row.applicant_identity, row.received_at, row.due_on, row.processed_on, row.returned_on,
    )  # fmt: skip


def _condition(wanted: DossierFilter) -> ColumnElement[bool]:
    """The WHERE clause of a search."""
    parts: list[ColumnElement[bool]] = []
    if wanted.has_text:
        parts.append(_text_condition(wanted))
    if wanted.statuses is not None:
        parts.append(DossierRow.status.in_(wanted.statuses) if wanted.statuses else false())
    if wanted.procedure is not None:
        parts.append(DossierRow.procedure == wanted.procedure)
    if wanted.office is not None:
        parts.append(func.upper(DossierRow.office) == wanted.office.upper())
    return true().self_group() if not parts else _all(parts)


def _all(parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    condition = parts[0]
    for part in parts[1:]:
        condition = condition & part
    return condition


def _text_condition(wanted: DossierFilter) -> ColumnElement[bool]:
    """Any reading of the search text: code, applicant name, parcel key, serial."""
    readings: list[ColumnElement[bool]] = []
    if wanted.code_part:
        readings.append(DossierRow.code.contains(wanted.code_part, autoescape=True))
    if wanted.name_words:
        name = folded(DossierRow.applicant_name)
        readings.append(_all([name.contains(word, autoescape=True) for word in wanted.name_words]))
    if wanted.parcel_key is not None:
        readings.append(DossierRow.id.in_(_on_parcel(wanted.parcel_key)))
    if wanted.serial is not None:
        readings.append(_compact(DossierRow.declared_serial) == wanted.serial)
        readings.append(DossierRow.id.in_(_with_serial(wanted.serial)))
    return or_(*readings)


def _linked() -> Select[Any]:
    """Ids of dossiers with a parcel link that is not rejected (joined by the caller)."""
    return select(DossierParcelLinkRow.dossier_id).where(DossierParcelLinkRow.status != "rejected")


def _on_parcel(key: tuple[str, int, int]) -> Select[Any]:
    commune, sheet, number = key
    return (
        _linked()
        .join(ParcelRow, ParcelRow.id == DossierParcelLinkRow.parcel_id)
        .where(
            ParcelRow.commune_code == commune,
            ParcelRow.map_sheet == sheet,
            ParcelRow.parcel_number == number,
        )
    )


def _with_serial(serial: str) -> Any:
    """Dossiers whose linked parcel has the certificate, or a register entry naming it."""
    by_certificate = (
        _linked()
        .join(CertificateRow, CertificateRow.parcel_id == DossierParcelLinkRow.parcel_id)
        .where(_compact(CertificateRow.serial) == serial)
    )
    by_register = (
        _linked()
        .join(
            ParcelRegisterLinkRow,
            ParcelRegisterLinkRow.parcel_id == DossierParcelLinkRow.parcel_id,
        )
        .join(RegisterEntryRow, RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id)
        .where(_compact(RegisterEntryRow.certificate_serial) == serial)
    )
    return by_certificate.union(by_register)


def _compact(column: Any) -> Any:
    """A serial as letters and digits only, upper case (``AB 123456`` → ``AB123456``)."""
    return func.replace(func.replace(func.upper(column), " ", ""), "-", "")
