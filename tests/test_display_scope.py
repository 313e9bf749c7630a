"""Issue 11: a wall screen's display session sees what a screen shows and nothing more
(no audit log, no names, no client addresses), through the web app as served, on SQLite
and PostgreSQL; HEAD requests get what GET gets."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import auth
from alerts import DEFAULT_RULES
from auth import Actor, Role
from collectors.clock import ManualClock
from dashboard import ids as dash_ids
from dashboard.components import admin as adm_ids
from dashboard.components import alerts as alr_ids
from dashboard.components import thresholds as thr_ids
from storage import AlertStore, Store
from tests.fixtures.dashboard import (
    BUSY_QUEUE,
    PASSWORD,
    alert_state,
    log_in,
    store_alert_states,
    write_queues,
)
from tests.fixtures.screens import call, make_server, open_display, post, text_of

KEY_12 = "trio|queue|12"
COMMENT = "Ringer Kalle på 070-1234567"
SILENCE_REASON = "planerat underhåll"



@pytest.fixture
def server(engine: Engine, clock: ManualClock) -> flask.Flask:
    """Queue 12 firing, acknowledged by the admin anna with a comment, silenced by her;
    a rule changed by her (audit rows with her address); a channel failing with an
    error naming its mail server."""
    now_ms = int(clock.time() * 1000)
    auth.add_user(engine, "anna", PASSWORD, Role.ADMIN, clock=clock.time)
    auth.add_user(engine, "bo", PASSWORD, Role.VIEWER, clock=clock.time)
    write_queues(Store(engine), {("12", "Kundtjänst"): BUSY_QUEUE}, now_ms - 1_000)
    rules = store_alert_states(engine, [alert_state("12", opened_at_ms=now_ms - 60_000)],
                               now_ms=now_ms)
    alerts = AlertStore(engine)
    wait_rule = {rule.metric: rules[rule.name] for rule in DEFAULT_RULES}["longest_wait_s"]
    alerts.acknowledge(wait_rule, KEY_12, alert_id="a-12-longest_wait_s", user="anna",
                       comment=COMMENT, now_ms=now_ms, client_addr="10.9.9.9")
    alerts.create_silence(rule_id=None, source=None, entity_kind=None, entity_ids=[],
                          starts_at_ms=now_ms - 1_000, ends_at_ms=now_ms + 3_600_000,
                          reason=SILENCE_REASON, actor="anna", now_ms=now_ms,
                          client_addr="10.9.9.9")
    alerts.sync_channels([("ops-mail", "email")], now_ms=now_ms)
    alerts.set_channel_state("ops-mail", state="failing",
                             error="SMTP smtp.internal.example:25 refused", now_ms=now_ms)
    return make_server(engine, clock)


@pytest.fixture
def screen(server: flask.Flask, engine: Engine, clock: ManualClock) -> FlaskClient:
    client = server.test_client()
    token = auth.create_display(engine, "Reception", actor=Actor("anna", "10.9.9.9"),
                                clock=clock.time).token
    open_display(client, token)
    return client


@pytest.fixture
def viewer(server: flask.Flask) -> FlaskClient:
    client = server.test_client()
    log_in(client, "bo")
    return client


PEOPLE = ("anna", "10.9.9.9", COMMENT)


def assert_no_people(shown: str) -> None:
    for secret in PEOPLE:
        assert secret not in shown, secret


# -- pages and callbacks outside the screen ------------------------------------------------


@pytest.mark.parametrize("path", ["/admin", "/thresholds", "/queues/12",
                                  "/queues/12/daily.csv", "/no-such-page"])
def test_a_display_session_is_refused_every_page_a_screen_does_not_show(
    screen: FlaskClient, path: str
) -> None:
    for method in (screen.get, screen.head):
        response = method(path)
        assert response.status_code == 403, (method, path)
    assert_no_people(screen.get(path).get_data(as_text=True))


@pytest.mark.parametrize("path", ["/", "/kiosk", "/alerts", "/drift", "/health"])
def test_a_display_session_opens_the_pages_a_screen_shows_by_get_and_head(
    screen: FlaskClient, path: str
) -> None:
    assert screen.get(path).status_code == 200
    assert screen.head(path).status_code == 200


@pytest.mark.parametrize("output", [
    thr_ids.THR_AUDIT, thr_ids.THR_RULES, adm_ids.ADM_AUDIT, adm_ids.ADM_USERS,
    adm_ids.ADM_DISPLAYS, adm_ids.ADM_SESSIONS,
])
def test_a_display_session_is_refused_the_audit_log_and_admin_callbacks(
    screen: FlaskClient, output: str
) -> None:
    refused = post(screen, output, {})

    assert refused.status_code == 403
    assert_no_people(refused.get_data(as_text=True))


def test_a_viewer_may_still_read_the_thresholds_audit(viewer: FlaskClient) -> None:
    assert viewer.get("/thresholds").status_code == 200
    assert post(viewer, thr_ids.THR_AUDIT, {}).status_code == 200  # a screen may not


def test_a_display_session_cannot_route_to_another_page_through_dash(
    screen: FlaskClient,
) -> None:
    [router] = [dep["output"] for dep in screen.get("/_dash-dependencies").get_json()
                if "_pages_content.children" in dep["output"]]

    def route(path: str) -> Any:
        return screen.post("/_dash-update-component", json={
            "output": router,
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "state": [], "changedPropIds": ["_pages_location.pathname"]})

    assert route("/thresholds").status_code == 403
    assert route("/admin").status_code == 403
    assert route("/alerts").status_code == 200


def test_a_display_session_is_refused_a_malformed_callback(screen: FlaskClient) -> None:
    assert screen.post("/_dash-update-component", json=[1, 2]).status_code == 403
    assert screen.post("/_dash-update-component", json={"outputs": {"id": 5}}).status_code \
        == 403


# -- what the screen's own pages show -------------------------------------------------------


def alerts_page(client: FlaskClient) -> str:
    found = call(client, alr_ids.ALR_FIRING, {alr_ids.ALR_REFRESH: 1},
                 (alr_ids.ALR_REFRESH, "n_intervals"))
    return text_of(found)


def test_the_alerts_page_shows_a_screen_no_names_comments_or_errors(
    screen: FlaskClient, viewer: FlaskClient
) -> None:
    as_person = alerts_page(viewer)
    as_screen = alerts_page(screen)

    assert "anna" in as_person and COMMENT in as_person
    assert "smtp.internal.example" in as_person
    assert_no_people(as_screen)
    assert "smtp.internal.example" not in as_screen
    assert "a user" in as_screen  # acknowledged and silenced: still said, by whom not
    assert SILENCE_REASON in as_screen  # why it is silenced is what the room needs


def test_the_wall_screen_shows_a_screen_no_names_and_shares_no_render_with_people(
    screen: FlaskClient, viewer: FlaskClient
) -> None:
    def wall(client: FlaskClient) -> str:
        return text_of(call(client, dash_ids.WALLBOARD_TILES, {dash_ids.WALLBOARD_REFRESH: 1},
                            (dash_ids.WALLBOARD_REFRESH, "n_intervals")))

    # In the same second, person first: the response cache must not hand it to the screen.
    as_person, as_screen, again = wall(viewer), wall(screen), wall(viewer)

    assert "acknowledged by anna" in as_person and as_person == again
    assert "acknowledged by a user" in as_screen
    assert_no_people(as_screen)
