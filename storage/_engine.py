"""Engine factory: SQLite (file, WAL) or PostgreSQL (psycopg 3), with bounded waits."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import QueuePool, StaticPool

from ._errors import (
    OPT_BUSY_TIMEOUT,
    OPT_CALL_TIMEOUT,
    OPT_POOL_TIMEOUT,
    OPT_STATEMENT_TIMEOUT,
)
from ._tx import WRITE_OPTION, reading, writing
from ._watchdog import WATCHDOG

__all__ = ["WRITE_OPTION", "make_engine", "ping", "reading", "writing"]

_PG_DRIVER = "postgresql+psycopg"
_PG_ALIASES = {"postgres", "postgresql"}
# SQLite's page cache per connection. A cache larger than what a connection works on
# fills with cold pages as the database grows, up to its bound, in every pooled
# connection: SQLite's own default (2 MiB) for most, more only where asked.
SQLITE_CACHE_KIB = 2 * 1024


def make_engine(
    url: str | URL,
    *,
    busy_timeout_s: float = 5.0,
    pool_size: int = 5,
    pool_timeout_s: float = 5.0,
    connect_timeout_s: float = 5.0,
    statement_timeout_s: float = 30.0,
    call_timeout_s: float | None = None,
    sqlite_cache_kib: int = SQLITE_CACHE_KIB,
) -> Engine:
    """Create the engine for ``url`` (``sqlite:///path`` or ``postgresql[+psycopg]://``).

    SQLite: creates the file's folder; every connection gets WAL, synchronous=NORMAL,
    busy_timeout and foreign_keys; writers (see ``WRITE_OPTION``) BEGIN IMMEDIATE.
    PostgreSQL: ``postgres://`` and ``postgresql://`` are rewritten to psycopg 3; pooled
    with a ping at checkout; connect, statement and lock waits are all bounded, and every
    checked-out connection is cut by the client after ``call_timeout_s`` (default:
    ``statement_timeout_s`` + 2 s), so a hung server costs no more than that.
    ``sqlite_cache_kib``: SQLite's page cache per connection (each one keeps up to that).
    """
    parsed = _normalize(make_url(url))
    if call_timeout_s is None:
        call_timeout_s = statement_timeout_s + 2.0
    # The server's own limits fire first (with their clearer errors) while it answers.
    statement_timeout_s = min(statement_timeout_s, call_timeout_s)
    options = {
        OPT_BUSY_TIMEOUT: busy_timeout_s,
        OPT_POOL_TIMEOUT: pool_timeout_s,
        OPT_STATEMENT_TIMEOUT: statement_timeout_s,
        OPT_CALL_TIMEOUT: call_timeout_s,
    }
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_s, pool_size, pool_timeout_s, options,
                              sqlite_cache_kib)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(
            parsed, busy_timeout_s, pool_size, pool_timeout_s, connect_timeout_s,
            statement_timeout_s, options,
        )
    raise ValueError(f"unsupported database URL {parsed.render_as_string()!r}: "
                     "use sqlite:///path or postgresql://")


def _normalize(url: URL) -> URL:
    if url.drivername in _PG_ALIASES:
        return url.set(drivername=_PG_DRIVER)
    return url


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_engine(
    url: URL, busy_s: float, pool_size: int, pool_timeout_s: float, options: dict[str, Any],
    cache_kib: int = SQLITE_CACHE_KIB,
) -> Engine:
    kwargs: dict[str, Any]
    if _is_memory(url):
        # One shared connection, or every checkout would see its own empty database.
        kwargs = {"poolclass": StaticPool}
    else:
        path = Path(url.database or "").expanduser()
        # The data folder and the database (and so its -wal/-shm files, which SQLite
        # creates with the database file's mode) are the owner's only: they hold password
        # hashes and session rows.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        kwargs = {
            "poolclass": QueuePool,
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_timeout": pool_timeout_s,
        }
    engine = create_engine(
        url,
        connect_args={"timeout": busy_s, "check_same_thread": False},
        execution_options=options,
        **kwargs,
    )
    _install_sqlite_listeners(engine, busy_s, cache_kib, wal=not _is_memory(url))
    if not _is_memory(url):
        event.listen(engine, "do_connect", lambda *_: _create_private(path))
    return engine


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite would make it 0644
    less the umask); an existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # a folder we may not write to, ...: SQLite's own error says so, mapped


def _install_sqlite_listeners(engine: Engine, busy_s: float, cache_kib: int, *,
                              wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take BEGIN away from pysqlite: our "begin" listener below emits it.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={math.ceil(busy_s * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _postgres_engine(
    url: URL,
    busy_s: float,
    pool_size: int,
    pool_timeout_s: float,
    connect_timeout_s: float,
    statement_timeout_s: float,
    options: dict[str, Any],
) -> Engine:
    call_s = float(options[OPT_CALL_TIMEOUT])
    server_options = (
        f"-c statement_timeout={math.ceil(statement_timeout_s * 1000)}"
        f" -c lock_timeout={math.ceil(busy_s * 1000)}"
        # A client that vanished mid-transaction must not hold row locks (the lease's).
        f" -c idle_in_transaction_session_timeout={math.ceil(max(call_s, 1.0) * 2000)}"
    )
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout_s,
        # The ping runs in our checkout listener instead, under the watchdog's bound.
        pool_pre_ping=False,
        pool_recycle=1800,
        execution_options=options,
        connect_args={
            # libpq takes whole seconds; below 2 it rounds up to 2 anyway.
            "connect_timeout": max(1, math.ceil(connect_timeout_s)),
            "options": server_options,
            "application_name": "trio-monitor",
            # statement_timeout is enforced by the server; a connection whose packets
            # vanish (no reset) is cut by the client after tcp_user_timeout instead of
            # the kernel's ~15 minutes of retransmissions.
            "tcp_user_timeout": math.ceil((call_s + 1) * 1000),
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        },
    )
    _install_postgres_watchdog(engine, call_s)
    return engine


def _install_postgres_watchdog(engine: Engine, bound_s: float) -> None:
    """Arm each checked-out connection with ``bound_s`` (see ``_watchdog``); ping it first
    under that bound, as ``pool_pre_ping`` would, so a dead pooled connection is replaced."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        WATCHDOG.arm(id(dbapi_conn), dbapi_conn.pgconn.socket, bound_s)
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:
            WATCHDOG.disarm(id(dbapi_conn))
            # The pool invalidates this connection and tries a new one.
            raise sa_exc.DisconnectionError(f"stale pooled connection: {err}") from err

    def _disarm(dbapi_conn: Any, *_args: Any) -> None:
        WATCHDOG.disarm(id(dbapi_conn))

    for name in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine, name, _disarm)


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raise ``StorageUnavailable`` (readable message) if it fails."""
    with reading(engine) as conn:
        conn.execute(text("SELECT 1"))
