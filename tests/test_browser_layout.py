"""Layouts that hold, measured in a real Chromium against the product as run (simulator,
`collect`, `web`), with alerts firing and long reasons, in English and Swedish:

- the top bar and the rows under it never wrap or cut a figure at 1280x720, 1920x1080 and
  3840x2160, on the wall screen and on the pages; a long reason is cut to one line,
  whole in its title and on a click;
- 6, 12, 24 and 48 queues fit one 1920x1080 screen and one 3840x2160 screen, in English
  and Swedish, no text inside a tile cut or on two lines, the type as large as fits and
  never larger with more queues, still readable at 48, about twice as large at 3840;
- a phone (390x844) gets its own layout: the menu reaches the pages, the language and
  logout; tiles readable; nothing scrolls sideways.

Screenshots of every size go to $TRIO_MONITOR_SCREENSHOT_DIR when set (that is how the
faults these tests catch were found).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from tests.fixtures.live import (
    LiveStack,
    click,
    console_errors,
    log_in_browser,
    running_stack,
    save_screenshot,
    wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

DESKTOPS = [(1280, 720), (1920, 1080), (3840, 2160)]
PHONE = (390, 844)
# A reason as long as real ones get: the worker's own words, through its status field.
LONG_STATUS = ("error: the payment queue consumer lost its connection to the message "
               "broker at amqp://broker-2.internal:5671 and is retrying every 30 seconds")
LONG_RESOURCE = "db-orders-replica-eu-north-1-production-cluster-b"
# At 48 queues on 1920x1080 (measured: labels 10.0 px, the longest wait 30 px), with room
# for a line in the status strip taking height from the tiles (about 4 %).
MIN_TILE_PX = 9  # the smallest type on a tile at 48 queues (its labels)
MIN_HEADLINE_PX = 26  # the longest wait at 48 queues, read from across the room


def viewport(browser: Any, width: int, height: int) -> None:
    """The page's own size (not the window's, which adds the browser's frame); a phone
    is emulated as one (touch, its viewport meta tag honoured)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1,
        "mobile": width < 700})
    wait(browser, 10).until(lambda d: d.execute_script(
        "return document.documentElement.clientWidth") == width)


def set_language(browser: Any, lang: str) -> None:
    """A click on the shown frame's language button (a script's: on a phone it is
    behind the menu). The choice is kept on the user, so every page loaded after it is
    in that language too; the button marked active once it took."""
    button = f"#wallboard-lang-{lang}, #pages-lang-{lang}"
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, button))
    browser.execute_script("document.querySelector(arguments[0]).click()", button)
    wait(browser, 20).until(lambda d: "lang__button--active" in (d.find_element(
        By.CSS_SELECTOR, button).get_attribute("class") or ""))


