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
from specs import text
from specs.collector_status import StorageStatus, read_status, status_path
from specs.languages import DEFAULT_LANG
from specs.lease import COLLECTOR_LEASE
from specs.metrics import STATUS_COLUMNS, QueueMetricId
from specs.sources import BreakerState, HealthState
from storage import CurrentRow, LeaseInfo, SourceFacts

from .cliutil import duration_ago, say
from .settings import Settings

# Source kinds (collectors' ``Source.kind``), in the order shown; each titled by its
# ``cli_status_kind_<kind>`` text (an unknown kind by its name).
KIND_TITLES = ("trio", "health", "drift")
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


def storage_line(status: StorageStatus, zone: str, lang: str = DEFAULT_LANG) -> str:
    """Either "storage: ok", or since when and why the database takes no writes, with what
    the collector holds meanwhile."""
    if status.failing_since_ms is None:
        return say("cli_status_storage_ok", lang)
    return say("cli_status_storage_failing", lang,
               since=text.format_time(status.failing_since_ms, zone, lang, seconds=False),
               reason=status.reason, polls=status.buffered_polls,
               samples=status.buffered_samples, lost=status.lost_samples)


def collector_active(report: Report, now_ms: int) -> bool:
    return report.lease is not None and report.lease.expires_at_ms > now_ms


def problems(report: Report, settings: Settings, now_ms: int,
             lang: str = DEFAULT_LANG) -> list[str]:
    """One line per reason the monitoring is not whole; empty when a collector holds
    the lease and every watched source is up and recent."""
    found = []
    if not collector_active(report, now_ms):
        found.append(say("cli_status_no_collector", lang))
    if report.storage is not None and report.storage.failing:
        found.append(storage_line(report.storage, report.zone, lang))
    facts = {src.name: src for src in report.sources}
    for name, interval_s in sorted(report.watched.items()):
        src = facts.get(name)
        if src is None:
            found.append(say("cli_status_not_polled", lang, name=name))
            continue
        found += [f"{name}: {why}"
                  for why in _source_problems(src, interval_s, settings, now_ms, lang)]
    return found


def _source_problems(src: SourceFacts, interval_s: float, settings: Settings,
                     now_ms: int, lang: str) -> Iterator[str]:
    error = (say("cli_status_last_error", lang, error=src.last_error)
             if src.last_error and src.failing_since_ms else "")
    if src.breaker_state != BREAKER_CLOSED:
        yield say("cli_status_breaker", lang, state=_word("breaker", src.breaker_state, lang),
                  error=error)
    elif src.consecutive_failures > 0:
        yield say("cli_status_failing", lang, n=src.consecutive_failures, error=error)
    if src.state is not None and src.state != STATE_UP:
        yield say("cli_status_state", lang, state=_word("state", src.state, lang))
    if src.last_success_at_ms is None:
        yield say("cli_status_no_success", lang)
    else:
        # Late by more than the polls a screen tolerates, plus one poll's deadline.
        limit_ms = (settings.stale_after_polls * interval_s + settings.poll_deadline_s) * 1000
        if now_ms - src.last_success_at_ms > limit_ms:
            yield say("cli_status_last_success", lang,
                      age=duration_ago(now_ms, src.last_success_at_ms, lang))


def _word(kind: str, value: str, lang: str) -> str:
    """A state's or a breaker's word (``cli_<kind>_<value>``); an unknown one as stored."""
    try:
        return say(f"cli_{kind}_{value}", lang)
    except KeyError:
        return value


def render(report: Report, now_ms: int, lang: str = DEFAULT_LANG) -> list[str]:
    lines = []
    if collector_active(report, now_ms):
        assert report.lease is not None
        lines.append(say("cli_status_collector", lang, holder=report.lease.holder,
                         token=report.lease.token))
    else:
        lines.append(say("cli_status_no_collector", lang))
    if report.storage is not None:
        lines.append(storage_line(report.storage, report.zone, lang))
    by_kind: dict[str, list[SourceFacts]] = {}
    for src in report.sources:
        by_kind.setdefault(src.kind, []).append(src)
    for kind in [*KIND_TITLES, *sorted(set(by_kind) - set(KIND_TITLES))]:
        lines.append("")
        title = say(f"cli_status_kind_{kind}", lang) if kind in KIND_TITLES else kind
        lines.append(f"{title}:")
        sources = sorted(by_kind.get(kind, []), key=lambda s: s.name)
        if not sources:
            lines.append("  " + say("cli_status_none", lang))
        lines += [_source_line(src, report, now_ms, lang) for src in sources]
    lines.append("")
    lines.append(say("cli_status_queues", lang))
    lines += _queue_lines(report.rows, now_ms, lang)
    return lines


def _source_line(src: SourceFacts, report: Report, now_ms: int, lang: str) -> str:
    state = f"{_word('state', src.state, lang)}, " if src.state else ""
    line = "  " + say("cli_status_source", lang, name=src.name, state=state,
                      breaker=_word("breaker", src.breaker_state, lang),
                      age=duration_ago(now_ms, src.last_success_at_ms, lang),
                      n=text.format_number(src.consecutive_failures, lang))
    if src.failover_active:
        line += say("cli_status_failover", lang, url=src.active_url)
    if src.name not in report.watched:
        line += say("cli_status_unconfigured", lang)
    if src.failing_since_ms:
        line += "\n    " + say("cli_status_source_error", lang, error=src.last_error)
    return line


def _queue_lines(rows: list[CurrentRow], now_ms: int, lang: str) -> list[str]:
    by_queue: dict[tuple[str, str], dict[str, float]] = {}
    ages: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.entity_kind != "queue":
            continue
        key = (row.entity_id, row.entity_name)
        by_queue.setdefault(key, {})[row.metric] = row.value
        ages[key] = max(ages.get(key, 0), row.ts_ms)
    if not by_queue:
        return ["  " + say("cli_status_none", lang)]
    headings = " ".join(f"{say(f'cli_status_col_{c}', lang):>9}" for c in _QUEUE_COLUMNS)
    lines = [f"  {say('cli_status_col_queue', lang):<24} {say('cli_status_col_open', lang):>5} "
             f"{headings}  {say('cli_status_col_age', lang)}"]
    words = {1.0: say("cli_yes", lang), 0.0: say("cli_no", lang)}
    for (qid, name), metrics in sorted(by_queue.items(), key=lambda kv: kv[0][1]):
        shown = " ".join(f"{text.format_number(metrics[c], lang):>9}" if c in metrics
                         else f"{'-':>9}" for c in _QUEUE_COLUMNS)
        is_open = words.get(metrics.get(QueueMetricId.OPEN, -1), "?")
        lines.append(f"  {name[:24]:<24} {is_open:>5} {shown}  "
                     f"{duration_ago(now_ms, ages[(qid, name)], lang)}")
    return lines
