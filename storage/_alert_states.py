"""Alert states, one row per (rule, series), changed by compare-and-set together with
their events and notifications; acknowledgements by people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Row, delete, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ._alert_events import insert_events
from ._alert_records import AlertNotOpen, EventRow, StateChange, StateRow
from ._audit import append_audit
from ._outbox import queue_outbox
from ._schema import alert_rules, alert_states
from ._sql import chunks, driver_cursor, executemany, insert_sql, mark
from ._tx import EngineStore
from ._write import check_fence, check_token

Key = tuple[int, str]  # (rule_id, series_key)


class StateQueries(EngineStore):
    """The alert-state methods of ``AlertStore`` (the collector's, as lease holder, and
    the acknowledgement of people on the web)."""

    def load_states(self, rule_ids: Iterable[int] | None = None) -> list[StateRow]:
        """Every stored state (of the given rules), by rule and series key."""
        stmt = select(alert_states).order_by(alert_states.c.rule_id, alert_states.c.series_key)
        if rule_ids is not None:
            wanted = sorted(set(rule_ids))
            if not wanted:
                return []
            stmt = stmt.where(alert_states.c.rule_id.in_(wanted))  # the primary key's prefix
        with self._reading() as conn:
            return [_state(row) for row in conn.execute(stmt)]

    def apply(
        self, changes: Sequence[StateChange], *, lease_name: str, lease_token: int, now_ms: int,
    ) -> list[bool]:
        """One transaction: check the fence, then per change a compare-and-set on its row;
        only when it applied, insert its event and its notifications (outbox, status
        queued). Returns, per change, whether it applied (False: another writer changed
        the row first, or its rule was deleted; reload it). Raises ``LeaseLost`` (nothing
        written).

        An inserted row gets version 1, an updated one ``expected_version + 1``. Several
        changes of one row in one call apply in their order (the second must expect the
        version the first produced)."""
        applied = [False] * len(changes)
        with self._writing() as conn:
            check_fence(conn, lease_name, lease_token, now_ms)
            rules = _lock_rules(conn, {change.row.rule_id for change in changes})
            for indexes in _rounds(changes):
                live = [i for i in indexes if changes[i].row.rule_id in rules]
                for index in _apply_round(conn, [(i, changes[i]) for i in live], now_ms):
                    applied[index] = True
            done = [change for change, ok in zip(changes, applied, strict=True) if ok]
            insert_events(conn, [c.event for c in done if c.event is not None])
            queue_outbox(conn, [n for c in done for n in c.notifications], now_ms)
        return applied

    def delete_states(
        self, keys: Iterable[tuple[int, str]], *, lease_name: str, lease_token: int,
        now_ms: int | None = None,
    ) -> int:
        """Remove states of series that no longer exist or rules that changed scope.
        Returns how many rows went. Raises ``LeaseLost`` (nothing deleted) unless
        ``lease_token`` holds the lease (and, with ``now_ms``, it has not expired)."""
        wanted = list(dict.fromkeys(keys))
        with self._writing() as conn:
            if now_ms is None:
                check_token(conn, lease_name, lease_token)
            else:
                check_fence(conn, lease_name, lease_token, now_ms)
            deleted = 0
            for chunk in chunks(wanted):
                pk = tuple_(alert_states.c.rule_id, alert_states.c.series_key)
                deleted += conn.execute(delete(alert_states).where(pk.in_(chunk))).rowcount
            return deleted

    # people acting on alerts (web); each also appends an alert event and an audit row

    def acknowledge(
        self, rule_id: int, series_key: str, *, alert_id: str, user: str, comment: str,
        now_ms: int, client_addr: str | None = None,
    ) -> StateRow:
        """Set ``ack_by/ack_at/ack_comment`` (version + 1) if ``alert_id`` is still the
        row's open alert; raises ``AlertNotOpen`` otherwise. Appends the event
        "acknowledged" (actor ``user``, reason ``comment``) and the audit row "alert.ack"."""
        comment = comment.strip()
        key = _state_key(rule_id, series_key)
        with self._writing() as conn:
            found = conn.execute(select(alert_states).where(*key).with_for_update()).one_or_none()
            before = None if found is None else _state(found)
            if before is None or before.alert_id != alert_id:
                raise AlertNotOpen(f"alert {alert_id} is no longer open; reload the page")
            conn.execute(
                update(alert_states).where(*key).values(
                    ack_by=user, ack_at=now_ms, ack_comment=comment,
                    version=alert_states.c.version + 1, updated_at=now_ms,
                )
            )
            after = _state(conn.execute(select(alert_states).where(*key)).one())
            insert_events(conn, [_ack_event(conn, after, user, comment, now_ms)])
            append_audit(conn, user, "alert.ack", f"alert:{alert_id}", _ack_json(before),
                _ack_json(after), now_ms, client_addr)
        return after

    def states(
        self, *, open_only: bool = False, entity_kind: str | None = None,
    ) -> list[StateRow]:
        """States for pages and the wall screen, by rule and series key. ``open_only``:
        state not ok."""
        stmt = select(alert_states).order_by(alert_states.c.rule_id, alert_states.c.series_key)
        if open_only:
            stmt = stmt.where(alert_states.c.state != "ok")
        if entity_kind is not None:
            stmt = stmt.where(alert_states.c.entity_kind == entity_kind)
        with self._reading() as conn:
            return [_state(row) for row in conn.execute(stmt)]


# StateRow field -> alert_states column (the rest share their names).
_STATE_COLUMNS = {
    "since_ms": "since_at",
    "pending_since_ms": "pending_since_at",
    "breach_ended_ms": "breach_ended_at",
    "last_value_ms": "last_value_at",
    "opened_at_ms": "opened_at",
    "last_notified_at_ms": "last_notified_at",
    "ack_at_ms": "ack_at",
    "updated_at_ms": "updated_at",
}
_STATE_FIELDS = tuple(f.name for f in fields(StateRow))
_KEY_COLUMNS = ("rule_id", "series_key")
# alert_states columns in _state_values order; the key first.
_STATE_ORDER = tuple(_STATE_COLUMNS.get(name, name) for name in _STATE_FIELDS)
_STATE_SET = tuple(column for column in _STATE_ORDER if column not in _KEY_COLUMNS)


def _state_key(rule_id: int, key: str) -> tuple[ColumnElement[bool], ...]:
    return (alert_states.c.rule_id == rule_id, alert_states.c.series_key == key)


def _state_values(row: StateRow, version: int, now_ms: int) -> dict[str, Any]:
    values = {_STATE_COLUMNS.get(name, name): getattr(row, name) for name in _STATE_FIELDS}
    values["version"] = version
    values["updated_at"] = now_ms
    return values


def _state(row: Row[Any]) -> StateRow:
    mapping = row._mapping
    values = {name: mapping[_STATE_COLUMNS.get(name, name)] for name in _STATE_FIELDS}
    if values["last_value"] is not None:
        values["last_value"] = float(values["last_value"])
    return StateRow(**values)


def _rounds(changes: Sequence[StateChange]) -> list[list[int]]:
    """Indexes of ``changes`` in rounds with each row at most once per round: the n-th
    change of a row goes into round n, so a row's changes apply in their order."""
    seen: dict[Key, int] = {}
    rounds: list[list[int]] = []
    for index, change in enumerate(changes):
        key = (change.row.rule_id, change.row.series_key)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        if nth == len(rounds):
            rounds.append([])
        rounds[nth].append(index)
    return rounds


