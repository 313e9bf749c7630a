"""The write path: one poll (or a buffer of polls) in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
import psycopg.errors
from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from ._errors import LeaseLost
from ._records import AgentRecord, EventTuple, SeriesKey, SourceFacts
from ._schema import agent_events, agents, lease, series, source_events, sources
from ._schema import samples as samples_table
from ._sql import executemany, upsert_insert

SampleRow = tuple[int, int, float]
# Cached per natural key: (series id, entity_name, unit).
CachedSeries = tuple[int, str, str]
Natural = tuple[str, str, str, str]

_PG_STAGE = "_trio_samples_stage"


def check_fence(conn: Connection, name: str, token: int | None, now_ms: int) -> None:
    """Raise LeaseLost unless ``token`` still holds lease ``name`` at ``now_ms``.

    The UPDATE also takes the lease row's write lock until commit, so a takeover cannot
    slip in between this check and the writes that follow.
    """
    stmt = (
        update(lease)
        .where(lease.c.name == name, lease.c.token == token, lease.c.expires_at > now_ms)
        .values(renewed_at=now_ms)
    )
    if conn.execute(stmt).rowcount != 1:
        raise LeaseLost(f"lease {name!r} is no longer held with token {token} at {now_ms}")


def check_token(conn: Connection, name: str, token: int) -> None:
    """The fence without an expiry check: ``token`` still holds lease ``name`` (nobody
    took it over). The no-op UPDATE takes the lease row's lock until commit."""
    stmt = (
        update(lease).where(lease.c.name == name, lease.c.token == token)
        .values(token=lease.c.token)
    )
    if conn.execute(stmt).rowcount != 1:
        raise LeaseLost(f"lease {name!r} is no longer held with token {token}")


def check_fence_ahead(
    conn: Connection, name: str, token: int | None, now_ms: int, ahead_ms: int
) -> None:
    """Raise LeaseLost unless ``token`` holds lease ``name`` until ``now_ms + ahead_ms``.

    For long writes: it takes no lock on the lease row, so the lease's own renewal (another
    connection) is never queued behind a large write. That is safe because no other
    collector can take the lease before it expires, and ``ahead_ms`` is at least the
    client-side bound of this transaction (the watchdog cuts it before then); on SQLite
    the write lock held by this transaction keeps every takeover out anyway.
    """
    row = conn.execute(
        select(lease.c.token).where(
            lease.c.name == name, lease.c.token == token,
            lease.c.expires_at > now_ms + ahead_ms,
        )
    ).one_or_none()
    if row is None:
        raise LeaseLost(
            f"lease {name!r} is not held with token {token} for {ahead_ms} ms after {now_ms}")


