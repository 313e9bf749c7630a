"""Swedish, completely: every registered page opened in Swedish in a real Chromium, with
data and alerts firing, shows no text that is not from the Swedish catalog; and the
language chosen carries from page to page, across a login in another browser (per user)
and on a wall screen's display token (per screen).

How a visible line is judged (``leftover_words``): every literal part of every Swedish
catalog text is removed from it (whole words only), then what is data and not text
(numbers, times, units, names from the simulator, the site's name, identifiers such as
``worker-1``); any word left is a string no Swedish text produced. A line equal to an
English catalog text whose Swedish differs fails even if its words happen to be Swedish.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By

import auth
import storage
from dashboard import registry
from simulator import _names
from specs import text
from tests.fixtures.live import (
    ADMIN_PASSWORD,
    LiveStack,
    chromium,
    click,
    log_in_browser,
    save_screenshot,
    wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

QUEUE_ID = "100"  # the simulator's first queue (Kundtjänst)
FAILING_WORKER = "worker-2"

# What a page shows that is data, not text: numbers, clock times and dates, units, the
# symbols between figures, identifiers (worker-1, db-orders, 2Gi), addresses.
DATA_TOKENS = re.compile(
    r'https?://\S+|"[^"]*"|[\w.-]*/[\w/<>.-]*|\b\w*[\d_]\w*\b|\b\w+[.:-]\w[\w.:-]*\b|[^\w\s]+'
    r"|\b(?:ms|s|min|h|d|Gi|Mi)\b"
)
# Proper names and words that read the same in both languages and are no catalog text.
PROPER_NAMES = {
    # the product, the site (TRIO_MONITOR_SITE_NAME), the admin user, the site's zone
    "Trio", "Monitor", "Kundservice", "Testbolaget", "admin", "Europe", "Stockholm", "UTC",
    "CET", "CEST", "EN", "SV", "HTTP", "CSV", "URL",
    # source ids (the Trio site's, wall screens') and the simulated reconciler's data
    "trio", "display", "aws", "gcp", "azure", "database", "cpu", "memory", "storage",
    "replicas",
    # a health target's configured condition (status == "ok") and JSON in the audit log
    "status", "true", "false", "null",
    # a browser's user agent on /admin's sessions
    "Mozilla", "Linux", "Chrome", "AppleWebKit", "KHTML", "like", "Gecko", "HeadlessChrome",
    "Safari",
}


def _staged() -> list[tuple[str, str]]:
    """(English, Swedish) of the texts staged in dashboard/_texts_<name>.py modules until
    the merge folds them into the catalog."""
    from dashboard.i18n import _TEXTS

    return [pair for key, pair in _TEXTS.items() if not text.has(key)]


def swedish_fragments() -> list[re.Pattern[str]]:
    """The literal parts of every Swedish text, longest first, as whole-word patterns."""
    parts: set[str] = set()
    forms = [form for entry in text.entries().values() for form in entry.forms["sv"]]
    for form in [*forms, *(sv for _, sv in _staged())]:
        for literal, _name, _spec, _conv in _formatter_parse(form):
            # Word runs only: the judge removes data and punctuation first, so the
            # same is removed here.
            for piece in re.split(r"[^\w\s]+|\d+", DATA_TOKENS.sub(" ", literal)):
                if piece.strip():
                    parts.add(" ".join(piece.split()))
    ordered = sorted(parts, key=len, reverse=True)
    # A text that starts a line may be written with a capital ("Minutmedelvärden, ..."):
    # its first letter in either case.
    return [re.compile(rf"(?<!\w){_either_case(part[0])}{re.escape(part[1:])}(?!\w)")
            for part in ordered]


def _either_case(letter: str) -> str:
    both = {letter.lower(), letter.upper()}
    return f"[{''.join(sorted(both))}]" if len(both) > 1 else re.escape(letter)


def _formatter_parse(form: str) -> list[tuple[str, Any, Any, Any]]:
    import string

    return list(string.Formatter().parse(form))


def english_only() -> set[str]:
    """English catalog texts (without placeholders) whose Swedish differs."""
    out = set()
    for entry in text.entries().values():
        for en, sv in zip(entry.forms["en"], entry.forms["sv"], strict=True):
            if en != sv and not text.placeholders(en):
                out.add(en.strip())
    out.update(en.strip() for en, sv in _staged() if en != sv and "{" not in en)
    return out


def data_names(stack: LiveStack) -> set[str]:
    names = {*stack.sim.worker_names, *stack.sim.reconciler_names}
    for name in (*_names.QUEUE_NAMES, *_names.GROUP_NAMES, *_names.FIRST_NAMES,
                 *_names.LAST_NAMES):
        names.update(name.split())
    return names | PROPER_NAMES


def leftover_words(line: str, fragments: list[re.Pattern[str]], names: set[str]) -> list[str]:
    if line.startswith("{"):
        return []  # a raw stored record (the audit log's before/after): data
    rest = " ".join(DATA_TOKENS.sub(" ", line).split())
    for pattern in fragments:
        rest = pattern.sub(" ", rest)
    return [word for word in re.findall(r"[^\W\d_]+", rest) if word not in names]


def visible_texts(browser: Any) -> list[str]:
    found: list[str] = browser.execute_script("""
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!el || el.closest('script,style,noscript')) continue;
            const shown = el.getClientRects().length > 0 || el.tagName === 'OPTION';
            if (shown && getComputedStyle(el).visibility !== 'hidden') out.push(node.data);
        }
        for (const el of document.querySelectorAll('[title],[placeholder],[aria-label]')) {
            for (const a of ['title', 'placeholder', 'aria-label']) {
                const v = el.getAttribute(a);
                if (v) out.push(v);
            }
        }
        out.push(document.title);
        return out.map(s => s.trim()).filter(s => s.length > 0);
    """)
    return found


def settled(browser: Any) -> bool:
    """The page has rendered its callbacks' output and its words stopped changing between
    polls (figures and clocks tick on)."""
    state = browser.execute_script("""
        return {loading: document.querySelectorAll('[data-dash-is-loading="true"]').length,
                text: document.body.innerText.replace(/[0-9]+/g, '#')};
    """)
    previous = getattr(settled, "last", None)
    settled.last = state["text"]  # type: ignore[attr-defined]
    return state["loading"] == 0 and state["text"] == previous and len(state["text"]) > 40


def open_settled(browser: Any, url: str) -> None:
    browser.get(url)
    settled.last = None  # type: ignore[attr-defined]
    wait(browser, 20).until(lambda d: settled(d), f"{url} never settled")


def page_urls(base_url: str) -> list[str]:
    paths = [f"/queues/{QUEUE_ID}" if page.path.startswith("/queues/") else page.path
             for page in registry.pages()]
    return [base_url + path for path in paths]


def offenders_on(browser: Any, fragments: list[re.Pattern[str]], names: set[str],
                 english: set[str]) -> list[str]:
    found = []
    for line in visible_texts(browser):
        if line in english:
            found.append(f"{line!r}: an English text")
            continue
        words = leftover_words(line, fragments, names)
        if words:
            found.append(f"{line!r}: {' '.join(words)}")
    return found


def fire_alerts(stack: LiveStack) -> None:
    stack.sim.control.override_queue(int(QUEUE_ID), longestwaittime=95, open=True)
    stack.sim.control.worker(FAILING_WORKER, mode="failing")


def test_it_shows_every_page_in_swedish_with_no_english_left(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    fire_alerts(live_stack)
    log_in_browser(browser, live_stack.base_url, "/")
    click(browser, By.ID, "wallboard-lang-sv")
    wait(browser, 20).until(lambda d: "Längsta väntetid" in d.find_element(
        By.TAG_NAME, "body").text)
    # Alerts firing before the pages are read: the badge counts the critical wait.
    wait(browser, 60).until(lambda d: "kritisk" in d.find_element(By.TAG_NAME, "body").text)
    fragments, names, english = swedish_fragments(), data_names(live_stack), english_only()
    problems: dict[str, list[str]] = {}
    for url in page_urls(live_stack.base_url):
        open_settled(browser, url)
        save_screenshot(browser, tmp_path, "sv" + url.rsplit("/", 1)[-1] + ".png")
        found = offenders_on(browser, fragments, names, english)
        if found:
            problems[url.removeprefix(live_stack.base_url) or "/"] = found
    # Every offender, for a person fixing them (the assertion's diff is cut short).
    (tmp_path / "untranslated.json").write_text(
        json.dumps(problems, indent=1, ensure_ascii=False), encoding="utf-8")
    assert problems == {}


def test_the_check_fails_on_an_english_string(live_stack: LiveStack) -> None:
    """The judge above can fail: an English line, and a Swedish line with one English
    word in it, are both caught; a Swedish line with data is not."""
    fragments, names, english = swedish_fragments(), data_names(live_stack), english_only()
    assert leftover_words("Silence for 2 h", fragments, names) == ["Silence", "for"]
    assert leftover_words("Kundtjänst väntar 1:35 (queue)", fragments, names) == ["queue"]
    assert leftover_words("Längsta väntetid · Kundtjänst 1:35", fragments, names) == []
    assert leftover_words("worker-2: HTTP 503, 12 s", fragments, names) == []
    assert leftover_words("tidsgränsen 0,8 s överskreds vid anrop till cc/1/services/state",
                          fragments, names) == []
    assert "Longest wait" in english


def test_the_language_carries_from_page_to_page_across_logins_and_per_screen(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    base = live_stack.base_url
    log_in_browser(browser, base, "/health")
    click(browser, By.ID, "pages-lang-sv")
    wait(browser, 20).until(lambda d: "Källornas hälsa" in d.find_element(
        By.TAG_NAME, "body").text)
    # Another page, opened by its link and by its address: still Swedish.
    click(browser, By.CSS_SELECTOR, "a.nav__link[href$='/drift']")
    wait(browser, 20).until(lambda d: "Avstämningsavvikelser" in d.find_element(
        By.TAG_NAME, "body").text)
    open_settled(browser, base + "/")
    assert "Längsta väntetid" in browser.find_element(By.TAG_NAME, "body").text
    # Per user: a second browser (no cookie of the first) starts in Swedish after login.
    for other in chromium(tmp_path / "second"):
        log_in_browser(other, base, "/health", password=ADMIN_PASSWORD)
        wait(other, 20).until(lambda d: "Källornas hälsa" in d.find_element(
            By.TAG_NAME, "body").text)
    # Per screen: a display token in Swedish (set by ?lang=sv in its address) keeps
    # Swedish; another one stays in the site's default, English.
    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        swedish = auth.create_display(engine, "Vägg 1")
        english = auth.create_display(engine, "Wall 2")
    finally:
        engine.dispose()
    for screen in chromium(tmp_path / "screen"):
        screen.get(f"{base}/display/{swedish.token}?lang=sv")
        wait(screen, 30).until(lambda d: "Längsta väntetid" in d.find_element(
            By.TAG_NAME, "body").text)
    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        stored = {row.name: row.language for row in auth.list_displays(engine)}
    finally:
        engine.dispose()
    assert stored == {"Vägg 1": "sv", "Wall 2": None}
    for screen in chromium(tmp_path / "screen2"):
        screen.get(f"{base}/display/{english.token}")
        wait(screen, 30).until(lambda d: "Longest wait" in d.find_element(
            By.TAG_NAME, "body").text)
        # The same browser opening the Swedish screen's address again: Swedish, from the
        # token, without ?lang=.
        screen.get(f"{base}/display/{swedish.token}")
        wait(screen, 30).until(lambda d: "Längsta väntetid" in d.find_element(
            By.TAG_NAME, "body").text)
