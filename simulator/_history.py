"""The model as a function of time: the queue states it would have served, step by step.

The demo fills its database's history from this (through the collector's parsing and the
storage write path, which live outside this package). The items are what the primary
serves on ``GET /te/api/cc/1/services/state`` at each moment, in the run's field types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from simulator._fleet import Fleet, WorkerAnswer
from simulator._model import ContactCenter
from simulator._types import FieldTypes, render_services


def queue_history(
    model: ContactCenter,
    steps: Sequence[tuple[float, float]],
    until: Callable[[], float],
    types: FieldTypes | None = None,
) -> Iterator[tuple[float, Sequence[dict[str, Any]]]]:
    """``(t, services/state items)`` from the model's time on, advancing it.

    ``steps``: ``(from_t, step_s)`` pairs, oldest first: from ``from_t`` on, a moment every
    ``step_s`` (e.g. every 5 minutes a month ago, every minute over the last day).
    ``until`` is read before each moment, so a caller whose clock moves while it consumes
    the history (a backfill up to "now") gets moments up to the clock's latest reading.
    The model is left advanced to the last moment yielded: serve it on from there.
    """
    types = types or FieldTypes()
    for t in _moments(model.now, steps, until):
        yield t, render_services(model.queue_items(t), types)


@dataclass(frozen=True)
class FleetMoment:
    """What the fleet served at ``t``: each reconciler's drift document (``GET
    /reconcilers/<name>/drift``, JSON form) and each worker's health answer."""

    t: float
    reconcilers: dict[str, dict[str, Any]]
    workers: dict[str, WorkerAnswer]


def fleet_history(
    fleet: Fleet, steps: Sequence[tuple[float, float]], until: Callable[[], float],
    start: float,
) -> Iterator[FleetMoment]:
    """The fleet's answers from ``start`` on, with ``steps`` and ``until`` as
    ``queue_history``'s; the reconcilers' drift advances with it (serve the fleet on from
    the last moment)."""
    for t in _moments(start, steps, until):
        yield FleetMoment(
            t,
            {name: rec.status_json(t) for name, rec in fleet.reconcilers.items()},
            {name: worker.answer(t) for name, worker in fleet.workers.items()},
        )


def _moments(now: float, steps: Sequence[tuple[float, float]],
             until: Callable[[], float]) -> Iterator[float]:
    if not steps or any(step <= 0 for _, step in steps):
        raise ValueError("steps must be (from_t, step_s) pairs with step_s > 0")
    t = max(now, steps[0][0])
    while t <= until():
        yield t
        t += [step for start, step in steps if start <= t][-1]
