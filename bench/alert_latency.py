"""Alert latency: from a breach injected in the simulator to FIRING, and to the webhook.

    python bench/alert_latency.py [--breaches 50] [--poll 5]

Runs the simulator and a real ``trio-monitor collect`` process (SQLite, 5 s polls, alert
tick 1 s) with one rule (longest wait of one queue above 60 s, no pending period, routed
to a webhook channel), and a webhook receiver in this process. Each round pins the
queue's longest wait to 90 s in the simulator, notes the wall time, and measures:

- breach -> FIRING: the alert state's ``since_at`` (set by the collector when it stored
  the transition) minus the injection time;
- FIRING -> notification: the webhook's arrival time minus ``since_at``;
- breach -> notification.

Then it unpins the wait (pinned to 0 s), waits for the resolved message, and starts the
next round at a random phase of the poll interval. Prints p50/p95/max of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from bench.collect import CLIENT_KEY, PASSWORD, USER, free_port, pct, start_simulator  # noqa: E402
from simulator import SimulatorControl  # noqa: E402

QUEUE_ID = 100  # the simulator numbers services from 100
RULE = {
    "metric": "longest_wait_s",
    "scope": {"source": "trio", "entity_kind": "queue", "entity_ids": [str(QUEUE_ID)]},
    "direction": "above",
    "critical": 60,
    "active": "always",
    "critical_channels": ["bench"],
}


class Receiver:
    """The webhook endpoint: records when each (alert, kind) first arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, str], float] = {}
        self.messages = 0
        self.changed = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        now = time.time()
        body = await request.json()
        self.messages += 1
        for alert in body.get("notifications", []):
            key = (str(alert.get("alert_id")), str(alert.get("kind")))
            self.arrivals.setdefault(key, now)
        self.changed.set()
        return web.Response(status=204)

    async def wait_for(self, alert_id: str, kind: str, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while (alert_id, kind) not in self.arrivals:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind} message for alert {alert_id} in {timeout_s} s")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=remaining)
            except TimeoutError:
                continue
        return self.arrivals[(alert_id, kind)]


def firing_state(engine, rule_id: int) -> tuple[str, str | None, int] | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT state, alert_id, since_at FROM alert_states WHERE rule_id = :r"),
            {"r": rule_id},
        ).first()
    return None if row is None else (row.state, row.alert_id, row.since_at)


async def wait_state(engine, rule_id: int, want: str, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = await asyncio.to_thread(firing_state, engine, rule_id)
        if row is not None and row[0] == want:
            return row
        await asyncio.sleep(0.02)
    raise TimeoutError(f"alert state did not become {want} within {timeout_s} s")


def start_collector(
    poll_s: float, hook_port: int
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], str, str]:
    """Simulator aside: a fresh SQLite database with only the bench rule, and the collector."""
    sim, base = start_simulator(12)
    data = Path(tempfile.mkdtemp(prefix="alert-latency-"))
    url = f"sqlite:///{data / 'bench.db'}"
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    alerts = storage.AlertStore(engine)
    now_ms = int(time.time() * 1000)
    alerts.seed_rules([], now_ms=now_ms)  # no shipped defaults: only the bench rule
    alerts.create_rule("Bench wait", RULE, True, actor="bench", now_ms=now_ms)
    engine.dispose()
    env = {
        **os.environ,
        "TRIO_MONITOR_DATABASE_URL": url,
        "TRIO_MONITOR_DATA_DIR": str(data),
        "TRIO_MONITOR_TRIO_BASE_URL": base,
        "TRIO_MONITOR_TRIO_CLIENT_KEY": CLIENT_KEY,
        "TRIO_MONITOR_TRIO_USERNAME": USER,
        "TRIO_MONITOR_TRIO_PASSWORD": PASSWORD,
        "TRIO_MONITOR_POLL_INTERVAL_S": str(poll_s),
        "TRIO_MONITOR_ALERT_TICK_S": "1",
        "TRIO_MONITOR_NOTIFY_CHANNELS": json.dumps([{
            "name": "bench", "kind": "webhook", "format": "generic",
            "url": f"http://127.0.0.1:{hook_port}/hook",
        }]),
        "TRIO_MONITOR_LOG_LEVEL": "WARNING",
    }
    with open(data / "collect.log", "wb") as log:
        collect = subprocess.Popen(
            [sys.executable, "-m", "trio_monitor", "collect"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=log,
        )
    return sim, collect, base, url


async def run(breaches: int, poll_s: float, hook_port: int, base: str, url: str) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    control = SimulatorControl(base.replace("/te/api", "") + "/_control")
    engine = storage.make_engine(url)
    rule = next(r for r in storage.AlertStore(engine).list_rules() if r.name == "Bench wait")
    to_firing: list[float] = []
    to_notify: list[float] = []
    firing_to_notify: list[float] = []
    try:
        control.override_queue(QUEUE_ID, longestwaittime=0, open=True)
        await asyncio.sleep(2 * poll_s)
        for round_no in range(1, breaches + 1):
            await asyncio.sleep(random.uniform(0, poll_s))  # a random phase of the poll
            t0 = time.time()
            control.override_queue(QUEUE_ID, longestwaittime=90, open=True)
            _state, alert_id, since_at = await wait_state(engine, rule.id, "firing", 4 * poll_s)
            assert alert_id is not None
            arrived = await receiver.wait_for(alert_id, "firing", 4 * poll_s)
            fired = since_at / 1000
            to_firing.append(fired - t0)
            firing_to_notify.append(arrived - fired)
            to_notify.append(arrived - t0)
            print(f"breach {round_no:2d}: firing after {fired - t0:5.2f} s, "
                  f"notified {arrived - fired:5.2f} s later", flush=True)
            control.override_queue(QUEUE_ID, longestwaittime=0, open=True)
            await wait_state(engine, rule.id, "ok", 4 * poll_s)
            await receiver.wait_for(alert_id, "resolved", 4 * poll_s)
    finally:
        control.close()
        await runner.cleanup()
        engine.dispose()

    def line(name: str, values: list[float]) -> str:
        return (f"{name:<24} p50 {statistics.median(values):6.2f} s"
                f"   p95 {pct(values, 0.95):6.2f} s   max {max(values):6.2f} s")

    print(f"\n{len(to_firing)} breaches, poll interval {poll_s:g} s, "
          f"{receiver.messages} webhook messages")
    print(line("breach -> FIRING", to_firing))
    print(line("FIRING -> notification", firing_to_notify))
    print(line("breach -> notification", to_notify))
    print(f"target: FIRING within {poll_s + 1:g} s (p95), notification 1 s after FIRING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--breaches", type=int, default=50)
    parser.add_argument("--poll", type=float, default=5.0)
    args = parser.parse_args()
    hook_port = free_port()
    sim, collect, base, url = start_collector(args.poll, hook_port)
    try:
        asyncio.run(run(args.breaches, args.poll, hook_port, base, url))
    finally:
        for proc in (collect, sim):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
