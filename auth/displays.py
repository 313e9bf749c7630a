"""Display tokens: a named, revocable secret that logs one wall screen in, to view only.

A token is 32 random bytes (``secrets.token_urlsafe``, 43 characters), shown once when it
is created. Only its SHA-256 is stored. A password needs a slow hash because people pick
guessable ones; a token has 256 bits of entropy, so there is nothing to guess and a fast
hash loses nothing, while it keeps the lookup a single index probe on every screen login.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from specs.clock import Clock, now_ms
from specs.languages import LANGUAGES
from storage import DisplayRow, DisplayStore, SeenRequest, StorageUnavailable

from .errors import AuthError
from .users import SYSTEM, Actor

log = logging.getLogger(__name__)


TOKEN_BYTES = 32
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet, no padding.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
NAME_MAX = 100
# Every request of a display session confirms its token; a revocation ends the session
# within this time in each web process (plus one refresh of the screen).
CHECK_TTL_S = 1.0
# What the screen last did is written at most this often per token and process.
SEEN_INTERVAL_S = 10.0


class InvalidDisplayName(AuthError, ValueError):
    """The name of a display token is empty, too long or has control characters."""


@dataclass(frozen=True)
class NewDisplay:
    """A token just created: ``token`` is shown once and never stored."""

    display: DisplayRow
    token: str


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256 (see the module docstring for why fast)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(value: str) -> bool:
    """True if ``value`` has the shape of a token (checked before any query)."""
    return _TOKEN.fullmatch(value) is not None


def validate_display_name(name: str) -> str:
    """``name`` without surrounding whitespace; InvalidDisplayName unless 1-100
    characters without control characters."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > NAME_MAX or any(ord(c) < 0x20 or ord(c) == 0x7F
                                                     for c in cleaned):
        raise InvalidDisplayName(
            f"invalid display name {cleaned[:120]!r}: use 1-{NAME_MAX} characters "
            "without control characters"
        )
    return cleaned


def create_display(
    engine: Engine, name: str, *, actor: Actor = SYSTEM, clock: Clock = time.time
) -> NewDisplay:
    """A new token named ``name`` (audit "display.create"). Raises InvalidDisplayName,
    storage.DisplayExists (a token that is not revoked has that name)."""
    checked = validate_display_name(name)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = DisplayStore(engine).create(checked, hash_token(token), actor=actor.name,
                                      now_ms=now_ms(clock), client_addr=actor.client_addr)
    return NewDisplay(display=row, token=token)


def revoke_display(
    engine: Engine, display_id: int, *, actor: Actor = SYSTEM, clock: Clock = time.time
) -> DisplayRow:
    """Revoke a token (audit "display.revoke"); its screen is out within one refresh.
    Raises storage.UnknownDisplay."""
    return DisplayStore(engine).revoke(display_id, actor=actor.name,
                                       now_ms=now_ms(clock), client_addr=actor.client_addr)


def set_display_language(
    engine: Engine, display_id: int, language: str | None, *, actor: Actor = SYSTEM,
    clock: Clock = time.time,
) -> DisplayRow:
    """Set a screen's language ("en", "sv"; None: the site's default), audit
    "display.language". Raises ValueError (language), storage.UnknownDisplay."""
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: expected one of {LANGUAGES}")
    return DisplayStore(engine).set_language(display_id, language, actor=actor.name,
                                             now_ms=now_ms(clock),
                                             client_addr=actor.client_addr)


def list_displays(engine: Engine) -> list[DisplayRow]:
    """Every token, revoked ones included, by name."""
    return DisplayStore(engine).list()


def find_display(engine: Engine, token: str) -> DisplayRow | None:
    """The token's row (revoked or not), or None for an unknown or malformed token."""
    if not looks_like_token(token):
        return None
    return DisplayStore(engine).by_token_hash(hash_token(token))


class DisplayChecker:
    """Per web process: confirms display sessions' tokens and records their screens.

    ``current(id, now)`` reads a token's row at most once per CHECK_TTL_S; ``seen(...)``
    writes what the screen did at most once per SEEN_INTERVAL_S (the UPDATE also skips
    when another process wrote within that time). Thread-safe.
    """

    def __init__(self, store: DisplayStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._rows: dict[int, tuple[float, DisplayRow | None]] = {}
        self._written: dict[int, float] = {}

    def current(self, display_id: int, now: float) -> DisplayRow | None:
        """The token's row as read at most CHECK_TTL_S ago (None: deleted)."""
        with self._lock:
            cached = self._rows.get(display_id)
        if cached is not None and 0 <= now - cached[0] < CHECK_TTL_S:
            return cached[1]
        try:
            row = self._store.get(display_id)
        except StorageUnavailable:
            if cached is None:
                raise
            # Keep showing what was confirmed last: a screen only views, and its pages
            # say themselves that the database is unavailable. Checked again next request.
            return cached[1]
        with self._lock:
            self._rows[display_id] = (now, row)
        return row

    def forget(self, display_id: int) -> None:
        """Read the token's row again at the next request (its language changed here)."""
        with self._lock:
            self._rows.pop(display_id, None)

    def fresh(self, display_id: int, now: float) -> DisplayRow | None:
        """The token's row read now (for actions, like ``require_role``)."""
        row = self._store.get(display_id)
        with self._lock:
            self._rows[display_id] = (now, row)
        return row

    def seen(self, display_id: int, request: SeenRequest, now: float) -> None:
        with self._lock:
            last = self._written.get(display_id)
            if last is not None and 0 <= now - last < SEEN_INTERVAL_S:
                return
            self._written[display_id] = now
        try:
            # A little under the interval: this process's own writes are never skipped.
            self._store.record_seen(display_id, request, now_ms=int(now * 1000),
                                    min_interval_ms=int(SEEN_INTERVAL_S * 1000) - 500)
        except StorageUnavailable as err:
            # Only the admin page's "last seen" lags; the screen itself keeps working.
            log.warning("cannot record display %s as seen: %s", display_id, err)