# Every problem a top bar and the rows under it can have, as sentences: an item on more
# than one line, a figure cut (its content wider than its box), anything past the
# viewport's right edge, the page scrolling sideways. A .clip is cut on purpose (an
# ellipsis, the whole text in its title): it is only checked for that title.
LAYOUT_PROBLEMS_JS = """
const oneRow = arguments[0], vw = document.documentElement.clientWidth, problems = [];
const shown = e => e.getClientRects().length > 0
    && getComputedStyle(e).visibility !== 'hidden';
const lines = e => {
    const r = document.createRange(); r.selectNodeContents(e);
    const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
    let n = 1;
    for (const a of rects) { for (const b of rects) { if (b.top >= a.bottom - 1) { n = 2; } } }
    return n;
};
const name = e => (e.className || e.tagName) + ' "' + e.innerText.slice(0, 40) + '"';
if (document.documentElement.scrollWidth > vw + 1) {
    problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
}
const items = document.querySelectorAll(
    '.topbar > *, .summary > *, .summary__total > *, .topbar__controls > *, .nav__link, '
    + '.lang__button, .logout__button, .page__title, .site__figure, .strip__item, '
    + '.site__detail');
for (const e of items) {
    if (!shown(e) || !e.innerText.trim()) { continue; }
    const r = e.getBoundingClientRect();
    if (e.closest('.topbar__controls') && getComputedStyle(e.closest('.nav') || e).position
        === 'absolute') { continue; }  // in the closed menu
    if (e.classList.contains('clip')) {
        if (e.scrollWidth > e.clientWidth + 1 && !(e.title || '').includes(
                e.innerText.replace(/^· /, '').slice(0, 30))) {
            problems.push('cut without its whole text in the title: ' + name(e));
        }
    } else {
        const group = ['summary', 'topbar__controls', 'nav'].some(c => e.classList.contains(c));
        if ((oneRow || !group) && lines(e) > 1) { problems.push('on two lines: ' + name(e)); }
        if (e.scrollWidth > e.clientWidth + 1 && !e.classList.contains('topbar__site')) {
            problems.push('cut: ' + name(e) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
        }
    }
    if (r.right > vw + 1 || r.left < -1) {
        problems.push('past the edge: ' + name(e) + ' ' + r.left + '..' + r.right);
    }
}
// On a desktop, the bar's items side by side: one row.
for (const bar of oneRow ? document.querySelectorAll('.topbar') : []) {
    const tops = Array.from(bar.children).filter(shown).map(e => e.getBoundingClientRect());
    for (const a of tops) { for (const b of tops) {
        if (b.top >= a.bottom - 1) { problems.push('the top bar on two rows'); }
    } }
}
return Array.from(new Set(problems));
"""


# Every chart's tick labels inside its svg (a fixed margin cut "1 200 s" on the left).
CHART_LABELS_CUT_JS = """
const cut = [];
for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg:first-of-type')) {
    const box = svg.getBoundingClientRect();
    for (const label of svg.querySelectorAll('.xtick text, .ytick text')) {
        const r = label.getBoundingClientRect();
        if (r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5
                        || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)) {
            cut.push(label.textContent);
        }
    }
}
return cut;
"""


def chart_labels_cut(browser: Any) -> list[str]:
    return [f"chart label cut: {label}"
            for label in browser.execute_script(CHART_LABELS_CUT_JS)]


def layout_problems(browser: Any, *, one_row: bool = True) -> list[str]:
    """``one_row``: the top bar must be one row (a desktop; a phone's has three)."""
    return list(browser.execute_script(LAYOUT_PROBLEMS_JS, one_row))


def fire_alerts(stack: LiveStack) -> None:
    """A critical queue, a worker down with a long reason, a reconciler's long drift."""
    sim = stack.sim
    sim.control.override_queue(100, longestwaittime=95, callswaiting=14, open=True)
    sim.control.override_queue(101, longestwaittime=3725, callswaiting=123, open=True)
    sim.control.worker("worker-2", mode="lying", body={"status": LONG_STATUS})
    reconciler = sim.reconciler_names[0]
    sim.control.clear_reconciler_drift(reconciler)
    sim.control.reconciler(reconciler, drift=[{
        "resource_id": LONG_RESOURCE, "provider": "aws", "kind": "database",
        "field": "max_connections", "desired": "2000", "actual": "500"}])


def alerts_shown(browser: Any) -> bool:
    text = browser.find_element(By.TAG_NAME, "body").text
    return ("critical" in text or "kritisk" in text) and "worker-2" in text \
        and ("drifting" in text or "avviker" in text)


def wait_for_alerts(browser: Any, seconds: float) -> None:
    try:
        wait(browser, seconds).until(alerts_shown)
    except TimeoutException:
        browser.save_screenshot("/tmp/layout_failed.png")
        raise AssertionError("alerts not shown: "
                             + browser.find_element(By.TAG_NAME, "body").text) from None


