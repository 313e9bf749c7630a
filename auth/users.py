"""Users, roles, and authentication with lockout. Logic only: SQL lives in ``storage``."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy.engine import Engine

import specs.clock
from specs.clock import Clock
from specs.languages import LANGUAGES
from specs.roles import USER_ROLES, Role
from storage import AlertStore, StorageUnavailable, UserRow, UserStore

from . import passwords
from .config import AuthConfig
from .errors import InvalidUsername, UnknownUser, UserExists

log = logging.getLogger(__name__)


# The actor of audit rows written without a person behind them (CLI, demo, start-up).
SYSTEM_ACTOR = "system"
MAX_USERNAME = 64
_USERNAME = re.compile(r"[a-z0-9._@-]{1,64}")
# Typed names and addresses are stored in login_failures even when they are garbage;
# capped so a hostile client cannot fill the table with large strings.
_MAX_RECORDED = 64


@dataclass(frozen=True)
class User:
    """A user as the rest of the program sees it (no password hash)."""

    id: int
    username: str
    role: Role
    disabled: bool
    created_at_ms: int
    last_login_at_ms: int | None
    updated_at_ms: int
    language: str | None = None  # the language the user last chose; None: not chosen


class AuthStatus(StrEnum):
    """The outcome of a login attempt. Only OK logs in; the others are told apart in
    logs and tests, never in what the person at the login form is shown."""

    # Right password, enabled user.
    OK = "ok"
    # Wrong password or no such user.
    INVALID = "invalid"
    # Right password, but the user is disabled.
    DISABLED = "disabled"
    # The password is longer than passwords.MAX_LENGTH: refused before any hashing.
    TOO_LONG = "too_long"
    # Too many recent failures for this username (known or not) from this address, or
    # from all addresses together; password not checked.
    LOCKED = "locked"
    # Too many recent failures from this client address; password not checked.
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Lock:
    """A lock in force: ``username`` (as typed, known or not) from ``client_addr``, or
    from every address when ``client_addr`` is None (the account-wide threshold)."""

    username: str
    client_addr: str | None
    until_ms: int

    @property
    def scope(self) -> str:
        return "account" if self.client_addr is None else "address"


@dataclass(frozen=True)
class AuthResult:
    status: AuthStatus
    # Set only when status is OK.
    user: User | None = None
    # Set when this attempt started a lock (for the audit log).
    new_lock: Lock | None = None
    # The user's session version at login, for the session cookie (OK only).
    session_version: int | None = None
    # For LOCKED / RATE_LIMITED: seconds until another attempt can succeed.
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is AuthStatus.OK


def normalize_username(username: str) -> str:
    """The stored form of a username: surrounding whitespace removed, lower-case."""
    return username.strip().lower()


def validate_username(username: str) -> str:
    """Normalise ``username``; raise InvalidUsername unless it is 1-64 of [a-z0-9._@-]."""
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        raise InvalidUsername(
            f"invalid username {name[:80]!r}: use 1-{MAX_USERNAME} characters from "
            "a-z, 0-9 and . _ @ -"
        )
    return name


def _role(role: Role | str) -> Role:
    """``role`` as a user's role; ValueError for anything else (DISPLAY included)."""
    if role in USER_ROLES:
        return Role(role)
    names = [r.value for r in USER_ROLES]
    raise ValueError(f"unknown role {role!r}: use {', '.join(names[:-1])} or {names[-1]}")


def _to_user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=_role(row.role),
        disabled=row.disabled,
        created_at_ms=row.created_at_ms,
        last_login_at_ms=row.last_login_at_ms,
        updated_at_ms=row.updated_at_ms,
        language=row.language,
    )


# -- management (CLI, demo, admin pages) ------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who makes a change, for its audit row: a username (or "system") and, for a change
    made over the web, the client's address."""

    name: str = SYSTEM_ACTOR
    client_addr: str | None = None


SYSTEM = Actor()


