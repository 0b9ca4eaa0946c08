"""initial register schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Creates every table of the register on PostGIS or SpatiaLite, registers the VN-2000 TM-3
CRSs the database lacks (EPSG:9209, EPSG:9210) and fixes the cadastral SRID.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from geoalchemy2 import Geometry

from landreg.store.spatial_ref import prepare_spatial_database

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    srid = int(op.get_context().config.attributes.get("cadastral_srid", 9209))
    prepare_spatial_database(op.get_bind(), srid)
    op.create_geospatial_table(
        "admin_unit",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("parent_code", sa.String(length=10), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(length=10), nullable=True),
        sa.Column("cadastral_srid", sa.Integer(), nullable=True),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=srid,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_admin_unit")),
    )
    op.create_geospatial_index(
        "idx_admin_unit_geom",
        "admin_unit",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_key_name")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "certificate_history",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=16), nullable=True),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("book_entry", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_certificate_history")),
    )
    op.create_index(
        "ix_certificate_history_id_valid", "certificate_history", ["id", "valid_from"], unique=False
    )
    op.create_table(
        "dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("procedure", sa.String(length=40), nullable=False),
        sa.Column("procedure_code", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("office", sa.String(length=80), nullable=True),
        sa.Column("applicant_name", sa.Text(), nullable=True),
        sa.Column("applicant_identity", sa.String(length=20), nullable=True),
        sa.Column("applicant_phone", sa.String(length=20), nullable=True),
        sa.Column("declared_commune", sa.Text(), nullable=True),
        sa.Column("declared_map_sheet", sa.String(length=20), nullable=True),
        sa.Column("declared_parcel_number", sa.String(length=20), nullable=True),
        sa.Column("declared_serial", sa.String(length=20), nullable=True),
        sa.Column("declared_area", sa.Float(), nullable=True),
        sa.Column("declared_land_use", sa.String(length=20), nullable=True),
        sa.Column("requested_land_use", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("processed_on", sa.Date(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("source_row", sa.String(length=40), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "intake_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier")),
        sa.UniqueConstraint("code", name=op.f("uq_dossier_code")),
    )
    op.create_index(
        op.f("ix_dossier_applicant_identity"), "dossier", ["applicant_identity"], unique=False
    )
    op.create_index(
        op.f("ix_dossier_source_batch_id"), "dossier", ["source_batch_id"], unique=False
    )
    op.create_geospatial_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=True),
        sa.Column(
            "subjects",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "measured",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "suggestion",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("message_vi", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("opened_batch_id", sa.Integer(), nullable=True),
        sa.Column("closed_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                srid=srid,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_finding_fingerprint")),
    )
    op.create_geospatial_index(
        "idx_finding_geom",
        "finding",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_finding_commune_code"), "finding", ["commune_code"], unique=False)
    op.create_index(op.f("ix_finding_rule"), "finding", ["rule"], unique=False)
    op.create_index(op.f("ix_finding_status"), "finding", ["status"], unique=False)
    op.create_table(
        "land_right_history",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("share_percent", sa.Float(), nullable=True),
        sa.Column("land_use_code", sa.String(length=10), nullable=True),
        sa.Column("term_until", sa.Date(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_land_right_history")),
    )
    op.create_index(
        "ix_land_right_history_id_valid", "land_right_history", ["id", "valid_from"], unique=False
    )
    op.create_geospatial_table(
        "map_strip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=True),
        sa.Column("width", sa.Float(), nullable=True),
        sa.Column("land_use_text", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=srid,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("source_row", sa.String(length=40), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "intake_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_strip")),
    )
    op.create_geospatial_index(
        "idx_map_strip_geom",
        "map_strip",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_map_strip_commune_code"), "map_strip", ["commune_code"], unique=False)
    op.create_index(
        op.f("ix_map_strip_source_batch_id"), "map_strip", ["source_batch_id"], unique=False
    )
    op.create_index(
        op.f("ix_map_strip_source_name_source_key"),
        "map_strip",
        ["source_name", "source_key"],
        unique=False,
    )
    op.create_geospatial_table(
        "parcel_history",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=True),
        sa.Column("map_sheet", sa.Integer(), nullable=True),
        sa.Column("parcel_number", sa.Integer(), nullable=True),
        sa.Column("old_map_sheet", sa.Integer(), nullable=True),
        sa.Column("old_parcel_number", sa.Integer(), nullable=True),
        sa.Column("legal_area", sa.Float(), nullable=True),
        sa.Column("measured_area", sa.Float(), nullable=True),
        sa.Column("land_use_code", sa.String(length=10), nullable=True),
        sa.Column("land_use_text", sa.Text(), nullable=True),
        sa.Column("map_area", sa.Float(), nullable=True),
        sa.Column("parent_ref", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("source_srid", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=srid,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("source_row", sa.String(length=40), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "intake_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_parcel_history")),
    )
    op.create_geospatial_index(
        "idx_parcel_history_geom",
        "parcel_history",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_parcel_history_id_valid", "parcel_history", ["id", "valid_from"], unique=False
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("identity_number", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party")),
    )
    op.create_index(op.f("ix_party_identity_number"), "party", ["identity_number"], unique=False)
    op.create_index(op.f("ix_party_source_batch_id"), "party", ["source_batch_id"], unique=False)
    op.create_table(
        "party_history",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("identity_number", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_party_history")),
    )
    op.create_index(
        "ix_party_history_id_valid", "party_history", ["id", "valid_from"], unique=False
    )
    op.create_table(
        "register_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=True),
        sa.Column("map_sheet", sa.Integer(), nullable=True),
        sa.Column("parcel_number", sa.Integer(), nullable=True),
        sa.Column("map_sheet_text", sa.String(length=20), nullable=True),
        sa.Column("parcel_number_text", sa.String(length=20), nullable=True),
        sa.Column("old_map_sheet", sa.Integer(), nullable=True),
        sa.Column("old_parcel_number", sa.Integer(), nullable=True),
        sa.Column("legal_area", sa.Float(), nullable=True),
        sa.Column("land_use_text", sa.Text(), nullable=True),
        sa.Column("land_use_code", sa.String(length=10), nullable=True),
        sa.Column("term_text", sa.Text(), nullable=True),
        sa.Column("holder_name", sa.Text(), nullable=True),
        sa.Column("holder_kind", sa.String(length=40), nullable=True),
        sa.Column("identity_number", sa.String(length=20), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("tax_code", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("share_percent", sa.Float(), nullable=True),
        sa.Column("certificate_serial", sa.String(length=20), nullable=True),
        sa.Column("book_entry", sa.String(length=40), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("mortgage_holder", sa.Text(), nullable=True),
        sa.Column("mortgage_on", sa.Date(), nullable=True),
        sa.Column("seizure_text", sa.Text(), nullable=True),
        sa.Column("parent_ref", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("source_row", sa.String(length=40), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "intake_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry")),
    )
    op.create_index(
        op.f("ix_register_entry_certificate_serial"),
        "register_entry",
        ["certificate_serial"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_commune_code_map_sheet_parcel_number"),
        "register_entry",
        ["commune_code", "map_sheet", "parcel_number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_identity_number"),
        "register_entry",
        ["identity_number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_source_batch_id"),
        "register_entry",
        ["source_batch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_source_name_source_key"),
        "register_entry",
        ["source_name", "source_key"],
        unique=False,
    )
    op.create_table(
        "register_entry_history",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=True),
        sa.Column("map_sheet", sa.Integer(), nullable=True),
        sa.Column("parcel_number", sa.Integer(), nullable=True),
        sa.Column("map_sheet_text", sa.String(length=20), nullable=True),
        sa.Column("parcel_number_text", sa.String(length=20), nullable=True),
        sa.Column("old_map_sheet", sa.Integer(), nullable=True),
        sa.Column("old_parcel_number", sa.Integer(), nullable=True),
        sa.Column("legal_area", sa.Float(), nullable=True),
        sa.Column("land_use_text", sa.Text(), nullable=True),
        sa.Column("land_use_code", sa.String(length=10), nullable=True),
        sa.Column("term_text", sa.Text(), nullable=True),
        sa.Column("holder_name", sa.Text(), nullable=True),
        sa.Column("holder_kind", sa.String(length=40), nullable=True),
        sa.Column("identity_number", sa.String(length=20), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("tax_code", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("share_percent", sa.Float(), nullable=True),
        sa.Column("certificate_serial", sa.String(length=20), nullable=True),
        sa.Column("book_entry", sa.String(length=40), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("mortgage_holder", sa.Text(), nullable=True),
        sa.Column("mortgage_on", sa.Date(), nullable=True),
        sa.Column("seizure_text", sa.Text(), nullable=True),
        sa.Column("parent_ref", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("source_row", sa.String(length=40), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "intake_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_register_entry_history")),
    )
    op.create_index(
        "ix_register_entry_history_id_valid",
        "register_entry_history",
        ["id", "valid_from"],
        unique=False,
    )
    op.create_table(
        "register_meta",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_register_meta")),
    )
    op.create_table(
        "restriction_history",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_restriction_history")),
    )
    op.create_index(
        "ix_restriction_history_id_valid", "restriction_history", ["id", "valid_from"], unique=False
    )
    op.create_table(
        "source_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.String(length=120), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=80), nullable=True),
        sa.Column("layer", sa.String(length=120), nullable=True),
        sa.Column("source_srid", sa.Integer(), nullable=True),
        sa.Column("commune_code", sa.String(length=10), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_batch")),
    )
    op.create_index(op.f("ix_source_batch_sha256"), "source_batch", ["sha256"], unique=False)
    op.create_index(
        op.f("ix_source_batch_source_name"), "source_batch", ["source_name"], unique=False
    )
    op.create_table(
        "dossier_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("document_code", sa.String(length=60), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_document_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_document")),
    )
    op.create_index(
        op.f("ix_dossier_document_dossier_id"), "dossier_document", ["dossier_id"], unique=False
    )
    op.create_table(
        "dossier_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("from_status", sa.String(length=40), nullable=True),
        sa.Column("to_status", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_event_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_event")),
    )
    op.create_index(
        op.f("ix_dossier_event_dossier_id"), "dossier_event", ["dossier_id"], unique=False
    )
    op.create_geospatial_table(
        "parcel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("map_sheet", sa.Integer(), nullable=True),
        sa.Column("parcel_number", sa.Integer(), nullable=True),
        sa.Column("old_map_sheet", sa.Integer(), nullable=True),
        sa.Column("old_parcel_number", sa.Integer(), nullable=True),
        sa.Column("legal_area", sa.Float(), nullable=True),
        sa.Column("measured_area", sa.Float(), nullable=True),
        sa.Column("land_use_code", sa.String(length=10), nullable=True),
        sa.Column("land_use_text", sa.Text(), nullable=True),
        sa.Column("map_area", sa.Float(), nullable=True),
        sa.Column("parent_ref", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("source_srid", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=srid,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("source_row", sa.String(length=40), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "intake_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["admin_unit.code"], name=op.f("fk_parcel_commune_code_admin_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel")),
    )
    op.create_geospatial_index(
        "idx_parcel_geom",
        "parcel",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_parcel_commune_code_map_sheet_parcel_number"),
        "parcel",
        ["commune_code", "map_sheet", "parcel_number"],
        unique=False,
    )
    op.create_index(op.f("ix_parcel_source_batch_id"), "parcel", ["source_batch_id"], unique=False)
    op.create_index(
        op.f("ix_parcel_source_name_source_key"),
        "parcel",
        ["source_name", "source_key"],
        unique=False,
    )
    op.create_table(
        "party_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["party.id"], name=op.f("fk_party_member_group_id_party")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["party.id"], name=op.f("fk_party_member_member_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_member")),
    )
    op.create_index(op.f("ix_party_member_group_id"), "party_member", ["group_id"], unique=False)
    op.create_index(op.f("ix_party_member_member_id"), "party_member", ["member_id"], unique=False)
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_ref", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=80), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["source_batch.id"], name=op.f("fk_quarantine_batch_id_source_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(op.f("ix_quarantine_batch_id"), "quarantine", ["batch_id"], unique=False)
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=16), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("book_entry", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcel.id"], name=op.f("fk_certificate_parcel_id_parcel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
    )
    op.create_index(op.f("ix_certificate_parcel_id"), "certificate", ["parcel_id"], unique=False)
    op.create_index(op.f("ix_certificate_serial"), "certificate", ["serial"], unique=False)
    op.create_index(
        op.f("ix_certificate_source_batch_id"), "certificate", ["source_batch_id"], unique=False
    )
    op.create_table(
        "dossier_parcel_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_parcel_link_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcel.id"], name=op.f("fk_dossier_parcel_link_parcel_id_parcel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_parcel_link")),
        sa.UniqueConstraint(
            "dossier_id", "parcel_id", name=op.f("uq_dossier_parcel_link_dossier_id_parcel_id")
        ),
    )
    op.create_index(
        op.f("ix_dossier_parcel_link_dossier_id"),
        "dossier_parcel_link",
        ["dossier_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dossier_parcel_link_parcel_id"), "dossier_parcel_link", ["parcel_id"], unique=False
    )
    op.create_table(
        "land_right",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("share_percent", sa.Float(), nullable=False),
        sa.Column("land_use_code", sa.String(length=10), nullable=True),
        sa.Column("term_until", sa.Date(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcel.id"], name=op.f("fk_land_right_parcel_id_parcel")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_land_right_party_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_land_right")),
    )
    op.create_index(op.f("ix_land_right_parcel_id"), "land_right", ["parcel_id"], unique=False)
    op.create_index(op.f("ix_land_right_party_id"), "land_right", ["party_id"], unique=False)
    op.create_index(
        op.f("ix_land_right_source_batch_id"), "land_right", ["source_batch_id"], unique=False
    )
    op.create_table(
        "parcel_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["parcel.id"], name=op.f("fk_parcel_lineage_child_id_parcel")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["parcel.id"], name=op.f("fk_parcel_lineage_parent_id_parcel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_lineage")),
    )
    op.create_index(
        op.f("ix_parcel_lineage_child_id"), "parcel_lineage", ["child_id"], unique=False
    )
    op.create_index(
        op.f("ix_parcel_lineage_parent_id"), "parcel_lineage", ["parent_id"], unique=False
    )
    op.create_table(
        "parcel_register_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("register_entry_id", sa.Integer(), nullable=False),
        sa.Column("match_type", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcel.id"], name=op.f("fk_parcel_register_link_parcel_id_parcel")
        ),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["register_entry.id"],
            name=op.f("fk_parcel_register_link_register_entry_id_register_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_register_link")),
        sa.UniqueConstraint(
            "parcel_id",
            "register_entry_id",
            name=op.f("uq_parcel_register_link_parcel_id_register_entry_id"),
        ),
    )
    op.create_index(
        op.f("ix_parcel_register_link_parcel_id"),
        "parcel_register_link",
        ["parcel_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_parcel_register_link_register_entry_id"),
        "parcel_register_link",
        ["register_entry_id"],
        unique=False,
    )
    op.create_table(
        "restriction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=True),
        sa.Column("source_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcel.id"], name=op.f("fk_restriction_parcel_id_parcel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction")),
    )
    op.create_index(op.f("ix_restriction_parcel_id"), "restriction", ["parcel_id"], unique=False)
    op.create_index(
        op.f("ix_restriction_source_batch_id"), "restriction", ["source_batch_id"], unique=False
    )
    op.execute(
        sa.text(
            "INSERT INTO register_meta (key, value) VALUES ('cadastral_srid', :srid)"
        ).bindparams(srid=str(srid))
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_restriction_source_batch_id"), table_name="restriction")
    op.drop_index(op.f("ix_restriction_parcel_id"), table_name="restriction")
    op.drop_table("restriction")
    op.drop_index(
        op.f("ix_parcel_register_link_register_entry_id"), table_name="parcel_register_link"
    )
    op.drop_index(op.f("ix_parcel_register_link_parcel_id"), table_name="parcel_register_link")
    op.drop_table("parcel_register_link")
    op.drop_index(op.f("ix_parcel_lineage_parent_id"), table_name="parcel_lineage")
    op.drop_index(op.f("ix_parcel_lineage_child_id"), table_name="parcel_lineage")
    op.drop_table("parcel_lineage")
    op.drop_index(op.f("ix_land_right_source_batch_id"), table_name="land_right")
    op.drop_index(op.f("ix_land_right_party_id"), table_name="land_right")
    op.drop_index(op.f("ix_land_right_parcel_id"), table_name="land_right")
    op.drop_table("land_right")
    op.drop_index(op.f("ix_dossier_parcel_link_parcel_id"), table_name="dossier_parcel_link")
    op.drop_index(op.f("ix_dossier_parcel_link_dossier_id"), table_name="dossier_parcel_link")
    op.drop_table("dossier_parcel_link")
    op.drop_index(op.f("ix_certificate_source_batch_id"), table_name="certificate")
    op.drop_index(op.f("ix_certificate_serial"), table_name="certificate")
    op.drop_index(op.f("ix_certificate_parcel_id"), table_name="certificate")
    op.drop_table("certificate")
    op.drop_index(op.f("ix_quarantine_batch_id"), table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index(op.f("ix_party_member_member_id"), table_name="party_member")
    op.drop_index(op.f("ix_party_member_group_id"), table_name="party_member")
    op.drop_table("party_member")
    op.drop_index(op.f("ix_parcel_source_name_source_key"), table_name="parcel")
    op.drop_index(op.f("ix_parcel_source_batch_id"), table_name="parcel")
    op.drop_index(op.f("ix_parcel_commune_code_map_sheet_parcel_number"), table_name="parcel")
    op.drop_geospatial_index(
        "idx_parcel_geom", table_name="parcel", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("parcel")
    op.drop_index(op.f("ix_dossier_event_dossier_id"), table_name="dossier_event")
    op.drop_table("dossier_event")
    op.drop_index(op.f("ix_dossier_document_dossier_id"), table_name="dossier_document")
    op.drop_table("dossier_document")
    op.drop_index(op.f("ix_source_batch_source_name"), table_name="source_batch")
    op.drop_index(op.f("ix_source_batch_sha256"), table_name="source_batch")
    op.drop_table("source_batch")
    op.drop_index("ix_restriction_history_id_valid", table_name="restriction_history")
    op.drop_table("restriction_history")
    op.drop_table("register_meta")
    op.drop_index("ix_register_entry_history_id_valid", table_name="register_entry_history")
    op.drop_table("register_entry_history")
    op.drop_index(op.f("ix_register_entry_source_name_source_key"), table_name="register_entry")
    op.drop_index(op.f("ix_register_entry_source_batch_id"), table_name="register_entry")
    op.drop_index(op.f("ix_register_entry_identity_number"), table_name="register_entry")
    op.drop_index(
        op.f("ix_register_entry_commune_code_map_sheet_parcel_number"), table_name="register_entry"
    )
    op.drop_index(op.f("ix_register_entry_certificate_serial"), table_name="register_entry")
    op.drop_table("register_entry")
    op.drop_index("ix_party_history_id_valid", table_name="party_history")
    op.drop_table("party_history")
    op.drop_index(op.f("ix_party_source_batch_id"), table_name="party")
    op.drop_index(op.f("ix_party_identity_number"), table_name="party")
    op.drop_table("party")
    op.drop_index("ix_parcel_history_id_valid", table_name="parcel_history")
    op.drop_geospatial_index(
        "idx_parcel_history_geom",
        table_name="parcel_history",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("parcel_history")
    op.drop_index(op.f("ix_map_strip_source_name_source_key"), table_name="map_strip")
    op.drop_index(op.f("ix_map_strip_source_batch_id"), table_name="map_strip")
    op.drop_index(op.f("ix_map_strip_commune_code"), table_name="map_strip")
    op.drop_geospatial_index(
        "idx_map_strip_geom", table_name="map_strip", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("map_strip")
    op.drop_index("ix_land_right_history_id_valid", table_name="land_right_history")
    op.drop_table("land_right_history")
    op.drop_index(op.f("ix_finding_status"), table_name="finding")
    op.drop_index(op.f("ix_finding_rule"), table_name="finding")
    op.drop_index(op.f("ix_finding_commune_code"), table_name="finding")
    op.drop_geospatial_index(
        "idx_finding_geom", table_name="finding", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("finding")
    op.drop_index(op.f("ix_dossier_source_batch_id"), table_name="dossier")
    op.drop_index(op.f("ix_dossier_applicant_identity"), table_name="dossier")
    op.drop_table("dossier")
    op.drop_index("ix_certificate_history_id_valid", table_name="certificate_history")
    op.drop_table("certificate_history")
    op.drop_table("audit_log")
    op.drop_table("app_user")
    op.drop_table("api_key")
    op.drop_geospatial_index(
        "idx_admin_unit_geom", table_name="admin_unit", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("admin_unit")
