"""Users and login failures: every query ``auth`` needs, plus the health ping.

Usernames arrive here already normalised (lower-case) by the caller; this module stores
and compares them as given. Storage never reads the clock: ``now_ms`` comes from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, delete, func, select, update

from ._schema import login_failures, users
from ._sessions import revoke_user_sessions
from ._sql import upsert_insert
from ._tx import EngineStore


@dataclass(frozen=True)
class UserRow:
    """One row of ``users``. ``password_hash`` never leaves ``auth``."""

    id: int
    username: str
    password_hash: str
    role: str
    disabled: bool
    session_version: int
    created_at_ms: int
    last_login_at_ms: int | None
    updated_at_ms: int
    language: str | None = None  # chosen by the user; None: not chosen yet


@dataclass(frozen=True)
class FailureCount:
    """Failed logins matching a filter since a time, and the newest one's time."""

    count: int
    latest_ms: int | None


class UserStore(EngineStore):
    """Queries on ``users`` and ``login_failures``; each method is one transaction.

    Any method may raise ``StorageUnavailable``. Safe to share between threads.
    """

    # -- users ------------------------------------------------------------------------

    def create(self, username: str, password_hash: str, role: str, now_ms: int) -> int | None:
        """Insert a user; return its id, or None if ``username`` is taken (no error:
        the unique constraint decides, so two concurrent creators cannot both win)."""
        with self._writing() as conn:
            stmt = (
                upsert_insert(conn, users)
                .values(
                    username=username, password_hash=password_hash, role=role,
                    disabled=False, session_version=1, created_at=now_ms,
                    last_login_at=None, updated_at=now_ms,
                )
                .on_conflict_do_nothing(index_elements=["username"])
                .returning(users.c.id)
            )
            created = conn.execute(stmt).scalar_one_or_none()
        return int(created) if created is not None else None

    def get(self, user_id: int) -> UserRow | None:
        with self._reading() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).one_or_none()
        return _user(row) if row is not None else None

    def get_by_username(self, username: str) -> UserRow | None:
        # Served by uq_users_username.
        with self._reading() as conn:
            row = conn.execute(
                select(users).where(users.c.username == username)
            ).one_or_none()
        return _user(row) if row is not None else None

    def list_users(self) -> list[UserRow]:
        """All users, by username."""
        with self._reading() as conn:
            rows = conn.execute(select(users).order_by(users.c.username)).all()
        return [_user(row) for row in rows]

    def set_password_hash(
        self, user_id: int, password_hash: str, now_ms: int, *, end_sessions: bool
    ) -> bool:
        """Store a new hash; ``end_sessions`` (a password change) ends every session of
        the user in the same transaction, a transparent rehash does not. False if the
        user does not exist."""
        values: dict[str, object] = {"password_hash": password_hash, "updated_at": now_ms}
        if end_sessions:
            values["session_version"] = users.c.session_version + 1
        return self._update(user_id, values, "password" if end_sessions else None, now_ms)

    def set_disabled(self, user_id: int, disabled: bool, now_ms: int) -> bool:
        """Disable (ending every session, same transaction) or enable a user. False if
        no such user."""
        values: dict[str, object] = {"disabled": disabled, "updated_at": now_ms}
        if disabled:
            values["session_version"] = users.c.session_version + 1
        return self._update(user_id, values, "disabled" if disabled else None, now_ms)

    def set_role(self, user_id: int, role: str, now_ms: int, *, end_sessions: bool = False
                 ) -> bool:
        """Change the role; ``end_sessions`` (a demotion) ends every session of the user
        in the same transaction."""
        return self._update(user_id, {"role": role, "updated_at": now_ms},
                            "role" if end_sessions else None, now_ms)

    def set_language(self, user_id: int, language: str) -> bool:
        """Remember the language the user chose; False if there is no such user. Not an
        update of the account (``updated_at`` stays): a preference, set by clicking."""
        with self._writing() as conn:
            result = conn.execute(update(users).where(users.c.id == user_id)
                                  .values(language=language))
        return result.rowcount == 1

    def record_login(self, user_id: int, now_ms: int) -> bool:
        return self._update(user_id, {"last_login_at": now_ms}, None, now_ms)

    def _update(
        self, user_id: int, values: dict[str, object], end_reason: str | None, now_ms: int,
    ) -> bool:
        with self._writing() as conn:
            result = conn.execute(update(users).where(users.c.id == user_id).values(values))
            if end_reason is not None and result.rowcount == 1:
                revoke_user_sessions(conn, user_id, now_ms, end_reason)
        return result.rowcount == 1

    # -- login failures ---------------------------------------------------------------

    def record_failure(
        self, username: str, client_addr: str, now_ms: int, *, refused: bool = False
    ) -> None:
        """Record a failed login. ``refused``: refused by a lock in force (counts towards
        the address limit only, never towards a lock)."""
        with self._writing() as conn:
            conn.execute(
                login_failures.insert().values(
                    username=username, client_addr=client_addr, ts=now_ms, refused=refused
                )
            )

    def failures_for_username(self, username: str, since_ms: int) -> FailureCount:
        """Wrong-password failures (not ``refused``) of ``username`` with
        ``ts >= since_ms``. Served by ix_login_failures_username_ts."""
        where = (login_failures.c.username == username, login_failures.c.ts >= since_ms,
                 login_failures.c.refused.is_(False))
        return self._count(where)

    def failure_times(self, username: str, since_ms: int) -> list[tuple[str, int]]:
        """(client address, ts) of the wrong-password failures (not ``refused``) of
        ``username`` with ``ts >= since_ms``, oldest first. Served by
        ix_login_failures_username_ts; bounded because a locked name's attempts are
        recorded as ``refused``."""
        stmt = (select(login_failures.c.client_addr, login_failures.c.ts)
                .where(login_failures.c.username == username,
                       login_failures.c.ts >= since_ms, login_failures.c.refused.is_(False))
                .order_by(login_failures.c.ts))
        with self._reading() as conn:
            return [(row.client_addr, int(row.ts)) for row in conn.execute(stmt)]

    def lock_candidates(
        self, since_ms: int, pair_threshold: int, account_threshold: int, limit: int,
    ) -> list[str]:
        """Usernames with at least ``pair_threshold`` wrong-password failures from one
        address, or ``account_threshold`` from all, with ``ts >= since_ms`` (at most
        ``limit``, by name): the only names that can be locked, for listing the locks
        without reading every failure of a flood. Scans the table, which retention
        keeps to the lockout window plus the lock's duration."""
        t = login_failures
        recent = (t.c.ts >= since_ms, t.c.refused.is_(False))
        pairs = (select(t.c.username).where(*recent).group_by(t.c.username, t.c.client_addr)
                 .having(func.count() >= pair_threshold))
        accounts = (select(t.c.username).where(*recent).group_by(t.c.username)
                    .having(func.count() >= account_threshold))
        union = pairs.union(accounts).subquery()
        stmt = select(union.c.username).order_by(union.c.username).limit(limit)
        with self._reading() as conn:
            return [row.username for row in conn.execute(stmt)]

    def failures_for_address(self, client_addr: str, since_ms: int) -> FailureCount:
        """Failures from ``client_addr`` with ``ts >= since_ms``, refused ones included.
        Served by ix_login_failures_client_addr_ts."""
        where = (login_failures.c.client_addr == client_addr, login_failures.c.ts >= since_ms)
        return self._count(where)

    def _count(self, where: tuple[object, ...]) -> FailureCount:
        stmt = select(func.count(), func.max(login_failures.c.ts)).where(*where)  # type: ignore[arg-type]
        with self._reading() as conn:
            count, latest = conn.execute(stmt).one()
        return FailureCount(int(count), int(latest) if latest is not None else None)

    def clear_failures(self, username: str, client_addr: str | None = None) -> int:
        """Forget the failures of ``username`` (from ``client_addr`` only, if given: a
        successful login clears its own address, never an attacker's); how many."""
        stmt = delete(login_failures).where(login_failures.c.username == username)
        if client_addr is not None:
            stmt = stmt.where(login_failures.c.client_addr == client_addr)
        with self._writing() as conn:
            result = conn.execute(stmt)
        return result.rowcount

    def prune_failures(self, before_ms: int) -> int:
        """Delete failures older than ``before_ms``; how many."""
        with self._writing() as conn:
            result = conn.execute(delete(login_failures).where(login_failures.c.ts < before_ms))
        return result.rowcount


def _user(row: Row) -> UserRow:
    return UserRow(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        disabled=bool(row.disabled),
        session_version=row.session_version,
        created_at_ms=row.created_at,
        last_login_at_ms=row.last_login_at,
        updated_at_ms=row.updated_at,
        language=row.language,
    )
