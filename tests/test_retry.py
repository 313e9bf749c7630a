"""call_with_retry: backoff with full jitter, Retry-After, one deadline, on a manual clock."""

from __future__ import annotations

import random

import pytest

from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError, is_transient
from collectors.retry import RetryPolicy, call_with_retry


def transient(
    message: str = "HTTP 503 from GET http://t/x", retry_after_s: float | None = None
) -> SourceError:
    return SourceError(
        message, kind=ErrorKind.HTTP_STATUS, retryable=True, status=503, retry_after_s=retry_after_s
    )


class Script:
    """An async callable that raises the scripted errors in order, then returns 'ok'."""

    def __init__(self, *errors: SourceError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class MaxRandom(random.Random):
    """Jitter always at the top of its range, so waits are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b


async def test_it_returns_the_first_success_without_waiting(clock: ManualClock) -> None:
    fn = Script()
    result = await call_with_retry(
        fn, policy=RetryPolicy(), deadline=Deadline(clock, 10), clock=clock
    )
    assert result == "ok" and fn.calls == 1 and clock.sleeps == []


async def test_it_retries_transient_errors_with_capped_exponential_backoff(
    clock: ManualClock,
) -> None:
    fn = Script(transient(), transient(), transient(), transient(), transient())
    policy = RetryPolicy(max_attempts=6, base_delay_s=0.2, max_delay_s=1.0)
    result = await call_with_retry(
        fn, policy=policy, deadline=Deadline(clock, 60), clock=clock, rng=MaxRandom()
    )
    assert result == "ok"
    assert fn.calls == 6
    assert clock.sleeps == pytest.approx([0.2, 0.4, 0.8, 1.0, 1.0])


async def test_it_jitters_each_wait_between_zero_and_the_cap(clock: ManualClock) -> None:
    fn = Script(transient(), transient(), transient())
    await call_with_retry(
        fn, policy=RetryPolicy(), deadline=Deadline(clock, 60), clock=clock, rng=random.Random(7)
    )
    caps = [0.2, 0.4, 0.8]
    assert len(clock.sleeps) == 3
    assert all(0.0 <= s <= c for s, c in zip(clock.sleeps, caps, strict=True))
    assert len(set(clock.sleeps)) == 3


async def test_it_raises_a_non_retryable_error_at_once(clock: ManualClock) -> None:
    error = SourceError("HTTP 404 from GET http://t/x", kind=ErrorKind.HTTP_STATUS, permanent=True)
    fn = Script(error)
    with pytest.raises(SourceError) as caught:
        await call_with_retry(fn, policy=RetryPolicy(), deadline=Deadline(clock, 10), clock=clock)
    assert caught.value is error
    assert fn.calls == 1 and clock.sleeps == []


async def test_it_does_not_retry_a_malformed_body(clock: ManualClock) -> None:
    fn = Script(SourceError("malformed JSON", kind=ErrorKind.MALFORMED))
    with pytest.raises(SourceError, match="malformed JSON$"):
        await call_with_retry(fn, policy=RetryPolicy(), deadline=Deadline(clock, 10), clock=clock)
    assert fn.calls == 1


async def test_it_gives_up_after_max_attempts_naming_the_count(clock: ManualClock) -> None:
    fn = Script(*(transient() for _ in range(10)))
    with pytest.raises(SourceError) as caught:
        await call_with_retry(
            fn, policy=RetryPolicy(max_attempts=3), deadline=Deadline(clock, 60), clock=clock
        )
    assert fn.calls == 3
    assert str(caught.value).startswith("HTTP 503 from GET http://t/x; gave up after 3 attempts")
    assert caught.value.kind is ErrorKind.HTTP_STATUS and caught.value.status == 503


async def test_it_waits_at_least_retry_after(clock: ManualClock) -> None:
    fn = Script(transient(retry_after_s=3.0))
    await call_with_retry(fn, policy=RetryPolicy(), deadline=Deadline(clock, 10), clock=clock)
    assert clock.sleeps == [3.0]


async def test_it_gives_up_at_once_when_retry_after_passes_the_deadline(
    clock: ManualClock,
) -> None:
    fn = Script(transient(retry_after_s=30.0))
    with pytest.raises(SourceError, match=r"gave up after 1 attempt: deadline") as caught:
        await call_with_retry(fn, policy=RetryPolicy(), deadline=Deadline(clock, 10), clock=clock)
    assert fn.calls == 1 and clock.sleeps == []
    assert caught.value.retry_after_s == 30.0


async def test_it_never_sleeps_past_the_deadline(clock: ManualClock) -> None:
    deadline = Deadline(clock, 1.0)
    fn = Script(*(transient() for _ in range(10)))
    with pytest.raises(SourceError, match="gave up after 3 attempts: deadline"):
        await call_with_retry(
            fn,
            policy=RetryPolicy(max_attempts=10, base_delay_s=0.3, max_delay_s=5.0),
            deadline=deadline,
            clock=clock,
            rng=MaxRandom(),
        )
    assert clock.sleeps == pytest.approx([0.3, 0.6])
    assert clock.monotonic() <= 1.0


async def test_it_reports_each_retry(clock: ManualClock) -> None:
    seen: list[tuple[int, str, float]] = []
    fn = Script(transient(), transient())
    await call_with_retry(
        fn,
        policy=RetryPolicy(),
        deadline=Deadline(clock, 10),
        clock=clock,
        rng=MaxRandom(),
        on_retry=lambda attempt, err, delay: seen.append((attempt, err.message, delay)),
    )
    assert seen == [
        (1, "HTTP 503 from GET http://t/x", 0.2),
        (2, "HTTP 503 from GET http://t/x", 0.4),
    ]


async def test_it_lets_other_exceptions_through(clock: ManualClock) -> None:
    async def broken() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await call_with_retry(
            broken, policy=RetryPolicy(), deadline=Deadline(clock, 10), clock=clock
        )


# -- the facts retry decisions rest on -----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "retryable"),
    [
        (ErrorKind.TIMEOUT, True),
        (ErrorKind.CONNECT, True),
        (ErrorKind.RATE_LIMITED, True),
        (ErrorKind.PROTOCOL, True),
        (ErrorKind.TOO_LARGE, False),
        (ErrorKind.MALFORMED, False),
        (ErrorKind.BAD_SHAPE, False),
        (ErrorKind.DEADLINE, False),
        (ErrorKind.CIRCUIT_OPEN, False),
    ],
)
def test_it_derives_retryable_from_the_kind(kind: ErrorKind, retryable: bool) -> None:
    assert is_transient(SourceError("x", kind=kind)) is retryable


def test_it_never_retries_a_permanent_error() -> None:
    err = SourceError("HTTP 401", kind=ErrorKind.AUTH, permanent=True, retryable=True)
    assert not err.retryable and not is_transient(err)
    assert not is_transient(ValueError("not a source error"))


def test_it_shows_the_message_as_the_error_text() -> None:
    err = SourceError("HTTP 503 from GET http://t/x", kind=ErrorKind.HTTP_STATUS, status=503)
    assert str(err) == "HTTP 503 from GET http://t/x"
    assert "status=503" in repr(err)


def test_it_counts_the_deadline_down_on_the_clock(clock: ManualClock) -> None:
    deadline = Deadline(clock, 10.0)
    clock.advance(4.0)
    assert deadline.remaining() == 6.0
    assert deadline.cap(3.0) == 3.0 and deadline.cap(8.0) == 6.0
    deadline.check("polling")
    clock.advance(7.0)
    assert deadline.remaining() == 0.0 and deadline.expired
    with pytest.raises(SourceError) as caught:
        deadline.check("reading queues")
    assert caught.value.kind is ErrorKind.DEADLINE and not caught.value.permanent
    assert str(caught.value) == "deadline of 10.0 s exceeded while reading queues"
