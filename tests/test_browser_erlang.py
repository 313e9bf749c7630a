"""The floor figures in a real Chromium against the running product: a queue pinned in
the simulator (10 agents busy, 11 logged in) with 37 minutes of history before it (100
calls per 30 minutes) shows the day's totals and "needs 3 more" on its tile (Erlang C:
14 agents for 80/20 at 10 erlangs); an administrator gives the queue 95/20 on
/queues/<id>, and the tile then says "needs 5 more" (16 agents); the page has the
day's 15-minute service-level bars with the target line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By

import storage
from storage import PollWrite, Sample, SourceFacts, Store
from tests.fixtures.live import (
    click,
    console_errors,
    fill,
    log_in_browser,
    save_screenshot,
    text_of,
    wait,
)
from tests.fixtures.waits import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

QUEUE = 100
ANSWERED = 400  # the pinned day total; the seeded history ramps up to it
PINNED: dict[str, Any] = {
    "open": True, "callswaiting": 2, "longestwaittime": 5, "agentsloggedin": 11,
    "agentsfree": 1, "agentsbusy": 10, "agentspaused": 0, "answeredtoday": ANSWERED,
    "abandonedtoday": 3, "servicelevel": 80.0, "asa": 12,
}
HISTORY_METRICS = ("answered_today", "abandoned_today", "service_level_pct", "agents_busy",
                   "agents_logged_in")


@pytest.fixture
def sim_factory(sim_factory: Callable[..., Any]) -> Callable[..., Any]:
    """The live stack's simulator with queue 100 pinned before the collector first polls
    it, so every stored value of the queue is the pinned one."""

    def start(**overrides: Any) -> Any:
        running = sim_factory(**overrides)
        running.control.override_queue(QUEUE, **PINNED)
        return running

    return start


def seed_history(db_url: str) -> None:
    """37 minutes of polls every 5 s before the collector's first: answered calls rising by
    one every 18 s to the pinned total (100 per 30 minutes), the rest as pinned."""
    engine = storage.make_engine(db_url)
    try:
        store = Store(engine)
        keys = {}

        def collected() -> bool:
            keys.update({row.key.metric: row for row in store.series("trio")
                         if row.key.entity_id == str(QUEUE)
                         and row.key.metric in HISTORY_METRICS})
            return len(keys) == len(HISTORY_METRICS)

        wait_until(collected, 30, "the collector's first poll of the pinned queue")
        end = store.samples(keys["answered_today"].id, 0, 2**62)[0][0] - 1000
        samples = []
        for ts in range(end - 37 * 60_000, end + 1, 5000):
            values = {"answered_today": float(ANSWERED - round((end - ts) / 18_000)),
                      "abandoned_today": 3.0, "service_level_pct": 80.0,
                      "agents_busy": 10.0, "agents_logged_in": 11.0}
            samples += [Sample(keys[m].key, ts, v) for m, v in values.items()]
        facts = SourceFacts(name="trio", kind="trio", url="http://seed.invalid")
        store.write_poll(PollWrite("trio", samples, None, facts), lease_name=None,
                         lease_token=None, now_ms=end)
        # The collector has rolled up to now already: the history came late, as after
        # an outage, and is re-rolled the way the collector's recheck does it.
        storage.RollupStore(engine).recheck(end - 38 * 60_000, lease_name=None,
                                            lease_token=None, now_ms=end)
    finally:
        engine.dispose()


def tile(browser: Any) -> dict[str, Any]:
    return dict(browser.execute_script(f"""
        const t = document.querySelector(".tile[data-queue='{QUEUE}']");
        if (!t) {{ return {{}}; }}
        const day = t.querySelector('.tile__day');
        const iv = t.querySelector('.tile__interval');
        const st = t.querySelector('.tile__staffing');
        return {{day: day ? day.innerText : '', interval: iv ? iv.innerText : '',
                 staffing: st ? st.dataset.staffing : '', needs: st ? st.dataset.needs : '',
                 text: st ? st.innerText : ''}};"""))


def test_the_tile_shows_the_day_and_how_many_agents_are_missing(live_stack, browser,
                                                                  tmp_path):
    seed_history(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    log_in_browser(browser, live_stack.base_url)
    wait(browser, 30).until(lambda d: tile(d).get("needs") == "3")
    shown = tile(browser)
    assert shown["day"] == f"Today {ANSWERED} answered · 3 abandoned (1 %) · ASA 0:12"
    assert "SL this 15 min" in shown["interval"] and "target 80/20" in shown["interval"]
    assert "needs 3 more" in shown["text"] and "14 needed · 11 logged in" in shown["text"]
    save_screenshot(browser, tmp_path, "erlang-tile.png")

    browser.get(f"{live_stack.base_url}/queues/{QUEUE}")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR,
                                                      "#erl-intervals .main-svg"))
    wait(browser, 30).until(lambda d: d.execute_script(
        "const g = document.getElementById('erl-intervals');"
        "return g && g.querySelectorAll('.barlayer .trace').length > 0"
        " && g.querySelectorAll('.scatterlayer .trace').length > 0;"))
    assert "The site's default target: 80/20" in text_of(browser, By.ID, "erl-target-current")
    fill(browser, By.ID, "erl-target-pct", "95")
    fill(browser, By.ID, "erl-target-s", "20")
    click(browser, By.ID, "erl-target-save")
    wait(browser, 20).until(lambda d: "Saved: 95/20" in d.find_element(
        By.ID, "erl-target-message").text)
    assert "This queue's own target: 95/20" in text_of(browser, By.ID, "erl-target-current")
    wait(browser, 30).until(lambda d: "16 needed" in d.find_element(
        By.CSS_SELECTOR, ".erl-fig--staffing").text)
    save_screenshot(browser, tmp_path, "erlang-queue-page.png")

    browser.get(live_stack.base_url + "/")
    wait(browser, 30).until(lambda d: tile(d).get("needs") == "5")
    assert "target 95/20" in tile(browser)["interval"]
    assert not console_errors(browser)

    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        [row] = storage.AlertStore(engine).audit_log(action_prefix="queue.sl_target")
    finally:
        engine.dispose()
    assert (row.actor, row.target, row.after) == (
        "admin", f"queue:trio:{QUEUE}", {"sl_target_pct": 95.0, "sl_threshold_s": 20})
