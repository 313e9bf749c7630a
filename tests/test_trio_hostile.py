"""Hostile responses from the Trio server, over loopback against the simulator.

Each test asserts what a user would see: which queues are stored, what was counted, and
the source's state and reason (the text /health and the wall show).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from collectors import trio_wire
from collectors.clock import SystemClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from tests.fixtures.collect import collector_settings
from trio_monitor import wiring

pytestmark = pytest.mark.timeout(90)

STATE = "services/state"


def _queues(h: Any, metric: str = "open") -> dict[str, float]:
    return {name: value for (name, m), value in h.latest().items() if m == metric}


async def test_it_stops_a_gzip_bomb_at_the_cap_and_names_it(sim, harness_factory):
    h = harness_factory(sim, http_max_body_mb=1)
    await h.activate()
    sim.control.inject(STATE, "gzip_bomb", megabytes=256)

    await h.poll()

    facts = h.facts()
    assert facts.last_error is not None
    assert "once decoded, over the limit of 1 MiB" in facts.last_error, facts.last_error
    # Stopped at the cap plus one decoding step, not after inflating the 256 MiB.
    received = int(facts.last_error.split("exceeded ")[1].split(" bytes")[0])
    assert 1024 * 1024 < received <= 1024 * 1024 + 64 * 1024
    assert facts.state == "down" and h.sample_count() == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_it_stops_a_deflate_bomb_too_and_recovers(sim, harness_factory):
    h = harness_factory(sim, http_max_body_mb=1)
    await h.activate()
    sim.control.inject(STATE, "gzip_bomb", count=1, megabytes=64, encoding="deflate")

    await h.poll()
    assert "over the limit" in (h.facts().last_error or "")

    await h.poll()
    assert h.facts().state == "up" and len(_queues(h)) == sim.config.queues


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_it_reads_a_compressed_body_within_the_cap(sim, harness_factory):
    # A small bomb is a valid body: decoding in steps must give back the whole document.
    h = harness_factory(sim, http_max_body_mb=4)
    await h.activate()
    sim.control.inject(STATE, "gzip_bomb", count=1, megabytes=2)

    await h.poll()

    facts = h.facts()
    assert facts.last_error is None and facts.state == "up"  # an empty, valid page


async def test_it_repairs_a_bad_byte_in_one_name_and_keeps_every_queue(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject(STATE, "bad_byte", n=1)

    await h.poll()

    names = _queues(h)
    assert len(names) == sim.config.queues
    repaired = [name for name in names if "\ufffd" in name]
    assert len(repaired) == 1
    facts = h.facts()
    assert facts.state == "up"
    assert facts.state_reason == "partial: 1 text with undecodable bytes shown as \ufffd"


async def test_it_refuses_one_field_of_the_wrong_type_and_keeps_its_record(
    sim, harness_factory
):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject(STATE, "wrong_type", field="callswaiting", value="many", n=1)

    await h.poll()

    assert len(_queues(h)) == sim.config.queues  # every queue, with its other figures
    assert len(_queues(h, "calls_waiting")) == sim.config.queues - 1
    assert len(_queues(h, "longest_wait_s")) == sim.config.queues
    facts = h.facts()
    assert facts.state == "up" and facts.records_skipped == 0
    assert facts.state_reason == "partial: 1 value refused (1 calls_waiting not a number)"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("value", [{"n": 1}, [], True, "open"])
async def test_it_refuses_other_wrong_types_of_open(sim, harness_factory, value):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject(STATE, "wrong_type", field="open", value=value, n=1)

    await h.poll()

    # true is a boolean: kept; the others are refused, the queue's other figures stored.
    refused = 0 if value is True else 1
    assert len(_queues(h)) == sim.config.queues - refused
    assert len(_queues(h, "calls_waiting")) == sim.config.queues
    assert h.facts().state_reason == (
        "partial: 1 value refused (1 open not a boolean)" if refused else "polled successfully")


async def test_it_skips_and_counts_a_duplicate_id_keeping_the_first(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject(STATE, "duplicate_id", n=1)

    await h.poll()

    names = _queues(h)
    assert len(names) == sim.config.queues
    assert not [name for name in names if name.endswith("(copy)")]
    facts = h.facts()
    assert facts.records_skipped == 1 and facts.state == "up"
    assert facts.state_reason == "partial: 1 record skipped (1 duplicate id)"


async def test_it_refuses_implausible_values_one_by_one(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    fields = {"callswaiting": -1, "longestwaittime": 90_000, "servicelevel": 140,
              "agentsloggedin": 2, "agentsbusy": 7, "agentsfree": 1, "agentspaused": 0}
    sim.control.inject(STATE, "implausible", n=1, fields=fields)

    await h.poll()

    queues = sim.config.queues
    assert len(_queues(h)) == queues
    for metric in ("calls_waiting", "longest_wait_s", "service_level_pct", "agents_busy"):
        assert len(_queues(h, metric)) <= queues - 1, metric
    assert len(_queues(h, "agents_logged_in")) == queues  # 2 is plausible: kept
    assert 2.0 in _queues(h, "agents_logged_in").values()
    facts = h.facts()
    assert facts.state == "up"
    assert facts.state_reason.startswith("partial: 4 values refused (")
    for why in ("calls_waiting negative", "longest_wait_s longer than a day",
                "service_level_pct over 100", "agents_busy more than agents_logged_in"):
        assert f"1 {why}" in facts.state_reason, why
    assert all(value == value and abs(value) != float("inf") for value in h.latest().values())


async def test_it_says_polled_successfully_again_once_the_values_are_good(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject(STATE, "implausible", count=1, n=1)

    await h.poll()
    assert h.facts().state_reason.startswith("partial: ")

    await h.poll()
    assert h.facts().state_reason == "polled successfully"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("params", [
    {"value": 0}, {"value": -60}, {"value": "soon"}, {"value": None}, {"missing": True},
])
async def test_it_serves_on_with_a_bad_token_lifetime_and_refreshes_early(
    sim, harness_factory, params
):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("login", "bad_expires_in", **params)
    sim.control.inject("refreshlogin", "bad_expires_in", **params)

    await h.poll()

    facts = h.facts()
    assert facts.state == "up" and facts.last_error is None
    assert len(_queues(h)) == sim.config.queues
    warnings = [e for e in h.store.source_events("trio") if e.kind == "warning"]
    assert len(warnings) == 1 and "unusable expires_in" in warnings[0].message
    assert "every 300 s" in warnings[0].message

    sim.control.reset_stats()
    h.clock.advance(300)
    await h.poll()
    await h.poll()
    stats = sim.control.stats()
    assert stats["by_resource"].get("refreshlogin", 0) == 1  # refreshed, before a 401
    assert h.facts().state == "up"
    assert len([e for e in h.store.source_events("trio") if e.kind == "warning"]) == 1


async def test_it_reads_dotnet_field_types_as_the_same_values(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    await h.poll()
    plain_open = _queues(h)
    plain = {a.agent_id: a for a in h.store.agents("trio")}

    sim.control.field_types(open="int", state="code", time="local")
    await h.poll()

    assert _queues(h) == plain_open  # 1/0 read as open/closed
    agents = {a.agent_id: a for a in h.store.agents("trio")}
    assert set(agents) == set(plain)
    assert {a.state for a in agents.values()} <= {
        "available", "busy", "paused", "wrapup", "loggedout"}
    # Zone-less local times read in the site's zone: the same instants as before (agents
    # whose state did not change between the polls).
    same = [i for i in agents if agents[i].state == plain[i].state]
    assert same and all(agents[i].state_since_ms == plain[i].state_since_ms for i in same)
    facts = h.facts()
    assert facts.state == "up" and facts.state_reason == "polled successfully"
    await h.poll()
    notes = [e.message for e in h.store.source_events("trio") if e.kind == "warning"]
    assert notes == [
        "timestamps without a zone offset are read in the site's time zone Europe/Stockholm"
    ]  # said once, not every poll


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_it_keeps_an_agent_with_an_unknown_state_code_and_says_so(sim, harness_factory):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("agents/state", "wrong_type", field="state", value=9, n=1)

    await h.poll()

    agents = h.store.agents("trio")
    assert len(agents) == sim.config.agents
    assert [a.state for a in agents].count("unknown") == 1
    assert h.facts().state_reason == (
        "partial: 1 value refused (1 state code 9 not in the state map)")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_it_reads_numeric_states_through_a_configured_map(sim, harness_factory):
    h = harness_factory(sim, trio_agent_state_codes='{"1": "ready", "2": "talking", '
                        '"3": "wrapup", "4": "paused", "0": "loggedout"}')
    await h.activate()
    sim.control.field_types(state="code")

    await h.poll()

    states = {a.state for a in h.store.agents("trio")}
    assert states <= {"ready", "talking", "wrapup", "paused", "loggedout"} and states


# -- the event loop while a large body is parsed ------------------------------------------


def _source(sim: Any, **overrides: Any) -> Any:
    settings = collector_settings("sqlite:///unused.db", sim, **overrides)
    return wiring.trio_source(settings, SystemClock())


@pytest.fixture
def frozen_heap() -> Iterator[None]:
    """The test process's own heap (the simulator's model, every imported module) out of
    the garbage collector's sight, as a collector's start-up heap would be: full
    collections then cost what the poll allocates, which is what is measured here."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


