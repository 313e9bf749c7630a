"""/queues/<id> in a real Chromium against the running product: from a wall screen tile to
the queue's history, its charts for 24 h, a range change the URL keeps, a reload that
keeps it, and the daily figures' CSV behind the login."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.live import ADMIN_PASSWORD, LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]


def wait(browser, seconds: float) -> WebDriverWait:
    return WebDriverWait(browser, seconds, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,))


def log_in(browser, stack: LiveStack) -> None:
    browser.get(stack.base_url + "/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


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


def save_screenshot(browser, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    browser.save_screenshot(str(path))
    target = os.environ.get("TRIO_MONITOR_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    return path


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "net::ERR_ABORTED" not in e["message"]]


def test_a_tile_leads_to_the_queue_history_whose_range_lives_in_the_url(
    live_stack, browser, tmp_path
):
    log_in(browser, live_stack)
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".tile .tile__link"))
    link = browser.find_element(By.CSS_SELECTOR, ".tile[data-queue='100'] .tile__link")
    name = link.text
    link.click()
    wait(browser, 10).until(lambda d: d.current_url.endswith("/queues/100"))
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    assert name in browser.find_element(By.CLASS_NAME, "hst-queue__name").text

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

    browser.find_element(By.LINK_TEXT, "1 h").click()
    wait(browser, 10).until(lambda d: d.current_url.endswith("/queues/100?range=1h"))
    wait(browser, 10).until(lambda d: active_range(d) == "1 h")
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)

    browser.refresh()
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    assert browser.current_url.endswith("/queues/100?range=1h")
    assert active_range(browser) == "1 h"

    browser.find_element(By.ID, "hst-from").clear()
    browser.find_element(By.ID, "hst-from").send_keys("yesterday")
    browser.find_element(By.ID, "hst-apply").click()
    wait(browser, 10).until(lambda d: "is not a time" in d.find_element(
        By.ID, "hst-range-message").text)
    assert browser.current_url.endswith("/queues/100?range=1h")

    # A custom range: the last hour as the form shows it, now held as from/to.
    browser.refresh()
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    start, end = browser.execute_script(
        "return ['hst-from', 'hst-to'].map(id => document.getElementById(id).value);")
    browser.find_element(By.ID, "hst-apply").click()
    wait(browser, 10).until(lambda d: "?from=" in d.current_url)
    assert browser.current_url.endswith(
        f"/queues/100?from={start.replace(' ', 'T')}&to={end.replace(' ', 'T')}")
    wait(browser, 10).until(lambda d: active_range(d) == "Custom")
    wait(browser, 20).until(lambda d: charts(d).get("plots", 0) >= 4)
    assert console_errors(browser) == [], "no console errors (CSP violations show up here)"

    wait(browser, 10).until(lambda d: d.find_elements(By.ID, "hst-csv"))
    href = browser.find_element(By.ID, "hst-csv").get_attribute("href")
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
