"""Team wall screens in a real Chromium against the product as run (simulator, `collect`,
`web`): a FRESH browser opened with a display token bound to a view shows exactly the
view's queues in its order, its title and the team's totals; a queue that left the Trio
site is a quiet "gone" tile in no total; an admin changes the queues in /admin and the
screen follows within a refresh; a logged-in user opens the view at /?view=<name>."""

from __future__ import annotations

import time
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import insert, select

import auth
import storage
from storage._schema import current, series
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
from tests.fixtures.waits import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(360)]

GONE_ID, GONE_NAME = "9999", "Returns desk"
MESSAGE = "Telefonisystemet är nere"
# Pinned on the simulator: the team's totals are asserted on these.
PINNED = {
    103: {"callswaiting": 3, "agentsfree": 2, "longestwaittime": 40, "servicelevel": 90,
          "answeredtoday": 100, "open": True},
    100: {"callswaiting": 1, "agentsfree": 1, "longestwaittime": 70, "servicelevel": 70,
          "answeredtoday": 100, "open": True},
    105: {"callswaiting": 0, "agentsfree": 4, "longestwaittime": 0, "servicelevel": 80,
          "answeredtoday": 200, "open": True},
    107: {"callswaiting": 5, "agentsfree": 0, "longestwaittime": 20, "servicelevel": 60,
          "answeredtoday": 100, "open": True},
}


def screen_state(browser: Any) -> dict[str, Any]:
    """The tiles in screen order (queue, level, text), the title and the totals."""
    return dict(browser.execute_script("""
        const tiles = [...document.querySelectorAll('#wallboard-tiles > .tile')];
        const total = (name) => {
            const e = document.querySelector('.summary__total--' + name + ' .summary__value');
            return e ? e.textContent : null; };
        const title = document.getElementById('wallboard-title');
        return {tiles: tiles.map(e => [e.dataset.queue, e.dataset.level, e.innerText]),
                title: title ? title.textContent : '',
                waiting: total('waiting'), longest: total('longest'),
                available: total('available'), sl: total('service-level')};"""))


def order(browser: Any) -> list[str]:
    return [queue for queue, _, _ in screen_state(browser)["tiles"]]


def left_the_site(db_url: str, last_seen_ms: int) -> None:
    """A queue the collector stored earlier and the Trio server no longer lists: its
    series and last values, as the collector leaves them."""
    engine = storage.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for metric, unit, value in (("calls_waiting", "calls", 7.0),
                                        ("longest_wait_s", "s", 300.0),
                                        ("agents_available", "agents", 9.0)):
                series_id = conn.execute(insert(series).values(
                    source="trio", entity_kind="queue", entity_id=GONE_ID,
                    entity_name=GONE_NAME, metric=metric, unit=unit,
                    created_at=last_seen_ms).returning(series.c.id)).scalar_one()
                conn.execute(insert(current).values(series_id=series_id, ts=last_seen_ms,
                                                    value=value))
    finally:
        engine.dispose()


def queue_names(db_url: str) -> dict[str, str]:
    engine = storage.make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(series.c.entity_id, series.c.entity_name)
                                .where(series.c.entity_kind == "queue")).all()
    finally:
        engine.dispose()
    return {str(row.entity_id): str(row.entity_name) for row in rows}


