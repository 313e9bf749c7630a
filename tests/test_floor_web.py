"""The floor on the web app as served: the supervisor role (posts messages, acknowledges,
silences, plans maintenance; no user management, no rules), a viewer refused server-side,
the ticker of a display token's screen, and the CLI's ``users add --role supervisor`` and
``messages post``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import auth
from collectors.clock import ManualClock
from dashboard.components import alerts as alr_ids
from dashboard.components import floor as flr_ids
from dashboard.components import ticker as tkr_ids
from storage import AlertStore, FloorMessageStore, MaintenanceStore, Store, series_key
from tests.fixtures.actors import DisplayScreen
from tests.fixtures.dashboard import (
    BUSY_QUEUE,
    PASSWORD,
    alert_state,
    log_in,
    store_alert_states,
    write_queues,
)
from tests.fixtures.screens import call, open_display, post
from tests.test_thresholds_page import _create, post_toggle
from trio_monitor import cli

pytestmark = pytest.mark.sqlite_only

SUPERVISOR = "sara"
KEY_12 = series_key("trio", "queue", "12")
ALERT_12 = "a-12-longest_wait_s"


@pytest.fixture
def now_ms(clock: ManualClock) -> int:
    return int(clock.time() * 1000)


@pytest.fixture
def supervisor(server: flask.Flask, engine: Engine, clock: ManualClock) -> FlaskClient:
    auth.add_user(engine, SUPERVISOR, PASSWORD, auth.Role.SUPERVISOR, clock=clock.time)
    # Not as a context manager: two clients holding their last request contexts open
    # (this one and a screen's) would pop each other's.
    person = server.test_client()
    log_in(person, SUPERVISOR)
    return person


@pytest.fixture
def queue_12(engine: Engine, store: Store, now_ms: int) -> dict[str, int]:
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE}, now_ms - 1_000)
    return store_alert_states(engine, [alert_state("12", opened_at_ms=now_ms - 120_000)],
                              now_ms=now_ms)


def post_message(client: FlaskClient, text: str, screens: list[int] | None = None,
                 expiry: int = 60) -> dict[str, Any]:
    client.get("/alerts")
    return call(client, flr_ids.ALR_FLOOR_MESSAGES_MESSAGE, {
        flr_ids.ALR_FLOOR_POST: 1, flr_ids.ALR_FLOOR_TEXT: text,
        flr_ids.ALR_FLOOR_EXPIRY: expiry, flr_ids.ALR_FLOOR_SCREENS: screens},
        (flr_ids.ALR_FLOOR_POST, "n_clicks"))


def withdraw(client: FlaskClient, message_id: int) -> dict[str, Any]:
    button = {"type": flr_ids.ALR_FLOOR_WITHDRAW, "message": message_id}
    return call(client, flr_ids.ALR_FLOOR_MESSAGES_MESSAGE,
                {flr_ids.ALR_FLOOR_WITHDRAW: [(button, 1)]}, (button, "n_clicks"))


def ticker(client: FlaskClient) -> tuple[str, str]:
    """(text, class) of the ticker as the screen's browser gets it."""
    out = call(client, tkr_ids.TICKER, {tkr_ids.TICKER_REFRESH: 1},
               (tkr_ids.TICKER_REFRESH, "n_intervals"))
    response = post(client, tkr_ids.TICKER, {tkr_ids.TICKER_REFRESH: 1},
                    (tkr_ids.TICKER_REFRESH, "n_intervals"))
    props = response.get_json()["response"][tkr_ids.TICKER]
    return json.dumps(out[tkr_ids.TICKER], ensure_ascii=False), props["className"]


