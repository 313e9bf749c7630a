"""The demo's history: the last 30 days filled from the simulator's model at first start.

A newcomer should see every range, chart, daily figure, backtest and CSV with data at
once, not "points per series: 1". The model (``simulator.queue_history``) gives the queue
states the simulated Trio API would have served; they are read by the collector's own
record parser (``collectors.trio_records.parse_queues``) into the same series keys the
collector makes, stored by the collector's write function for samples from another time
(``Store.write_late_samples``: samples only, no facts or ``current``, which the live
collector writes from its first poll on), and rolled up by the same ``RollupStore``
steps the collector's rollup job takes. The collector then continues from the
watermarks, and its retention job thins the raw samples older than its ``raw_days``.

Samples are every 5 minutes older than a day (the 7-day and 30-day charts, the daily
figures and the 1-hour rollups need no more) and every minute over the last day (the
8-hour and 24-hour charts are drawn from 1-minute rollups). 30 days of 12 queues are
about 1.2 million samples; the demo prints how long it took.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

import simulator
from collectors.drift import drift_samples, parse_drift_document
from collectors.trio_records import ParseReport, parse_queues
from specs.health import HealthState
from specs.metrics import QUEUE_UNITS
from storage import (
    EventTuple,
    PollWrite,
    Resolution,
    RollupStore,
    Sample,
    SeriesKey,
    SourceFacts,
    Store,
)

log = logging.getLogger(__name__)

HISTORY_DAYS = 30
DAY_S = 86_400
OLD_STEP_S = 300.0  # older than RECENT_S: a sample every 5 minutes
RECENT_S = DAY_S
RECENT_STEP_S = 60.0  # over the last day: every minute
POLLS_PER_WRITE = 100  # moments per write transaction (12 queues: ~12,000 samples)
MINUTE_MS = 60_000
# The drift and health history the pages show: /drift's events and durations and
# /health's uptime reach back a week, their charts a day. Older drift is not backfilled.
FLEET_DAYS = 7
# Share of the progress the history takes; the rollups take the rest.
_WRITE_SHARE = 0.85

Progress = Callable[[float], None]  # fraction done, 0.0 .. 1.0


@dataclass(frozen=True, slots=True)
class BackfillReport:
    moments: int  # simulated polls
    samples: int
    minutes: int  # 1-minute rollup rows written
    hours: int  # 1-hour rollup rows written
    from_ms: int
    to_ms: int  # the last moment filled
    seconds: float  # wall time taken


def has_history(engine: Engine, source: str) -> bool:
    """Whether the source has any series stored: then the demo fills nothing."""
    return bool(Store(engine).series(source))


def fill_history(
    engine: Engine,
    model: simulator.ContactCenter,
    *,
    source: str,
    queue_fields: dict[str, str],
    from_s: float,
    clock: Callable[[], float] = time.time,
    steps: Sequence[tuple[float, float]] | None = None,
    progress: Progress | None = None,
) -> BackfillReport:
    """Store the model's queue states from ``from_s`` up to ``clock()`` as samples of
    ``source``, then roll them up; the model is left advanced to the last moment.

    ``steps``: ``(from_t, step_s)`` pairs (default: 5 minutes, then 1 minute over the
    last day). Raises ``StorageUnavailable`` if the database fails; what was written
    stays (a rerun of the demo then finds history and fills nothing more)."""
    started = time.perf_counter()
    end_guess = clock()
    if steps is None:
        steps = ((from_s, OLD_STEP_S), (max(from_s, end_guess - RECENT_S), RECENT_STEP_S))
    store = Store(engine)
    keys: dict[tuple[str, str], SeriesKey] = {}
    pending: list[Sample] = []
    moments = samples = 0
    first_ms = last_ms = int(from_s * 1000)
    report = ParseReport()
    span = max(1.0, end_guess - from_s)
    for t, items in simulator.queue_history(model, steps, clock):
        ts_ms = int(t * 1000)
        if not moments:
            first_ms = ts_ms
        pending.extend(_samples(items, queue_fields, source, ts_ms, keys, report))
        moments += 1
        last_ms = ts_ms
        if moments % POLLS_PER_WRITE == 0:
            samples += store.write_late_samples(pending, now_ms=ts_ms)
            pending.clear()
            if progress is not None:
                progress(_WRITE_SHARE * min(1.0, (t - from_s) / span))
    if pending:
        samples += store.write_late_samples(pending, now_ms=last_ms)
    if report.refused or report.skipped:
        log.warning("demo history: the model's records were refused or skipped: %s %s",
                    dict(report.refused), dict(report.skipped))
    minutes, hours = _roll_up(engine, last_ms, progress)
    took = time.perf_counter() - started
    log.info("demo history filled: %d moments, %d samples, %d minute and %d hour rollups "
             "in %.1f s", moments, samples, minutes, hours, took)
    return BackfillReport(moments, samples, minutes, hours, first_ms, last_ms, took)


@dataclass(frozen=True, slots=True)
class FleetReport:
    moments: int  # simulated polls of every reconciler and worker
    samples: int
    drifts: int  # drift spells that began (each a drift event "started")
    seconds: float  # wall time taken


# The first state of a backfilled source, with the reason the collectors give (rsn_polled).
_FIRST_STATE = "polled successfully"


def fill_fleet_history(
    engine: Engine,
    fleet: simulator.Fleet,
    *,
    from_s: float,
    clock: Callable[[], float] = time.time,
    steps: Sequence[tuple[float, float]] | None = None,
) -> FleetReport:
    """Store what the fleet's reconcilers and workers served from ``from_s`` (by default
    at most ``FLEET_DAYS`` ago: what the pages show) up to ``clock()`` as the drift and
    health collectors store their polls: each reconciler's
    drift document read by the collector's parser (``parse_drift_document``) into its
    samples (``drift_samples``) and its set of drifting resources, whose changes
    ``Store.write_batches`` turns into drift events as for live polls; each source's
    facts, and one "state" event when it is first seen up (the uptime's start). A
    worker's history is that state: its check's latency is a measurement of a real
    request the model cannot give, so the live collector draws that chart from its
    first check on. The fleet is left advanced to the last moment: serve it on.

    Raises ``StorageUnavailable`` if the database fails; what was written stays."""
    started = time.perf_counter()
    end_guess = clock()
    if steps is None:
        from_s = max(from_s, end_guess - FLEET_DAYS * DAY_S)
        steps = ((from_s, OLD_STEP_S), (max(from_s, end_guess - RECENT_S), RECENT_STEP_S))
    store = Store(engine)
    providers: dict[str, set[str]] = {}
    drifting: dict[str, set[tuple[str, str]]] = {}
    pending: list[PollWrite] = []
    moments = samples = drifts = 0
    first_ms = last_ms = int(from_s * 1000)
    for moment in simulator.fleet_history(fleet, steps, clock, from_s):
        ts_ms = int(moment.t * 1000)
        if not moments:
            first_ms = ts_ms
        changed: list[PollWrite] = []
        for name, document in moment.reconcilers.items():
            report = parse_drift_document(document, f"simulator:{name}")
            seen = providers.setdefault(name, set())
            seen.update(report.counts)
            counts = {provider: report.counts.get(provider, 0) for provider in seen}
            write = _fleet_write(f"drift:{name}", "drift", ts_ms, first_ms,
                                 drift_samples(name, report.worker, counts, ts_ms))
            # As the store diffs the drifting set: by resource and field.
            now = {(item.resource_id, item.field) for item in report.items or []}
            if now == drifting.get(name) and moments:
                pending.append(write)  # the set unchanged: the store leaves it alone
                continue
            drifts += len(now - drifting.get(name, set()))
            drifting[name] = now
            changed.append(PollWrite(write.source, write.samples, None, write.facts,
                                     write.events, drift=report.items))
        pending.extend(
            _fleet_write(f"health:{name}", "health", ts_ms, first_ms, [])
            for name, answer in moment.workers.items()
            if answer.status == 200 and answer.payload.get("status") == "ok")
        moments += 1
        last_ms = ts_ms
        if changed:
            # A drift that began or ended is stamped with the transaction's time (the
            # poll's, live): the moment's polls alone, at their own time.
            samples += _write(store, [*pending, *changed], ts_ms)
            pending.clear()
        elif moments % POLLS_PER_WRITE == 0:
            samples += _write(store, pending, ts_ms)
            pending.clear()
    if pending:
        samples += _write(store, pending, last_ms)
    took = time.perf_counter() - started
    log.info("demo drift and health history filled: %d moments, %d samples, %d drift "
             "spells in %.1f s", moments, samples, drifts, took)
    return FleetReport(moments, samples, drifts, took)


def _write(store: Store, writes: list[PollWrite], now_ms: int) -> int:
    store.write_batches(writes, lease_name=None, lease_token=None, now_ms=now_ms)
    return sum(len(write.samples) for write in writes)


def _fleet_write(source: str, kind: str, ts_ms: int, first_ms: int,
                 samples: list[Sample]) -> PollWrite:
    """One successful poll of a fleet source at ``ts_ms``, as the collector writes it:
    up since ``first_ms``, said by a "state" event at the first poll."""
    up = HealthState.UP.value
    events: list[EventTuple] = ([(ts_ms, "state", _FIRST_STATE, None, up)]
                                if ts_ms == first_ms else [])
    facts = SourceFacts(name=source, kind=kind, url=f"simulator:{source}",
                        last_poll_at_ms=ts_ms, last_success_at_ms=ts_ms, state=up,
                        state_reason=_FIRST_STATE, state_since_ms=first_ms)
    return PollWrite(source, samples, None, facts, events)


def _samples(
    items: Sequence[dict[str, Any]], fields: dict[str, str], source: str, ts_ms: int,
    keys: dict[tuple[str, str], SeriesKey], report: ParseReport,
) -> list[Sample]:
    """The samples the Trio collector makes of one services/state answer (the same keys
    as ``collectors.trio.TrioSource``, names as the records carry them)."""
    out: list[Sample] = []
    for record in parse_queues(list(items), fields, report):
        name = record.name or record.queue_id
        for metric, value in record.metrics.items():
            key = keys.get((record.queue_id, metric))
            if key is None or key.entity_name != name:
                key = keys[record.queue_id, metric] = SeriesKey(
                    source=source, entity_kind="queue", entity_id=record.queue_id,
                    metric=metric, unit=QUEUE_UNITS[metric], entity_name=name)
            out.append(Sample(key, ts_ms, value))
    return out


def _roll_up(engine: Engine, last_ms: int, progress: Progress | None) -> tuple[int, int]:
    """1-minute rollups of every closed minute before the last moment's (the live
    collector's first polls may still fall into that one), then 1-hour rollups of every
    hour those close; the collector's rollup job goes on from these watermarks."""
    # No collector runs yet: large steps and transactions, no poll waits behind them.
    rollups = RollupStore(engine, read_rows=200_000, write_rows=50_000)
    written = {Resolution.MINUTE: 0, Resolution.HOUR: 0}
    cutoff = last_ms - last_ms % MINUTE_MS
    first_watermark: int | None = None
    for resolution in (Resolution.MINUTE, Resolution.HOUR):
        while True:
            step = rollups.roll_step(resolution, cutoff, lease_name=None, lease_token=None,
                                     now_ms=last_ms)
            written[resolution] += step.buckets
            if first_watermark is None:
                first_watermark = step.watermark_ms
            if progress is not None and step.watermark_ms is not None and first_watermark:
                done = (step.watermark_ms - first_watermark) / max(1, cutoff - first_watermark)
                part = 0.9 if resolution is Resolution.MINUTE else 0.1
                base = 0.0 if resolution is Resolution.MINUTE else 0.9
                progress(_WRITE_SHARE + (1 - _WRITE_SHARE) * (base + part * min(1.0, done)))
            if step.done:
                break
        minute = rollups.state().get(Resolution.MINUTE)
        cutoff = minute.watermark_ms if minute and minute.watermark_ms else cutoff
        first_watermark = None
    if progress is not None:
        progress(1.0)
    return written[Resolution.MINUTE], written[Resolution.HOUR]
