"""The caches of this process, shared by every screen it serves.

``SnapshotCache``: one value (a read model's snapshot), loaded at most once per period
however many callbacks ask at once. ``RenderMemo``: the last few results by key, built
once each (renders, per-filter reads, response bodies).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from specs.clock import Clock, now_ms

V = TypeVar("V")


class CacheBusy(TimeoutError):
    """Another thread is loading, for longer than the caller may wait, and nothing was
    loaded before that could be returned meanwhile."""


@dataclass(frozen=True, slots=True)
class _Loaded(Generic[V]):
    value: V
    at_ms: int


class SnapshotCache(Generic[V]):
    """One value, loaded by one thread at a time and kept ``ttl_s``; thread-safe.

    ``get(load)`` returns the kept value while it is fresh. Otherwise one caller runs
    ``load`` under the lock while the others wait for it (``wait_s``; ``first_wait_s``
    while nothing was ever loaded) and get what it loaded: many screens, one query. A
    caller that waited too long gets the last value however old, or ``CacheBusy`` if
    there is none. What ``load`` returns is kept (an error snapshot too, so a failing
    database is asked once per period); what it raises is not, and propagates.
    """

    def __init__(self, ttl_s: float, clock: Clock, *, wait_s: float,
                 first_wait_s: float | None = None) -> None:
        self._ttl_ms = int(ttl_s * 1000)
        self._clock = clock
        self._wait_s = wait_s
        self._first_wait_s = wait_s if first_wait_s is None else first_wait_s
        self._lock = threading.Lock()
        self._loaded: _Loaded[V] | None = None
        self._expired: _Loaded[V] | None = None  # see invalidate
        self.loads = 0  # for tests and debugging

    def get(self, load: Callable[[], V]) -> V:
        loaded = self._loaded
        if loaded is not None and self._fresh(loaded):
            return loaded.value
        if not self._lock.acquire(timeout=self._first_wait_s if loaded is None
                                  else self._wait_s):
            if loaded is not None:
                return loaded.value
            raise CacheBusy("timed out waiting for another database read")
        try:
            loaded = self._loaded
            if loaded is not None and self._fresh(loaded):
                return loaded.value  # another thread loaded it while this one waited
            at_ms = self._now_ms()
            value = load()
            self._loaded = _Loaded(value, at_ms)
            self.loads += 1
            return value
        finally:
            self._lock.release()

    def invalidate(self) -> None:
        """Load afresh on the next ``get`` (after this process changed what it shows).
        Until then the current value stays the answer for callers that cannot wait."""
        self._expired = self._loaded

    def clear(self) -> None:
        """Forget the value: the next ``get`` loads, and callers that cannot wait for it
        get ``CacheBusy`` rather than the old value."""
        self._loaded = None

    def _fresh(self, loaded: _Loaded[V]) -> bool:
        return loaded is not self._expired and self._now_ms() - loaded.at_ms < self._ttl_ms

    def _now_ms(self) -> int:
        return now_ms(self._clock)


class RenderMemo(Generic[V]):
    """Keeps the last ``size`` results by key; builds under the lock, so screens that
    ask for the same key at the same moment cause one build, not one each."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self.builds = 0  # for tests and debugging

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            value = build()
            self.builds += 1
            self._put(key, value)
            return value

    def peek(self, key: Hashable) -> V | None:
        """The value kept for ``key``, without building one (None: none kept)."""
        with self._lock:
            return self._values.get(key)

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` for ``key`` (for values made elsewhere, e.g. a response)."""
        with self._lock:
            self._put(key, value)

    def _put(self, key: Hashable, value: V) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self._size:
            self._values.popitem(last=False)