def test_the_top_bars_and_strips_hold_at_every_size_in_both_languages(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    fire_alerts(live_stack)
    log_in_browser(browser, live_stack.base_url, "/")
    wait_for_alerts(browser, 60)
    found: dict[str, list[str]] = {}
    for lang in ("en", "sv"):
        set_language(browser, lang)
        wait_for_alerts(browser, 20)
        for width, height in DESKTOPS:
            viewport(browser, width, height)
            found[f"wall {lang} {width}"] = layout_problems(browser)
            save_screenshot(browser, tmp_path, f"layout_wall_{lang}_{width}.png")
        for page in ("/alerts", "/health", "/drift", "/queues/100"):
            browser.get(live_stack.base_url + page)
            wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".nav__link"))
            if page in ("/drift", "/queues/100"):
                wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR,
                                                                  ".ytick text"))
            for width, height in DESKTOPS:
                viewport(browser, width, height)
                found[f"{page} {lang} {width}"] = (layout_problems(browser)
                                                   + chart_labels_cut(browser))
            save_screenshot(browser, tmp_path, f"layout{page.replace('/', '_')}_{lang}.png")
        browser.get(live_stack.base_url + "/")
        wait_for_alerts(browser, 20)
    assert {where: problems for where, problems in found.items() if problems} == {}

    # The worker's long reason: one line, cut, whole in its title and on a click.
    viewport(browser, 1280, 720)
    detail = ".site__part--workers .site__detail"
    wait(browser, 20).until(lambda d: d.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e && e.scrollWidth > e.clientWidth && e.title.includes('payment queue consumer')",
        detail))
    click(browser, By.CSS_SELECTOR, detail)
    wait(browser, 10).until(lambda d: d.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e.classList.contains('clip--open') && e.scrollWidth <= e.clientWidth"
        " && e.innerText.includes('payment queue consumer')", detail))
    save_screenshot(browser, tmp_path, "layout_wall_reason_open.png")
    # It stays open through the next refreshes (the row is re-rendered every 2 s).
    seen = browser.execute_script("return document.querySelector('#wallboard-clock').innerText")
    wait(browser, 20).until(lambda d: d.execute_script(
        "return document.querySelector('#wallboard-clock').innerText") != seen)
    assert browser.execute_script(
        "return document.querySelector(arguments[0]).classList.contains('clip--open')", detail)
    # A refresh may draw the line anew (its part went up and down again): still open.
    browser.execute_script("""
        const e = document.querySelector(arguments[0]);
        const drawn = e.cloneNode(true);
        drawn.classList.remove('clip--open');
        e.replaceWith(drawn);""", detail)
    wait(browser, 5).until(lambda d: d.execute_script(
        "return document.querySelector(arguments[0]).classList.contains('clip--open')",
        detail))
    # Closed by a click, it stays closed when drawn anew (the observer ran before the
    # script returned: a mutation's callback is a microtask of that script's task).
    click(browser, By.CSS_SELECTOR, detail)
    assert browser.execute_script("""
        const e = document.querySelector(arguments[0]);
        const closed = !e.classList.contains('clip--open');
        e.replaceWith(e.cloneNode(true));
        return closed;""", detail)
    assert not browser.execute_script(
        "return document.querySelector(arguments[0]).classList.contains('clip--open')", detail)
    assert console_errors(browser) == []


# -- tiles ------------------------------------------------------------------------------

