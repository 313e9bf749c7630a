"""Polls the database could not take yet, kept in memory within a bound.

When the database is down or locked past its timeout the collector keeps polling; each
poll's write waits here, oldest first, and is written when the database returns. What the
bound forces out is logged with counts and times: nothing is dropped silently.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from storage import PollWrite

log = logging.getLogger(__name__)


@dataclass
class Dropped:
    polls: int = 0
    samples: int = 0


class WriteBuffer:
    def __init__(
        self,
        *,
        max_age_s: float,
        max_samples: int,
        on_drop: Callable[[list[PollWrite]], None] | None = None,
    ) -> None:
        """``on_drop`` is told of every write the bound forces out (to record the loss)."""
        self._on_drop = on_drop
        self._max_age_ms = int(max_age_s * 1000)
        self._max_samples = max_samples
        self._items: deque[tuple[int, PollWrite]] = deque()
        self._samples = 0
        self.dropped = Dropped()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def samples(self) -> int:
        return self._samples

    def add(self, write: PollWrite, now_ms: int) -> None:
        self._items.append((now_ms, write))
        self._samples += len(write.samples)
        self._enforce(now_ms)

    def peek(self, limit: int, max_samples: int | None = None) -> list[PollWrite]:
        """The oldest writes, at most ``limit``, and no more than ``max_samples`` samples
        in all (always at least one write), so one transaction stays short."""
        chosen: list[PollWrite] = []
        samples = 0
        for _, write in self._items:
            if len(chosen) >= limit or (
                chosen and max_samples is not None and samples + len(write.samples) > max_samples
            ):
                break
            chosen.append(write)
            samples += len(write.samples)
        return chosen

    def pop(self, count: int) -> None:
        """Forget the ``count`` oldest writes, which are now stored."""
        for _ in range(min(count, len(self._items))):
            _, write = self._items.popleft()
            self._samples -= len(write.samples)

    def drain_all(self) -> list[PollWrite]:
        writes = [w for _, w in self._items]
        self._items.clear()
        self._samples = 0
        return writes

    def _enforce(self, now_ms: int) -> None:
        polls = samples = 0
        first_ms = last_ms = None
        dropped: list[PollWrite] = []
        # Keep at least the newest poll: it is the one a screen needs most.
        while len(self._items) > 1 and (
            now_ms - self._items[0][0] > self._max_age_ms or self._samples > self._max_samples
        ):
            queued_ms, write = self._items.popleft()
            dropped.append(write)
            self._samples -= len(write.samples)
            polls += 1
            samples += len(write.samples)
            first_ms = queued_ms if first_ms is None else first_ms
            last_ms = queued_ms
        if polls:
            self.dropped.polls += polls
            self.dropped.samples += samples
            log.error(
                "write buffer full: dropped %d poll(s) with %d sample(s) taken between "
                "%d and %d (epoch ms); the database has been unavailable too long",
                polls, samples, first_ms, last_ms,
                extra={"dropped_polls": polls, "dropped_samples": samples},
            )
            if self._on_drop is not None:
                self._on_drop(dropped)