def add_user(
    engine: Engine, username: str, password: str, role: Role | str, *,
    clock: Clock = time.time, actor: Actor = SYSTEM,
) -> User:
    """Create a user (audit "user.add"). Raises InvalidUsername, WeakPassword, UserExists,
    ValueError (role)."""
    name = validate_username(username)
    checked_role = _role(role)
    password_hash = passwords.hash_password(password)
    store = UserStore(engine)
    now_ms = specs.clock.now_ms(clock)
    if store.create(name, password_hash, checked_role.value, now_ms) is None:
        raise UserExists(f"user {name!r} already exists")
    audit(engine, actor, "user.add", name, now_ms, after={"role": checked_role.value})
    return get_user(engine, name)


def get_user(engine: Engine, username: str) -> User:
    """The user called ``username`` (any case). Raises UnknownUser."""
    return _to_user(_row(UserStore(engine), username))


def list_users(engine: Engine) -> list[User]:
    """Every user, by username."""
    return [_to_user(row) for row in UserStore(engine).list_users()]


def set_password(
    engine: Engine, username: str, password: str, *, clock: Clock = time.time,
    actor: Actor = SYSTEM,
) -> None:
    """Replace the password and end the user's existing sessions (at their next
    request, see ``auth.web``); audit "user.password". Raises UnknownUser, WeakPassword."""
    store = UserStore(engine)
    row = _row(store, username)
    now_ms = specs.clock.now_ms(clock)
    store.set_password_hash(row.id, passwords.hash_password(password), now_ms, end_sessions=True)
    audit(engine, actor, "user.password", row.username, now_ms)


def disable_user(
    engine: Engine, username: str, *, clock: Clock = time.time, actor: Actor = SYSTEM
) -> None:
    """Refuse further logins and end existing sessions (audit "user.disable"). Raises
    UnknownUser."""
    _set_disabled(engine, username, True, clock, actor)


def enable_user(
    engine: Engine, username: str, *, clock: Clock = time.time, actor: Actor = SYSTEM
) -> None:
    """Allow logins again (sessions ended by disabling stay ended; audit "user.enable").
    Raises UnknownUser."""
    _set_disabled(engine, username, False, clock, actor)


def _set_disabled(
    engine: Engine, username: str, disabled: bool, clock: Clock, actor: Actor
) -> None:
    store = UserStore(engine)
    row = _row(store, username)
    now_ms = specs.clock.now_ms(clock)
    store.set_disabled(row.id, disabled, now_ms)
    audit(engine, actor, "user.disable" if disabled else "user.enable", row.username, now_ms,
          before={"disabled": row.disabled}, after={"disabled": disabled})


def set_role(
    engine: Engine, username: str, role: Role | str, *, clock: Clock = time.time,
    actor: Actor = SYSTEM,
) -> None:
    """Change the role (audit "user.role" when it changes); a demotion ends the user's
    sessions. Raises UnknownUser, ValueError (role)."""
    checked_role = _role(role)
    store = UserStore(engine)
    row = _row(store, username)
    now_ms = specs.clock.now_ms(clock)
    # A demotion ends the user's sessions at once (they log in again with the new role).
    demoted = not checked_role.allows(_role(row.role))
    store.set_role(row.id, checked_role.value, now_ms, end_sessions=demoted)
    if row.role != checked_role.value:
        audit(engine, actor, "user.role", row.username, now_ms, before={"role": row.role},
              after={"role": checked_role.value})


