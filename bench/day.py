"""Floor figures benchmark: the tiles' figures (interval service level, Erlang C staffing)
for every queue, and one queue's day, on SQLite. By hand.

    python bench/day.py [--queues 40] [--hours 10] [--repeat 20]

Stores, per queue, 5-s polls of the five series the floor reads (answered, abandoned,
service level, agents busy, agents logged in) for ``--hours`` up to now, rolls up what
is older than 2 minutes with the real rollup code, then times ``FloorModel.floor`` (all
queues, what one refresh of the wall computes) and ``FloorModel.day`` (``/queues/<id>``)
with the cache off. Prints p50/p95 in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import storage
from dashboard import DashboardConfig
from dashboard.daymodel import FloorModel
from storage import PollWrite, Resolution, RollupStore, Sample, SeriesKey, SourceFacts, Store

FACTS = SourceFacts(name="trio", kind="trio", url="http://bench.invalid")


def seed(engine: object, queues: int, hours: float, now_ms: int) -> None:
    store = Store(engine)  # type: ignore[arg-type]
    start = now_ms - int(hours * 3_600_000)
    batch: list[Sample] = []
    for ts in range(start, now_ms + 1, 5000):
        for q in range(queues):
            calls = (ts - start) / 18_000
            for metric, value in (("answered_today", float(int(calls))),
                                  ("abandoned_today", float(int(calls / 20))),
                                  ("service_level_pct", 80.0 + q % 10),
                                  ("agents_busy", 10.0), ("agents_logged_in", 11.0 + q % 5)):
                batch.append(Sample(SeriesKey("trio", "queue", str(100 + q), metric, "x",
                                              f"Kö {q}"), ts, value))
        if len(batch) > 40_000:
            store.write_poll(PollWrite("trio", batch, None, FACTS), lease_name=None,
                             lease_token=None, now_ms=ts)
            batch = []
    if batch:
        store.write_poll(PollWrite("trio", batch, None, FACTS), lease_name=None,
                         lease_token=None, now_ms=now_ms)
    rollups = RollupStore(engine)  # type: ignore[arg-type]
    while not rollups.roll_step(Resolution.MINUTE, now_ms - 120_000, now_ms=now_ms,
                                lease_name=None, lease_token=None).done:
        pass


def timed(action: object, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=40)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    now_ms = int(time.time() * 1000)
    with tempfile.TemporaryDirectory() as folder:
        engine = storage.make_engine(f"sqlite:///{folder}/bench.db")
        storage.upgrade(engine)
        seed(engine, args.queues, args.hours, now_ms)
        config = DashboardConfig(refresh_interval_s=0.001)
        model = FloorModel(engine, config, lambda: now_ms / 1000)

        def floor() -> None:
            model.invalidate()
            model.floor()

        p50, p95 = timed(floor, args.repeat)
        print(f"floor, {args.queues} queues: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        p50, p95 = timed(lambda: model.day("100"), args.repeat)
        print(f"day of one queue ({args.hours:g} h stored): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
