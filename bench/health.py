"""Health-check scheduling benchmark: N targets at a 10 s interval. Run by hand.

    python bench/health.py [--targets 500] [--seconds 120] [--interval 10]

Runs the real collector (lease, scheduler, health sources, SQLite writes) in this process
against N fake workers served by the simulator in its own process, for the given time.
Prints the schedule lag of every check (its actual start minus first start + k x interval)
as p50/p99, checks done and checks skipped, CPU seconds used by the collector process (and
as a share of one core, and per check), then a raw baseline measured in the same run: the
CPU of one bare aiohttp GET of the same worker endpoints, 50 in flight, and the ratio of
a check to it (the machine may be shared and busy: the ratio moves less than the
absolutes). ``--sequential`` adds a naive sequential loop for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from collectors.clock import SystemClock  # noqa: E402
from collectors.health import HealthSource  # noqa: E402
from collectors.http import HttpConfig, HttpSeam  # noqa: E402
from collectors.runner import Collector, DynamicSources, RunnerConfig  # noqa: E402
from specs.health import HealthTarget  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_simulator(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port, port2 = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--secondary-port", str(port2),
         "--queues", "1", "--agents", "1", "--workers", str(workers), "--reconcilers", "0"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/workers/worker-1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass  # not up yet
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("simulator did not start")


async def run_collector(base: str, targets: int, seconds: float, interval: float,
                        db_url: str) -> tuple[dict[str, list[float]], float]:
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    store = storage.Store(engine)
    specs = {f"health:w{i}": HealthTarget(name=f"w{i}",
                                          url=f"{base}/workers/worker-{i + 1}/health",
                                          interval_s=interval, timeout_s=5.0)
             for i in range(targets)}
    starts: dict[str, list[float]] = defaultdict(list)
    gate = asyncio.Semaphore(50)
    clock = SystemClock()
    seam = HttpSeam(HttpConfig(rate_per_s=10_000, burst=10_000, max_connections=100),
                    clock=clock, name="health")

    class Timed(HealthSource):
        async def poll(self, deadline):  # type: ignore[no-untyped-def]
            starts[self.name].append(time.time())
            return await super().poll(deadline)

    async def load():  # type: ignore[no-untyped-def]
        return specs

    def build(spec):  # type: ignore[no-untyped-def]
        return Timed(spec, seam, clock=clock, gate=gate, owns_seam=False)

    collector = Collector(store, [], RunnerConfig(poll_interval_s=interval, lease_ttl_s=15),
                          clock=clock, dynamic=DynamicSources(load=load, build=build,
                                                              every_s=30))
    stop = asyncio.Event()
    cpu0 = time.process_time()
    task = asyncio.create_task(collector.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    cpu = time.process_time() - cpu0
    await seam.aclose()
    engine.dispose()
    return starts, cpu


def lags(starts: dict[str, list[float]], interval: float) -> list[float]:
    out = []
    for times in starts.values():
        first = times[0]
        out.extend(t - (first + k * interval) for k, t in enumerate(times) if k)
    return out


async def sequential(base: str, targets: int, seconds: float, interval: float
                     ) -> tuple[list[float], int, float]:
    """The naive way: one loop checking every target in turn, then sleeping."""
    lag: list[float] = []
    checks = 0
    start = time.monotonic()
    cpu0 = time.process_time()
    async with httpx.AsyncClient(timeout=5) as client:
        round_no = 0
        while time.monotonic() - start < seconds:
            planned = start + round_no * interval
            for i in range(targets):
                lag.append(time.monotonic() - planned)
                await client.get(f"{base}/workers/worker-{i + 1}/health")
                checks += 1
                if time.monotonic() - start >= seconds:
                    break
            round_no += 1
            await asyncio.sleep(max(0.0, start + round_no * interval - time.monotonic()))
    return lag, checks, time.process_time() - cpu0


async def bare_gets(base: str, targets: int, requests: int) -> float:
    """CPU seconds of this process per bare aiohttp GET, 50 in flight."""
    urls = [f"{base}/workers/worker-{i % targets + 1}/health" for i in range(requests)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:

        async def get(url: str) -> None:
            async with session.get(url) as reply:
                await reply.read()

        await asyncio.gather(*(get(u) for u in urls[:50]))  # warm the connections up
        cpu0 = time.process_time()
        for start in range(0, requests, 50):
            await asyncio.gather(*(get(u) for u in urls[start:start + 50]))
        return (time.process_time() - cpu0) / requests


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--sequential", action="store_true",
                        help="also run the naive sequential loop")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    proc, base = start_simulator(args.targets)
    rss_before = _rss_mib()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            starts, cpu = asyncio.run(run_collector(
                base, args.targets, args.seconds, args.interval, f"sqlite:///{tmp}/h.db"))
        lag = lags(starts, args.interval)
        checks = sum(len(v) for v in starts.values())
        print(f"collector: {args.targets} targets every {args.interval:g} s for "
              f"{args.seconds:g} s: {checks} checks")
        print(f"  schedule lag p50 {pct(lag, .5) * 1000:.0f} ms, p99 {pct(lag, .99) * 1000:.0f} ms,"
              f" max {max(lag) * 1000:.0f} ms")
        planned = args.targets * int(args.seconds // args.interval)
        print(f"  checks skipped: {max(0, planned - checks)} of {planned} planned"
              f" ({max(0, planned - checks) / planned:.1%})")
        print(f"  CPU {cpu:.1f} s = {cpu / args.seconds:.0%} of one core,"
              f" {cpu / checks * 1000:.2f} ms per check")
        if cpu > 0 and checks:
            # From the CPU per check, so that skipped checks (a busy machine) do not flatter
            # it: a target costs one check per interval.
            per_check = cpu / checks
            print(f"  targets per core at a {args.interval:g}-s interval = {args.interval:g} s"
                  f" / {per_check * 1000:.2f} ms = {args.interval / per_check:,.0f}")
        grown = _peak_rss_mib() - rss_before
        print(f"  memory: peak RSS {_peak_rss_mib():.0f} MiB, {grown:.0f} MiB over this "
              f"process before the collector started"
              + (f" = {args.targets * 1024 / grown:,.0f} targets per GiB beyond the "
                 "collector's baseline" if grown > 0 else ""))
        bare = asyncio.run(bare_gets(base, args.targets, 5000))
        print(f"raw baseline (same run): bare aiohttp GET {bare * 1000:.3f} ms CPU;"
              f" a check costs {cpu / checks / bare:.1f} x that")
        if not args.sequential:
            return 0
        seq_lag, seq_checks, seq_cpu = asyncio.run(
            sequential(base, args.targets, args.seconds, args.interval))
        print(f"naive sequential loop: {seq_checks} checks "
              f"({seq_checks / (args.targets * args.seconds / args.interval):.0%} of the schedule)")
        print(f"  lag p50 {pct(seq_lag, .5) * 1000:.0f} ms, p99 {pct(seq_lag, .99) * 1000:.0f} ms;"
              f" CPU {seq_cpu:.1f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
