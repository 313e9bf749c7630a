"""Screens as a supervisor uses them, in a real Chromium against the product as run
(simulator, `collect`, `web`): one live stack for the checks below, in the order a
person would meet them.

- /health's target form: every label visible; Delete disabled for a new target.
- The top bar's badge counts a firing "Worker down" (a health target, not a queue) and
  leads to /alerts.
- /kiosk?rotate= rotates for a logged-in user (not only for a display token).
- A viewer at /admin gets a page of the app, styled as the others, in English or Swedish.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

import auth
import storage
from tests.fixtures.live import (
    LiveStack,
    click,
    console_errors,
    log_in_browser,
    save_screenshot,
    text_of,
    wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(360)]

VIEWER = ("vera", "viewer-password-1")
KEPT_RULE = "Worker down"


def with_alerts(stack: LiveStack) -> tuple[Any, storage.AlertStore]:
    engine = storage.make_engine(stack.env["TRIO_MONITOR_DATABASE_URL"])
    return engine, storage.AlertStore(engine)


def only_worker_down(stack: LiveStack) -> None:
    """Every shipped rule but "Worker down" disabled, as an admin would on /thresholds:
    the badge's count is then the worker's alert alone, whatever the queues do."""
    engine, alerts = with_alerts(stack)
    try:
        for rule in alerts.list_rules():
            if rule.name != KEPT_RULE and rule.enabled:
                alerts.update_rule(rule.id, rule.name, rule.spec, False,
                                   expected_version=rule.version, actor="test", now_ms=0)
        assert any(r.name == KEPT_RULE and r.enabled for r in alerts.list_rules())
        auth.add_user(engine, VIEWER[0], VIEWER[1], auth.Role.VIEWER)
    finally:
        engine.dispose()


def badge(browser: Any) -> dict[str, Any] | None:
    return browser.execute_script("""
        const b = document.querySelector('.summary__state');
        return b && {text: b.innerText, firing: b.dataset.firing || '',
                     tag: b.tagName, href: b.getAttribute('href')};""")


def form_labels(browser: Any) -> list[dict[str, Any]]:
    """Every label of /health's form: its text, size, and the contrast of its colour
    against the form's background (WCAG's ratio; 4.5 is what body text needs)."""
    return list(browser.execute_script("""
        const form = document.querySelector('.form');
        if (!form) { return []; }
        const lum = c => { const [r, g, b] = c.match(/[0-9.]+/g).slice(0, 3).map(Number)
            .map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const bg = lum(getComputedStyle(form).backgroundColor);
        return Array.from(form.querySelectorAll('.field__label, .checklist label'))
          .map(e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
            const fg = lum(s.color);
            return {text: e.innerText.trim(), w: r.width, h: r.height,
                    contrast: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05),
                    shown: s.visibility === 'visible' && s.display !== 'none'
                           && Number(s.opacity) > 0.9}; });"""))


def delete_disabled(browser: Any) -> bool:
    """Disabled, and looks it (not the same bright red button as an active one)."""
    return bool(browser.execute_script("""
        const b = document.getElementById('health-form-delete');
        return b.disabled && Number(getComputedStyle(b).opacity) < 0.6;"""))


def check_the_health_form(browser: Any, stack: LiveStack, tmp_path: Any) -> None:
    browser.get(stack.base_url + "/health")
    wait(browser, 20).until(lambda d: len(form_labels(d)) >= 9)
    labels = form_labels(browser)
    hidden = [label for label in labels
              if not (label["text"] and label["w"] > 0 and label["h"] > 0 and label["shown"]
                      and label["contrast"] >= 4.5)]
    assert hidden == [], labels
    assert delete_disabled(browser)
    click(browser, By.ID, "health-form-new")
    wait(browser, 10).until(lambda d: d.find_element(By.ID, "health-form-title").text
                            == "New target")
    assert delete_disabled(browser)
    save_screenshot(browser, tmp_path, "health-form.png")


def check_the_badge(browser: Any, stack: LiveStack, tmp_path: Any) -> None:
    stack.sim.control.worker("worker-2", mode="failing", status=503)
    browser.get(stack.base_url + "/")
    wait(browser, 60).until(lambda d: (badge(d) or {}).get("firing") == "1",
                            f"the badge counting the worker's alert: {badge(browser)}")
    shown = badge(browser)
    assert shown is not None
    assert (shown["tag"], shown["href"]) == ("A", "/alerts")
    assert "1 critical" in shown["text"], shown
    save_screenshot(browser, tmp_path, "badge.png")
    click(browser, By.CSS_SELECTOR, ".summary__state")
    wait(browser, 20).until(lambda d: d.execute_script("return location.pathname")
                            == "/alerts")
    wait(browser, 20).until(lambda d: "worker-2" in d.find_element(By.TAG_NAME, "body").text)


def check_kiosk_rotation(browser: Any, stack: LiveStack) -> None:
    browser.get(stack.base_url + "/kiosk?rotate=wallboard,drift&every=5")
    shown: list[str] = []

    def rotated(driver: Any) -> bool:
        assert "/login" not in driver.current_url
        current = driver.execute_script("return location.pathname")
        if not shown or shown[-1] != current:
            shown.append(current)
        return shown[-3:] == ["/", "/drift", "/"] or shown[-3:] == ["/drift", "/", "/drift"]

    wait(browser, 40).until(rotated, f"rotation for a logged-in user: {shown}")
    # A user's tab is not a wall screen: nothing remembered to restart it as one.
    assert browser.execute_script(
        "return localStorage.getItem('trio.kiosk.playlist')") is None


def check_access_refused(browser: Any, stack: LiveStack, tmp_path: Any) -> None:
    browser.delete_all_cookies()
    browser.execute_script("localStorage.clear()")
    log_in_browser(browser, stack.base_url, "/", *VIEWER)
    browser.get(stack.base_url + "/admin")
    assert text_of(browser, By.CSS_SELECTOR, "h1.page__title") == "Access refused"
    assert "Only administrators can open this page." in text_of(
        browser, By.CSS_SELECTOR, ".page__banner")
    styled = browser.execute_script("""
        return {bg: getComputedStyle(document.body).backgroundColor,
                bar: getComputedStyle(document.querySelector('.topbar')).display,
                site: document.querySelector('.topbar__site').innerText};""")
    # The app's dark colours and its flex top bar, not a browser's default white page.
    assert styled == {"bg": "rgb(13, 17, 23)", "bar": "flex",
                      "site": "Kundservice Testbolaget"}, styled
    save_screenshot(browser, tmp_path, "refused-en.png")
    click(browser, By.LINK_TEXT, "SV")
    wait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "h1.page__title").text
                            == "Åtkomst nekad")
    assert "Bara administratörer" in text_of(browser, By.CSS_SELECTOR, ".page__banner")
    save_screenshot(browser, tmp_path, "refused-sv.png")


def test_a_supervisors_screens(live_stack: LiveStack, browser: Any, tmp_path: Any) -> None:
    only_worker_down(live_stack)
    log_in_browser(browser, live_stack.base_url, "/health")
    check_the_health_form(browser, live_stack, tmp_path)
    check_the_badge(browser, live_stack, tmp_path)
    check_kiosk_rotation(browser, live_stack)
    check_access_refused(browser, live_stack, tmp_path)
    assert [e for e in console_errors(browser) if "403" not in e] == []
