"""the database reprojects VN-2000 / TM-3 exactly as landreg does

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

EPSG:9209 and 9210 were registered under the EPSG authority, so PostGIS and SpatiaLite asked
PROJ's own database for them, and PROJ chose a VN-2000 → WGS 84 transformation by location
that lands up to 0.8 m away from the seven parameters landreg uses everywhere else
(`spatial.crs`, DOMAIN.md): ``/parcels/at`` and the maps disagreed with the Python side by
that much. Registered under landreg's own authority and without the WKT (whose datum names
EPSG:6756 and would again send PROJ to its database), the database builds them from the
PROJ string with its ``+towgs84``, as the Python side does.

PostGIS only: SpatiaLite 5 always asks PROJ for ``auth_name:auth_srid`` and knows no other
way, so the embedded default keeps the EPSG entries; landreg reprojects query points in
Python there (see ``store.repository``), and map output from SpatiaLite may differ by up to
0.8 m (README, "Known trap").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from spatial.crs import CADASTRAL_PROJ4, proj4_for

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHORITY = "LANDREG"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for srid in sorted(CADASTRAL_PROJ4):
        op.execute(
            sa.text(
                "UPDATE spatial_ref_sys SET auth_name = :auth, srtext = '', proj4text = :proj4 "
                "WHERE srid = :srid"
            ).bindparams(auth=AUTHORITY, proj4=proj4_for(srid), srid=srid)
        )


def downgrade() -> None:
    from spatial.crs import wkt_for

    if op.get_bind().dialect.name != "postgresql":
        return
    for srid in sorted(CADASTRAL_PROJ4):
        op.execute(
            sa.text(
                "UPDATE spatial_ref_sys SET auth_name = 'EPSG', srtext = :wkt WHERE srid = :srid"
            ).bindparams(wkt=wkt_for(srid), srid=srid)
        )
