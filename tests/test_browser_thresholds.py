"""/thresholds in a real Chromium against the running product: an admin backtests and
saves a rule, disables it from the table, and the page's callbacks carry the CSRF header
(a callback POST without it is refused)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import auth
import storage
from tests.fixtures.live import ADMIN_PASSWORD, LiveStack
from tests.test_browser import level, tiles

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

INPUT = "thr-form-input-"


def wait(browser, seconds: float) -> WebDriverWait:
    return WebDriverWait(browser, seconds, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,))


def log_in(browser, stack: LiveStack, path: str) -> None:
    browser.get(stack.base_url + path)
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def text_of(browser, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "net::ERR_ABORTED" not in e["message"]]


def test_an_admin_backtests_saves_and_disables_a_rule(live_stack, browser):
    log_in(browser, live_stack, "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in text_of(d, "thr-rules"))
    browser.find_element(By.ID, INPUT + "name").send_keys("Wait over 10 s")
    browser.find_element(By.ID, INPUT + "metric").send_keys("longest_wait_s")
    browser.find_element(By.ID, INPUT + "warning").send_keys("10")

    browser.find_element(By.ID, "thr-form-backtest").click()
    wait(browser, 30).until(lambda d: "Last 7 d (one-minute resolution)" in
                            text_of(d, "thr-backtest"))
    assert "series" in text_of(browser, "thr-backtest")

    browser.find_element(By.ID, "thr-form-save").click()
    wait(browser, 10).until(lambda d: text_of(d, "thr-form-message") == "Saved Wait over 10 s")
    wait(browser, 10).until(lambda d: "Wait over 10 s" in text_of(d, "thr-rules"))
    assert "created" in text_of(browser, "thr-audit")

    row = browser.find_element(By.CSS_SELECTOR, "tr[data-rule='Wait over 10 s']")
    row.find_element(By.XPATH, ".//button[text()='Disable']").click()
    wait(browser, 10).until(lambda d: text_of(d, "thr-rules-message") ==
                            "Disabled Wait over 10 s")
    wait(browser, 10).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "tr[data-rule='Wait over 10 s']").get_attribute("data-enabled") == "off")
    assert console_errors(browser) == [], "no console errors (CSP violations show up here)"

    # The renderer sent the cookie's token as a header all along; without it: refused.
    status = browser.execute_script(
        "return fetch('/_dash-update-component', {method: 'POST', body: '{}',"
        " headers: {'Content-Type': 'application/json'}}).then(r => r.status);")
    assert status == 403


def field(browser, name: str):  # type: ignore[no-untyped-def]
    """The input emptied as a person would (``clear()`` bypasses React's change event,
    so Dash would keep the old value)."""
    element = browser.find_element(By.ID, INPUT + name)
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    return element


def forge_save(browser) -> dict:  # type: ignore[type-arg]
    """POST the form's save callback as the renderer would (with the CSRF header taken
    from the cookie), for a page that shows no form: what a viewer could forge."""
    browser.set_script_timeout(15)
    return browser.execute_async_script(r"""
        const done = arguments[arguments.length - 1];
        const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token='));
        const headers = {'Content-Type': 'application/json',
                         'X-CSRFToken': token ? decodeURIComponent(token.split('=')[1]) : ''};
        fetch('/_dash-dependencies').then(r => r.json()).then(deps => {
          const dep = deps.find(d => d.inputs.some(i => i.id === 'thr-form-save'));
          const value = (s) => s.id === 'thr-form-input-name' ? 'Longest wait'
              : s.id === 'thr-form-input-warning' ? '1' : null;
          const body = {output: dep.output,
                        outputs: dep.output.replace(/^\.\.|\.\.$/g, '').split('...')
                          .map(o => { const at = o.lastIndexOf('.');
                                      const id = o.slice(0, at);
                                      return {id: id.startsWith('{') ? JSON.parse(id) : id,
                                              property: o.slice(at + 1)}; }),
                        inputs: dep.inputs.map(i => ({...i, value: i.id === 'thr-form-save'
                                                      ? 1 : null})),
                        state: dep.state.map(s => ({...s, value: value(s)})),
                        changedPropIds: ['thr-form-save.n_clicks']};
          return fetch('/_dash-update-component', {method: 'POST', headers,
                                                   body: JSON.stringify(body)});
        }).then(r => r.text().then(text => done({status: r.status, text})))
          .catch(e => done({status: 0, text: String(e)}));
    """)


def test_an_edited_threshold_recolours_the_wall_tile_and_a_viewer_cannot_edit(
    live_stack, browser
):
    live_stack.sim.control.override_queue(100, longestwaittime=10, callswaiting=2, open=True)
    log_in(browser, live_stack, "/")
    wait(browser, 20).until(lambda d: "0:10" in tiles(d).get("100", ("", ""))[1])
    assert level(browser, "100") == "ok"  # 10 s is under the shipped 15 s / 20 s

    browser.get(live_stack.base_url + "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in text_of(d, "thr-rules"))
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-rule='Longest wait']")
    row.find_element(By.LINK_TEXT, "Edit").click()
    wait(browser, 10).until(lambda d: d.find_element(
        By.ID, INPUT + "name").get_attribute("value") == "Longest wait")
    field(browser, "recovery_warning")
    field(browser, "recovery_critical")
    field(browser, "warning").send_keys("5")
    field(browser, "critical").send_keys("8")
    browser.find_element(By.ID, "thr-form-backtest").click()
    wait(browser, 30).until(lambda d: "Last 24 h" in text_of(d, "thr-backtest"))
    browser.find_element(By.ID, "thr-form-save").click()
    wait(browser, 10).until(lambda d: text_of(d, "thr-form-message") == "Saved Longest wait")
    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    [saved] = [r for r in storage.AlertStore(engine).list_rules() if r.name == "Longest wait"]
    engine.dispose()
    assert (saved.spec["warning"], saved.spec["critical"], saved.spec["recovery_warning"],
            saved.spec["recovery_critical"]) == (5, 8, None, None)

    browser.get(live_stack.base_url + "/")
    # The collector judges the edited rule on its next tick: the same 10 s is critical.
    wait(browser, 20).until(lambda d: level(d, "100") == "critical")
    assert "0:10" in tiles(browser)["100"][1]
    assert console_errors(browser) == []

    engine = storage.make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        auth.add_user(engine, "vera", "viewer-password-1", auth.Role.VIEWER)
        before = storage.AlertStore(engine).list_rules()
        browser.delete_all_cookies()
        browser.get(live_stack.base_url + "/login?next=/thresholds")
        browser.find_element(By.NAME, "username").send_keys("vera")
        browser.find_element(By.NAME, "password").send_keys("viewer-password-1")
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait(browser, 20).until(lambda d: "Longest wait" in text_of(d, "thr-rules"))
        assert browser.find_elements(By.ID, "thr-form-save") == []  # no form for viewers
        assert browser.find_elements(By.LINK_TEXT, "Edit") == []

        answer = forge_save(browser)
        assert "Only administrators can change alert rules" in answer["text"], answer
        assert storage.AlertStore(engine).list_rules() == before  # nothing changed
    finally:
        engine.dispose()
