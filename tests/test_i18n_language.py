"""The language chosen is kept: in the browser (cookie), on the user (their next login in
another browser) and on a wall screen's display token; stored on SQLite and PostgreSQL."""

from __future__ import annotations

import flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import auth
from dashboard import ids
from storage import AlertStore, DisplayStore, UserStore
from tests.fixtures.actors import ADMIN, DisplayScreen
from tests.fixtures.dashboard import log_in
from tests.fixtures.screens import call


def stored_language(engine: Engine, username: str) -> str | None:
    row = UserStore(engine).get_by_username(username)
    assert row is not None
    return row.language


def test_it_stores_a_users_and_a_screens_language(engine: Engine) -> None:
    users = UserStore(engine)
    user_id = users.create("carl", "x", "viewer", 1)
    assert user_id is not None
    assert users.get(user_id).language is None  # type: ignore[union-attr]
    assert users.set_language(user_id, "sv")
    assert users.get(user_id).language == "sv"  # type: ignore[union-attr]
    assert not users.set_language(user_id + 99, "sv")

    screens = DisplayStore(engine)
    row = screens.create("Vägg", "c" * 64, actor="anna", now_ms=1)
    assert row.language is None
    assert screens.set_language(row.id, "sv", actor="anna", now_ms=2).language == "sv"
    assert screens.set_language(row.id, "sv", actor="anna", now_ms=3).language == "sv"
    changes = AlertStore(engine).audit_log(action_prefix="display.language")
    assert [(a.before["language"], a.after["language"]) for a in changes] == [(None, "sv")]


def test_the_switch_keeps_the_choice_for_the_user_and_their_next_login(
    server: flask.Flask, admin: FlaskClient, engine: Engine
) -> None:
    assert stored_language(engine, ADMIN) is None
    chosen = call(admin, ids.PAGES_LANG, {ids.PAGES_LANG_SV: 1}, (ids.PAGES_LANG_SV, "n_clicks"))
    assert chosen[ids.PAGES_LANG] == "sv"
    assert stored_language(engine, ADMIN) == "sv"
    assert admin.get_cookie("lang").value == "sv"  # type: ignore[union-attr]
    # Another browser: no cookie of the first; the login gives it the user's language.
    with server.test_client() as other:
        log_in(other, ADMIN)
        assert other.get_cookie("lang").value == "sv"  # type: ignore[union-attr]
        page = other.get("/health")
        assert page.status_code == 200


def test_lang_in_the_address_sets_a_screens_language_on_its_token(
    server: flask.Flask, display: DisplayScreen, engine: Engine
) -> None:
    page = display.client.get("/?lang=sv")
    assert page.status_code == 200
    [row] = [r for r in auth.list_displays(engine) if r.id == display.display_id]
    assert row.language == "sv"
    # A person's cookie is not the screen's: the token holds the screen's language
    # (tests/test_browser_i18n.py opens it again in a new browser).
