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

from tests.fixtures.live import (
    LiveStack,
    click,
    console_errors,
    log_in_browser,
    save_screenshot,
    wait,
)
from tests.test_browser_layout import PHONE, fire_alerts, viewport, wait_for_alerts

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

PAGES = ("/alerts", "/admin", "/drift", "/thresholds", "/health", "/queues/100")
# The boxes that may scroll sideways on their own: a table (assets/phone.css), the
# rules' table's wrapper (assets/thresholds.css).
OWN_SCROLLERS = ".table:not(.table--cards), .thr-scroll"
# A table made into cards on a phone (components/tables.card_table): each of its rows a
# block, each labelled cell showing its column's header before its value.
CARD_ROWS_JS = """
return Array.from(document.querySelectorAll('.table--cards tbody > tr')).map(tr => [
    getComputedStyle(tr).display,
    Array.from(tr.children).filter(td => td.dataset.label && td.innerText.trim())
        .every(td => getComputedStyle(td, '::before').content
                     === JSON.stringify(td.dataset.label))]);
"""

# Everything that makes a page wider than the screen, as sentences: the document or any
# box other than a table scrolling sideways, an element past the right or left edge that
# no scroller or clipping box holds.
TOO_WIDE_JS = """
const allowed = arguments[0], vw = document.documentElement.clientWidth, problems = [];
const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className
       ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
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


def use_language(browser: Any, base_url: str, lang: str) -> None:
    """The pages' language is kept on the user: chosen with the page frame's switch
    (at a desktop's size, where it is in the bar), then read back from a fresh page."""
    from dashboard.i18n import t

    viewport(browser, 1920, 1080)
    browser.get(base_url + "/alerts")
    click(browser, By.ID, f"pages-lang-{lang}", timeout=20)
    title = t("alr_title", lang)

    def switched(driver: Any) -> bool:
        driver.get(base_url + "/alerts")
        return bool(wait(driver, 20).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, ".page__title"))[0].text == title)

    wait(browser, 30).until(switched, f"the pages did not switch to {lang}")


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
        use_language(browser, live_stack.base_url, lang)
        viewport(browser, *PHONE)
        for page in PAGES:
            open_page(browser, live_stack.base_url + page, page)
            found[f"{page} {lang}"] = too_wide(browser)
            if page in ("/alerts", "/drift"):  # alerts firing, a resource drifting
                rows = browser.execute_script(CARD_ROWS_JS)
                assert rows and all(row == ["block", True] for row in rows), (page, rows)
            save_screenshot(browser, tmp_path, f"phone{page.replace('/', '_')}_{lang}.png")
            click(browser, By.CSS_SELECTOR, ".page__topbar .menu__button")
            wait(browser, 10).until(lambda d: d.execute_script(MENU_JS)["logout"] == 1)
            menus[f"{page} {lang}"] = browser.execute_script(MENU_JS)
            found[f"{page} {lang} menu open"] = too_wide(browser)
    assert {where: problems for where, problems in found.items() if problems} == {}
    for where, menu in menus.items():
        assert len(menu["nav"]) >= 5 and menu["lang"] == 2 and menu["logout"] == 1, (where, menu)
    assert console_errors(browser) == []


# The texts of each chart that are not tick labels (the legend's, any annotation's): each
# inside its svg and none over another.
CHART_TEXTS_JS = """
const problems = [], names = [];
for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg')) {
    const box = svg.closest('.js-plotly-plot').getBoundingClientRect();
    const texts = Array.from(svg.querySelectorAll('.legendtext, .annotation-text'))
        .map(e => [e.textContent, e.getBoundingClientRect()]).filter(x => x[1].width > 0);
    for (const [text, r] of texts) {
        names.push(text);
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5
                || r.bottom > box.bottom + 0.5) {
            problems.push('cut: ' + text);
        }
    }
    for (let i = 0; i < texts.length; i++) { for (let j = i + 1; j < texts.length; j++) {
        const [a, ra] = texts[i], [b, rb] = texts[j];
        if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1
                && rb.top < ra.bottom - 1) {
            problems.push('over each other: ' + a + ' / ' + b);
        }
    } }
}
const periods = document.querySelector('.hst-periods');
const grid = document.querySelector('.hst-charts');
const chart = document.querySelector('.hst-chart-box');
return {problems: problems, names: names,
        periods: periods && [periods.getBoundingClientRect().width,
                             periods.getBoundingClientRect().height,
                             grid.clientWidth, chart.getBoundingClientRect().height]};
"""

