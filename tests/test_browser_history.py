"""/queues/<id> in a real Chromium against the running product: from a wall screen tile to
the queue's history, its charts for 24 h, a range change the URL keeps, a reload that
keeps it, and the daily figures' CSV behind the login."""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.fixtures.live import (
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


def charts(browser) -> dict[str, object]:
    """What the charts area shows, read in one script (it is redrawn now and then)."""
    return browser.execute_script("""
        const area = document.getElementById('hst-charts');
        if (!area) { return {}; }
        const line = area.querySelector('.hst-resolution');
        return {resolution: line ? line.dataset.resolution : null,
                text: line ? line.innerText : '',
                plots: area.querySelectorAll('.hst-chart .main-svg').length,
                lines: area.querySelectorAll('.hst-chart .scatterlayer .trace').length,
                charts: Array.from(area.querySelectorAll('[data-chart]'))
                             .map(c => c.dataset.chart)};""")


def active_range(browser) -> str:
    return str(browser.execute_script(
        "const a = document.querySelector('.hst-range__link--active');"
        "return a ? a.innerText : '';"))


def test_a_tile_leads_to_the_queue_history_whose_range_lives_in_the_url(
    live_stack, browser, tmp_path
):
    log_in_browser(browser, live_stack.base_url)
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".tile .tile__link"))
    tile_link = ".tile[data-queue='100'] .tile__link"  # tiles re-render on every refresh
    name = text_of(browser, By.CSS_SELECTOR, tile_link)
    click(browser, By.CSS_SELECTOR, tile_link)
    wait(browser, 10).until(lambda d: d.current_url.endswith("/queues/100"))
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    assert name in text_of(browser, By.CLASS_NAME, "hst-queue__name")

    browser.get(live_stack.base_url + "/queues/100?range=24h")
    wait(browser, 20).until(lambda d: charts(d).get("resolution") == "1m")
    shown = charts(browser)
    assert shown["charts"] == ["waiting", "wait", "service-level", "agents"]
    assert "1-minute averages, min–max band" in str(shown["text"])
    wait(browser, 10).until(lambda d: charts(d).get("lines", 0) >= 4)  # traces drawn
    assert active_range(browser) == "24 h"
    wait(browser, 10).until(lambda d: "Agents in this queue" in d.find_element(
        By.ID, "hst-agents").text)
    assert save_screenshot(browser, tmp_path, "history.png").stat().st_size > 10_000

    click(browser, By.LINK_TEXT, "1 h")
    wait(browser, 10).until(lambda d: d.current_url.endswith("/queues/100?range=1h"))
    wait(browser, 10).until(lambda d: active_range(d) == "1 h")
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)

    browser.refresh()
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    assert browser.current_url.endswith("/queues/100?range=1h")
    assert active_range(browser) == "1 h"

    fill(browser, By.ID, "hst-from", "yesterday")
    click(browser, By.ID, "hst-apply")
    wait(browser, 10).until(lambda d: "is not a time" in d.find_element(
        By.ID, "hst-range-message").text)
    assert browser.current_url.endswith("/queues/100?range=1h")

    # A custom range: the last hour as the form shows it, now held as from/to.
    browser.refresh()
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    start, end = browser.execute_script(
        "return ['hst-from', 'hst-to'].map(id => document.getElementById(id).value);")
    click(browser, By.ID, "hst-apply")
    wait(browser, 10).until(lambda d: "?from=" in d.current_url)
    assert browser.current_url.endswith(
        f"/queues/100?from={start.replace(' ', 'T')}&to={end.replace(' ', 'T')}")
    wait(browser, 10).until(lambda d: active_range(d) == "Custom")
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    assert console_errors(browser) == [], "no console errors (CSP violations show up here)"

    wait(browser, 10).until(lambda d: d.find_elements(By.ID, "hst-csv"))
    href = act(browser, (By.ID, "hst-csv"), lambda link: link.get_attribute("href"))
    browser.get(live_stack.base_url + "/queues/999?range=1h")
    wait(browser, 20).until(lambda d: "No such queue: 999" in d.find_element(
        By.ID, "hst-missing").text)
    assert console_errors(browser) == []

    # The CSV link works for the logged-in browser and for nobody else.
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    mine = httpx.get(href, cookies=cookies, timeout=10)
    assert mine.status_code == 200 and mine.content.startswith(b"\xef\xbb\xbf")
    anonymous = httpx.get(href, timeout=10)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["location"]
