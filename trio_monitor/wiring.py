"""Builds the parts of a process from the settings: engine, store, sources, collector."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

import storage
from collectors.base import Source
from collectors.clock import Clock, SystemClock
from collectors.drift import DriftSource
from collectors.health import HealthSource
from collectors.http import HttpConfig, HttpSeam
from collectors.rollup import lease_jobs as rollup_lease_jobs
from collectors.runner import Collector, DynamicSources, LeaseJob, RunnerConfig
from collectors.trio import TrioSource
from specs.drift import DriftSourceSpec
from specs.health import HealthTarget

from .settings import Settings


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700, parents=True,
                                                          exist_ok=True)
    return storage.make_engine(
        url, busy_timeout_s=settings.db_busy_timeout_s, pool_size=settings.db_pool_size
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
    clock = clock or SystemClock()
    config = settings.trio_config(timezone=settings.timezone)
    seam = HttpSeam(http_config(settings), clock=clock, name=settings.trio_source_name)
    return TrioSource(config, seam, retry=settings.retry_policy(), clock=clock)


def runner_config(settings: Settings) -> RunnerConfig:
    return settings.runner_config()  # kept: tests build runners from settings with it


def collector(settings: Settings, engine: Engine, clock: Clock | None = None) -> Collector:
    """The collector with every configured source: the Trio site (if configured), the
    reconcilers, and the health targets in the database (configured ones synced first)."""
    clock = clock or SystemClock()
    store = collector_store(settings, engine)
    sources: list[Source] = []
    if settings.trio_base_url:
        sources.append(trio_source(settings, clock))
    sources += [drift_source(settings, spec, clock) for spec in settings.drift_source_specs()]
    sync_configured_targets(settings, engine, clock)
    jobs = [*alert_jobs(settings, engine, clock), *notify_jobs(settings, engine, clock),
            *rollup_jobs(settings, engine, clock)]
    return Collector(store, sources, runner_config(settings), clock=clock,
                     dynamic=health_sources(settings, engine, clock), jobs=jobs,
                     on_close=store.dispose_own_engines)


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
    """The names of the sources the collector polls: the Trio site, the reconcilers and
    the enabled health targets (what alerts may be about; a deleted target's facts stay)."""
    names = {settings.trio_source_name} if settings.trio_base_url else set()
    names |= {f"drift:{spec.name}" for spec in settings.drift_source_specs()}
    names |= {f"health:{row.name}" for row in storage.HealthTargetStore(engine).list(True)}
    return names


def source_intervals(settings: Settings, engine: Engine) -> dict[str, float]:
    """The poll interval in seconds of every polled source, by name (alerts hold an alert
    whose values are older than three of them: unknown is not closed)."""
    intervals = {settings.trio_source_name: settings.poll_interval_s}
    intervals |= {f"drift:{spec.name}": spec.interval_s for spec in settings.drift_source_specs()}
    intervals |= {f"health:{row.name}": row.interval_s
                  for row in storage.HealthTargetStore(engine).list(True)}
    return intervals


def notify_jobs(settings: Settings, engine: Engine, clock: Clock) -> list[LeaseJob]:
    """Notification delivery from the outbox (alerts/notify/outbox.py); it also
    runs with no channel configured, to fail what is queued for removed ones."""
    from .notify import SEAM_NAME, notify_job

    seam = HttpSeam(http_config(settings), clock=clock, name=SEAM_NAME)
    return [notify_job(settings, engine, clock, seam)]


def rollup_jobs(settings: Settings, engine: Engine, clock: Clock) -> list[LeaseJob]:
    """Rollups to 1 minute and 1 hour, and retention per resolution."""
    return rollup_lease_jobs(engine, settings.rollup_config(), clock)


def drift_source(settings: Settings, spec: DriftSourceSpec, clock: Clock) -> DriftSource:
    seam = HttpSeam(http_config(settings), clock=clock, name=f"drift:{spec.name}")
    return DriftSource(spec, seam, clock=clock)


def sync_configured_targets(settings: Settings, engine: Engine, clock: Clock) -> None:
    """Create/update the targets of TRIO_MONITOR_HEALTH_TARGETS (read-only in the UI)."""
    targets = settings.health_target_specs()
    storage.HealthTargetStore(engine).sync_from_config(
        [_target_fields(t) for t in targets], int(clock.time() * 1000))


def health_sources(settings: Settings, engine: Engine, clock: Clock) -> DynamicSources:
    """Health targets as dynamic sources: admins add and edit them while the collector runs.

    All checks share one HTTP client (a pool sized to the concurrency cap) and one
    semaphore, the global cap on checks in flight.
    """
    targets = storage.HealthTargetStore(engine)
    gate = asyncio.Semaphore(settings.health_concurrency)
    seam = HttpSeam(
        replace(http_config(settings), rate_per_s=10_000.0, burst=10_000,
                max_connections=settings.health_concurrency),
        clock=clock, name="health",
    )

    async def load() -> dict[str, Hashable]:
        rows = await asyncio.to_thread(targets.list, True)
        specs = (HealthTarget(**{f: getattr(row, f) for f in _TARGET_FIELDS}) for row in rows)
        return {f"health:{spec.name}": spec for spec in specs}

    def build(spec: Hashable) -> Source:
        assert isinstance(spec, HealthTarget)
        return HealthSource(spec, seam, clock=clock, gate=gate, owns_seam=False)

    return DynamicSources(load=load, build=build, every_s=settings.target_sync_interval_s,
                          aclose=seam.aclose)


_TARGET_FIELDS = tuple(f.name for f in fields(HealthTarget))


def _target_fields(target: HealthTarget) -> dict[str, Any]:
    return {f: getattr(target, f) for f in _TARGET_FIELDS if f != "id"}
