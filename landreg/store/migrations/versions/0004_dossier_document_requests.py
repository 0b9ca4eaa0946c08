"""officers' requests for additional documents are kept

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

``dossier_document_request``: the documents an officer asked the citizen to bring (each a
code of the procedures' document catalogue or free text as written), a note, who asked and
when; open until processing resumes (``closed_at``). The citizen's status page lists the open
request's documents.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_document_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_dossier_document_request_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_document_request")),
    )
    op.create_index(
        op.f("ix_dossier_document_request_dossier_id"),
        "dossier_document_request",
        ["dossier_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_dossier_document_request_dossier_id"), table_name="dossier_document_request"
    )
    op.drop_table("dossier_document_request")
