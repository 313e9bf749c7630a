"""Team views of the wall screen: a title and a chosen list of queues, in order.

A view is opened by a logged-in user at ``/?view=<name>``; a display token bound to one
(``displays.view_id``) always shows it. Creating, changing and deleting a view, and
binding a token to one, append their audit rows (``view.create``, ``view.update``,
``view.delete``, ``display.view``) in the same transaction. Values are checked here
(``check_view``), so the command line and /admin refuse the same input with the same
reason. Storage never reads the clock (``now_ms`` comes from the caller).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.engine import Connection

from ._audit import append_audit
from ._displays import _display, _get
from ._displays import _json as _display_json
from ._displays import _target as _display_target
from ._errors import StorageError
from ._schema import displays, wall_views
from ._sql import dumps
from ._tx import EngineStore

NAME_MAX = 64  # wall_views.name is VARCHAR(64)
TITLE_MAX = 100
QUEUE_ID_MAX = 64
# A 1920x1080 screen holds 40 readable tiles (docs/DESIGN.md "Layouts that hold"); 60 is
# the most the wall's grid lays out.
QUEUES_MAX = 60
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class InvalidView(StorageError, ValueError):
    """A view's name, title or queue list is not acceptable (the message says why)."""


class UnknownView(StorageError):
    """No view has this id or name."""


class ViewExists(StorageError):
    """Another view already has this name."""


@dataclass(frozen=True, slots=True)
class ViewRow:
    id: int
    name: str
    title: str
    queue_ids: tuple[str, ...]
    created_at_ms: int
    created_by: str
    updated_at_ms: int
    updated_by: str


def check_name(name: str) -> str:
    """The name as stored (trimmed, lower case); InvalidView unless a URL slug."""
    cleaned = name.strip().lower()
    if not _NAME.fullmatch(cleaned):
        raise InvalidView(
            f"invalid view name {cleaned[:80]!r}: use 1-{NAME_MAX} lower-case letters a-z, "
            "digits and hyphens, not starting or ending with a hyphen (it is part of the "
            "screen's address)")
    return cleaned


def check_title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned or len(cleaned) > TITLE_MAX or _has_control(cleaned):
        raise InvalidView(f"invalid view title {cleaned[:120]!r}: use 1-{TITLE_MAX} "
                          "characters without control characters")
    return cleaned


def check_queue_ids(queue_ids: Sequence[str]) -> tuple[str, ...]:
    """The ids trimmed, in the order given; InvalidView when empty, too many, repeated
    or malformed."""
    ids = tuple(str(queue_id).strip() for queue_id in queue_ids)
    if not ids:
        raise InvalidView("a view needs at least one queue")
    if len(ids) > QUEUES_MAX:
        raise InvalidView(f"a view holds at most {QUEUES_MAX} queues, not {len(ids)}")
    bad = [q for q in ids if not q or len(q) > QUEUE_ID_MAX or "," in q or _has_control(q)]
    if bad:
        raise InvalidView(f"invalid queue id {bad[0][:80]!r}: use 1-{QUEUE_ID_MAX} "
                          "characters without commas or control characters")
    repeated = sorted({q for q in ids if ids.count(q) > 1})
    if repeated:
        raise InvalidView(f"queue {repeated[0]!r} is listed more than once")
    return ids


def parse_queue_list(text: str) -> tuple[str, ...]:
    """``"100,101, 105"`` -> ("100", "101", "105"), checked (``check_queue_ids``)."""
    parts = [part.strip() for part in text.split(",")]
    if any(not part for part in parts) and text.strip():
        raise InvalidView(f"empty queue id in {text[:120]!r}: separate ids by single commas")
    return check_queue_ids([part for part in parts if part])


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


