"""The pages at a wall's distance and at a desk, measured in a real Chromium against the
product as run (simulator, `collect`, `web`), with alerts firing, in English and Swedish:

- at 3840x2160 every page's body (type, controls, charts) is drawn twice as large as at
  1920x1080, which stays as it was (its text 15 px): a 4K wall screen shows what a 1080p
  one does; the top bar and everything under it still hold (one row, nothing cut);
- at 1280x720 the top bar's links are no smaller than the page's text;
- the wall's sound switch is a button of the bar's size, named for a screen reader;
- a card's facts (/health, /drift's reconcilers) keep their labels on one line; the
  /thresholds form's labels are one line, its table's cells too (but the rule's
  sentence), the table scrolling in its own box rather than the page;
- a wall screen in kiosk mode (a display session) draws every chart legible from four
  metres: 22 px type, 3 px lines, no label cut.

Screenshots go to $TRIO_MONITOR_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

import auth
import storage
from tests.fixtures.live import LiveStack, console_errors, log_in_browser, save_screenshot, wait
from tests.test_browser_layout import (
    DESKTOPS,
    chart_labels_cut,
    fire_alerts,
    layout_problems,
    set_language,
    viewport,
    wait_for_alerts,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

PAGE_TEXT_PX = 15  # a page's text at 1920x1080 and less (assets/pages.css)
# Each page and what shows it is drawn (its data arrived).
PAGES = {
    "/alerts": ".alr-table, .alerts__empty, .muted",
    "/queues/100": ".ytick text",
    "/thresholds": ".thr-rules td",
    "/drift": ".card .fact__label",
    "/health": ".card .fact__label",
    "/admin": ".table td",
}

# The sizes a reader sees (px on the screen: the computed size times the zoom of the
# element and its ancestors), and every line of text that takes two.
MEASURE_JS = """
const seen = e => (e.getBoundingClientRect().width > 0
    ? parseFloat(getComputedStyle(e).fontSize) * e.currentCSSZoom : 0);
const lines = e => {
    const r = document.createRange(); r.selectNodeContents(e);
    const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
    let n = 1;
    for (const a of rects) { for (const b of rects) { if (b.top >= a.bottom - 1) { n = 2; } } }
    return n;
};
const name = e => e.className + ' "' + e.innerText.slice(0, 50) + '"';
const one = s => document.querySelector(s);
const all = s => Array.from(document.querySelectorAll(s)).filter(
    e => e.getClientRects().length && e.innerText.trim());
const wrapped = [], cut = [];
const oneLine = '.fact__label, .card__name, .thr-form .field__label, '
    + '.thr-rules td:not(:has(> .thr-rule__sentence))';