TILE_REPORT_JS = """
const oneScreen = arguments[0] !== false;
const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
const tiles = Array.from(document.querySelectorAll('.tile'));
const problems = [], sizes = [];
// The lines of text an element's own words take (one per distinct top of their boxes).
const lines = e => {
    const r = document.createRange(); r.selectNodeContents(e);
    const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
    let n = 1;
    for (const a of rects) { for (const b of rects) { if (b.top >= a.bottom - 1) { n = 2; } } }
    return n;
};
for (const tile of tiles) {
    const t = tile.getBoundingClientRect();
    if (t.left < 0 || t.right > vw + 0.5 || (oneScreen && (t.top < 0 || t.bottom > vh + 0.5))) {
        problems.push('tile outside the screen: ' + tile.dataset.queue);
    }
    for (const e of tile.querySelectorAll('*')) {
        if (!e.getClientRects().length) { continue; }
        const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
        if (!own) { continue; }
        const r = e.getBoundingClientRect();
        sizes.push(parseFloat(getComputedStyle(e).fontSize));
        if (e.scrollWidth > e.clientWidth + 1 || r.right > t.right + 0.5 || r.left < t.left - 0.5
            || r.bottom > t.bottom + 0.5 || r.top < t.top - 0.5) {
            problems.push('cut in ' + tile.dataset.queue + ': ' + e.className + ' "'
                          + e.innerText + '"');
        }
        // Every line of a tile is one line of text (the tile's type is sized to fit
        // them: a wrapped line takes another's room and reads as two). A line of
        // several parts (staffing: "needs 2 more · 14 needed") counts as one.
        const line = e.closest('.tile__staffing, .tile__stale-line') || e;
        if (oneScreen && lines(line) > 1) {
            problems.push('wrapped in ' + tile.dataset.queue + ': ' + line.className + ' "'
                          + line.innerText + '"');
        }
    }
    // A wide tile's small lines at the bottom are one row ("alert since" beside
    // "updated"): on two they take the room the type was sized for.
    const foot = tile.querySelector('.tile__foot');
    if (oneScreen && foot && getComputedStyle(foot).flexDirection === 'row') {
        const tops = new Set(Array.from(foot.children).filter(c => c.getClientRects().length)
                             .map(c => Math.round(c.getBoundingClientRect().top)));
        if (tops.size > 1) {
            problems.push('foot on two rows in ' + tile.dataset.queue + ': "'
                          + foot.innerText.replace(/\\n/g, ' | ') + '"');
        }
    }
}
const wait = document.querySelector('.tile__wait-value');
const feet = Array.from(document.querySelectorAll('.tile__foot > *'))
    .filter(e => e.getClientRects().length).map(e => parseFloat(getComputedStyle(e).fontSize));
const since = document.querySelector('.tile__since');
return {count: tiles.length, problems: Array.from(new Set(problems)),
        smallest: Math.min(...sizes), foot: Math.min(...feet),
        headline: wait ? parseFloat(getComputedStyle(wait).fontSize) : 0,
        since: since ? since.innerText : '',
        scrolls: document.documentElement.scrollHeight > vh + 1};
"""

TILE_SCREENS = ((1920, 1080), (3840, 2160))
SINCE = {"en": "alert since", "sv": "larm sedan"}


