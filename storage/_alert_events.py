"""Alert events: the append-only history of state changes and acknowledgements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from ._alert_records import EventRow
from ._schema import alert_events
from ._sql import executemany, insert_sql
from ._tx import EngineStore


class EventQueries(EngineStore):
    """The event reads of ``AlertStore``."""

    def events(
        self, *, since_ms: int = 0, limit: int = 500, rule_id: int | None = None,
        series_key: str | None = None,
    ) -> list[EventRow]:
        """Alert events at or after ``since_ms``, newest first."""
        t = alert_events
        # ix_alert_events_rule_series_ts with rule (and series), else ix_alert_events_ts.
        stmt = select(t).where(t.c.ts >= since_ms).order_by(t.c.ts.desc(), t.c.id.desc())
        if rule_id is not None:
            stmt = stmt.where(t.c.rule_id == rule_id)
        if series_key is not None:
            stmt = stmt.where(t.c.series_key == series_key)
        with self._reading() as conn:
            return [_event(row) for row in conn.execute(stmt.limit(limit))]


_EVENT_COLUMNS = {"ts_ms": "ts"}
_EVENT_FIELDS = tuple(f.name for f in fields(EventRow) if f.name != "id")
_EVENT_ORDER = tuple(_EVENT_COLUMNS.get(name, name) for name in _EVENT_FIELDS)


def insert_events(conn: Connection, events: Sequence[EventRow]) -> None:
    """Append ``events`` in bulk inside the caller's transaction."""
    if events:
        executemany(conn, insert_sql(conn, "alert_events", _EVENT_ORDER), [
            tuple(getattr(event, name) for name in _EVENT_FIELDS) for event in events
        ])


def _event(row: Row[Any]) -> EventRow:
    mapping = row._mapping
    values = {name: mapping[_EVENT_COLUMNS.get(name, name)] for name in _EVENT_FIELDS}
    values["silenced"] = bool(values["silenced"])
    if values["value"] is not None:
        values["value"] = float(values["value"])
    return EventRow(**values, id=int(row.id))