for (const e of all(oneLine)) {
    if (lines(e) > 1) { wrapped.push(name(e)); }
    if (e.scrollWidth > e.clientWidth + 1) { cut.push(name(e)); }
}
const table = one('.thr-scroll');
const control = one('.page .button, .page .input');
const zoom = one('.page') ? one('.page').currentCSSZoom : 1;
return {
    text: one('.page') ? seen(one('.page')) : 0,
    zoom: zoom,
    // a control's box in screen px, divided by the page's own zoom, is its size at 1920
    control: control ? control.getBoundingClientRect().height : 0,
    nav: Math.min(...all('.page__topbar .nav__link').map(seen)),
    buttons: Math.min(...all('.page__topbar .lang__button, .page__topbar .logout__button')
                      .map(seen)),
    wrapped: wrapped, cut: cut,
    tableInItsBox: !table || table.getBoundingClientRect().right
        <= document.documentElement.clientWidth + 1,
};
"""


def open_page(browser: Any, base_url: str, page: str) -> None:
    browser.get(base_url + page)
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".nav__link")
                            and d.find_elements(By.CSS_SELECTOR, PAGES[page]))


def test_pages_scale_for_a_wall_and_their_top_bar_reads_like_the_page(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    fire_alerts(live_stack)
    log_in_browser(browser, live_stack.base_url, "/")
    wait_for_alerts(browser, 60)
    found: dict[str, Any] = {}
    for lang in ("en", "sv"):
        browser.get(live_stack.base_url + "/")
        set_language(browser, lang)
        wait_for_alerts(browser, 20)
        for page in PAGES:
            open_page(browser, live_stack.base_url, page)
            sizes: dict[int, dict[str, Any]] = {}
            for width, height in DESKTOPS:
                viewport(browser, width, height)
                sizes[width] = m = browser.execute_script(MEASURE_JS)
                problems = layout_problems(browser) + chart_labels_cut(browser)
                problems += [f"two lines: {e}" for e in m["wrapped"]]
                problems += [f"cut: {e}" for e in m["cut"]]
                if m["nav"] < m["text"] - 0.01:
                    problems.append(f"links {m['nav']} px under the text's {m['text']} px")
                if m["buttons"] < 0.85 * m["text"]:
                    problems.append(f"buttons {m['buttons']} px by text of {m['text']} px")
                if not m["tableInItsBox"]:
                    problems.append("the rules table past the page's edge")
                found[f"{page} {lang} {width}"] = problems
                save_screenshot(browser, tmp_path,
                                f"large{page.replace('/', '_')}_{lang}_{width}.png")
            # 1920 and less as they were; 3840 twice 1920, type and controls alike.
            scale = [sizes[1280]["text"], sizes[1920]["text"], sizes[3840]["text"]]
            if scale != [PAGE_TEXT_PX, PAGE_TEXT_PX, 2 * PAGE_TEXT_PX]:
                found[f"{page} {lang} text px"] = [f"1280/1920/3840: {scale}"]
            if sizes[1920]["control"] and abs(
                    sizes[3840]["control"] - 2 * sizes[1920]["control"]) > 2:
                found[f"{page} {lang} control px"] = [
                    f"{sizes[1920]['control']} at 1920, {sizes[3840]['control']} at 3840"]
    assert {where: p for where, p in found.items() if p} == {}
    assert console_errors(browser) == []


SOUND_JS = """
const button = document.getElementById('alr-wall-sound-button');
const lang = document.querySelector('.topbar .lang__button');
const icon = button.querySelector('.sound__icon');
const b = button.getBoundingClientRect(), l = lang.getBoundingClientRect();
return {label: button.getAttribute('aria-label') || '', height: b.height, width: b.width,
        langHeight: l.height, top: b.top, langTop: l.top,
        icon: icon ? parseFloat(getComputedStyle(icon).fontSize) : 0,
        letters: parseFloat(getComputedStyle(lang).fontSize)};
"""


def test_the_walls_sound_switch_is_a_named_button_of_the_bars_size(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    """It was a speck: a ♪ at 0.7 of the bar's type, named only by its title."""
    fire_alerts(live_stack)
    log_in_browser(browser, live_stack.base_url, "/")
    wait_for_alerts(browser, 60)
    labels = {}
    for lang in ("en", "sv"):
        set_language(browser, lang)
        browser.refresh()  # the bar is built in the visitor's language, kept on the user
        wait_for_alerts(browser, 20)
        for width, height in DESKTOPS:
            viewport(browser, width, height)
            sound = browser.execute_script(SOUND_JS)
            labels[lang] = sound["label"]
            where = f"{lang} {width}: {sound}"
            # As tall as the language buttons beside it, on their row, at least square.
            assert abs(sound["height"] - sound["langHeight"]) <= 1, where
            assert abs(sound["top"] - sound["langTop"]) <= 1, where
            assert sound["width"] >= sound["height"], where
            # The note drawn larger than the letters of the buttons beside it.
            assert sound["icon"] >= 1.3 * sound["letters"], where
            assert layout_problems(browser) == [], where
        save_screenshot(browser, tmp_path, f"large_wall_sound_{lang}.png")
    assert labels["en"] and labels["sv"] and labels["en"] != labels["sv"], labels


