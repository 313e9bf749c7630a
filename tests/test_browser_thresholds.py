"""/thresholds in a real Chromium against the running product: an admin backtests and
saves a rule, disables it from the table, and the page's callbacks carry the CSRF header
(a callback POST without it is refused)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.live import ADMIN_PASSWORD, LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

INPUT = "thr-form-input-"


def wait(browser, seconds: float) -> WebDriverWait:
    return WebDriverWait(browser, seconds, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,))


def log_in(browser, stack: LiveStack, path: str) -> None:
    browser.get(stack.base_url + path)
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def text_of(browser, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "net::ERR_ABORTED" not in e["message"]]


def test_an_admin_backtests_saves_and_disables_a_rule(live_stack, browser):
    log_in(browser, live_stack, "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in text_of(d, "thr-rules"))
    browser.find_element(By.ID, INPUT + "name").send_keys("Wait over 10 s")
    browser.find_element(By.ID, INPUT + "metric").send_keys("longest_wait_s")
    browser.find_element(By.ID, INPUT + "warning").send_keys("10")

    browser.find_element(By.ID, "thr-form-backtest").click()
    wait(browser, 30).until(lambda d: "Last 7 d (one-minute resolution)" in
                            text_of(d, "thr-backtest"))
    assert "series" in text_of(browser, "thr-backtest")

    browser.find_element(By.ID, "thr-form-save").click()
    wait(browser, 10).until(lambda d: text_of(d, "thr-form-message") == "Saved Wait over 10 s")
    wait(browser, 10).until(lambda d: "Wait over 10 s" in text_of(d, "thr-rules"))
    assert "created" in text_of(browser, "thr-audit")

    row = browser.find_element(By.CSS_SELECTOR, "tr[data-rule='Wait over 10 s']")
    row.find_element(By.XPATH, ".//button[text()='Disable']").click()
    wait(browser, 10).until(lambda d: text_of(d, "thr-rules-message") ==
                            "Disabled Wait over 10 s")
    wait(browser, 10).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "tr[data-rule='Wait over 10 s']").get_attribute("data-enabled") == "off")
    assert console_errors(browser) == [], "no console errors (CSP violations show up here)"

    # The renderer sent the cookie's token as a header all along; without it: refused.
    status = browser.execute_script(
        "return fetch('/_dash-update-component', {method: 'POST', body: '{}',"
        " headers: {'Content-Type': 'application/json'}}).then(r => r.status);")
    assert status == 403
