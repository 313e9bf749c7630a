"""Initial schema: series, samples, current, sources, events, agents, lease.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out by hand (not imported from storage._schema) so this revision stays
# fixed when the metadata moves on; tests check the two agree at head.
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity_kind", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("entity_name", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.UniqueConstraint(
            "source", "entity_kind", "entity_id", "metric",
            name="uq_series_source_entity_kind_entity_id_metric",
        ),
    )
    op.create_table(
        "samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_samples"),
        # No FK to series on purpose: see storage/_schema.py (bulk-insert throughput).
        sqlite_with_rowid=False,
    )
    op.create_table(
        "current",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", name="pk_current"),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name="fk_current_series_id_series"
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every poll rewrites most rows of current; free space in each page lets
        # PostgreSQL update them in place (HOT), without touching the primary key index.
        op.execute("ALTER TABLE current SET (fillfactor = 50)")
    op.create_table(
        "sources",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("last_poll_at", sa.BigInteger(), nullable=True),
        sa.Column("last_success_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.Column("failing_since", sa.BigInteger(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("breaker_state", sa.String(), nullable=False),
        sa.Column("breaker_opened_at", sa.BigInteger(), nullable=True),
        sa.Column("breaker_retry_at", sa.BigInteger(), nullable=True),
        sa.Column("last_duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("failover_active", sa.Boolean(), nullable=False),
        sa.Column("active_url", sa.String(), nullable=True),
        sa.Column("records_skipped", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sources"),
    )
    op.create_table(
        "source_events",
        sa.Column("id", EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_source_events"),
    )
    op.create_index("ix_source_events_source_ts", "source_events", ["source", "ts"])
    op.create_table(
        "agents",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("state_since", sa.BigInteger(), nullable=True),
        sa.Column("queue_ids", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "agent_id", name="pk_agents"),
    )
    op.create_table(
        "agent_events",
        sa.Column("id", EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agent_events"),
    )
    op.create_index(
        "ix_agent_events_source_agent_id_ts", "agent_events", ["source", "agent_id", "ts"]
    )
    op.create_index("ix_agent_events_source_ts", "agent_events", ["source", "ts"])
    op.create_table(
        "lease",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("acquired_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("renewed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_lease"),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_agent_events_source_ts", "agent_events"),
        ("ix_agent_events_source_agent_id_ts", "agent_events"),
        ("ix_source_events_source_ts", "source_events"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "lease", "agent_events", "agents", "source_events", "sources", "current", "samples",
        "series",
    ):
        op.drop_table(table)
