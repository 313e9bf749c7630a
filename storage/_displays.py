"""Display tokens of wall screens: create, revoke, look up, and what each screen last did.

Tokens arrive here already hashed (``auth`` hashes them); this module never sees one.
Creating and revoking append their audit row (``display.create``, ``display.revoke``) in
the same transaction. Every method is one transaction and may raise
``StorageUnavailable``; storage never reads the clock (``now_ms`` comes from the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.engine import Connection

from ._audit import append_audit
from ._errors import StorageError
from ._schema import displays
from ._tx import EngineStore

NAME_MAX = 100  # displays.name is VARCHAR(100)
_ADDR_MAX = 64
_AGENT_MAX = 300
_PAGE_MAX = 200


class UnknownDisplay(StorageError):
    """No display token has this id."""


class DisplayExists(StorageError):
    """A display token that is not revoked already has this name."""


@dataclass(frozen=True, slots=True)
class DisplayRow:
    """One display token (without its hash) and the last request its screen made."""

    id: int
    name: str
    created_at_ms: int
    created_by: str
    revoked_at_ms: int | None
    revoked_by: str | None
    last_seen_at_ms: int | None
    last_addr: str | None
    last_user_agent: str | None
    last_page: str | None
    language: str | None = None  # the screen's language (revision 0008); None: default
    # The team view the screen always shows (revision 0012); None: the whole site.
    view_id: int | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at_ms is not None


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """What a screen's request tells about it (values are cut to the column sizes)."""

    addr: str | None
    user_agent: str | None
    page: str | None


class DisplayStore(EngineStore):
    """Queries on ``displays``. Safe to share between threads."""

    def create(
        self, name: str, token_hash: str, *, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> DisplayRow:
        """Store a new token named ``name`` (1-100 characters, checked by the caller).

        Raises DisplayExists if a token that is not revoked has that name (names of
        revoked tokens may be reused: a screen gets a new token after a leak)."""
        with self._writing() as conn:
            if _active_named(conn, name) is not None:
                raise DisplayExists(f"a display token named {name!r} already exists")
            new_id = conn.execute(displays.insert().values(
                name=name, token_hash=token_hash, created_at=now_ms, created_by=actor,
            ).returning(displays.c.id)).scalar_one()
            row = _get(conn, int(new_id))
            append_audit(conn, actor, "display.create", _target(row), None, _json(row), now_ms,
                client_addr)
        return row

    def revoke(
        self, display_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> DisplayRow:
        """Revoke a token; its screen's session ends at its next request. A token already
        revoked is returned unchanged (no audit row). Raises UnknownDisplay."""
        with self._writing() as conn:
            before = _get(conn, display_id)
            if before.revoked:
                return before
            conn.execute(update(displays).where(displays.c.id == display_id).values(
                revoked_at=now_ms, revoked_by=actor))
            after = _get(conn, display_id)
            append_audit(conn, actor, "display.revoke", _target(after), _json(before),
                _json(after), now_ms, client_addr)
        return after

    def set_language(
        self, display_id: int, language: str | None, *, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> DisplayRow:
        """Set the screen's language (None: the site's default), audited when it
        changes. Raises UnknownDisplay."""
        with self._writing() as conn:
            before = _get(conn, display_id)
            if before.language == language:
                return before
            conn.execute(update(displays).where(displays.c.id == display_id).values(
                language=language))
            after = _get(conn, display_id)
            append_audit(conn, actor, "display.language", _target(after), _json(before),
                         _json(after), now_ms, client_addr)
        return after

    def get(self, display_id: int) -> DisplayRow | None:
        with self._reading() as conn:
            row = conn.execute(select(displays).where(displays.c.id == display_id)).one_or_none()
        return None if row is None else _display(row)

    def by_token_hash(self, token_hash: str) -> DisplayRow | None:
        """The token with this hash, revoked or not. Served by uq_displays_token_hash."""
        with self._reading() as conn:
            row = conn.execute(
                select(displays).where(displays.c.token_hash == token_hash)
            ).one_or_none()
        return None if row is None else _display(row)

    def list(self, *, include_revoked: bool = True) -> list[DisplayRow]:
        """Tokens by name, then newest first."""
        stmt = select(displays).order_by(displays.c.name, displays.c.id.desc())
        if not include_revoked:
            stmt = stmt.where(displays.c.revoked_at.is_(None))
        with self._reading() as conn:
            return [_display(row) for row in conn.execute(stmt)]

    def record_seen(
        self, display_id: int, seen: SeenRequest, *, now_ms: int, min_interval_ms: int = 0,
    ) -> bool:
        """Remember a request of the token's screen, unless one was recorded less than
        ``min_interval_ms`` ago (decided in the UPDATE itself, so several web processes
        write at most about once per interval together). True if written."""
        recent = displays.c.last_seen_at > now_ms - min_interval_ms
        stmt = (
            update(displays)
            .where(displays.c.id == display_id)
            .where(or_(displays.c.last_seen_at.is_(None), ~recent))
            .values(last_seen_at=now_ms, last_addr=_cut(seen.addr, _ADDR_MAX),
                    last_user_agent=_cut(seen.user_agent, _AGENT_MAX),
                    # A request that tells no page (a script's, without Referer) keeps it.
                    last_page=func.coalesce(_cut(seen.page, _PAGE_MAX), displays.c.last_page))
        )
        with self._writing() as conn:
            return conn.execute(stmt).rowcount == 1


def _get(conn: Connection, display_id: int) -> DisplayRow:
    row = conn.execute(select(displays).where(displays.c.id == display_id)).one_or_none()
    if row is None:
        raise UnknownDisplay(f"no display token {display_id}")
    return _display(row)


def _active_named(conn: Connection, name: str) -> int | None:
    found = conn.execute(
        select(displays.c.id).where(displays.c.name == name, displays.c.revoked_at.is_(None))
    ).first()
    return None if found is None else int(found[0])


def _display(row: Row[Any]) -> DisplayRow:
    return DisplayRow(
        id=int(row.id), name=row.name, created_at_ms=int(row.created_at),
        created_by=row.created_by, revoked_at_ms=row.revoked_at, revoked_by=row.revoked_by,
        last_seen_at_ms=row.last_seen_at, last_addr=row.last_addr,
        last_user_agent=row.last_user_agent, last_page=row.last_page,
        language=row.language, view_id=row.view_id,
    )


def _target(row: DisplayRow) -> str:
    return f"display:{row.id}"


def _json(row: DisplayRow) -> dict[str, Any]:
    return {"name": row.name, "revoked_at": row.revoked_at_ms, "revoked_by": row.revoked_by,
            "language": row.language}


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
