"""A daily rollup: one row per series and local day of the site's zone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out by hand, like the earlier revisions, so it stays fixed when the metadata moves on.


def upgrade() -> None:
    op.create_table(
        "rollup_1d",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Double(), nullable=False),
        sa.Column("max", sa.Double(), nullable=False),
        sa.Column("sum", sa.Double(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last", sa.Double(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_rollup_1d"),
        sqlite_with_rowid=False,
    )
    # The zone whose local days rollup_1d holds (set on the "1d" row only).
    with op.batch_alter_table("rollup_state") as batch:
        batch.add_column(sa.Column("zone", sa.String(), nullable=True))


def downgrade() -> None:
    # Code before 0010 knows no "1d" resolution (read_state would refuse the row).
    op.execute("DELETE FROM rollup_state WHERE resolution = '1d'")
    with op.batch_alter_table("rollup_state") as batch:
        batch.drop_column("zone")
    op.drop_table("rollup_1d")
