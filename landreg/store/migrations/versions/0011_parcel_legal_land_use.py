"""the parcel's land use as the land register records it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

``legal_land_use_code`` on ``parcel`` and ``parcel_history``: the land use of the parcel's
record in the unified register (from the land registers, by the same precedence as the legal
area), beside ``land_use_code``, the cadastral map's. Reads give the legal one where the
registers have it; the map's stays what the map says, so that a disagreement stays a finding
until staff correct one of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("parcel", "parcel_history"):
        op.add_column(table, sa.Column("legal_land_use_code", sa.String(10), nullable=True))


def downgrade() -> None:
    for table in ("parcel_history", "parcel"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("legal_land_use_code")
