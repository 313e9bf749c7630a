"""The collector's event-loop lag: a blocked loop is measured and logged as it happens."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from collectors.looplag import LoopLag


def test_a_stall_at_or_over_the_bound_is_counted_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    lag = LoopLag(warn_s=1.0)
    with caplog.at_level(logging.WARNING, logger="collectors.looplag"):
        lag.observe(0.3)
        lag.observe(1.25)
    assert lag.longest_s == 1.25 and lag.stalls == 1
    assert [r.getMessage() for r in caplog.records] == [
        "the event loop was blocked for 1.2 s: lease renewal, alerts and notifications "
        "waited as long"]
    assert caplog.records[0].loop_lag_s == 1.25  # type: ignore[attr-defined]


async def test_it_measures_a_loop_blocked_by_a_synchronous_step() -> None:
    lag = LoopLag(period_s=0.05, warn_s=10.0)
    task = asyncio.create_task(lag.run())
    try:
        await asyncio.sleep(0)  # the timer starts
        # Blocking the loop for 0.6 s makes the timer at least 0.55 s late, however fast
        # or loaded the machine (a lower bound only: nothing here can make it earlier).
        time.sleep(0.6)  # noqa: ASYNC251 (the point: a step that blocks the loop)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 30
        while lag.longest_s < 0.5:
            assert loop.time() < give_up
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
    assert lag.longest_s >= 0.5
