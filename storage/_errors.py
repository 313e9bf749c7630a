"""The storage exception tree, and the mapping of driver errors onto it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import psycopg.errors
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

# Custom engine execution options, set by make_engine, read back for error messages.
OPT_BUSY_TIMEOUT = "trio_busy_timeout_s"
OPT_POOL_TIMEOUT = "trio_pool_timeout_s"
OPT_STATEMENT_TIMEOUT = "trio_statement_timeout_s"
OPT_CALL_TIMEOUT = "trio_call_timeout_s"


class StorageError(Exception):
    """Base of every error raised on purpose by ``storage``."""


class StorageUnavailable(StorageError):
    """The database cannot be reached, or stays locked/busy past its timeout.

    Transient: nothing was written; the caller may buffer and retry later.
    """


class StorageWriteFailed(StorageUnavailable):
    """The database answers but refuses to store: disk or file system full, read-only
    file or file system, permission denied, I/O error.

    Nothing was written. It is a storage fault a person must fix, never a sign that the
    lease was lost: the caller keeps its buffer and retries, as for StorageUnavailable.
    """


class LeaseLost(StorageError):
    """The fencing check failed: the lease expired or another holder took it over.

    Nothing was written; the caller must stop acting as the active collector.
    """


class SchemaOutOfDate(StorageError):
    """The database schema is not at the revision this code expects. Permanent."""


class SchemaTooNew(SchemaOutOfDate):
    """A newer release has migrated the database past this code's latest revision."""


# SQLite reports programming errors (bugs) as OperationalError too; those propagate.
_SQLITE_BUG_MARKERS = ("no such ", "syntax error", "near \"", "has no column")
_SQLITE_BUSY_MARKERS = ("database is locked", "database table is locked", "busy")
# What SQLite says when the file cannot take the write (full, read-only, permissions).
_SQLITE_WRITE_MARKERS = {
    "database or disk is full": "full (disk, file system or max_page_count)",
    "readonly database": "read-only (file, folder or file system)",
    "disk i/o error": "failing with an I/O error",
}
# PostgreSQL SQLSTATEs of a server that answers but cannot store.
_PG_WRITE_STATES = {
    "53100": "disk full",
    "53200": "out of memory",
    "53400": "configuration limit exceeded",
    "25006": "read-only transaction (a standby, or default_transaction_read_only)",
    "42501": "permission denied",
    "58030": "I/O error",
}


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Re-raise "the database is not there / too busy" errors as StorageUnavailable.

    Integrity and programming errors propagate unchanged: they indicate bugs.
    """
    try:
        yield
    except sa_exc.TimeoutError as err:
        raise StorageUnavailable(_pool_timeout_message(engine)) from err
    except sa_exc.DBAPIError as err:
        _raise_mapped(engine, err.orig, err.connection_invalidated, err)
        raise
    except (sqlite3.OperationalError, psycopg.Error) as err:
        # Raised by the raw driver cursors used on the bulk-insert path.
        _raise_mapped(engine, err, False, err)
        raise


def _raise_mapped(
    engine: Engine, orig: BaseException | None, invalidated: bool, err: BaseException
) -> None:
    """Raise the storage error ``orig`` stands for; return if it is a bug (propagates)."""
    refused = _write_refused_message(engine, orig)
    if refused is not None:
        raise StorageWriteFailed(refused) from err
    message = _unavailable_message(engine, orig, invalidated)
    if message is not None:
        raise StorageUnavailable(message) from err


def _write_refused_message(engine: Engine, orig: BaseException | None) -> str | None:
    if isinstance(orig, sqlite3.OperationalError):
        lowered = str(orig).lower()
        for marker, what in _SQLITE_WRITE_MARKERS.items():
            if marker in lowered:
                return f"cannot write: SQLite database {engine.url.database} is {what}"
        return None
    if isinstance(orig, psycopg.Error):
        refused = _PG_WRITE_STATES.get(getattr(orig, "sqlstate", None) or "")
        if refused is not None:
            return f"cannot write: {_where(engine)}: {refused}: {_first_line(str(orig))}"
    return None


def _unavailable_message(
    engine: Engine, orig: BaseException | None, invalidated: bool
) -> str | None:
    if isinstance(orig, sqlite3.OperationalError):
        return _sqlite_message(engine, str(orig))
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
        return _postgres_message(engine, orig)
    if isinstance(orig, psycopg.Error) and _watchdog_fired(engine):
        return _postgres_message(engine, orig)
    if invalidated:
        return f"{_where(engine)}: connection lost: {_first_line(str(orig))}"
    return None


def _sqlite_message(engine: Engine, text: str) -> str | None:
    lowered = text.lower()
    if any(marker in lowered for marker in _SQLITE_BUG_MARKERS):
        return None
    path = engine.url.database or ":memory:"
    if any(marker in lowered for marker in _SQLITE_BUSY_MARKERS):
        busy = engine.get_execution_options().get(OPT_BUSY_TIMEOUT, 5.0)
        return f"SQLite database is locked (busy for more than {busy:.1f} s): {path}"
    return f"SQLite database unavailable: {path}: {text}"


def _watchdog_fired(engine: Engine) -> bool:
    from ._watchdog import fired_here

    return fired_here()


def _postgres_message(engine: Engine, err: BaseException) -> str:
    where = _where(engine)
    if _watchdog_fired(engine):
        bound = engine.get_execution_options().get(OPT_CALL_TIMEOUT, 0.0)
        return (f"{where}: no answer within {bound:.1f} s (server hung or network "
                "stalled); connection closed by the client")
    if isinstance(err, psycopg.errors.QueryCanceled):
        limit = engine.get_execution_options().get(OPT_STATEMENT_TIMEOUT, 30.0)
        return f"{where}: statement timed out (limit {limit:.1f} s)"
    if isinstance(err, psycopg.errors.LockNotAvailable):
        busy = engine.get_execution_options().get(OPT_BUSY_TIMEOUT, 5.0)
        return f"{where}: lock not granted within {busy:.1f} s"
    sqlstate = getattr(err, "sqlstate", None)
    if sqlstate is None:
        # No SQLSTATE: the failure happened on the client side of the socket.
        return f"PostgreSQL unreachable at {_host_port(engine)}: {_connect_reason(str(err))}"
    return f"{where}: {_first_line(str(err))} (SQLSTATE {sqlstate})"


def _connect_reason(text: str) -> str:
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: Connection
    # refused\n\tIs the server running ...'; keep the last, most specific clause.
    reason = _first_line(text).rsplit("failed: ", 1)[-1].strip()
    return reason[:1].lower() + reason[1:] if reason else "unknown error"


def _pool_timeout_message(engine: Engine) -> str:
    waited = engine.get_execution_options().get(OPT_POOL_TIMEOUT, 5.0)
    return f"{_where(engine)}: no pooled connection free within {waited:.1f} s"


def _where(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite database {engine.url.database or ':memory:'}"
    return f"PostgreSQL at {_host_port(engine)}"


def _host_port(engine: Engine) -> str:
    return f"{engine.url.host or 'localhost'}:{engine.url.port or 5432}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
