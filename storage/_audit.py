"""The audit log: who changed what, with the before and after as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from ._schema import audit_log
from ._sql import dumps
from ._tx import EngineStore


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    ts_ms: int
    actor: str
    action: str
    target: str
    before: Any  # decoded JSON or None
    after: Any
    client_addr: str | None


class AuditQueries(EngineStore):
    """The audit methods of ``AlertStore``."""

    def audit(
        self, *, actor: str, action: str, target: str, before: Any = None, after: Any = None,
        now_ms: int, client_addr: str | None = None,
    ) -> None:
        """Append one audit row (``before``/``after`` JSON-encoded)."""
        with self._writing() as conn:
            append_audit(conn, actor, action, target, before, after, now_ms, client_addr)

    def audit_log(
        self, *, since_ms: int | None = None, actor: str | None = None,
        action_prefix: str | None = None, limit: int = 200,
    ) -> list[AuditRow]:
        """Newest first, filtered."""
        t = audit_log
        # ix_audit_log_action_ts serves an action prefix, ix_audit_log_ts the rest.
        stmt = select(t).order_by(t.c.ts.desc(), t.c.id.desc()).limit(limit)
        if since_ms is not None:
            stmt = stmt.where(t.c.ts >= since_ms)
        if actor is not None:
            stmt = stmt.where(t.c.actor == actor)
        if action_prefix:
            stmt = stmt.where(t.c.action.startswith(action_prefix, autoescape=True))
        with self._reading() as conn:
            return [_audit_row(row) for row in conn.execute(stmt)]


def append_audit(
    conn: Connection, actor: str, action: str, target: str, before: Any, after: Any,
    now_ms: int, client_addr: str | None,
) -> None:
    """Append one audit row inside the caller's transaction, so the change and its
    record commit together."""
    conn.execute(audit_log.insert().values(
        ts=now_ms, actor=actor, action=action, target=target,
        before=None if before is None else dumps(before),
        after=None if after is None else dumps(after), client_addr=client_addr,
    ))


def _audit_row(row: Row[Any]) -> AuditRow:
    return AuditRow(
        id=int(row.id), ts_ms=int(row.ts), actor=row.actor, action=row.action,
        target=row.target, before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        client_addr=row.client_addr,
    )
