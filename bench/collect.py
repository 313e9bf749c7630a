"""Collector benchmark: full-poll time, storage throughput, CPU per poll. Run by hand.

    python bench/collect.py [--polls 30] [--pg postgresql+psycopg://postgres@127.0.0.1/test]

For simulated sites of 10, 100 and 1000 queues (4 agents per queue, so agents take several
pages), prints the wall time of one full poll (p50/p99), the collector's CPU seconds per
poll, and the samples written per second on SQLite and on PostgreSQL. The simulator runs in
its own process so the collector's CPU time is its own; its latency is included in the poll
time (printed separately as the simulator's time per request).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from collectors.clock import SystemClock  # noqa: E402
from collectors.deadline import Deadline  # noqa: E402
from trio_monitor import wiring  # noqa: E402
from trio_monitor.settings import load_settings  # noqa: E402

CLIENT_KEY, USER, PASSWORD = "YmVuY2gta2V5", "bench", "bench-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(queues: int) -> tuple[subprocess.Popen[bytes], str]:
    port, port2 = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--secondary-port", str(port2),
         "--queues", str(queues), "--agents", str(queues * 4), "--max-page-size", "100",
         "--client-key", CLIENT_KEY, "--username", USER, "--password", PASSWORD],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/te/api"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base, timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("simulator did not start")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def bench_poll(base: str, polls: int) -> tuple[list[float], list[float], list]:
    settings = load_settings(
        trio_base_url=base, trio_client_key=CLIENT_KEY, trio_username=USER,
        trio_password=PASSWORD, trio_page_size=100, poll_interval_s=10, poll_deadline_s=10,
        # The bench polls back to back; the per-source rate limit exists for 5-s intervals.
        rate_limit_per_s=10_000, rate_limit_burst=10_000,
    )
    source = wiring.trio_source(settings, SystemClock())
    walls, cpus, outcomes = [], [], []
    try:
        await source.poll(Deadline(SystemClock(), 30))  # login, warm connections
        for _ in range(polls):
            c0, w0 = time.process_time(), time.perf_counter()
            outcome = await source.poll(Deadline(SystemClock(), 30))
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
            outcomes.append(outcome)
    finally:
        await source.aclose()
    return walls, cpus, outcomes


def bench_write(url: str, outcomes: list, label: str) -> str:
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    store = storage.Store(engine)
    writes = []
    for i, outcome in enumerate(outcomes):
        # Each poll at its own second so no sample collides with another.
        samples = [storage.Sample(s.key, 1_700_000_000_000 + i * 1000, s.value)
                   for s in outcome.samples]
        writes.append(storage.PollWrite(
            source="trio", samples=samples, agents=outcome.agents,
            facts=storage.SourceFacts(name="trio", kind="trio", url="bench"), events=[]))
    store.write_poll(writes[0], lease_name=None, lease_token=None, now_ms=0)  # create series
    n = sum(len(w.samples) for w in writes[1:])
    t0 = time.perf_counter()
    for w in writes[1:]:
        store.write_poll(w, lease_name=None, lease_token=None, now_ms=0)
    per_poll = n / (time.perf_counter() - t0)
    # Bulk: the buffer flush after an outage, 50 polls per transaction.
    bulk = [storage.PollWrite(
        source="trio",
        samples=[storage.Sample(s.key, s.ts_ms + 10_000_000, s.value) for s in w.samples],
        agents=None, facts=w.facts, events=[]) for w in writes[1:]]
    t0 = time.perf_counter()
    store.write_batches(bulk, lease_name=None, lease_token=None, now_ms=0)
    bulk_rate = n / (time.perf_counter() - t0)
    engine.dispose()
    return (f"{label:<10} one poll/transaction: {per_poll:>9,.0f} samples/s   "
            f"buffer flush (all polls in one transaction): {bulk_rate:>9,.0f} samples/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get(
        "TRIO_MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    pg_db = f"trio_monitor_bench_{os.getpid()}"
    print(f"{'site':<12} {'samples':>8} {'agents':>7} {'requests':>8} "
          f"{'poll p50':>9} {'poll p99':>9} {'cpu/poll':>9}")
    outcomes_1000: list = []
    for queues in (10, 100, 1000):
        proc, base = start_simulator(queues)
        try:
            walls, cpus, outcomes = asyncio.run(bench_poll(base, args.polls))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        o = outcomes[-1]
        print(f"{queues:>5} queues {len(o.samples):>8} {len(o.agents or []):>7} {o.requests:>8} "
              f"{pct(walls, .5) * 1000:>7.1f}ms {pct(walls, .99) * 1000:>7.1f}ms "
              f"{statistics.mean(cpus) * 1000:>7.1f}ms")
        if queues == 1000:
            outcomes_1000 = outcomes
    print("\nstorage, 1000-queue polls (10 metrics x 1000 queues + 4000 agents per poll):")
    with tempfile.TemporaryDirectory() as tmp:
        print(bench_write(f"sqlite:///{tmp}/bench.db", outcomes_1000, "SQLite"))
    admin = storage.make_engine(args.pg)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f'CREATE DATABASE "{pg_db}"'))
        pg_url = admin.url.set(database=pg_db).render_as_string(hide_password=False)
        print(bench_write(pg_url, outcomes_1000, "PostgreSQL"))
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
