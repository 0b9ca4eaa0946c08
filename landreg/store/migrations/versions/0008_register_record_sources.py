"""the register's records name the source of each field

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

``sources`` on ``parcel``, ``land_right``, ``certificate`` and ``restriction`` (and their
``*_history`` tables): for each field taken from the land registers, the register entry it
came from (source, batch, row, entry) and why that source won (the only one, the authority
order of ``LANDREG_REGISTER_AUTHORITY``, or the newest delivery).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("parcel", "land_right", "certificate", "restriction")


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for name in TABLES:
        for table in (name, f"{name}_history"):
            op.add_column(table, sa.Column("sources", _json(), nullable=True))


def downgrade() -> None:
    for name in TABLES:
        for table in (f"{name}_history", name):
            with op.batch_alter_table(table) as batch:
                batch.drop_column("sources")
