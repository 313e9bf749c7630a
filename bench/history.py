"""History benchmark: a year of data for 24 queues, chart query and figure times. By hand.

    python bench/history.py [--queues 24] [--repeat 30] [--only sqlite|postgres]
                            [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--keep]
    python bench/history.py --measure /tmp/trio-bench-history-*/history.db  # kept before
    python bench/history.py --days-only [--only sqlite|postgres]  # the daily figures only

Loads, per queue, the 10 metrics the Trio collector stores, as retention keeps them:
1-hour rows for the year, 1-minute rows for 90 days, raw 5-s samples for the last 7 days
(plus one hour more, for retention to delete). The raw samples are inserted in bulk; the
older rollup rows are generated directly from the same model (not from raw samples: 90
days of raw would be 370 M rows); the rollups of the last 7 days are made by the real
rollup code (storage.RollupStore, the steps the collector's job takes), and one hour of
raw samples is deleted by the real retention code; both report their write transactions.

Then, for each range (1 h, 8 h, 24 h, 7 d, 30 d), a queue chart like the /queues page
draws it: HistoryStore.history for 5 series (calls waiting, longest wait, service level,
agents logged in / free), and a plotly figure with one trace per metric (x in local
time) serialised to JSON as Dash sends it. Prints query and query+figure time p50/p95
and the points, the daily figures (90 days, every queue; and one queue's, as the page
reads them; from the daily rollup and, on the same database, from the hour rows as before
it), and the database size. Beside each, the raw baseline: the same rows read
by a bare driver query (no SQLAlchemy, no objects), and the ratio of the two: on a shared
machine the milliseconds move with the load, the ratio much less.
Wall time moves with the machine's load, so the daily figures also print the process's
CPU time (on SQLite that includes the database's work; on PostgreSQL the server's is not).
--days-only loads the 1-hour rows of the year alone (seconds, not the better part of an
hour), rolls the daily rollup over them and measures the daily figures.
PostgreSQL runs in its own database (created and dropped, unless --keep) on the server
of --pg.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io
from sqlalchemy import text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from collectors.clock import ManualClock  # noqa: E402
from collectors.rollup import RetentionJob, RollupConfig, RollupJob  # noqa: E402
from storage._schema import rollup_state  # noqa: E402

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
RAW_MS = 5_000
PG_DB = "trio_monitor_bench_history"
METRICS = {  # metric -> (unit, scale of the daily pattern)
    "open": ("bool", 1.0), "calls_waiting": ("calls", 12.0), "longest_wait_s": ("s", 90.0),
    "agents_logged_in": ("agents", 20.0), "agents_available": ("agents", 8.0),
    "agents_busy": ("agents", 12.0), "agents_paused": ("agents", 3.0),
    "answered_today": ("calls", 0.0), "abandoned_today": ("calls", 0.0),
    "service_level_pct": ("%", 30.0),
}
CHART = ("calls_waiting", "longest_wait_s", "service_level_pct", "agents_logged_in",
         "agents_available")
TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)
RANGES = {"1 h": HOUR, "8 h": 8 * HOUR, "24 h": DAY, "7 d": 7 * DAY, "30 d": 30 * DAY}


def value(metric: str, queue: int, ts: int) -> float:
    """A working-day pattern (08-17 busy), different per queue; counters grow by day."""
    day_s = (ts // 1000 + 3600) % 86400  # about Swedish local time
    busy = max(0.0, math.sin(math.pi * (day_s - 8 * 3600) / (9 * 3600))) if \
        8 * 3600 <= day_s <= 17 * 3600 else 0.0
    if metric == "open":
        return 1.0 if busy > 0 else 0.0
    if metric in ("answered_today", "abandoned_today"):
        rate = 0.02 if metric == "answered_today" else 0.002
        return float(int(day_s * rate * (1 + queue % 5) * (0.3 + busy)))
    if metric == "service_level_pct":
        return 100.0 - METRICS[metric][1] * busy * (1 + (ts // RAW_MS + queue) % 7 / 10)
    wobble = ((ts // RAW_MS) * 7919 + queue * 104729) % 100 / 100
    return round(METRICS[metric][1] * busy * (0.5 + wobble) * (1 + queue % 3 / 2))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- loading ------------------------------------------------------------------------------


def create_series(engine: Engine, queues: int, ts: int) -> dict[tuple[int, str], int]:
    """Series through the real write path (one sample each, at the first raw time)."""
    store = storage.Store(engine)
    samples = [
        storage.Sample(storage.SeriesKey("trio", "queue", str(q), m, unit, f"Kö {q}"), ts,
                       value(m, q, ts))
        for q in range(1, queues + 1) for m, (unit, _) in METRICS.items()
    ]
    store.write_poll(storage.PollWrite("trio", samples, None, storage.SourceFacts(
        name="trio", kind="trio", url="bench")), lease_name=None, lease_token=None, now_ms=ts)
    return {(int(r.key.entity_id), r.key.metric): r.id for r in store.series("trio")}


def raw_rows(ids: dict[tuple[int, str], int], lo: int, hi: int) -> Iterator[tuple[int, int, float]]:
    for (queue, metric), sid in sorted(ids.items(), key=lambda kv: kv[1]):
        for ts in range(lo, hi, RAW_MS):
            yield sid, ts, value(metric, queue, ts)


def rollup_rows(
    ids: dict[tuple[int, str], int], lo: int, hi: int, bucket: int
) -> Iterator[tuple[int, int, float, float, float, int, float, int]]:
    """Rollup rows straight from the model: mean at mid-bucket, last at the last sample."""
    count = bucket // RAW_MS
    for (queue, metric), sid in sorted(ids.items(), key=lambda kv: kv[1]):
        for ts in range(lo, hi, bucket):
            mean = value(metric, queue, ts + bucket // 2)
            last_ts = ts + bucket - RAW_MS
            first, last = value(metric, queue, ts), value(metric, queue, last_ts)
            low, high = min(mean, first, last), max(mean, first, last) + 1.0
            yield sid, ts, low, high, mean * count, count, last, last_ts


def bulk_insert(engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple],
                pg_types: list[str]) -> int:
    n = 0
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(pg_types)
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            cursor = raw.cursor()
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch: list[tuple] = []
            cursor.execute("BEGIN")
            for row in rows:
                batch.append(row)
                if len(batch) == 100_000:
                    cursor.executemany(sql, batch)
                    n += len(batch)
                    batch.clear()
            cursor.executemany(sql, batch)
            n += len(batch)
            cursor.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()
    return n


ROLLUP_COLS = ("series_id", "ts", "min", "max", "sum", "count", "last", "last_ts")
ROLLUP_TYPES = ["int4", "int8", "float8", "float8", "float8", "int4", "float8", "int8"]


def load(engine: Engine, queues: int, now: int, *, hours_only: bool = False
         ) -> dict[tuple[int, str], int]:
    raw_from = now - 7 * DAY - HOUR
    raw_from -= raw_from % HOUR
    ids = create_series(engine, queues, raw_from)
    hour_to = _floor(now, HOUR) if hours_only else raw_from
    steps: list[tuple[str, Callable[[], int]]] = [
        ("1-hour rows, 365 days (generated)", lambda: bulk_insert(
            engine, "rollup_1h", ROLLUP_COLS,
            rollup_rows(ids, _floor(now - 365 * DAY, HOUR), hour_to, HOUR), ROLLUP_TYPES)),
        ("1-minute rows, 90 days (generated)", lambda: bulk_insert(
            engine, "rollup_1m", ROLLUP_COLS,
            rollup_rows(ids, _floor(now - 90 * DAY, HOUR), raw_from, MIN), ROLLUP_TYPES)),
        ("raw 5-s samples, 7 days + 1 h", lambda: bulk_insert(
            engine, "samples", ("series_id", "ts", "value"),
            raw_rows(ids, raw_from + RAW_MS, now), ["int4", "int8", "float8"])),
    ]
    if hours_only:
        steps = steps[:1]
    for label, step in steps:
        t0 = time.perf_counter()
        n = step()
        took = time.perf_counter() - t0
        print(f"  loaded {label:<38} {n:>12,} rows in {took:6.1f} s ({n / took:,.0f}/s)")
    with engine.begin() as conn:
        conn.execute(rollup_state.insert(), [
            {"resolution": "1m", "watermark": raw_from, "updated_at": now,
             "retained_from": _floor(now - 90 * DAY, HOUR)},
            {"resolution": "1h", "watermark": hour_to, "updated_at": now,
             "retained_from": _floor(now - 365 * DAY, HOUR)},
            {"resolution": "raw", "watermark": None, "retained_from": raw_from, "updated_at": now},
        ])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return ids


def _floor(ts: int, bucket: int) -> int:
    return ts - ts % bucket


class PollProbe(threading.Thread):
    """Writes a 240-sample poll every 50 ms through Store.write_poll (other series, in
    the future) and records how long each write took: what a poll feels of the jobs."""

    def __init__(self, engine: Engine, now: int) -> None:
        super().__init__(daemon=True)
        self.store = storage.Store(engine)
        self.start_ms = now
        self.halt = threading.Event()
        self.latencies: list[float] = []

    def run(self) -> None:
        facts = storage.SourceFacts(name="probe", kind="probe", url="bench")
        keys = [storage.SeriesKey("probe", "probe", str(i), "x", "x", "probe") for i in range(240)]
        while not self.halt.is_set():
            ts = self.start_ms + len(self.latencies) * RAW_MS
            write = storage.PollWrite("probe", [storage.Sample(k, ts, 1.0) for k in keys], None,
                                      facts)
            t0 = time.perf_counter()
            self.store.write_poll(write, lease_name=None, lease_token=None, now_ms=ts)
            self.latencies.append((time.perf_counter() - t0) * 1000)
            self.halt.wait(0.05)

    def report(self) -> str:
        self.halt.set()
        self.join(timeout=30)
        got = self.latencies[1:]  # the first one creates the series
        return (f"p50 {pct(got, .5):.1f} ms, p95 {pct(got, .95):.1f} ms, "
                f"p99 {pct(got, .99):.1f} ms, max {max(got):.1f} ms ({len(got)} polls)")


def probe_baseline(engine: Engine, now: int) -> None:
    probe = PollProbe(engine, now + 30 * DAY)
    probe.start()
    time.sleep(5)
    print(f"  a poll's write (240 samples), nothing else running: {probe.report()}")


def roll_and_trim(engine: Engine, now: int) -> None:
    """The last 7 days through the real rollup code; then retention deletes the extra hour;
    meanwhile a probe writes polls."""
    rollups = storage.RollupStore(engine, zone=TZ)
    probe = PollProbe(engine, now + 60 * DAY)
    probe.start()
    writes: list[float] = []
    rows = 0
    t0 = time.perf_counter()
    for resolution, cutoff in ((storage.Resolution.MINUTE, now - 2 * MIN),
                               (storage.Resolution.HOUR, None)):
        limit = cutoff if cutoff is not None else rollups.state()[
            storage.Resolution.MINUTE].watermark_ms or 0
        while True:
            step = rollups.roll_step(resolution, limit, lease_name=None, lease_token=None,
                                     now_ms=now)
            rows += step.rows_read
            if step.buckets:
                writes.append(step.slowest_write_ms)
            if step.done:
                break
    took = time.perf_counter() - t0
    print(f"  rollup of 7 days by RollupStore: {rows:,} rows read in {took:.1f} s "
          f"({rows / took:,.0f} rows/s); slowest write transaction per step "
          f"(<= {rollups.write_rows} rows) "
          f"p50 {pct(writes, .5):.1f} ms, p95 {pct(writes, .95):.1f} ms, "
          f"max {max(writes):.1f} ms over {len(writes)} steps")
    deletes: list[float] = []
    deleted = 0
    t0 = time.perf_counter()
    while True:
        result = rollups.retention_step(storage.Resolution.RAW, now - 7 * DAY, batch_rows=5000,
                                        lease_name=None, lease_token=None, now_ms=now)
        deleted += result.deleted
        if result.deleted:
            deletes.append(result.slowest_write_ms)
        if result.done:
            break
    took = time.perf_counter() - t0
    print(f"  retention deleted {deleted:,} raw rows in {took:.1f} s, {len(deletes)} "
          f"transactions of <= 5000 rows: p50 {pct(deletes, .5):.1f} ms, "
          f"p95 {pct(deletes, .95):.1f} ms, max {max(deletes):.1f} ms")
    print(f"  a poll's write meanwhile: {probe.report()}")
    roll_days(engine, now)


def roll_days(engine: Engine, now: int) -> None:
    """The daily rollup of the whole year of hour rows, as the rollup job catches up."""
    rollups = storage.RollupStore(engine, zone=TZ)
    cutoff = rollups.state()[storage.Resolution.HOUR].watermark_ms or 0
    writes: list[float] = []
    rows = buckets = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        step = rollups.roll_step(storage.Resolution.DAY, cutoff, lease_name=None,
                                 lease_token=None, now_ms=now)
        rows += step.rows_read
        buckets += step.buckets
        if step.buckets:
            writes.append(step.slowest_write_ms)
        if step.done:
            break
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  daily rollup of the year by RollupStore: {rows:,} hour rows read into "
          f"{buckets:,} days in {took:.1f} s ({cpu:.1f} s CPU); slowest write transaction "
          f"per step p95 {pct(writes or [0.0], .95):.1f} ms, max {max(writes or [0.0]):.1f} ms "
          f"over {len(writes)} steps")


def steady_state(engine: Engine, ids: dict[tuple[int, str], int], now: int) -> None:
    """Five minutes more of polls, each minute followed by the jobs' runs as the collector
    makes them (rollup with the late-sample recheck, retention)."""
    store = storage.Store(engine)
    keys = {sid: storage.SeriesKey("trio", "queue", str(q), m, METRICS[m][0], f"Kö {q}")
            for (q, m), sid in ids.items()}
    clock = ManualClock(start=now / 1000)
    config = RollupConfig(recheck_s=600 + 60 + 120, timezone=TZ)
    jobs = (RollupJob(engine, config, clock), RetentionJob(engine, config, clock))
    runs: dict[str, list[float]] = {"rollup": [], "retention": []}
    slowest = 0.0
    for minute in range(5):
        start = now + minute * MIN
        polls = [storage.PollWrite("trio", [
            storage.Sample(key, ts, value(key.metric, int(key.entity_id), ts))
            for key in keys.values()], None, storage.SourceFacts(name="trio", kind="trio",
                                                                   url="bench"))
            for ts in range(start, start + MIN, RAW_MS)]
        store.write_batches(polls, lease_name=None, lease_token=None, now_ms=start)
        clock.advance(60)
        for job in jobs:
            t0 = time.perf_counter()
            report = job.run_once(None)
            runs[job.name].append((time.perf_counter() - t0) * 1000)
            slowest = max(slowest, report.slowest_write_ms if report else 0.0)
    print(f"  steady state, a run per minute: rollup {pct(runs['rollup'], .5):.0f} ms "
          f"(max {max(runs['rollup']):.0f}), retention {pct(runs['retention'], .5):.0f} ms "
          f"(max {max(runs['retention']):.0f}); slowest write transaction {slowest:.1f} ms")


# -- measuring ------------------------------------------------------------------------------


def figure_json(history: storage.History, names: dict[int, str]) -> str:
    """x as local-time strings: plotly copies and re-encodes datetime objects at about
    5x the cost (measured: 166 vs 25 ms for 5 x 1440 points)."""
    figure = go.Figure()
    for sid, name in names.items():
        points = history.points[sid]
        figure.add_trace(go.Scatter(
            x=[datetime.fromtimestamp(p.ts_ms / 1000, ZONE).strftime("%Y-%m-%d %H:%M:%S")
               for p in points],
            y=[p.mean for p in points], name=name, mode="lines"))
    figure.update_layout(xaxis={"type": "date"}, margin={"l": 40, "r": 10, "t": 10, "b": 30})
    return str(plotly.io.to_json(figure))


def bare(engine: Engine, history: storage.History, ids: list[int]) -> float:
    """The raw baseline of one chart: the same rows read with a bare driver query per
    segment the history read (the stored rollup rows, or the raw samples), no SQLAlchemy,
    no objects: what the database alone costs. Milliseconds."""
    marks = ", ".join(_mark(engine) for _ in ids)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        t0 = time.perf_counter()
        for seg in history.segments:
            table = {"raw": "samples", "1m": "rollup_1m", "1h": "rollup_1h"}[seg.source.value]
            cursor.execute(f"SELECT * FROM {table} WHERE series_id IN ({marks}) AND ts >= "
                           f"{_mark(engine)} AND ts < {_mark(engine)} ORDER BY series_id, ts",
                           [*ids, seg.from_ms, seg.to_ms])
            cursor.fetchall()
        took = (time.perf_counter() - t0) * 1000
        cursor.close()
    finally:
        raw.close()
    return took


def bare_daily(engine: Engine, now: int, days: int) -> float:
    """The raw baseline of the daily figures: one bare GROUP BY of the hour rows of every
    queue's four daily metrics into local days (one UTC offset). Milliseconds."""
    offset = int(datetime.fromtimestamp(now / 1000, ZONE).utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]
    local = f"(ts + {offset})"
    modulo = "%%" if engine.dialect.name == "postgresql" else "%"  # psycopg's placeholders
    sql = (f"SELECT series_id, {local} - {local} {modulo} {DAY}, min(min), max(max), sum(sum), "
           f"sum(count), max(last_ts), count(*) FROM rollup_1h WHERE series_id IN (SELECT id "
           f"FROM series WHERE entity_kind = 'queue' AND metric IN ('answered_today', "
           f"'abandoned_today', 'service_level_pct', 'longest_wait_s')) AND ts >= "
           f"{_mark(engine)} AND ts < {_mark(engine)} GROUP BY 1, 2")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        t0 = time.perf_counter()
        cursor.execute(sql, [now - days * DAY, now])
        cursor.fetchall()
        took = (time.perf_counter() - t0) * 1000
        cursor.close()
    finally:
        raw.close()
    return took


