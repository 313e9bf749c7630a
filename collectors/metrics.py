"""The collector's own Prometheus metrics, served on ``/metrics`` by a thread of its own.

Events (polls, refused values, deliveries) are counted as they happen, through the
collector's poll observer and the notifier's delivery hook. Everything else is read when
Prometheus asks: the collector's state (breakers, buffer, lease) on the event loop, with
a short deadline, and the database's (outbox, channels, alert states, rollup lag) through
a store with short timeouts. A read that fails or takes too long leaves its metrics out of
that scrape and counts ``trio_monitor_scrape_errors_total{part}``; the scrape itself
still answers, so Prometheus keeps telling a sick collector from a dead one.

With ``TRIO_MONITOR_METRICS_TOKEN`` set, ``/metrics`` answers only a request carrying
``Authorization: Bearer <token>`` (401 otherwise), as the web app's does; production
refuses a bind beyond loopback without one (``Settings.metrics_problems``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PrometheusCollector
from sqlalchemy.exc import SQLAlchemyError

from specs.clock import now_ms
from specs.clock import now_ms as now_ms_of
from specs.metrics import QUEUE_METRIC_BY_ID
from specs.sources import BreakerState
from storage import SelfStatsStore, StorageError

from .base import PollOutcome
from .errors import SourceError

if TYPE_CHECKING:
    from .runner import Collector

log = logging.getLogger(__name__)

PREFIX = "trio_monitor_"
# A scrape waits at most this long for the event loop to describe the collector's state.
LOOP_READ_TIMEOUT_S = 1.0
POLL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DELIVERY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
OTHER = "other"  # the label of a refused field that is not a queue metric


class PollObserver(Protocol):
    """What the collector tells about each poll it made (not the ones its breaker held)."""

    def polled(self, source: str, outcome: PollOutcome | None, error: SourceError | None,
               duration_s: float) -> None: ...


def reason_kind(why: str) -> str:
    """A refusal's reason (``specs.metrics.implausible``'s words, or why a value could not
    be read) as one of a few kinds: a label must not carry the value or the limit."""
    if why == "not finite":
        return "not_finite"
    if why == "negative" or why.startswith("under "):
        return "below_minimum"
    if why.startswith("over ") or why == "longer than a day":
        return "above_maximum"
    if why == "not a whole number":
        return "not_whole"
    if why.startswith("more than "):
        return "above_partner"
    return "unreadable"


@dataclass(frozen=True)
class RuntimeView:
    """The collector's state as one scrape sees it (read on the event loop)."""

    breakers: dict[str, BreakerState]
    buffer_polls: int
    buffer_samples: int
    buffer_oldest_ms: int | None
    token: int | None
    lost_samples: int
    now_ms: int


