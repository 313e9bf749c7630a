"""Silences: time-boxed mutes of alert notifications by rule, source and entities
(audit actions silence.create / silence.end)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.engine import Connection

from ._alert_records import SilenceRow, UnknownSilence
from ._audit import append_audit
from ._schema import alert_silences
from ._sql import dumps
from ._tx import EngineStore


class SilenceQueries(EngineStore):
    """The silence methods of ``AlertStore``."""

    def create_silence(
        self, *, rule_id: int | None, source: str | None, entity_kind: str | None,
        entity_ids: Sequence[str], starts_at_ms: int, ends_at_ms: int, reason: str,
        actor: str, now_ms: int, client_addr: str | None = None,
    ) -> SilenceRow:
        """Raises ``ValueError`` when ``ends_at_ms <= starts_at_ms`` or the reason is empty."""
        if ends_at_ms <= starts_at_ms:
            raise ValueError("the silence must end after it starts")
        if not reason.strip():
            raise ValueError("a silence needs a reason")
        if isinstance(entity_ids, str):
            raise ValueError("entity_ids must be a list of ids, not one string")
        values = {
            "rule_id": rule_id, "source": source, "entity_kind": entity_kind,
            "entity_ids": dumps([str(e) for e in entity_ids]), "starts_at": starts_at_ms,
            "ends_at": ends_at_ms, "reason": reason.strip(), "created_by": actor,
            "created_at": now_ms, "ended_at": None, "ended_by": None,
        }
        with self._writing() as conn:
            new_id = conn.execute(
                alert_silences.insert().values(**values).returning(alert_silences.c.id)
            ).scalar_one()
            created = _get_silence(conn, int(new_id))
            append_audit(conn, actor, "silence.create", f"silence:{created.id}", None,
                _silence_json(created), now_ms, client_addr)
        return created

    def end_silence(
        self, silence_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> SilenceRow:
        """End the silence now. One already ended is returned unchanged (no audit row).
        Raises ``UnknownSilence``."""
        with self._writing() as conn:
            before = _get_silence(conn, silence_id, lock=True)
            if before.ended_at_ms is not None:
                return before
            conn.execute(
                update(alert_silences).where(alert_silences.c.id == silence_id)
                .values(ended_at=now_ms, ended_by=actor)
            )
            after = _get_silence(conn, silence_id)
            append_audit(conn, actor, "silence.end", f"silence:{silence_id}",
                _silence_json(before), _silence_json(after), now_ms, client_addr)
        return after

    def silences(self, *, active_at_ms: int | None = None, limit: int = 200) -> list[SilenceRow]:
        """Silences (only those active at ``active_at_ms`` when given), newest first."""
        t = alert_silences
        stmt = select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        if active_at_ms is not None:
            stmt = stmt.where(
                t.c.starts_at <= active_at_ms, t.c.ends_at > active_at_ms,
                or_(t.c.ended_at.is_(None), t.c.ended_at > active_at_ms),
            )
        with self._reading() as conn:
            return [_silence(row) for row in conn.execute(stmt)]


def _get_silence(conn: Connection, silence_id: int, *, lock: bool = False) -> SilenceRow:
    stmt = select(alert_silences).where(alert_silences.c.id == silence_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise UnknownSilence(f"no silence has id {silence_id}")
    return _silence(row)


def _silence(row: Row[Any]) -> SilenceRow:
    return SilenceRow(
        id=int(row.id), rule_id=row.rule_id, source=row.source, entity_kind=row.entity_kind,
        entity_ids=tuple(json.loads(row.entity_ids)), starts_at_ms=int(row.starts_at),
        ends_at_ms=int(row.ends_at), reason=row.reason, created_by=row.created_by,
        created_at_ms=int(row.created_at), ended_at_ms=row.ended_at, ended_by=row.ended_by,
    )


def _silence_json(silence: SilenceRow) -> dict[str, Any]:
    return {
        "id": silence.id, "rule_id": silence.rule_id, "source": silence.source,
        "entity_kind": silence.entity_kind, "entity_ids": list(silence.entity_ids),
        "starts_at_ms": silence.starts_at_ms, "ends_at_ms": silence.ends_at_ms,
        "reason": silence.reason, "created_by": silence.created_by,
        "ended_at_ms": silence.ended_at_ms, "ended_by": silence.ended_by,
    }
