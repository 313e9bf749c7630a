"""Worker health targets, source states, reconciliation drift.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Every source has a shown state (UP/DEGRADED/DOWN/PENDING for health targets);
    # the state is a fact the collector decides, with its reason and since when.
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("state", sa.String(), nullable=True))
        batch.add_column(sa.Column("state_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("state_since", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("source_events") as batch:
        batch.add_column(sa.Column("from_state", sa.String(), nullable=True))
        batch.add_column(sa.Column("to_state", sa.String(), nullable=True))
    op.create_table(
        "health_targets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("timeout_s", sa.Float(), nullable=False),
        sa.Column("expected_status", sa.String(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("degraded_latency_ms", sa.Integer(), nullable=True),
        sa.Column("down_after", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("from_config", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_health_targets"),
        sa.UniqueConstraint("name", name="uq_health_targets_name"),
    )
    op.create_table(
        "drift_resources",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("resource_id", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("desired", sa.Text(), nullable=False),
        sa.Column("actual", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "resource_id", "field", name="pk_drift_resources"),
    )
    op.create_table(
        "drift_events",
        sa.Column("id", EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("resource_id", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("desired", sa.Text(), nullable=True),
        sa.Column("actual", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_drift_events"),
    )
    op.create_index("ix_drift_events_source_ts", "drift_events", ["source", "ts"])


def downgrade() -> None:
    op.drop_index("ix_drift_events_source_ts", table_name="drift_events")
    op.drop_table("drift_events")
    op.drop_table("drift_resources")
    op.drop_table("health_targets")
    with op.batch_alter_table("source_events") as batch:
        batch.drop_column("to_state")
        batch.drop_column("from_state")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("state_since")
        batch.drop_column("state_reason")
        batch.drop_column("state")
