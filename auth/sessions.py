"""Server-side login sessions: started at login, confirmed on every request, ended by
logout, a password change, disabling, demotion or an administrator.

The browser's signed cookie holds a random token (``secrets.token_urlsafe(32)``); the
database holds its SHA-256 (256 bits of entropy: nothing to brute-force, so a fast hash
is right and the lookup is one index probe). Every request reads the session and its user
(no cache), so an ended session is refused at its very next request in every web process.
Wall screens' display sessions are not these: see ``auth.displays``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from specs.clock import Clock
from specs.roles import USER_ROLES
from storage import SessionRow, SessionStore, SessionUserRow, StorageUnavailable, UserStore

from .config import AuthConfig
from .users import SYSTEM, Actor, Role, _row, audit

log = logging.getLogger(__name__)


TOKEN_BYTES = 32
# A session never lives longer than this, however active (the cookie's lifetime too).
MAX_LIFETIME_S = 30 * 24 * 3600.0
# last_seen_at (and the idle expiry) is written at most this often per session, so the
# idle timeout ends a session between idle_timeout_s - TOUCH_INTERVAL_S and
# idle_timeout_s after its last request.
TOUCH_INTERVAL_S = 30.0
# Ended sessions are kept this long (the admin page and forensics), then deleted when the
# user next logs in.
KEEP_ENDED_S = 30 * 24 * 3600.0


class EndReason:
    """Why a session ended (``sessions.revoked_reason``)."""

    LOGOUT = "logout"
    LOGOUT_EVERYWHERE = "logout_everywhere"
    ADMIN = "admin"
    # Written by storage in the same transaction as the change:
    PASSWORD = "password"
    DISABLED = "disabled"
    ROLE = "role"


@dataclass(frozen=True)
class LiveSession:
    """A confirmed session of the current request."""

    id: int
    user_id: int
    username: str
    role: Role
    language: str | None = None  # the user's chosen language, None: not chosen


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def start(
    engine: Engine, user_id: int, now: float, config: AuthConfig, *,
    client_addr: str | None, user_agent: str | None,
) -> str:
    """Store a new session for ``user_id``; return the token for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now_ms = _ms(now)
    SessionStore(engine).create(
        hash_token(token), user_id, now_ms=now_ms, expires_ms=_expiry(now_ms, now_ms, config),
        client_addr=client_addr, user_agent=user_agent,
        forget_before_ms=now_ms - _ms(KEEP_ENDED_S))
    return token


def _expiry(created_ms: int, now_ms: int, config: AuthConfig) -> int:
    return min(now_ms + _ms(config.idle_timeout_s), created_ms + _ms(MAX_LIFETIME_S))


def confirm(
    engine: Engine, token: object, now: float, config: AuthConfig, *, touch: bool = True,
) -> tuple[LiveSession | None, str]:
    """The session of ``token`` if it may go on, else None and why (for the log).

    Refused: unknown token, ended, idle past its expiry, user disabled, a role that is
    not a user's. ``touch`` records the request (at most every TOUCH_INTERVAL_S).
    Raises StorageUnavailable."""
    if not isinstance(token, str) or not token:
        return None, "no session"
    found = SessionStore(engine).by_token_hash(hash_token(token))
    now_ms = _ms(now)
    why = _refusal(found, now_ms)
    if why is not None or found is None:
        return None, why or "unknown session"
    row = found.session
    if touch and now_ms - row.last_seen_at_ms >= _ms(TOUCH_INTERVAL_S):
        try:
            SessionStore(engine).touch(row.id, now_ms=now_ms,
                                       expires_ms=_expiry(row.created_at_ms, now_ms, config),
                                       min_interval_ms=_ms(TOUCH_INTERVAL_S) - 500)
        except StorageUnavailable as err:
            # The session was confirmed just now; only its idle expiry lags.
            log.warning("cannot record session %s as seen: %s", row.id, err)
    return LiveSession(id=row.id, user_id=row.user_id, username=found.username,
                       role=Role(found.role), language=found.language), ""


def _refusal(found: SessionUserRow | None, now_ms: int) -> str | None:
    if found is None:
        return "unknown session"
    row = found.session
    if row.revoked_at_ms is not None:
        return f"session ended ({row.revoked_reason or 'revoked'})"
    if now_ms >= row.expires_at_ms:
        return "session expired (idle or too old)"
    if found.disabled:
        return "user disabled"
    if found.role not in USER_ROLES:
        return f"unknown role {found.role!r}"
    return None


def end(engine: Engine, session_id: int, now: float, reason: str) -> None:
    """End one session (logout)."""
    SessionStore(engine).revoke(session_id, now_ms=_ms(now), reason=reason)


def end_all(
    engine: Engine, username: str, *, reason: str = EndReason.ADMIN, actor: Actor = SYSTEM,
    clock: Clock = time.time,
) -> int:
    """End every session of ``username`` (audit "session.end_all"); how many. Raises
    UnknownUser."""
    row = _row(UserStore(engine), username)
    now_ms = _ms(clock())
    ended = SessionStore(engine).revoke_user(row.id, now_ms=now_ms, reason=reason)
    audit(engine, actor, "session.end_all", row.username, now_ms,
          after={"sessions": ended, "reason": reason})
    return ended


def end_one(
    engine: Engine, username: str, session_id: int, *, actor: Actor = SYSTEM,
    clock: Clock = time.time,
) -> bool:
    """End one session of ``username`` (audit "session.end"). False if it is not theirs
    or had already ended. Raises UnknownUser."""
    user = _row(UserStore(engine), username)
    store = SessionStore(engine)
    now_ms = _ms(clock())
    row = store.get(session_id)
    if row is None or row.user_id != user.id or not row.active(now_ms):
        return False
    store.revoke(session_id, now_ms=now_ms, reason=EndReason.ADMIN)
    audit(engine, actor, "session.end", user.username, now_ms,
          after={"session": session_id, "client_addr": row.client_addr})
    return True


def list_active(engine: Engine, now: float, username: str | None = None) -> list[SessionRow]:
    """Live sessions (of one user, or everyone's), most recently seen first. Raises
    UnknownUser for an unknown ``username``."""
    user_id = _row(UserStore(engine), username).id if username is not None else None
    return SessionStore(engine).active(_ms(now), user_id)
