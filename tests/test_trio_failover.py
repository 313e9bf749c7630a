"""Failover of the Trio collector against the simulator over real HTTP on loopback.

What a user sees on the source (state, reason, events, samples) when the primary is down
while the secondary serves, when it comes back, and when a redirect points somewhere the
site never configured and the Trio server never announced.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import SourceError
from collectors.http import HttpConfig, HttpSeam
from collectors.retry import RetryPolicy
from collectors.trio import TrioConfig, TrioSource
from trio_monitor.settings import DEFAULT_AGENT_FIELDS, DEFAULT_QUEUE_FIELDS

pytestmark = pytest.mark.timeout(60)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FAILBACK_CHECK_S = 30.0
TICK = 0.01  # past the interval: sums of float seconds may land a hair short of it
REASON = re.compile(r"^in failover since (\d\d:\d\d) \(served by (\S+)\)$")


def minutes_between(start: float, end: float) -> set[str]:
    """Every HH:MM (Stockholm) from `start` to `end` (retries move a manual clock a little)."""
    found = set()
    t = start
    while t <= end + 60:
        found.add(datetime.fromtimestamp(min(t, end), STOCKHOLM).strftime("%H:%M"))
        t += 60
    return found


def failover_events(h) -> list[str]:
    return [e.message for e in h.store.source_events("trio") if e.kind == "failover"]


async def test_it_fails_over_when_the_primary_refuses_and_the_secondary_serves(
    sim, harness_factory
):
    h = harness_factory(sim, trio_secondary_url=sim.secondary_url,
                        trio_failback_check_s=FAILBACK_CHECK_S)
    await h.activate()
    await h.poll()
    assert h.facts().state == "up"
    sim.control.primary(False)
    with pytest.raises(httpx.ConnectError):  # really refused, not redirected
        await asyncio.to_thread(httpx.get, sim.primary_url, timeout=2)
    sim.control.reset_stats()

    before = h.clock.time()
    await h.poll()
    after = h.clock.time()

    facts = h.facts()
    assert facts.failover_active and facts.active_url == sim.secondary_url
    assert facts.last_error is None and facts.state == "degraded"
    match = REASON.match(facts.state_reason or "")
    assert match, facts.state_reason
    assert match.group(1) in minutes_between(before, after)
    assert match.group(2) == sim.secondary_url
    assert failover_events(h) == [f"failover: now served by {sim.secondary_url}"]
    assert len({q for q, _ in h.latest()}) == sim.config.queues
    secondary = sim.control.stats()["servers"]["secondary"]["resources"]
    assert secondary["login"]["statuses"] == {"200": 1}, "logged in again on the secondary"


async def test_it_checks_the_primary_on_its_interval_and_returns_when_it_serves(
    sim, harness_factory
):
    h = harness_factory(sim, trio_secondary_url=sim.secondary_url,
                        trio_failback_check_s=FAILBACK_CHECK_S)
    await h.activate()
    await h.poll()
    sim.control.primary(False)
    await h.poll()
    assert h.facts().failover_active

    # Back, but still in failover mode: it would only redirect us; stay on the secondary.
    sim.control.primary(True, failover=True)
    sim.control.reset_stats()
    h.clock.advance(FAILBACK_CHECK_S / 2)
    await h.poll()
    assert primary_requests(sim, "info") == 0, "no check before the interval"
    h.clock.advance(FAILBACK_CHECK_S / 2 + TICK)
    await h.poll()
    assert primary_requests(sim, "info") == 1
    assert h.facts().failover_active and h.facts().last_error is None

    # Normal mode: the next check finds the primary healthy and the poll is served there.
    sim.control.failover(False)
    sim.control.reset_stats()
    h.clock.advance(FAILBACK_CHECK_S + TICK)
    await h.poll()

    facts = h.facts()
    assert not facts.failover_active and facts.active_url == sim.primary_url
    assert facts.state == "up" and facts.last_error is None
    assert failover_events(h)[0] == "failover ended: back on the primary server"
    stats = sim.control.stats()["servers"]
    assert stats["secondary"]["requests"] == 0, "the check, not a redirect, brought it back"
    assert stats["primary"]["resources"]["login"]["statuses"] == {"200": 1}


def primary_requests(sim, resource: str) -> int:
    resources = sim.control.stats()["servers"]["primary"]["resources"]
    return int(resources.get(resource, {}).get("requests", 0))


@pytest.mark.parametrize("resource", ["login", "*"])
async def test_it_refuses_a_redirect_to_an_unannounced_host_and_sends_it_nothing(
    sim, harness_factory, resource
):
    h = harness_factory(sim, trio_secondary_url=sim.secondary_url)
    await h.activate()
    foreign = httpx.URL(sim.foreign_url)
    sim.control.inject(resource, "redirect", to="foreign")

    await h.poll()

    facts = h.facts()
    assert facts.state == "down" and not facts.failover_active
    assert f"{foreign.host}:{foreign.port}" in (facts.last_error or "")
    assert "refused" in (facts.last_error or "")
    assert sim.control.foreign_requests() == [], "nothing at all reached the foreign host"
    assert h.sample_count() == 0
    assert "Kapad kö" not in {name for name, _ in h.latest()}


async def test_it_refuses_a_redirect_to_an_unannounced_host_while_in_failover(
    sim, harness_factory
):
    h = harness_factory(sim, trio_secondary_url=sim.secondary_url)
    await h.activate()
    sim.control.primary(False)
    await h.poll()
    assert h.facts().failover_active
    sim.control.inject("*", "redirect", to="foreign", server="secondary")

    await h.poll()

    assert "refused" in (h.facts().last_error or "")
    assert sim.control.foreign_requests() == []
    assert "Kapad kö" not in {name for name, _ in h.latest()}


def _tls_pair(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (made by the openssl command): the
    server's context and a client's that trusts it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-days", "1", "-keyout", str(key_file), "-out", str(cert_file)],
        check=True, capture_output=True, timeout=30,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


async def test_it_refuses_a_redirect_from_https_to_http(sim_factory, tmp_path):
    server_tls, client_tls = _tls_pair(tmp_path)
    # The primary speaks TLS; the secondary's port answers plain http (a stand-in for a
    # downgrade on the way): a request there would be counted in its stats.
    sim = sim_factory(primary_tls=server_tls)
    secondary = httpx.URL(sim.secondary_url)
    secondary_https = str(secondary.copy_with(scheme="https"))
    clock = ManualClock()  # a fixed instant, like the simulator's
    seam = HttpSeam(HttpConfig(), clock=clock, name="trio",
                    transport=httpx.AsyncHTTPTransport(verify=client_tls))
    source = TrioSource(TrioConfig(
        name="trio", base_url=sim.primary_url, client_key=sim.config.client_key,
        username=sim.config.username, password=sim.config.password,
        queue_fields=dict(DEFAULT_QUEUE_FIELDS), agent_fields=dict(DEFAULT_AGENT_FIELDS),
        secondary_url=secondary_https,
    ), seam, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01), clock=clock)
    assert sim.primary_url.startswith("https://")
    try:
        await source.poll(Deadline(clock, 5))  # TLS works: the primary serves
        sim.control.reset_stats()
        sim.control.inject("*", "redirect", to="secondary", scheme="http", server="primary")

        with pytest.raises(SourceError) as err:
            await source.poll(Deadline(clock, 5))
    finally:
        await source.aclose()

    message = str(err.value)
    assert "downgrade from https to http" in message
    assert f"{secondary.host}:{secondary.port}" in message
    assert sim.control.stats()["servers"]["secondary"]["requests"] == 0
    assert not source.failover_active


@pytest.mark.parametrize(("kind", "params"), [
    ("hang", {}), ("status", {"status": 500}), ("malformed", {}),
    ("redirect", {"to": "foreign"}),
])
async def test_it_polls_on_when_get_te_api_fails(sim, harness_factory, kind, params):
    h = harness_factory(sim)
    await h.activate()
    sim.control.inject("info", kind, **params)

    await h.poll()

    facts = h.facts()
    assert facts.last_error is None and facts.state == "up"
    assert len({q for q, _ in h.latest()}) == sim.config.queues
    assert sim.control.foreign_requests() == []
