"""The read model: one query per refresh period, and a database outage reported."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard import DashboardConfig, ReadModel
from storage import Store, make_engine
from tests.fixtures.dashboard import BUSY_QUEUE, facts, write_queues

CONFIG = DashboardConfig(refresh_interval_s=5.0)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _now_ms(clock: ManualClock) -> int:
    return int(clock.time() * 1000)


def test_it_builds_queues_source_and_collector_state(
    store: Store, engine: Engine, clock: ManualClock
) -> None:
    now = _now_ms(clock)
    store.acquire_lease("collector", "host-1", ttl_ms=15_000, now_ms=now)
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE, ("7", "Ärenden"): {"open": 0.0}},
                 now - 2_000, source_facts=facts(now, failover_active=True,
                                                 active_url="http://b/te/api"))
    snapshot = ReadModel(engine, CONFIG, clock.time).snapshot()
    assert [(q.id, q.name, q.open) for q in snapshot.queues] == [
        ("12", "Kundtjänst", True), ("7", "Ärenden", False)]
    assert snapshot.queues[0].metrics["longest_wait_s"] == 17.0
    assert snapshot.queues[0].ts_ms == now - 2_000
    assert snapshot.source is not None and snapshot.source.failover_active
    assert snapshot.collector_active and snapshot.db_error is None


def test_it_keeps_only_the_values_of_the_newest_poll(
    store: Store, engine: Engine, clock: ManualClock
) -> None:
    now = _now_ms(clock)
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE}, now - 60_000)
    # The service level became null: the collector stops writing it.
    newer = {k: v for k, v in BUSY_QUEUE.items() if k != "service_level_pct"}
    write_queues(store, {("12", "Kundtjänst"): newer}, now)
    [view] = ReadModel(engine, CONFIG, clock.time).snapshot().queues
    assert "service_level_pct" not in view.metrics
    assert view.ts_ms == now


def test_it_queries_once_per_refresh_period(
    store: Store, engine: Engine, clock: ManualClock, statements: list[str]
) -> None:
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE}, _now_ms(clock))
    model = ReadModel(engine, CONFIG, clock.time)
    statements.clear()
    first = model.snapshot()
    per_snapshot = len(statements)
    assert per_snapshot >= 3
    for _ in range(50):
        clock.advance(0.09)
        assert model.snapshot() is first
    assert len(statements) == per_snapshot
    clock.advance(0.5)  # 5.0 s after the first snapshot
    second = model.snapshot()
    assert second.version > first.version
    assert len(statements) == 2 * per_snapshot


def test_it_reports_an_expired_collector_lease(
    store: Store, engine: Engine, clock: ManualClock
) -> None:
    now = _now_ms(clock)
    store.acquire_lease("collector", "host-1", ttl_ms=15_000, now_ms=now - 60_000)
    snapshot = ReadModel(engine, CONFIG, clock.time).snapshot()
    assert not snapshot.collector_active
    assert snapshot.collector_expired_at_ms == now - 45_000


def test_it_reports_no_collector_when_no_lease_was_ever_taken(
    engine: Engine, clock: ManualClock
) -> None:
    snapshot = ReadModel(engine, CONFIG, clock.time).snapshot()
    assert (snapshot.collector_active, snapshot.collector_expired_at_ms) == (False, None)
    assert snapshot.queues == [] and snapshot.source is None


def test_it_survives_an_unreachable_database_and_says_so(clock: ManualClock) -> None:
    engine = make_engine("postgresql+psycopg://trio@127.0.0.1:1/trio_monitor")
    try:
        model = ReadModel(engine, CONFIG, clock.time)
        snapshot = model.snapshot()
        assert snapshot.db_error is not None
        assert "127.0.0.1:1" in snapshot.db_error
        assert snapshot.queues == [] and not snapshot.collector_active
        assert model.snapshot() is snapshot  # 50 screens do not hammer a dead database
        clock.advance(CONFIG.refresh_interval_s)
        retried = model.snapshot()  # tried again next period: it may be back by then
        assert retried.version > snapshot.version and retried.db_error is not None
    finally:
        engine.dispose()


def test_it_lets_one_of_many_concurrent_callers_query(
    store: Store, engine: Engine, clock: ManualClock, statements: list[str]
) -> None:
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE}, _now_ms(clock))
    model = ReadModel(engine, CONFIG, clock.time)
    statements.clear()
    model.snapshot()
    per_snapshot = len(statements)
    statements.clear()
    clock.advance(CONFIG.refresh_interval_s)
    start = threading.Barrier(20)

    def ask() -> int:
        start.wait()
        return model.snapshot().version

    with ThreadPoolExecutor(20) as pool:
        versions = list(pool.map(lambda _: ask(), range(20)))
    assert len(set(versions)) == 1
    assert len(statements) == per_snapshot
