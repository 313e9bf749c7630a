"""/admin as served: who may open it, users, wall screens and the audit log, through its
callbacks over HTTP with the real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import auth
from auth import Actor, Role
from collectors.clock import ManualClock
from dashboard import ids as dash_ids
from dashboard.components import admin as adm_ids
from dashboard.components.admin import ScreenState, screen_state
from storage import AlertStore, DisplayRow
from tests.fixtures.dashboard import by_class, log_in, text
from tests.fixtures.screens import call, open_display, text_of

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

ADMIN_ONLY = "Only administrators can do this."


# ``server``, ``client`` (anonymous), ``admin`` (anna) and ``viewer`` (bo): tests/fixtures/actors.py


def press(client: FlaskClient, button: str, **values: Any) -> dict[str, Any]:
    """A form button of /admin, with the form's values (by id)."""
    message = (adm_ids.ADM_DISPLAYS_MESSAGE if button == adm_ids.ADM_DISPLAY_CREATE
               else adm_ids.ADM_USERS_MESSAGE)
    return call(client, message, {button: 1, **values}, (button, "n_clicks"))


def user_button(client: FlaskClient, user: str, action: str) -> dict[str, Any]:
    button = {"type": adm_ids.ADM_USER_ACTION, "user": user, "action": action}
    return call(client, adm_ids.ADM_USERS_MESSAGE,
                {adm_ids.ADM_USER_ACTION: [(button, 1)]}, (button, "n_clicks"))


def revoke(client: FlaskClient, display_id: int) -> dict[str, Any]:
    button = {"type": adm_ids.ADM_DISPLAY_REVOKE, "display": display_id}
    return call(client, adm_ids.ADM_DISPLAYS_MESSAGE,
                {adm_ids.ADM_DISPLAY_REVOKE: [(button, 1)]}, (button, "submit_n_clicks"))


def displays_table(client: FlaskClient) -> Any:
    return call(client, adm_ids.ADM_DISPLAYS, {adm_ids.ADM_REFRESH: 1})[adm_ids.ADM_DISPLAYS]


def audit(client: FlaskClient, **filters: Any) -> str:
    values = {getattr(adm_ids, f"ADM_AUDIT_{name.upper()}"): value
              for name, value in filters.items()}
    return text_of(call(client, adm_ids.ADM_AUDIT, values)[adm_ids.ADM_AUDIT])


def add_user_form(username: str, password: str, role: str = "viewer") -> dict[str, Any]:
    return {adm_ids.ADM_NEW_USERNAME: username, adm_ids.ADM_NEW_PASSWORD: password,
            adm_ids.ADM_NEW_ROLE: role}


# -- who may open it -----------------------------------------------------------------------


