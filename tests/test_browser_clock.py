"""One clock, in a real Chromium against the running product (simulator, `collect`,
`web`): the server runs in New York (TZ), the browser in Tokyo, the site is in Stockholm
(TRIO_MONITOR_TIMEZONE). One alert fires and is acknowledged; its minute reads the same
on the wall's tile, on /alerts, on /queues/<id> and (the acknowledgement) in /admin's
audit log, and the wall's top-bar clock shows Stockholm's time. Before, /alerts and /admin
wrote New York's time and the top-bar clock Tokyo's."""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.by import By

import storage
from dashboard import ids
from dashboard.components import admin as admin_ids
from dashboard.components import alerts as alert_ids
from specs import sitetime
from tests.fixtures.live import LiveStack, click, fill, wait
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

SITE = "Europe/Stockholm"
SERVER = "America/New_York"
BROWSER = "Asia/Tokyo"
QUEUE = "100"
SERIES = f"trio|queue|{QUEUE}"


@pytest.fixture
def live_env() -> dict[str, str]:
    """The product's processes in New York, the site in Stockholm."""
    return {"TZ": SERVER, "TRIO_MONITOR_TIMEZONE": SITE}


def open_alert(stack: LiveStack) -> storage.StateRow | None:
    """The stored state of queue 100's firing longest-wait alert, if it is open."""
    engine = storage.make_engine(stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        rows = storage.AlertStore(engine).states()
    finally:
        engine.dispose()
    return next((r for r in rows if r.series_key == SERIES and r.metric == "longest_wait_s"
                 and r.alert_id is not None and r.opened_at_ms is not None), None)


def ack_audit_ms(stack: LiveStack) -> int | None:
    engine = storage.make_engine(stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        rows = storage.AlertStore(engine).audit_log(action_prefix="alert.", limit=50)
    finally:
        engine.dispose()
    return next((r.ts_ms for r in rows if r.action == "alert.ack"), None)


def page_text(browser, selector: str) -> str:
    found: str = browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
        selector)
    return found


def in_site(ts_ms: int, *, seconds: bool = False) -> str:
    return sitetime.time_of_day(ts_ms, SITE, seconds=seconds)


def test_one_alert_shows_the_same_stockholm_minute_on_every_page(live_stack, browser):
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": BROWSER})
    # Pinned: queue 100 waits 95 s, over every shipped longest-wait threshold.
    live_stack.sim.control.override_queue(100, longestwaittime=95, open=True)
    log_in(browser, live_stack)
    assert browser.execute_script(
        "return Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER

    wait(browser, 60).until(lambda _d: open_alert(live_stack) is not None)
    state = open_alert(live_stack)
    assert state is not None and state.opened_at_ms is not None
    opened = state.opened_at_ms
    minute = in_site(opened)
    # Six hours (New York) and eight (Tokyo) apart: a time in either zone cannot match.
    assert minute not in (sitetime.time_of_day(opened, SERVER),
                          sitetime.time_of_day(opened, BROWSER))

    # The wall: the tile says since when, in Stockholm.
    tile = f".tile[data-queue='{QUEUE}'] .tile__since"
    wait(browser, 20).until(lambda d: page_text(d, tile) == f"alert since {minute}")

    # The wall's top-bar clock: Stockholm's time, marked with its abbreviation because
    # this browser's own clock (Tokyo) reads otherwise.
    def clock_reads_stockholm(d) -> bool:
        shown = page_text(d, f"#{ids.WALLBOARD_CLOCK}")
        now_ms = int(time.time() * 1000)
        expected = {in_site(now_ms - 1_000, seconds=True)[:5], in_site(now_ms, seconds=True)[:5]}
        return shown[:5] in expected and shown.endswith(sitetime.abbreviation(now_ms, SITE))

    wait(browser, 10).until(clock_reads_stockholm)

    # /alerts: the firing alert's "since", in Stockholm; then acknowledge it there.
    browser.get(live_stack.base_url + "/alerts")
    firing = f"#{alert_ids.ALR_FIRING} tr[data-state]"
    wait(browser, 20).until(lambda d: minute in page_text(d, firing))
    pick = (f"button[id*='{alert_ids.ALR_ACK_PICK}'][id*='{json.dumps(SERIES)[1:-1]}']"
            f"[id*='\"alert\":\"{state.alert_id}\"']")
    click(browser, By.CSS_SELECTOR, pick)
    fill(browser, By.ID, alert_ids.ALR_ACK_COMMENT, "on it")
    click(browser, By.ID, alert_ids.ALR_ACK_SUBMIT)
    wait(browser, 20).until(lambda _d: ack_audit_ms(live_stack) is not None)
    acked = ack_audit_ms(live_stack)
    assert acked is not None
    wait(browser, 20).until(lambda d: "on it" in page_text(d, firing)
                            and in_site(acked, seconds=True) in page_text(d, firing))

    # /queues/100: the shaded alert period, in words, from the same minute.
    browser.get(live_stack.base_url + f"/queues/{QUEUE}?range=1h")
    wait(browser, 30).until(lambda d: f"since {minute}" in page_text(d, ".hst-periods")
                            or f": {minute} –" in page_text(d, ".hst-periods"))
    assert f"Times in {SITE}" in page_text(browser, f"#{ids.PAGES_ZONE}")

    # /admin: the acknowledgement in the audit log, at the same Stockholm second.
    browser.get(live_stack.base_url + "/admin")
    audit = f"#{admin_ids.ADM_AUDIT} tr[data-action='alert.ack']"
    wait(browser, 30).until(lambda d: page_text(d, audit).startswith(in_site(acked,
                                                                             seconds=True)))

    # Still the browser's zone override: nothing above was read in Tokyo's time by luck.
    assert browser.execute_script(
        "return Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER
    live_stack.sim.control.release_queue(100)
