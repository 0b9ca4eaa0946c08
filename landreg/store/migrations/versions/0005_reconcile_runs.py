"""every reconciliation records the communes it checked

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

``reconcile_run``: one row per commune a reconciliation checked, with its time and the newest
batch it saw. The dashboard and the IOC feed count a parcel as checked when its current
version is older than its commune's latest run, even when the run changed nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconcile_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconcile_run")),
    )
    op.create_index(
        op.f("ix_reconcile_run_commune_code"), "reconcile_run", ["commune_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reconcile_run_commune_code"), table_name="reconcile_run")
    op.drop_table("reconcile_run")
