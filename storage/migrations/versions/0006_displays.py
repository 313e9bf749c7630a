"""Display tokens of wall screens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out by hand, like the earlier revisions, so it stays fixed when the metadata moves on.


def upgrade() -> None:
    op.create_table(
        "displays",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=True),
        sa.Column("last_addr", sa.String(), nullable=True),
        sa.Column("last_user_agent", sa.String(), nullable=True),
        sa.Column("last_page", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_displays"),
        sa.UniqueConstraint("token_hash", name="uq_displays_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("displays")