def _mark(engine: Engine) -> str:
    return "%s" if engine.dialect.name == "postgresql" else "?"


def measure(engine: Engine, ids: dict[tuple[int, str], int], queues: int, now: int,
            repeat: int) -> None:
    """Each figure beside its raw baseline (``bare``) and their ratio: the baseline moves
    with the machine's load, the ratio much less (this machine is shared)."""
    reader = storage.HistoryStore(engine, raw_interval_s=RAW_MS / 1000)
    rng = random.Random(6)
    print(f"  {'range':<6} {'resolution':<10} {'points/series':>13} {'query p50':>10} "
          f"{'p95':>8} {'+figure p50':>12} {'p95':>8} {'bare p95':>9} {'ratio':>6}")
    for name, span in RANGES.items():
        queries, totals, bares, points = [], [], [], 0
        resolution = ""
        for _ in range(repeat):
            queue = rng.randint(1, queues)
            names = {ids[(queue, m)]: m for m in CHART}
            t0 = time.perf_counter()
            history = reader.history(list(names), now - span, now)
            t1 = time.perf_counter()
            figure_json(history, names)
            t2 = time.perf_counter()
            queries.append((t1 - t0) * 1000)
            totals.append((t2 - t0) * 1000)
            bares.append(bare(engine, history, list(names)))
            points = max(len(p) for p in history.points.values())
            resolution = history.resolution.value
        print(f"  {name:<6} {resolution:<10} {points:>13,} {pct(queries, .5):>8.1f}ms "
              f"{pct(queries, .95):>6.1f}ms {pct(totals, .5):>10.1f}ms {pct(totals, .95):>6.1f}ms"
              f" {pct(bares, .95):>7.1f}ms {pct(totals, .95) / pct(bares, .95):>5.1f}x")
    measure_daily(engine, queues, now, repeat)


