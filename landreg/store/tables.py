"""Tables of the register on PostGIS and SpatiaLite (SQLAlchemy 2 + GeoAlchemy2).

Versioned entities (parcel, party, right, certificate, restriction) keep their current row in
the main table and every earlier version in a ``*_history`` table with the same columns plus
``valid_to``: current lookups stay small and indexed, and "as it was on date D" is a union.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geoalchemy2 import Geometry

from landreg.clock import utcnow

# Fixed when the database is created (LANDREG_CADASTRAL_SRID); the migration writes the
# configured value into the columns and into ``register_meta``.
DEFAULT_CADASTRAL_SRID = 9209

JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base; the naming convention keeps constraint names equal on both backends."""

    metadata = MetaData(naming_convention=NAMING)


def _multipolygon() -> Any:
    return Geometry("MULTIPOLYGON", srid=DEFAULT_CADASTRAL_SRID, spatial_index=True)


class Versioned:
    """Columns of a versioned entity: version counter and start of the current version's life."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    valid_from: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(120))
    source_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)


class FromSource:
    """Provenance of a record taken in from a source file: which source, record, batch, row."""

    source_name: Mapped[str | None] = mapped_column(String(120))
    source_key: Mapped[str | None] = mapped_column(String(120))
    source_row: Mapped[str | None] = mapped_column(String(40))
    record_hash: Mapped[str | None] = mapped_column(String(64))
    intake_notes: Mapped[list[str] | None] = mapped_column(JSONType)


class RegisterMeta(Base):
    """Facts about this database fixed at creation (cadastral SRID, province code)."""

    __tablename__ = "register_meta"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class AdminUnit(Base):
    """Provinces, communes and wards, current and historical ("đơn vị hành chính")."""

    __tablename__ = "admin_unit"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(String(10))
    valid_from: Mapped[datetime | None] = mapped_column(Date)
    valid_to: Mapped[datetime | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(String(10))
    cadastral_srid: Mapped[int | None] = mapped_column(Integer)
    remote: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    official: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    geom = mapped_column(_multipolygon())


class SourceBatchRow(Base):
    """One file taken in (provenance): name, size, SHA-256, profile, who and when."""

    __tablename__ = "source_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_name: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    profile: Mapped[str | None] = mapped_column(String(80))
    layer: Mapped[str | None] = mapped_column(String(120))
    source_srid: Mapped[int | None] = mapped_column(Integer)
    commune_code: Mapped[str | None] = mapped_column(String(10))
    actor: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    warnings: Mapped[list[Any] | None] = mapped_column(JSONType)
    data_as_of: Mapped[datetime | None] = mapped_column(DateTime)
    data_as_of_from: Mapped[str | None] = mapped_column(String(30))


class QuarantineRow(Base):
    """A source row refused at ingest, kept whole with the reason, so nothing is lost."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("source_batch.id"), nullable=False, index=True)
    row_ref: Mapped[str] = mapped_column(String(80), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    field: Mapped[str | None] = mapped_column(String(80))
    value: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class ParcelRow(Versioned, FromSource, Base):
    """Current version of each parcel ("thửa đất"); sheet and number may be missing in sources."""

    __tablename__ = "parcel"
    __table_args__ = (
        Index(None, "commune_code", "map_sheet", "parcel_number"),
        Index(None, "source_name", "source_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    map_sheet: Mapped[int | None] = mapped_column(Integer)
    parcel_number: Mapped[int | None] = mapped_column(Integer)
    old_map_sheet: Mapped[int | None] = mapped_column(Integer)
    old_parcel_number: Mapped[int | None] = mapped_column(Integer)
    legal_area: Mapped[float | None] = mapped_column(Float)
    measured_area: Mapped[float | None] = mapped_column(Float)
    # the cadastral map's land use; the land register's is ``legal_land_use_code``
    land_use_code: Mapped[str | None] = mapped_column(String(10))
    land_use_text: Mapped[str | None] = mapped_column(Text)
    legal_land_use_code: Mapped[str | None] = mapped_column(String(10))
    map_area: Mapped[float | None] = mapped_column(Float)
    parent_ref: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    source_srid: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(_multipolygon())
    # mã định danh thửa đất: assigned by reconciliation, kept while the parcel exists
    national_id: Mapped[str | None] = mapped_column(String(12), index=True)
    # the identifier a delivery carried, checked against the computed one
    delivered_national_id: Mapped[str | None] = mapped_column(String(40))
    # per field taken from the land registers: the entry it came from and why that source won
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class MapStripRow(FromSource, Base):
    """Roads, canals and verges drawn on the cadastral map: land between parcels, not a gap."""

    __tablename__ = "map_strip"
    __table_args__ = (Index(None, "source_name", "source_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    kind: Mapped[str | None] = mapped_column(String(60))
    width: Mapped[float | None] = mapped_column(Float)
    land_use_text: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    source_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    geom = mapped_column(_multipolygon())


class RegisterEntryRow(Versioned, FromSource, Base):
    """A row of the land register ("sổ địa chính"): one parcel and one holder, as written.

    Numbers and codes are kept as written next to their parsed values, so that reconciling
    can tell a typo from a disagreement.
    """

    __tablename__ = "register_entry"
    __table_args__ = (
        Index(None, "commune_code", "map_sheet", "parcel_number"),
        Index(None, "source_name", "source_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str | None] = mapped_column(String(10))
    map_sheet: Mapped[int | None] = mapped_column(Integer)
    parcel_number: Mapped[int | None] = mapped_column(Integer)
    map_sheet_text: Mapped[str | None] = mapped_column(String(20))
    parcel_number_text: Mapped[str | None] = mapped_column(String(20))
    old_map_sheet: Mapped[int | None] = mapped_column(Integer)
    old_parcel_number: Mapped[int | None] = mapped_column(Integer)
    legal_area: Mapped[float | None] = mapped_column(Float)
    land_use_text: Mapped[str | None] = mapped_column(Text)
    land_use_code: Mapped[str | None] = mapped_column(String(10))
    term_text: Mapped[str | None] = mapped_column(Text)
    holder_name: Mapped[str | None] = mapped_column(Text)
    holder_kind: Mapped[str | None] = mapped_column(String(40))
    identity_number: Mapped[str | None] = mapped_column(String(20), index=True)
    previous_identity_number: Mapped[str | None] = mapped_column(String(20))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    tax_code: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    share_percent: Mapped[float | None] = mapped_column(Float)
    certificate_serial: Mapped[str | None] = mapped_column(String(20), index=True)
    book_entry: Mapped[str | None] = mapped_column(String(40))
    issued_on: Mapped[datetime | None] = mapped_column(Date)
    mortgage_holder: Mapped[str | None] = mapped_column(Text)
    mortgage_on: Mapped[datetime | None] = mapped_column(Date)
    seizure_text: Mapped[str | None] = mapped_column(Text)
    parent_ref: Mapped[str | None] = mapped_column(Text)


class ParcelRegisterLinkRow(Base):
    """Which register entries describe which map parcel, and how the match was made."""

    __tablename__ = "parcel_register_link"
    __table_args__ = (UniqueConstraint("parcel_id", "register_entry_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id"), nullable=False, index=True)
    register_entry_id: Mapped[int] = mapped_column(
        ForeignKey("register_entry.id"), nullable=False, index=True
    )
    match_type: Mapped[str] = mapped_column(String(20), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class ParcelLineageRow(Base):
    """Parent → child links of subdivisions and mergers ("tách thửa", "hợp thửa").

    Not foreign keys: a parent leaves the current register when it is split, so ``parent_id``
    and ``child_id`` name a current parcel or one in ``parcel_history``; a parent named only by
    a delivery (never in this register) has its key and no id."""

    __tablename__ = "parcel_lineage"
    __table_args__ = (UniqueConstraint("child_id", "parent_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    child_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    on_date: Mapped[datetime | None] = mapped_column(Date)
    parent_key: Mapped[str] = mapped_column(String(60), nullable=False)
    child_key: Mapped[str | None] = mapped_column(String(60))
    parent_national_id: Mapped[str | None] = mapped_column(String(12))
    child_national_id: Mapped[str | None] = mapped_column(String(12))
    # "source": the delivery named the parent; "geometry": a retired parcel's ground
    evidence: Mapped[str] = mapped_column(String(20), nullable=False)
    source_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class PartyRow(Versioned, Base):
    """People, households, couples, organisations and communities that hold rights."""

    __tablename__ = "party"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    identity_number: Mapped[str | None] = mapped_column(String(20), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    tax_code: Mapped[str | None] = mapped_column(String(20), index=True)


class PartyIdentifierRow(Base):
    """An identity number of a party (CCCD, old CMND, passport, tax code) and where it came
    from: a register row, a row's previous number, an officer's decision, or a dossier that
    gives the number with the applicant's previous one (``source_key`` its code). A number is
    kept once from the registers or officers and once from a dossier."""

    __tablename__ = "party_identifier"
    __table_args__ = (UniqueConstraint("party_id", "number", "origin"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    origin: Mapped[str] = mapped_column(String(20), nullable=False)
    source_name: Mapped[str | None] = mapped_column(String(120))
    source_key: Mapped[str | None] = mapped_column(String(120))
    register_entry_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class PartyEntryRow(Base):
    """The party a register entry's holder was resolved to, and how."""

    __tablename__ = "party_entry"
    register_entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(30), nullable=False)


class PartyLinkRow(Base):
    """An uncertain match of a register entry's holder with a party, for an officer to
    confirm or reject; decisions are kept and honoured on the next reconciliation."""

    __tablename__ = "party_link"
    __table_args__ = (UniqueConstraint("register_entry_id", "party_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_entry_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    explanation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class PartyMemberRow(Base):
    """Members of a household, couple or community party (LADM group party)."""

    __tablename__ = "party_member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    role: Mapped[str | None] = mapped_column(String(40))


class RightRow(Versioned, Base):
    """A party's right on a parcel, with its share."""

    __tablename__ = "land_right"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id"), nullable=False, index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    share_percent: Mapped[float] = mapped_column(Float, nullable=False)
    land_use_code: Mapped[str | None] = mapped_column(String(10))
    term_until: Mapped[datetime | None] = mapped_column(Date)
    origin: Mapped[str | None] = mapped_column(Text)
    # per field taken from the land registers: the entry it came from and why that source won
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class CertificateRow(Versioned, Base):
    """Certificates with serial, issue date, book entry and status."""

    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcel.id"), index=True)
    issued_on: Mapped[datetime | None] = mapped_column(Date)
    book_entry: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="valid")
    # per field taken from the land registers: the entry it came from and why that source won
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class RestrictionRow(Versioned, Base):
    """Mortgages, seizures and planning restrictions."""

    __tablename__ = "restriction"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    holder: Mapped[str | None] = mapped_column(Text)
    registered_on: Mapped[datetime | None] = mapped_column(Date)
    released_on: Mapped[datetime | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(80))
    # per field taken from the land registers: the entry it came from and why that source won
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class DossierRow(FromSource, Base):
    """An application at the one-stop shop, with the parcel reference as written on the form.

    Times of a dossier are the province's local time (UTC+7), as the one-stop shop records
    them and as working-day deadlines are counted.
    """

    __tablename__ = "dossier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    procedure: Mapped[str] = mapped_column(String(40), nullable=False)
    procedure_code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40), nullable=False)
    office: Mapped[str | None] = mapped_column(String(80))
    applicant_name: Mapped[str | None] = mapped_column(Text)
    applicant_identity: Mapped[str | None] = mapped_column(String(20), index=True)
    # the applicant's earlier number (the old CMND next to the CCCD), "Số CMND cũ"
    applicant_previous_identity: Mapped[str | None] = mapped_column(String(20))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    declared_commune: Mapped[str | None] = mapped_column(Text)
    declared_map_sheet: Mapped[str | None] = mapped_column(String(20))
    declared_parcel_number: Mapped[str | None] = mapped_column(String(20))
    declared_serial: Mapped[str | None] = mapped_column(String(20))
    declared_area: Mapped[float | None] = mapped_column(Float)
    declared_land_use: Mapped[str | None] = mapped_column(String(20))
    requested_land_use: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    processed_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    source_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read by SQLAlchemy


class DossierEventRow(Base):
    """A step in a dossier's life: status change, who, when (local time)."""

    __tablename__ = "dossier_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    actor: Mapped[str | None] = mapped_column(String(120))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40), nullable=False)
    step: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class DossierDocumentRow(Base):
    """A document submitted with a dossier."""

    __tablename__ = "dossier_document"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), nullable=False, index=True)
    document_code: Mapped[str] = mapped_column(String(60), nullable=False)
    received_at: Mapped[datetime | None] = mapped_column(DateTime)


class DossierDocumentRequestRow(Base):
    """Documents an officer asked the citizen to bring ("yêu cầu bổ sung giấy tờ"): each item a
    code of the document catalogue or free text as written; open until ``closed_at``."""

    __tablename__ = "dossier_document_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A dossier a source no longer delivers is deleted with its requests.
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    items: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(120), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class DossierParcelLinkRow(Base):
    """The parcel a dossier was linked to: method, confidence, explanation, review status."""

    __tablename__ = "dossier_parcel_link"
    __table_args__ = (UniqueConstraint("dossier_id", "parcel_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), nullable=False, index=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(30), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    explanation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReconcileRunRow(Base):
    """A commune checked by a reconciliation, and when: what the dashboard's "parcels checked"
    is read from, whether or not the run changed anything."""

    __tablename__ = "reconcile_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class FindingRow(Base):
    """A detected problem, with a stable fingerprint so re-running a check never duplicates it.

    ``status``: open, closed (its cause is gone; ``closed_batch_id`` says by which batch),
    fixed (a suggested fix was applied) or dismissed (with ``resolution`` saying why).
    """

    __tablename__ = "finding"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    rule: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open", index=True)
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    subjects: Mapped[list[Any]] = mapped_column(JSONType, nullable=False)
    measured: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    suggestion: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    message_vi: Mapped[str] = mapped_column(Text, nullable=False)
    message_en: Mapped[str] = mapped_column(Text, nullable=False)
    opened_batch_id: Mapped[int | None] = mapped_column(Integer)
    closed_batch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    geom = mapped_column(Geometry("GEOMETRY", srid=DEFAULT_CADASTRAL_SRID, spatial_index=True))


class AuditRow(Base):
    """Who changed what, when, with the record before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class AppUserRow(Base):
    """A person who signs in: officer, cadastral staff or administrator."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class ApiKeyRow(Base):
    """A key another system uses to call the API; only its hash is kept."""

    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


def history_table(current: Table) -> Table:
    """The ``<name>_history`` table of a versioned table: its columns, plus ``valid_to``.

    Earlier versions lose their constraints (a history row may point at a parcel that was
    merged away) but keep their geometry, indexed like the current one.
    """
    columns: list[Column[Any]] = [Column("history_id", Integer, primary_key=True)]
    for column in current.columns:
        kind = column.type
        if isinstance(kind, Geometry):
            kind = Geometry(kind.geometry_type, srid=kind.srid, spatial_index=True)
        columns.append(Column(column.name, kind, nullable=not column.primary_key))
    columns.append(Column("valid_to", DateTime, nullable=False))
    table = Table(f"{current.name}_history", current.metadata, *columns)
    Index(f"ix_{table.name}_id_valid", table.c.id, table.c.valid_from)
    return table


VERSIONED_TABLES = {
    row.__tablename__: Base.metadata.tables[row.__tablename__]
    for row in (ParcelRow, RegisterEntryRow, PartyRow, RightRow, CertificateRow, RestrictionRow)
}
HISTORY_TABLES = {name: history_table(table) for name, table in VERSIONED_TABLES.items()}
