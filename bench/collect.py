"""Collector benchmark: full-poll time, storage throughput, CPU per poll. Run by hand.

    python bench/collect.py [--polls 30] [--pg postgresql+psycopg://postgres@127.0.0.1/test]
    python bench/collect.py --site 5000 [--interval 30] [--minutes 3] [--pg ...]

``--site N``: the real collector process (``trio-monitor collect``) against a simulated
site of N queues and 4 x N agents, polled every ``--interval`` s, on SQLite and then on
PostgreSQL, for ``--minutes`` each. Prints per poll of the Trio source its duration
against the poll deadline and the collector's RSS then, the lease renewals that failed or
were lost since the previous poll; at the end the peak RSS and the time from SIGTERM to
exit (bound: the collector's ``SHUTDOWN_TIMEOUT_S``), and the longest stall of the
collector's event loop (``collectors/looplag.py``): how long lease renewal, alert evaluation
and the notifier waited at worst while the big polls were parsed and written. Then the
sizing figures: the collector process's CPU seconds (utime + stime from /proc) per poll
interval between its first and last poll, "queues per core" = N x interval / CPU per
interval, and "queues per GiB" = N x 1024 / peak RSS in MiB.

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
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _proc import cpu_s, rss_mib  # noqa: E402 (bench/, the script's own folder)

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
    # A big site takes a while to build, longer beside other work.
    deadline = time.monotonic() + 60 + queues / 10
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


LEASE_TROUBLE = ("cannot renew the collector lease", "lease expired and was re-acquired",
                 "lost the collector lease", "the lease was lost meanwhile")


def site_run(base: str, db_url: str, label: str, interval: float, minutes: float,
             tmp: Path, queues: int) -> None:
    import json
    import signal

    # LOG_LEVEL DEBUG: the report below reads the "poll ok" lines, which are DEBUG.
    env = {**os.environ,
           "TRIO_MONITOR_DATABASE_URL": db_url, "TRIO_MONITOR_DATA_DIR": str(tmp),
           "TRIO_MONITOR_TRIO_BASE_URL": base, "TRIO_MONITOR_TRIO_CLIENT_KEY": CLIENT_KEY,
           "TRIO_MONITOR_TRIO_USERNAME": USER, "TRIO_MONITOR_TRIO_PASSWORD": PASSWORD,
           "TRIO_MONITOR_POLL_INTERVAL_S": str(interval), "TRIO_MONITOR_MODE": "development",
           "TRIO_MONITOR_LOG_FORMAT": "json", "TRIO_MONITOR_LOG_LEVEL": "DEBUG",
           "TRIO_MONITOR_RATE_LIMIT_PER_S": "10000", "TRIO_MONITOR_RATE_LIMIT_BURST": "10000"}
    cli = [sys.executable, "-m", "trio_monitor"]
    subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    log_path = tmp / f"collect-{label}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*cli, "collect"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    rss: list[tuple[float, float]] = []
    cpu: list[tuple[float, float]] = []
    until = time.monotonic() + minutes * 60
    while time.monotonic() < until and proc.poll() is None:
        value, used = rss_mib(proc.pid), cpu_s(proc.pid)
        if value is not None:
            rss.append((time.time(), value))
        if used is not None:
            cpu.append((time.time(), used))
        time.sleep(0.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
        stop_s = time.monotonic() - sent
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        stop_s = float("inf")
    deadline_ms = 0.8 * interval * 1000
    polled_at: list[float] = []
    trouble = 0
    stalls = 0
    loop_max_s = float("nan")
    print(f"\n{label}: {minutes:g} min, poll every {interval:g} s"
          f" (deadline {deadline_ms / 1000:g} s); log {log_path}")
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        msg = str(entry.get("msg", ""))
        if "loop_lag_max_s" in entry:
            loop_max_s = float(entry["loop_lag_max_s"])
        if "loop_lag_s" in entry:
            stalls += 1
        if any(t in msg for t in LEASE_TROUBLE):
            trouble += 1
        if entry.get("source") != "trio" or not (msg.startswith("poll ok")
                                                 or msg.startswith("poll failed")):
            continue
        ts = datetime.fromisoformat(entry["ts"]).timestamp()
        polled_at.append(ts)
        now_rss = min(rss, key=lambda p: abs(p[0] - ts))[1] if rss else float("nan")
        duration = float(entry.get("duration_ms", "nan"))
        verdict = "ok" if duration <= deadline_ms and msg.startswith("poll ok") else "LATE/FAILED"
        print(f"  {entry['ts'][11:19]} {duration / 1000:>6.1f} s {verdict:<11}"
              f" RSS {now_rss:>6.0f} MiB  lease troubles so far {trouble}"
              f"{'' if msg.startswith('poll ok') else '  ' + msg[:100]}")
    peak = max((v for _, v in rss), default=float("nan"))
    print(f"  peak RSS {peak:.0f} MiB; lease troubles {trouble};"
          f" SIGTERM to exit {stop_s:.1f} s (exit status {proc.returncode})")
    print(f"  event loop: longest stall {loop_max_s:.2f} s; stalls of 1 s or more: {stalls}"
          " (lease renewal, alerts and the notifier wait through a stall)")
    sizing(queues, interval, polled_at, cpu, peak)


def sizing(queues: int, interval: float, polled_at: list[float],
           cpu: list[tuple[float, float]], peak_mib: float) -> None:
    """The collector's CPU per poll interval in steady state (from the first poll's end to
    the last's: start-up and imports left out, everything else the process did in
    between counted: parsing, writing, rollups, alerts, lease), and what it makes of a
    core and of a GiB."""
    if len(polled_at) < 2 or len(cpu) < 2:
        print("  CPU: too few polls to measure (run longer: --minutes)")
        return

    def used_at(ts: float) -> float:
        return min(cpu, key=lambda p: abs(p[0] - ts))[1]

    first, last = polled_at[0], polled_at[-1]
    intervals = (last - first) / interval
    per_interval = (used_at(last) - used_at(first)) / intervals
    share = per_interval / interval
    print(f"  CPU: {per_interval:.2f} s per {interval:g}-s poll interval over "
          f"{intervals:.0f} intervals ({share:.1%} of one core)")
    if per_interval <= 0:
        return
    # A core gives `interval` CPU seconds per interval; the site takes `per_interval`.
    print(f"  queues per core at a {interval:g}-s interval = {queues} x {interval:g} / "
          f"{per_interval:.2f} = {queues * interval / per_interval:,.0f}"
          f" (at 5 s, the default: {queues * 5 / per_interval:,.0f}; CPU grows with the"
          " queues polled, so these scale linearly)")
    # Every byte the process holds counted against the queues: the baseline included.
    print(f"  queues per GiB of collector RSS = {queues} x 1024 / {peak_mib:.0f} MiB = "
          f"{queues * 1024 / peak_mib:,.0f} (peak RSS, its ~100 MiB baseline included)")


def site(args: argparse.Namespace) -> int:
    proc, base = start_simulator(args.site)
    pg_db = f"trio_monitor_site_{os.getpid()}"
    admin = storage.make_engine(args.pg)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            site_run(base, f"sqlite:///{tmp}/site.db", "SQLite", args.interval,
                     args.minutes, Path(tmp), args.site)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(f'CREATE DATABASE "{pg_db}"'))
            pg_url = admin.url.set(database=pg_db).render_as_string(hide_password=False)
            site_run(base, pg_url, "PostgreSQL", args.interval, args.minutes, Path(tmp),
                     args.site)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'))
        admin.dispose()
        proc.terminate()
        proc.wait(timeout=30)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get(
        "TRIO_MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--site", type=int, default=0, metavar="QUEUES",
                        help="run the collector process on a site of QUEUES queues")
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--minutes", type=float, default=3)
    args = parser.parse_args()
    if args.site:
        return site(args)
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
