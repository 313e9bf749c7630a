"""A team's wall screen: the snapshot narrowed to a view's queues, in the view's order.

A view (``storage.ViewRow``) names the queues a team's screen shows. ``team_screen``
keeps those queues in the view's order, and the alert states of those queues only (the
alerts of workers, reconcilers and sources concern every team and stay), so the top
bar's totals and state are the team's. A queue of the view that has left the Trio site
is "gone": a quiet tile, left out of the totals (see ``is_gone``); the whole-site screen
uses the same rule (``site_screen``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import flask

import auth
from specs.metrics import PARTIAL_PREFIX
from storage import ViewRow

from ._config import DashboardConfig
from .metrics import QUEUE_KIND
from .readmodel import QueueView, Snapshot
from .status import is_stale


@dataclass(frozen=True, slots=True)
class GoneQueue:
    """A queue of the view the Trio server no longer reports. ``name`` and
    ``last_seen_ms`` are from its last values, None when none are stored (never
    reported, or older than the retention)."""

    id: str
    name: str | None = None
    last_seen_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TeamScreen:
    view: ViewRow
    # The view's queues still reported, in the view's order, and the alert states of
    # these queues and of every other kind of entity: what totals and tiles are built of.
    snapshot: Snapshot
    # Every queue of the view in its order: present (QueueView) or gone.
    order: tuple[QueueView | GoneQueue, ...]


def find_view(snapshot: Snapshot, *, view_id: int | None = None,
              name: str | None = None) -> ViewRow | None:
    """The view of the snapshot with this id or (else) name; None if none has it."""
    for view in snapshot.views:
        if (view_id is not None and view.id == view_id) or (
                view_id is None and name is not None and view.name == name.strip().lower()):
            return view
    return None


def requested_view(
    snapshot: Snapshot, asked: object,
) -> tuple[ViewRow | None, str | None]:
    """The view the current request's screen shows and, when the address asked for a
    view that does not exist, its name: ``(view, None)``, ``(None, None)`` (every queue)
    or ``(None, name)``. A display session bound to a view always gets that view,
    whatever its address says; ``asked`` is the ``?view=`` of the page's address."""
    user = auth.current_user() if flask.has_request_context() else None
    if user is not None and user.view_id is not None:
        bound = find_view(snapshot, view_id=user.view_id)
        if bound is not None:
            return bound, None
    if not isinstance(asked, str) or not asked.strip():
        return None, None
    view = find_view(snapshot, name=asked)
    return (view, None) if view is not None else (None, asked.strip())


def view_key(view: ViewRow | None, unknown: str | None) -> object:
    """The part of the wall's render key (memo, response cache) that the view decides."""
    return view.id if view is not None else (None if unknown is None else ("?", unknown))


def is_gone(queue: QueueView, snapshot: Snapshot, now_ms: int, config: DashboardConfig) -> bool:
    """The queue's newest values are stale while the same server's other queues are
    fresh: the collector polls the server fine and the server no longer lists the queue.
    Not while the source's last poll was partial (a queue whose record was refused is
    missing too, but has not left) and not while no queue is fresh (an outage: the
    tiles say stale, as on the whole-site screen)."""
    if not is_stale(queue, now_ms, config):
        return False
    source = snapshot.source
    if source is not None and (source.state_reason or "").startswith(PARTIAL_PREFIX):
        return False
    return any(not is_stale(other, now_ms, config) for other in snapshot.queues)


def team_screen(
    snapshot: Snapshot, view: ViewRow, now_ms: int, config: DashboardConfig,
) -> TeamScreen:
    shown, order = screen_queues(snapshot, view.queue_ids, now_ms, config)
    return TeamScreen(view=view, snapshot=shown, order=order)


def site_screen(
    snapshot: Snapshot, now_ms: int, config: DashboardConfig,
) -> tuple[Snapshot, tuple[QueueView | GoneQueue, ...]]:
    """The whole-site screen by the team screens' rule: every queue stored, in the
    snapshot's order, a queue that left the server gone (``is_gone``) rather than stale
    for ever; the snapshot of the queues still reported (``screen_queues``)."""
    return screen_queues(snapshot, [queue.id for queue in snapshot.queues], now_ms, config)


def screen_queues(
    snapshot: Snapshot, queue_ids: Sequence[str], now_ms: int, config: DashboardConfig,
) -> tuple[Snapshot, tuple[QueueView | GoneQueue, ...]]:
    """``queue_ids`` in their order, each present (QueueView) or gone (not reported at
    all, or ``is_gone``), and the snapshot narrowed to the present ones: what a screen's
    totals and tiles are built of."""
    known = {queue.id: queue for queue in snapshot.queues}
    order: list[QueueView | GoneQueue] = []
    for queue_id in queue_ids:
        queue = known.get(queue_id)
        if queue is None:
            order.append(GoneQueue(queue_id))
        elif is_gone(queue, snapshot, now_ms, config):
            order.append(GoneQueue(queue_id, queue.name, queue.ts_ms))
        else:
            order.append(queue)
    present = [entry for entry in order if isinstance(entry, QueueView)]
    return narrowed(snapshot, present, config.source_name, queue_ids), tuple(order)


def narrowed(snapshot: Snapshot, queues: Sequence[QueueView], source: str,
             alert_queue_ids: Sequence[str]) -> Snapshot:
    """``snapshot`` with only ``queues`` (the ones still reported: the totals) and the
    alert states that are not of a queue of ``source`` outside ``alert_queue_ids`` (the
    screen's queues, gone ones included: an alert still open on a queue that left the
    server is counted in the badge and beeps until the engine ends it; a screen never
    hides an alert it does not know is over)."""
    ids = set(alert_queue_ids)
    states = tuple(row for row in snapshot.alert_states
                   if not (row.source == source and row.entity_kind == QUEUE_KIND
                           and row.entity_id not in ids))
    return replace(snapshot, queues=list(queues), alert_states=states)
