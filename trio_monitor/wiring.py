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
from collectors.retry import RetryPolicy
from collectors.rollup import RollupConfig
from collectors.rollup import lease_jobs as rollup_lease_jobs
from collectors.runner import LEASE_NAME, Collector, DynamicSources, LeaseJob, RunnerConfig
from collectors.trio import TrioConfig, TrioSource
from collectors.trio_records import DEFAULT_AGENT_STATE_CODES
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
        connect_timeout_s=min(5.0, ttl / 3))
    lease = storage.make_engine(
        url, busy_timeout_s=min(settings.db_busy_timeout_s, ttl / 6), pool_size=1,
        statement_timeout_s=ttl / 6, call_timeout_s=ttl / 6,
        connect_timeout_s=min(5.0, ttl / 6))
    return storage.Store(writer, lease_engine=lease)


def http_config(settings: Settings) -> HttpConfig:
    return HttpConfig(
        connect_timeout_s=settings.http_connect_timeout_s,
        read_timeout_s=settings.http_read_timeout_s,
        write_timeout_s=settings.http_write_timeout_s,
        pool_timeout_s=settings.http_pool_timeout_s,
        max_body_bytes=int(settings.http_max_body_mb * 1024 * 1024),
        rate_per_s=settings.rate_limit_per_s,
        burst=settings.rate_limit_burst,
        verify_tls=settings.http_verify_tls,
    )


def trio_source(settings: Settings, clock: Clock | None = None) -> TrioSource:
    clock = clock or SystemClock()
    assert settings.trio_client_key is not None and settings.trio_password is not None
    config = TrioConfig(
        name=settings.trio_source_name,
        base_url=settings.trio_base_url,
        client_key=settings.trio_client_key.get_secret_value(),
        username=settings.trio_username,
        password=settings.trio_password.get_secret_value(),
        queue_fields=settings.queue_fields,
        agent_fields=settings.agent_fields,
        ccid=settings.trio_ccid,
        charset=settings.trio_charset.value,
        page_size=settings.trio_page_size,
        page_concurrency=settings.trio_page_concurrency,
        refresh_margin_s=settings.trio_token_refresh_margin_s,
        collect_agents=settings.trio_collect_agents,
        secondary_url=settings.trio_secondary_url,
        failback_check_s=settings.trio_failback_check_s,
        agent_state_codes=dict(settings.trio_agent_state_codes or DEFAULT_AGENT_STATE_CODES),
        timezone=settings.timezone,
    )
    seam = HttpSeam(http_config(settings), clock=clock, name=settings.trio_source_name)
    retry = RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
    )
    return TrioSource(config, seam, retry=retry, clock=clock)


def runner_config(settings: Settings) -> RunnerConfig:
    return RunnerConfig(
        poll_interval_s=settings.poll_interval_s,
        poll_deadline_s=settings.poll_deadline_s,
        lease_ttl_s=settings.lease_ttl_s,
        buffer_max_age_s=settings.buffer_max_age_s,
        buffer_max_samples=settings.buffer_max_samples,
        shutdown_timeout_s=settings.shutdown_timeout_s,
        breaker_failure_threshold=settings.breaker_failure_threshold,
        breaker_cooldown_s=settings.breaker_cooldown_s,
        breaker_max_cooldown_s=settings.breaker_max_cooldown_s,
    )


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
    """Alert evaluation: after each write and on a short tick (issue 5, alerts/service.py)."""
    from alerts.service import AlertEvaluator, EvaluatorConfig

    config = EvaluatorConfig(
        lease_name=LEASE_NAME,
        repeat_interval_s=settings.alert_repeat_interval_s,
        link=f"{settings.public_base_url}/alerts",
        # DESIGN.md: a queue's open/closed value counts for three poll intervals.
        open_fresh_s=3 * settings.poll_interval_s,
    )
    evaluator = AlertEvaluator(engine, config, clock=clock,
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
    """Notification delivery from the outbox (issue 5, alerts/notify/outbox.py); it also
    runs with no channel configured, to fail what is queued for removed ones."""
    from .notify import SEAM_NAME, notify_job

    seam = HttpSeam(http_config(settings), clock=clock, name=SEAM_NAME)
    return [notify_job(settings, engine, clock, seam)]


def rollup_jobs(settings: Settings, engine: Engine, clock: Clock) -> list[LeaseJob]:
    """Rollups to 1 minute and 1 hour, and retention per resolution (issue 6)."""
    config = RollupConfig(
        interval_s=settings.rollup_interval_s,
        grace_s=settings.rollup_grace_s,
        recheck_s=settings.rollup_recheck_s,
        raw_days=settings.retention_raw_days,
        minute_days=settings.retention_1m_days,
        hour_days=settings.retention_1h_days,
        batch_rows=settings.retention_batch_rows,
        budget_s=min(10.0, settings.rollup_interval_s / 2),
        # A failure matters to the lockout for its window, then for the lock it started.
        login_failures_keep_s=settings.login_lockout_window_s + settings.login_lockout_s,
    )
    return rollup_lease_jobs(engine, config, clock)


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
