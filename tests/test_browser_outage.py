"""The wall screen through an outage, in a real Chromium against the running product
(simulator, `collect`, `web`): when the Trio server hangs while a queue is critical, its
tile turns stale but keeps its last value dimmed, "as of <time>" in the site's zone and
the alert it is in; the top bar keeps counting the critical alert."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import storage
from tests.fixtures.live import LiveStack
from tests.test_browser import log_in, tiles, wait

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]

QUEUE = "100"
SITE_TZ = ZoneInfo("Europe/Stockholm")  # the product's default TRIO_MONITOR_TIMEZONE


def tile_facts(browser, queue_id: str) -> dict[str, str]:
    """The tile's level, alert mark, text, and the opacity its wait figure is drawn with,
    read in one script (tiles are re-rendered on every refresh)."""
    facts: dict[str, str] = browser.execute_script(
        "const t = document.querySelector(`.tile[data-queue='${arguments[0]}']`);"
        "if (!t) return {};"
        "const w = t.querySelector('.tile__wait');"
        "return {level: t.dataset.level, alert: t.dataset.alert || '', text: t.innerText,"
        " opacity: w ? getComputedStyle(w).opacity : ''};", queue_id)
    return facts


def summary_state(browser) -> str:
    text: str = browser.execute_script(
        "const s = document.querySelector('.summary__state');"
        "return s ? s.innerText : '';")
    return text


def newest_value_time(stack: LiveStack, queue_id: str) -> str:
    engine = storage.make_engine(stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        rows = [r for r in storage.Store(engine).latest("trio")
                if r.entity_kind == "queue" and r.entity_id == queue_id]
    finally:
        engine.dispose()
    newest = max(r.ts_ms for r in rows)
    return datetime.fromtimestamp(newest / 1000, UTC).astimezone(SITE_TZ).strftime("%H:%M:%S")


def test_a_stale_tile_keeps_its_last_value_dimmed_as_of_its_time_and_the_badge_counts(
    live_stack, browser
):
    live_stack.sim.control.override_queue(100, longestwaittime=95, open=True)
    log_in(browser, live_stack)
    wait(browser, 20).until(lambda d: tile_facts(d, QUEUE).get("level") == "critical"
                            and "1:35" in tile_facts(d, QUEUE)["text"])

    live_stack.sim.control.inject("services/state", "hang")

    wait(browser, 30).until(lambda d: {lvl for lvl, _ in tiles(d).values()} == {"stale"})
    facts = tile_facts(browser, QUEUE)
    assert facts["alert"] == "critical"
    assert "STALE" in facts["text"] and "critical alert still open" in facts["text"]
    assert "1:35" in facts["text"], "the last value stays on the tile"
    assert float(facts["opacity"]) < 0.6, "dimmed, never drawn as current"
    assert f"as of {newest_value_time(live_stack, QUEUE)}" in facts["text"]
    # Every queue is stale, yet the top bar still counts the critical alert held open.
    badge = summary_state(browser)
    assert "critical" in badge and "12 stale" in badge

    live_stack.sim.control.clear()
    live_stack.sim.control.release_queue(100)
    wait(browser, 40).until(lambda d: tile_facts(d, QUEUE).get("level") not in ("stale", None))
