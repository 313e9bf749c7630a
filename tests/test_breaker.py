"""CircuitBreaker: a pure state machine on an injected clock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.breaker import BreakerSnapshot, BreakerState, CircuitBreaker
from collectors.clock import ManualClock


def make(clock: ManualClock, **kw: float) -> CircuitBreaker:
    return CircuitBreaker(
        failure_threshold=int(kw.get("threshold", 3)),
        base_cooldown_s=kw.get("base", 30.0),
        max_cooldown_s=kw.get("max", 600.0),
        clock=clock,
    )


def fail_times(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        assert breaker.allow()
        breaker.record_failure()


def test_it_stays_closed_below_the_threshold(clock: ManualClock) -> None:
    breaker = make(clock)
    fail_times(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 2
    assert breaker.allow()


def test_it_counts_only_consecutive_failures(clock: ManualClock) -> None:
    breaker = make(clock)
    fail_times(breaker, 2)
    breaker.record_success()
    fail_times(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 2


def test_it_opens_at_the_threshold_and_refuses_until_the_cooldown_ends(
    clock: ManualClock,
) -> None:
    breaker = make(clock)
    fail_times(breaker, 3)
    assert breaker.state is BreakerState.OPEN
    assert breaker.opened_at == clock.time()
    assert breaker.retry_at == clock.time() + 30.0
    clock.advance(29.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN


def test_it_allows_one_trial_at_a_time_when_half_open(clock: ManualClock) -> None:
    breaker = make(clock)
    fail_times(breaker, 3)
    clock.advance(30.0)
    assert breaker.allow()
    assert not breaker.allow()
    assert not breaker.allow()


def test_it_closes_and_resets_when_the_trial_succeeds(clock: ManualClock) -> None:
    breaker = make(clock)
    fail_times(breaker, 3)
    clock.advance(30.0)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0
    assert breaker.opened_at is None and breaker.retry_at is None
    assert breaker.cooldown_s == 30.0


def test_it_reopens_with_a_doubled_cooldown_up_to_the_maximum(clock: ManualClock) -> None:
    breaker = make(clock, base=30.0, max=100.0)
    fail_times(breaker, 3)
    cooldowns = []
    for _ in range(4):
        clock.advance(breaker.cooldown_s)
        assert breaker.allow()
        breaker.record_failure()
        assert breaker.state is BreakerState.OPEN
        assert breaker.retry_at == clock.time() + breaker.cooldown_s
        cooldowns.append(breaker.cooldown_s)
    assert cooldowns == [60.0, 100.0, 100.0, 100.0]


def test_it_resets_the_cooldown_after_recovery(clock: ManualClock) -> None:
    breaker = make(clock)
    fail_times(breaker, 3)
    clock.advance(30.0)
    breaker.allow()
    breaker.record_failure()
    assert breaker.cooldown_s == 60.0
    clock.advance(60.0)
    breaker.allow()
    breaker.record_success()
    fail_times(breaker, 3)
    assert breaker.retry_at == clock.time() + 30.0


def test_it_opens_at_once_when_tripped_by_a_permanent_error(clock: ManualClock) -> None:
    breaker = make(clock)
    assert breaker.allow()
    breaker.trip()
    assert breaker.state is BreakerState.OPEN
    assert breaker.consecutive_failures == 1
    assert not breaker.allow()


def test_it_gives_up_on_a_trial_that_never_reports(clock: ManualClock) -> None:
    breaker = make(clock, max=600.0)
    fail_times(breaker, 3)
    clock.advance(30.0)
    assert breaker.allow()  # the trial's task is cancelled and never reports
    clock.advance(599.0)
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()


def test_it_resumes_from_a_snapshot(clock: ManualClock) -> None:
    breaker = make(clock)
    fail_times(breaker, 3)
    clock.advance(30.0)
    breaker.allow()
    breaker.record_failure()
    stored = breaker.snapshot()

    restarted = make(clock)
    restarted.restore(stored)
    assert restarted.snapshot() == stored
    assert not restarted.allow()
    clock.advance(60.0)
    assert restarted.allow()
    restarted.record_failure()
    assert restarted.cooldown_s == 120.0


def test_it_derives_the_cooldown_from_stored_times(clock: ManualClock) -> None:
    now = clock.time()
    breaker = make(clock)
    breaker.restore_from(
        state=BreakerState.OPEN, consecutive_failures=7, opened_at=now - 10, retry_at=now + 110
    )
    assert breaker.cooldown_s == 120.0
    assert breaker.consecutive_failures == 7
    assert not breaker.allow()


def test_it_grants_a_new_trial_after_restoring_half_open(clock: ManualClock) -> None:
    breaker = make(clock)
    now = clock.time()
    breaker.restore(BreakerSnapshot(BreakerState.HALF_OPEN, 3, now - 30, now, 30.0))
    assert breaker.allow()
    assert not breaker.allow()


# -- properties --------------------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.just(("allow", 0.0)),
        st.just(("success", 0.0)),
        st.just(("failure", 0.0)),
        st.just(("trip", 0.0)),
        st.tuples(st.just("advance"), st.floats(min_value=0.0, max_value=400.0)),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(ops=operations, threshold=st.integers(1, 5))
def test_it_never_has_two_half_open_trials_out_and_always_closes_on_success(
    ops: list[tuple[str, float]], threshold: int
) -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(
        failure_threshold=threshold, base_cooldown_s=30.0, max_cooldown_s=600.0, clock=clock
    )
    trial_since: float | None = None  # when the unreported half-open trial was granted
    for op, amount in ops:
        if op == "allow":
            was = breaker.state
            retry_at = breaker.retry_at
            allowed = breaker.allow()
            if was is BreakerState.OPEN and retry_at is not None and clock.time() < retry_at:
                assert not allowed
            if allowed and breaker.state is BreakerState.HALF_OPEN:
                # A second trial only once the first is given up as lost.
                assert trial_since is None or clock.monotonic() - trial_since >= 600.0
                trial_since = clock.monotonic()
        elif op == "success":
            breaker.record_success()
            trial_since = None
            assert breaker.state is BreakerState.CLOSED
            assert breaker.consecutive_failures == 0
        elif op in ("failure", "trip"):
            before = breaker.state
            breaker.record_failure() if op == "failure" else breaker.trip()
            trial_since = None
            if before is BreakerState.HALF_OPEN:
                assert breaker.state is BreakerState.OPEN
        else:
            clock.advance(amount)
        assert 30.0 <= breaker.cooldown_s <= 600.0
        if breaker.state is not BreakerState.CLOSED:
            assert breaker.retry_at is not None and breaker.opened_at is not None