def plan(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    values = {flr_ids.ALR_FLOOR_MNT_PLAN: 1, flr_ids.ALR_FLOOR_MNT_REPEAT: "weekly",
              flr_ids.ALR_FLOOR_MNT_WEEKDAY: 6, flr_ids.ALR_FLOOR_MNT_START: "02:00",
              flr_ids.ALR_FLOOR_MNT_END: "04:00",
              **{getattr(flr_ids, f"ALR_FLOOR_MNT_{k.upper()}"): v for k, v in fields.items()}}
    return call(client, flr_ids.ALR_FLOOR_MAINTENANCE_MESSAGE, values,
                (flr_ids.ALR_FLOOR_MNT_PLAN, "n_clicks"))


# -- the supervisor --------------------------------------------------------------------------


def test_a_supervisor_posts_a_message_that_a_screen_shows_until_it_is_withdrawn(
    supervisor: FlaskClient, display: DisplayScreen, engine: Engine, clock: ManualClock
) -> None:
    assert ticker(display.client)[1] == tkr_ids.TICKER_OFF
    # A wall screen may show /alerts, and its callbacks' ids are the page's: the role
    # check refuses it all the same.
    assert post_message(display.client, "Forged by a screen") == {
        flr_ids.ALR_FLOOR_MESSAGES_MESSAGE:
        "Only supervisors and administrators can post and withdraw messages"}
    posted = post_message(supervisor, "System X down, tell callers to call back")
    assert posted[flr_ids.ALR_FLOOR_MESSAGES_MESSAGE].startswith("Message posted; shown until")
    assert posted[flr_ids.ALR_FLOOR_TEXT] == ""
    text, shown = ticker(display.client)
    assert shown == tkr_ids.TICKER_ON and "System X down, tell callers to call back" in text
    [message] = FloorMessageStore(engine).recent()
    assert message.created_by == SUPERVISOR

    clock.advance(5)  # past the ticker's cache period
    assert withdraw(supervisor, message.id)[flr_ids.ALR_FLOOR_MESSAGES_MESSAGE] == (
        f"Message #{message.id} withdrawn.")
    clock.advance(5)
    assert ticker(display.client)[1] == tkr_ids.TICKER_OFF
    actions = [a.action for a in AlertStore(engine).audit_log(action_prefix="message.")]
    assert actions == ["message.withdraw", "message.post"]


def test_a_message_for_one_screen_is_not_on_another_and_expires(
    supervisor: FlaskClient, display: DisplayScreen, server: flask.Flask, engine: Engine,
    clock: ManualClock,
) -> None:
    other = auth.create_display(engine, "Reception", clock=clock.time)
    clock.advance(5)  # the form's list of screens is read afresh
    posted = post_message(supervisor, "Team A: stand-up in 5", screens=[other.display.id],
                          expiry=15)
    assert "shown until" in posted[flr_ids.ALR_FLOOR_MESSAGES_MESSAGE]
    assert ticker(display.client)[1] == tkr_ids.TICKER_OFF
    reception = server.test_client()
    open_display(reception, other.token)
    assert "Team A: stand-up in 5" in ticker(reception)[0]
    clock.advance(15 * 60)
    assert ticker(reception)[1] == tkr_ids.TICKER_OFF


def test_a_supervisor_acknowledges_silences_and_plans_maintenance(
    supervisor: FlaskClient, queue_12: dict[str, int], engine: Engine, now_ms: int
) -> None:
    supervisor.get("/alerts")
    target = {"rule_id": queue_12["Longest wait"], "series_key": KEY_12, "alert_id": ALERT_12}
    acked = call(supervisor, alr_ids.ALR_ACK_MESSAGE, {
        alr_ids.ALR_ACK_SUBMIT: 1, alr_ids.ALR_ACK_TARGET: target,
        alr_ids.ALR_ACK_COMMENT: "on it"}, (alr_ids.ALR_ACK_SUBMIT, "n_clicks"))
    assert "acknowledged" in acked[alr_ids.ALR_ACK_MESSAGE].lower()
    silenced = call(supervisor, alr_ids.ALR_SILENCES_MESSAGE, {
        alr_ids.ALR_SILENCE_CREATE: 1, alr_ids.ALR_SILENCE_DURATION: 60,
        alr_ids.ALR_SILENCE_ENTITIES: [KEY_12], alr_ids.ALR_SILENCE_REASON: "lunch"},
        (alr_ids.ALR_SILENCE_CREATE, "n_clicks"))
    assert silenced[alr_ids.ALR_SILENCES_MESSAGE].startswith("Silenced until")
    planned = plan(supervisor, entities=[KEY_12], reason="Trio server maintenance")
    assert planned[flr_ids.ALR_FLOOR_MAINTENANCE_MESSAGE] == (
        "Maintenance planned: every Sunday 02:00–04:00.")
    [window] = MaintenanceStore(engine).windows()
    assert (window.created_by, window.scope.entity_ids, window.weekly.timezone) == (  # type: ignore[union-attr]
        SUPERVISOR, ("12",), "Europe/Stockholm")
    assert [s.created_by for s in AlertStore(engine).silences()] == [SUPERVISOR]


def test_a_supervisor_may_not_manage_users_or_edit_rules(
    supervisor: FlaskClient, engine: Engine, now_ms: int
) -> None:
    refused = supervisor.get("/admin")
    assert refused.status_code == 403
    assert "Only administrators can open this page." in refused.get_data(as_text=True)
    rule = _create(AlertStore(engine), now_ms)
    toggled = post_toggle(supervisor, rule.id, rule.version)
    assert "Only administrators can change alert rules" in json.dumps(toggled)
    assert [r.enabled for r in AlertStore(engine).list_rules()] == [True]


def test_a_viewer_may_not_post_withdraw_or_plan(
    viewer: FlaskClient, engine: Engine, now_ms: int
) -> None:
    kept = FloorMessageStore(engine).post("Kept", displays=[], expires_at_ms=now_ms + 60_000,
                                          actor="anna", now_ms=now_ms)
    refused = post_message(viewer, "Forged")
    assert refused == {flr_ids.ALR_FLOOR_MESSAGES_MESSAGE:
                       "Only supervisors and administrators can post and withdraw messages"}
    assert withdraw(viewer, kept.id)[flr_ids.ALR_FLOOR_MESSAGES_MESSAGE].startswith("Only")
    assert plan(viewer, reason="forged")[flr_ids.ALR_FLOOR_MAINTENANCE_MESSAGE] == (
        "Only supervisors and administrators can change silences and maintenance")
    assert [(m.text, m.withdrawn_at_ms) for m in FloorMessageStore(engine).recent()] == [
        ("Kept", None)]
    assert MaintenanceStore(engine).windows() == []


def test_the_form_says_what_is_wrong_and_stores_nothing(
    supervisor: FlaskClient, engine: Engine
) -> None:
    assert post_message(supervisor, "  ")[flr_ids.ALR_FLOOR_MESSAGES_MESSAGE] == (
        "Write the message.")
    assert post_message(supervisor, "ok", screens=[999])[
        flr_ids.ALR_FLOOR_MESSAGES_MESSAGE] == "Choose screens from the list."
    assert plan(supervisor, reason="x", start="25:00")[
        flr_ids.ALR_FLOOR_MAINTENANCE_MESSAGE] == "Give the times as HH:MM."
    assert plan(supervisor, reason="x", repeat="once", date="29/3")[
        flr_ids.ALR_FLOOR_MAINTENANCE_MESSAGE] == "Give the date as YYYY-MM-DD."
    assert FloorMessageStore(engine).recent() == [] and MaintenanceStore(engine).windows() == []


# -- the command line --------------------------------------------------------------------------


def test_the_cli_adds_a_supervisor_and_posts_and_withdraws_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIO_MONITOR_DATABASE_URL", f"sqlite:///{tmp_path / 'floor.db'}")
    assert cli.main(["db", "upgrade"]) == 0
    secret = tmp_path / "pw"
    secret.write_text("långt-lösenord-1\n", encoding="utf-8")
    assert cli.main(["users", "add", "Sara", "--role", "supervisor",
                     "--password-file", str(secret)]) == 0
    assert "added supervisor Sara" in capsys.readouterr().out
    assert cli.main(["messages", "post", "Fire drill at 14:00", "--minutes", "30"]) == 0
    assert "message 1 on every screen until" in capsys.readouterr().out
    assert cli.main(["messages", "post", "x", "--display", "42"]) == 1
    assert "no live display token has id 42" in capsys.readouterr().err
    assert cli.main(["messages", "list"]) == 0
    assert "on screens" in capsys.readouterr().out
    assert cli.main(["messages", "withdraw", "1"]) == 0
    assert cli.main(["messages", "withdraw", "7"]) == 1
    assert cli.main(["users", "list"]) == 0
    assert "supervisor" in capsys.readouterr().out
