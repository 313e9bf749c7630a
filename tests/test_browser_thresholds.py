"""/thresholds in a real Chromium against the running product: an admin backtests and
saves a rule, disables it from the table, and the page's callbacks carry the CSRF header
(a callback POST without it is refused)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import auth
import storage
from tests.fixtures.live import click, console_errors, fill, log_in_browser, text_of, wait
from tests.test_browser import level, tiles

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

INPUT = "thr-form-input-"


def shown(driver, element_id: str) -> str:
    """The element's text, for a ``wait`` (which looks again if it was re-rendered)."""
    return str(driver.find_element(By.ID, element_id).text)


def pick(browser, field: str, label: str) -> None:
    """Choose ``label`` in the dropdown of ``field`` as a person would: open it, type
    to search, click the option; a multi-select is closed again with Escape."""
    click(browser, By.CSS_SELECTOR, f"#{INPUT}{field}")
    search = "//*[contains(@class, 'dash-dropdown-search')]//input"
    fill(browser, By.XPATH, search, label)
    option = ("//*[contains(@class, 'dash-dropdown-option')]"
              f"[normalize-space()={_literal(label)}]")
    click(browser, By.XPATH, option)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def _literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


def delete_enabled(driver) -> bool:
    return bool(driver.find_element(By.ID, "thr-form-delete-button").is_enabled())


def row_control(rule: str, control: str) -> str:
    """XPath of a control in a rule's row (the table re-renders: find it as one step)."""
    return f"//tr[@data-rule='{rule}']//*[self::a or self::button][normalize-space()='{control}']"


def test_an_admin_backtests_saves_and_disables_a_rule(live_stack, browser):
    log_in_browser(browser, live_stack.base_url, "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in shown(d, "thr-rules"))
    # A new rule has nothing to delete yet (as /health's new target).
    assert not delete_enabled(browser)
    fill(browser, By.ID, INPUT + "name", "Wait over 10 s")
    pick(browser, "metric", "Longest wait (m:ss)")
    fill(browser, By.ID, INPUT + "warning", "10")

    click(browser, By.ID, "thr-form-backtest")
    wait(browser, 30).until(lambda d: "Last 7 d (one-minute resolution)" in
                            shown(d, "thr-backtest"))
    assert "series" in text_of(browser, By.ID, "thr-backtest")

    click(browser, By.ID, "thr-form-save")
    wait(browser, 10).until(lambda d: shown(d, "thr-form-message") == "Saved Wait over 10 s")
    wait(browser, 10).until(lambda d: "Wait over 10 s" in shown(d, "thr-rules"))
    assert "created" in text_of(browser, By.ID, "thr-audit")
    assert delete_enabled(browser), "the saved rule is loaded: it can be deleted"
    click(browser, By.ID, "thr-form-new")
    wait(browser, 10).until(lambda d: not delete_enabled(d))

    click(browser, By.XPATH, row_control("Wait over 10 s", "Disable"))
    wait(browser, 10).until(lambda d: shown(d, "thr-rules-message") ==
                            "Disabled Wait over 10 s")
    wait(browser, 10).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "tr[data-rule='Wait over 10 s']").get_attribute("data-enabled") == "off")
    assert console_errors(browser) == [], "no console errors (CSP violations show up here)"

    # The renderer sent the cookie's token as a header all along; without it: refused.
    status = browser.execute_script(
        "return fetch('/_dash-update-component', {method: 'POST', body: '{}',"
        " headers: {'Content-Type': 'application/json'}}).then(r => r.status);")
    assert status == 403


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
          const outputs = dep.output.replace(/^\.\.|\.\.$/g, '').split('...')
              .map(o => { const at = o.lastIndexOf('.');
                          const id = o.slice(0, at);
                          return {id: id.startsWith('{') ? JSON.parse(id) : id,
                                  property: o.slice(at + 1)}; });
          // As the renderer sends it: several outputs as a list, one bare.
          const body = {output: dep.output,
                        outputs: dep.output.startsWith('..') ? outputs : outputs[0],
                        // A wildcard (ALL) item is the list of the components it
                        // matches: none here.
                        inputs: dep.inputs.map(i => i.id.startsWith('{') ? []
                            : ({...i, value: i.id === 'thr-form-save' ? 1 : null})),
                        state: dep.state.map(s => s.id.startsWith('{') ? []
                            : ({...s, value: value(s)})),
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
    log_in_browser(browser, live_stack.base_url, "/")
    wait(browser, 20).until(lambda d: "0:10" in tiles(d).get("100", ("", ""))[1])
    assert level(browser, "100") == "ok"  # 10 s is under the shipped 15 s / 20 s

    browser.get(live_stack.base_url + "/thresholds")
    wait(browser, 20).until(lambda d: "Longest wait" in shown(d, "thr-rules"))
    click(browser, By.XPATH, row_control("Longest wait", "Edit"))
    wait(browser, 10).until(lambda d: d.find_element(
        By.ID, INPUT + "name").get_attribute("value") == "Longest wait")
    # Emptied as a person would (``clear()`` bypasses React's change event, so Dash would
    # keep the old value): ``fill`` selects all and deletes first.
    fill(browser, By.ID, INPUT + "recovery_warning", "")
    fill(browser, By.ID, INPUT + "recovery_critical", "")
    fill(browser, By.ID, INPUT + "warning", "5")
    fill(browser, By.ID, INPUT + "critical", "8")
    click(browser, By.ID, "thr-form-backtest")
    wait(browser, 30).until(lambda d: "Last 24 h" in shown(d, "thr-backtest"))
    click(browser, By.ID, "thr-form-save")
    wait(browser, 10).until(lambda d: shown(d, "thr-form-message") == "Saved Longest wait")
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
        log_in_browser(browser, live_stack.base_url, "/thresholds", "vera",
                       "viewer-password-1")
        wait(browser, 20).until(lambda d: "Longest wait" in shown(d, "thr-rules"))
        assert browser.find_elements(By.ID, "thr-form-save") == []  # no form for viewers
        assert browser.find_elements(By.LINK_TEXT, "Edit") == []

        answer = forge_save(browser)
        assert "Only administrators can change alert rules" in answer["text"], answer
        assert storage.AlertStore(engine).list_rules() == before  # nothing changed
    finally:
        engine.dispose()
