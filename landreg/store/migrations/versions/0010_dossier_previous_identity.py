"""a dossier states its applicant's previous identity number

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

- ``dossier.applicant_previous_identity``: the applicant's earlier number as the dossier gives
  it (the old CMND next to the CCCD, "Số CMND cũ"); a dossier giving both says they are one
  person's, and party resolution links them (when the names agree).
- ``party_identifier``: one number of a party may be recorded twice, from a register (or an
  officer) and from the dossier that stated it, so that the party shows both sources: the
  unique key becomes (party, number, origin).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(
            sa.Column("applicant_previous_identity", sa.String(length=20), nullable=True)
        )
    with op.batch_alter_table("party_identifier") as batch:
        batch.drop_constraint("uq_party_identifier_party_id_number", type_="unique")
        batch.create_unique_constraint(
            "uq_party_identifier_party_id_number_origin", ["party_id", "number", "origin"]
        )


def downgrade() -> None:
    # A number a dossier stated that the party also holds from a register goes back to one row.
    op.execute(
        "DELETE FROM party_identifier WHERE origin = 'dossier' AND EXISTS ("
        "SELECT 1 FROM party_identifier AS other WHERE other.party_id = party_identifier.party_id"
        " AND other.number = party_identifier.number AND other.id <> party_identifier.id)"
    )
    with op.batch_alter_table("party_identifier") as batch:
        batch.drop_constraint("uq_party_identifier_party_id_number_origin", type_="unique")
        batch.create_unique_constraint(
            "uq_party_identifier_party_id_number", ["party_id", "number"]
        )
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("applicant_previous_identity")
