"""Soak: the demo with 10 wall screens for 30 minutes. Run by hand, not in CI.

    python bench/soak.py [--screens 10] [--minutes 30] [--refresh 5] [--warm-up 3]
    python bench/soak.py --screens 0 --minutes 60 --warm-up 10   # the collector alone
    python bench/soak.py --screens 0 --minutes 15 --memory-report  # what grows, and where

Starts ``trio-monitor demo`` (simulator, collector and web on SQLite in a temporary
folder), creates one display token per screen, and runs each screen as its own HTTP
client: it opens ``/display/<token>`` once (the session a kiosk gets) and then posts the
wall screen's refresh callback every refresh period, as the browser would, for the whole
run. Every minute it samples the resident memory (RSS) of each process of the demo.

Prints, per process, the memory after a warm-up (by default the first 3 minutes: caches
and the database fill up) and at the end, the change in percent and the peak; the callbacks, the
errors, and the missed refreshes: a screen whose refreshes were more than two periods
apart, or whose answer said something other than 200. A line per memory sample goes to
stderr as the run goes. With ``--memory-report`` the collector writes what its memory is
made of to ``memory-report.txt`` in the data folder (see collectors/_memory.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import auth  # noqa: E402
import storage  # noqa: E402
from bench.web import free_port, pct, wait_for  # noqa: E402
from trio_monitor.collect import MEMORY_REPORT_ENV  # noqa: E402

WARM_UP_S = 180.0


def rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # the process is gone
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else None


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), depth first."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(parent, []).append(int(entry.name))
    out: list[int] = []
    stack = list(kids.get(pid, []))
    while stack:
        child = stack.pop()
        out.append(child)
        stack.extend(kids.get(child, []))
    return out


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def describe(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"pid {pid}"
    words = [a.decode(errors="replace") for a in args if a]
    if "web" in words:  # gunicorn's workers are forks of its master: same command line
        parent = _parent(pid)
        return "web worker" if parent is not None and describe(parent) == "web" else "web"
    for role in ("simulate", "collect", "serve", "demo"):
        if role in words:
            return role
    if any("gunicorn" in w for w in words):
        return "web worker"
    if any(w.endswith("simulator") for w in words):
        return "simulator"
    return " ".join(words)[-40:]


def refresh_body(base: str, cookies: dict[str, str]) -> dict[str, Any]:
    import httpx

    from bench.web import refresh_request

    return refresh_request(base, httpx.Cookies(cookies))


async def screen(base: str, token: str, period: float, until: float, offset: float,
                 stats: dict[str, Any]) -> None:
    timeout = aiohttp.ClientTimeout(total=10)
    # unsafe=True: aiohttp keeps no cookies for IP addresses otherwise.
    async with aiohttp.ClientSession(timeout=timeout,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        # The display page starts the session, then the screen opens the wall screen.
        for path in (f"/display/{token}", "/"):
            async with session.get(base + path) as reply:
                await reply.read()
                if reply.status != 200:
                    stats["errors"].append(f"GET {path.split('/')[1] or '/'}: {reply.status}")
                    return
        jar = {c.key: c.value for c in session.cookie_jar}
        body = await asyncio.to_thread(refresh_body, base, jar)
        headers = {"X-CSRFToken": jar.get("_csrf_token", "")}
        await asyncio.sleep(offset)
        last_ok = time.monotonic()
        tick = 1
        while time.monotonic() < until:
            started = time.monotonic()
            body["inputs"][0]["value"] = tick
            try:
                async with session.post(f"{base}/_dash-update-component", json=body,
                                        headers=headers) as reply:
                    await reply.read()
                    status = reply.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = 0
                stats["errors"].append(type(exc).__name__)
            now = time.monotonic()
            if status == 200:
                stats["latencies"].append(now - started)
                if now - last_ok > 2 * period:
                    stats["missed"].append(round(now - last_ok, 1))
                last_ok = now
            elif status:
                stats["errors"].append(f"HTTP {status}")
            tick += 1
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))


async def sample_memory(root: int, until: float, samples: dict[int, list[tuple[float, int]]],
                        names: dict[int, str], started: float, every: float = 60.0) -> None:
    while time.monotonic() < until:
        for pid in [root, *children(root)]:
            rss = rss_kib(pid)
            if rss is not None:
                names.setdefault(pid, describe(pid))
                samples.setdefault(pid, []).append((time.monotonic() - started, rss))
        # As it goes, so that a run cut short still says what it measured.
        now = ", ".join(f"{names[pid]} {points[-1][1] / 1024:.1f} MiB"
                        for pid, points in sorted(samples.items()))
        print(f"minute {(time.monotonic() - started) / 60:.1f}: {now}", file=sys.stderr,
              flush=True)
        await asyncio.sleep(min(every, max(0.0, until - time.monotonic())))


async def run(base: str, tokens: list[str], root: int, minutes: float,
              period: float, names: dict[int, str], every: float = 60.0
              ) -> tuple[dict[str, Any], dict[int, list[tuple[float, int]]]]:
    stats: dict[str, Any] = {"latencies": [], "errors": [], "missed": []}
    memory: dict[int, list[tuple[float, int]]] = {}
    started = time.monotonic()
    until = started + minutes * 60
    await asyncio.gather(
        sample_memory(root, until + 1, memory, names, started, every),
        *(screen(base, token, period, until, period * i / len(tokens), stats)
          for i, token in enumerate(tokens)),
    )
    return stats, memory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--refresh", type=float, default=5.0)
    parser.add_argument("--sample", type=float, default=60.0,
                        help="seconds between memory samples")
    parser.add_argument("--warm-up", type=float, default=WARM_UP_S / 60,
                        help="minutes before the memory compared (default %(default)g)")
    parser.add_argument("--memory-report", action="store_true",
                        help="the collector appends what its memory is made of to "
                             "memory-report.txt in the data folder every sample period "
                             "(tracemalloc, glibc arenas; slows it down)")
    args = parser.parse_args()
    warm_up_s = args.warm_up * 60

    data = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    env = {**os.environ, "TRIO_MONITOR_REFRESH_INTERVAL_S": str(args.refresh),
           "TRIO_MONITOR_LOG_LEVEL": "WARNING"}
    if args.memory_report:
        env[MEMORY_REPORT_ENV] = str(data / "memory-report.txt")
        env[MEMORY_REPORT_ENV + "_EVERY_S"] = str(args.sample)
    with open(data / "demo.log", "wb") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "trio_monitor", "demo", "--port", str(port),
             "--data-dir", str(data)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", timeout=120)
        engine = storage.make_engine(f"sqlite:///{data / 'trio-monitor.db'}")
        tokens = [auth.create_display(engine, f"soak screen {i + 1}").token
                  for i in range(args.screens)]
        engine.dispose()
        names: dict[int, str] = {}
        stats, memory = asyncio.run(run(base, tokens, demo.pid, args.minutes, args.refresh,
                                        names, args.sample))
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)

    print(f"{args.screens} screens, refresh {args.refresh:g} s, {args.minutes:g} min "
          f"(memory compared from minute {args.warm_up:g}); data in {data}")
    print(f"{'process':<14}{'pid':>8}{'after warm-up':>15}{'end':>10}{'change':>9}{'peak':>10}")
    flat = True
    for pid, points in sorted(memory.items()):
        warm = [rss for t, rss in points if t >= warm_up_s] or [points[-1][1]]
        start, end, peak = warm[0], points[-1][1], max(rss for _, rss in points)
        change = (end - start) / start * 100
        flat = flat and abs(change) <= 10
        print(f"{names[pid]:<14}{pid:>8}{start / 1024:>12.1f} MiB{end / 1024:>7.1f} MiB"
              f"{change:>+8.1f}%{peak / 1024:>7.1f} MiB")
    latencies = stats["latencies"]
    print(f"callbacks: {len(latencies)} ok, errors: {len(stats['errors'])}"
          f"{' ' + json.dumps(sorted(set(stats['errors']))) if stats['errors'] else ''}")
    if latencies:
        print(f"latency p50 {pct(latencies, .5) * 1000:.1f} ms, "
              f"p95 {pct(latencies, .95) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    print(f"missed refreshes (gaps over {2 * args.refresh:g} s): {len(stats['missed'])}"
          f"{' ' + str(stats['missed'][:10]) if stats['missed'] else ''}")
    print("memory flat within 10 %: " + ("yes" if flat else "NO"))
    print("RSS (MiB) by minute:")
    for pid, points in sorted(memory.items()):
        row = " ".join(f"{t / 60:.0f}:{rss / 1024:.1f}" for t, rss in points)
        print(f"  {names[pid]:<12} {row}")
    return 0 if flat and not stats["errors"] and not stats["missed"] else 1


if __name__ == "__main__":
    sys.exit(main())
