"""Builds the parts of a process from the settings: engine, store, sources, collector."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

import storage
from collectors import drift, health, kinds, trio_kind
from collectors.base import BuildContext
from collectors.clock import Clock, SystemClock
from collectors.drift import DriftSource
from collectors.http import HttpConfig, HttpSeam
from collectors.metrics import CollectorMetrics
from collectors.rollup import lease_jobs as rollup_lease_jobs
from collectors.runner import Collector, DynamicSources, LeaseJob, RunnerConfig
from collectors.trio import TrioSource
from specs.drift import DriftSourceSpec

from .settings import Settings


def make_engine(settings: Settings, *, sqlite_cache_kib: int | None = None) -> Engine:
    """The process's engine; ``sqlite_cache_kib`` raises SQLite's page cache per
    connection above its default (the web app's history reads want more than the
    collector's short queries, whose memory must stay flat)."""
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700, parents=True,
                                                          exist_ok=True)
    return storage.make_engine(
        url, busy_timeout_s=settings.db_busy_timeout_s, pool_size=settings.db_pool_size,
        **({"sqlite_cache_kib": sqlite_cache_kib} if sqlite_cache_kib else {}),
    )


def collector_store(settings: Settings, engine: Engine) -> storage.Store:
    """The collector's store: polls are written and the lease is renewed on engines of
    their own, bounded by the lease (a write must end before the lease could lapse, so
    the write fence can look ahead instead of locking the lease row; a renewal must end
    before the next one is due). ``engine`` stays for the lease jobs and reads."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return storage.Store(engine)  # one in-memory database per engine: share it
    ttl = settings.lease_ttl_s
    writer = storage.make_engine(
        url, busy_timeout_s=min(settings.db_busy_timeout_s, ttl / 3), pool_size=1,
        statement_timeout_s=ttl / 3, call_timeout_s=ttl / 3,
        connect_timeout_s=min(5.0, ttl / 3),
        # A poll's insert touches one leaf page per series: keep a few thousand hot.
        sqlite_cache_kib=16 * 1024)
    lease = storage.make_engine(
        url, busy_timeout_s=min(settings.db_busy_timeout_s, ttl / 6), pool_size=1,
        statement_timeout_s=ttl / 6, call_timeout_s=ttl / 6,
        connect_timeout_s=min(5.0, ttl / 6))
    return storage.Store(writer, lease_engine=lease)


def http_config(settings: Settings) -> HttpConfig:
    return settings.http_config()


def trio_source(settings: Settings, clock: Clock | None = None) -> TrioSource:
    return trio_kind.trio_source(settings, http_config(settings), clock or SystemClock())


def runner_config(settings: Settings) -> RunnerConfig:
    return settings.runner_config()  # kept: tests build runners from settings with it


def collector(settings: Settings, engine: Engine, clock: Clock | None = None,
              metrics: CollectorMetrics | None = None) -> Collector:
    """The collector with every configured source: the Trio site (if configured), the
    reconcilers, and the health targets in the database (configured ones synced first);
    ``metrics`` counts its polls and deliveries."""
    clock = clock or SystemClock()
    store = collector_store(settings, engine)
    sources, dynamic = kinds.plan_sources(
        BuildContext(settings=settings, engine=engine, clock=clock, http=http_config(settings)))
    jobs = [*alert_jobs(settings, engine, clock), *notify_jobs(settings, engine, clock, metrics),
            *rollup_jobs(settings, engine, clock)]
    return Collector(store, sources, runner_config(settings), clock=clock,
                     dynamic=dynamic, jobs=jobs,
                     on_close=store.dispose_own_engines, observer=metrics)


def collector_metrics(settings: Settings, engine: Engine) -> CollectorMetrics | None:
    """The collector's own metrics, None when ``METRICS_BIND`` is empty. Its database
    reads have an engine of their own with short timeouts: a scrape must answer even
    when the database does not."""
    if not settings.metrics_bind:
        return None
    stats = storage.SelfStatsStore(scrape_engine(engine))
    return CollectorMetrics(stats, buffer_max_age_s=settings.buffer_max_age_s,
                            buffer_max_samples=settings.buffer_max_samples,
                            clock=SystemClock().time)


def alert_jobs(settings: Settings, engine: Engine, clock: Clock) -> list[LeaseJob]:
    """Alert evaluation: after each write and on a short tick (alerts/service.py)."""
    from alerts.service import AlertEvaluator

    evaluator = AlertEvaluator(engine, settings.evaluator_config(), clock=clock,
                               watched=lambda: watched_sources(settings, engine),
                               intervals=lambda: source_intervals(settings, engine))
    return [LeaseJob(
        name="alerts", every_s=settings.alert_tick_s, run=evaluator.run,
        on_activate=evaluator.on_activate, after_write=evaluator.after_write,
    )]


def watched_sources(settings: Settings, engine: Engine) -> set[str]:
    """The names of the sources the collector polls, of every kind (what alerts may be
    about; a deleted target's facts stay)."""
    return kinds.watched_sources(settings, engine)


def source_intervals(settings: Settings, engine: Engine) -> dict[str, float]:
    """The poll interval in seconds of every polled source, by name (alerts hold an alert
    whose values are older than three of them: unknown is not closed)."""
    return kinds.source_intervals(settings, engine)


def scrape_engine(engine: Engine) -> Engine:
    """An engine for /metrics' database reads: one connection, every call bounded by about
    2 s, so a hung database costs a scrape its database metrics, not its answer."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return engine  # one in-memory database per engine: share it
    return storage.make_engine(url, busy_timeout_s=1.0, pool_size=1, pool_timeout_s=2.0,
                               statement_timeout_s=2.0, call_timeout_s=2.5,
                               connect_timeout_s=2.0)


def notify_jobs(settings: Settings, engine: Engine, clock: Clock,
                metrics: CollectorMetrics | None = None) -> list[LeaseJob]:
    """Notification delivery from the outbox (alerts/notify/outbox.py); it also
    runs with no channel configured, to fail what is queued for removed ones."""
    from .notify import SEAM_NAME, notify_job

    seam = HttpSeam(http_config(settings), clock=clock, name=SEAM_NAME)
    return [notify_job(settings, engine, clock, seam,
                       on_delivered=metrics.delivered if metrics is not None else None)]


def rollup_jobs(settings: Settings, engine: Engine, clock: Clock) -> list[LeaseJob]:
    """Rollups to 1 minute and 1 hour, and retention per resolution."""
    return rollup_lease_jobs(engine, settings.rollup_config(), clock)


def drift_source(settings: Settings, spec: DriftSourceSpec, clock: Clock) -> DriftSource:
    return drift.drift_source(spec, http_config(settings), clock)


def sync_configured_targets(settings: Settings, engine: Engine, clock: Clock) -> None:
    """Create/update the targets of TRIO_MONITOR_HEALTH_TARGETS (read-only in the UI)."""
    health.sync_configured_targets(settings, engine, clock)


def health_sources(settings: Settings, engine: Engine, clock: Clock) -> DynamicSources:
    return health.health_sources(settings, engine, http_config(settings), clock)
