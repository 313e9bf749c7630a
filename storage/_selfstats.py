"""Counts the product's own metrics read at scrape time: the outbox per channel, the alert
states, the rollup watermarks and the wall screens. Aggregates only (``GROUP BY``): a
scrape reads a few rows however large the tables are."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from ._schema import alert_states, displays, notify_channels, notify_outbox, rollup_state
from ._tx import EngineStore

# Outbox statuses counted: the ones that still matter (delivered rows are history).
_OUTBOX_COUNTED = ("queued", "sending", "failed")


@dataclass(frozen=True)
class ChannelOutbox:
    """One channel's rows in the outbox by status, and its oldest queued row."""

    channel: str
    rows: dict[str, int] = field(default_factory=dict)  # status -> rows
    oldest_queued_ms: int | None = None


@dataclass(frozen=True)
class SelfStats:
    """What the collector's /metrics reads from the database."""

    outbox: list[ChannelOutbox]
    # Channel name -> its stored state ("ok" | "failing").
    channel_states: dict[str, str]
    # (state, severity or "") -> alert states.
    alert_states: dict[tuple[str, str], int]
    # Resolution ("1m", "1h") -> watermark (epoch ms): everything finer before it is rolled up.
    rollup_watermarks: dict[str, int]


@dataclass(frozen=True)
class ScreenCounts:
    """Live display tokens: seen within the active window, and used once but silent since."""

    active: int
    silent: int


class SelfStatsStore(EngineStore):
    def self_stats(self) -> SelfStats:
        t = notify_outbox
        with self._reading() as conn:
            # ix_notify_outbox_status_due (status first)
            outbox_rows = conn.execute(
                select(t.c.channel, t.c.status, func.count(), func.min(t.c.created_at))
                .where(t.c.status.in_(_OUTBOX_COUNTED)).group_by(t.c.channel, t.c.status)
            ).all()
            channels = conn.execute(
                select(notify_channels.c.name, notify_channels.c.state)).all()
            a = alert_states
            states = conn.execute(
                select(a.c.state, a.c.severity, func.count()).group_by(a.c.state, a.c.severity)
            ).all()
            marks = conn.execute(
                select(rollup_state.c.resolution, rollup_state.c.watermark)
                .where(rollup_state.c.watermark.is_not(None))
            ).all()
        by_channel: dict[str, tuple[dict[str, int], list[int]]] = {}
        for channel, status, count, oldest in outbox_rows:
            rows, queued = by_channel.setdefault(channel, ({}, []))
            rows[status] = int(count)
            if status == "queued" and oldest is not None:
                queued.append(int(oldest))
        return SelfStats(
            outbox=[ChannelOutbox(channel, rows, min(queued) if queued else None)
                    for channel, (rows, queued) in sorted(by_channel.items())],
            channel_states={name: state for name, state in channels},
            alert_states={(state, severity or ""): int(count) for state, severity, count in states},
            rollup_watermarks={resolution: int(mark) for resolution, mark in marks},
        )

    def screen_counts(self, *, now_ms: int, active_ms: int, silent_ms: int) -> ScreenCounts:
        """Live tokens seen within ``active_ms``, and those used at least once but not seen
        for ``silent_ms`` or more."""
        d = displays
        live = d.c.revoked_at.is_(None)
        with self._reading() as conn:
            active = conn.execute(select(func.count()).where(
                and_(live, d.c.last_seen_at >= now_ms - active_ms))).scalar_one()
            silent = conn.execute(select(func.count()).where(
                and_(live, d.c.last_seen_at <= now_ms - silent_ms))).scalar_one()
        return ScreenCounts(active=int(active), silent=int(silent))
