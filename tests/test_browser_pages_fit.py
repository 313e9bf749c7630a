"""The pages on a phone (390x844), measured in a real Chromium against the product as run
(simulator, `collect`, `web`), with alerts firing, in English and Swedish
(docs/DESIGN.md "Layouts that hold", assets/phone.css):

- no page scrolls sideways: not the document and not the page's own scroll box
  (`.page` scrolls up and down; a table too wide for the screen scrolls inside itself);
  nothing is past the screen's right edge unless it is inside such a table;
- the menu button reaches the navigation, the language and logout on every page.

Screenshots go to $TRIO_MONITOR_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.fixtures.live import LiveStack, click, console_errors, log_in_browser, save_screenshot, wait
from tests.test_browser_layout import PHONE, fire_alerts, set_language, viewport, wait_for_alerts

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

PAGES = ("/alerts", "/admin", "/drift", "/thresholds", "/health", "/queues/100")
# The boxes that may scroll sideways on their own: a table (assets/phone.css), the
# rules' table's wrapper (assets/thresholds.css).
OWN_SCROLLERS = ".table, .thr-scroll"

# Everything that makes a page wider than the screen, as sentences: the document or any
# box other than a table scrolling sideways, an element past the right or left edge that
# no scroller or clipping box holds.
TOO_WIDE_JS = """
const allowed = arguments[0], vw = document.documentElement.clientWidth, problems = [];
const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
    + ' "' + (e.innerText || e.textContent || '').trim().slice(0, 30) + '"';
if (document.documentElement.scrollWidth > vw + 1) {
    problems.push('document scrolls sideways: ' + document.documentElement.scrollWidth);
}
const held = e => {  // inside a box that scrolls or clips sideways (not the page itself)
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (p.matches('.page')) { return false; }
        if (getComputedStyle(p).overflowX !== 'visible') { return true; }
    }
    return false;
};
for (const e of document.querySelectorAll('body *')) {
    if (!e.getClientRects().length || e.closest('svg')) { continue; }
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden' || style.position === 'fixed') { continue; }
    if (['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1
            && !e.matches(allowed)) {
        problems.push('scrolls sideways: ' + name(e) + ' ' + e.scrollWidth + ' > '
                      + e.clientWidth);
    }
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1) && !held(e)) {
        problems.push('past the edge: ' + name(e) + ' ' + Math.round(r.left) + '..'
                      + Math.round(r.right));
    }
}
return Array.from(new Set(problems)).slice(0, 12);
"""

# The menu's items: each shown and inside the screen.
MENU_JS = """
const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
const inside = e => { const r = e.getBoundingClientRect();
    return e.getClientRects().length > 0 && r.left >= -1 && r.right <= vw + 1 && r.top >= -1
        && r.bottom <= vh + 1 && getComputedStyle(e).visibility !== 'hidden'; };
return {nav: Array.from(document.querySelectorAll('.page__topbar .nav__link')).filter(inside)
            .map(e => e.getAttribute('href')),
        lang: Array.from(document.querySelectorAll('.page__topbar .lang__button'))
            .filter(inside).length,
        logout: Array.from(document.querySelectorAll('.page__topbar .logout__button'))
            .filter(inside).length};
"""


def too_wide(browser: Any) -> list[str]:
    return list(browser.execute_script(TOO_WIDE_JS, OWN_SCROLLERS))


def open_page(browser: Any, url: str, page: str) -> None:
    browser.get(url)
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".page__topbar"))
    if page in ("/drift", "/queues/100"):
        wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ytick text"))
    if page == "/health":
        wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".card"))
    if page in ("/alerts", "/admin", "/thresholds"):
        wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".page .table"))


def test_no_page_scrolls_sideways_on_a_phone_and_its_menu_reaches_everything(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    fire_alerts(live_stack)
    log_in_browser(browser, live_stack.base_url, "/")
    wait_for_alerts(browser, 60)
    found: dict[str, list[str]] = {}
    menus: dict[str, dict[str, Any]] = {}
    for lang in ("en", "sv"):
        set_language(browser, lang)
        wait_for_alerts(browser, 20)
        viewport(browser, *PHONE)
        for page in PAGES:
            open_page(browser, live_stack.base_url + page, page)
            found[f"{page} {lang}"] = too_wide(browser)
            save_screenshot(browser, tmp_path, f"phone{page.replace('/', '_')}_{lang}.png")
            click(browser, By.CSS_SELECTOR, ".page__topbar .menu__button")
            wait(browser, 10).until(lambda d: d.execute_script(MENU_JS)["logout"] == 1)
            menus[f"{page} {lang}"] = browser.execute_script(MENU_JS)
            found[f"{page} {lang} menu open"] = too_wide(browser)
        browser.get(live_stack.base_url + "/")
    assert {where: problems for where, problems in found.items() if problems} == {}
    for where, menu in menus.items():
        assert len(menu["nav"]) >= 5 and menu["lang"] == 2 and menu["logout"] == 1, (where, menu)
    assert console_errors(browser) == []