def set_language(engine: Engine, user_id: int, language: str) -> bool:
    """Remember the language the user chose, for their next login anywhere (not audited:
    a preference). False if the user is gone. Raises ValueError (language)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: expected one of {LANGUAGES}")
    return UserStore(engine).set_language(user_id, language)


def audit(
    engine: Engine, actor: Actor, action: str, username: str, now_ms: int, *,
    before: object = None, after: object = None,
) -> None:
    """Append the audit row of a change to the user ``username`` (target "user:<name>").

    Written after the change, in its own transaction (users live in ``UserStore``, the
    log in ``AlertStore``): if the database fails in between, the change stands and the
    missing row is logged at error level instead of failing a change that was made."""
    try:
        AlertStore(engine).audit(actor=actor.name, action=action, target=f"user:{username}",
                                 before=before, after=after, now_ms=now_ms,
                                 client_addr=actor.client_addr)
    except StorageUnavailable as err:
        log.error("audit row %s of user %s by %s not written: %s", action, username,
                  actor.name, err)


def _row(store: UserStore, username: str) -> UserRow:
    name = normalize_username(username)
    row = store.get_by_username(name) if _USERNAME.fullmatch(name) else None
    if row is None:
        raise UnknownUser(f"no user {name[:80]!r}")
    return row


# -- login ----------------------------------------------------------------------------

# /admin lists the locks of at most this many names (a flood of made-up names must not
# make the page read every failure).
MAX_LISTED_LOCKS = 200


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    client_addr: str,
    now_ms: int,
    config: AuthConfig,
) -> AuthResult:
    """Check a login attempt, with locks and the per-address limit kept in the database.

    - RATE_LIMITED: ``addr_max_failures`` failures (of any kind) from ``client_addr``
      within ``lockout_window_s``. Nothing verified, nothing recorded.
    - Every other refusal costs one password verification (against a dummy hash when
      the password is not checked) and is recorded from ``client_addr``, so it counts
      towards the per-address limit:
      - LOCKED: ``lockout_failures`` failures for (username, client_addr), or
        ``account_lockout_failures`` for the username from all addresses, within
        ``lockout_window_s`` of the latest, which is less than ``lockout_duration_s``
        old. Unknown usernames alike, so a lock reveals nothing. Recorded as
        ``refused``: it never extends or deepens the lock.
      - TOO_LONG: a password over ``passwords.MAX_LENGTH``, refused before any hashing.
      - INVALID (wrong password, no such user), DISABLED (right password).
      A failure that makes a count reach its threshold sets ``new_lock``.
    - OK: an outdated hash is replaced, last login recorded, the failures of the name
      from this address cleared (never those from other addresses).
    May raise StorageUnavailable.
    """
    store = UserStore(engine)
    name = normalize_username(username)
    recorded_name = name[:_MAX_RECORDED]
    addr = client_addr[:_MAX_RECORDED]
    window_ms = int(config.lockout_window_s * 1000)

    # Windows are half-open: a failure exactly lockout_window_s old no longer counts.
    from_addr = store.failures_for_address(addr, now_ms - window_ms + 1)
    if from_addr.count >= config.addr_max_failures:
        # Not exact (the oldest failure would tell), but never too short.
        return AuthResult(AuthStatus.RATE_LIMITED, retry_after_s=config.lockout_window_s)

    times = _failure_times(store, recorded_name, now_ms, config)
    lock = _lock(recorded_name, addr, times, now_ms, config)
    too_long = len(password) > passwords.MAX_LENGTH
    row = store.get_by_username(name) if _USERNAME.fullmatch(name) else None
    if lock is not None or too_long:
        passwords.verify_nothing()
        store.record_failure(recorded_name, addr, now_ms, refused=lock is not None)
        if lock is not None:
            return AuthResult(AuthStatus.LOCKED, retry_after_s=(lock.until_ms - now_ms) / 1000)
        return _failed(AuthStatus.TOO_LONG, recorded_name, addr, times, now_ms, config)

    checked = passwords.verify(password, row.password_hash if row is not None else None)
    if row is None or not checked.ok or row.disabled:
        store.record_failure(recorded_name, addr, now_ms)
        disabled = row is not None and checked.ok and row.disabled
        return _failed(AuthStatus.DISABLED if disabled else AuthStatus.INVALID,
                       recorded_name, addr, times, now_ms, config)

    if checked.new_hash is not None:
        store.set_password_hash(row.id, checked.new_hash, now_ms, end_sessions=False)
    store.record_login(row.id, now_ms)
    store.clear_failures(recorded_name, addr)
    user = replace(_to_user(row), last_login_at_ms=now_ms)
    return AuthResult(AuthStatus.OK, user=user, session_version=row.session_version)


def _failure_times(
    store: UserStore, name: str, now_ms: int, config: AuthConfig
) -> list[tuple[str, int]]:
    # Old enough to count the window that ends at the oldest failure that still locks.
    since = now_ms - int(config.lockout_duration_s * 1000) - int(config.lockout_window_s * 1000)
    return store.failure_times(name, since + 1)


def _failed(
    status: AuthStatus, name: str, addr: str, before: list[tuple[str, int]], now_ms: int,
    config: AuthConfig,
) -> AuthResult:
    """A counted failure was just recorded: did it start a lock?"""
    was = _lock(name, addr, before, now_ms, config)
    now = _lock(name, addr, [*before, (addr, now_ms)], now_ms, config)
    if was is None and now is not None:
        return AuthResult(status, new_lock=now)
    if was is not None and was.client_addr is not None and now is not None \
            and now.client_addr is None:
        return AuthResult(status, new_lock=now)  # a pair lock grew into an account lock
    return AuthResult(status)


def _lock(
    name: str, addr: str, times: list[tuple[str, int]], now_ms: int, config: AuthConfig
) -> Lock | None:
    """The lock on ``name`` for ``addr`` given its failures (address, ts): the
    account-wide one first, then the pair's. None if neither is in force."""
    window_ms = int(config.lockout_window_s * 1000)
    duration_ms = int(config.lockout_duration_s * 1000)
    account = lock_end([ts for _a, ts in times], now_ms, window_ms, duration_ms,
                       config.account_lockout_failures)
    if account is not None:
        return Lock(name, None, account)
    pair = lock_end([ts for a, ts in times if a == addr], now_ms, window_ms, duration_ms,
                    config.lockout_failures)
    return None if pair is None else Lock(name, addr, pair)