def insert_samples_only(conn: Connection, rows: Sequence[SampleRow]) -> None:
    """Insert samples, skipping keys already stored; ``current`` is left alone."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        stmt = upsert_insert(conn, samples_table).on_conflict_do_nothing(
            index_elements=["series_id", "ts"])
        conn.execute(stmt, [{"series_id": s, "ts": t, "value": v} for s, t, v in rows])
        return
    insert_samples(conn, rows)


def resolve_series(
    conn: Connection,
    keys: Sequence[SeriesKey],
    cache: dict[Natural, CachedSeries],
    now_ms: int,
) -> tuple[dict[SeriesKey, int], dict[Natural, CachedSeries]]:
    """Map each distinct key to its series id, creating or updating series rows.

    ``keys`` are in write order: when one series shows up under two names, the later
    name is stored. Returns the ids and the cache entries learnt; the caller merges
    those into its cache only after commit (a rolled-back insert must leave no id).
    """
    wanted: dict[Natural, SeriesKey] = {}
    for key in keys:
        known = cache.get(key.natural)
        if known is None or known[1] != key.entity_name or known[2] != key.unit:
            wanted[key.natural] = key
    learnt = _load_or_create(conn, wanted, now_ms) if wanted else {}
    ids = {key: (learnt.get(key.natural) or cache[key.natural])[0] for key in keys}
    return ids, learnt


def _load_or_create(
    conn: Connection, wanted: dict[Natural, SeriesKey], now_ms: int
) -> dict[Natural, CachedSeries]:
    found = _select_series(conn, wanted)
    missing = [key for natural, key in wanted.items() if natural not in found]
    if missing:
        stmt = upsert_insert(conn, series).on_conflict_do_nothing(
            index_elements=["source", "entity_kind", "entity_id", "metric"]
        )
        conn.execute(stmt, [_series_params(key, now_ms) for key in missing])
        found = _select_series(conn, wanted)
    for natural, key in wanted.items():
        series_id, name, unit = found[natural]
        if (name, unit) != (key.entity_name, key.unit):
            conn.execute(
                update(series)
                .where(series.c.id == series_id)
                .values(entity_name=key.entity_name, unit=key.unit)
            )
            found[natural] = (series_id, key.entity_name, key.unit)
    return found


def _select_series(
    conn: Connection, wanted: dict[Natural, SeriesKey]
) -> dict[Natural, CachedSeries]:
    natural_cols = (series.c.source, series.c.entity_kind, series.c.entity_id, series.c.metric)
    stmt = select(*natural_cols, series.c.id, series.c.entity_name, series.c.unit).where(
        # uses uq_series_source_entity_kind_entity_id_metric (leading column `source`)
        series.c.source.in_({natural[0] for natural in wanted})
    )
    found: dict[Natural, CachedSeries] = {}
    for row in conn.execute(stmt):
        natural = (row[0], row[1], row[2], row[3])
        if natural in wanted:
            found[natural] = (row[4], row[5], row[6])
    return found


def _series_params(key: SeriesKey, now_ms: int) -> dict[str, Any]:
    return {
        "source": key.source,
        "entity_kind": key.entity_kind,
        "entity_id": key.entity_id,
        "entity_name": key.entity_name,
        "metric": key.metric,
        "unit": key.unit,
        "created_at": now_ms,
    }


def write_samples(conn: Connection, rows: Sequence[SampleRow]) -> None:
    """Insert samples and move ``current`` forward to the newest per series.

    Rows whose (series_id, ts) already exist are skipped (a retried batch is harmless);
    ``current`` never moves backwards in time.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        _copy_samples_postgres(driver, rows)
        return
    insert_samples(conn, rows)
    upsert_current(conn, rows)


def insert_samples(conn: Connection, rows: Sequence[SampleRow]) -> None:
    """SQLite bulk insert; rows whose (series_id, ts) already exist are skipped."""
    driver = conn.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(
            "INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows
        )
    finally:
        cursor.close()


def _copy_samples_postgres(driver: Any, rows: Sequence[SampleRow]) -> None:
    # COPY cannot skip duplicates, so stage first; ON CONFLICT DO NOTHING then makes a
    # retried batch (whose earlier commit did succeed) harmless.
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_STAGE} "
            "(series_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS"
        )
        copy_sql = f"COPY {_PG_STAGE} (series_id, ts, value) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(copy_sql) as copy:
            copy.set_types(["int4", "int8", "float8"])
            for row in rows:
                copy.write_row(row)
        _move_staged_samples(driver, cursor)
        # One statement instead of an upsert per series: the staged rows are this batch.
        cursor.execute(
            f"INSERT INTO current (series_id, ts, value) "
            f"SELECT DISTINCT ON (series_id) series_id, ts, value FROM {_PG_STAGE} "
            "ORDER BY series_id, ts DESC "
            "ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value "
            "WHERE excluded.ts > current.ts"
        )


def _move_staged_samples(driver: Any, cursor: Any) -> None:
    insert = (
        f"INSERT INTO samples (series_id, ts, value) SELECT series_id, ts, value "
        f"FROM {_PG_STAGE}"
    )
    # Fast path: a plain INSERT skips ON CONFLICT's per-row speculative insertion
    # (~30% of the time). Only a retried batch collides; it then rolls back to the
    # savepoint and takes the ON CONFLICT DO NOTHING path.
    try:
        with driver.transaction():
            cursor.execute(insert)
        return
    except psycopg.errors.UniqueViolation:
        pass
    cursor.execute(insert + " ON CONFLICT DO NOTHING")


def upsert_current(conn: Connection, rows: Iterable[SampleRow]) -> None:
    """SQLite: move ``current`` forward to the newest of ``rows`` per series, never back."""
    newest: dict[int, tuple[int, float]] = {}
    for series_id, ts, value in rows:
        seen = newest.get(series_id)
        if seen is None or ts >= seen[0]:
            newest[series_id] = (ts, value)
    # The raw cursor: SQLAlchemy's per-row parameter handling cost more than SQLite.
    executemany(
        conn,
        "INSERT INTO current (series_id, ts, value) VALUES (?, ?, ?) "
        "ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value "
        "WHERE excluded.ts > current.ts",
        [(sid, ts, value) for sid, (ts, value) in newest.items()],
    )


