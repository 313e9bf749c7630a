"""The model as a function of time: the queue states it would have served, step by step.

The demo fills its database's history from this (through the collector's parsing and the
storage write path, which live outside this package). The items are what the primary
serves on ``GET /te/api/cc/1/services/state`` at each moment, in the run's field types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

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
    if not steps or any(step <= 0 for _, step in steps):
        raise ValueError("steps must be (from_t, step_s) pairs with step_s > 0")
    types = types or FieldTypes()
    t = max(model.now, steps[0][0])
    while t <= until():
        yield t, render_services(model.queue_items(t), types)
        t += [step for start, step in steps if start <= t][-1]
