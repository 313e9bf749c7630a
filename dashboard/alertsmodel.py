"""The read model of /alerts: one cached ``AlertsData`` per refresh period per process.

Built lazily under a lock like the wall screen's snapshot, so any number of open pages
cause one set of queries per period: rules, open states, silences, channels and the
newest events. A filtered history is read on demand and kept for the same period; an
action on the page (acknowledge, silence) calls ``invalidate`` so its author sees it.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from specs.clock import Clock, now_ms
from storage import (
    AlertStore,
    ChannelRow,
    EventRow,
    OutboxRow,
    SilenceRow,
    StateRow,
    StorageUnavailable,
)

from ._memo import CacheBusy, RenderMemo, SnapshotCache

log = logging.getLogger(__name__)

WAIT_S = 10.0
HISTORY_LIMIT = 200  # events shown in the history
SILENCE_LIMIT = 50  # silences listed: the active ones and the most recent others


@dataclass(frozen=True, slots=True)
class AlertsData:
    """What /alerts shows; with ``db_error`` set every other field is empty."""

    version: int
    taken_at_ms: int
    rule_names: dict[int, str] = field(default_factory=dict)  # every rule, by id
    states: tuple[StateRow, ...] = ()  # every state that is not OK
    silences: tuple[SilenceRow, ...] = ()  # newest first
    channels: tuple[ChannelRow, ...] = ()
    events: tuple[EventRow, ...] = ()  # newest first
    db_error: str | None = None

    def state(self, rule_id: int, series_key: str) -> StateRow | None:
        return next((s for s in self.states
                     if (s.rule_id, s.series_key) == (rule_id, series_key)), None)


class AlertsModel:
    """``data()``, ``history(...)`` and ``outbox_row(id)`` for /alerts; thread-safe."""

    def __init__(self, store: AlertStore, ttl_s: float, clock: Clock) -> None:
        self.store = store
        self._clock = clock
        self._versions = itertools.count(1)
        self._cache: SnapshotCache[AlertsData] = SnapshotCache(ttl_s, clock, wait_s=WAIT_S)
        self._history: RenderMemo[tuple[EventRow, ...] | str] = RenderMemo(size=32)

    def data(self) -> AlertsData:
        """The current data; queries at most once per period (or after ``invalidate``).
        Never raises ``StorageUnavailable``: ``db_error`` says what failed."""
        try:
            return self._cache.get(self._query)
        except CacheBusy as err:
            return self._error(str(err))

    def invalidate(self) -> None:
        """Read afresh on the next ``data()`` (after this process changed something);
        the current data stays the fallback for callers that cannot wait."""
        self._cache.invalidate()

    def history(
        self, rule_id: int | None, series_key: str | None
    ) -> tuple[EventRow, ...] | str:
        """The newest events of one rule and/or entity, or the database error as text.
        Kept for one period per filter."""
        data = self.data()
        if rule_id is None and series_key is None:
            return data.db_error or data.events
        return self._history.get((data.version, rule_id, series_key),
                                 lambda: self._filtered(rule_id, series_key))

    def outbox_row(self, row_id: int) -> OutboxRow | None | str:
        """A test message's row (None if gone), or the database error as text."""
        try:
            return self.store.outbox_row(row_id)
        except StorageUnavailable as err:
            return str(err)

    def _filtered(self, rule_id: int | None, series_key: str | None) -> tuple[EventRow, ...] | str:
        try:
            return tuple(self.store.events(limit=HISTORY_LIMIT, rule_id=rule_id,
                                           series_key=series_key))
        except StorageUnavailable as err:
            log.warning("alert history read failed: %s", err)
            return str(err)

    def _now_ms(self) -> int:
        return now_ms(self._clock)

    def _query(self) -> AlertsData:
        now_ms = self._now_ms()
        store = self.store
        try:
            rules = store.list_rules()
            states = store.states(open_only=True)
            # Active ones first, however old: a week-long silence stays listed.
            active = store.silences(active_at_ms=now_ms)
            recent = store.silences(limit=SILENCE_LIMIT)
            channels = store.channels()
            events = store.events(limit=HISTORY_LIMIT)
        except StorageUnavailable as err:
            log.warning("alerts page read failed: %s", err)
            return self._error(str(err), now_ms)
        return AlertsData(
            version=next(self._versions),
            taken_at_ms=now_ms,
            rule_names={rule.id: rule.name for rule in rules},
            states=tuple(states),
            silences=_merge(active, recent),
            channels=tuple(channels),
            events=tuple(events),
        )

    def _error(self, message: str, now_ms: int | None = None) -> AlertsData:
        taken = self._now_ms() if now_ms is None else now_ms
        return AlertsData(version=next(self._versions), taken_at_ms=taken, db_error=message)


def _merge(active: list[SilenceRow], recent: list[SilenceRow]) -> tuple[SilenceRow, ...]:
    ids = {silence.id for silence in active}
    return (*active, *(silence for silence in recent if silence.id not in ids))
