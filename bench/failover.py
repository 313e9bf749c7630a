"""Failover cost: how long the Trio poll takes when the primary goes down and comes back.

    python bench/failover.py [--runs 10] [--queues 8] [--agents 40]

Runs the simulator in this process and, per run, a fresh Trio source wired from settings
(the defaults: 3 attempts, 0.2 s base back-off, a failback check every second here). Four
polls per run: normal on the primary; the primary refusing connections (retries, the
switch, a login on the secondary, the poll there); in failover; and after the primary is
back (the failback check, a login on the primary, the poll). Prints median and max per
kind of poll.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collectors.clock import SystemClock  # noqa: E402
from collectors.deadline import Deadline  # noqa: E402
from simulator import RunningSimulator, SimulatorConfig, run_in_thread  # noqa: E402
from trio_monitor.settings import load_settings  # noqa: E402
from trio_monitor.wiring import trio_source  # noqa: E402

KINDS = ("normal", "failover", "in failover", "failback")


async def measure(sim: RunningSimulator, runs: int) -> dict[str, list[float]]:
    settings = load_settings(
        trio_base_url=sim.primary_url, trio_secondary_url=sim.secondary_url,
        trio_client_key=sim.config.client_key, trio_username=sim.config.username,
        trio_password=sim.config.password, trio_failback_check_s=1,
    )
    clock = SystemClock()
    found: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(runs):
        source = trio_source(settings, clock)
        try:
            for kind in KINDS:
                if kind == "failover":
                    sim.control.primary(False)
                elif kind == "failback":
                    sim.control.primary(True)
                    await asyncio.sleep(1.05)  # the failback check is due after 1 s
                started = time.perf_counter()
                outcome = await source.poll(Deadline(clock, 10.0))
                found[kind].append((time.perf_counter() - started) * 1000)
                if outcome.failover_active != (kind in ("failover", "in failover")):
                    raise SystemExit(f"unexpected server after the {kind} poll")
        finally:
            await source.aclose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--queues", type=int, default=8)
    parser.add_argument("--agents", type=int, default=40)
    args = parser.parse_args()
    config = SimulatorConfig(seed=1, warmup_s=600, queues=args.queues, agents=args.agents)
    with run_in_thread(config) as sim:
        found = asyncio.run(measure(sim, args.runs))
    for kind, values in found.items():
        print(f"{kind:<12} median {statistics.median(values):7.1f} ms"
              f"   max {max(values):7.1f} ms   (n={len(values)})")


if __name__ == "__main__":
    main()