def toggle_option(browser: Any, dropdown_id: str, label: str) -> None:
    """Click ``label`` in a dropdown as a person would (in a multi-select a click on a
    chosen option takes it out); closed again with Escape."""
    click(browser, By.CSS_SELECTOR, f"#{dropdown_id}")
    fill(browser, By.XPATH, "//*[contains(@class, 'dash-dropdown-search')]//input", label)
    click(browser, By.XPATH, "//*[contains(@class, 'dash-dropdown-option')]"
                             f"[normalize-space()=\"{label}\"]")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def test_a_team_screen_shows_its_queues_in_order_and_follows_the_admin(
    live_stack: LiveStack, browser: Any, tmp_path: Any
) -> None:
    db_url = live_stack.env["TRIO_MONITOR_DATABASE_URL"]
    for queue_id, fields in PINNED.items():
        live_stack.sim.control.override_queue(queue_id, **fields)
    wait_until(lambda: {"100", "103", "105", "107"} <= set(queue_names(db_url)), 60,
               "the collector stored the simulator's queues")
    left_the_site(db_url, int(time.time() * 1000) - 20 * 60_000)
    names = queue_names(db_url)
    engine = storage.make_engine(db_url)
    try:
        view = storage.ViewStore(engine).create(
            "support", "Support", ["103", GONE_ID, "100", "105"], actor="admin",
            now_ms=int(time.time() * 1000))
        token = auth.create_display(engine, "Support wall").token
        screen_id = storage.DisplayStore(engine).list()[0].id
        storage.ViewStore(engine).bind(screen_id, view.id, actor="admin",
                                       now_ms=int(time.time() * 1000))
        # A Swedish screen (its token's language) with a message on its ticker.
        auth.set_display_language(engine, screen_id, "sv")
        storage.FloorMessageStore(engine).post(
            MESSAGE, displays=[screen_id], expires_at_ms=int(time.time() * 1000) + 3_600_000,
            actor="admin", now_ms=int(time.time() * 1000))
    finally:
        engine.dispose()

    screen_dir = tmp_path / "screen"
    screen_dir.mkdir()
    screens = chromium(screen_dir)
    screen = next(screens)
    try:
        # A fresh browser: the token's address is all it has; ?view= of another name
        # cannot move a bound screen.
        screen.get(f"{live_stack.base_url}/display/{token}")
        wait(screen, 40).until(lambda d: order(d) == ["103", GONE_ID, "100", "105"]
                               and screen_state(d)["waiting"] == "4"
                               and MESSAGE in d.execute_script(
                                   "return document.getElementById('ticker').textContent"),
                               f"the team's queues and totals: {screen_state(screen)}")
        state = screen_state(screen)
        assert state["title"] == "Support"
        # Totals of the team's queues only (the gone queue's 7 waiting and 9 available
        # are not current and count nowhere): 3+1+0 waiting, longest 1:10, 2+1+4
        # available, service level (90*100 + 70*100 + 80*200) / 400.
        assert (state["longest"], state["available"], state["sl"]) == ("1:10", "7", "80 %")
        gone = state["tiles"][1]
        assert gone[1] == "gone" and GONE_NAME in gone[2]
        assert "Finns inte längre på Trio-servern" in gone[2]
        assert "senast rapporterad" in gone[2]
        ticker = screen.execute_script(
            "return document.getElementById('ticker').textContent")
        assert MESSAGE in ticker and "MEDDELANDE" in ticker.upper(), ticker
        assert "300" not in gone[2] and "5:00" not in gone[2], "no old figure on a gone tile"
        assert names["103"] in state["tiles"][0][2]
        save_screenshot(screen, tmp_path, "team-screen.png")

        # The admin takes 105 out and puts 107 in, in /admin.
        log_in_browser(browser, live_stack.base_url, "/admin")
        wait(browser, 30).until(lambda d: "/?view=support" in d.find_element(
            By.ID, "adm-views").text)
        toggle_option(browser, "adm-view-pick", "Support (support)")
        wait(browser, 20).until(lambda d: d.find_element(By.ID, "adm-view-title")
                                .get_attribute("value") == "Support")
        toggle_option(browser, "adm-view-queues", f"{names['105']} (105)")
        toggle_option(browser, "adm-view-queues", f"{names['107']} (107)")
        click(browser, By.ID, "adm-view-save")
        wait(browser, 20).until(lambda d: "saved" in d.find_element(
            By.ID, "adm-views-message").text)

        wait(screen, 30).until(lambda d: order(d) == ["103", GONE_ID, "100", "107"],
                               f"the screen follows the admin: {screen_state(screen)}")
        wait(screen, 10).until(lambda d: screen_state(d)["waiting"] == "9")
        engine = storage.make_engine(db_url)
        try:
            [change] = storage.AlertStore(engine).audit_log(action_prefix="view.update")
        finally:
            engine.dispose()
        assert (change.actor, change.after["queue_ids"]) == (
            "admin", ["103", GONE_ID, "100", "107"])
    finally:
        screens.close()

    # A logged-in user opens the saved view by its address.
    browser.get(f"{live_stack.base_url}/?view=support")
    wait(browser, 30).until(lambda d: order(d) == ["103", GONE_ID, "100", "107"])
    assert screen_state(browser)["title"] == "Support"
    browser.get(f"{live_stack.base_url}/?view=nope")
    wait(browser, 30).until(lambda d: "No team screen is named" in d.find_element(
        By.ID, "wallboard-tiles").text)
    assert [e for e in console_errors(browser) if "403" not in e] == []


