"""Small dialect and bulk-write helpers shared by the query modules."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

_T = TypeVar("_T")

# Bound parameters per statement stay far below SQLite's limit (32766) and keep
# PostgreSQL's plans small.
CHUNK = 500


def upsert_insert(conn: Connection, table: Table) -> Any:
    """An INSERT supporting ON CONFLICT for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """``values`` in slices of at most ``CHUNK``, for IN lists."""
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept, for the Text columns that hold JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- bulk writes through the driver ---------------------------------------------------------
# A write may carry thousands of rows. SQLAlchemy's per-row parameter handling, and on
# PostgreSQL its parsing of multi-row VALUES statements, cost more than the database did;
# one statement through the driver's executemany (psycopg pipelines it) does not.


def mark(conn: Connection) -> str:
    """The driver's parameter marker: ``%s`` (psycopg) or ``?`` (sqlite3)."""
    return "%s" if conn.dialect.name == "postgresql" else "?"


def insert_sql(conn: Connection, table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (markers)`` for the driver's executemany."""
    names = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join([mark(conn)] * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


@contextmanager
def driver_cursor(conn: Connection) -> Iterator[Any]:
    """A raw cursor of the connection's driver, inside its current transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


def executemany(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    with driver_cursor(conn) as cursor:
        cursor.executemany(sql, params)