async def test_it_keeps_the_event_loop_ticking_while_parsing_a_large_body(sim, frozen_heap):
    # 10 000 queue records (2 MB) take 1-3 s to parse and validate on a test machine:
    # done on the event loop, as before, that stalls it for as long.
    source = _source(sim, http_max_body_mb=64, trio_collect_agents=False)
    sim.control.inject(STATE, "large_body", records=10_000)
    gaps: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    try:
        outcome = await source.poll(Deadline(SystemClock(), 60))
    finally:
        done.set()
        await beat
        await source.aclose()

    assert len({s.key.entity_id for s in outcome.samples}) == 10_000
    assert max(gaps) < 1.0, f"the event loop stalled for {max(gaps):.2f} s"


async def test_it_names_the_parsing_phase_when_parsing_outlasts_the_deadline(sim):
    # Parsing that never ends before the deadline, whatever the machine's speed: the work
    # on the worker thread says what it is doing, then waits until the test lets it go.
    source = _source(sim)
    phase = trio_wire.Phase()
    release = threading.Event()

    def parse() -> None:
        phase.doing = "parsing 1 page(s) (2000000 bytes) of cc/1/services/state"
        release.wait(30)

    try:
        with pytest.raises(SourceError) as err:
            await source._off_loop(Deadline(SystemClock(), 0.3), phase, parse)
    finally:
        release.set()
        await source.aclose()

    assert err.value.kind is ErrorKind.DEADLINE
    message = str(err.value)
    assert message.startswith("deadline of 0.3 s exceeded while parsing 1 page(s)"), message
    assert "rate limiter" not in message