class ViewStore(EngineStore):
    """Queries on ``wall_views`` and ``displays.view_id``. Safe to share between threads."""

    def create(
        self, name: str, title: str, queue_ids: Sequence[str], *, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> ViewRow:
        """Raises InvalidView, ViewExists."""
        values = {"name": check_name(name), "title": check_title(title),
                  "queue_ids": dumps(list(check_queue_ids(queue_ids)))}
        with self._writing() as conn:
            if _named(conn, values["name"]) is not None:
                raise ViewExists(f"a view named {values['name']!r} already exists")
            new_id = conn.execute(wall_views.insert().values(
                **values, created_at=now_ms, created_by=actor, updated_at=now_ms,
                updated_by=actor,
            ).returning(wall_views.c.id)).scalar_one()
            row = _view_get(conn, int(new_id))
            append_audit(conn, actor, "view.create", _target(row), None, _json(row), now_ms,
                         client_addr)
        return row

    def update(
        self, view_id: int, *, title: str | None = None,
        queue_ids: Sequence[str] | None = None, name: str | None = None, actor: str,
        now_ms: int, client_addr: str | None = None,
    ) -> ViewRow:
        """Change what is given (None: keep); audited when something changes. Raises
        InvalidView, UnknownView, ViewExists (renamed onto another view's name)."""
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = check_name(name)
        if title is not None:
            values["title"] = check_title(title)
        if queue_ids is not None:
            values["queue_ids"] = dumps(list(check_queue_ids(queue_ids)))
        with self._writing() as conn:
            before = _view_get(conn, view_id)
            other = _named(conn, values["name"]) if "name" in values else None
            if other is not None and other != view_id:
                raise ViewExists(f"a view named {values['name']!r} already exists")
            if not values or _json(before) == {**_json(before), **_decoded(values)}:
                return before
            conn.execute(update(wall_views).where(wall_views.c.id == view_id).values(
                **values, updated_at=now_ms, updated_by=actor))
            after = _view_get(conn, view_id)
            append_audit(conn, actor, "view.update", _target(after), _json(before),
                         _json(after), now_ms, client_addr)
        return after

    def delete(
        self, view_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> ViewRow:
        """Delete a view; the screens bound to it show the whole site again (their
        tokens' view is cleared in the same transaction). Raises UnknownView."""
        with self._writing() as conn:
            before = _view_get(conn, view_id)
            conn.execute(update(displays).where(displays.c.view_id == view_id)
                         .values(view_id=None))
            conn.execute(delete(wall_views).where(wall_views.c.id == view_id))
            append_audit(conn, actor, "view.delete", _target(before), _json(before), None,
                         now_ms, client_addr)
        return before

    def bind(
        self, display_id: int, view_id: int | None, *, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> None:
        """Make the display token's screen show this view (None: the whole site),
        audited ("display.view") when it changes. Raises UnknownDisplay, UnknownView."""
        with self._writing() as conn:
            before = _get(conn, display_id)
            if view_id is not None:
                _view_get(conn, view_id)
            current = conn.execute(select(displays.c.view_id).where(
                displays.c.id == display_id)).scalar_one()
            if current == view_id:
                return
            conn.execute(update(displays).where(displays.c.id == display_id).values(
                view_id=view_id))
            after = _display(conn.execute(select(displays).where(
                displays.c.id == display_id)).one())
            append_audit(conn, actor, "display.view", _display_target(after),
                         {**_display_json(before), "view_id": current},
                         {**_display_json(after), "view_id": view_id}, now_ms, client_addr)

    def free_name(self, wanted: str) -> str:
        """``slug(wanted)``, or with "-2", "-3"... if a view has that name."""
        base = slug(wanted)
        taken = {view.name for view in self.list()}
        name, n = base, 1
        while name in taken:
            n += 1
            suffix = f"-{n}"
            name = base[:NAME_MAX - len(suffix)].rstrip("-") + suffix
        return name

    def get(self, view_id: int) -> ViewRow | None:
        with self._reading() as conn:
            row = conn.execute(select(wall_views).where(wall_views.c.id == view_id)).first()
        return None if row is None else _view(row)

    def by_name(self, name: str) -> ViewRow | None:
        with self._reading() as conn:
            row = conn.execute(select(wall_views).where(
                wall_views.c.name == name.strip().lower())).first()
        return None if row is None else _view(row)

    def list(self) -> list[ViewRow]:
        """Every view, by name."""
        with self._reading() as conn:
            return [_view(row) for row in conn.execute(
                select(wall_views).order_by(wall_views.c.name))]

    def bindings(self) -> dict[int, int]:
        """Display token id -> view id, for the tokens bound to a view (revoked too)."""
        with self._reading() as conn:
            rows = conn.execute(select(displays.c.id, displays.c.view_id)
                                .where(displays.c.view_id.is_not(None)))
            return {int(row.id): int(row.view_id) for row in rows}


def _named(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(wall_views.c.id).where(wall_views.c.name == name)).first()
    return None if found is None else int(found[0])


def _view_get(conn: Connection, view_id: int) -> ViewRow:
    row = conn.execute(select(wall_views).where(wall_views.c.id == view_id)).first()
    if row is None:
        raise UnknownView(f"no view {view_id}")
    return _view(row)


def _view(row: Row[Any]) -> ViewRow:
    return ViewRow(
        id=int(row.id), name=row.name, title=row.title,
        queue_ids=tuple(str(q) for q in json.loads(row.queue_ids)),
        created_at_ms=int(row.created_at), created_by=row.created_by,
        updated_at_ms=int(row.updated_at), updated_by=row.updated_by,
    )


def _decoded(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "queue_ids" in out:
        out["queue_ids"] = json.loads(out["queue_ids"])
    return out


def _target(row: ViewRow) -> str:
    return f"view:{row.id}"


def _json(row: ViewRow) -> dict[str, Any]:
    return {"name": row.name, "title": row.title, "queue_ids": list(row.queue_ids)}




_SLUG_CHARS = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})


def slug(text: str) -> str:
    """A view name made from a screen's name: "Skärm 3 (Support)" -> "skarm-3-support"."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.strip().lower().translate(_SLUG_CHARS))
    return cleaned.strip("-")[:NAME_MAX].strip("-") or "screen"
