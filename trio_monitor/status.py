"""`trio-monitor status`: what the database says about the collector, sources and queues.

``gather`` reads (one pass, no writes); ``render`` and ``problems`` are pure, so the
printed report and ``status --check`` judge from the same facts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Engine

import specs.clock
import storage
from collectors.kinds import source_intervals, watched_sources
from specs import sitetime
from specs.collector_status import StorageStatus, read_status, status_path
from specs.lease import COLLECTOR_LEASE
from specs.metrics import STATUS_COLUMNS, QueueMetricId
from specs.sources import BreakerState, HealthState
from storage import CurrentRow, LeaseInfo, SourceFacts

from .settings import Settings

# Source kinds (collectors' ``Source.kind``), in the order and under the titles shown.
KIND_TITLES = {"trio": "Trio sites", "health": "workers", "drift": "reconcilers"}
BREAKER_CLOSED = BreakerState.CLOSED.value
# A source's state as the collector decides it; anything else is a problem.
STATE_UP = HealthState.UP.value

_QUEUE_COLUMNS = STATUS_COLUMNS  # metric id -> heading, in the columns' order


@dataclass(frozen=True)
class Report:
    lease: LeaseInfo | None
    sources: list[SourceFacts]
    # Sources the configuration (and the enabled health targets) says are polled, with
    # their poll interval in seconds.
    watched: dict[str, float]
    rows: list[CurrentRow]
    # What the running collector says of the database (its status file): the database
    # cannot record its own failure. None: no collector wrote one lately.
    storage: StorageStatus | None = None
    zone: str = "UTC"  # the site's zone, for the times shown


def gather(settings: Settings, engine: Engine, now_ms: int | None = None) -> Report:
    """Read everything the report needs; raises storage.StorageUnavailable."""
    now_ms = specs.clock.now_ms(time.time) if now_ms is None else now_ms
    store = storage.Store(engine)
    intervals = source_intervals(settings, engine)
    watched = {name: intervals[name] for name in watched_sources(settings, engine)}
    return Report(lease=store.read_lease(COLLECTOR_LEASE), sources=store.sources(),
                  watched=watched, rows=store.latest(),
                  storage=read_status(status_path(settings.data_dir), now_ms),
                  zone=settings.timezone)


def storage_line(status: StorageStatus, zone: str) -> str:
    """Either "storage: ok", or since when and why the database takes no writes, with what
    the collector holds meanwhile."""
    if status.failing_since_ms is None:
        return "storage: ok"
    since = sitetime.time_of_day(status.failing_since_ms, zone)
    return (f"storage: failing since {since}: {status.reason}; "
            f"{status.buffered_polls} poll(s) with {status.buffered_samples} sample(s) "
            f"held in memory, {status.lost_samples} sample(s) lost")


def collector_active(report: Report, now_ms: int) -> bool:
    return report.lease is not None and report.lease.expires_at_ms > now_ms


def problems(report: Report, settings: Settings, now_ms: int) -> list[str]:
    """One line per reason the monitoring is not whole; empty when a collector holds
    the lease and every watched source is up and recent."""
    found = []
    if not collector_active(report, now_ms):
        found.append("collector: none active (the lease expired or was never taken)")
    if report.storage is not None and report.storage.failing:
        found.append(storage_line(report.storage, report.zone))
    facts = {src.name: src for src in report.sources}
    for name, interval_s in sorted(report.watched.items()):
        src = facts.get(name)
        if src is None:
            found.append(f"{name}: not polled yet")
            continue
        found += [f"{name}: {why}" for why in _source_problems(src, interval_s, settings, now_ms)]
    return found


def _source_problems(src: SourceFacts, interval_s: float, settings: Settings,
                     now_ms: int) -> Iterator[str]:
    error = f" (last error: {src.last_error})" if src.last_error and src.failing_since_ms else ""
    if src.breaker_state != BREAKER_CLOSED:
        yield f"breaker {src.breaker_state}{error}"
    elif src.consecutive_failures > 0:
        yield f"failing, {src.consecutive_failures} poll(s) in a row{error}"
    if src.state is not None and src.state != STATE_UP:
        yield f"state {src.state}"
    if src.last_success_at_ms is None:
        yield "no successful poll yet"
    else:
        # Late by more than the polls a screen tolerates, plus one poll's deadline.
        limit_ms = (settings.stale_after_polls * interval_s + settings.poll_deadline_s) * 1000
        if now_ms - src.last_success_at_ms > limit_ms:
            yield f"last success {age(now_ms, src.last_success_at_ms)}"


def render(report: Report, now_ms: int) -> list[str]:
    lines = []
    if collector_active(report, now_ms):
        assert report.lease is not None
        lines.append(f"collector: {report.lease.holder} (lease token {report.lease.token})")
    else:
        lines.append("collector: none active (lease expired or never taken)")
    if report.storage is not None:
        lines.append(storage_line(report.storage, report.zone))
    by_kind: dict[str, list[SourceFacts]] = {}
    for src in report.sources:
        by_kind.setdefault(src.kind, []).append(src)
    for kind in [*KIND_TITLES, *sorted(set(by_kind) - set(KIND_TITLES))]:
        lines.append("")
        lines.append(f"{KIND_TITLES.get(kind, kind)}:")
        sources = sorted(by_kind.get(kind, []), key=lambda s: s.name)
        if not sources:
            lines.append("  (none)")
        lines += [_source_line(src, report, now_ms) for src in sources]
    lines.append("")
    lines.append("queues:")
    lines += _queue_lines(report.rows, now_ms)
    return lines


def _source_line(src: SourceFacts, report: Report, now_ms: int) -> str:
    line = (f"  {src.name}: {src.state + ', ' if src.state else ''}breaker {src.breaker_state}, "
            f"last success {age(now_ms, src.last_success_at_ms)}, "
            f"failures {src.consecutive_failures}")
    if src.failover_active:
        line += f", failover to {src.active_url}"
    if src.name not in report.watched:
        line += " (no longer configured)"
    if src.failing_since_ms:
        line += f"\n    last error: {src.last_error}"
    return line


def _queue_lines(rows: list[CurrentRow], now_ms: int) -> list[str]:
    by_queue: dict[tuple[str, str], dict[str, float]] = {}
    ages: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.entity_kind != "queue":
            continue
        key = (row.entity_id, row.entity_name)
        by_queue.setdefault(key, {})[row.metric] = row.value
        ages[key] = max(ages.get(key, 0), row.ts_ms)
    if not by_queue:
        return ["  (none)"]
    lines = [f"  {'queue':<24} {'open':>4} "
             + " ".join(f"{c:>9}" for c in _QUEUE_COLUMNS.values()) + "  age"]
    for (qid, name), metrics in sorted(by_queue.items(), key=lambda kv: kv[0][1]):
        shown = " ".join(f"{metrics[c]:>9.0f}" if c in metrics else f"{'-':>9}"
                         for c in _QUEUE_COLUMNS)
        is_open = {1.0: "yes", 0.0: "no"}.get(metrics.get(QueueMetricId.OPEN, -1), "?")
        lines.append(f"  {name[:24]:<24} {is_open:>4} {shown}  {age(now_ms, ages[(qid, name)])}")
    return lines


def age(now_ms: int, then_ms: int | None) -> str:
    if then_ms is None:
        return "never"
    seconds = max(0, (now_ms - then_ms) // 1000)
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"
