"""The collector runner: buffering through database outages, fencing, restart, shutdown."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest
from sqlalchemy.engine import make_url

import storage
from collectors.buffer import WriteBuffer
from collectors.runner import LEASE_NAME

pytestmark = pytest.mark.timeout(60)


def _distinct_ts(h) -> set[int]:
    return {ts for s in h.store.series() for ts, _ in h.store.samples(s.id, 0, 2**62)}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_it_buffers_while_sqlite_is_locked_and_writes_everything_after(
    sim, harness_factory, db_url, caplog
):
    h = harness_factory(sim, db_busy_timeout_s=0.2)
    await h.activate()
    locker = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        for _ in range(3):
            await h.poll()
            h.clock.advance(5)
        assert len(h.collector.buffer) == 3
        buffered = h.collector.buffer.samples
        assert buffered > 0
        assert "database unavailable" in caplog.text and "locked" in caplog.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    await h.poll()

    assert len(h.collector.buffer) == 0
    assert len(_distinct_ts(h)) == 4, "every buffered poll must be stored"
    assert h.sample_count() >= buffered
    assert h.facts().last_error is None


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_it_buffers_while_postgres_is_unreachable_and_writes_everything_after(
    sim, harness_factory, db_url, tcp_proxy
):
    url = make_url(db_url)
    proxy = tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    h = harness_factory(sim, database_url=proxied, db_busy_timeout_s=1.0)
    await h.activate()
    await h.poll()
    h.clock.advance(5)

    proxy.cut()
    for _ in range(3):
        await h.poll()
        h.clock.advance(5)
    assert len(h.collector.buffer) == 3

    proxy.restore()
    await h.poll()

    assert len(h.collector.buffer) == 0
    assert len(_distinct_ts(h)) == 5


async def test_a_collector_that_lost_its_lease_writes_nothing(sim, harness_factory):
    a = harness_factory(sim, lease_ttl_s=15)
    b = harness_factory(sim, lease_ttl_s=15, trio_source_name="trio")
    b.collector.config.holder = "other-host:1"
    await a.activate()
    b.clock.advance(20)  # A's lease has expired by B's clock: B takes over (A was "paused")
    assert await b.collector._try_acquire()
    assert b.collector.token == a.collector.token + 1

    a.clock.advance(21)  # A wakes up after B's takeover: what it polls now is B's time
    await a.poll()

    assert a.sample_count() == 0, "a fenced-out collector must not write"
    assert a.collector.token is None and not a.collector.active.is_set()
    lease = a.store.read_lease(LEASE_NAME)
    assert lease is not None and lease.holder == "other-host:1"


async def test_a_restarted_collector_resumes_an_open_breaker(sim, harness_factory):
    first = harness_factory(sim)
    await first.activate()
    sim.control.inject("services/state", "status", status=503)
    for _ in range(3):
        await first.poll()
    assert first.facts().breaker_state == "open"
    sim.control.reset_stats()

    second = harness_factory(sim, clock=first.clock)
    first.collector.token = None  # the first one "died" holding an expired lease
    second.clock.advance(20)
    assert await second.collector.activate()
    await second.poll()

    assert sim.control.stats()["total"] == 0, "an open breaker survives a restart"


async def test_it_shuts_down_in_bounds_and_releases_the_lease(sim, harness_factory):
    h = harness_factory(sim, poll_interval_s=0.5, poll_deadline_s=0.4, lease_ttl_s=3)
    stop = asyncio.Event()
    task = asyncio.create_task(h.collector.run(stop))
    await asyncio.wait_for(h.collector.active.wait(), timeout=10)
    for _ in range(100):
        if h.store.latest():
            break
        await asyncio.sleep(0.05)
    assert h.store.latest(), "the scheduled poll never stored anything"

    stop.set()
    await asyncio.wait_for(task, timeout=h.settings.shutdown_timeout_s + 2)

    lease = h.store.read_lease(LEASE_NAME)
    assert lease is not None and lease.expires_at_ms <= int(h.clock.time() * 1000)


def test_the_buffer_drops_the_oldest_beyond_its_bound_and_says_so(caplog):
    buffer = WriteBuffer(max_age_s=10, max_samples=1000)
    write = storage.PollWrite(
        source="trio", samples=[], agents=None,
        facts=storage.SourceFacts(name="trio", kind="trio", url="http://x"), events=[],
    )
    with caplog.at_level(logging.ERROR):
        for second in range(15):
            buffer.add(write, now_ms=second * 1000)

    assert len(buffer) == 11  # 4 .. 14 are within 10 s of the newest
    assert buffer.dropped.polls == 4
    assert caplog.text.count("write buffer full: dropped 1 poll(s)") == 4


def test_the_buffer_bounds_samples_but_keeps_the_newest_poll():
    key = storage.SeriesKey("trio", "queue", "1", "calls_waiting", "calls", "Växel")
    big = storage.PollWrite(
        source="trio", samples=[storage.Sample(key, i, 1.0) for i in range(600)], agents=None,
        facts=storage.SourceFacts(name="trio", kind="trio", url="http://x"), events=[],
    )
    buffer = WriteBuffer(max_age_s=600, max_samples=1000)
    buffer.add(big, now_ms=0)
    buffer.add(big, now_ms=1)

    assert len(buffer) == 1 and buffer.samples == 600
    assert buffer.dropped.samples == 600


class _BrokenSource:
    """A source with a bug: its poll raises something that is not a SourceError."""

    name, kind, url = "broken", "trio", "http://broken.test/te/api"
    interval_s = None

    async def poll(self, deadline):
        raise KeyError("servicename")

    def assess(self, outcome, error, consecutive_failures):
        return ("down", str(error))

    async def aclose(self) -> None:
        return None


async def test_a_bug_in_a_source_shows_as_a_failing_source(store, clock, caplog):
    from collectors.runner import Collector, RunnerConfig

    collector = Collector(store, [_BrokenSource()], RunnerConfig(), clock=clock)
    assert await collector.activate()

    await collector.poll_once("broken")

    facts = store.source("broken")
    assert facts is not None and facts.last_error == "internal error: KeyError('servicename')"
    assert facts.consecutive_failures == 1
    assert (facts.state, facts.state_reason) == ("down", "internal error: KeyError('servicename')")
    assert "internal error while polling" in caplog.text


async def test_it_keeps_checking_its_targets_when_they_cannot_be_reloaded(store, clock, caplog):
    from collectors.runner import Collector, DynamicSources, RunnerConfig

    wanted = {"broken-a": "spec-1"}
    failing = False

    async def load():
        if failing:
            raise storage.StorageUnavailable("SQLite database is locked (busy for more than 5 s)")
        return dict(wanted)

    def build(spec):
        source = _BrokenSource()
        source.name = "broken-a"
        return source

    collector = Collector(store, [], RunnerConfig(), clock=clock,
                          dynamic=DynamicSources(load=load, build=build))
    await collector.sync_sources()
    assert set(collector._runtimes) == {"broken-a"}

    failing = True
    await collector.sync_sources()

    assert set(collector._runtimes) == {"broken-a"}, "an unreadable target list removes nothing"
    assert "keeping the current set" in caplog.text

    failing = False
    wanted.clear()
    await collector.sync_sources()
    assert collector._runtimes == {}
