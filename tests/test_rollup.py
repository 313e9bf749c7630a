"""Rollups (1 minute, 1 hour), late samples, retention: storage steps and the lease jobs."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from collectors.rollup import RetentionJob, RollupConfig, RollupJob, lease_jobs
from collectors.runner import LEASE_NAME
from storage import (
    AlertStore,
    LeaseLost,
    PollWrite,
    Resolution,
    RollupStore,
    Sample,
    SeriesKey,
    SourceFacts,
    Store,
    UserStore,
)
from storage._schema import rollup_1h, rollup_1m, rollup_state, samples
from trio_monitor import wiring
from trio_monitor.settings import ConfigError, load_settings

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % DAY  # a UTC midnight
KEYS = [SeriesKey("trio", "queue", str(q), "calls_waiting", "calls", f"Kö {q}") for q in (1, 2, 3)]
FACTS = SourceFacts(name="trio", kind="trio", url="http://te.example/api")
NO_FENCE: dict[str, None] = {"lease_name": None, "lease_token": None}

Row = tuple[int, int, float]  # series index, ts, value
Agg = tuple[float, float, float, int, float, int]  # min, max, sum, count, last, last_ts


def write(store: Store, rows: Iterable[Row]) -> None:
    samples_ = [Sample(KEYS[k], ts, value) for k, ts, value in rows]
    store.write_poll(PollWrite("trio", samples_, None, FACTS), lease_name=None,
                     lease_token=None, now_ms=T0)


def ids(store: Store) -> dict[int, int]:
    """Series index -> series id."""
    by_key = {row.key.natural: row.id for row in store.series()}
    return {k: by_key[key.natural] for k, key in enumerate(KEYS) if key.natural in by_key}


def naive(rows: Iterable[Row], bucket_ms: int, below: int) -> dict[tuple[int, int], Agg]:
    out: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for k, ts, value in rows:
        if ts < below:
            out.setdefault((k, ts - ts % bucket_ms), []).append((ts, value))
    result = {}
    for key, points in out.items():
        values = [v for _, v in points]
        last_ts, last = max(points)
        result[key] = (min(values), max(values), sum(values), len(values), last, last_ts)
    return result


def stored(engine: Engine, table, store: Store) -> dict[tuple[int, int], Agg]:  # type: ignore[no-untyped-def]
    index = {sid: k for k, sid in ids(store).items()}
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.series_id, table.c.ts, table.c.min, table.c.max,
                                   table.c.sum, table.c.count, table.c.last, table.c.last_ts))
        return {(index[r[0]], r[1]): (r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows}


def assert_same(actual: dict[tuple[int, int], Agg], expected: dict[tuple[int, int], Agg]) -> None:
    assert actual.keys() == expected.keys()
    for key, (mn, mx, total, count, last, last_ts) in expected.items():
        got = actual[key]
        assert (got[0], got[1], got[3], got[4], got[5]) == (mn, mx, count, last, last_ts), key
        assert got[2] == pytest.approx(total, rel=1e-9, abs=1e-6), key


def roll_all(rollups: RollupStore, cutoff: int, now_ms: int | None = None) -> None:
    for resolution in (Resolution.MINUTE, Resolution.HOUR):
        limit = cutoff if resolution is Resolution.MINUTE else _watermark(rollups)
        for _ in range(10_000):
            if rollups.roll_step(resolution, limit, now_ms=now_ms or cutoff, **NO_FENCE).done:
                break


def _watermark(rollups: RollupStore, resolution: Resolution = Resolution.MINUTE) -> int:
    state = rollups.state()[resolution]
    assert state.watermark_ms is not None
    return state.watermark_ms


def count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (samples, rollup_1m, rollup_1h, rollup_state):
            conn.execute(delete(table))


# -- correctness against the raw data ------------------------------------------------------

rows_strategy = st.lists(
    st.tuples(st.integers(0, 2), st.integers(T0, T0 + 3 * HOUR),
              st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    min_size=1, max_size=120, unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, read_rows=st.sampled_from([1, 7, 50_000]),
       write_rows=st.sampled_from([1, 3, 2_000]))
def test_it_rolls_up_exactly_what_a_naive_computation_gives(
    engine: Engine, store: Store, rows: list[Row], read_rows: int, write_rows: int
) -> None:
    reset(engine)
    write(store, rows)
    cutoff = T0 + 2 * HOUR + 17 * MIN + 5_000

    roll_all(RollupStore(engine, read_rows=read_rows, write_rows=write_rows), cutoff)

    minutes_below = cutoff - cutoff % MIN
    assert_same(stored(engine, rollup_1m, store), naive(rows, MIN, minutes_below))
    hours_below = minutes_below - minutes_below % HOUR
    assert_same(stored(engine, rollup_1h, store), naive(rows, HOUR, hours_below))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, stops=st.lists(st.integers(0, 4 * HOUR), min_size=1, max_size=6))
def test_it_gives_the_same_rollups_run_by_run_as_in_one_run(
    engine: Engine, store: Store, rows: list[Row], stops: list[int]
) -> None:
    """Samples arrive as time passes (each at its own time); runs happen in between."""
    reset(engine)
    rollups = RollupStore(engine, read_rows=40)
    written = 0
    ordered = sorted(rows, key=lambda r: r[1])
    for now in sorted(T0 + s for s in stops) + [T0 + 4 * HOUR]:
        due = [r for r in ordered[written:] if r[1] <= now]
        write(store, due) if due else None
        written += len(due)
        roll_all(rollups, now)
    incremental = (stored(engine, rollup_1m, store), stored(engine, rollup_1h, store))
    with engine.begin() as conn:
        for table in (rollup_1m, rollup_1h, rollup_state):
            conn.execute(delete(table))

    roll_all(RollupStore(engine), T0 + 4 * HOUR)

    assert_same(incremental[0], stored(engine, rollup_1m, store))
    assert_same(incremental[1], stored(engine, rollup_1h, store))


def test_it_leaves_minutes_within_the_grace_period_alone(engine: Engine, store: Store) -> None:
    write(store, [(0, T0 + 10_000, 1.0), (0, T0 + MIN + 10_000, 2.0)])
    rollups = RollupStore(engine)

    roll_all(rollups, T0 + MIN + 59_999)  # the second minute is still open

    assert list(stored(engine, rollup_1m, store)) == [(0, T0)]
    assert _watermark(rollups) == T0 + MIN


def test_it_places_the_first_watermark_at_the_oldest_sample(engine: Engine, store: Store) -> None:
    write(store, [(1, T0 + 5 * MIN + 1, 1.0), (2, T0 + 7 * MIN, 1.0)])
    rollups = RollupStore(engine)

    first = rollups.roll_step(Resolution.MINUTE, T0 + HOUR, now_ms=T0 + HOUR, **NO_FENCE)

    assert (first.watermark_ms, first.buckets, first.done) == (T0 + 5 * MIN, 0, False)


def test_it_starts_at_the_cutoff_on_an_empty_database(engine: Engine) -> None:
    rollups = RollupStore(engine)

    first = rollups.roll_step(Resolution.MINUTE, T0 + 90_000, now_ms=T0, **NO_FENCE)

    assert (first.watermark_ms, first.done) == (T0 + MIN, True)


# -- late samples --------------------------------------------------------------------------


def test_it_re_rolls_minutes_and_hours_that_late_samples_touched(
    engine: Engine, store: Store
) -> None:
    rows: list[Row] = [(0, T0 + i * 5_000, float(i)) for i in range(0, 2 * 720)]  # 2 h
    write(store, rows)
    rollups = RollupStore(engine)
    roll_all(rollups, T0 + 2 * HOUR)
    late: list[Row] = [(0, T0 + HOUR - 2_500, 1000.0), (1, T0 + HOUR + 30 * MIN + 1, -5.0)]
    write(store, late)  # a buffer flushed after an outage

    result = rollups.recheck(T0, now_ms=T0 + 2 * HOUR, **NO_FENCE)

    assert (result.minutes, result.hours) == (2, 2)
    assert_same(stored(engine, rollup_1m, store), naive(rows + late, MIN, T0 + 2 * HOUR))
    assert_same(stored(engine, rollup_1h, store), naive(rows + late, HOUR, T0 + 2 * HOUR))
    assert rollups.recheck(T0, now_ms=T0 + 2 * HOUR, **NO_FENCE).minutes == 0


def test_a_recheck_reads_a_few_series_at_a_time_and_finds_late_samples_in_each(
    engine: Engine, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It runs every interval: what one read holds must not grow with the number of series.
    import storage._rollup as rollup_module

    rows: list[Row] = [(k, T0 + i * 5_000, float(i)) for k in range(3) for i in range(720)]
    write(store, rows)
    rollups = RollupStore(engine, recheck_rows=1)
    roll_all(rollups, T0 + HOUR)
    late: list[Row] = [(k, T0 + 10 * MIN + 2_500, 100.0 + k) for k in range(3)]
    write(store, late)
    read: list[int] = []  # series per read of raw samples
    aggregate = rollup_module.aggregate

    def counted(conn, source, ids, *args, **kwargs):  # type: ignore[no-untyped-def]
        if source is Resolution.RAW:
            read.append(len(ids))
        return aggregate(conn, source, ids, *args, **kwargs)

    monkeypatch.setattr(rollup_module, "aggregate", counted)

    result = rollups.recheck(T0, now_ms=T0 + HOUR, **NO_FENCE)

    assert result.minutes == 3
    assert read == [1, 1, 1]
    assert_same(stored(engine, rollup_1m, store), naive(rows + late, MIN, T0 + HOUR))


def test_it_looks_for_late_samples_only_as_far_back_as_asked(
    engine: Engine, store: Store
) -> None:
    write(store, [(0, T0 + 5_000, 1.0), (0, T0 + 30 * MIN, 1.0)])
    rollups = RollupStore(engine)
    roll_all(rollups, T0 + HOUR)
    write(store, [(0, T0 + 6_000, 9.0)])

    assert rollups.recheck(T0 + 10 * MIN, now_ms=T0 + HOUR, **NO_FENCE).minutes == 0
    assert rollups.recheck(T0, now_ms=T0 + HOUR, **NO_FENCE).minutes == 1


def test_the_job_rolls_a_buffered_flush_written_after_an_outage(
    engine: Engine, store: Store
) -> None:
    clock = ManualClock(start=(T0 + 10 * MIN) / 1000)
    job = RollupJob(engine, RollupConfig(grace_s=120, recheck_s=600 + 60 + 120),
                    clock)
    write(store, [(0, T0 + s * 1000, 1.0) for s in range(0, 600, 5)])
    job.run_once(None)
    # The database was away for 9 minutes; the buffered polls arrive at once.
    outage = [(0, T0 + s * 1000, 2.0) for s in range(600, 1140, 5)]
    clock.advance(9 * 60)
    job.run_once(None)  # rolls up to 17 min while the buffer is still in memory
    write(store, outage)
    clock.advance(60)

    report = job.run_once(None)

    # Minutes 10-16 were rolled up empty and are re-rolled; 17 is rolled up for the first time.
    assert report is not None and (report.late_minutes, report.minutes) == (7, 1)
    expected = naive([(0, T0 + s * 1000, 1.0) for s in range(0, 600, 5)] + outage, MIN,
                     T0 + 18 * MIN)
    assert_same(stored(engine, rollup_1m, store), expected)


def test_runs_with_a_tiny_budget_catch_up_step_by_step_to_the_same_result(
    engine: Engine, store: Store
) -> None:
    rows: list[Row] = [(k, T0 + i * 5_000, float((i * 7 + k) % 13)) for k in range(3)
                       for i in range(0, 3 * 720)]  # 3 hours
    write(store, rows)
    clock = ManualClock(start=(T0 + 3 * HOUR + 5 * MIN) / 1000)
    job = RollupJob(engine, RollupConfig(budget_s=0.0), clock)
    job.store = RollupStore(engine, read_rows=500, write_rows=50)  # small steps
    reports = []

    for _ in range(200):
        report = job.run_once(None)
        assert report is not None
        reports.append(report)
        if not report.behind:
            break

    assert len(reports) > 10 and all(r.behind for r in reports[:-1])
    assert_same(stored(engine, rollup_1m, store), naive(rows, MIN, T0 + 3 * HOUR + 3 * MIN))
    assert_same(stored(engine, rollup_1h, store), naive(rows, HOUR, T0 + 3 * HOUR))


# -- fencing --------------------------------------------------------------------------------


def test_it_writes_nothing_with_a_lost_lease(engine: Engine, store: Store) -> None:
    write(store, [(0, T0 + 1_000, 1.0)])
    token = store.acquire_lease(LEASE_NAME, "a", 10_000, now_ms=T0)
    assert token == 1
    rollups = RollupStore(engine)
    rollups.roll_step(Resolution.MINUTE, T0 + HOUR, lease_name=LEASE_NAME, lease_token=1,
                      now_ms=T0 + 1_000)
    store.acquire_lease(LEASE_NAME, "b", 10_000, now_ms=T0 + 20_000)  # b takes over: token 2

    with pytest.raises(LeaseLost):
        rollups.roll_step(Resolution.MINUTE, T0 + HOUR, lease_name=LEASE_NAME, lease_token=1,
                          now_ms=T0 + 21_000)

    assert count(engine, rollup_1m) == 0


def test_retention_writes_nothing_with_a_lost_lease(engine: Engine, store: Store) -> None:
    write(store, [(0, T0 + i * MIN, 1.0) for i in range(10)])
    roll_all(RollupStore(engine), T0 + HOUR)
    store.acquire_lease(LEASE_NAME, "a", 10_000, now_ms=T0)
    store.acquire_lease(LEASE_NAME, "b", 10_000, now_ms=T0 + 20_000)

    with pytest.raises(LeaseLost):
        RollupStore(engine).retention_step(Resolution.RAW, T0 + HOUR, batch_rows=100,
                                           lease_name=LEASE_NAME, lease_token=1,
                                           now_ms=T0 + 21_000)

    assert count(engine, samples) == 10
    assert Resolution.RAW not in RollupStore(engine).state()


async def test_the_lease_jobs_run_with_the_token_they_are_given(
    engine: Engine, store: Store
) -> None:
    clock = ManualClock(start=(T0 + 2 * HOUR + 5 * MIN) / 1000)
    write(store, [(0, T0 + 1_000, 1.0), (0, T0 + HOUR + 1_000, 2.0)])
    token = store.acquire_lease(LEASE_NAME, "a", 60_000, now_ms=T0 + 2 * HOUR + 5 * MIN)
    assert token is not None
    rollup, retention = lease_jobs(engine, RollupConfig(interval_s=30), clock)
    assert (rollup.name, retention.name, rollup.every_s) == ("rollup", "retention", 30)

    await rollup.run(token)
    await retention.run(token)

    assert count(engine, rollup_1m) == 2 and count(engine, rollup_1h) == 2
    assert rollup.aclose is not None
    await rollup.aclose()


async def test_a_run_is_skipped_while_the_previous_one_is_busy(engine: Engine) -> None:
    job = RollupJob(engine, RollupConfig(), ManualClock())
    with job._busy:
        assert await asyncio.to_thread(job.run_once, None) is None


# -- retention ------------------------------------------------------------------------------


def test_it_never_deletes_raw_samples_that_are_not_rolled_up(
    engine: Engine, store: Store
) -> None:
    write(store, [(0, T0 + i * MIN, 1.0) for i in range(10)])
    rollups = RollupStore(engine)

    before_any = rollups.retention_step(Resolution.RAW, T0 + DAY, batch_rows=100,
                                        now_ms=T0 + DAY, **NO_FENCE)
    roll_all(rollups, T0 + 4 * MIN + 1)
    after_some = rollups.retention_step(Resolution.RAW, T0 + DAY, batch_rows=100,
                                        now_ms=T0 + DAY, **NO_FENCE)

    assert (before_any.deleted, before_any.done) == (0, True)
    assert (after_some.deleted, after_some.before_ms) == (4, T0 + 4 * MIN)
    assert count(engine, samples) == 6
    assert rollups.state()[Resolution.RAW].retained_from_ms == T0 + 4 * MIN


def test_it_keeps_minutes_until_their_hour_is_rolled_up(engine: Engine, store: Store) -> None:
    write(store, [(0, T0 + i * MIN, 1.0) for i in range(90)])
    rollups = RollupStore(engine)
    roll_all(rollups, T0 + 90 * MIN)

    result = rollups.retention_step(Resolution.MINUTE, T0 + DAY, batch_rows=1000,
                                    now_ms=T0 + DAY, **NO_FENCE)

    assert (result.deleted, result.before_ms) == (60, T0 + HOUR)
    assert count(engine, rollup_1m) == 30


def test_it_deletes_in_batches_of_at_most_batch_rows(engine: Engine, store: Store) -> None:
    rows = [(k, T0 + i * 5_000, 1.0) for k in range(3) for i in range(100)]
    write(store, rows)
    rollups = RollupStore(engine)
    roll_all(rollups, T0 + HOUR)
    deleted = []

    for _ in range(100):
        result = rollups.retention_step(Resolution.RAW, T0 + 8 * MIN + 20_000, batch_rows=40,
                                        now_ms=T0 + HOUR, **NO_FENCE)
        deleted.append(result.deleted)
        if result.done:
            break

    assert max(deleted) <= 40 and sum(deleted) == 3 * 96  # below 8 min: 96 per series
    assert count(engine, samples) == 3 * 4


def test_it_deletes_old_rollups_per_resolution(engine: Engine, store: Store) -> None:
    write(store, [(0, T0 + i * HOUR, 1.0) for i in range(30)])
    rollups = RollupStore(engine)
    roll_all(rollups, T0 + 30 * HOUR)

    rollups.retention_step(Resolution.HOUR, T0 + 10 * HOUR + 1, batch_rows=1000,
                           now_ms=T0 + 30 * HOUR, **NO_FENCE)
    rollups.retention_step(Resolution.MINUTE, T0 + 20 * HOUR, batch_rows=1000,
                           now_ms=T0 + 30 * HOUR, **NO_FENCE)

    assert count(engine, rollup_1h) == 20 and count(engine, rollup_1m) == 10
    state = rollups.state()
    assert state[Resolution.HOUR].retained_from_ms == T0 + 10 * HOUR
    assert state[Resolution.MINUTE].retained_from_ms == T0 + 20 * HOUR


def test_the_retention_job_keeps_each_resolution_for_its_days(
    engine: Engine, store: Store
) -> None:
    now = T0 + 100 * DAY
    write(store, [(0, now - d * DAY, 1.0) for d in (1, 3, 5, 80, 95, 400, 800)])
    config = RollupConfig(raw_days=2, minute_days=90, hour_days=730, batch_rows=2,
                          login_failures_keep_s=1800)
    clock = ManualClock(start=now / 1000)
    RollupJob(engine, config, clock).run_once(None)
    users = UserStore(engine)
    users.record_failure("eve", "10.0.0.1", now - 3_600_000)
    users.record_failure("eve", "10.0.0.1", now - 60_000)

    report = RetentionJob(engine, config, clock).run_once(None)

    assert report is not None and not report.behind
    with engine.connect() as conn:
        raw = sorted(conn.execute(select(samples.c.ts)).scalars())
        minutes = sorted(conn.execute(select(rollup_1m.c.ts)).scalars())
        hours = sorted(conn.execute(select(rollup_1h.c.ts)).scalars())
    assert raw == [now - DAY]
    assert minutes == [now - d * DAY for d in (80, 5, 3, 1)]
    assert hours == [now - d * DAY for d in (400, 95, 80, 5, 3, 1)]
    assert users.failures_for_username("eve", 0).count == 1


def test_it_rejects_a_batch_size_below_one(engine: Engine) -> None:
    with pytest.raises(ValueError, match="batch_rows"):
        RollupStore(engine).retention_step(Resolution.RAW, T0, batch_rows=0, now_ms=T0,
                                           **NO_FENCE)


# -- settings and wiring --------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TRIO_MONITOR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.usefixtures("no_env")
def test_the_settings_give_the_documented_defaults_to_the_jobs(engine: Engine) -> None:
    settings = load_settings()
    jobs = wiring.rollup_jobs(settings, engine, ManualClock())

    assert [(j.name, j.every_s) for j in jobs] == [("rollup", 60.0), ("retention", 60.0)]
    assert (settings.retention_raw_days, settings.retention_1m_days,
            settings.retention_1h_days, settings.retention_batch_rows) == (7, 90, 730, 5000)
    assert settings.rollup_recheck_s == 600 + 60 + 120


@pytest.mark.parametrize(("env", "message"), [
    ({"retention_raw_days": 100}, "RETENTION_RAW_DAYS <= TRIO_MONITOR_RETENTION_1M_DAYS"),
    ({"retention_1h_days": 30}, "<= TRIO_MONITOR_RETENTION_1H_DAYS"),
    ({"retention_raw_days": 1, "buffer_max_age_s": 90_000}, "must be longer than rollups"),
    ({"retention_batch_rows": 10}, "RETENTION_BATCH_ROWS"),
    ({"rollup_interval_s": 1}, "ROLLUP_INTERVAL_S"),
])
@pytest.mark.usefixtures("no_env")
def test_the_settings_refuse_retention_that_would_lose_data(
    env: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(**env)


def test_backtest_reads_take_whole_minutes_from_the_rollups_once_raw_samples_are_gone(
    engine: Engine, store: Store
) -> None:
    """AlertStore.samples_for with minute buckets: rollups below the watermark (the raw
    samples may have been deleted by retention), raw samples above it, the bucket
    across the watermark combined from both."""
    minute = 60_000
    rows = [(0, T0 + i * 5_000, float(i % 13)) for i in range(10 * 12)]  # 10 minutes
    write(store, rows)
    rollups = RollupStore(engine)
    roll_all(rollups, cutoff=T0 + 5 * minute + 30_000)
    watermark = _watermark(rollups)
    assert watermark % (2 * minute) != 0  # a bucket straddles it
    with engine.begin() as conn:  # as retention would: raw rows below the watermark go
        conn.execute(delete(samples).where(samples.c.ts < watermark))
    alerts = AlertStore(engine)

    for reduce, pick in (("max", max), ("min", min)):
        [got] = alerts.samples_for("calls_waiting", from_ms=T0, to_ms=T0 + 10 * minute,
                                   entity_ids=["1"], bucket_ms=2 * minute, reduce=reduce)
        expected: dict[int, float] = {}
        for _, ts, value in rows:
            start = T0 + (ts - T0) // (2 * minute) * (2 * minute)
            expected[start] = pick(expected.get(start, value), value)
        assert dict(got.points) == expected, reduce
