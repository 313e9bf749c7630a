"""The one snapshot cache behind the read models: one load per period however many ask,
time from an injected clock (no sleeps)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from collectors.clock import ManualClock
from dashboard._memo import CacheBusy, RenderMemo, SnapshotCache

TTL_S = 5.0
JOIN_S = 10.0


def counting_loader() -> tuple[Callable[[], int], list[int]]:
    calls: list[int] = []

    def load() -> int:
        calls.append(len(calls) + 1)
        return calls[-1]

    return load, calls


class BlockingLoad:
    """A load that starts, then waits until the test releases it."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        self.started.set()
        assert self.release.wait(JOIN_S)
        return self.value


def test_it_loads_once_for_many_concurrent_readers() -> None:
    clock = ManualClock()
    cache: SnapshotCache[int] = SnapshotCache(TTL_S, clock.time, wait_s=JOIN_S)
    load = BlockingLoad(42)
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get(load)))
    first.start()
    assert load.started.wait(JOIN_S)
    readers = [threading.Thread(target=lambda: results.append(cache.get(load)))
               for _ in range(20)]
    for reader in readers:
        reader.start()
    load.release.set()
    for thread in (first, *readers):
        thread.join(JOIN_S)
    assert results == [42] * 21
    assert load.calls == 1 and cache.loads == 1


def test_it_keeps_a_value_for_the_ttl_of_the_injected_clock() -> None:
    clock = ManualClock()
    cache: SnapshotCache[int] = SnapshotCache(TTL_S, clock.time, wait_s=1.0)
    load, calls = counting_loader()
    assert cache.get(load) == 1
    clock.advance(TTL_S - 0.001)
    assert cache.get(load) == 1
    clock.advance(0.001)
    assert cache.get(load) == 2
    assert calls == [1, 2]


def test_invalidate_loads_afresh_but_keeps_the_old_value_for_callers_that_cannot_wait(
) -> None:
    clock = ManualClock()
    cache: SnapshotCache[int] = SnapshotCache(TTL_S, clock.time, wait_s=0.0,
                                              first_wait_s=JOIN_S)
    assert cache.get(lambda: 1) == 1
    cache.invalidate()
    slow = BlockingLoad(2)
    loader = threading.Thread(target=cache.get, args=(slow,))
    loader.start()
    assert slow.started.wait(JOIN_S)
    assert cache.get(lambda: 99) == 1  # busy: the old value, at once
    slow.release.set()
    loader.join(JOIN_S)
    assert cache.get(lambda: 99) == 2


def test_clear_forgets_the_value_so_a_caller_that_cannot_wait_is_told_so() -> None:
    clock = ManualClock()
    cache: SnapshotCache[int] = SnapshotCache(TTL_S, clock.time, wait_s=0.0,
                                              first_wait_s=0.0)
    assert cache.get(lambda: 1) == 1
    cache.clear()
    slow = BlockingLoad(2)
    loader = threading.Thread(target=cache.get, args=(slow,))
    loader.start()
    assert slow.started.wait(JOIN_S)
    with pytest.raises(CacheBusy):
        cache.get(lambda: 99)
    slow.release.set()
    loader.join(JOIN_S)
    assert cache.get(lambda: 99) == 2


def test_a_load_that_raises_is_not_kept() -> None:
    clock = ManualClock()
    cache: SnapshotCache[int] = SnapshotCache(TTL_S, clock.time, wait_s=1.0)

    def failing() -> int:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        cache.get(failing)
    assert cache.get(lambda: 7) == 7 and cache.loads == 1


def test_the_render_memo_keeps_the_last_values_by_key() -> None:
    memo: RenderMemo[str] = RenderMemo(size=2)
    assert memo.get("a", lambda: "A") == "A"
    memo.put("b", "B")
    assert memo.peek("b") == "B" and memo.get("a", lambda: "again") == "A"
    memo.put("c", "C")  # "b" is the least recently used
    assert memo.peek("b") is None and memo.peek("a") == "A" and memo.builds == 1