class CollectorMetrics:
    """The collector's registry: event counters, and what is read at scrape time.

    ``buffer_max_age_s`` and ``buffer_max_samples`` are exported beside the buffer's
    depth, so an alerting rule can say "half full" without knowing the configuration.
    """

    def __init__(self, stats: SelfStatsStore | None, *, buffer_max_age_s: float,
                 buffer_max_samples: int, clock: Callable[[], float]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._limits = (buffer_max_age_s, buffer_max_samples)
        self.polls = Counter(PREFIX + "collector_polls", "Polls made, by source and outcome "
                             "(ok, or the kind of error).", ["source", "outcome"],
                             registry=self.registry)
        self.poll_duration = Histogram(
            PREFIX + "collector_poll_duration_seconds", "Time one poll took, retries included.",
            ["source"], buckets=POLL_BUCKETS, registry=self.registry)
        self.refused = Counter(
            PREFIX + "collector_values_refused", "Values a source sent that were refused as "
            "implausible or unreadable, by metric and kind of reason.",
            ["source", "metric", "reason"], registry=self.registry)
        self.delivery_latency = Histogram(
            PREFIX + "notify_delivery_latency_seconds", "From a notification's queueing to "
            "its delivery, per channel.", ["channel"], buckets=DELIVERY_BUCKETS,
            registry=self.registry)
        self.scrape_errors = Counter(
            PREFIX + "scrape_errors", "Scrapes that left metrics out because a part could "
            "not be read (database, event_loop).", ["part"], registry=None)
        for part in ("database", "event_loop"):
            self.scrape_errors.labels(part)  # shown as 0 from the start: rate() needs it
        self._state = _StateCollector(self.scrape_errors)
        if stats is not None:
            self._state.parts.append(_DatabaseReader(stats, clock, self.scrape_errors))
        self.registry.register(self._state)

    # -- events --------------------------------------------------------------------------

    def polled(self, source: str, outcome: PollOutcome | None, error: SourceError | None,
               duration_s: float) -> None:
        label = "ok" if error is None else str(error.kind)
        self.polls.labels(source, label).inc()
        self.poll_duration.labels(source).observe(max(0.0, duration_s))
        if outcome is not None:
            for key, count in outcome.refused.items():
                field, _, why = key.partition(" ")
                metric = field if field in QUEUE_METRIC_BY_ID else OTHER
                self.refused.labels(source, metric, reason_kind(why)).inc(count)

    def delivered(self, channel: str, latencies_s: Sequence[float]) -> None:
        child = self.delivery_latency.labels(channel)
        for latency in latencies_s:
            child.observe(max(0.0, latency))

    # -- scrape-time state ---------------------------------------------------------------

    def watch(self, collector: Collector, loop: asyncio.AbstractEventLoop) -> None:
        """Describe ``collector`` (running on ``loop``) at every scrape from now on."""
        self._state.parts.insert(0, _RuntimeReader(collector, loop, self._limits,
                                                    self.scrape_errors))

    def serve(self, bind: str, token: str | None = None) -> MetricsServer | None:
        """Serve ``/metrics`` on ``host:port`` in a thread, behind ``token`` (a bearer
        token) when one is given; None (logged) when the address cannot be taken: the
        collector's work matters more than its metrics."""
        host, _, port = bind.rpartition(":")
        app = guarded(make_wsgi_app(self.registry), token)
        try:
            httpd = _make_server(host.strip("[]"), int(port), app)
        except OSError as exc:
            log.error("cannot serve metrics on %s: %s; running without them", bind,
                      exc.strerror or exc)
            return None
        thread = threading.Thread(target=httpd.serve_forever, name="metrics-server",
                                  daemon=True)
        thread.start()
        log.info("serving metrics on http://%s/metrics (%s)", bind,
                 "bearer token required" if token else "no token")
        return MetricsServer(httpd, thread)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def guarded(app: WSGIApp, token: str | None) -> WSGIApp:
    """``app`` answering only requests with ``Authorization: Bearer <token>`` (compared in
    constant time; 401 otherwise); ``app`` itself without a token."""
    if not token:
        return app
    expected = f"Bearer {token}".encode()

    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # WSGI hands header values over as latin-1 text: back to the bytes that were sent.
        sent = str(environ.get("HTTP_AUTHORIZATION", "")).encode("latin-1", "replace")
        if not hmac.compare_digest(sent, expected):
            start_response("401 Unauthorized", [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"bearer token required\n"]
        return app(environ, start_response)

    return answer


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per scrape, none of them keeping the process alive."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged: one line every 15 s per Prometheus says nothing."""


def _make_server(host: str, port: int, app: WSGIApp) -> WSGIServer:
    """A threading WSGI server on ``host:port``, IPv4 or IPv6 as the address says."""
    family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                flags=socket.AI_PASSIVE)[0][0]

    class Server(_ThreadingServer):
        address_family = family

    return make_server(host, port, app, Server, handler_class=_QuietHandler)


class MetricsServer:
    """The exposition server's thread, stopped within a deadline."""

    def __init__(self, httpd: WSGIServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    async def aclose(self, timeout_s: float) -> None:
        """Stop serving; a scrape still running is abandoned (its thread is a daemon)."""
        try:
            await asyncio.wait_for(asyncio.to_thread(self._httpd.shutdown), timeout_s)
        except TimeoutError:
            log.warning("the metrics server did not stop within %.1f s", timeout_s)
        self._httpd.server_close()


class _StateCollector(PrometheusCollector):
    """What is read at scrape time, part by part, and then the count of parts that could
    not be read (last, so that a failure shows in the scrape it happened in)."""

    def __init__(self, errors: Counter) -> None:
        self.parts: list[Callable[[], list[Metric]]] = []
        self._errors = errors

    def describe(self) -> Iterable[Metric]:
        return []  # what the parts yield depends on the state: nothing to check up front

    def collect(self) -> Iterable[Metric]:
        for part in list(self.parts):
            yield from part()
        yield from self._errors.collect()


class _RuntimeReader:
    def __init__(self, collector: Collector, loop: asyncio.AbstractEventLoop,
                 limits: tuple[float, int], errors: Counter) -> None:
        self._collector = collector
        self._loop = loop
        self._limits = limits
        self._errors = errors

    def __call__(self) -> list[Metric]:
        future: concurrent.futures.Future[RuntimeView] = concurrent.futures.Future()

        def read() -> None:  # on the loop: nothing there changes while it runs
            if future.set_running_or_notify_cancel():
                future.set_result(_view(self._collector))

        try:
            self._loop.call_soon_threadsafe(read)
            view = future.result(timeout=LOOP_READ_TIMEOUT_S)
        except (concurrent.futures.TimeoutError, RuntimeError) as exc:
            # RuntimeError: the loop closed under us (the process is stopping).
            future.cancel()
            log.warning("metrics: the collector's state was not read: %s",
                        str(exc) or "the event loop did not answer in time")
            self._errors.labels("event_loop").inc()
            return []
        return _runtime_metrics(view, self._limits)


def _view(collector: Collector) -> RuntimeView:
    oldest = collector.buffer.peek(1)
    return RuntimeView(
        breakers=collector.breaker_states(),
        buffer_polls=len(collector.buffer),
        buffer_samples=collector.buffer.samples,
        # A poll's facts are stamped as it is buffered: the oldest one's age is the buffer's.
        buffer_oldest_ms=oldest[0].facts.updated_at_ms if oldest else None,
        token=collector.token,
        lost_samples=collector.lost.samples,
        now_ms=now_ms(collector.clock.time),  # the clock that stamped the buffer
    )


def _runtime_metrics(view: RuntimeView, limits: tuple[float, int]) -> list[Metric]:
    breaker = GaugeMetricFamily(PREFIX + "collector_breaker_state", "1 for the state each "
                                "source's circuit breaker is in.", labels=["source", "state"])
    for source, state in sorted(view.breakers.items()):
        for candidate in BreakerState:
            breaker.add_metric([source, candidate.value], 1.0 if candidate is state else 0.0)
    age = 0.0 if view.buffer_oldest_ms is None else (view.now_ms - view.buffer_oldest_ms) / 1000
    lost = CounterMetricFamily(PREFIX + "collector_samples_lost", "Samples polled in this run "
                               "that will never be stored.")
    lost.add_metric([], view.lost_samples)
    return [
        breaker,
        _gauge("collector_buffer_polls", "Polls waiting in memory for the database.",
               view.buffer_polls),
        _gauge("collector_buffer_samples", "Samples waiting in memory for the database.",
               view.buffer_samples),
        _gauge("collector_buffer_oldest_age_seconds", "Age of the oldest poll waiting in "
               "memory (0 when none waits).", max(0.0, age)),
        _gauge("collector_buffer_max_age_seconds", "The buffer's age bound "
               "(TRIO_MONITOR_BUFFER_MAX_AGE_S); older polls are dropped.", limits[0]),
        _gauge("collector_buffer_max_samples", "The buffer's sample bound "
               "(TRIO_MONITOR_BUFFER_MAX_SAMPLES).", limits[1]),
        _gauge("collector_lease_held", "1 while this collector holds the lease (active), "
               "0 on standby.", 0.0 if view.token is None else 1.0),
        _gauge("collector_lease_token", "The fencing token of the lease this collector "
               "holds (0 on standby).", view.token or 0),
        lost,
    ]


class _DatabaseReader:
    def __init__(self, stats: SelfStatsStore, clock: Callable[[], float],
                 errors: Counter) -> None:
        self._stats = stats
        self._clock = clock
        self._errors = errors

    def __call__(self) -> list[Metric]:
        try:
            stats = self._stats.self_stats()
        except (StorageError, SQLAlchemyError) as exc:  # down, hung, or not our schema
            log.warning("metrics: the database was not read: %s", exc)
            self._errors.labels("database").inc()
            return []
        now_ms = now_ms_of(self._clock)
        rows = GaugeMetricFamily(PREFIX + "notify_outbox_rows", "Notifications in the outbox "
                                 "by channel and status (queued, sending, failed).",
                                 labels=["channel", "status"])
        oldest = GaugeMetricFamily(PREFIX + "notify_outbox_oldest_queued_age_seconds",
                                   "Age of the oldest queued notification per channel.",
                                   labels=["channel"])
        for item in stats.outbox:
            for status in ("queued", "sending", "failed"):
                rows.add_metric([item.channel, status], item.rows.get(status, 0))
            if item.oldest_queued_ms is not None:
                oldest.add_metric([item.channel], max(0.0, (now_ms - item.oldest_queued_ms) / 1000))
        failing = GaugeMetricFamily(PREFIX + "notify_channel_failing", "1 while a channel's "
                                    "notifications fail for good.", labels=["channel"])
        for name, state in sorted(stats.channel_states.items()):
            failing.add_metric([name], 1.0 if state == "failing" else 0.0)
        states = GaugeMetricFamily(PREFIX + "alert_states", "Alert states by state and "
                                   "severity (empty: none).", labels=["state", "severity"])
        for (state, severity), count in sorted(stats.alert_states.items()):
            states.add_metric([state, severity], count)
        lag = GaugeMetricFamily(PREFIX + "rollup_lag_seconds", "How far each rollup's "
                                "watermark is behind now.", labels=["resolution"])
        for resolution, mark in sorted(stats.rollup_watermarks.items()):
            lag.add_metric([resolution], max(0.0, (now_ms - mark) / 1000))
        return [rows, oldest, failing, states, lag]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, value=value)
