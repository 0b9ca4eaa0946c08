"""parties resolved across sources: identity numbers, resolved entries, review queue

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

- ``party.tax_code``: an organisation's tax code (mã số thuế), its key across sources.
- ``register_entry.previous_identity_number``: a register row's earlier number of the holder
  (the old CMND next to the new CCCD), the only ground on which two numbers are one person.
- ``party_identifier``: every identity number of a party with where it came from.
- ``party_entry``: the party each register entry's holder was resolved to, and how.
- ``party_link``: uncertain matches waiting for an officer, and the officers' decisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("tax_code", sa.String(length=20), nullable=True))
        batch.create_index(op.f("ix_party_tax_code"), ["tax_code"], unique=False)
    with op.batch_alter_table("party_history") as batch:
        batch.add_column(sa.Column("tax_code", sa.String(length=20), nullable=True))
    for table in ("register_entry", "register_entry_history"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("previous_identity_number", sa.String(length=20), nullable=True)
            )
    op.create_table(
        "party_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.String(length=120), nullable=True),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("register_entry_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_party_identifier_party_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_identifier")),
        sa.UniqueConstraint("party_id", "number", name=op.f("uq_party_identifier_party_id_number")),
    )
    op.create_index(op.f("ix_party_identifier_party_id"), "party_identifier", ["party_id"])
    op.create_index(op.f("ix_party_identifier_number"), "party_identifier", ["number"])
    op.create_table(
        "party_entry",
        sa.Column("register_entry_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_party_entry_party_id_party")
        ),
        sa.PrimaryKeyConstraint("register_entry_id", name=op.f("pk_party_entry")),
    )
    op.create_index(op.f("ix_party_entry_party_id"), "party_entry", ["party_id"])
    op.create_table(
        "party_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_entry_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_party_link_party_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_link")),
        sa.UniqueConstraint(
            "register_entry_id", "party_id", name=op.f("uq_party_link_register_entry_id_party_id")
        ),
    )
    op.create_index(op.f("ix_party_link_register_entry_id"), "party_link", ["register_entry_id"])
    op.create_index(op.f("ix_party_link_party_id"), "party_link", ["party_id"])
    op.create_index(op.f("ix_party_link_status"), "party_link", ["status"])


def downgrade() -> None:
    op.drop_table("party_link")
    op.drop_table("party_entry")
    op.drop_table("party_identifier")
    for table in ("register_entry_history", "register_entry"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("previous_identity_number")
    with op.batch_alter_table("party_history") as batch:
        batch.drop_column("tax_code")
    with op.batch_alter_table("party") as batch:
        batch.drop_index(op.f("ix_party_tax_code"))
        batch.drop_column("tax_code")
