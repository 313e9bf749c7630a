"""Messages to the floor: posted by a supervisor or an admin, shown as a ticker on the
wall screens they name (or all) until they expire or are withdrawn.

Posting and withdrawing append their audit row (``message.post``, ``message.withdraw``)
in the same transaction. Every method is one transaction and may raise
``StorageUnavailable``; storage never reads the clock (``now_ms`` comes from the caller).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.engine import Connection

from ._audit import append_audit
from ._errors import StorageError
from ._schema import floor_messages
from ._sql import dumps
from ._tx import EngineStore

TEXT_MAX = 500


class UnknownMessage(StorageError):
    """No floor message has this id."""


@dataclass(frozen=True, slots=True)
class FloorMessageRow:
    id: int
    text: str
    displays: tuple[int, ...]  # display token ids; () = every screen
    expires_at_ms: int
    created_by: str
    created_at_ms: int
    withdrawn_at_ms: int | None
    withdrawn_by: str | None

    def running_at(self, now_ms: int) -> bool:
        """Posted, not expired and not withdrawn at ``now_ms``."""
        return (self.created_at_ms <= now_ms < self.expires_at_ms
                and (self.withdrawn_at_ms is None or self.withdrawn_at_ms > now_ms))

    def shown_on(self, display_id: int | None) -> bool:
        """Whether the screen of ``display_id`` shows it (None: a person's browser, which
        shows the messages to every screen)."""
        return not self.displays or (display_id is not None and display_id in self.displays)


class FloorMessageStore(EngineStore):
    def post(
        self, text: str, *, displays: Sequence[int], expires_at_ms: int, actor: str,
        now_ms: int, client_addr: str | None = None,
    ) -> FloorMessageRow:
        """Raises ``ValueError`` for an empty or too long text, an expiry not after now,
        or display ids that are not whole numbers."""
        body = text.strip()
        if not body:
            raise ValueError("a message needs a text")
        if len(body) > TEXT_MAX:
            raise ValueError(f"a message has at most {TEXT_MAX} characters")
        if expires_at_ms <= now_ms:
            raise ValueError("the message must expire after it is posted")
        if any(isinstance(d, bool) or not isinstance(d, int) for d in displays):
            raise ValueError("displays must be display token ids")
        values = {"text": body, "displays": dumps(sorted(set(displays))),
                  "expires_at": expires_at_ms, "created_by": actor, "created_at": now_ms}
        with self._writing() as conn:
            new_id = conn.execute(
                floor_messages.insert().values(**values).returning(floor_messages.c.id)
            ).scalar_one()
            created = _get(conn, int(new_id))
            append_audit(conn, actor, "message.post", f"message:{created.id}", None,
                         _as_json(created), now_ms, client_addr)
        return created

    def withdraw(
        self, message_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> FloorMessageRow:
        """Take the message off the screens now. One already withdrawn or expired is
        returned unchanged (no audit row). Raises ``UnknownMessage``."""
        with self._writing() as conn:
            before = _get(conn, message_id, lock=True)
            if before.withdrawn_at_ms is not None or before.expires_at_ms <= now_ms:
                return before
            conn.execute(update(floor_messages).where(floor_messages.c.id == message_id)
                         .values(withdrawn_at=now_ms, withdrawn_by=actor))
            after = _get(conn, message_id)
            append_audit(conn, actor, "message.withdraw", f"message:{message_id}",
                         _as_json(before), _as_json(after), now_ms, client_addr)
        return after

    def running(self, now_ms: int) -> list[FloorMessageRow]:
        """The messages on the screens at ``now_ms``, oldest first (every screen's; the
        caller picks a screen's with ``shown_on``)."""
        t = floor_messages
        # ix_floor_messages_expires_at: only the unexpired rows are read.
        stmt = (select(t).where(t.c.expires_at > now_ms, t.c.created_at <= now_ms,
                                t.c.withdrawn_at.is_(None))
                .order_by(t.c.created_at, t.c.id))
        with self._reading() as conn:
            return [_message(row) for row in conn.execute(stmt)]

    def recent(self, limit: int = 50) -> list[FloorMessageRow]:
        """The newest messages, running or not, newest first."""
        t = floor_messages
        stmt = select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        with self._reading() as conn:
            return [_message(row) for row in conn.execute(stmt)]


def _get(conn: Connection, message_id: int, *, lock: bool = False) -> FloorMessageRow:
    stmt = select(floor_messages).where(floor_messages.c.id == message_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise UnknownMessage(f"no floor message has id {message_id}")
    return _message(row)


def _message(row: Row[Any]) -> FloorMessageRow:
    return FloorMessageRow(
        id=int(row.id), text=row.text, displays=tuple(int(d) for d in json.loads(row.displays)),
        expires_at_ms=int(row.expires_at), created_by=row.created_by,
        created_at_ms=int(row.created_at), withdrawn_at_ms=row.withdrawn_at,
        withdrawn_by=row.withdrawn_by,
    )


def _as_json(message: FloorMessageRow) -> dict[str, Any]:
    return {"id": message.id, "text": message.text, "displays": list(message.displays),
            "expires_at_ms": message.expires_at_ms, "created_by": message.created_by,
            "withdrawn_at_ms": message.withdrawn_at_ms, "withdrawn_by": message.withdrawn_by}
