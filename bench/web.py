"""Wall-screen load benchmark: N screens refreshing against `trio-monitor web`. Run by hand.

    python bench/web.py [--screens 50] [--seconds 60] [--queues 24] [--workers 2]

Starts the simulator, the collector and the web app (gunicorn, N workers) on SQLite in a
temporary folder, logs in once, then runs N simulated screens that each send the wall
screen's refresh callback (the same POST /_dash-update-component a browser sends) every
refresh interval, phases spread evenly. Prints p50/p95/p99 callback latency, errors and
the request rate. The load generator shares the machine's two cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _proc import tree, tree_cpu_s, tree_pss_mib  # noqa: E402 (bench/, the script's own folder)

import auth  # noqa: E402
import storage  # noqa: E402

CLIENT_KEY, USER, PASSWORD = "YmVuY2gta2V5", "bench", "bench-pw"
ADMIN_PASSWORD = "bench-admin-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass  # not up yet
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def login(base: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise SystemExit("no CSRF token on the login page")
        reply = client.post("/login", data={
            "username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token.group(1)})
        if reply.status_code not in (302, 303):
            raise SystemExit(f"login failed: HTTP {reply.status_code}")
        return client.cookies


def _outputs(spec: str) -> list[dict[str, Any]] | dict[str, Any]:
    def one(part: str) -> dict[str, Any]:
        ident, _, prop = part.rpartition(".")
        return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}

    if spec.startswith("..") and spec.endswith(".."):
        return [one(p) for p in spec[2:-2].split("...")]
    return one(spec)


def refresh_request(base: str, cookies: httpx.Cookies) -> dict[str, Any]:
    """The body a wall screen posts on each refresh, built from /_dash-dependencies."""
    deps = httpx.get(base + "/_dash-dependencies", cookies=cookies, timeout=10).json()
    for dep in deps:
        inputs = dep.get("inputs", [])
        ticking = [i for i in inputs if i["property"] == "n_intervals"]
        if ticking and "wallboard" in dep["output"] and not dep.get("clientside_function"):
            values = {i["property"]: 1 if i["property"] == "n_intervals" else None
                      for i in inputs}
            return {
                "output": dep["output"],
                "outputs": _outputs(dep["output"]),
                "inputs": [{**i, "value": values[i["property"]]} for i in inputs],
                "changedPropIds": [f"{ticking[0]['id']}.n_intervals"],
                "state": [{**s, "value": None} for s in dep.get("state", [])],
            }
    raise SystemExit("no wall screen refresh callback found in /_dash-dependencies")


async def screen(index: int, count: int, session: aiohttp.ClientSession, url: str,
                 body: dict[str, Any], period: float, until: float,
                 latencies: list[float], errors: list[str]) -> None:
    await asyncio.sleep(period * index / count)  # spread the screens over the period
    tick = 1
    while time.monotonic() < until:
        started = time.monotonic()
        body["inputs"][0]["value"] = tick
        try:
            async with session.post(url, json=body) as reply:
                await reply.read()
                if reply.status != 200:
                    errors.append(f"HTTP {reply.status}")
                else:
                    latencies.append(time.monotonic() - started)
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors.append(type(exc).__name__)
        tick += 1
        await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))


async def _load(base: str, cookies: dict[str, str], body: dict[str, Any], first: int,
                screens: int, total: int, seconds: float, period: float, start_at: float
                ) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    # One connection per screen, as separate browsers would have.
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=10)
    # As Dash's renderer does: the CSRF cookie's token in a header on every callback.
    headers = {"X-CSRFToken": cookies.get("_csrf_token", "")}
    async with aiohttp.ClientSession(connector=connector, cookies=cookies,
                                     timeout=timeout, headers=headers) as session:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        until = time.monotonic() + seconds
        await asyncio.gather(*(
            screen(first + i, total, session, base + "/_dash-update-component",
                   json.loads(json.dumps(body)), period, until, latencies, errors)
            for i in range(screens)))
    return latencies, errors


def _worker(args: tuple[Any, ...]) -> tuple[list[float], list[str]]:
    return asyncio.run(_load(*args))


def load(base: str, cookies: httpx.Cookies, screens: int, seconds: float, period: float,
         procs: int) -> tuple[list[float], list[str]]:
    """Run the screens in ``procs`` load processes, so the generator is not the limit."""
    body = refresh_request(base, cookies)
    jar = {name: value for name, value in cookies.items()}
    start_at = time.time() + 2
    share = [screens // procs + (1 if i < screens % procs else 0) for i in range(procs)]
    jobs = [(base, jar, body, sum(share[:i]), share[i], screens, seconds, period, start_at)
            for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        results = pool.map(_worker, jobs)
    return [x for lat, _ in results for x in lat], [e for _, err in results for e in err]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--queues", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--refresh", type=float, default=5.0)
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sim_port, sim2, web_port = free_port(), free_port(), free_port()
        db_url = f"sqlite:///{tmp}/bench.db"
        engine = storage.make_engine(db_url)
        storage.upgrade(engine)
        auth.add_user(engine, "admin", ADMIN_PASSWORD, auth.Role.ADMIN)
        engine.dispose()
        env = {
            **os.environ,
            "TRIO_MONITOR_DATA_DIR": tmp, "TRIO_MONITOR_DATABASE_URL": db_url,
            "TRIO_MONITOR_TRIO_BASE_URL": f"http://127.0.0.1:{sim_port}/te/api",
            "TRIO_MONITOR_TRIO_CLIENT_KEY": CLIENT_KEY, "TRIO_MONITOR_TRIO_USERNAME": USER,
            "TRIO_MONITOR_TRIO_PASSWORD": PASSWORD,
            "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{web_port}",
            "TRIO_MONITOR_WEB_WORKERS": str(args.workers),
            "TRIO_MONITOR_REFRESH_INTERVAL_S": str(args.refresh),
            "TRIO_MONITOR_LOG_LEVEL": "WARNING",
        }
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "simulator", "--port", str(sim_port),
                 "--secondary-port", str(sim2), "--queues", str(args.queues),
                 "--agents", str(args.queues * 5), "--client-key", CLIENT_KEY,
                 "--username", USER, "--password", PASSWORD],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        try:
            wait_for(f"http://127.0.0.1:{sim_port}/te/api")
            for name in ("collect", "web"):
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "trio_monitor", name], env=env, cwd=tmp,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            base = f"http://127.0.0.1:{web_port}"
            wait_for(base + "/healthz")
            time.sleep(3)  # let the collector store a first poll
            cookies = login(base)
            web = procs[-1].pid  # `trio-monitor web`: gunicorn's master, the workers below
            cpu_before, began = tree_cpu_s(web), time.monotonic()
            latencies, errors = load(base, cookies, args.screens, args.seconds, args.refresh,
                                     args.procs)
            # The load's own start-up (spawning its processes) is in the window: it makes
            # the figure a little low, never high.
            web_cpu, window = tree_cpu_s(web) - cpu_before, time.monotonic() - began
            web_pss, web_procs = tree_pss_mib(web), len(tree(web))
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    total = len(latencies) + len(errors)
    print(f"{args.screens} screens, refresh {args.refresh:g} s, {args.queues} queues, "
          f"{args.workers} gunicorn workers, {args.seconds:g} s, {args.procs} load processes")
    if latencies:
        print(f"callbacks: {total} ({total / args.seconds:.1f}/s), errors: {len(errors)}"
              f"{' ' + str(sorted(set(errors))) if errors else ''}")
        print(f"latency: p50 {pct(latencies, .5) * 1000:.1f} ms, "
              f"p95 {pct(latencies, .95) * 1000:.1f} ms, p99 {pct(latencies, .99) * 1000:.1f} ms,"
              f" mean {statistics.mean(latencies) * 1000:.1f} ms")
        share = web_cpu / window
        print(f"web CPU (gunicorn's master and workers): {web_cpu:.1f} s in {window:.0f} s "
              f"= {share:.1%} of one core; memory {web_pss:.0f} MiB PSS in {web_procs} "
              "processes (it grows with workers, not screens)")
        if share > 0:
            print(f"screens per core at a {args.refresh:g}-s refresh = {args.screens} / "
                  f"{share:.3f} = {args.screens / share:,.0f}")
    else:
        print(f"no successful callback; errors: {errors[:5]}")
    return 0 if latencies and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
