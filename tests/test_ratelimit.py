"""RateLimiter: a token bucket on a manual clock, FIFO, bounded by the deadline."""

from __future__ import annotations

import asyncio

import pytest

from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.ratelimit import RateLimiter


async def test_it_lets_a_burst_through_without_waiting(clock: ManualClock) -> None:
    limiter = RateLimiter(rate_per_s=5, burst=10, clock=clock)
    for _ in range(10):
        await limiter.acquire()
    assert clock.sleeps == []


async def test_it_refills_at_the_rate(clock: ManualClock) -> None:
    limiter = RateLimiter(rate_per_s=5, burst=2, clock=clock)
    for _ in range(2):
        await limiter.acquire()
    await limiter.acquire()
    assert clock.sleeps == pytest.approx([0.2])
    clock.advance(10.0)  # refill stops at the burst size
    for _ in range(2):
        await limiter.acquire()
    assert clock.sleeps == pytest.approx([0.2])
    await limiter.acquire()
    assert clock.sleeps == pytest.approx([0.2, 0.2])


async def test_it_never_exceeds_burst_plus_rate_times_elapsed_under_concurrency(
    clock: ManualClock,
) -> None:
    rate, burst, n = 50.0, 100, 1000
    limiter = RateLimiter(rate_per_s=rate, burst=burst, clock=clock)
    start = clock.monotonic()
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        granted.append(clock.monotonic() - start)

    await asyncio.gather(*(one() for _ in range(n)))
    assert len(granted) == n
    assert clock.monotonic() - start >= (n - burst) / rate - 1e-6
    for count, t in enumerate(sorted(granted), start=1):
        assert count <= burst + rate * t + 1e-6


async def test_it_serves_waiters_first_come_first_served(clock: ManualClock) -> None:
    limiter = RateLimiter(rate_per_s=10, burst=1, clock=clock)
    order: list[int] = []

    async def one(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    await asyncio.gather(*(one(i) for i in range(20)))
    assert order == list(range(20))


async def test_it_refuses_at_once_rather_than_wait_past_the_deadline(clock: ManualClock) -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, clock=clock)
    await limiter.acquire()
    with pytest.raises(SourceError) as caught:
        await limiter.acquire(Deadline(clock, 0.5))
    assert caught.value.kind is ErrorKind.DEADLINE
    assert not caught.value.retryable
    assert str(caught.value) == (
        "deadline of 0.5 s exceeded while waiting for the rate limiter (1/s)"
    )
    assert clock.sleeps == []


async def test_it_counts_the_callers_queued_ahead_against_the_deadline(
    clock: ManualClock,
) -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, clock=clock)
    await limiter.acquire()
    ahead = [asyncio.create_task(limiter.acquire()) for _ in range(3)]
    await asyncio.sleep(0)  # they queue; the first is already asleep until t=1
    assert clock.monotonic() == 1.0
    # Tokens at t=1, 2, 3 go to the three ahead; this caller's comes at t=4, 3 s from now.
    with pytest.raises(SourceError, match="deadline of 2.5 s exceeded"):
        await limiter.acquire(Deadline(clock, 2.5))
    assert clock.sleeps == [1.0]
    await asyncio.gather(*ahead)


async def test_it_waits_when_the_token_comes_within_the_deadline(clock: ManualClock) -> None:
    limiter = RateLimiter(rate_per_s=2, burst=1, clock=clock)
    await limiter.acquire()
    await limiter.acquire(Deadline(clock, 1.0))
    assert clock.sleeps == pytest.approx([0.5])


async def test_it_refuses_an_expired_deadline(clock: ManualClock) -> None:
    limiter = RateLimiter(rate_per_s=2, burst=5, clock=clock)
    deadline = Deadline(clock, 1.0)
    clock.advance(1.0)
    with pytest.raises(SourceError, match="deadline of 1.0 s exceeded"):
        await limiter.acquire(deadline)
