"""Server-side login sessions: every query ``auth`` needs to start, confirm and end them.

Tokens arrive here already hashed (``auth`` hashes them). Every method is one
transaction and may raise ``StorageUnavailable``; storage never reads the clock
(``now_ms`` comes from the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, delete, or_, select, update
from sqlalchemy.engine import Connection

from ._schema import sessions, users
from ._tx import EngineStore

_ADDR_MAX = 64
_AGENT_MAX = 300
_REASON_MAX = 40


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One login session (without its token hash)."""

    id: int
    user_id: int
    created_at_ms: int
    last_seen_at_ms: int
    expires_at_ms: int
    client_addr: str | None
    user_agent: str | None
    revoked_at_ms: int | None
    revoked_reason: str | None

    def active(self, now_ms: int) -> bool:
        return self.revoked_at_ms is None and now_ms < self.expires_at_ms


@dataclass(frozen=True, slots=True)
class SessionUserRow:
    """A session and the facts of its user that decide whether it may go on."""

    session: SessionRow
    username: str
    role: str
    disabled: bool
    language: str | None = None  # the user's chosen language (revision 0008)


class SessionStore(EngineStore):
    """Queries on ``sessions``. Safe to share between threads."""

    def create(
        self, token_hash: str, user_id: int, *, now_ms: int, expires_ms: int,
        client_addr: str | None, user_agent: str | None, forget_before_ms: int,
    ) -> int:
        """Store a new session; return its id. The user's sessions that ended before
        ``forget_before_ms`` are deleted in the same transaction, so the table stays
        bounded without a separate job."""
        with self._writing() as conn:
            conn.execute(delete(sessions).where(
                sessions.c.user_id == user_id,
                or_(sessions.c.expires_at < forget_before_ms,
                    sessions.c.revoked_at < forget_before_ms)))
            new_id = conn.execute(sessions.insert().values(
                token_hash=token_hash, user_id=user_id, created_at=now_ms,
                last_seen_at=now_ms, expires_at=expires_ms,
                client_addr=_cut(client_addr, _ADDR_MAX),
                user_agent=_cut(user_agent, _AGENT_MAX),
            ).returning(sessions.c.id)).scalar_one()
        return int(new_id)

    def by_token_hash(self, token_hash: str) -> SessionUserRow | None:
        """The session with this token hash and its user's facts (ended or not).
        Served by uq_sessions_token_hash, then the users primary key."""
        stmt = (select(sessions, users.c.username, users.c.role, users.c.disabled,
                       users.c.language)
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.token_hash == token_hash))
        with self._reading() as conn:
            row = conn.execute(stmt).one_or_none()
        if row is None:
            return None
        return SessionUserRow(session=_session(row), username=row.username, role=row.role,
                              disabled=bool(row.disabled), language=row.language)

    def touch(
        self, session_id: int, *, now_ms: int, expires_ms: int, min_interval_ms: int,
    ) -> bool:
        """Record a request of a live session, unless one was recorded less than
        ``min_interval_ms`` ago (decided in the UPDATE, so several web processes write
        about once per interval together). True if written."""
        stmt = (update(sessions)
                .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None),
                       sessions.c.last_seen_at <= now_ms - min_interval_ms)
                .values(last_seen_at=now_ms, expires_at=expires_ms))
        with self._writing() as conn:
            return conn.execute(stmt).rowcount == 1

    def get(self, session_id: int) -> SessionRow | None:
        with self._reading() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).one_or_none()
        return None if row is None else _session(row)

    def revoke(self, session_id: int, *, now_ms: int, reason: str) -> SessionRow | None:
        """End one session; the row as it was before (None: no such session). A session
        that had already ended is left as it was."""
        with self._writing() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).one_or_none()
            if row is None:
                return None
            conn.execute(update(sessions).where(
                sessions.c.id == session_id, sessions.c.revoked_at.is_(None),
            ).values(revoked_at=now_ms, revoked_reason=reason[:_REASON_MAX]))
        return _session(row)

    def revoke_user(self, user_id: int, *, now_ms: int, reason: str) -> int:
        """End every live session of a user; how many."""
        with self._writing() as conn:
            return revoke_user_sessions(conn, user_id, now_ms, reason)

    def active(self, now_ms: int, user_id: int | None = None) -> list[SessionRow]:
        """Live sessions (of one user, or all), most recently seen first."""
        stmt = (select(sessions)
                .where(sessions.c.revoked_at.is_(None), sessions.c.expires_at > now_ms)
                .order_by(sessions.c.last_seen_at.desc(), sessions.c.id.desc()))
        if user_id is not None:
            stmt = stmt.where(sessions.c.user_id == user_id)
        with self._reading() as conn:
            return [_session(row) for row in conn.execute(stmt)]


def revoke_user_sessions(conn: Connection, user_id: int, now_ms: int, reason: str) -> int:
    """In the caller's transaction: end every session of a user that has not ended."""
    result = conn.execute(update(sessions).where(and_(
        sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None),
    )).values(revoked_at=now_ms, revoked_reason=reason[:_REASON_MAX]))
    return int(result.rowcount)


def _session(row: Row[Any]) -> SessionRow:
    return SessionRow(
        id=int(row.id), user_id=int(row.user_id), created_at_ms=int(row.created_at),
        last_seen_at_ms=int(row.last_seen_at), expires_at_ms=int(row.expires_at),
        client_addr=row.client_addr, user_agent=row.user_agent,
        revoked_at_ms=row.revoked_at, revoked_reason=row.revoked_reason,
    )


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
