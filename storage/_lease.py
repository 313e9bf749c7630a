"""The collector lease: one row per name, a fencing token bumped on every takeover.

Each function runs inside the caller's write transaction (BEGIN IMMEDIATE on SQLite;
row locks on PostgreSQL), and every change is one conditional statement, so two
processes racing for the lease cannot both win.
"""

from __future__ import annotations

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.engine import Connection

from ._records import LeaseInfo
from ._schema import lease
from ._sql import upsert_insert


def acquire(conn: Connection, name: str, holder: str, ttl_ms: int, now_ms: int) -> int | None:
    created = conn.execute(
        upsert_insert(conn, lease)
        .values(
            name=name, holder=holder, token=1, acquired_at=now_ms,
            expires_at=now_ms + ttl_ms, renewed_at=now_ms,
        )
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(lease.c.token)  # rowcount of an INSERT is -1 on psycopg 3: ask instead
    ).scalar_one_or_none()
    if created is not None:
        return int(created)
    still_ours = and_(lease.c.holder == holder, lease.c.expires_at > now_ms)
    taken = conn.execute(
        update(lease)
        .where(lease.c.name == name, or_(lease.c.expires_at <= now_ms, still_ours))
        .values(
            holder=holder,
            # Same holder, unexpired: a renewal keeps the token. Otherwise a takeover.
            token=case((still_ours, lease.c.token), else_=lease.c.token + 1),
            acquired_at=case((still_ours, lease.c.acquired_at), else_=now_ms),
            expires_at=now_ms + ttl_ms,
            renewed_at=now_ms,
        )
        .returning(lease.c.token)
    ).scalar_one_or_none()
    return int(taken) if taken is not None else None


def _held(name: str, holder: str, token: int, now_ms: int) -> tuple[object, ...]:
    return (
        lease.c.name == name,
        lease.c.holder == holder,
        lease.c.token == token,
        lease.c.expires_at > now_ms,
    )


def renew(
    conn: Connection, name: str, holder: str, token: int, ttl_ms: int, now_ms: int
) -> bool:
    stmt = (
        update(lease)
        .where(*_held(name, holder, token, now_ms))  # type: ignore[arg-type]
        .values(expires_at=now_ms + ttl_ms, renewed_at=now_ms)
    )
    return conn.execute(stmt).rowcount == 1


def release(conn: Connection, name: str, holder: str, token: int, now_ms: int) -> None:
    stmt = (
        update(lease)
        .where(*_held(name, holder, token, now_ms))  # type: ignore[arg-type]
        .values(expires_at=now_ms)
    )
    conn.execute(stmt)


def read(conn: Connection, name: str) -> LeaseInfo | None:
    row = conn.execute(select(lease).where(lease.c.name == name)).one_or_none()
    if row is None:
        return None
    return LeaseInfo(
        name=row.name,
        holder=row.holder,
        token=row.token,
        acquired_at_ms=row.acquired_at,
        expires_at_ms=row.expires_at,
        renewed_at_ms=row.renewed_at,
    )
