"""Small dialect helpers shared by the query modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def upsert_insert(conn: Connection, table: Table) -> Any:
    """An INSERT supporting ON CONFLICT for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
