"""parcel lineage outlives its parcels

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

``parcel_lineage`` links the parcels a subdivision or merger created ("tách thửa", "hợp thửa")
to the parcels they came from. A parent leaves the current register when it is split, so the
link cannot be a foreign key into ``parcel``: ids point at the current table or at
``parcel_history``, and the parent's key and national identifier are kept on the link (a parent
the register never held, named only by a delivery, has a key and no id). Nothing wrote the
table before this revision, so it is created anew.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_parcel_lineage_parent_id"), table_name="parcel_lineage")
    op.drop_index(op.f("ix_parcel_lineage_child_id"), table_name="parcel_lineage")
    op.drop_table("parcel_lineage")
    op.create_table(
        "parcel_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("parent_key", sa.String(length=60), nullable=False),
        sa.Column("child_key", sa.String(length=60), nullable=True),
        sa.Column("parent_national_id", sa.String(length=12), nullable=True),
        sa.Column("child_national_id", sa.String(length=12), nullable=True),
        sa.Column("evidence", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_lineage")),
        sa.UniqueConstraint(
            "child_id", "parent_key", name=op.f("uq_parcel_lineage_child_id_parent_key")
        ),
    )
    op.create_index(
        op.f("ix_parcel_lineage_child_id"), "parcel_lineage", ["child_id"], unique=False
    )
    op.create_index(
        op.f("ix_parcel_lineage_parent_id"), "parcel_lineage", ["parent_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_parcel_lineage_parent_id"), table_name="parcel_lineage")
    op.drop_index(op.f("ix_parcel_lineage_child_id"), table_name="parcel_lineage")
    op.drop_table("parcel_lineage")
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
