"""/thresholds in a supervisor's words, in a real Chromium against the running product:
a rule made with the pickers (a queue by its Trio name, durations as m:ss or "30 s"),
stated as a sentence while it is edited, saved, and found again after a reload; a health
target's "down" rule; and a duration that cannot be read, refused with a clear error."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

import storage
from tests.fixtures.live import click, console_errors, fill, log_in_browser, wait
from tests.test_browser import tiles
from tests.test_browser_thresholds import pick, row_control, shown

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

INPUT = "thr-form-input-"
SENTENCE = "thr-sentence"


def picked(browser: Any, field: str) -> str:
    """What a dropdown shows as chosen."""
    return str(browser.find_element(By.CSS_SELECTOR, f"#{INPUT}{field}").text)


def saved_rules(live_stack: Any) -> list[storage.RuleRow]:
    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        return storage.AlertStore(engine).list_rules()
    finally:
        engine.dispose()


def open_form(browser: Any, live_stack: Any) -> None:
    """The rule form, once the collector has stored the queues (their names are what
    the pickers offer)."""
    log_in_browser(browser, live_stack.base_url, "/")
    wait(browser, 20).until(lambda d: "100" in tiles(d))
    browser.get(live_stack.base_url + "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in shown(d, "thr-rules"))


def test_an_admin_makes_a_rule_with_the_pickers_sees_it_in_words_and_finds_it_again(
    live_stack, browser
):
    log_in_browser(browser, live_stack.base_url, "/")
    wait(browser, 20).until(lambda d: "100" in tiles(d))
    queue = tiles(browser)["100"][1].splitlines()[0]  # its Trio name, e.g. "Kundtjänst"
    browser.get(live_stack.base_url + "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in shown(d, "thr-rules"))

    fill(browser, By.ID, INPUT + "name", "Wait in one queue")
    pick(browser, "metric", "Longest wait (m:ss)")
    wait(browser, 10).until(lambda d: shown(d, "thr-unit-warning") == "m:ss")
    pick(browser, "entity_ids", queue)
    fill(browser, By.ID, INPUT + "warning", "0:20")
    fill(browser, By.ID, INPUT + "recovery_warning", "17 s")
    fill(browser, By.ID, INPUT + "pending_s", "30")
    sentence = (f"Alert when Longest wait in {queue} is at or above 0:20 (warning) for 30 s;"
                " recover below 0:17.")
    wait(browser, 10).until(lambda d: shown(d, SENTENCE) == sentence)

    click(browser, By.ID, "thr-form-save")
    wait(browser, 10).until(lambda d: shown(d, "thr-form-message") == "Saved Wait in one queue")
    [row] = [r for r in saved_rules(live_stack) if r.name == "Wait in one queue"]
    assert (row.spec["metric"], row.spec["scope"]["entity_kind"],
            row.spec["scope"]["entity_ids"]) == ("longest_wait_s", "queue", ["100"])
    assert (row.spec["warning"], row.spec["recovery_warning"], row.spec["pending_s"]) == (
        20, 17, 30)

    browser.get(live_stack.base_url + "/thresholds")  # a reload: the rule as stored
    wait(browser, 20).until(lambda d: sentence in shown(d, "thr-rules"))
    click(browser, By.XPATH, row_control("Wait in one queue", "Edit"))
    wait(browser, 10).until(lambda d: d.find_element(
        By.ID, INPUT + "name").get_attribute("value") == "Wait in one queue")
    wait(browser, 10).until(lambda d: shown(d, SENTENCE) == sentence)
    assert picked(browser, "metric") == "Longest wait (m:ss)"
    assert queue in picked(browser, "entity_ids")
    assert [browser.find_element(By.ID, INPUT + name).get_attribute("value")
            for name in ("warning", "recovery_warning", "pending_s")] == ["0:20", "0:17", "30 s"]

    click(browser, By.ID, "thr-form-save")  # saved unchanged: the same rule, one version on
    wait(browser, 10).until(lambda d: shown(d, "thr-form-message") == "Saved Wait in one queue")
    [again] = [r for r in saved_rules(live_stack) if r.name == "Wait in one queue"]
    assert (again.spec, again.version) == (row.spec, row.version + 1)

    assert console_errors(browser) == []


def test_a_health_target_down_rule_reads_as_down_not_at_or_above_one(live_stack, browser):
    target = live_stack.sim.worker_names[0]
    open_form(browser, live_stack)

    fill(browser, By.ID, INPUT + "name", "This worker down")
    pick(browser, "metric", "Health target down")
    # A state has no threshold to type: the severity is what is picked.
    wait(browser, 10).until(lambda d: not d.find_element(By.ID, INPUT + "warning").is_displayed())
    pick(browser, "entity_ids", target)
    fill(browser, By.ID, INPUT + "pending_s", "0:30")
    sentence = f"Alert when {target} is down (critical) for 30 s."
    wait(browser, 10).until(lambda d: shown(d, SENTENCE) == sentence)
    assert "at or above" not in shown(browser, SENTENCE)

    click(browser, By.ID, "thr-form-save")
    wait(browser, 10).until(lambda d: shown(d, "thr-form-message") == "Saved This worker down")
    [row] = [r for r in saved_rules(live_stack) if r.name == "This worker down"]
    assert row.spec["metric"] == "state_down"
    assert row.spec["scope"] == {"source": None, "entity_kind": "target",
                                 "entity_ids": [target]}
    assert (row.spec["direction"], row.spec["warning"], row.spec["critical"],
            row.spec["pending_s"]) == ("above", None, 1, 30)
    wait(browser, 20).until(lambda d: sentence in shown(d, "thr-rules"))
    assert console_errors(browser) == []


def test_a_duration_that_cannot_be_read_is_refused_with_a_clear_error(live_stack, browser):
    open_form(browser, live_stack)
    before = saved_rules(live_stack)

    fill(browser, By.ID, INPUT + "name", "Wait, badly typed")
    pick(browser, "metric", "Longest wait (m:ss)")
    fill(browser, By.ID, INPUT + "warning", "0:20")
    fill(browser, By.ID, INPUT + "pending_s", "half a minute")
    error = '"half a minute" is not a duration: write it like 0:20, 20 s, 1:30 or 5 min'
    wait(browser, 10).until(lambda d: shown(d, SENTENCE) == f"Not a rule yet: {error}")

    click(browser, By.ID, "thr-form-save")
    wait(browser, 10).until(lambda d: shown(d, "thr-form-message") ==
                            "Not saved: check the marked field")
    assert shown(browser, "thr-form-error-pending_s") == error
    # Nothing lost: what was typed is still there to correct, and nothing was stored.
    assert browser.find_element(By.ID, INPUT + "pending_s").get_attribute("value") == (
        "half a minute")
    assert saved_rules(live_stack) == before

    fill(browser, By.ID, INPUT + "pending_s", "1:30")
    wait(browser, 10).until(lambda d: shown(d, SENTENCE).endswith("(warning) for 1:30."))
    assert console_errors(browser) == []
