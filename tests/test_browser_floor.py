"""The floor in a real Chromium against the product as run (simulator, `collect`, `web`):
a supervisor posts a message on /alerts; a FRESH browser opened with a display token
(the kiosk's wall screen) shows it on the ticker; withdrawn, it disappears; a weekly
maintenance window planned on /alerts is listed there in advance."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

import auth
import storage
from tests.fixtures.live import (
    LiveStack,
    chromium,
    click,
    console_errors,
    fill,
    log_in_browser,
    save_screenshot,
    wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(360)]

SUPERVISOR = ("sara", "supervisor-password-1")
MESSAGE = "System X is down: tell callers we will call them back"


def ticker(browser: Any) -> dict[str, Any]:
    """The ticker's state: its class and all its text (textContent: a scrolling line is
    partly outside its window, which Selenium's .text would leave out)."""
    return dict(browser.execute_script("""
        const t = document.getElementById('ticker');
        if (!t) { return {cls: '', text: '', height: 0}; }
        return {cls: t.className, text: t.textContent,
                height: t.getBoundingClientRect().height,
                font: parseFloat(getComputedStyle(t).fontSize)};"""))


def status_text(browser: Any, element_id: str) -> str:
    return str(browser.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';",
        element_id))


def test_a_message_reaches_a_wall_screen_and_maintenance_is_listed_ahead(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        auth.add_user(engine, *SUPERVISOR, auth.Role.SUPERVISOR)
        screen_token = auth.create_display(engine, "Floor 2").token
    finally:
        engine.dispose()

    log_in_browser(browser, live_stack.base_url, "/alerts", *SUPERVISOR)
    fill(browser, By.ID, "alr-floor-text", MESSAGE)
    click(browser, By.ID, "alr-floor-post")
    wait(browser, 20).until(lambda d: "Message posted" in status_text(
        d, "alr-floor-messages-message"))

    screen_dir = tmp_path / "screen"
    screen_dir.mkdir()
    screens = chromium(screen_dir)
    screen = next(screens)
    try:
        screen.get(f"{live_stack.base_url}/display/{screen_token}")
        wait(screen, 40).until(lambda d: MESSAGE in ticker(d)["text"],
                               f"the message on the screen's ticker: {ticker(screen)}")
        shown = ticker(screen)
        assert "ticker--on" in shown["cls"]
        # The screen above ends at the ticker's top: no tile hides behind it.
        bottom, top = screen.execute_script("""
            const above = document.querySelector('.wallboard, .page');
            return [above.getBoundingClientRect().bottom,
                    document.getElementById('ticker').getBoundingClientRect().top];""")
        assert bottom <= top + 1, (bottom, top)
        assert shown["font"] >= 40, shown  # large type: read from across the floor
        assert "/kiosk" in screen.current_url or screen.execute_script(
            "return location.pathname") == "/"
        save_screenshot(screen, tmp_path, "ticker.png")

        # The state's words and the withdraw button beside them stand apart.
        [gap] = wait(browser, 20).until(lambda d: d.execute_script("""
            const b = document.querySelector("button[id*='alr-floor-withdraw']");
            if (!b) { return null; }
            const words = Array.from(b.parentElement.childNodes).find(n => n.nodeType === 3);
            const range = document.createRange();
            range.selectNodeContents(words);
            return [b.getBoundingClientRect().left - range.getBoundingClientRect().right];"""))
        assert gap >= 4, f"the withdraw button touches the state's words: {gap} px"

        # Found and clicked in one script: the list is re-rendered every refresh, and a
        # button found by one call can be replaced before the next clicks it.
        wait(browser, 20).until(lambda d: d.execute_script("""
            const b = document.querySelector("button[id*='alr-floor-withdraw']");
            if (b) { b.click(); }
            return b !== null;"""))
        wait(browser, 20).until(lambda d: "withdrawn" in status_text(
            d, "alr-floor-messages-message"))
        wait(screen, 40).until(lambda d: "ticker--off" in ticker(d)["cls"],
                               f"the ticker gone after the withdrawal: {ticker(screen)}")
        assert MESSAGE not in ticker(screen)["text"]
    finally:
        screens.close()

    fill(browser, By.ID, "alr-floor-mnt-reason", "Trio server maintenance")
    click(browser, By.ID, "alr-floor-mnt-plan")
    wait(browser, 20).until(lambda d: "Maintenance planned" in status_text(
        d, "alr-floor-maintenance-message"))
    wait(browser, 20).until(
        lambda d: "every Sunday 02:00–04:00" in status_text(d, "alr-floor-maintenance")
        and "Trio server maintenance" in status_text(d, "alr-floor-maintenance"))
    assert "starts Sunday" in status_text(browser, "alr-floor-maintenance") or (
        "running" in status_text(browser, "alr-floor-maintenance"))
    save_screenshot(browser, tmp_path, "upcoming-maintenance.png")
    assert [e for e in console_errors(browser) if "403" not in e] == []
