"""The collector's /metrics: a real collector polling the simulator, scraped over loopback."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

import storage
from collectors.clock import ManualClock
from collectors.metrics import CollectorMetrics, MetricsServer, reason_kind
from specs.metrics import QUEUE_METRICS, implausible, implausible_together
from tests.fixtures.collect import collector_settings
from trio_monitor import wiring

pytestmark = [pytest.mark.timeout(60), pytest.mark.sqlite_only]

STATE = "services/state"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape_text(server: MetricsServer) -> str:
    response = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def parse(text: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


class Running:
    def __init__(self, collector: Any, metrics: CollectorMetrics, server: MetricsServer,
                 clock: ManualClock, engine: Any) -> None:
        self.collector, self.metrics, self.server = collector, metrics, server
        self.clock, self.engine = clock, engine

    async def scrape(self) -> Samples:
        # Off the loop, as Prometheus is: the scrape asks the loop for the collector's state.
        return parse(await asyncio.to_thread(scrape_text, self.server))


@pytest.fixture
async def running(db_url, sim) -> AsyncIterator[Callable[..., Running]]:
    made: list[Running] = []

    def start(**overrides: Any) -> Running:
        clock = ManualClock(start=sim.config.clock())
        settings = collector_settings(db_url, sim, metrics_bind="127.0.0.1:0", **overrides)
        engine = wiring.make_engine(settings)
        metrics = wiring.collector_metrics(settings, engine)
        assert metrics is not None
        collector = wiring.collector(settings, engine, clock=clock, metrics=metrics)
        metrics.watch(collector, asyncio.get_running_loop())
        server = metrics.serve("127.0.0.1:0")
        assert server is not None
        made.append(Running(collector, metrics, server, clock, engine))
        return made[-1]

    yield start
    for r in made:
        await r.server.aclose(2.0)
        await r.collector.aclose()
        r.engine.dispose()


async def test_it_counts_polls_and_refused_values_by_source_metric_and_reason(sim, running):
    r = running()
    assert await r.collector.activate()
    sim.control.inject(STATE, "implausible", count=1, n=1, fields={
        "callswaiting": -1, "longestwaittime": 90_000, "agentsloggedin": 2, "agentsbusy": 7})

    await r.collector.poll_once("trio")
    sim.control.inject(STATE, "status", status=503, count=10)
    await r.collector.poll_once("trio")

    m = await r.scrape()
    assert value(m, "trio_monitor_collector_polls_total", source="trio", outcome="ok") == 1
    assert value(m, "trio_monitor_collector_polls_total", source="trio",
                 outcome="http_status") == 1
    assert value(m, "trio_monitor_collector_poll_duration_seconds_count", source="trio") == 2
    refused = "trio_monitor_collector_values_refused_total"
    assert value(m, refused, source="trio", metric="calls_waiting", reason="below_minimum") == 1
    assert value(m, refused, source="trio", metric="longest_wait_s",
                 reason="above_maximum") == 1
    assert value(m, refused, source="trio", metric="agents_busy", reason="above_partner") == 1
    assert value(m, "trio_monitor_collector_breaker_state", source="trio", state="closed") == 1
    assert value(m, "trio_monitor_collector_breaker_state", source="trio", state="open") == 0


async def test_it_shows_the_lease_and_how_long_polls_have_waited_in_the_buffer(sim, running):
    r = running()
    m = await r.scrape()
    assert value(m, "trio_monitor_collector_lease_held") == 0  # standby until it takes it
    assert value(m, "trio_monitor_collector_buffer_max_age_seconds") == 600

    assert await r.collector.activate()
    await r.collector.poll_into_buffer("trio")  # no writer runs here: it stays buffered
    r.clock.advance(7.0)

    m = await r.scrape()
    assert value(m, "trio_monitor_collector_lease_held") == 1
    assert value(m, "trio_monitor_collector_lease_token") == r.collector.token
    assert value(m, "trio_monitor_collector_buffer_polls") == 1
    samples = len(r.collector.buffer.peek(1)[0].samples)
    assert value(m, "trio_monitor_collector_buffer_samples") == samples
    assert value(m, "trio_monitor_collector_buffer_oldest_age_seconds") == pytest.approx(7.0)

    await r.collector.flush()
    m = await r.scrape()
    assert value(m, "trio_monitor_collector_buffer_polls") == 0
    assert value(m, "trio_monitor_collector_buffer_oldest_age_seconds") == 0


async def test_it_reads_the_outbox_and_channels_from_the_database(sim, running, engine):
    r = running()
    alerts = storage.AlertStore(engine)
    now_ms = int(r.clock.time() * 1000)
    alerts.sync_channels([("ops", "webhook")], now_ms=now_ms)
    alerts.set_channel_state("ops", state="failing", error="HTTP 404", now_ms=now_ms)
    from alerts.notify.outbox import make_test_item

    alerts.enqueue([make_test_item("ops", now_ms=now_ms - 90_000, requested_by="admin")],
                   now_ms=now_ms - 90_000)

    m = await r.scrape()
    assert value(m, "trio_monitor_notify_outbox_rows", channel="ops", status="queued") == 1
    assert value(m, "trio_monitor_notify_outbox_rows", channel="ops", status="failed") == 0
    # The database's side is judged by the wall clock, later than the test's fixed instant.
    age = value(m, "trio_monitor_notify_outbox_oldest_queued_age_seconds", channel="ops")
    assert age is not None and age >= 90
    assert value(m, "trio_monitor_notify_channel_failing", channel="ops") == 1
    assert value(m, "trio_monitor_scrape_errors_total", part="database") == 0


def test_a_database_that_cannot_be_read_costs_its_metrics_not_the_scrape(tmp_path):
    # A database without the schema: every read fails.
    broken = storage.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    metrics = CollectorMetrics(storage.SelfStatsStore(broken), buffer_max_age_s=600,
                               buffer_max_samples=10, clock=lambda: 0.0)
    server = metrics.serve("127.0.0.1:0")
    assert server is not None
    try:
        m = parse(scrape_text(server))
        assert value(m, "trio_monitor_scrape_errors_total", part="database") == 1
        assert not [name for name, _ in m if name.startswith("trio_monitor_notify_outbox")]
    finally:
        asyncio.run(server.aclose(2.0))
        broken.dispose()


def test_an_event_loop_that_does_not_answer_costs_its_metrics_not_the_scrape(sim, db_url):
    settings = collector_settings(db_url, sim)
    engine = wiring.make_engine(settings)
    collector = wiring.collector(settings, engine)
    metrics = CollectorMetrics(None, buffer_max_age_s=600, buffer_max_samples=10,
                               clock=lambda: 0.0)
    stalled = asyncio.new_event_loop()  # never runs: as a loop stuck in a long call
    metrics.watch(collector, stalled)
    server = metrics.serve("127.0.0.1:0")
    assert server is not None
    try:
        m = parse(scrape_text(server))
        assert value(m, "trio_monitor_scrape_errors_total", part="event_loop") == 1
        assert value(m, "trio_monitor_collector_lease_held") is None
    finally:
        asyncio.run(server.aclose(2.0))
        stalled.close()
        asyncio.run(collector.aclose())
        engine.dispose()


def test_the_server_stops_and_a_taken_port_is_not_fatal(caplog):
    first = CollectorMetrics(None, buffer_max_age_s=1, buffer_max_samples=1, clock=lambda: 0.0)
    server = first.serve("127.0.0.1:0")
    assert server is not None
    second = CollectorMetrics(None, buffer_max_age_s=1, buffer_max_samples=1, clock=lambda: 0.0)
    assert second.serve(f"127.0.0.1:{server.port}") is None
    assert "cannot serve metrics" in caplog.text
    port = server.port
    asyncio.run(server.aclose(2.0))
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


@pytest.mark.parametrize("metric", QUEUE_METRICS, ids=lambda m: m.id)
def test_every_reason_a_value_is_refused_for_has_a_kind_of_its_own(metric):
    """Reasons name limits ("over 100"): a label of them would be one per limit."""
    values = [math.inf, metric.minimum - 1, metric.maximum + 1, metric.minimum + 0.5]
    reasons = {why for v in values if (why := implausible(metric, v)) is not None}
    kinds = {reason_kind(why) for why in reasons}
    assert "unreadable" not in kinds, reasons
    assert len(kinds) == len(reasons)


def test_a_value_over_its_partner_is_its_own_kind():
    reasons = implausible_together({"agents_busy": 7.0, "agents_logged_in": 2.0}).values()
    assert {reason_kind(why) for why in reasons} == {"above_partner"}
    assert reason_kind("not a number") == "unreadable"


async def test_it_times_each_notification_from_queueing_to_delivery(engine, clock, receiver,
                                                                     transport):
    from alerts.notify import OutboxNotifier, WebhookChannel, make_test_item
    from collectors.runner import LEASE_NAME

    metrics = CollectorMetrics(None, buffer_max_age_s=1, buffer_max_samples=1,
                               clock=clock.time)
    now_ms = int(clock.time() * 1000)
    token = storage.Store(engine).acquire_lease(LEASE_NAME, "test", 3_600_000, now_ms)
    assert token is not None
    alerts = storage.AlertStore(engine)
    notifier = OutboxNotifier(alerts, {"hook": WebhookChannel(receiver.url, "json", transport)},
                              clock=clock, group_window_s=0, on_delivered=metrics.delivered)
    await notifier.on_activate(token)
    alerts.enqueue([make_test_item("hook", now_ms=now_ms, requested_by="admin")],
                   now_ms=now_ms)
    clock.advance(3.0)  # the notifier has been busy elsewhere for 3 s

    await notifier.run(token)

    m = parse(generate_latest(metrics.registry).decode())
    assert value(m, "trio_monitor_notify_delivery_latency_seconds_count", channel="hook") == 1
    assert value(m, "trio_monitor_notify_delivery_latency_seconds_sum", channel="hook") == 3.0
    assert value(m, "trio_monitor_notify_delivery_latency_seconds_bucket", channel="hook",
                 le="2.0") == 0
