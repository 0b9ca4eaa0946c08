"""Parties resolved across sources: their identity numbers, the register entries resolved to
each, and the review queue of uncertain matches with the officers' decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from landreg.clock import utcnow
from landreg.store.reconcile_repository import read_frame
from landreg.store.tables import (
    Base,
    ParcelRegisterLinkRow,
    ParcelRow,
    PartyEntryRow,
    PartyIdentifierRow,
    PartyLinkRow,
    PartyRow,
    RegisterEntryRow,
    RightRow,
)

# What resolving reads of each register entry.
ENTRY_FACTS = (
    "id", "holder_name", "holder_kind", "identity_number", "previous_identity_number",
    "birth_year", "tax_code", "address", "commune_code", "map_sheet", "parcel_number",
    "source_name", "source_key",
)  # fmt: skip
# What resolving reads of a dossier that states its applicant's earlier number.
DOSSIER_NUMBERS = (
    "code", "source_name", "applicant_name", "applicant_identity", "applicant_previous_identity",
)  # fmt: skip
PARTY_COLUMNS = ("id", "kind", "name", "identity_number", "birth_year", "tax_code", "version")
LINK_COLUMNS = (
    "id", "register_entry_id", "party_id", "reason", "score", "explanation", "status",
    "created_at", "decided_by", "decided_at",
)  # fmt: skip
_CHUNK = 5000
_TABLES = Base.metadata.tables


class PartyLinkRepository:
    """Resolution of register holders into parties, and its review queue."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _frame(self, statement: Any, columns: list[str]) -> pd.DataFrame:
        return read_frame(self.session, statement, columns, False)

    # -- what resolving reads -------------------------------------------------------------

    def entry_facts(self, ids: list[int] | None = None) -> pd.DataFrame:
        """The holder facts of register entries (all current ones, or ``ids``)."""
        table = _TABLES["register_entry"]
        columns = [table.c[name] for name in ENTRY_FACTS]
        if ids is None:
            return self._frame(select(*columns).order_by(table.c.id), list(ENTRY_FACTS))
        return self._by_ids(table, ENTRY_FACTS, ids)

    def resolved(self) -> pd.DataFrame:
        """Every register entry's party as last resolved: register_entry_id, party_id, method."""
        table = _TABLES["party_entry"]
        columns = ["register_entry_id", "party_id", "method"]
        return self._frame(select(*[table.c[c] for c in columns]), columns)

    def identities(self) -> pd.DataFrame:
        """Every known identity number of every party, with where it came from."""
        table = _TABLES["party_identifier"]
        columns = ["party_id", "number", "kind", "origin"]
        return self._frame(select(*[table.c[c] for c in columns]), columns)

    def dossier_numbers(self) -> pd.DataFrame:
        """Dossiers giving their applicant's number and an earlier one: code, source_name,
        applicant_name, applicant_identity, applicant_previous_identity."""
        table = _TABLES["dossier"]
        columns = list(DOSSIER_NUMBERS)
        statement = (
            select(*[table.c[c] for c in columns])
            .where(
                table.c.applicant_previous_identity.is_not(None),
                table.c.applicant_identity.is_not(None),
            )
            .order_by(table.c.id)
        )
        return self._frame(statement, columns)

    def parties(self, ids: list[int]) -> pd.DataFrame:
        """Current rows of these parties."""
        return self._by_ids(_TABLES["party"], PARTY_COLUMNS, ids)

    def _by_ids(self, table: Any, names: Sequence[str], ids: list[int]) -> pd.DataFrame:
        """The rows of ``table`` with these ids (``names`` columns), read in chunks."""
        columns = [table.c[name] for name in names]
        frames = [
            self._frame(
                select(*columns).where(table.c.id.in_(ids[start : start + _CHUNK])), list(names)
            )
            for start in range(0, len(ids), _CHUNK)
        ]
        if not frames:
            return pd.DataFrame(columns=list(names))
        return pd.concat(frames, ignore_index=True)

    def links(self) -> pd.DataFrame:
        """The review queue and every decision made on it."""
        table = _TABLES["party_link"]
        return self._frame(
            select(*[table.c[c] for c in LINK_COLUMNS]).order_by(table.c.id), list(LINK_COLUMNS)
        )

    # -- what resolving writes ------------------------------------------------------------

    def add_parties(self, rows: list[dict[str, Any]], *, actor: str, at: datetime) -> list[int]:
        """Store new parties (version 1) in one statement per chunk; their ids, in order."""
        table = _TABLES["party"]
        ids: list[int] = []
        for start in range(0, len(rows), _CHUNK):
            chunk = [
                {"version": 1, "valid_from": at, "changed_by": actor, "phone": None} | row
                for row in rows[start : start + _CHUNK]
            ]
            result = self.session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
            )
            ids.extend(int(value) for value in result.scalars())
        return ids

    def replace_entries(self, entry_ids: list[int], rows: list[dict[str, Any]]) -> None:
        """The parties of these entries, as just resolved."""
        table = _TABLES["party_entry"]
        for start in range(0, len(entry_ids), _CHUNK):
            self.session.execute(
                delete(table).where(
                    table.c.register_entry_id.in_(entry_ids[start : start + _CHUNK])
                )
            )
        for start in range(0, len(rows), _CHUNK):
            self.session.execute(insert(table), rows[start : start + _CHUNK])

    def add_identities(self, rows: list[dict[str, Any]]) -> None:
        """Identity numbers not yet known for their party: once from the registers or an
        officer, and once from a dossier that states it."""
        if not rows:
            return
        known = {
            (int(party), str(number), origin == "dossier")
            for party, number, origin in self.session.execute(
                select(
                    PartyIdentifierRow.party_id,
                    PartyIdentifierRow.number,
                    PartyIdentifierRow.origin,
                )
            )
        }
        now = utcnow()
        fresh, seen = [], set()
        for row in rows:
            key = (int(row["party_id"]), str(row["number"]), row["origin"] == "dossier")
            if key in known or key in seen:
                continue
            seen.add(key)
            fresh.append({"recorded_at": now} | row)
        for start in range(0, len(fresh), _CHUNK):
            self.session.execute(insert(_TABLES["party_identifier"]), fresh[start : start + _CHUNK])

    def replace_pending(self, entry_ids: list[int], rows: list[dict[str, Any]]) -> None:
        """The undecided matches of these entries, as just found (decided ones stay)."""
        table = _TABLES["party_link"]
        for start in range(0, len(entry_ids), _CHUNK):
            self.session.execute(
                delete(table).where(
                    table.c.status == "review",
                    table.c.register_entry_id.in_(entry_ids[start : start + _CHUNK]),
                )
            )
        now = utcnow()
        rows = [{"created_at": now, "status": "review"} | row for row in rows]
        for start in range(0, len(rows), _CHUNK):
            self.session.execute(insert(table), rows[start : start + _CHUNK])

    # -- the review queue -----------------------------------------------------------------

    def review(self, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
        """Undecided matches, oldest first, with the entry's holder and the candidate party."""
        link, entry, party = PartyLinkRow, RegisterEntryRow, PartyRow
        statement = (
            select(
                link.id,
                link.register_entry_id,
                link.party_id,
                link.reason,
                link.score,
                link.explanation,
                link.status,
                link.created_at,
                entry.holder_name,
                entry.identity_number,
                entry.birth_year,
                entry.source_name,
                entry.source_key,
                entry.commune_code,
                entry.map_sheet,
                entry.parcel_number,
                party.name.label("party_name"),
                party.identity_number.label("party_identity_number"),
                party.birth_year.label("party_birth_year"),
            )
            .join(entry, entry.id == link.register_entry_id)
            .join(party, party.id == link.party_id)
            .where(link.status == "review")
            .order_by(link.id)
            .limit(limit)
            .offset(offset)
        )
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def lock_link(self, link_id: int) -> dict[str, Any] | None:
        """One match, locked until this unit of work ends; None when there is none."""
        table = _TABLES["party_link"]
        row = (
            self.session.execute(select(table).where(table.c.id == link_id).with_for_update())
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    def decide(self, link_id: int, status: str, *, actor: str, at: datetime) -> None:
        """Record an officer's decision on a match."""
        table = _TABLES["party_link"]
        self.session.execute(
            update(table)
            .where(table.c.id == link_id)
            .values(status=status, decided_by=actor, decided_at=at)
        )

    def move_entries(self, from_party: int, to_party: int, entry_id: int) -> None:
        """Put an entry, and every other entry of its party, under another party."""
        table = _TABLES["party_entry"]
        self.session.execute(
            update(table)
            .where((table.c.party_id == from_party) | (table.c.register_entry_id == entry_id))
            .values(party_id=to_party, method="officer")
        )

    def party_of_entry(self, entry_id: int) -> int | None:
        """The party an entry was resolved to."""
        return self.session.scalar(
            select(PartyEntryRow.party_id).where(PartyEntryRow.register_entry_id == entry_id)
        )

    # -- reading a party ------------------------------------------------------------------

    def identity_rows(self, party_id: int) -> list[dict[str, Any]]:
        """A party's identity numbers with where each came from."""
        table = _TABLES["party_identifier"]
        statement = (
            select(
                table.c.number,
                table.c.kind,
                table.c.origin,
                table.c.source_name,
                table.c.source_key,
                table.c.recorded_at,
            )
            .where(table.c.party_id == party_id)
            .order_by(table.c.id)
        )
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def entries_of(self, party_id: int) -> list[dict[str, Any]]:
        """The register entries resolved to a party, each with the map parcel it is linked to
        (None when it has none)."""
        entry, resolved, link = RegisterEntryRow, PartyEntryRow, ParcelRegisterLinkRow
        statement = (
            select(
                entry.id.label("register_entry_id"),
                entry.commune_code,
                entry.map_sheet,
                entry.parcel_number,
                entry.legal_area,
                entry.land_use_code,
                entry.share_percent,
                entry.certificate_serial,
                entry.holder_name,
                entry.source_name,
                entry.source_key,
                link.parcel_id,
                link.match_type,
            )
            .join(resolved, resolved.register_entry_id == entry.id)
            .outerjoin(link, link.register_entry_id == entry.id)
            .where(resolved.party_id == party_id)
            .order_by(entry.commune_code, entry.map_sheet, entry.parcel_number, entry.id)
        )
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def numbers_of(self, party_id: int) -> list[dict[str, Any]]:
        """A party's identity numbers with their sources (to hand to another party)."""
        table = _TABLES["party_identifier"]
        columns = ["number", "kind", "source_name", "source_key", "register_entry_id"]
        statement = select(*[table.c[c] for c in columns]).where(table.c.party_id == party_id)
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def rights_of(self, party_id: int) -> list[dict[str, Any]]:
        """A party's current rights with the key of their parcel."""
        right, parcel = RightRow, ParcelRow
        statement = (
            select(
                right.id,
                right.parcel_id,
                right.kind,
                right.share_percent,
                right.land_use_code,
                right.term_until,
                right.origin,
                right.version,
                parcel.commune_code,
                parcel.map_sheet,
                parcel.parcel_number,
            )
            .join(parcel, parcel.id == right.parcel_id)
            .where(right.party_id == party_id)
            .order_by(parcel.commune_code, parcel.map_sheet, parcel.parcel_number, right.id)
        )
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def review_of_party(self, party_id: int) -> list[dict[str, Any]]:
        """Undecided matches proposing an entry for this party, or this party's entries for
        another."""
        link = PartyLinkRow
        mine = select(PartyEntryRow.register_entry_id).where(PartyEntryRow.party_id == party_id)
        statement = (
            select(
                link.id,
                link.register_entry_id,
                link.party_id,
                link.reason,
                link.score,
                link.explanation,
            )
            .where(
                link.status == "review",
                (link.party_id == party_id) | link.register_entry_id.in_(mine),
            )
            .order_by(link.id)
        )
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def parties_by_number(self, number: str) -> list[int]:
        """Parties holding this identity number (as a register row or an officer gave it)."""
        statement = (
            select(PartyIdentifierRow.party_id)
            .where(PartyIdentifierRow.number == number)
            .distinct()
            .order_by(PartyIdentifierRow.party_id)
        )
        return [int(value) for value in self.session.scalars(statement)]

    def parcels_of_parties(self, party_ids: list[int]) -> list[int]:
        """Map parcels whose register entries are resolved to these parties."""
        if not party_ids:
            return []
        statement = (
            select(ParcelRegisterLinkRow.parcel_id)
            .join(
                PartyEntryRow,
                PartyEntryRow.register_entry_id == ParcelRegisterLinkRow.register_entry_id,
            )
            .where(PartyEntryRow.party_id.in_(party_ids))
            .distinct()
            .order_by(ParcelRegisterLinkRow.parcel_id)
        )
        return [int(value) for value in self.session.scalars(statement)]
