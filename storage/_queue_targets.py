"""Queues' own service-level targets: read them all, set one, go back to the default.

Setting and clearing append their audit row (``queue.sl_target``) in the same
transaction. Values arrive checked (``specs.sltarget.check_target``); storage never reads
the clock. Every method is one transaction and may raise ``StorageUnavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.engine import Connection

from ._audit import append_audit
from ._schema import queue_targets
from ._sql import upsert_insert
from ._tx import EngineStore

AUDIT_ACTION = "queue.sl_target"


@dataclass(frozen=True, slots=True)
class QueueTargetRow:
    source: str
    queue_id: str
    sl_target_pct: float
    sl_threshold_s: int
    updated_at_ms: int
    updated_by: str


class QueueTargetStore(EngineStore):
    """Queries on ``queue_targets``. Safe to share between threads."""

    def targets(self, source: str) -> dict[str, QueueTargetRow]:
        """Every queue of ``source`` with its own target, by queue id."""
        t = queue_targets
        with self._reading() as conn:
            rows = conn.execute(select(t).where(t.c.source == source))
            return {row.queue_id: _row(row) for row in rows}

    def all_targets(self) -> list[QueueTargetRow]:
        """Every queue's own target, of every source."""
        with self._reading() as conn:
            return [_row(row) for row in conn.execute(select(queue_targets))]

    def set_target(
        self, source: str, queue_id: str, pct: float, threshold_s: int, *, actor: str,
        now_ms: int, client_addr: str | None = None,
    ) -> QueueTargetRow:
        """Give the queue its own target (replacing any it had)."""
        t = queue_targets
        values = {"source": source, "queue_id": queue_id, "sl_target_pct": float(pct),
                  "sl_threshold_s": int(threshold_s), "updated_at": now_ms,
                  "updated_by": actor}
        with self._writing() as conn:
            before = _get(conn, source, queue_id)
            stmt = upsert_insert(conn, t).values(**values)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[t.c.source, t.c.queue_id],
                set_={k: v for k, v in values.items() if k not in ("source", "queue_id")}))
            after = _get(conn, source, queue_id)
            assert after is not None
            append_audit(conn, actor, AUDIT_ACTION, _target(source, queue_id), _json(before),
                         _json(after), now_ms, client_addr)
        return after

    def clear_target(
        self, source: str, queue_id: str, *, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> bool:
        """The queue goes back to the site's default; False (and no audit row) if it had
        no target of its own."""
        t = queue_targets
        with self._writing() as conn:
            before = _get(conn, source, queue_id)
            if before is None:
                return False
            conn.execute(delete(t).where(t.c.source == source, t.c.queue_id == queue_id))
            append_audit(conn, actor, AUDIT_ACTION, _target(source, queue_id), _json(before),
                         None, now_ms, client_addr)
        return True


def _get(conn: Connection, source: str, queue_id: str) -> QueueTargetRow | None:
    t = queue_targets
    row = conn.execute(select(t).where(t.c.source == source, t.c.queue_id == queue_id)).first()
    return None if row is None else _row(row)


def _row(row: Row[Any]) -> QueueTargetRow:
    return QueueTargetRow(
        source=row.source, queue_id=row.queue_id, sl_target_pct=float(row.sl_target_pct),
        sl_threshold_s=int(row.sl_threshold_s), updated_at_ms=int(row.updated_at),
        updated_by=row.updated_by,
    )


def _target(source: str, queue_id: str) -> str:
    return f"queue:{source}:{queue_id}"


def _json(row: QueueTargetRow | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {"sl_target_pct": row.sl_target_pct, "sl_threshold_s": row.sl_threshold_s}
