"""A queue's own service-level target.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out by hand, like the earlier revisions, so it stays fixed when the metadata moves on.


def upgrade() -> None:
    op.create_table(
        "queue_targets",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("queue_id", sa.String(), nullable=False),
        sa.Column("sl_target_pct", sa.Float(), nullable=False),
        sa.Column("sl_threshold_s", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("source", "queue_id", name="pk_queue_targets"),
    )


def downgrade() -> None:
    op.drop_table("queue_targets")