def _apply_round(
    conn: Connection, items: list[tuple[int, StateChange]], now_ms: int
) -> list[int]:
    """Apply changes of distinct rows; return the indexes of those that applied."""
    versions = _locked_versions(conn, [(c.row.rule_id, c.row.series_key) for _, c in items])
    updates = [
        (index, change) for index, change in items
        if change.expected_version is not None
        and versions.get((change.row.rule_id, change.row.series_key)) == change.expected_version
    ]
    inserts = [
        (index, change) for index, change in items
        if change.expected_version is None
        and (change.row.rule_id, change.row.series_key) not in versions
    ]
    _update_states(conn, [change for _, change in updates], now_ms)
    inserted = _insert_states(conn, [change.row for _, change in inserts], now_ms)
    return [index for index, _ in updates] + [
        index for index, c in inserts if (c.row.rule_id, c.row.series_key) in inserted
    ]


def _locked_versions(conn: Connection, keys: list[Key]) -> dict[Key, int]:
    """The version of each existing row of ``keys``, each row locked until commit
    (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE already holds the writer lock)."""
    if not keys:
        return {}
    if conn.dialect.name == "postgresql":
        # One join on two arrays: a 500-way row IN list took ~12 ms to plan per chunk.
        with driver_cursor(conn) as cursor:
            cursor.execute(
                "SELECT s.rule_id, s.series_key, s.version FROM alert_states s "
                "JOIN unnest(%s::integer[], %s::text[]) AS k (rule_id, series_key) "
                "USING (rule_id, series_key) ORDER BY 1, 2 FOR UPDATE OF s",
                ([rule_id for rule_id, _ in keys], [key for _, key in keys]),
            )
            rows = cursor.fetchall()
        return {(int(rule_id), key): int(version) for rule_id, key, version in rows}
    t = alert_states
    found: dict[Key, int] = {}
    for chunk in chunks(keys):
        stmt = select(t.c.rule_id, t.c.series_key, t.c.version).where(
            tuple_(t.c.rule_id, t.c.series_key).in_(chunk)  # the primary key
        )
        for rule_id, key, version in conn.execute(stmt):
            found[(int(rule_id), key)] = int(version)
    return found


