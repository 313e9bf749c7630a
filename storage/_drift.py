"""Drift: the current set of drifting resources per reconciler, and its events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from ._records import DriftItem


def write_drift(conn: Connection, source: str, items: Sequence[DriftItem], now_ms: int) -> None:
    """Make ``drift_resources`` of ``source`` equal ``items``; append a "started" event
    for each new (resource_id, field) and a "reconciled" event (with duration_ms) for
    each that disappeared. Part of the poll's transaction."""
    raise NotImplementedError("helper implements this")