def lock_end(
    times: list[int], now_ms: int, window_ms: int, duration_ms: int, threshold: int
) -> int | None:
    """When a lock made of failures at ``times`` ends (epoch ms), or None if there is none.

    A lock starts at the failure that reached ``threshold`` failures within ``window_ms``
    and lasts ``duration_ms`` from the latest failure; a failure exactly
    ``duration_ms`` old no longer locks."""
    recent = [ts for ts in times if ts > now_ms - duration_ms]
    if not recent:
        return None
    latest = max(recent)
    in_window = sum(1 for ts in times if latest - window_ms < ts <= latest)
    return latest + duration_ms if in_window >= threshold else None


def active_locks(
    engine: Engine, now_ms: int, config: AuthConfig, *, limit: int = MAX_LISTED_LOCKS,
) -> list[Lock]:
    """The locks in force, by username then address (an account-wide one stands for all
    of its name's); the names of at most ``limit`` users or made-up names."""
    store = UserStore(engine)
    since = now_ms - int(config.lockout_duration_s * 1000) - int(config.lockout_window_s * 1000)
    names = store.lock_candidates(since + 1, config.lockout_failures,
                                  config.account_lockout_failures, limit)
    locks: list[Lock] = []
    for name in names:
        times = store.failure_times(name, since + 1)
        account = _lock(name, "", times, now_ms, config)
        if account is not None and account.client_addr is None:
            locks.append(account)
            continue
        for addr in sorted({a for a, _ts in times}):
            pair = _lock(name, addr, times, now_ms, config)
            if pair is not None:
                locks.append(pair)
    return locks


def unlock_user(
    engine: Engine, username: str, *, clock: Clock = time.time, actor: Actor = SYSTEM,
) -> int:
    """Lift every lock on ``username`` (from every address) by forgetting its failures;
    audit "user.unlock" with how many were forgotten. Raises UnknownUser (only users'
    locks are lifted by hand; a made-up name's lock just runs out)."""
    store = UserStore(engine)
    row = _row(store, username)
    now_ms = specs.clock.now_ms(clock)
    forgotten = store.clear_failures(row.username)
    audit(engine, actor, "user.unlock", row.username, now_ms, after={"failures": forgotten})
    log.info("user %s unlocked by %s (%d failures forgotten)", row.username, actor.name,
             forgotten)
    return forgotten
