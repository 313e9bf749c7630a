"""A wall screen with a display token in a real Chromium: the simulator, `collect` and
`web` (gunicorn) running.

The screen opens /display/<token>?rotate=... once; it rotates its pages in kiosk mode,
keeps running through a restart of the web server without a login, starts again by
itself when the app is upgraded, and shows the revoked page once its token is revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import auth
import storage
from tests.fixtures.live import LiveStack, wait

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(360)]

EVERY_S = 5
PLAYLIST = ("/", "/drift", "/health")


def with_engine(stack: LiveStack, action: Callable[[Any], Any]) -> Any:
    engine = storage.make_engine(stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        return action(engine)
    finally:
        engine.dispose()


def path(browser: Any) -> str:
    return str(browser.execute_script("return window.location.pathname"))


def kiosk_state(browser: Any) -> dict[str, Any]:
    """What the screen shows: path, kiosk mode, the nav's and cursor's visibility, tiles."""
    return dict(browser.execute_script("""
        const nav = document.querySelector('.nav');
        return {
          path: window.location.pathname,
          kiosk: document.documentElement.classList.contains('kiosk'),
          navShown: !!nav && nav.offsetParent !== null && nav.children.length > 0,
          cursor: getComputedStyle(document.body).cursor,
          tiles: document.querySelectorAll('.tile[data-queue]').length,
          marker: window.__trioKioskTest || null,
          token: localStorage.getItem('trio.display.token'),
        };"""))


def watch_rotation(browser: Any, pages: int = 3) -> list[str]:
    """The pages shown one after another, watched until ``pages`` have been seen (the
    first may be one already showing): as soon as that, not for a fixed time."""
    shown: list[str] = []

    def seen_enough(driver: Any) -> bool:
        assert "/login" not in driver.current_url, "a screen never sees the login page"
        current = path(driver)
        if not shown or shown[-1] != current:
            shown.append(current)
        return len(shown) >= pages

    # A page per EVERY_S: one more period and a margin for a loaded machine.
    wait(browser, (pages + 1) * EVERY_S + 15).until(seen_enough, f"rotation: {shown}")
    return shown


def assert_rotates_in_order(shown: list[str], at_least: int = 3) -> None:
    assert len(shown) >= at_least, shown
    for before, after in zip(shown, shown[1:], strict=False):
        assert PLAYLIST[(PLAYLIST.index(before) + 1) % len(PLAYLIST)] == after, shown


def restart_web(stack: LiveStack, **env: str) -> None:
    stack.stop("web")
    stack.env.update(env)
    stack.start("web")


def test_a_kiosk_screen_rotates_pages_survives_restarts_and_upgrades_and_is_revoked(
    live_stack: LiveStack, browser: Any
) -> None:
    # A fixed build id: the code hash would change whenever a file of this tree does.
    restart_web(live_stack, TRIO_MONITOR_BUILD_ID="build-1")
    new = with_engine(live_stack, lambda e: auth.create_display(e, "Skärm 3"))
    browser.get(f"{live_stack.base_url}/display/{new.token}"
                f"?rotate=wallboard,drift,health&every={EVERY_S}")

    wait(browser, 30).until(lambda d: kiosk_state(d)["tiles"] == 12)
    state = kiosk_state(browser)
    assert state["kiosk"] and not state["navShown"] and state["cursor"] == "none"
    assert state["token"] == new.token and "/display/" not in browser.current_url
    assert_rotates_in_order(watch_rotation(browser))

    # A restart of the web server (same code): the screen rides it out, no reload.
    browser.execute_script("window.__trioKioskTest = 'before restart'")
    # (The whole playlist was seen in order above: one more step in order says it goes on.)
    restart_web(live_stack)
    assert_rotates_in_order(watch_rotation(browser, pages=2), at_least=2)
    assert kiosk_state(browser)["marker"] == "before restart"

    # An upgrade (another build id): the screen starts again by itself, no login.
    restart_web(live_stack, TRIO_MONITOR_BUILD_ID="build-2")
    wait(browser, 60).until(lambda d: kiosk_state(d)["marker"] is None
                            and kiosk_state(d)["kiosk"])
    assert "/login" not in browser.current_url
    assert_rotates_in_order(watch_rotation(browser, pages=2), at_least=2)

    seen = with_engine(live_stack, lambda e: auth.find_display(e, new.token))
    assert seen.last_seen_at_ms is not None and seen.last_page in PLAYLIST
    assert seen.last_addr == "127.0.0.1" and "Chrome" in (seen.last_user_agent or "")

    with_engine(live_stack, lambda e: auth.revoke_display(e, new.display.id))
    wait(browser, 15).until(lambda d: "access was revoked" in d.page_source)
    assert "/login" not in browser.current_url
    assert kiosk_state(browser)["token"] is None  # forgotten: it will not be tried again
    csp = [e["message"] for e in browser.get_log("browser")
           if "Content Security Policy" in e["message"]]
    assert csp == []