@pytest.mark.timeout(1500)
def test_6_12_24_and_48_queues_fit_one_screen_with_the_largest_type_that_fits(
    sim_factory: Any, browser: Any, tmp_path: Any
) -> None:
    """At 1920x1080 and 3840x2160, in English and Swedish: no tile's text cut or on two
    lines (Swedish "larm sedan" wrapped at 3840, the floor lines at 48 queues)."""
    reports: dict[tuple[int, str, int], dict[str, Any]] = {}
    for count in (6, 12, 24, 48):
        sim = sim_factory(queues=count, agents=5 * count, clock=time.time)
        with running_stack(sim, tmp_path / f"queues-{count}", {}) as stack:
            # A critical queue: its tile carries the "alert since" line.
            stack.sim.control.override_queue(100, longestwaittime=95, callswaiting=14,
                                             open=True)
            browser.delete_all_cookies()
            log_in_browser(browser, stack.base_url, "/")
            for lang in ("en", "sv"):
                set_language(browser, lang)
                for width, height in TILE_SCREENS:
                    viewport(browser, width, height)
                    wait(browser, 60).until(lambda d, n=count, lang=lang: d.execute_script(
                        TILE_REPORT_JS)["count"] == n and d.execute_script(
                            "const e = document.querySelector("
                            "'.tile[data-queue=\"100\"] .tile__since');"
                            "return e && e.innerText.startsWith(arguments[0])",
                            SINCE[lang]), f"{count} queues in {lang} at {width}")
                    reports[(count, lang, width)] = browser.execute_script(TILE_REPORT_JS)
                    save_screenshot(browser, tmp_path,
                                    f"layout_tiles_{count}_{lang}_{width}.png")
            browser.get(stack.base_url + "/alerts")  # nothing in flight at the next start
    summary = {key: {k: r[k] for k in ("smallest", "foot", "headline", "since", "scrolls")}
               for key, r in reports.items()}
    assert {key: r["problems"] for key, r in reports.items() if r["problems"]} == {}, summary
    assert not any(r["scrolls"] for r in reports.values()), summary
    for lang in ("en", "sv"):
        for width, _height in TILE_SCREENS:
            headlines = [reports[(n, lang, width)]["headline"] for n in (6, 12, 24, 48)]
            assert headlines == sorted(headlines, reverse=True), summary
            assert headlines[0] > headlines[-1], summary
    at_48 = reports[(48, "en", 1920)]
    assert at_48["smallest"] >= MIN_TILE_PX, summary
    assert at_48["headline"] >= MIN_HEADLINE_PX, summary
    assert at_48["since"].startswith("alert since"), summary
    # The foot's row ("alert since 15:13 · updated 0 s ago") legible in both languages
    # (Swedish "larm sedan … · uppdaterad för 0 s sedan" fitted only at 7.5 px).
    for lang in ("en", "sv"):
        assert reports[(48, lang, 1920)]["foot"] >= MIN_TILE_PX, summary
    # A 4K screen shows what a 1080p one does, about twice as large (its bars, capped
    # in px, leave the tiles a little more height: not exactly twice). With the floor
    # lines' breakpoints in px it showed more lines at 48 queues, in smaller type.
    for count in (6, 12, 24, 48):
        assert reports[(count, "en", 3840)]["headline"] >= 1.6 * reports[(count, "en", 1920)][
            "headline"], summary


# -- a phone ----------------------------------------------------------------------------

def test_a_phone_gets_a_layout_of_its_own(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    fire_alerts(live_stack)
    log_in_browser(browser, live_stack.base_url, "/")
    viewport(browser, *PHONE)
    wait_for_alerts(browser, 60)
    for lang in ("en", "sv"):
        set_language(browser, lang)
        wait_for_alerts(browser, 20)
        assert layout_problems(browser, one_row=False) == [], lang
        tiles = browser.execute_script(TILE_REPORT_JS, False)  # the page scrolls down
        assert tiles["problems"] == [] and tiles["smallest"] >= 12, tiles
        columns = browser.execute_script(
            "return new Set(Array.from(document.querySelectorAll('.tile'))"
            ".map(t => Math.round(t.getBoundingClientRect().left))).size")
        assert columns in (1, 2)
        save_screenshot(browser, tmp_path, f"layout_phone_wall_{lang}.png")

    # Everything else is behind the menu button: the pages, the language, logout.
    assert not browser.find_element(By.ID, "wallboard-logout-button").is_displayed()
    click(browser, By.CSS_SELECTOR, ".menu__button")
    wait(browser, 10).until(lambda d: d.find_element(
        By.ID, "wallboard-logout-button").is_displayed())
    assert layout_problems(browser, one_row=False) == []
    save_screenshot(browser, tmp_path, "layout_phone_menu.png")
    click(browser, By.ID, "wallboard-lang-en")
    wait(browser, 10).until(lambda d: "Waiting" in d.find_element(By.TAG_NAME, "body").text)
    # The menu stays open after choosing a language; a link closes it.
    click(browser, By.CSS_SELECTOR, 'a.nav__link[href="/alerts"]')
    wait(browser, 20).until(lambda d: d.execute_script("return location.pathname") == "/alerts")
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".menu__button"))
    assert layout_problems(browser, one_row=False) == []
    save_screenshot(browser, tmp_path, "layout_phone_alerts.png")
    click(browser, By.CSS_SELECTOR, ".menu__button")
    click(browser, By.ID, "pages-logout-button")
    wait(browser, 20).until(lambda d: "/login" in d.current_url)
