"""The Trio collector against the simulator over real HTTP on loopback, on SQLite and Postgres.

Each fault test asserts what a user would see: the breaker state and the error recorded on
the source, that no sample was invented, that the source recovers once the fault clears,
and (where it matters) that another source is unaffected.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from collectors.clock import ManualClock
from collectors.runner import Collector
from tests.fixtures.collect import collector_settings
from trio_monitor import wiring

# Tests of the collector's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = [pytest.mark.timeout(60), pytest.mark.sqlite_only]

QUEUE_METRICS = {
    "open", "calls_waiting", "longest_wait_s", "agents_logged_in", "agents_available",
    "agents_busy", "agents_paused", "answered_today", "abandoned_today",
}


async def test_it_stores_every_queue_metric_and_agent_on_a_healthy_poll(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()

    await h.poll()

    facts = h.facts()
    assert facts.last_error is None and facts.breaker_state == "closed"
    assert facts.last_success_at_ms is not None and facts.last_duration_ms is not None
    latest = h.latest()
    queues = {name for name, _ in latest}
    assert len(queues) == sim.config.queues
    assert "Kundtjänst" in queues
    for queue in queues:
        assert QUEUE_METRICS <= {m for q, m in latest if q == queue}
    agents = h.store.agents("trio")
    assert len(agents) == sim.config.agents
    assert {a.state for a in agents} <= {"available", "busy", "paused", "wrapup", "loggedout"}


async def test_it_reads_every_page_of_a_large_site(sim_factory, harness_factory):
    sim = sim_factory(queues=230, agents=700, max_page_size=25)
    h = harness_factory(sim, trio_page_size=25)
    await h.activate()

    await h.poll()

    queues = {name for name, metric in h.latest() if metric == "calls_waiting"}
    assert len(queues) == 230
    assert len(h.store.agents("trio")) == 700
    stats = sim.control.stats()
    # 10 pages of queues and 28 of agents, each fetched exactly once (no retries needed).
    assert _count(stats, "services/state") == 10
    assert _count(stats, "agents/state") == 28


async def test_it_decodes_iso_8859_1_bodies(sim_factory, harness_factory):
    sim = sim_factory(charset="iso-8859-1")
    h = harness_factory(sim)
    await h.activate()

    await h.poll()

    names = {name for name, _ in h.latest()}
    assert {"Kundtjänst", "Växel"} <= names
    assert any("Ö" in a.name or "ö" in a.name or "å" in a.name for a in h.store.agents("trio"))


async def test_it_asks_for_latin1_when_configured_and_keeps_swedish_names(sim, harness_factory):
    h = harness_factory(sim, trio_charset="iso-8859-1")
    await h.activate()

    await h.poll()

    assert "Kundtjänst" in {name for name, _ in h.latest()}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_it_retries_a_transient_status_once_and_stores_the_poll(sim, harness_factory, status):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", "status", status=status, count=1)

    await h.poll()

    facts = h.facts()
    assert facts.last_error is None and facts.consecutive_failures == 0
    assert len({q for q, _ in h.latest()}) == sim.config.queues


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_it_records_a_lasting_server_error_opens_the_breaker_and_recovers(
    sim, harness_factory, status
):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", "status", status=status)

    for _ in range(3):
        await h.poll()

    facts = h.facts()
    assert f"HTTP {status}" in (facts.last_error or "")
    assert facts.breaker_state == "open" and facts.consecutive_failures == 3
    assert facts.state == "down" and f"HTTP {status}" in (facts.state_reason or "")
    assert facts.failing_since_ms is not None and facts.last_success_at_ms is None
    assert h.sample_count() == 0, "a failing source must not produce samples"
    assert h.events()[0] == "breaker" and "failing" in h.events()  # newest first

    # While open, polls do not touch the server at all.
    sim.control.reset_stats()
    await h.poll()
    assert _count(sim.control.stats(), "services/state") == 0

    sim.control.clear()
    h.clock.advance(31)
    await h.poll()
    facts = h.facts()
    assert facts.breaker_state == "closed" and facts.failing_since_ms is None
    assert facts.state == "up"
    assert len({q for q, _ in h.latest()}) == sim.config.queues
    assert "recovered" in h.events()
    states = [(e.from_state, e.to_state) for e in h.store.source_events("trio")
              if e.kind == "state"]
    assert states == [("down", "up"), (None, "down")]  # newest first


async def test_it_honours_retry_after_on_429(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", "retry_after", seconds=1, count=1)

    await h.poll()

    assert h.facts().last_error is None
    assert 1.0 in h.clock.sleeps, "the collector must wait the Retry-After it was given"


async def test_it_gives_up_when_retry_after_exceeds_the_poll_deadline(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", "retry_after", seconds=30)

    await h.poll()

    facts = h.facts()
    assert "429" in (facts.last_error or "") and h.sample_count() == 0
    assert _count(sim.control.stats(), "services/state") == 1


async def test_it_times_out_on_a_hung_server(sim, harness_factory):
    h = harness_factory(sim, retry_max_attempts=2, http_read_timeout_s=0.3)
    await h.activate()
    sim.control.inject("services/state", "hang")

    await h.poll()

    facts = h.facts()
    assert "no response within 0.3 s" in (facts.last_error or "")
    assert facts.consecutive_failures == 1 and h.sample_count() == 0


async def test_a_hung_source_does_not_delay_another(sim, sim_factory, harness_factory):
    healthy = sim_factory(seed=2)
    h = harness_factory(sim, http_read_timeout_s=3.0, poll_deadline_s=4.0)
    other_settings = collector_settings(h.settings.database_url, healthy,
                                        trio_source_name="other")
    collector = Collector(
        h.store,
        [*[rt.source for rt in h.collector._runtimes.values()],
         wiring.trio_source(other_settings, h.clock)],
        wiring.runner_config(h.settings),
        clock=h.clock,
    )
    assert await collector._try_acquire()
    sim.control.inject("services/state", "hang")

    hung = asyncio.create_task(collector.poll_once("trio"))
    await collector.poll_once("other")

    assert not hung.done(), "the hung source is still waiting for its timeout"
    assert h.facts("other").last_error is None
    assert {r.source for r in h.store.latest()} == {"other"}
    await hung
    assert "no response within 3.0 s" in (h.facts().last_error or "")
    await collector._runtimes["other"].source.aclose()


async def test_it_fails_a_poll_that_is_too_slow_for_its_deadline(sim, harness_factory):
    h = harness_factory(sim, http_read_timeout_s=5.0, poll_deadline_s=0.5)
    await h.activate()
    sim.control.inject("services/state", "latency", seconds=2)

    await h.poll()

    assert "deadline of 0.5 s exceeded while waiting for the response headers of" in (
        h.facts().last_error or "")
    assert h.sample_count() == 0


async def test_it_takes_a_slow_answer_within_its_deadline(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", "latency", seconds=0.3)

    await h.poll()

    assert h.facts().last_error is None and h.sample_count() > 0


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("malformed", {}, "JSON"),
        ("wrong_shape", {}, "data"),
        ("huge", {"megabytes": 50}, "over the limit of 10 MiB"),
        ("reset", {}, "closed"),
    ],
)
async def test_it_records_a_bad_response_without_inventing_data_and_recovers(
    sim, harness_factory, kind, params, expected
):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", kind, **params)

    await h.poll()

    facts = h.facts()
    assert facts.last_error and expected.lower() in facts.last_error.lower(), facts.last_error
    assert facts.consecutive_failures == 1 and h.sample_count() == 0

    sim.control.clear()
    await h.poll()
    assert h.facts().last_error is not None  # history kept...
    assert h.facts().failing_since_ms is None  # ...but no longer failing
    assert len({q for q, _ in h.latest()}) == sim.config.queues


async def test_it_refuses_the_bad_fields_of_bad_records_and_keeps_the_good_ones(
    sim, harness_factory
):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("services/state", "bad_records", n=2)

    await h.poll()

    facts = h.facts()
    # Every typed field of the two records is garbage: refused one by one (their ids are
    # intact, so the records are not skipped); nothing of them is stored.
    assert facts.records_skipped == 0 and facts.last_error is None
    assert (facts.state_reason or "").startswith("partial: 22 values refused (")
    assert len({q for q, _ in h.latest()}) == sim.config.queues - 2


async def test_it_logs_in_again_after_tokens_are_revoked(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    await h.poll()
    sim.control.revoke_tokens()
    sim.control.reset_stats()

    await h.poll()

    assert h.facts().consecutive_failures == 0
    stats = sim.control.stats()
    assert _count(stats, "login") == 1 and _count(stats, "refreshlogin") == 1


async def test_it_refreshes_the_token_before_it_expires(sim_factory, harness_factory):
    clock = ManualClock(start=1_800_000_000.0)
    sim = sim_factory(token_lifetime_s=120, clock=clock.time, warmup_s=60)
    h = harness_factory(sim, clock=clock, trio_token_refresh_margin_s=30)
    await h.activate()
    await h.poll()
    sim.control.reset_stats()

    clock.advance(100)  # inside the refresh margin, not yet expired
    await h.poll()

    stats = sim.control.stats()
    assert _count(stats, "refreshlogin") == 1 and _count(stats, "login") == 0
    assert _status_count(stats, 401) == 0
    assert h.facts().consecutive_failures == 0


async def test_it_refreshes_once_on_401_after_expiry(sim_factory, harness_factory):
    clock = ManualClock(start=1_800_000_000.0)
    sim = sim_factory(token_lifetime_s=120, clock=clock.time, warmup_s=60)
    # A zero margin: the collector only learns of expiry from the 401.
    h = harness_factory(sim, clock=clock, trio_token_refresh_margin_s=0)
    await h.activate()
    await h.poll()
    sim.control.reset_stats()
    h.collector._runtimes["trio"].source._tokens.access_expires_at += 10_000  # type: ignore[attr-defined]

    clock.advance(200)
    await h.poll()

    stats = sim.control.stats()
    assert _status_count(stats, 401) == 1
    assert _count(stats, "refreshlogin") == 1 and _count(stats, "login") == 0
    assert h.facts().consecutive_failures == 0


async def test_it_fails_permanently_on_wrong_credentials_without_hammering(sim, harness_factory):
    h = harness_factory(sim, trio_password="wrong")
    await h.activate()

    await h.poll()
    sim.control.reset_stats()
    await h.poll()

    facts = h.facts()
    assert "password" in (facts.last_error or "").lower() or "rejected" in (facts.last_error or "")
    assert facts.breaker_state == "open", "a permanent error opens the breaker at once"
    assert _count(sim.control.stats(), "login") == 0
    assert h.sample_count() == 0


async def test_it_fails_permanently_on_a_wrong_client_key(sim, harness_factory):
    h = harness_factory(sim, trio_client_key="bm90LXRoZS1rZXk=")
    await h.activate()

    await h.poll()

    facts = h.facts()
    assert "401" in (facts.last_error or "") and facts.breaker_state == "open"


async def test_it_follows_failover_logs_in_there_and_shows_it(sim, harness_factory):
    # On loopback both servers are announced as 127.0.0.1 with the primary's port: the
    # site's setting is what names the secondary's port.
    h = harness_factory(sim, trio_secondary_url=sim.secondary_url)
    await h.activate()
    await h.poll()
    sim.control.failover(True)

    await h.poll()

    facts = h.facts()
    assert facts.failover_active and facts.active_url == sim.secondary_url
    assert facts.state == "degraded" and sim.secondary_url in (facts.state_reason or "")
    assert (facts.state_reason or "").startswith("in failover since ")
    assert facts.last_error is None and "failover" in h.events()
    assert len({q for q, _ in h.latest()}) == sim.config.queues

    sim.control.failover(False)
    await h.poll()
    facts = h.facts()
    assert not facts.failover_active and facts.active_url == sim.primary_url
    assert h.events().count("failover") == 2


async def test_it_never_exceeds_its_request_rate(sim_factory, harness_factory):
    sim = sim_factory(queues=100, agents=300, max_page_size=10)
    h = harness_factory(sim, trio_page_size=10, rate_limit_per_s=20, rate_limit_burst=5,
                        poll_deadline_s=5.0)
    await h.activate()

    await h.poll()

    # 10 + 30 pages and a login: at 20/s with a burst of 5 that is >= (41 - 5) / 20 s.
    assert sum(h.clock.sleeps) >= (41 - 5) / 20 - 0.01
    assert len(h.store.agents("trio")) == 300


async def test_it_fails_the_whole_poll_when_agents_cannot_be_read(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("agents/state", "status", status=404)

    await h.poll()

    facts = h.facts()
    assert "404" in (facts.last_error or "") and facts.consecutive_failures == 1
    assert h.store.agents("trio") == [] and h.sample_count() == 0


def _count(stats: dict[str, Any], resource: str) -> int:
    return int(stats["by_resource"].get(resource, 0))


def _status_count(stats: dict[str, Any], status: int) -> int:
    return int(stats["by_status"].get(str(status), 0))
