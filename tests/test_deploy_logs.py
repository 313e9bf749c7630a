"""One log stream a site can ship (issue 15): a successful poll is one DEBUG line, so a
site at the default INFO level does not log every poll of every source."""

from __future__ import annotations

import logging

import pytest

from collectors.clock import ManualClock
from tests.fixtures.collect import collector_settings
from trio_monitor import wiring

pytestmark = [pytest.mark.timeout(60), pytest.mark.sqlite_only]


async def test_a_successful_poll_is_one_debug_line_and_a_failed_one_is_not_hidden(
        sim, db_url, caplog):
    settings = collector_settings(db_url, sim)
    engine = wiring.make_engine(settings)
    collector = wiring.collector(settings, engine, clock=ManualClock(start=sim.config.clock()))
    try:
        assert await collector.activate()
        caplog.set_level(logging.DEBUG)
        await collector.poll_once("trio")
        polled_ok = [r for r in caplog.records if r.getMessage().startswith("poll ok")]
        assert [r.levelno for r in polled_ok] == [logging.DEBUG]
        caplog.clear()
        sim.control.inject("services/state", "status", status=503, count=10)
        await collector.poll_once("trio")
        failed = [r for r in caplog.records if "poll failed" in r.getMessage()]
        assert failed and all(r.levelno >= logging.INFO for r in failed), caplog.text
    finally:
        await collector.aclose()
        engine.dispose()
