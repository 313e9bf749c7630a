"""The web app's own Prometheus metrics: ``GET /metrics`` behind a bearer token.

Request durations by route (the URL rule, never the raw path), logins by outcome,
lockouts by scope, and the wall screens (read from the database at scrape time). No label
carries a user, an address or anything a visitor chooses.

Several gunicorn workers serve the app, each counting its own requests: with
``PROMETHEUS_MULTIPROC_DIR`` set (``trio-monitor web`` makes one per run, see
``trio_monitor.web``) every worker writes its counts to files there and a scrape, in
whichever worker answers it, sums them. Without it (one process, as in the tests) the
counts are this process's.

Without ``TRIO_MONITOR_METRICS_TOKEN`` nothing is counted and ``/metrics`` is 404. With
it, a request without ``Authorization: Bearer <token>``, or with another token, is 401.
``/metrics`` is exempt from the login guard and the host check: the token is its guard.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PrometheusCollector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

import auth
import storage
from specs.clock import now_ms

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "trio_monitor_"
# A screen counts as active when seen this recently, as silent when used once but not
# seen for this long (the default alert rule "Screen stopped updating" waits as long).
SCREEN_ACTIVE_MS = 120_000
SCREEN_SILENT_MS = 300_000
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STARTED = "trio_metrics_started"


class WebMetrics:
    """The counters of one app. Created with no registry: a scrape gathers them (or, in
    multiprocess mode, every worker's files) into a registry of its own."""

    def __init__(self) -> None:
        _use_multiprocess_if_asked()
        self.requests = Histogram(
            PREFIX + "web_request_duration_seconds", "Time to answer a request, by route "
            "(the URL rule), method and status class.", ["route", "method", "status"],
            buckets=REQUEST_BUCKETS, registry=None)
        self.logins = Counter(PREFIX + "web_logins", "Login attempts by outcome (ok, "
                              "invalid, disabled, too_long, locked, rate_limited).",
                              ["outcome"], registry=None)
        self.lockouts = Counter(PREFIX + "web_login_lockouts", "Locks started by failed "
                                "logins, by scope (address: one name from one address; "
                                "account: one name from every address).", ["scope"],
                                registry=None)
        self.scrape_errors = Counter(PREFIX + "scrape_errors", "Scrapes that left metrics "
                                     "out because a part could not be read.", ["part"],
                                     registry=None)
        self.scrape_errors.labels("database")  # shown as 0 from the start: rate() needs it

    def login_attempted(self, result: auth.AuthResult) -> None:
        self.logins.labels(result.status.value).inc()
        if result.new_lock is not None:
            self.lockouts.labels(result.new_lock.scope).inc()

    def registry(self, screens: PrometheusCollector) -> CollectorRegistry:
        registry = CollectorRegistry()
        # Collected in this order: the screens first, so that a failure to read them is
        # counted in the scrape it happened in.
        registry.register(screens)
        if os.environ.get(MULTIPROC_ENV):
            multiprocess.MultiProcessCollector(registry)
        else:
            for metric in (self.requests, self.logins, self.lockouts, self.scrape_errors):
                registry.register(metric)
        return registry


def install(server: Flask, engine: Engine | None, token: str | None,
            clock: Callable[[], float] = time.time) -> None:
    """Count requests and logins on ``server`` and answer ``/metrics`` (404 without a
    token). ``engine`` reads the wall screens at scrape time (its own short timeouts)."""
    if not token or engine is None:
        server.add_url_rule(METRICS_PATH, "trio_metrics", _not_found)
        return
    metrics = WebMetrics()
    screens = _ScreensCollector(storage.SelfStatsStore(engine), clock, metrics.scrape_errors)
    expected = f"Bearer {token}".encode()

    def started() -> None:
        g.setdefault(_STARTED, time.perf_counter())

    def finished(response: Response) -> Response:
        began = g.get(_STARTED)
        if began is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
            method = request.method if request.method in _METHODS else "other"
            metrics.requests.labels(rule, method, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - began)
        return response

    def exposition() -> Response:
        sent = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(sent, expected):
            return Response("bearer token required\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="metrics"',
                             "Content-Type": "text/plain; charset=utf-8"})
        body = generate_latest(metrics.registry(screens))
        return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST,
                                    "Cache-Control": "no-store"})

    # First of all hooks: a request the host check or the guard answers is timed too.
    server.before_request_funcs.setdefault(None, []).insert(0, started)
    server.after_request(finished)
    server.add_url_rule(METRICS_PATH, "trio_metrics", exposition)
    auth.on_login_attempt(server, metrics.login_attempted)


def _not_found() -> Response:
    return Response("not found\n", 404, {"Content-Type": "text/plain; charset=utf-8"})


class _ScreensCollector(PrometheusCollector):
    def __init__(self, stats: storage.SelfStatsStore, clock: Callable[[], float],
                 errors: Counter) -> None:
        self._stats = stats
        self._clock = clock
        self._errors = errors

    def describe(self) -> Iterable[Metric]:
        return []  # a describe must not touch the database

    def collect(self) -> Iterable[Metric]:
        try:
            counts = self._stats.screen_counts(now_ms=now_ms(self._clock),
                                               active_ms=SCREEN_ACTIVE_MS,
                                               silent_ms=SCREEN_SILENT_MS)
        except (storage.StorageError, SQLAlchemyError) as exc:  # down, hung, or not our schema
            log.warning("metrics: the wall screens were not read: %s", exc)
            self._errors.labels("database").inc()
            return []
        return [
            GaugeMetricFamily(PREFIX + "web_screens_active", "Wall screens (live display "
                              "tokens) seen in the last 2 minutes.", value=counts.active),
            GaugeMetricFamily(PREFIX + "web_screens_silent", "Wall screens used before but "
                              "not seen for 5 minutes or more.", value=counts.silent),
        ]


def _use_multiprocess_if_asked() -> None:
    """prometheus_client picks its value class when first imported; if that was before
    ``PROMETHEUS_MULTIPROC_DIR`` was set, pick again, or each worker would count alone."""
    if os.environ.get(MULTIPROC_ENV) and not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.get_value_class()
