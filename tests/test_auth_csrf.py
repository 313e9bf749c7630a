"""auth.web: CSRF protection of Dash callbacks (the session's token, given to the page as
the cookie Dash's renderer reads, and required back in its header)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import dash
import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from auth import AuthConfig, Role, add_user, csrf_token, install

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

PASSWORD = "correct horse battery"
SECRET = "c" * 40
COOKIE = "_csrf_token"
HEADER = "X-CSRFToken"
UPDATE = "/_dash-update-component"


def make_server(engine: Engine, *, cookie_secure: bool = False) -> flask.Flask:
    """Routes shaped like Dash's (also under a prefix), with auth installed."""
    server = flask.Flask(__name__)
    for path in (UPDATE, "/monitor" + UPDATE):
        server.add_url_rule(path, path, lambda: {"response": {}}, methods=["POST"])
    server.add_url_rule("/", "index", lambda: "home")
    server.add_url_rule("/token", "token", csrf_token)
    server.add_url_rule("/other-post", "other", lambda: "ok", methods=["POST"])
    install(server, engine, AuthConfig(secret_key=SECRET, cookie_secure=cookie_secure))
    return server


@pytest.fixture
def client(engine: Engine) -> Iterator[FlaskClient]:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    with make_server(engine).test_client() as client:
        yield client


def log_in(client: FlaskClient) -> TestResponse:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    response = client.post("/login", data={"csrf_token": found.group(1), "username": "anna",
                                           "password": PASSWORD})
    assert response.status_code == 303
    return response


def _csrf_cookies(response: TestResponse) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]


def test_it_gives_a_logged_in_browser_the_session_token_as_a_script_readable_cookie(
    engine: Engine
) -> None:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    for secure in (False, True):
        client = make_server(engine, cookie_secure=secure).test_client()
        assert _csrf_cookies(client.get("/login")) == []  # nobody logged in yet
        [cookie] = _csrf_cookies(log_in(client))
        token = client.get("/token").get_data(as_text=True)
        assert cookie.startswith(f"{COOKIE}={token};")
        assert "HttpOnly" not in cookie and "SameSite=Strict" in cookie
        assert ("Secure" in cookie) is secure
        assert _csrf_cookies(client.get("/")) == []  # held already: not sent again


def test_it_accepts_a_dash_callback_carrying_the_token_in_its_header(
    client: FlaskClient
) -> None:
    log_in(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    for path in (UPDATE, "/monitor" + UPDATE):
        response = client.post(path, json={}, headers={HEADER: cookie.value})
        assert response.status_code == 200, path


def test_it_refuses_a_dash_callback_without_the_token_or_with_another_and_logs_it(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    log_in(client)
    caplog.set_level(logging.WARNING, logger="auth.web")
    for path, headers in ((UPDATE, {}), (UPDATE, {HEADER: "forged"}),
                          ("/monitor" + UPDATE, {HEADER: ""})):
        response = client.post(path, json={}, headers=headers)
        assert response.status_code == 403, (path, headers)
        assert response.json == {"error": "CSRF token missing or wrong; reload the page"}
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("Dash callback refused: no CSRF token") == 2
    assert messages.count("Dash callback refused: wrong CSRF token") == 1
    assert all(getattr(r, "username", None) == "anna" for r in caplog.records)


def test_it_leaves_other_requests_and_anonymous_ones_as_they_were(client: FlaskClient) -> None:
    assert client.post(UPDATE, json={}).status_code == 401  # not logged in: no session
    log_in(client)
    assert client.post("/other-post").status_code == 200
    assert client.get("/").status_code == 200


def test_it_takes_the_cookie_away_at_logout(client: FlaskClient) -> None:
    log_in(client)
    token = client.get("/token").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": token})
    [cookie] = _csrf_cookies(response)
    assert "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get_cookie(COOKIE) is None
    assert client.post(UPDATE, json={}, headers={HEADER: token}).status_code == 401


def test_dash_renderer_still_sends_this_cookie_in_this_header() -> None:
    """The contract the protection rests on, pinned to the installed Dash."""
    renderer = Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.min.js"
    source = renderer.read_text(encoding="utf-8")
    assert f'"{COOKIE}"' in source or f"'{COOKIE}'" in source
    assert f'"{HEADER}"' in source or f"'{HEADER}'" in source
