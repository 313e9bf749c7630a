"""The event loop while a Trio poll parses a large body. Run by hand.

    python bench/parse_stall.py [--records 10000] [--polls 3] [--freeze]

The simulator (in this process, as in the tests) answers services/state with one page of
``--records`` distinct queues; a heartbeat task ticks every 20 ms while the Trio source
polls. Printed per poll: its wall time, the time spent parsing and validating off the
loop, and the largest gap between two heartbeats, which is how long any other job of the
collector (lease renewal, notifications, alerts) could have been held up. Full garbage
collections (which stop every thread) are printed as they happen. ``--freeze`` moves the
heap present before polling out of the collector's sight (``gc.freeze()``), as a
collector could do after start-up; the simulator's model is a large part of that heap.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collectors.clock import SystemClock  # noqa: E402
from collectors.deadline import Deadline  # noqa: E402
from simulator import SimulatorConfig, run_in_thread  # noqa: E402
from tests.fixtures.collect import collector_settings  # noqa: E402
from trio_monitor import wiring  # noqa: E402

_gc_started = [0.0]


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if info["generation"] != 2:
        return
    if phase == "start":
        _gc_started[0] = time.monotonic()
    else:
        print(f"    full gc {time.monotonic() - _gc_started[0]:.3f} s")


async def _run(sim: Any, polls: int, freeze: bool) -> None:
    settings = collector_settings("sqlite:///unused.db", sim, http_max_body_mb=256,
                                  trio_collect_agents=False)
    source = wiring.trio_source(settings, SystemClock())
    off_loop = source._off_loop
    spent = [0.0]

    async def timed(*args: Any) -> Any:
        started = time.monotonic()
        try:
            return await off_loop(*args)
        finally:
            spent[0] += time.monotonic() - started

    source._off_loop = timed  # type: ignore[method-assign]
    gaps: list[float] = [0.0]
    done = False

    async def heartbeat() -> None:
        last = time.monotonic()
        while not done:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    if freeze:
        gc.collect()
        gc.freeze()
    gc.callbacks.append(_on_gc)
    beat = asyncio.create_task(heartbeat())
    try:
        for _ in range(polls):
            gaps[:] = [0.0]
            spent[0] = 0.0
            started = time.monotonic()
            outcome = await source.poll(Deadline(SystemClock(), 120))
            print(f"poll {time.monotonic() - started:6.2f} s, off the loop {spent[0]:6.2f} s,"
                  f" {len(outcome.samples)} samples, largest loop gap {max(gaps):.3f} s")
            del outcome
    finally:
        done = True
        await beat
        gc.callbacks.remove(_on_gc)
        await source.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--freeze", action="store_true")
    args = parser.parse_args()
    with run_in_thread(SimulatorConfig(seed=1, warmup_s=600)) as sim:
        sim.control.inject("services/state", "large_body", records=args.records)
        print(f"{args.records} queue records per poll, heap frozen: {args.freeze}")
        asyncio.run(_run(sim, args.polls, args.freeze))


if __name__ == "__main__":
    main()