KIOSK_CHART_JS = """
const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
const ticks = Array.from(document.querySelectorAll('.js-plotly-plot .xtick text,'
                                                   + ' .js-plotly-plot .ytick text'));
const lines = Array.from(document.querySelectorAll('.js-plotly-plot path.js-line'));
return {plots: plots.length,
        kiosk: document.documentElement.classList.contains('kiosk'),
        smallestTick: Math.min(...ticks.map(e => parseFloat(getComputedStyle(e).fontSize))),
        thinnestLine: Math.min(...lines.map(e => parseFloat(getComputedStyle(e).strokeWidth)))};
"""


def test_a_kiosk_draws_every_chart_legible_from_four_metres(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    """On /drift and /health (/health's were desk-sized: only /drift's were drawn for
    the kiosk), at 1920x1080 and 3840x2160."""
    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        screen = auth.create_display(engine, "Skärm 4")
    finally:
        engine.dispose()
    for page, ready in (("drift", ".ytick text"), ("health", "path.js-line")):
        browser.get(f"{live_stack.base_url}/display/{screen.token}?rotate={page}")
        wait(browser, 60).until(lambda d, p=f"/{page}", r=ready: d.execute_script(
            "return location.pathname") == p and d.find_elements(By.CSS_SELECTOR, r))
        for width, height in ((1920, 1080), (3840, 2160)):
            viewport(browser, width, height)
            charts = browser.execute_script(KIOSK_CHART_JS)
            assert charts["kiosk"] and charts["plots"], charts
            assert charts["thinnestLine"] >= 3, (page, charts)
            if page == "drift":
                assert charts["smallestTick"] >= 20, (page, charts)
            assert chart_labels_cut(browser) == [], page
            save_screenshot(browser, tmp_path, f"large_kiosk_{page}_{width}.png")


def test_a_logged_in_users_kiosk_tab_draws_charts_for_four_metres_too(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    """``/kiosk?rotate=`` opened by an admin (no display token): the rotated page's
    charts are the kiosk's size, as on a display session's screen (they were desk-sized:
    only a display session counted as a kiosk on the server); the same page opened
    normally in that browser is desk-sized again."""
    log_in_browser(browser, live_stack.base_url, "/kiosk?rotate=drift")
    wait(browser, 60).until(lambda d: d.execute_script("return location.pathname")
                            == "/drift" and d.find_elements(By.CSS_SELECTOR, ".ytick text"))
    viewport(browser, 1920, 1080)
    charts = browser.execute_script(KIOSK_CHART_JS)
    assert charts["kiosk"] and charts["plots"], charts
    assert charts["smallestTick"] >= 20, charts
    assert charts["thinnestLine"] >= 3, charts
    assert chart_labels_cut(browser) == []
    save_screenshot(browser, tmp_path, "large_kiosk_user_drift.png")

    browser.get(f"{live_stack.base_url}/drift")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ytick text"))
    desk = browser.execute_script(KIOSK_CHART_JS)
    assert not desk["kiosk"] and desk["smallestTick"] < 20, desk


# Every text a top bar gives a reader or a screen reader, but the figures that change by
# themselves (the clock, the summary's counts): each element's words, title, aria-label.
BAR_WORDS_JS = """
const bar = document.querySelector('.topbar');
const moving = '#wallboard-clock, #wallboard-summary';
return Array.from(bar.querySelectorAll('*'))
    .filter(e => (!e.closest(moving) || e.matches(moving)) && e.type !== 'hidden')
    .map(e => [e.id || e.className,
               e.matches(moving) ? '' : Array.from(e.childNodes).filter(
                   n => n.nodeType === 3).map(n => n.textContent.trim()).join(' '),
               e.getAttribute('title') || '', e.getAttribute('aria-label') || '']);
"""


def test_the_top_bars_follow_a_language_switch_without_a_reload(
    live_stack: LiveStack, browser: Any
) -> None:
    """The wall's sound button's label and title, its navigation, the clock's, the
    menu's and the language buttons' titles (built server-side in the layout) stayed in
    the old language until a reload, and the pages' menu and language titles too: after
    a switch, each bar reads as a fresh load in the new language does."""
    log_in_browser(browser, live_stack.base_url, "/")
    for page in ("/", "/alerts"):
        fresh = {}
        for lang in ("sv", "en"):  # loaded in each language (kept on the user)
            browser.get(live_stack.base_url + page)
            set_language(browser, lang)
            browser.refresh()
            set_language(browser, lang)
            fresh[lang] = browser.execute_script(BAR_WORDS_JS)
        assert fresh["sv"] != fresh["en"]
        for lang in ("sv", "en"):  # switched without a reload
            set_language(browser, lang)
            try:
                wait(browser, 10).until(
                    lambda d, w=fresh[lang]: d.execute_script(BAR_WORDS_JS) == w)
            except TimeoutException:
                shown = browser.execute_script(BAR_WORDS_JS)
                stale = [f"{a} (loaded: {b})"
                         for a, b in zip(shown, fresh[lang], strict=False) if a != b]
                raise AssertionError(f"{page} {lang}: " + "; ".join(stale)) from None


# Each card's value that is not beside its label (several lines, or a last error, which
# is always under it): where it starts against its fact, where its lines start, and
# whether it stays inside its card.
FACT_VALUES_JS = """
const problems = [];
for (const v of document.querySelectorAll('.card .fact__value')) {
    if (!v.getClientRects().length) { continue; }
    const r = document.createRange(); r.selectNodeContents(v);
    const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
    const lines = new Set(rects.map(x => Math.round(x.top))).size;
    const fact = v.parentElement, card = v.closest('.card');
    const box = v.getBoundingClientRect(), f = fact.getBoundingClientRect();
    const name = fact.className + ' "' + v.innerText.slice(0, 40) + '"';
    if (box.right > card.getBoundingClientRect().right + 1) {
        problems.push('past its card: ' + name);
    }
    if (lines < 2 && !fact.matches('.fact--last-error')) { continue; }
    if (Math.abs(box.left - f.left) > 1) {
        problems.push('not from the left: ' + name);
    }
    // Each line's first box at the value's left (a URL's box cut to the width: left too).
    const starts = new Map();
    for (const x of rects) {
        const top = Math.round(x.top);
        starts.set(top, Math.min(starts.has(top) ? starts.get(top) : Infinity, x.left));
    }
    if ([...starts.values()].some(left => Math.abs(left - box.left) > 1)) {
        problems.push('lines not from the left: ' + name);
    }
}
return problems;
"""


def test_card_values_under_their_label_read_from_the_left(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    """A worker's long reason and a short error, a reconciler's error with an address,
    on /health and /drift: a multi-line value was right-aligned under its label, a short
    last error pushed to the right, and an address made a value wider than its card."""
    fire_alerts(live_stack)  # worker-2: a long reason
    live_stack.sim.control.worker("worker-3", mode="failing", status=503)  # short error
    live_stack.sim.control.reconciler(live_stack.sim.reconciler_names[0], mode="hang")
    log_in_browser(browser, live_stack.base_url, "/health")
    errors = ".card .fact--last-error .fact__value"
    wait(browser, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, errors)) >= 3)
    found: dict[str, list[str]] = {}
    for lang in ("en", "sv"):
        set_language(browser, lang)
        for page in ("/health", "/drift"):
            browser.get(live_stack.base_url + page)
            wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, errors))
            for width, height in DESKTOPS:
                viewport(browser, width, height)
                found[f"{page} {lang} {width}"] = browser.execute_script(FACT_VALUES_JS)
                save_screenshot(browser, tmp_path, f"facts{page.replace('/', '_')}_{lang}_"
                                f"{width}.png")
    assert {where: p for where, p in found.items() if p} == {}
