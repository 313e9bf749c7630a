"""Team wall screens: saved views (a title and queues in order) and a display's view.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out by hand, like the earlier revisions, so it stays fixed when the metadata moves on.


def upgrade() -> None:
    op.create_table(
        "wall_views",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("queue_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wall_views"),
        sa.UniqueConstraint("name", name="uq_wall_views_name"),
    )
    with op.batch_alter_table("displays") as batch:
        batch.add_column(sa.Column("view_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("displays") as batch:
        batch.drop_column("view_id")
    op.drop_table("wall_views")
