"""The notification outbox: notifications written in the transaction that changed an
alert's state (or queued apart, for test messages), claimed and finished by the
collector's notifier."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.engine import Connection

from ._alert_records import OutboxItem, OutboxRow
from ._schema import notify_outbox
from ._sql import chunks, dumps, executemany, insert_sql
from ._tx import EngineStore
from ._write import check_fence

INTERRUPTED = "interrupted during delivery; it may or may not have arrived"
_OUTBOX_STATUSES = ("queued", "sending", "delivered", "failed")
_FINISH_STATUSES = ("delivered", "failed", "queued")


class OutboxQueries(EngineStore):
    """The outbox methods of ``AlertStore``."""

    def enqueue(self, items: Sequence[OutboxItem], *, now_ms: int) -> list[int]:
        """Queue notifications outside a state change (test messages). Returns ids, in
        the order of ``items``."""
        if not items:
            return []
        with self._writing() as conn:
            return _insert_outbox(conn, items, now_ms)

    def claim_due(
        self, *, now_ms: int, group_window_ms: int, lease_name: str, lease_token: int,
    ) -> dict[str, list[OutboxRow]]:
        """Per channel, if its oldest queued row is due and older than the group window
        (or is a test message), mark every due queued row of that channel ``sending``
        (attempts + 1, claimed_at) and return them, oldest first. Fenced.

        "Older than the group window": created at least ``group_window_ms`` before
        ``now_ms``, so notifications of one burst go out as one message."""
        t = notify_outbox
        # A read first: the notifier asks several times a second, and an idle outbox
        # should not cost a write transaction (SQLite has one writer) each time.
        with self._reading() as conn:
            oldest = conn.execute(
                select(func.min(t.c.created_at)).where(t.c.status == "queued", t.c.due_at <= now_ms)
            ).scalar()
        if oldest is None:
            return {}
        with self._writing() as conn:
            check_fence(conn, lease_name, lease_token, now_ms)
            # ix_notify_outbox_status_due
            due = conn.execute(
                select(t).where(t.c.status == "queued", t.c.due_at <= now_ms)
                .order_by(t.c.channel, t.c.created_at, t.c.id).with_for_update()
            )
            by_channel: dict[str, list[OutboxRow]] = {}
            for row in due:
                by_channel.setdefault(row.channel, []).append(_outbox(row))
            ready = {
                channel: rows for channel, rows in by_channel.items()
                if _ready(rows, now_ms, group_window_ms)
            }
            ids = [row.id for rows in ready.values() for row in rows]
            for chunk in chunks(ids):
                conn.execute(
                    update(t).where(t.c.id.in_(chunk), t.c.status == "queued")
                    .values(status="sending", attempts=t.c.attempts + 1, claimed_at=now_ms)
                )
        return {
            channel: [
                replace(row, status="sending", attempts=row.attempts + 1, claimed_at_ms=now_ms)
                for row in rows
            ]
            for channel, rows in ready.items()
        }

    def finish(
        self, ids: Sequence[int], *, status: str, error: str | None, now_ms: int,
        retry_at_ms: int | None = None,
    ) -> None:
        """``delivered`` or ``failed`` (finished_at set), or back to ``queued`` with
        ``due_at = retry_at_ms`` (a transient failure to retry). Only rows still
        ``sending`` change (one ``recover_interrupted`` failed stays failed). Raises
        ``ValueError`` for another status, or ``queued`` without ``retry_at_ms``."""
        if status not in _FINISH_STATUSES:
            raise ValueError(f'finish with "delivered", "failed" or "queued", not {status!r}')
        t = notify_outbox
        values: dict[str, Any] = {"status": status, "last_error": error}
        if status == "queued":
            if retry_at_ms is None:
                raise ValueError("a notification queued again needs retry_at_ms")
            values["due_at"] = retry_at_ms
        else:
            values["finished_at"] = now_ms
        with self._writing() as conn:
            for chunk in chunks(list(dict.fromkeys(ids))):
                conn.execute(
                    update(t).where(t.c.id.in_(chunk), t.c.status == "sending").values(values)
                )

    def recover_interrupted(self, *, now_ms: int) -> int:
        """Rows left ``sending`` by a collector that stopped mid-delivery become ``failed``
        with "interrupted during delivery; it may or may not have arrived" (never sent
        twice). Returns how many."""
        t = notify_outbox
        with self._writing() as conn:
            result = conn.execute(
                update(t).where(t.c.status == "sending")
                .values(status="failed", last_error=INTERRUPTED, finished_at=now_ms)
            )
            return int(result.rowcount)

    def outbox(
        self, *, status: str | None = None, channel: str | None = None, limit: int = 100,
    ) -> list[OutboxRow]:
        """Newest first. Raises ``ValueError`` for an unknown status."""
        t = notify_outbox
        stmt = select(t).order_by(t.c.id.desc()).limit(limit)
        if status is not None:
            if status not in _OUTBOX_STATUSES:
                raise ValueError(f"unknown outbox status {status!r}: "
                                 f"one of {', '.join(_OUTBOX_STATUSES)}")
            stmt = stmt.where(t.c.status == status)
        if channel is not None:
            stmt = stmt.where(t.c.channel == channel)
        with self._reading() as conn:
            return [_outbox(row) for row in conn.execute(stmt)]

    def outbox_row(self, row_id: int) -> OutboxRow | None:
        with self._reading() as conn:
            row = conn.execute(
                select(notify_outbox).where(notify_outbox.c.id == row_id)
            ).one_or_none()
        return None if row is None else _outbox(row)


def _outbox_values(item: OutboxItem, now_ms: int) -> dict[str, Any]:
    return {
        "channel": item.channel, "kind": item.kind, "alert_id": item.alert_id,
        "payload": dumps(item.payload), "status": "queued", "created_at": now_ms,
        "due_at": item.due_at_ms, "attempts": 0, "requested_by": item.requested_by,
    }


def _insert_outbox(conn: Connection, items: Sequence[OutboxItem], now_ms: int) -> list[int]:
    """Queue ``items``; returns their ids, in order."""
    if not items:
        return []
    stmt = notify_outbox.insert().returning(notify_outbox.c.id, sort_by_parameter_order=True)
    result = conn.execute(stmt, [_outbox_values(item, now_ms) for item in items])
    return [int(new_id) for new_id in result.scalars()]


def queue_outbox(conn: Connection, items: Sequence[OutboxItem], now_ms: int) -> None:
    """Queue ``items`` in bulk, without reading their ids back."""
    if items:
        params = [tuple(_outbox_values(item, now_ms).values()) for item in items]
        columns = tuple(_outbox_values(items[0], now_ms))
        executemany(conn, insert_sql(conn, "notify_outbox", columns), params)


def _ready(rows: list[OutboxRow], now_ms: int, group_window_ms: int) -> bool:
    """Whether a channel's due rows go out now: a test message at once; otherwise once
    the oldest has waited the group window."""
    oldest = min(row.created_at_ms for row in rows)
    return any(row.kind == "test" for row in rows) or now_ms - oldest >= group_window_ms


def _outbox(row: Row[Any]) -> OutboxRow:
    return OutboxRow(
        id=int(row.id), channel=row.channel, kind=row.kind, alert_id=row.alert_id,
        payload=json.loads(row.payload), status=row.status, created_at_ms=int(row.created_at),
        due_at_ms=int(row.due_at), attempts=int(row.attempts), last_error=row.last_error,
        claimed_at_ms=row.claimed_at, finished_at_ms=row.finished_at,
        requested_by=row.requested_by,
    )
