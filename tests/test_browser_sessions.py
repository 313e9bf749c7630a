"""Issue 11 in a real Chromium against `trio-monitor web` (gunicorn, 2 workers): /admin
lists the login sessions, "Log me out everywhere" ends them all, and a cookie copied
before logout is refused by every worker at once."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fixtures.live import ADMIN_PASSWORD, LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def wait(browser, seconds: float) -> WebDriverWait:
    return WebDriverWait(browser, seconds, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,))


def api_login(stack: LiveStack) -> httpx.Client:
    """A second browser: a plain HTTP client logged in as the admin."""
    client = httpx.Client(base_url=stack.base_url, timeout=10,
                          headers={"User-Agent": "curl/8.5.0"})
    found = CSRF_FIELD.search(client.get("/login").text)
    assert found is not None
    response = client.post("/login", data={"csrf_token": found.group(1), "username": "admin",
                                           "password": ADMIN_PASSWORD})
    assert response.status_code == 303, response.text
    return client


def layout_status(client: httpx.Client) -> set[int]:
    # Several requests: gunicorn's two workers must agree, with no per-process cache.
    return {client.get("/_dash-layout").status_code for _ in range(6)}


def session_rows(browser) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('.adm-sessions tbody tr'))"
        ".map(r => r.innerText);")


def test_admin_sees_sessions_and_logging_out_everywhere_ends_a_copied_one(
    live_stack, browser
):
    with closing(api_login(live_stack)) as other:
        copied = other.cookies.get("trio_monitor_session")
        assert copied and layout_status(other) == {200}

        browser.get(live_stack.base_url + "/admin")
        browser.find_element(By.NAME, "username").send_keys("admin")
        browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait(browser, 30).until(lambda d: len(session_rows(d)) == 2)
        rows = session_rows(browser)
        assert any("Chrome" in row and "(this one)" in row for row in rows), rows
        assert any("curl" in row and "127.0.0.1" in row for row in rows), rows

        browser.find_element(By.ID, "adm-logout-everywhere").click()

        wait(browser, 20).until(lambda d: "/login" in d.current_url)
        assert layout_status(other) == {401}
    with httpx.Client(base_url=live_stack.base_url, timeout=10,
                      cookies={"trio_monitor_session": copied}) as thief:
        assert layout_status(thief) == {401}
    browser.get(live_stack.base_url + "/admin")
    assert "/login" in browser.current_url
