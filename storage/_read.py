"""Read-side queries for the web app. Plain SELECTs, no writes."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from ._records import (
    AgentEvent,
    AgentRow,
    CurrentRow,
    SeriesKey,
    SeriesRow,
    SourceEvent,
    SourceFacts,
)
from ._schema import agent_events, agents, current, samples, series, source_events, sources
from ._write import FACT_COLUMNS

_SERIES_ORDER = (series.c.source, series.c.entity_kind, series.c.entity_id, series.c.metric)


def latest(conn: Connection, source: str | None) -> list[CurrentRow]:
    stmt = (
        select(
            series.c.id, series.c.source, series.c.entity_kind, series.c.entity_id,
            series.c.entity_name, series.c.metric, series.c.unit, current.c.ts,
            current.c.value,
        )
        .join(current, current.c.series_id == series.c.id)
        .order_by(*_SERIES_ORDER)
    )
    if source is not None:
        stmt = stmt.where(series.c.source == source)
    return [CurrentRow(*row) for row in conn.execute(stmt)]


def series_rows(conn: Connection, source: str | None) -> list[SeriesRow]:
    stmt = select(series).order_by(*_SERIES_ORDER)
    if source is not None:
        stmt = stmt.where(series.c.source == source)
    return [
        SeriesRow(
            id=row.id,
            key=SeriesKey(
                row.source, row.entity_kind, row.entity_id, row.metric, row.unit,
                row.entity_name,
            ),
            created_at_ms=row.created_at,
        )
        for row in conn.execute(stmt)
    ]


def sample_points(
    conn: Connection, series_id: int, from_ms: int, to_ms: int
) -> list[tuple[int, float]]:
    # A range scan of the samples primary key (series_id, ts).
    stmt = (
        select(samples.c.ts, samples.c.value)
        .where(samples.c.series_id == series_id, samples.c.ts.between(from_ms, to_ms))
        .order_by(samples.c.ts)
    )
    return [(ts, value) for ts, value in conn.execute(stmt)]


def all_facts(conn: Connection, name: str | None = None) -> list[SourceFacts]:
    stmt = select(sources).order_by(sources.c.name)
    if name is not None:
        stmt = stmt.where(sources.c.name == name)
    return [_facts(row) for row in conn.execute(stmt)]


def _facts(row: Row) -> SourceFacts:
    mapping = row._mapping
    values = {field: mapping[column] for field, column in FACT_COLUMNS.items()}
    values["failover_active"] = bool(values["failover_active"])
    return SourceFacts(**values)


def source_event_rows(conn: Connection, source: str, limit: int) -> list[SourceEvent]:
    stmt = (
        select(source_events)
        .where(source_events.c.source == source)  # ix_source_events_source_ts
        .order_by(source_events.c.ts.desc(), source_events.c.id.desc())
        .limit(limit)
    )
    return [
        SourceEvent(id=row.id, source=row.source, ts_ms=row.ts, kind=row.kind,
                    message=row.message, from_state=row.from_state, to_state=row.to_state)
        for row in conn.execute(stmt)
    ]


def agent_rows(conn: Connection, source: str) -> list[AgentRow]:
    stmt = select(agents).where(agents.c.source == source).order_by(agents.c.agent_id)
    return [
        AgentRow(
            source=row.source,
            agent_id=row.agent_id,
            name=row.name,
            state=row.state,
            state_since_ms=row.state_since,
            queue_ids=tuple(row.queue_ids.split(",")) if row.queue_ids else (),
            updated_at_ms=row.updated_at,
        )
        for row in conn.execute(stmt)
    ]


def agent_event_rows(
    conn: Connection, source: str, agent_id: str | None, limit: int
) -> list[AgentEvent]:
    # ix_agent_events_source_agent_id_ts, or ix_agent_events_source_ts without agent_id
    stmt = select(agent_events).where(agent_events.c.source == source)
    if agent_id is not None:
        stmt = stmt.where(agent_events.c.agent_id == agent_id)
    stmt = stmt.order_by(agent_events.c.ts.desc(), agent_events.c.id.desc()).limit(limit)
    return [
        AgentEvent(
            id=row.id,
            source=row.source,
            agent_id=row.agent_id,
            ts_ms=row.ts,
            from_state=row.from_state,
            to_state=row.to_state,
        )
        for row in conn.execute(stmt)
    ]


def state_events(
    conn: Connection, source: str, since_ms: int
) -> tuple[str | None, list[tuple[int, str]]]:
    """The state before ``since_ms`` and the (ts_ms, to_state) changes from it on, oldest
    first. Both served by ix_source_events_source_ts."""
    is_state = (
        source_events.c.source == source,
        source_events.c.kind == "state",
        source_events.c.to_state.is_not(None),
    )
    before = conn.execute(
        select(source_events.c.to_state)
        .where(*is_state, source_events.c.ts < since_ms)
        .order_by(source_events.c.ts.desc(), source_events.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    rows = conn.execute(
        select(source_events.c.ts, source_events.c.to_state)
        .where(*is_state, source_events.c.ts >= since_ms)
        .order_by(source_events.c.ts, source_events.c.id)
    )
    return before, [(ts, to_state) for ts, to_state in rows]


def server_changes(conn: Connection, source: str, since_ms: int) -> list[int]:
    """The times of ``source``'s ``failover`` events (a failover beginning or ending:
    the server answering changed) at or after ``since_ms``, oldest first."""
    # ix_source_events_source_ts.
    stmt = (
        select(source_events.c.ts)
        .where(source_events.c.source == source, source_events.c.kind == "failover",
               source_events.c.ts >= since_ms)
        .order_by(source_events.c.ts, source_events.c.id)
    )
    return [int(ts) for ts in conn.execute(stmt).scalars()]


def failover_since(conn: Connection, source: str) -> int | None:
    """The time of the newest ``failover`` event of ``source`` (the collector writes one
    when a failover begins and one when it ends), or None if there is none."""
    # ix_source_events_source_ts, read backwards from the newest.
    stmt = (
        select(source_events.c.ts)
        .where(source_events.c.source == source, source_events.c.kind == "failover")
        .order_by(source_events.c.ts.desc(), source_events.c.id.desc())
        .limit(1)
    )
    ts: int | None = conn.execute(stmt).scalar_one_or_none()
    return ts