def test_only_administrators_may_open_the_admin_page(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    with server.test_client() as anonymous:
        assert anonymous.get("/admin").status_code == 302
    with server.test_client() as viewer:
        log_in(viewer, "bo")
        refused = viewer.get("/admin")
        assert refused.status_code == 403
        assert "Only administrators can open this page." in refused.get_data(as_text=True)
        assert viewer.get("/").status_code == 200
    with server.test_client() as screen:
        open_display(screen, auth.create_display(engine, "Screen 1", clock=clock.time).token)
        assert screen.get("/admin").status_code == 403
    with server.test_client() as admin:
        log_in(admin, "anna")
        assert admin.get("/admin").status_code == 200


def test_the_layout_holds_nothing_for_a_viewer_who_navigates_there(
    server: flask.Flask, client: FlaskClient
) -> None:
    from dashboard.pages import admin as page

    log_in(client, "bo")
    client.get("/")
    viewer_layout = page.layout()
    assert "Only administrators can open this page." in text(viewer_layout)
    assert not by_class(viewer_layout, "form")
    with server.test_client() as admin:
        log_in(admin, "anna")
        admin.get("/")
        # add user, password, new screen, team screen, screen settings
        assert len(by_class(page.layout(), "form")) == 5


def test_the_server_refuses_every_admin_callback_to_a_viewer(
    client: FlaskClient, engine: Engine, clock: ManualClock
) -> None:
    screen = auth.create_display(engine, "Screen 1", clock=clock.time).display
    log_in(client, "bo")

    assert "Only administrators" in text_of(call(client, adm_ids.ADM_USERS, {}))
    assert "Only administrators" in text_of(displays_table(client))
    assert "Only administrators" in audit(client)
    forged = [
        press(client, adm_ids.ADM_ADD_USER, **add_user_form("eve", "a long password!", "admin")),
        press(client, adm_ids.ADM_RESET_SUBMIT, **{adm_ids.ADM_RESET_USER: "anna",
                                                   adm_ids.ADM_RESET_PASSWORD: "new long pw!"}),
        user_button(client, "anna", "disable"),
        user_button(client, "bo", "admin"),
    ]
    assert [f[adm_ids.ADM_USERS_MESSAGE] for f in forged] == [ADMIN_ONLY] * 4
    assert press(client, adm_ids.ADM_DISPLAY_CREATE, **{adm_ids.ADM_DISPLAY_NAME: "x"})[
        adm_ids.ADM_DISPLAYS_MESSAGE] == ADMIN_ONLY
    assert revoke(client, screen.id)[adm_ids.ADM_DISPLAYS_MESSAGE] == ADMIN_ONLY

    assert [(u.username, u.role, u.disabled) for u in auth.list_users(engine)] == [
        ("anna", Role.ADMIN, False), ("bo", Role.VIEWER, False)]
    assert [(d.name, d.revoked) for d in auth.list_displays(engine)] == [("Screen 1", False)]
    actions = {row.action for row in AlertStore(engine).audit_log()}
    assert not actions & {"user.role", "user.disable", "user.password", "display.revoke"}


# -- users ------------------------------------------------------------------------------


def test_it_adds_a_user_changes_the_role_disables_enables_and_resets_the_password(
    admin: FlaskClient, engine: Engine
) -> None:
    added = press(admin, adm_ids.ADM_ADD_USER, **add_user_form(" Cecilia ", "a long password!"))
    assert added[adm_ids.ADM_USERS_MESSAGE] == "cecilia added as viewer."
    assert added[adm_ids.ADM_NEW_USERNAME] == "" and added[adm_ids.ADM_NEW_PASSWORD] == ""
    table = text_of(call(admin, adm_ids.ADM_USERS, {}))
    assert "cecilia" in table and "Make administrator" in table

    assert user_button(admin, "cecilia", "admin")[adm_ids.ADM_USERS_MESSAGE] == (
        "cecilia is now administrator.")
    assert user_button(admin, "cecilia", "disable")[adm_ids.ADM_USERS_MESSAGE] == (
        "cecilia disabled: their sessions end.")
    assert user_button(admin, "cecilia", "enable")[adm_ids.ADM_USERS_MESSAGE] == (
        "cecilia enabled.")
    reset = press(admin, adm_ids.ADM_RESET_SUBMIT, **{
        adm_ids.ADM_RESET_USER: "cecilia", adm_ids.ADM_RESET_PASSWORD: "another long one"})
    assert reset[adm_ids.ADM_USERS_MESSAGE] == (
        "Password of cecilia changed: their sessions end.")
    assert reset[adm_ids.ADM_RESET_PASSWORD] == ""

    user = auth.get_user(engine, "cecilia")
    assert (user.role, user.disabled) == (Role.ADMIN, False)
    assert auth.authenticate(engine, "cecilia", "another long one", "10.0.0.1", 1,
                             auth.AuthConfig(secret_key="k")).ok
    rows = [r for r in AlertStore(engine).audit_log(action_prefix="user.")
            if r.target == "user:cecilia"]
    assert [(r.action, r.actor, r.client_addr) for r in reversed(rows)] == [
        ("user.add", "anna", "127.0.0.1"), ("user.role", "anna", "127.0.0.1"),
        ("user.disable", "anna", "127.0.0.1"), ("user.enable", "anna", "127.0.0.1"),
        ("user.password", "anna", "127.0.0.1")]


def test_an_admin_cannot_disable_or_demote_themselves(admin: FlaskClient, engine: Engine) -> None:
    table = call(admin, adm_ids.ADM_USERS, {})[adm_ids.ADM_USERS]
    own_buttons = re.findall(r'"user": "anna", "action": "(\w+)"', text_of(table))
    assert own_buttons == []  # anna is admin and active: both buttons would harm herself

    for action in ("disable", "viewer"):
        refused = user_button(admin, "anna", action)
        assert refused[adm_ids.ADM_USERS_MESSAGE].startswith("You cannot disable your own")
    user = auth.get_user(engine, "anna")
    assert (user.role, user.disabled) == (Role.ADMIN, False)


def test_it_says_what_is_wrong_with_a_new_user_and_adds_nothing(
    admin: FlaskClient, engine: Engine
) -> None:
    def message(form: dict[str, Any], lang: str = "en") -> str:
        return str(press(admin, adm_ids.ADM_ADD_USER, **form, **{dash_ids.PAGES_LANG: lang})[
            adm_ids.ADM_USERS_MESSAGE])

    assert message(add_user_form("", "a long password!")) == (
        "Give a username, a password and a role.")
    assert message(add_user_form("no spaces", "a long password!")).startswith("Use 1-64")
    assert message(add_user_form("dave", "short")) == (
        "Use a password of 10-1024 characters, not only spaces.")
    assert message(add_user_form("bo", "a long password!")) == (
        "A user called bo already exists.")
    assert message(add_user_form("dave", "short"), "sv").startswith("Använd ett lösenord")
    assert [u.username for u in auth.list_users(engine)] == ["anna", "bo"]


# -- wall screens ----------------------------------------------------------------------------


def test_it_creates_a_display_token_shown_once_that_opens_a_screen_and_revokes_it(
    server: flask.Flask, admin: FlaskClient, engine: Engine, clock: ManualClock
) -> None:
    created = press(admin, adm_ids.ADM_DISPLAY_CREATE, **{adm_ids.ADM_DISPLAY_NAME: "Lobby"})
    panel = text_of(created[adm_ids.ADM_DISPLAY_TOKEN])
    found = re.search(r"/display/([A-Za-z0-9_-]{43})", panel)
    assert found is not None and "shown only now" in panel
    assert created[adm_ids.ADM_DISPLAY_NAME] == ""
    [row] = auth.list_displays(engine)
    assert "Lobby" in text_of(displays_table(admin)) and "never connected" in text_of(
        displays_table(admin))

    screen = server.test_client()
    assert open_display(screen, found.group(1)).status_code == 200
    again = press(admin, adm_ids.ADM_DISPLAY_CREATE, **{adm_ids.ADM_DISPLAY_NAME: "Lobby"})
    assert again[adm_ids.ADM_DISPLAYS_MESSAGE] == (
        "A screen called Lobby already has a token: revoke it first.")

    revoked = revoke(admin, row.id)
    assert revoked[adm_ids.ADM_DISPLAYS_MESSAGE] == (
        "Lobby revoked: the screen stops within one refresh.")
    clock.advance(1)
    assert screen.get("/").status_code == 303  # to /display/revoked
    assert "revoked" in text_of(displays_table(admin))
    assert [(r.action, r.actor) for r in reversed(
        AlertStore(engine).audit_log(action_prefix="display."))] == [
        ("display.create", "anna"), ("display.login", "display:Lobby"),
        ("display.revoke", "anna")]


def test_it_shows_when_each_screen_last_refreshed_and_flags_a_silent_one(
    server: flask.Flask, admin: FlaskClient, engine: Engine, clock: ManualClock
) -> None:
    new = auth.create_display(engine, "Screen 3", actor=Actor("anna"), clock=clock.time)
    screen = server.test_client()
    open_display(screen, new.token, "?rotate=wallboard,drift")
    clock.advance(10)  # visits are written at most every 10 s
    screen.get("/drift")

    clock.advance(40)
    table = displays_table(admin)
    shown = text_of(table)
    assert "stopped updating 40 s ago" in shown and "127.0.0.1" in shown and "/drift" in shown
    assert '"data-state": "stopped"' in shown

    clock.advance(5 * 60)
    assert '"data-state": "flagged"' in text_of(displays_table(admin))
    assert "stopped updating 5 min ago" in text_of(displays_table(admin))


def test_a_screens_state_is_computed_from_its_facts() -> None:
    def row(seen_ms: int | None, revoked_ms: int | None = None) -> DisplayRow:
        return DisplayRow(id=1, name="s", created_at_ms=0, created_by="anna",
                          revoked_at_ms=revoked_ms, revoked_by=None, last_seen_at_ms=seen_ms,
                          last_addr=None, last_user_agent=None, last_page=None)

    now = 1_000_000
    assert screen_state(row(None), now) is ScreenState.NEVER
    assert screen_state(row(now - 30_000), now) is ScreenState.OK
    assert screen_state(row(now - 30_001), now) is ScreenState.STOPPED
    assert screen_state(row(now - 300_001), now) is ScreenState.FLAGGED
    assert screen_state(row(now, revoked_ms=now), now) is ScreenState.REVOKED


# -- audit log ------------------------------------------------------------------------------


def test_it_filters_the_audit_log_by_actor_kind_and_time_range(
    admin: FlaskClient, engine: Engine, clock: ManualClock
) -> None:
    store = AlertStore(engine)
    now_ms = int(clock.time() * 1000)
    store.audit(actor="cecilia", action="rule.update", target="rule:1",
                before={"warning": 15}, after={"warning": 20}, now_ms=now_ms - 2 * 3_600_000)
    store.audit(actor="bo", action="alert.ack", target="alert:a-1", now_ms=now_ms - 60_000)

    everything = audit(admin, range="all")
    assert "rule.update" in everything and "alert.ack" in everything
    assert "Warning threshold: 15 → 20" in everything  # a field's diff, not raw JSON
    assert "login.ok" in everything  # anna's own login
    assert "rule.update" not in audit(admin, range="1h")
    by_bo = audit(admin, actor=" bo ", range="all")
    assert "alert.ack" in by_bo and "login.ok" not in by_bo
    logins = audit(admin, action="login", range="30d")
    assert "login.ok" in logins and "alert.ack" not in logins and "user.add" not in logins
    assert "Nothing matches" in audit(admin, actor="nobody", range="all")


def test_the_refusal_is_a_page_of_the_app_in_the_visitors_language(
    server: flask.Flask,
) -> None:
    with server.test_client() as viewer:
        log_in(viewer, "bo")
        english = viewer.get("/admin").get_data(as_text=True)
        assert "<h1 class=\"page__title\">Access refused</h1>" in english
        assert 'class="topbar page__topbar"' in english
        # The app's own stylesheets: the same colours and top bar as every page.
        for sheet in ("/assets/wallboard.css", "/assets/pages.css"):
            assert f'href="{sheet}"' in english
            with viewer.get(sheet) as served:
                assert served.status_code == 200
        swedish = viewer.get("/admin?lang=sv")
        assert swedish.status_code == 403
        text = swedish.get_data(as_text=True)
        assert "Åtkomst nekad" in text and "Bara administratörer kan öppna den här sidan." in text
        assert '<html lang="sv">' in text
        # The choice is kept (the login page's cookie): the next refusal is in Swedish too.
        assert "Åtkomst nekad" in viewer.get("/admin").get_data(as_text=True)


# -- team screens ---------------------------------------------------------------------------


def team_press(client: FlaskClient, button: str, **values: Any) -> dict[str, Any]:
    from dashboard.components import admin_views as views_ids

    return call(client, views_ids.ADM_VIEWS_MESSAGE, {button: 1, **values}, (button, "n_clicks"))


def test_an_admin_saves_a_team_screen_and_sets_a_screens_view_and_language(
    server: flask.Flask, admin: FlaskClient, engine: Engine, clock: ManualClock,
) -> None:
    from dashboard.components import admin_views as v
    from storage import DisplayStore, ViewStore

    screen = auth.create_display(engine, "Lobby", clock=clock.time).display
    refused = team_press(admin, v.ADM_VIEW_SAVE, **{
        v.ADM_VIEW_PICK: v.NEW_VIEW, v.ADM_VIEW_NAME: "support", v.ADM_VIEW_TITLE: "Support",
        v.ADM_VIEW_QUEUES: []})
    assert refused[v.ADM_VIEWS_MESSAGE] == "Choose at least one queue."
    bad = team_press(admin, v.ADM_VIEW_SAVE, **{
        v.ADM_VIEW_PICK: v.NEW_VIEW, v.ADM_VIEW_NAME: "Sup port", v.ADM_VIEW_TITLE: "S",
        v.ADM_VIEW_QUEUES: ["1"]})
    assert bad[v.ADM_VIEWS_MESSAGE].startswith("Not saved: invalid view name")
    assert ViewStore(engine).list() == []

    saved = team_press(admin, v.ADM_VIEW_SAVE, **{
        v.ADM_VIEW_PICK: v.NEW_VIEW, v.ADM_VIEW_NAME: "support", v.ADM_VIEW_TITLE: "Support",
        v.ADM_VIEW_QUEUES: ["12", "3"]})
    [view] = ViewStore(engine).list()
    assert saved[v.ADM_VIEWS_MESSAGE] == "Team screen “support” saved."
    assert saved[v.ADM_VIEW_PICK] == view.id and view.queue_ids == ("12", "3")
    table = text_of(call(admin, v.ADM_VIEWS, {})[v.ADM_VIEWS])
    assert "/?view=support" in table and "3 (gone)" in table

    done = team_press(admin, v.ADM_SCREEN_SAVE, **{
        v.ADM_SCREEN_PICK: screen.id, v.ADM_SCREEN_VIEW: view.id, v.ADM_SCREEN_LANG: "sv"})
    assert done[v.ADM_VIEWS_MESSAGE] == "Screen “Lobby” saved."
    row = DisplayStore(engine).get(screen.id)
    assert row is not None and (row.view_id, row.language) == (view.id, "sv")
    assert "support" in text_of(displays_table(admin))
    assert [(r.action, r.actor) for r in reversed(AlertStore(engine).audit_log())
            if r.action.startswith(("view.", "display.view", "display.language"))] == [
        ("view.create", "anna"), ("display.view", "anna"), ("display.language", "anna")]


def test_a_viewer_cannot_change_a_screens_view_or_language(
    viewer: FlaskClient, engine: Engine, clock: ManualClock,
) -> None:
    from dashboard.components import admin_views as v
    from storage import DisplayStore

    screen = auth.create_display(engine, "Lobby", clock=clock.time).display
    denied = team_press(viewer, v.ADM_SCREEN_SAVE, **{
        v.ADM_SCREEN_PICK: screen.id, v.ADM_SCREEN_VIEW: v.WHOLE_SITE,
        v.ADM_SCREEN_LANG: "sv"})
    assert denied[v.ADM_VIEWS_MESSAGE] == ADMIN_ONLY
    row = DisplayStore(engine).get(screen.id)
    assert row is not None and row.language is None
