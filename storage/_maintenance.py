"""Planned maintenance: silences that start later ("once": a start and an end) and
weekly windows in a time zone ("weekly": days of the week and a local start and end
time). Scoped like silences (rule, source, entity kind, entity ids). While one runs,
alerts in its scope behave as silenced and the wall screen says "maintenance"; when
they run is worked out by ``alerts.maintenance`` (daylight saving included).

Creating and ending append their audit row (``maintenance.create``, ``maintenance.end``)
in the same transaction. Every method is one transaction and may raise
``StorageUnavailable``; storage never reads the clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, or_, select, update
from sqlalchemy.engine import Connection

from ._audit import append_audit
from ._errors import StorageError
from ._schema import maintenance_windows
from ._sql import dumps
from ._tx import EngineStore

MINUTES_PER_DAY = 24 * 60


class UnknownMaintenance(StorageError):
    """No maintenance window has this id."""


class MaintenanceKind(StrEnum):
    ONCE = "once"  # from starts_at to ends_at
    WEEKLY = "weekly"  # on weekdays, start_minute to end_minute of local time in timezone


@dataclass(frozen=True, slots=True)
class MaintenanceScope:
    """What a window silences: like a silence, None (or no ids) is "every"."""

    rule_id: int | None = None
    source: str | None = None
    entity_kind: str | None = None
    entity_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Weekly:
    """Every ``weekdays`` (0 = Monday .. 6 = Sunday) from ``start_minute`` to
    ``end_minute`` after local midnight in ``timezone``; an end at or before the start
    is on the next day (22:00-02:00)."""

    weekdays: tuple[int, ...]
    start_minute: int
    end_minute: int
    timezone: str


@dataclass(frozen=True, slots=True)
class MaintenanceRow:
    id: int
    scope: MaintenanceScope
    kind: MaintenanceKind
    starts_at_ms: int | None  # ONCE
    ends_at_ms: int | None  # ONCE
    weekly: Weekly | None  # WEEKLY
    reason: str
    created_by: str
    created_at_ms: int
    ended_at_ms: int | None
    ended_by: str | None

    def matches(self, rule_id: int, source: str, entity_kind: str, entity_id: str) -> bool:
        """Whether an alert of this rule and entity is in the window's scope (the same
        test as ``SilenceRow.matches``)."""
        scope = self.scope
        return (
            (scope.rule_id is None or scope.rule_id == rule_id)
            and (scope.source is None or scope.source == source)
            and (scope.entity_kind is None or scope.entity_kind == entity_kind)
            and (not scope.entity_ids or entity_id in scope.entity_ids)
        )


class MaintenanceStore(EngineStore):
    def create(
        self, scope: MaintenanceScope, *, reason: str, actor: str, now_ms: int,
        once: tuple[int, int] | None = None, weekly: Weekly | None = None,
        client_addr: str | None = None,
    ) -> MaintenanceRow:
        """A window ``once`` (start ms, end ms) or ``weekly``, exactly one of them.
        Raises ``ValueError`` naming what is wrong: no reason, an end not after the start
        or already past, weekdays outside 0-6, minutes outside the day, the same start
        and end minute, an unknown time zone."""
        values = _checked(scope, reason, now_ms, once, weekly)
        values.update(created_by=actor, created_at=now_ms)
        with self._writing() as conn:
            new_id = conn.execute(
                maintenance_windows.insert().values(**values)
                .returning(maintenance_windows.c.id)
            ).scalar_one()
            created = _get(conn, int(new_id))
            append_audit(conn, actor, "maintenance.create", f"maintenance:{created.id}",
                         None, _as_json(created), now_ms, client_addr)
        return created

    def end(
        self, window_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> MaintenanceRow:
        """Withdraw the window from now on (a running one stops). One already ended is
        returned unchanged (no audit row). Raises ``UnknownMaintenance``."""
        with self._writing() as conn:
            before = _get(conn, window_id, lock=True)
            if before.ended_at_ms is not None:
                return before
            conn.execute(update(maintenance_windows)
                         .where(maintenance_windows.c.id == window_id)
                         .values(ended_at=now_ms, ended_by=actor))
            after = _get(conn, window_id)
            append_audit(conn, actor, "maintenance.end", f"maintenance:{window_id}",
                         _as_json(before), _as_json(after), now_ms, client_addr)
        return after

    def windows(self, *, live_at_ms: int | None = None, limit: int = 200) -> list[MaintenanceRow]:
        """Windows, newest first; with ``live_at_ms`` only those that may still run at or
        after it (not ended, and a one-off not over)."""
        t = maintenance_windows
        stmt = select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        if live_at_ms is not None:
            stmt = stmt.where(t.c.ended_at.is_(None),
                              or_(t.c.ends_at.is_(None), t.c.ends_at > live_at_ms))
        with self._reading() as conn:
            return [_window(row) for row in conn.execute(stmt)]


def _checked(
    scope: MaintenanceScope, reason: str, now_ms: int, once: tuple[int, int] | None,
    weekly: Weekly | None,
) -> dict[str, Any]:
    if not reason.strip():
        raise ValueError("maintenance needs a reason")
    if isinstance(scope.entity_ids, str):
        raise ValueError("entity_ids must be a list of ids, not one string")
    values: dict[str, Any] = {
        "rule_id": scope.rule_id, "source": scope.source, "entity_kind": scope.entity_kind,
        "entity_ids": dumps([str(e) for e in scope.entity_ids]), "reason": reason.strip(),
    }
    if (once is None) == (weekly is None):
        raise ValueError("maintenance is either once or weekly")
    if once is not None:
        start, end = once
        if end <= start:
            raise ValueError("the maintenance must end after it starts")
        if end <= now_ms:
            raise ValueError("the maintenance would be over already")
        values.update(kind=MaintenanceKind.ONCE.value, starts_at=start, ends_at=end)
        return values
    assert weekly is not None
    days = sorted(set(weekly.weekdays))
    if not days or any(isinstance(d, bool) or d not in range(7) for d in days):
        raise ValueError("weekdays are 0 (Monday) to 6 (Sunday), at least one")
    for minute in (weekly.start_minute, weekly.end_minute):
        if isinstance(minute, bool) or minute not in range(MINUTES_PER_DAY):
            raise ValueError("start and end are minutes of the day, 0 to 1439")
    if weekly.start_minute == weekly.end_minute:
        raise ValueError("the window must end at another time than it starts")
    try:
        ZoneInfo(weekly.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {weekly.timezone!r}") from None
    values.update(kind=MaintenanceKind.WEEKLY.value, weekdays=",".join(map(str, days)),
                  start_minute=weekly.start_minute, end_minute=weekly.end_minute,
                  timezone=weekly.timezone)
    return values


def _get(conn: Connection, window_id: int, *, lock: bool = False) -> MaintenanceRow:
    stmt = select(maintenance_windows).where(maintenance_windows.c.id == window_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise UnknownMaintenance(f"no maintenance window has id {window_id}")
    return _window(row)


def _window(row: Row[Any]) -> MaintenanceRow:
    kind = MaintenanceKind(row.kind)
    weekly = None
    if kind is MaintenanceKind.WEEKLY:
        weekly = Weekly(weekdays=tuple(int(d) for d in row.weekdays.split(",")),
                        start_minute=int(row.start_minute), end_minute=int(row.end_minute),
                        timezone=row.timezone)
    return MaintenanceRow(
        id=int(row.id),
        scope=MaintenanceScope(rule_id=row.rule_id, source=row.source,
                               entity_kind=row.entity_kind,
                               entity_ids=tuple(json.loads(row.entity_ids))),
        kind=kind, starts_at_ms=row.starts_at, ends_at_ms=row.ends_at, weekly=weekly,
        reason=row.reason, created_by=row.created_by, created_at_ms=int(row.created_at),
        ended_at_ms=row.ended_at, ended_by=row.ended_by,
    )


def _as_json(window: MaintenanceRow) -> dict[str, Any]:
    scope, weekly = window.scope, window.weekly
    return {
        "id": window.id, "kind": window.kind.value, "rule_id": scope.rule_id,
        "source": scope.source, "entity_kind": scope.entity_kind,
        "entity_ids": list(scope.entity_ids), "starts_at_ms": window.starts_at_ms,
        "ends_at_ms": window.ends_at_ms,
        "weekly": None if weekly is None else {
            "weekdays": list(weekly.weekdays), "start_minute": weekly.start_minute,
            "end_minute": weekly.end_minute, "timezone": weekly.timezone},
        "reason": window.reason, "created_by": window.created_by,
        "ended_at_ms": window.ended_at_ms, "ended_by": window.ended_by,
    }
