"""source batches record how old their data is

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

``source_batch.data_as_of`` is the moment a delivery's data is as of (from the file, or as
the user said), and ``data_as_of_from`` where that came from; reconciling compares a source's
deliveries by it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_batch") as table:
        table.add_column(sa.Column("data_as_of", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("data_as_of_from", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_batch") as table:
        table.drop_column("data_as_of_from")
        table.drop_column("data_as_of")
