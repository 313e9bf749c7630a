"""Drift: the current set of drifting resources per reconciler, and its events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from ._records import DriftItem
from ._schema import drift_events, drift_resources
from ._tx import EngineStore


class DriftEventKind(StrEnum):
    """``drift_events.event``."""

    STARTED = "started"  # a (resource, field) began drifting; ts is when it was detected
    RECONCILED = "reconciled"  # it stopped; ts is the poll that saw it gone, with duration


@dataclass(frozen=True, slots=True)
class DriftResourceRow:
    source: str
    resource_id: str
    field: str
    provider: str
    kind: str
    desired: str
    actual: str
    detected_at_ms: int
    last_seen_at_ms: int


@dataclass(frozen=True, slots=True)
class DriftEventRow:
    id: int
    source: str
    resource_id: str
    field: str
    provider: str
    kind: str
    event: str  # a DriftEventKind
    ts_ms: int
    desired: str | None
    actual: str | None
    duration_ms: int | None  # set on "reconciled"


def write_drift(conn: Connection, source: str, items: Sequence[DriftItem], now_ms: int) -> None:
    """Make ``drift_resources`` of ``source`` equal ``items``; append a "started" event
    for each new (resource_id, field) and a "reconciled" event (with duration_ms) for
    each that disappeared. Part of the poll's transaction.

    A continuing item keeps its first ``detected_at``; its desired/actual values and
    ``last_seen_at`` are updated. Of items repeating a (resource_id, field) the first wins.
    """
    latest: dict[tuple[str, str], DriftItem] = {}
    for item in items:
        latest.setdefault((item.resource_id, item.field), item)
    t = drift_resources
    stored = {
        (row.resource_id, row.field): row
        for row in conn.execute(select(t).where(t.c.source == source))
    }
    new = [item for key, item in latest.items() if key not in stored]
    continuing = [item for key, item in latest.items() if key in stored]
    gone = [row for key, row in stored.items() if key not in latest]
    if new:
        conn.execute(t.insert(), [
            {**_item_values(source, item), "detected_at": item.detected_at_ms,
             "last_seen_at": now_ms}
            for item in new
        ])
    if continuing:
        conn.execute(
            update(t)
            .where(and_(t.c.source == bindparam("b_source"),
                        t.c.resource_id == bindparam("b_resource_id"),
                        t.c.field == bindparam("b_field")))
            .values(provider=bindparam("b_provider"), kind=bindparam("b_kind"),
                    desired=bindparam("b_desired"), actual=bindparam("b_actual"),
                    last_seen_at=bindparam("b_last_seen_at")),
            [
                {f"b_{key}": value for key, value in _item_values(source, item).items()}
                | {"b_last_seen_at": now_ms}
                for item in continuing
            ],
        )
    if gone:
        conn.execute(
            delete(t).where(and_(t.c.source == bindparam("b_source"),
                                 t.c.resource_id == bindparam("b_resource_id"),
                                 t.c.field == bindparam("b_field"))),
            [{"b_source": source, "b_resource_id": row.resource_id, "b_field": row.field}
             for row in gone],
        )
    events = [
        {**_item_values(source, item), "event": DriftEventKind.STARTED.value,
         "ts": item.detected_at_ms, "duration_ms": None}
        for item in new
    ] + [
        {"source": source, "resource_id": row.resource_id, "field": row.field,
         "provider": row.provider, "kind": row.kind, "desired": row.desired,
         "actual": row.actual, "event": DriftEventKind.RECONCILED.value, "ts": now_ms,
         "duration_ms": max(0, now_ms - row.detected_at)}
        for row in gone
    ]
    if events:
        conn.execute(drift_events.insert(), events)


def _item_values(source: str, item: DriftItem) -> dict[str, Any]:
    return {"source": source, "resource_id": item.resource_id, "field": item.field,
            "provider": item.provider, "kind": item.kind, "desired": item.desired,
            "actual": item.actual}


class DriftStore(EngineStore):
    """Reads of the drift tables for the pages; each method is one query.

    Any method may raise ``StorageUnavailable``. Safe to share between threads.
    """

    def current(self, source: str | None = None) -> list[DriftResourceRow]:
        """The resources drifting now, longest drifting first."""
        t = drift_resources
        query = select(t).order_by(t.c.detected_at, t.c.source, t.c.resource_id, t.c.field)
        if source is not None:
            query = query.where(t.c.source == source)  # the primary key's prefix
        with self._reading() as conn:
            return [_resource(row) for row in conn.execute(query)]

    def events(
        self, source: str | None = None, since_ms: int = 0, limit: int = 500
    ) -> list[DriftEventRow]:
        """Started/reconciled events at or after ``since_ms``, newest first."""
        t = drift_events
        query = (
            select(t).where(t.c.ts >= since_ms)
            .order_by(t.c.ts.desc(), t.c.id.desc()).limit(limit)
        )
        if source is not None:
            query = query.where(t.c.source == source)  # served by ix (source, ts)
        with self._reading() as conn:
            return [_event(row) for row in conn.execute(query)]

    def durations(self, since_ms: int, source: str | None = None) -> list[int]:
        """How long each drift reconciled at or after ``since_ms`` lasted (ms), oldest
        first."""
        t = drift_events
        query = (
            select(t.c.duration_ms)
            .where(t.c.event == DriftEventKind.RECONCILED.value, t.c.ts >= since_ms,
                   t.c.duration_ms.is_not(None))
            .order_by(t.c.ts, t.c.id)
        )
        if source is not None:
            query = query.where(t.c.source == source)  # served by ix (source, ts)
        with self._reading() as conn:
            return [int(value) for value in conn.execute(query).scalars()]


def _resource(row: Row[Any]) -> DriftResourceRow:
    return DriftResourceRow(
        source=row.source, resource_id=row.resource_id, field=row.field,
        provider=row.provider, kind=row.kind, desired=row.desired, actual=row.actual,
        detected_at_ms=int(row.detected_at), last_seen_at_ms=int(row.last_seen_at),
    )


def _event(row: Row[Any]) -> DriftEventRow:
    return DriftEventRow(
        id=int(row.id), source=row.source, resource_id=row.resource_id, field=row.field,
        provider=row.provider, kind=row.kind, event=row.event, ts_ms=int(row.ts),
        desired=row.desired, actual=row.actual,
        duration_ms=None if row.duration_ms is None else int(row.duration_ms),
    )
