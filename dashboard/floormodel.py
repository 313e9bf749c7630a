"""The read model of the floor: messages to the wall screens and planned maintenance,
one cached ``FloorData`` per refresh period per process, however many screens ask (the
actions of /alerts' floor forms are in ``floorforms``).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from specs.clock import Clock, now_ms
from storage import (
    DisplayRow,
    DisplayStore,
    FloorMessageRow,
    FloorMessageStore,
    MaintenanceRow,
    MaintenanceStore,
    StorageUnavailable,
)

from ._memo import CacheBusy, SnapshotCache

log = logging.getLogger(__name__)

WAIT_S = 10.0
MESSAGE_LIMIT = 30  # messages listed on /alerts: the running ones and the newest others


@dataclass(frozen=True, slots=True)
class FloorData:
    """What the ticker and /alerts' floor sections show; with ``db_error`` set the other
    fields are empty."""

    version: int
    taken_at_ms: int
    running: tuple[FloorMessageRow, ...] = ()  # on the screens now, oldest first
    recent: tuple[FloorMessageRow, ...] = ()  # the running ones, then the newest others
    windows: tuple[MaintenanceRow, ...] = ()  # maintenance that may still run
    displays: tuple[DisplayRow, ...] = ()  # live display tokens, for the form
    db_error: str | None = None

    def for_screen(self, display_id: int | None, now_ms: int) -> list[FloorMessageRow]:
        """The messages the screen of ``display_id`` shows at ``now_ms`` (None: a
        person's browser, which shows those sent to every screen)."""
        return [m for m in self.running if m.running_at(now_ms) and m.shown_on(display_id)]


class FloorModel:
    def __init__(self, engine: Engine, ttl_s: float, clock: Clock) -> None:
        self.messages = FloorMessageStore(engine)
        self.maintenance = MaintenanceStore(engine)
        self._displays = DisplayStore(engine)
        self._clock = clock
        self._versions = itertools.count(1)
        self._cache: SnapshotCache[FloorData] = SnapshotCache(ttl_s, clock, wait_s=WAIT_S)

    def data(self) -> FloorData:
        """The current data; queries at most once per period (or after ``invalidate``).
        Never raises ``StorageUnavailable``: ``db_error`` says what failed."""
        try:
            return self._cache.get(self._query)
        except CacheBusy as err:
            return self._error(str(err))

    def invalidate(self) -> None:
        self._cache.invalidate()

    def _query(self) -> FloorData:
        taken = now_ms(self._clock)
        try:
            running = self.messages.running(taken)
            recent = self.messages.recent(MESSAGE_LIMIT)
            windows = self.maintenance.windows(live_at_ms=taken)
            displays = self._displays.list(include_revoked=False)
        except StorageUnavailable as err:
            log.warning("floor messages read failed: %s", err)
            return self._error(str(err), taken)
        ids = {m.id for m in running}
        return FloorData(
            version=next(self._versions), taken_at_ms=taken, running=tuple(running),
            recent=(*reversed(running), *(m for m in recent if m.id not in ids)),
            windows=tuple(windows), displays=tuple(displays))

    def _error(self, message: str, taken: int | None = None) -> FloorData:
        return FloorData(version=next(self._versions),
                         taken_at_ms=now_ms(self._clock) if taken is None else taken,
                         db_error=message)
