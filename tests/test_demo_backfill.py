"""The demo's history: filled from the simulator's model through the collector's write
path and the rollups, so that /queues has points at once, and from its fleet, so that
/drift and /health have drift spells and uptime at once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Select, Table, func, select
from sqlalchemy.engine import Engine

import simulator
from dashboard import DashboardConfig
from dashboard.historymodel import CHART_METRICS, PRESETS, HistoryModel
from dashboard.opsmodel import OpsModel
from storage import DriftStore, Resolution, RollupStore, Store
from storage._schema import rollup_1h, rollup_1m, samples
from trio_monitor.demo_history import (
    BackfillReport,
    FleetReport,
    fill_fleet_history,
    fill_history,
    has_history,
)
from trio_monitor.settings import DEFAULT_QUEUE_FIELDS

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 3, 4, 7, 0, tzinfo=STOCKHOLM).timestamp()  # a morning
END = START + 2 * 3600.0
QUEUES = 3
METRICS = 10  # the Trio collector's queue metrics (specs.metrics)


def _fill(
    engine: Engine, progress: list[float] | None = None
) -> tuple[simulator.ContactCenter, BackfillReport]:
    model = simulator.build_contact_center(
        queues=QUEUES, agents=12, seed=4, now=START,
        behaviour=simulator.Behaviour(surges=simulator.Surges(origin=START)))
    report = fill_history(
        engine, model, source="trio", queue_fields=dict(DEFAULT_QUEUE_FIELDS),
        from_s=START, clock=lambda: END, steps=((START, 300.0), (END - 3600.0, 60.0)),
        progress=None if progress is None else progress.append)
    # 12 moments 5 minutes apart, then 61 one minute apart, up to and including END;
    # a queue's service level is left out until it has answered a call (None).
    assert report.moments == 12 + 61
    assert 0.95 * 73 * QUEUES * METRICS < report.samples <= 73 * QUEUES * METRICS
    assert (report.from_ms, report.to_ms) == (START * 1000, END * 1000)
    return model, report


def _count(engine: Engine, stmt: Select[Any]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _rows(table: Table) -> Select[Any]:
    return select(func.count()).select_from(table)


def test_it_stores_two_hours_of_the_model_as_the_collector_would(engine: Engine) -> None:
    assert not has_history(engine, "trio")
    model, report = _fill(engine)
    assert has_history(engine, "trio")
    assert model.now == END  # the simulator serves on from the last moment
    store = Store(engine)
    series = store.series("trio")
    assert len(series) == QUEUES * METRICS
    assert {row.key.entity_kind for row in series} == {"queue"}
    assert "Kundtjänst" in {row.key.entity_name for row in series}
    assert _count(engine, _rows(samples)) == report.samples
    # Samples only: the live collector writes current and the source's facts.
    assert store.sources() == []


def test_it_rolls_up_every_closed_minute_and_hour(engine: Engine) -> None:
    _fill(engine)
    state = RollupStore(engine).state()
    # Up to the last moment's minute (the live collector's first polls fall into it).
    assert state[Resolution.MINUTE].watermark_ms == END * 1000
    assert state[Resolution.HOUR].watermark_ms == END * 1000
    # One minute row per sample before END (one moment per minute at most); a row per
    # series and hour for 07:00 and 08:00.
    end_ms = int(END * 1000)
    before_end = _rows(samples).where(samples.c.ts < end_ms)
    assert _count(engine, _rows(rollup_1m)) == _count(engine, before_end)
    with engine.connect() as conn:
        stored = conn.execute(select(samples.c.series_id, samples.c.ts)
                              .where(samples.c.ts < end_ms)).all()
    assert _count(engine, _rows(rollup_1h)) == len({(sid, ts // 3_600_000)
                                                    for sid, ts in stored})


def test_it_gives_every_chart_of_a_queue_points(engine: Engine) -> None:
    _fill(engine)
    model = HistoryModel(engine, DashboardConfig(poll_interval_s=2.0), lambda: END)
    queue = model.queue("100")
    assert queue is not None and queue.name == "Kundtjänst"
    for preset, span_ms in PRESETS.items():
        charts = model.charts(queue, int(END * 1000) - span_ms, int(END * 1000))
        points = charts.history.points
        assert len(points) == len(CHART_METRICS)
        shortest = min(len(p) for p in points.values())
        assert shortest >= (2 if preset in ("7d", "30d") else 12), (preset, shortest)
    (day,) = model.daily(queue)
    assert day.answered and day.answered > 0 and day.max_wait_s is not None


def test_it_reports_progress_up_to_the_whole(engine: Engine) -> None:
    seen: list[float] = []
    _fill(engine, seen)
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0.0 < seen[0] < 1.0


# -- the fleet: reconcilers' drift and workers' health ---------------------------------------

DAYS2 = START + 2 * 86_400.0


def _fill_fleet(engine: Engine) -> tuple[simulator.Fleet, FleetReport]:
    fleet = simulator.build_fleet(seed=4, start=START)
    report = fill_fleet_history(engine, fleet, from_s=START, clock=lambda: DAYS2,
                                steps=((START, 300.0), (DAYS2 - 3600.0, 60.0)))
    # Two days 5 minutes apart up to the last hour, then every minute, END included.
    assert report.moments == 23 * 12 + 24 * 12 + 61
    return fleet, report


def test_it_stores_the_reconcilers_drift_as_the_collector_would(engine: Engine) -> None:
    fleet, report = _fill_fleet(engine)
    drift = DriftStore(engine)
    started = [e for e in drift.events(since_ms=0, limit=10_000) if e.event == "started"]
    reconciled = drift.durations(since_ms=0)
    # Drift comes and goes (spells of 2 to 20 minutes, about 40 minutes apart, on 12
    # resources): many spells began and most ended, each event from a stored poll.
    assert report.drifts == len(started) > 50 and len(reconciled) > 40
    # Spells seen through 5-minute polls: the middle one is of the model's lengths.
    assert 2 * 60_000 <= sorted(reconciled)[len(reconciled) // 2] <= 20 * 60_000
    # What drifts at the last moment is what the fleet, served on, reports now.
    served = {(d.resource_id, d.field) for d in fleet.reconcilers["reconciler-1"].drift(DAYS2)}
    assert {(row.resource_id, row.field) for row in drift.current()} == served
    series = Store(engine).series("drift:reconciler-1")
    assert {row.key.metric for row in series} >= {"drift_count", "healthy",
                                                   "cycle_duration_s", "last_success_ts"}
    assert report.samples == _count(engine, _rows(samples))


def test_it_gives_the_drift_and_health_pages_a_history(engine: Engine) -> None:
    _fill_fleet(engine)
    ops = OpsModel(engine, ttl_s=0, clock=lambda: DAYS2)
    snapshot = ops.snapshot()
    assert snapshot.db_error is None
    assert snapshot.drift_events and snapshot.durations_ms
    [(provider_line, points)] = list(snapshot.drift_counts.items())[:1]
    assert len(points) >= 24 * 12 // 2, provider_line  # a day of counts on the chart
    # Every worker and the reconciler up since the first moment: a whole day's uptime,
    # from the one state event the collector writes when it first sees a source up.
    names = {f"health:worker-{i}" for i in range(1, 5)} | {"drift:reconciler-1"}
    assert {s.name for s in snapshot.sources} == names
    for name in names:
        assert snapshot.history[name].uptime_24h == 1.0, name
        before, events = Store(engine).state_events(name, 0)
        assert (before, events) == (None, [(int(START * 1000), "up")])


def test_the_simulator_serves_the_fleet_on_from_its_history(engine: Engine) -> None:
    """The live simulator continues the backfilled drift: what the collector's first
    poll reads is what the history's last moment stored, no spell cut at the seam."""
    fleet, _ = _fill_fleet(engine)
    stored = {(row.resource_id, row.field) for row in DriftStore(engine).current()}
    config = simulator.SimulatorConfig(fleet=fleet, clock=lambda: DAYS2)
    with simulator.run_in_thread(config) as sim:
        body = httpx.get(sim.reconciler_url("reconciler-1", "json"), timeout=10.0).json()
    assert {(d["resource_id"], d["field"]) for d in body["drift"]} == stored
