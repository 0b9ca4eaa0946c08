"""the national parcel identifier

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

``parcel.national_id``: the 12-character national identifier (a GeoHash of the parcel's
characteristic point), assigned once by reconciliation and kept while the parcel exists;
indexed for look-ups. Uniqueness among current parcels is kept by reconciliation (a
collision is a finding and the second parcel gets none), not by a constraint that would make
a collision impossible to store. ``parcel.delivered_national_id``: the identifier a delivery
carried, checked against the computed one. History keeps both, like every other column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("parcel", "parcel_history"):
        op.add_column(table, sa.Column("national_id", sa.String(length=12), nullable=True))
        op.add_column(
            table, sa.Column("delivered_national_id", sa.String(length=40), nullable=True)
        )
    op.create_index(op.f("ix_parcel_national_id"), "parcel", ["national_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_parcel_national_id"), table_name="parcel")
    for table in ("parcel_history", "parcel"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("delivered_national_id")
            batch.drop_column("national_id")