def _update_states(conn: Connection, changes: list[StateChange], now_ms: int) -> None:
    """The compare-and-set of rows whose versions ``_locked_versions`` just read."""
    if not changes:
        return
    marker = mark(conn)
    assignments = ", ".join(f'"{column}" = {marker}' for column in _STATE_SET)
    sql = (
        f"UPDATE alert_states SET {assignments} "
        f"WHERE rule_id = {marker} AND series_key = {marker} AND version = {marker}"
    )
    params = []
    for change in changes:
        expected = change.expected_version
        assert expected is not None
        values = _state_values(change.row, expected + 1, now_ms)
        params.append(tuple(values[column] for column in _STATE_SET)
                      + (change.row.rule_id, change.row.series_key, expected))
    with driver_cursor(conn) as cursor:
        cursor.executemany(sql, params)
        changed = cursor.rowcount
    if changed != len(params):
        # The rows are locked (FOR UPDATE / SQLite's writer lock): this is a bug.
        raise RuntimeError(f"compare-and-set changed {changed} of {len(params)} locked rows")


def _insert_states(conn: Connection, rows: list[StateRow], now_ms: int) -> set[Key]:
    """Insert rows ``_locked_versions`` found missing; return the keys inserted.

    SQLite: the writer lock, held since BEGIN IMMEDIATE, kept anyone from inserting them
    meanwhile. PostgreSQL: a concurrent writer may have (the missing rows had nothing to
    lock); ON CONFLICT leaves its row alone and RETURNING tells which rows are ours."""
    if not rows:
        return set()
    sql = insert_sql(conn, "alert_states", _STATE_ORDER)
    params = [tuple(_state_values(row, 1, now_ms).values()) for row in rows]
    if conn.dialect.name != "postgresql":
        executemany(conn, sql, params)
        return {(row.rule_id, row.series_key) for row in rows}
    inserted: set[Key] = set()
    with driver_cursor(conn) as cursor:
        cursor.executemany(
            sql + " ON CONFLICT (rule_id, series_key) DO NOTHING RETURNING rule_id, series_key",
            params, returning=True,
        )
        while True:
            inserted.update((int(rule_id), key) for rule_id, key in cursor.fetchall())
            if not cursor.nextset():
                break
    return inserted


def _ack_json(row: StateRow) -> dict[str, Any]:
    return {
        "rule_id": row.rule_id, "series_key": row.series_key, "alert_id": row.alert_id,
        "state": row.state, "ack_by": row.ack_by, "ack_at_ms": row.ack_at_ms,
        "ack_comment": row.ack_comment,
    }


def _ack_event(conn: Connection, row: StateRow, user: str, comment: str, now_ms: int) -> EventRow:
    rule_name = conn.execute(
        select(alert_rules.c.name).where(alert_rules.c.id == row.rule_id)
    ).scalar_one_or_none()
    return EventRow(
        ts_ms=now_ms, rule_id=row.rule_id, rule_name=rule_name or f"rule {row.rule_id}",
        series_key=row.series_key, source=row.source, entity_kind=row.entity_kind,
        entity_id=row.entity_id, entity_name=row.entity_name, alert_id=row.alert_id,
        event="acknowledged", from_state=row.state, to_state=row.state,
        severity=row.severity, value=row.last_value, reason=comment, actor=user,
    )


def _lock_rules(conn: Connection, rule_ids: set[int]) -> set[int]:
    """The ids of ``rule_ids`` that exist, locked against deletion until commit
    (PostgreSQL FOR KEY SHARE; SQLite's writer lock covers it)."""
    found: set[int] = set()
    for chunk in chunks(sorted(rule_ids)):
        stmt = (
            select(alert_rules.c.id).where(alert_rules.c.id.in_(chunk))
            .order_by(alert_rules.c.id).with_for_update(read=True, key_share=True)
        )
        found.update(conn.execute(stmt).scalars())
    return found
