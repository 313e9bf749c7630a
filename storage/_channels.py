"""Notification channels: the delivery state of each configured channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, case, delete, select, update

from ._alert_records import ChannelRow
from ._schema import notify_channels
from ._sql import upsert_insert
from ._tx import EngineStore

_CHANNEL_STATES = ("ok", "failing")


class ChannelQueries(EngineStore):
    """The channel methods of ``AlertStore``."""

    def sync_channels(self, channels: Sequence[tuple[str, str]], *, now_ms: int) -> None:
        """Make ``notify_channels`` hold exactly these (name, kind): new ones ``ok``;
        removed ones deleted; a kind change resets the row."""
        wanted = dict(channels)
        t = notify_channels
        with self._writing() as conn:
            existing = {row.name: row.kind for row in conn.execute(select(t.c.name, t.c.kind))}
            gone = [name for name in existing if name not in wanted]
            if gone:
                conn.execute(delete(t).where(t.c.name.in_(gone)))
            fresh = [
                _fresh_channel(name, kind, now_ms) for name, kind in wanted.items()
                if existing.get(name) != kind
            ]
            if fresh:
                stmt = upsert_insert(conn, t)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["name"],
                        set_={col: stmt.excluded[col] for col in fresh[0] if col != "name"},
                    ),
                    fresh,
                )

    def channels(self) -> list[ChannelRow]:
        """Every channel, by name."""
        with self._reading() as conn:
            rows = conn.execute(select(notify_channels).order_by(notify_channels.c.name))
            return [_channel(row) for row in rows]

    def set_channel_state(
        self, name: str, *, state: str, error: str | None, now_ms: int,
    ) -> None:
        """Record a delivery outcome: ``ok`` sets ``last_ok_at`` (keeps the last error for
        display); ``failing`` sets ``last_error``/``last_error_at``; ``state_since`` moves
        only when the state changes. A name not in ``notify_channels`` (no longer
        configured) is ignored. Raises ``ValueError`` for another state."""
        if state not in _CHANNEL_STATES:
            raise ValueError(f'a channel state is "ok" or "failing", not {state!r}')
        t = notify_channels
        values: dict[str, Any] = {
            "state": state,
            "state_since": case((t.c.state == state, t.c.state_since), else_=now_ms),
            "updated_at": now_ms,
        }
        if state == "ok":
            values["last_ok_at"] = now_ms
        else:
            values |= {"last_error": error or "unknown error", "last_error_at": now_ms}
        with self._writing() as conn:
            conn.execute(update(t).where(t.c.name == name).values(values))


def _fresh_channel(name: str, kind: str, now_ms: int) -> dict[str, Any]:
    return {
        "name": name, "kind": kind, "state": "ok", "state_since": now_ms, "last_error": None,
        "last_error_at": None, "last_ok_at": None, "updated_at": now_ms,
    }


def _channel(row: Row[Any]) -> ChannelRow:
    return ChannelRow(
        name=row.name, kind=row.kind, state=row.state, state_since_ms=int(row.state_since),
        last_error=row.last_error, last_error_at_ms=row.last_error_at,
        last_ok_at_ms=row.last_ok_at, updated_at_ms=int(row.updated_at),
    )