def measure_daily(engine: Engine, queues: int, now: int, repeat: int) -> None:
    """The daily figures of every queue over 90 days, from the daily rollup and (the same
    database) from the hour rows as before it, each beside the bare GROUP BY of the hour
    rows and the ratio; wall and CPU time; then one queue's."""
    reader = storage.HistoryStore(engine, raw_interval_s=RAW_MS / 1000)
    results = {}
    for label, rollup in (("from the hour rows (before)", False),
                          ("from the daily rollup (after)", True)):
        wall, cpu, bares, bare_cpu = [], [], [], []
        rows: list[storage.DailyRow] = []
        for _ in range(max(5, repeat // 3)):
            t0, c0 = time.perf_counter(), time.process_time()
            rows = reader.daily(now, days=90, tz=TZ, rollup=rollup)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            c0 = time.process_time()
            bares.append(bare_daily(engine, now, 90))
            bare_cpu.append((time.process_time() - c0) * 1000)
        results[rollup] = rows
        print(f"  daily figures, 90 days x {queues} queues ({len(rows)} rows), {label}:\n"
              f"    wall p50 {pct(wall, .5):.0f} ms, p95 {pct(wall, .95):.0f} ms; "
              f"CPU p50 {pct(cpu, .5):.0f} ms, p95 {pct(cpu, .95):.0f} ms\n"
              f"    bare GROUP BY of the hour rows: wall p95 {pct(bares, .95):.0f} ms, CPU p95 "
              f"{pct(bare_cpu, .95):.0f} ms; ratio wall {pct(wall, .95) / pct(bares, .95):.2f}x,"
              f" CPU {pct(cpu, .95) / max(0.001, pct(bare_cpu, .95)):.2f}x")
    same = results[True] == results[False]
    print(f"  the two give the same figures: {'yes' if same else 'NO'}")
    one, one_cpu = [], []
    for queue in range(1, queues + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        reader.daily(now, days=90, tz=TZ, queue_ids=[str(queue)], source="trio")
        one.append((time.perf_counter() - t0) * 1000)
        one_cpu.append((time.process_time() - c0) * 1000)
    print(f"  daily figures of one queue (what /queues/<id> reads), 90 days: "
          f"p50 {pct(one, .5):.0f} ms, p95 {pct(one, .95):.0f} ms; CPU p95 "
          f"{pct(one_cpu, .95):.0f} ms")


def measure_only(path: Path, repeat: int) -> None:
    """Measure an existing database kept by --keep (loading a year takes most of an hour
    on a busy machine); "now" is its newest Trio sample."""
    engine = storage.make_engine(f"sqlite:///{path}")
    try:
        storage.upgrade(engine)  # a database kept before revision 0010: add the daily rollup
        store = storage.Store(engine)
        ids = {(int(r.key.entity_id), r.key.metric): r.id for r in store.series("trio")}
        queues = max(q for q, _ in ids)
        with engine.connect() as conn:
            now = int(conn.execute(text("SELECT max(ts) FROM samples WHERE series_id = "
                                        ":sid"), {"sid": min(ids.values())}).scalar_one())
        if storage.Resolution.DAY not in storage.RollupStore(engine).state():
            roll_days(engine, now)  # kept before the daily rollup existed
        measure(engine, ids, queues, now, repeat)
    finally:
        engine.dispose()


def size(engine: Engine, sqlite_path: Path | None) -> str:
    if sqlite_path is not None:
        total = sum(p.stat().st_size for p in sqlite_path.parent.glob(sqlite_path.name + "*"))
        return f"{total / 2**30:.2f} GiB (file + WAL)"
    with engine.connect() as conn:
        total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        tables = conn.execute(text(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
            "('samples', 'rollup_1m', 'rollup_1h', 'rollup_1d') ORDER BY relname")).all()
    parts = ", ".join(f"{name} {bytes_ / 2**30:.2f}" for name, bytes_ in tables)
    return f"{total / 2**30:.2f} GiB ({parts} GiB)"


def run(label: str, url: str, sqlite_path: Path | None, args: argparse.Namespace) -> None:
    print(f"\n{label}")
    now = int(time.time() * 1000)
    # Bulk loading is one long COPY; the 30-s default statement timeout would cut it.
    engine = storage.make_engine(url, statement_timeout_s=3600)
    try:
        storage.upgrade(engine)
        if args.days_only:
            load(engine, args.queues, now, hours_only=True)
            roll_days(engine, now)
            measure_daily(engine, args.queues, now, args.repeat)
            print(f"  database size: {size(engine, sqlite_path)}")
            return
        ids = load(engine, args.queues, now)
        probe_baseline(engine, now)
        roll_and_trim(engine, now)
        steady_state(engine, ids, now)
        measure(engine, ids, args.queues, now, args.repeat)
        print(f"  database size: {size(engine, sqlite_path)}")
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--pg", default=os.environ.get(
        "TRIO_MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--days-only", action="store_true",
                        help="load only the 1-hour rows and measure the daily figures")
    parser.add_argument("--measure", type=Path, metavar="SQLITE_FILE",
                        help="only measure a SQLite database kept by --keep")
    args = parser.parse_args()
    if args.measure is not None:
        measure_only(args.measure, args.repeat)
        return 0
    print(f"{args.queues} queues x {len(METRICS)} metrics; {args.repeat} charts per range")
    if args.only != "postgres":
        folder = Path(tempfile.mkdtemp(prefix="trio-bench-history-"))
        path = folder / "history.db"
        try:
            run("SQLite", f"sqlite:///{path}", path, args)
        finally:
            if not args.keep:
                for file in folder.glob("*"):
                    file.unlink()
                folder.rmdir()
            else:
                print(f"  kept {path}")
    if args.only != "sqlite":
        admin = storage.make_engine(args.pg)
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
            url = admin.url.set(database=PG_DB).render_as_string(hide_password=False)
            run("PostgreSQL", url, None, args)
        finally:
            if not args.keep:
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
