"""A real `trio-monitor collect` process through a primary outage and a hijack attempt:
what the stored source shows (the wall, /health and alerts read it), on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO

import httpx
import pytest

import storage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def collect(tmp_path, sim, db_url) -> Iterator[storage.Store]:
    """The collector running against `sim` (secondary configured, failback check every
    second); yields a store on its database."""
    env = {
        **os.environ,
        "TRIO_MONITOR_DATABASE_URL": db_url,
        "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
        "TRIO_MONITOR_TRIO_SECONDARY_URL": sim.secondary_url,
        "TRIO_MONITOR_TRIO_FAILBACK_CHECK_S": "1",
        "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
        "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
        "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
        "TRIO_MONITOR_POLL_INTERVAL_S": "0.5",
        "TRIO_MONITOR_HTTP_CONNECT_TIMEOUT_S": "1",
        "TRIO_MONITOR_RETRY_BASE_DELAY_S": "0.05",
        "TRIO_MONITOR_BREAKER_COOLDOWN_S": "1",
        "TRIO_MONITOR_BREAKER_MAX_COOLDOWN_S": "2",
        "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": "5",
        "TRIO_MONITOR_LOG_FORMAT": "json",
    }
    log: IO[bytes] = open(tmp_path / "collector.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trio_monitor", "collect"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )
    engine = storage.make_engine(db_url)
    try:
        yield storage.Store(engine)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
            log.close()
            engine.dispose()


def facts(store: storage.Store) -> storage.SourceFacts | None:
    return store.source("trio")


def newest_sample_ms(store: storage.Store) -> int:
    return max((row.ts_ms for row in store.latest()), default=0)


def test_the_collector_fails_over_to_the_secondary_and_back(sim, collect):
    store = collect
    wait_until(lambda: (f := facts(store)) is not None and f.state == "up", 30,
               "the collector polling the primary")

    sim.control.primary(False)
    down_ms = int(time.time() * 1000)

    wait_until(lambda: (f := facts(store)) is not None and f.failover_active, 30,
               "failover to the secondary")
    f = facts(store)
    assert f is not None and f.active_url == sim.secondary_url and f.state == "degraded"
    assert (f.state_reason or "").startswith("in failover since ")
    assert f"(served by {sim.secondary_url})" in (f.state_reason or "")
    wait_until(lambda: newest_sample_ms(store) > down_ms + 500, 30,
               "samples polled from the secondary")

    sim.control.primary(True)

    wait_until(lambda: (f := facts(store)) is not None and not f.failover_active
               and f.state == "up", 30, "back on the primary")
    messages = [e.message for e in store.source_events("trio") if e.kind == "failover"]
    assert messages[:2] == [
        "failover ended: back on the primary server",
        f"failover: now served by {sim.secondary_url}",
    ]


def test_the_collector_sends_nothing_to_an_unannounced_host(sim, collect):
    store = collect
    wait_until(lambda: (f := facts(store)) is not None and f.state == "up", 30,
               "the collector polling the primary")
    foreign = httpx.URL(sim.foreign_url)
    sim.control.revoke_tokens()  # the next poll logs in again: the login is redirected too
    sim.control.inject("login", "redirect", to="foreign")
    sim.control.inject("*", "redirect", to="foreign")

    wait_until(lambda: (f := facts(store)) is not None and f.state == "down", 30,
               "the source down with the refused redirect")

    f = facts(store)
    assert f is not None and f"{foreign.host}:{foreign.port}" in (f.last_error or "")
    assert not f.failover_active and f.active_url == sim.primary_url
    assert sim.control.foreign_requests() == []
    assert "Kapad kö" not in {row.entity_name for row in store.latest()}


def test_trio_probe_prints_the_server_and_the_types_seen_per_field(tmp_path, sim):
    env = {
        **os.environ,
        "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
        "TRIO_MONITOR_TRIO_SECONDARY_URL": sim.secondary_url,
        "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
        "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
        "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
    }
    result = subprocess.run(
        [sys.executable, "-m", "trio_monitor", "trio", "probe"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"server {sim.primary_url} (GET /te/api)" in out
    assert 'binaryVersion    "8.2.0.0"' in out and "failoverMode     false" in out
    assert 'primaryServer    "127.0.0.1"' in out and 'secondaryServer  "127.0.0.1"' in out
    assert f"failover goes to {sim.secondary_url}" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["open"].rstrip().endswith(" bool")
    assert lines["calls_waiting"].rstrip().endswith(" int")
    assert lines["agent_state"].rstrip().endswith(" str")