def test_a_team_of_3_gets_large_tiles_and_a_team_of_40_fits_one_screen(
    sim_factory: Any, browser: Any, tmp_path: Any
) -> None:
    from tests.fixtures.live import running_stack
    from tests.test_browser_layout import (
        MIN_HEADLINE_PX,
        MIN_TILE_PX,
        TILE_REPORT_JS,
        viewport,
    )

    sim = sim_factory(queues=44, agents=200, clock=time.time)
    with running_stack(sim, tmp_path / "stack", {}) as stack:
        db_url = stack.env["TRIO_MONITOR_DATABASE_URL"]
        wait_until(lambda: len(queue_names(db_url)) >= 44, 60,
                   "the collector stored the simulator's queues")
        ids = sorted(queue_names(db_url), key=int)
        engine = storage.make_engine(db_url)
        try:
            now_ms = int(time.time() * 1000)
            views = storage.ViewStore(engine)
            views.create("three", "Three", [ids[5], ids[0], ids[9]], actor="admin",
                         now_ms=now_ms)
            views.create("forty", "Forty", list(reversed(ids[:40])), actor="admin",
                         now_ms=now_ms)
        finally:
            engine.dispose()
        log_in_browser(browser, stack.base_url, "/")
        viewport(browser, 1920, 1080)
        reports = {}
        expected = {"three": [ids[5], ids[0], ids[9]], "forty": list(reversed(ids[:40]))}
        for name, count in (("three", 3), ("forty", 40)):
            browser.get(f"{stack.base_url}/?view={name}")
            wait(browser, 60).until(lambda d, n=name: order(d) == expected[n]
                                    and "gone" not in {lv for _, lv, _ in
                                                       screen_state(d)["tiles"]})
            reports[count] = browser.execute_script(TILE_REPORT_JS)
            save_screenshot(browser, tmp_path, f"team_{count}.png")
    summary = {n: {k: r[k] for k in ("smallest", "headline", "scrolls")}
               for n, r in reports.items()}
    assert {n: r["problems"] for n, r in reports.items() if r["problems"]} == {}, summary
    assert not any(r["scrolls"] for r in reports.values()), summary
    assert reports[3]["headline"] > 2 * reports[40]["headline"], summary
    assert reports[40]["smallest"] >= MIN_TILE_PX, summary
    assert reports[40]["headline"] >= MIN_HEADLINE_PX, summary


def test_the_whole_site_wall_shows_a_queue_that_left_the_server_as_gone(
    live_stack: LiveStack, browser: Any
) -> None:
    """By the team screens' rule: it was stale for ever on the whole-site screen."""
    db_url = live_stack.env["TRIO_MONITOR_DATABASE_URL"]
    wait_until(lambda: "100" in queue_names(db_url), 60,
               "the collector stored the simulator's queues")
    left_the_site(db_url, int(time.time() * 1000) - 20 * 60_000)
    log_in_browser(browser, live_stack.base_url, "/")

    def levels(driver: Any) -> dict[str, str]:
        return {queue: level for queue, level, _ in screen_state(driver)["tiles"]}

    wait(browser, 40).until(lambda d: levels(d).get(GONE_ID) == "gone"
                            and levels(d).get("100") not in (None, "stale"),
                            f"a gone tile: {screen_state(browser)}")
    gone = next(text for queue, _, text in screen_state(browser)["tiles"] if queue == GONE_ID)
    assert GONE_NAME in gone and "300" not in gone and "5:00" not in gone
    assert "stale" not in set(levels(browser).values())
