"""The product in a real Chromium: the simulator, `collect` and `web` (gunicorn) running.

What a person at a wall screen sees: the login, a tile per queue, a value that changes,
"stale" when the Trio server hangs, "connection lost" and recovery when the web server
restarts, Swedish text, logout.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.fixtures.live import (
    LiveStack,
    act,
    click,
    console_errors,
    fill,
    log_in_browser,
    save_screenshot,
    text_of,
    wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def live_env() -> dict[str, str]:
    """Two web workers, as a site runs them: a screen's requests land on either, and a
    login, a refresh, a logout and a restart must hold across both."""
    return {"TRIO_MONITOR_WEB_WORKERS": "2"}


def log_in(browser, stack: LiveStack) -> None:
    log_in_browser(browser, stack.base_url)
    wait(browser, 20).until(lambda d: len(tiles(d)) == 12)


# Tiles are re-rendered on every refresh: read them in one script, not element by element.
def tiles(browser) -> dict[str, tuple[str, str]]:
    """queue id -> (level, visible text) of every tile, read atomically."""
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('.tile[data-queue]'))"
        ".map(t => [t.dataset.queue, t.dataset.level, t.innerText]);")
    return {queue: (level, text) for queue, level, text in rows}


def level(browser, queue_id: str) -> str | None:
    return tiles(browser).get(queue_id, (None, ""))[0]


def test_it_logs_in_and_shows_a_tile_per_queue(live_stack, browser, tmp_path):
    log_in(browser, live_stack)

    names = {text.splitlines()[0] for _, text in tiles(browser).values()}
    assert {"Kundtjänst", "Växel", "Återbetalning"} <= names
    assert "Kundservice Testbolaget" in text_of(browser, By.TAG_NAME, "body")
    wait(browser, 10).until(lambda d: "updated" in tiles(d)["100"][1])
    path = save_screenshot(browser, tmp_path, "wallboard.png")
    assert path.stat().st_size > 10_000
    assert console_errors(browser) == [], "no console errors (CSP violations show up here)"


def test_it_shows_a_value_change_from_the_trio_server(live_stack, browser):
    log_in(browser, live_stack)

    live_stack.sim.control.override_queue(100, longestwaittime=95, callswaiting=4)

    # Wait for the pinned value itself: the simulated queue may turn critical on its own.
    wait(browser, 15).until(lambda d: "1:35" in tiles(d)["100"][1])
    assert level(browser, "100") == "critical"


def test_it_marks_tiles_stale_when_the_trio_server_hangs_and_recovers(live_stack, browser):
    log_in(browser, live_stack)

    live_stack.sim.control.inject("services/state", "hang")

    wait(browser, 20).until(lambda d: {lvl for lvl, _ in tiles(d).values()} == {"stale"})
    text = tiles(browser)["100"][1]
    # The last figures stay, dimmed, under STALE and their time (test_browser_outage.py).
    assert "STALE" in text and "as of " in text and "updated" not in text
    strip = text_of(browser, By.ID, "wallboard-strip")
    # The read timeout (0.5 s) names the hang; on a loaded machine the whole-request
    # deadline (0.8 s) can run out first, and that is named instead. Either way, the why.
    why = r"trio\b.*(no response within 0\.5 s|deadline of 0\.8 s exceeded)"
    assert re.search(why, strip, re.S), strip

    live_stack.sim.control.clear()
    wait(browser, 40).until(lambda d: level(d, "100") not in ("stale", None))


def test_it_shows_connection_lost_and_recovers_when_the_web_server_restarts(
    live_stack, browser
):
    log_in(browser, live_stack)
    overlay = act(browser, (By.ID, "wallboard-overlay"), lambda e: e.get_attribute("class"))
    assert "overlay--hidden" in overlay

    live_stack.stop("web")
    wait(browser, 15).until(
        lambda d: "overlay--visible" in d.find_element(By.ID, "wallboard-overlay")
        .get_attribute("class"))
    assert "Connection to the server lost" in text_of(browser, By.TAG_NAME, "body")

    live_stack.start("web")
    wait(browser, 20).until(
        lambda d: "overlay--hidden" in d.find_element(By.ID, "wallboard-overlay")
        .get_attribute("class"))
    assert "/login" not in browser.current_url
    assert len(tiles(browser)) == 12


def test_it_switches_to_swedish_and_logs_out(live_stack, browser):
    log_in(browser, live_stack)

    click(browser, By.ID, "wallboard-lang-sv")
    wait(browser, 10).until(lambda d: "Längsta väntetid" in d.find_element(By.TAG_NAME, "body")
                            .text)

    click(browser, By.ID, "wallboard-logout-button")
    wait(browser, 10).until(lambda d: "/login" in d.current_url)
    browser.get(live_stack.base_url + "/")
    assert "/login?next=/" in browser.current_url


def test_a_screen_whose_session_ended_goes_to_the_login_page(live_stack, browser):
    log_in(browser, live_stack)

    browser.delete_all_cookies()  # as when the session expires or is ended by an admin

    wait(browser, 20).until(lambda d: "/login" in d.current_url)
    wait(browser, 10).until(lambda d: d.find_element(By.NAME, "username"))


def attrs(browser, selector: str, *names: str) -> list[tuple[str, ...]]:
    """The given data attributes and text of every element matching ``selector``."""
    script = ("return Array.from(document.querySelectorAll(arguments[0]))"
              ".map(e => arguments[1].map(n => e.dataset[n] || '').concat([e.innerText]));")
    return [tuple(row) for row in browser.execute_script(script, selector, list(names))]


def test_health_and_drift_pages_show_a_failing_worker_and_a_drifting_resource(
    live_stack, browser, tmp_path
):
    sim = live_stack.sim
    log_in(browser, live_stack)
    sim.control.worker("worker-2", mode="failing", status=503)
    reconciler = sim.reconciler_names[0]
    sim.control.clear_reconciler_drift(reconciler)
    sim.control.reconciler(reconciler, drift=[{
        "resource_id": "db-wallboard-test", "provider": "aws", "kind": "database",
        "field": "memory", "desired": "4Gi", "actual": "2Gi"}])

    # The wall screen's site row names the worst worker.
    wait(browser, 20).until(lambda d: "worker-2" in d.find_element(By.TAG_NAME, "body").text)

    browser.get(live_stack.base_url + "/health")
    wait(browser, 20).until(lambda d: ("health:worker-2", "down") in
                            [row[:2] for row in attrs(d, "[data-source]", "source", "state")])
    card = next(row for row in attrs(browser, "[data-source]", "source", "state")
                if row[0] == "health:worker-2")
    assert "HTTP 503" in card[2]
    save_screenshot(browser, tmp_path, "health.png")

    browser.get(live_stack.base_url + "/drift")
    wait(browser, 20).until(lambda d: any(
        row[0] == "db-wallboard-test" for row in attrs(d, "[data-resource]", "resource")))
    row = next(r for r in attrs(browser, "[data-resource]", "resource", "field")
               if r[0] == "db-wallboard-test")
    assert row[1] == "memory" and "4Gi" in row[2] and "2Gi" in row[2]
    save_screenshot(browser, tmp_path, "drift.png")
    assert console_errors(browser) == [], "no console errors on the health and drift pages"

    sim.control.reset_worker("worker-2")
    browser.get(live_stack.base_url + "/health")
    wait(browser, 30).until(lambda d: ("health:worker-2", "up") in
                            [row[:2] for row in attrs(d, "[data-source]", "source", "state")])


def test_it_acknowledges_an_alert_on_the_alerts_page_and_the_wall_screen_says_so(
    live_stack, browser, tmp_path
):
    log_in(browser, live_stack)
    click(browser, By.ID, "alr-wall-sound-button")  # beep on new criticals
    assert browser.execute_script("return localStorage.getItem('alr-wall-sound')") == "true"
    live_stack.sim.control.override_queue(100, longestwaittime=95, callswaiting=4)
    wait(browser, 15).until(lambda d: level(d, "100") == "critical")
    name = tiles(browser)["100"][1].splitlines()[0]

    browser.get(live_stack.base_url + "/alerts")
    row_script = ("return Array.from(document.querySelectorAll('#alr-firing tr'))"
                  ".filter(r => r.innerText.includes(arguments[0])"
                  " && r.innerText.includes('Longest wait'))")
    wait(browser, 15).until(lambda d: d.execute_script(row_script + ".length", name) == 1)
    # The tables re-render every second: click inside one script, not element by element.
    browser.execute_script(row_script + "[0].querySelector('button').click()", name)
    wait(browser, 10).until(lambda d: d.find_element(By.ID, "alr-ack-comment").is_displayed())
    fill(browser, By.ID, "alr-ack-comment", "two more agents coming")
    click(browser, By.ID, "alr-ack-submit")
    wait(browser, 10).until(lambda d: "Acknowledged Longest wait" in
                            d.find_element(By.ID, "alr-ack-message").text)
    wait(browser, 10).until(lambda d: "two more agents coming" in
                            d.find_element(By.ID, "alr-firing").text)
    save_screenshot(browser, tmp_path, "alerts.png")
    assert console_errors(browser) == [], "no console errors on the alerts page"

    browser.get(live_stack.base_url + "/")
    wait(browser, 15).until(lambda d: "acknowledged by admin" in
                            tiles(d).get("100", ("", ""))[1])
    assert level(browser, "100") == "critical"  # acknowledged, still red
    save_screenshot(browser, tmp_path, "wallboard-acknowledged.png")
    button = act(browser, (By.ID, "alr-wall-sound-button"), lambda e: e.get_attribute("class"))
    assert "sound__button--on" in button, "the choice survives"
    # The beeper itself (WebAudio): a critical alert id it has not seen beeps, once.
    beep = "return window.dash_clientside.trioAlerts.beepOnNew(['a-browser-test'], true)"
    first = browser.execute_script(beep)
    assert (first["fresh"], first["beeped"]) == (["a-browser-test"], True)
    assert browser.execute_script(beep)["beeped"] is False