# Each /health card: a sparkline or a line saying why there is none; the last error's
# label on one line and any address in it on one line, whole in its title.
HEALTH_CARDS_JS = """
const lines = e => Math.round(e.getBoundingClientRect().height
                              / parseFloat(getComputedStyle(e).lineHeight || 0) || 1);
const oneLine = e => e.getBoundingClientRect().height
    < 1.6 * parseFloat(getComputedStyle(e).fontSize);
const past = card => { const c = card.getBoundingClientRect();
    // Plotly's own drawing follows a resize a moment later: its box is what fits.
    const own = e => !e.closest('.js-plotly-plot') || e.matches('.js-plotly-plot');
    return Array.from(card.querySelectorAll('*')).filter(own).filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.right > c.right + 1 || r.left < c.left - 1); })
        .map(e => e.className + ' "' + (e.innerText || '').slice(0, 30) + '"'); };
return Array.from(document.querySelectorAll('.card')).map(card => ({
    source: card.dataset.source,
    past: past(card),
    trend: card.querySelector('.card__spark .main-svg') ? 'spark'
        : (card.querySelector('.card__trend') || {}).innerText || '',
    label: Array.from(card.querySelectorAll('.fact--last-error .fact__label')).every(oneLine),
    urls: Array.from(card.querySelectorAll('.fact__url')).map(u => [u.title, oneLine(u)]),
}));
"""


def test_threshold_labels_never_overlap_or_get_cut_and_every_health_card_says_its_trend(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    fire_alerts(live_stack)  # queue 101 waits 3725 s: its thresholds are pixels apart
    reconciler = live_stack.sim.reconciler_names[0]
    live_stack.sim.control.reconciler(reconciler, mode="hang")  # an address in its error
    log_in_browser(browser, live_stack.base_url, "/")
    wait_for_alerts(browser, 60)
    charts: dict[str, dict[str, Any]] = {}
    for lang in ("en", "sv"):
        use_language(browser, live_stack.base_url, lang)
        for width, height in (PHONE, (1920, 1080)):
            viewport(browser, width, height)
            open_page(browser, live_stack.base_url + "/queues/101", "/queues/100")
            wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".hst-periods"))
            charts[f"{lang} {width}"] = browser.execute_script(CHART_TEXTS_JS)
            save_screenshot(browser, tmp_path, f"thresholds_{lang}_{width}.png")
    for where, found in charts.items():
        assert found["problems"] == [], (where, found)
        shown = " ".join(found["names"])
        assert ("critical" in shown or "kritisk" in shown) and " s" in shown, (where, found)
        # "Alerts in this range": the grid's whole width, lower than a chart.
        period_width, period_height, grid_width, chart_height = found["periods"]
        assert period_width >= grid_width - 1 and period_height < chart_height / 2, (
            where, found)

    viewport(browser, *PHONE)
    open_page(browser, live_stack.base_url + "/health", "/health")
    wait(browser, 60).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f'.card[data-source="drift:{reconciler}"] .fact__url'))
    for width, height in (PHONE, (1920, 1080)):
        viewport(browser, width, height)
        # Plotly draws the sparklines after the page: wait for every card's last line.
        wait(browser, 20).until(lambda d: all(
            card["trend"] for card in d.execute_script(HEALTH_CARDS_JS)))
        cards = browser.execute_script(HEALTH_CARDS_JS)
        save_screenshot(browser, tmp_path, f"health_cards_{width}.png")
        assert [card for card in cards if not card["label"] or card["past"]] == []
        urls = [url for card in cards for url in card["urls"]]
        assert urls and all(title.startswith("http://") and one for title, one in urls), cards
