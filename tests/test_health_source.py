"""HealthSource against a worker on loopback whose status, latency and body the test sets.

Latency is simulated by the handler moving the injected ManualClock, so no test sleeps
on real time except the timeout and concurrency cases (sub-second, on the socket).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from collectors.base import PollOutcome
from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.health import HealthSource, build_health_sources
from collectors.http import HttpConfig, HttpSeam
from specs.health import HealthTarget, validate_target
from storage import SeriesKey


class Worker:
    """A fake worker's health endpoint; the test sets what it answers."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.status = 200
        self.latency_ms = 12.0
        self.body: Any = {"status": "ok", "consecutive_failures": 0}
        self.hang_s = 0.0
        self.hold_s = 0.0  # real time each request stays in flight (concurrency test)
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.release = asyncio.Event()
        self.base = ""

    async def health(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold_s:
                await asyncio.sleep(self.hold_s)
            if self.hang_s:
                await self._park(self.hang_s)
            self.clock.advance(self.latency_ms / 1000)
            if isinstance(self.body, str):
                return web.Response(status=self.status, text=self.body)
            headers = {"Location": "/elsewhere"} if 300 <= self.status < 400 else None
            return web.json_response(self.body, status=self.status, headers=headers)
        finally:
            self.in_flight -= 1

    async def _park(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.release.wait(), seconds)
        except TimeoutError:
            pass


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def worker(clock: ManualClock) -> AsyncIterator[Worker]:
    srv = Worker(clock)
    app = web.Application()
    app.router.add_get("/health", srv.health)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    srv.base = f"http://{host}:{port}"
    yield srv
    srv.release.set()
    await runner.cleanup()


def make_source(
    worker: Worker, clock: ManualClock, *, gate: asyncio.Semaphore | None = None, **fields: Any
) -> HealthSource:
    target = validate_target({"name": "billing", "url": f"{worker.base}/health", **fields})
    seam = HttpSeam(HttpConfig(), name=target.name, clock=clock)
    return HealthSource(target, seam, clock=clock, gate=gate or asyncio.Semaphore(10))


async def check(
    source: HealthSource, clock: ManualClock, failures: int = 0
) -> tuple[tuple[str, str] | None, PollOutcome | SourceError]:
    """One poll as the runner does it: (assessment, outcome or error)."""
    try:
        outcome = await source.poll(Deadline(clock, 8.0))
    except SourceError as exc:
        return source.assess(None, exc, failures + 1), exc
    return source.assess(outcome, None, 0), outcome


async def test_it_reports_up_with_the_status_and_latency(
    worker: Worker, clock: ManualClock
) -> None:
    source = make_source(worker, clock)
    assessment, outcome = await check(source, clock)
    await source.aclose()
    assert assessment == ("up", "HTTP 200 in 12 ms")
    assert isinstance(outcome, PollOutcome)
    [sample] = outcome.samples
    assert sample.key == SeriesKey(
        source="health:billing", entity_kind="target", entity_id="billing",
        metric="latency_ms", unit="ms", entity_name="billing",
    )
    assert sample.value == pytest.approx(12.0)
    assert sample.ts_ms == int(clock.time() * 1000)


async def test_it_describes_itself_as_a_source(worker: Worker, clock: ManualClock) -> None:
    source = make_source(worker, clock, interval_s=30)
    await source.aclose()
    assert (source.name, source.kind, source.url, source.interval_s) == (
        "health:billing", "health", f"{worker.base}/health", 30.0
    )


async def test_it_reports_a_slow_worker_as_degraded(worker: Worker, clock: ManualClock) -> None:
    worker.latency_ms = 1234
    source = make_source(worker, clock, degraded_latency_ms=1000)
    assessment, _ = await check(source, clock)
    await source.aclose()
    assert assessment == ("degraded", "latency 1234 ms > 1000 ms")


async def test_it_waits_for_a_second_failure_before_down(
    worker: Worker, clock: ManualClock
) -> None:
    worker.status = 503
    source = make_source(worker, clock)
    first, err = await check(source, clock, failures=0)
    second, _ = await check(source, clock, failures=1)
    await source.aclose()
    assert isinstance(err, SourceError)
    assert str(err) == "HTTP 503"
    assert err.kind is ErrorKind.HTTP_STATUS and not err.retryable and err.status == 503
    assert first is None  # one lost packet does not page anyone
    assert second == ("down", "HTTP 503")
    assert worker.requests == 2  # no retries within a poll


async def test_it_reports_a_timeout_with_the_target_limit(
    worker: Worker, clock: ManualClock
) -> None:
    worker.hang_s = 2.0
    source = make_source(worker, clock, timeout_s=0.2, down_after=1)
    assessment, err = await check(source, clock)
    await source.aclose()
    assert isinstance(err, SourceError) and err.kind is ErrorKind.TIMEOUT
    assert str(err) == "timeout after 0.2 s"
    assert assessment == ("down", "timeout after 0.2 s")


async def test_it_catches_a_lying_worker(worker: Worker, clock: ManualClock) -> None:
    worker.body = {"status": "error"}
    source = make_source(worker, clock, conditions=['status == "ok"'])
    first, err = await check(source, clock, failures=0)
    second, _ = await check(source, clock, failures=1)
    await source.aclose()
    assert isinstance(err, SourceError) and err.kind is ErrorKind.BAD_SHAPE
    assert first is None
    assert second == ("down", 'status = "error" (expected == "ok")')


async def test_it_catches_a_worker_whose_last_run_is_old(
    worker: Worker, clock: ManualClock
) -> None:
    last = datetime.fromtimestamp(clock.time() - 14 * 60 - 20, UTC).isoformat()
    worker.body = {"status": "ok", "last_successful_run": last, "consecutive_failures": 12}
    source = make_source(
        worker, clock, down_after=1,
        conditions=["age(last_successful_run) < 10m", "consecutive_failures < 10"],
    )
    assessment, _ = await check(source, clock)
    await source.aclose()
    assert assessment == (
        "down",
        "last_successful_run is 14 min old (limit < 10m); "
        "consecutive_failures = 12 (limit < 10)",
    )


async def test_it_needs_json_only_when_there_are_conditions(
    worker: Worker, clock: ManualClock
) -> None:
    worker.body = "<html>all good</html>"
    plain = make_source(worker, clock)
    checked = make_source(worker, clock, down_after=1, conditions=['status == "ok"'])
    up, _ = await check(plain, clock)
    down, err = await check(checked, clock)
    await plain.aclose()
    await checked.aclose()
    assert up == ("up", "HTTP 200 in 12 ms")
    assert down == ("down", "response is not JSON")
    assert isinstance(err, SourceError) and err.kind is ErrorKind.MALFORMED


async def test_it_recovers_to_up(worker: Worker, clock: ManualClock) -> None:
    source = make_source(worker, clock, conditions=['status == "ok"'])
    worker.status = 500
    states = []
    failures = 0
    for status in (500, 500, 200):
        worker.status = status
        assessment, result = await check(source, clock, failures)
        failures = failures + 1 if isinstance(result, SourceError) else 0
        states.append(assessment)
    await source.aclose()
    assert states == [None, ("down", "HTTP 500"), ("up", "HTTP 200 in 12 ms")]


async def test_it_accepts_the_statuses_it_is_told_to_expect(
    worker: Worker, clock: ManualClock
) -> None:
    redirects = make_source(worker, clock, expected_status="3xx", down_after=1)
    protected = make_source(worker, clock, expected_status="200,401", down_after=1)
    got = []
    for source, status in ((redirects, 302), (redirects, 200), (protected, 401),
                           (protected, 403)):
        worker.status = status
        got.append((await check(source, clock))[0])
    await redirects.aclose()
    await protected.aclose()
    assert got == [
        ("up", "HTTP 302 in 12 ms"), ("down", "HTTP 200"),
        ("up", "HTTP 401 in 12 ms"), ("down", "HTTP 403"),
    ]


async def test_it_passes_on_a_refused_connection(clock: ManualClock) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = HealthTarget(name="gone", url=f"http://127.0.0.1:{port}/health", down_after=1)
    source = HealthSource(
        target, HttpSeam(HttpConfig(), name="gone", clock=clock), clock=clock,
        gate=asyncio.Semaphore(1),
    )
    with pytest.raises(SourceError) as info:
        await source.poll(Deadline(clock, 5.0))
    await source.aclose()
    assert info.value.kind is ErrorKind.CONNECT
    assert str(info.value).startswith(f"cannot connect to GET http://127.0.0.1:{port}/health")


async def test_it_caps_concurrent_checks_with_the_gate(
    worker: Worker, clock: ManualClock
) -> None:
    worker.hold_s = 0.02
    gate = asyncio.Semaphore(2)
    targets = [
        HealthTarget(name=f"w{i}", url=f"{worker.base}/health") for i in range(8)
    ]
    sources = build_health_sources(targets, http_config=HttpConfig(), clock=clock, gate=gate)
    try:
        outcomes = await asyncio.gather(*(s.poll(Deadline(clock, 5.0)) for s in sources))
    finally:
        for source in sources:
            await source.aclose()
    assert len(outcomes) == 8 and worker.requests == 8
    assert worker.max_in_flight == 2
    assert [s.name for s in sources] == [f"health:w{i}" for i in range(8)]


async def test_it_gives_up_waiting_for_a_slot_at_the_deadline(
    worker: Worker, clock: ManualClock
) -> None:
    gate = asyncio.Semaphore(1)
    source = make_source(worker, clock, gate=gate)
    async with gate:
        with pytest.raises(SourceError) as info:
            await source.poll(Deadline(clock, 0.05))
    await source.aclose()
    assert info.value.kind is ErrorKind.DEADLINE
    assert "waiting for a free health-check slot" in str(info.value)
    assert worker.requests == 0


async def test_it_leaves_a_shared_seam_open(worker: Worker, clock: ManualClock) -> None:
    seam = HttpSeam(HttpConfig(), name="shared", clock=clock)
    target = HealthTarget(name="a", url=f"{worker.base}/health")
    source = HealthSource(target, seam, clock=clock, gate=asyncio.Semaphore(1), owns_seam=False)
    await source.aclose()
    response = await seam.request("GET", target.url, deadline=Deadline(clock, 5.0))
    await seam.aclose()
    assert json.loads(response.body) == worker.body