def write_agents(
    conn: Connection, source: str, records: Sequence[AgentRecord], now_ms: int
) -> None:
    """Upsert the agents whose facts changed; append an event per state change.

    Unchanged agents are not rewritten (a site has thousands and few change per poll), so
    ``agents.updated_at`` is when the row last changed. Agents missing from ``records`` are
    kept: a partial read must not erase them.
    """
    latest = {record.agent_id: record for record in records}
    if not latest:
        return
    stored_rows = conn.execute(
        select(
            agents.c.agent_id, agents.c.name, agents.c.state, agents.c.state_since,
            agents.c.queue_ids,
        ).where(agents.c.source == source)
    )
    stored = {row.agent_id: tuple(row)[1:] for row in stored_rows}
    rows = []
    changes = []
    for record in latest.values():
        row = {
            "source": source,
            "agent_id": record.agent_id,
            "name": record.name,
            "state": record.state,
            "state_since": record.state_since_ms,
            "queue_ids": ",".join(record.queue_ids),
            "updated_at": now_ms,
        }
        before = stored.get(record.agent_id)
        if before == (row["name"], row["state"], row["state_since"], row["queue_ids"]):
            continue
        rows.append(row)
        if before is None or before[1] != record.state:
            changes.append({
                "source": source,
                "agent_id": record.agent_id,
                "ts": record.state_since_ms if record.state_since_ms is not None else now_ms,
                "from_state": None if before is None else before[1],
                "to_state": record.state,
            })
    if rows:
        _upsert(conn, agents, ["source", "agent_id"], rows)
    if changes:
        conn.execute(agent_events.insert(), changes)


def write_facts_many(conn: Connection, facts: Sequence[SourceFacts], now_ms: int) -> None:
    """The facts of several polls in one statement: the last of each source wins (facts
    are whole snapshots), so a batch of 50 checks costs one upsert, not 50."""
    last = {f.name: f for f in facts}
    if last:
        _upsert(conn, sources, ["name"], [facts_to_row(f, now_ms) for f in last.values()])


def append_source_events(conn: Connection, source: str, events: Sequence[EventTuple]) -> None:
    """Events are (ts_ms, kind, message) or, for state changes,
    (ts_ms, "state", reason, from_state, to_state)."""
    if events:
        conn.execute(
            source_events.insert(),
            [
                {"source": source, "ts": event[0], "kind": event[1], "message": event[2],
                 "from_state": event[3] if len(event) > 3 else None,
                 "to_state": event[4] if len(event) > 4 else None}
                for event in events
            ],
        )


def _upsert(
    conn: Connection, table: Table, key_columns: list[str], rows: list[dict[str, Any]]
) -> None:
    stmt = upsert_insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=key_columns,
        set_={name: stmt.excluded[name] for name in rows[0] if name not in key_columns},
    )
    conn.execute(stmt, rows)


# SourceFacts field -> sources column (timestamps carry _ms in Python only).
FACT_COLUMNS = {
    "name": "name",
    "kind": "kind",
    "url": "url",
    "last_poll_at_ms": "last_poll_at",
    "last_success_at_ms": "last_success_at",
    "last_error": "last_error",
    "last_error_at_ms": "last_error_at",
    "failing_since_ms": "failing_since",
    "consecutive_failures": "consecutive_failures",
    "breaker_state": "breaker_state",
    "breaker_opened_at_ms": "breaker_opened_at",
    "breaker_retry_at_ms": "breaker_retry_at",
    "last_duration_ms": "last_duration_ms",
    "failover_active": "failover_active",
    "active_url": "active_url",
    "records_skipped": "records_skipped",
    "updated_at_ms": "updated_at",
    "state": "state",
    "state_reason": "state_reason",
    "state_since_ms": "state_since",
}


def facts_to_row(facts: SourceFacts, now_ms: int) -> dict[str, Any]:
    row = {column: getattr(facts, field) for field, column in FACT_COLUMNS.items()}
    row["updated_at"] = now_ms
    return row

