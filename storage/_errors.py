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


class StorageError(Exception):
    """Base of every error raised on purpose by ``storage``."""


class StorageUnavailable(StorageError):
    """The database cannot be reached, or stays locked/busy past its timeout.

    Transient: nothing was written; the caller may buffer and retry later.
    """


class LeaseLost(StorageError):
    """The fencing check failed: the lease expired or another holder took it over.

    Nothing was written; the caller must stop acting as the active collector.
    """


class SchemaOutOfDate(StorageError):
    """The database schema is not at the revision this code expects. Permanent."""


# SQLite reports programming errors (bugs) as OperationalError too; those propagate.
_SQLITE_BUG_MARKERS = ("no such ", "syntax error", "near \"", "has no column")
_SQLITE_BUSY_MARKERS = ("database is locked", "database table is locked", "busy")


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
        message = _unavailable_message(engine, err.orig, err.connection_invalidated)
        if message is None:
            raise
        raise StorageUnavailable(message) from err
    except (sqlite3.OperationalError, psycopg.OperationalError, psycopg.InterfaceError) as err:
        # Raised by the raw driver cursors used on the bulk-insert path.
        message = _unavailable_message(engine, err, invalidated=False)
        if message is None:
            raise
        raise StorageUnavailable(message) from err


def _unavailable_message(
    engine: Engine, orig: BaseException | None, invalidated: bool
) -> str | None:
    if isinstance(orig, sqlite3.OperationalError):
        return _sqlite_message(engine, str(orig))
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
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


def _postgres_message(engine: Engine, err: BaseException) -> str:
    where = _where(engine)
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
