"""auth.web: the login and logout pages, the guard, sessions, CSRF and headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import dash
import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from auth import (
    AuthConfig,
    PermissionDenied,
    Role,
    add_user,
    client_address,
    csrf_token,
    current_user,
    disable_user,
    install,
    require_role,
    set_password,
    set_role,
)

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

PASSWORD = "correct horse battery"
SECRET = "s" * 40
HASHES = ["'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='"]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_server(engine: Engine, clock: Clock, **config: object) -> flask.Flask:
    """A bare Flask server with routes shaped like Dash's, and auth installed."""
    server = flask.Flask(__name__)
    server.config["CSP_SCRIPT_HASHES"] = HASHES

    server.add_url_rule("/", "index", lambda: "home")
    server.add_url_rule("/reports", "reports", lambda: "reports")
    server.add_url_rule("/_dash-layout", "layout", lambda: {"props": {}})
    server.add_url_rule("/_dash-update-component", "update", lambda: {"response": {}},
                        methods=["POST"])
    server.add_url_rule("/assets/x.css", "css", lambda: "body {}")
    server.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    server.add_url_rule("/whoami", "whoami", lambda: {"user": _whoami()})
    server.add_url_rule("/logout-form", "logout_form", csrf_token)
    server.add_url_rule("/admin-action", "admin_action", _admin_action, methods=["POST"])
    server.register_error_handler(PermissionDenied, lambda err: ({"error": str(err)}, 403))

    install(server, engine, AuthConfig(secret_key=SECRET, **config),  # type: ignore[arg-type]
            clock=clock)
    return server


def _whoami() -> str | None:
    user = current_user()
    return f"{user.username}/{user.role.value}" if user else None


def _admin_action() -> dict[str, str]:
    return {"done_by": require_role(Role.ADMIN).username}


@pytest.fixture
def server(engine: Engine, clock: Clock) -> flask.Flask:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    add_user(engine, "bo", PASSWORD, Role.VIEWER)
    return make_server(engine, clock)


@pytest.fixture
def client(server: flask.Flask) -> Iterator[FlaskClient]:
    with server.test_client() as client:
        yield client


def login_token(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url)
    assert page.status_code == 200
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def login_next(response: TestResponse) -> str:
    """The ``next`` of a redirect to the login page."""
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and not location.netloc
    return parse_qs(location.query)["next"][0]


def log_in(client: FlaskClient, username: str = "anna", password: str = PASSWORD,
           next_: str | None = None) -> TestResponse:
    form = {"csrf_token": login_token(client), "username": username, "password": password}
    if next_ is not None:
        form["next"] = next_
    return client.post("/login", data=form)


# -- login ------------------------------------------------------------------------------


def test_it_logs_in_with_the_right_password(client: FlaskClient) -> None:
    response = log_in(client)

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/whoami").json == {"user": "anna/admin"}


@pytest.mark.parametrize(("username", "password"), [
    ("anna", "wrong password!"),
    ("nobody", PASSWORD),
])
def test_it_refuses_a_wrong_password_or_unknown_user_alike(
    client: FlaskClient, username: str, password: str
) -> None:
    response = log_in(client, username, password)

    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong username or password" in html
    assert f'value="{username}"' in html and password not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/whoami").status_code == 302


@pytest.mark.parametrize("username", ["anna", "nobody"])
def test_it_answers_a_locked_name_exactly_like_a_wrong_password(
    client: FlaskClient, username: str
) -> None:
    wrong = [log_in(client, username, "wrong password!") for _ in range(5)]

    locked = log_in(client, username, PASSWORD)

    # Nothing tells a lock (or the account's existence) apart: status, body, headers.
    assert locked.status_code == wrong[0].status_code == 401
    assert locked.get_data() == wrong[0].get_data()
    assert "Retry-After" not in locked.headers
    assert sorted(locked.headers.keys()) == sorted(wrong[0].headers.keys())


def test_it_lets_a_locked_account_in_after_fifteen_minutes(
    client: FlaskClient, clock: Clock
) -> None:
    for _ in range(5):
        log_in(client, "anna", "wrong password!")
    clock.advance(15 * 60)

    assert log_in(client).status_code == 303


def test_it_rate_limits_a_client_address_behind_a_trusted_proxy(
    engine: Engine, clock: Clock
) -> None:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    server = make_server(engine, clock, trusted_proxies=1, addr_max_failures=3)
    attacker = server.test_client()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    for i in range(3):
        log_in(attacker, f"guess{i}", "wrong password!")

    assert log_in(attacker, "anna").status_code == 429
    neighbour = server.test_client()
    neighbour.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    assert log_in(neighbour, "anna").status_code == 303


@pytest.mark.parametrize(("forwarded", "trusted", "expected"), [
    (None, 0, "10.0.0.1"),
    ("1.1.1.1, 2.2.2.2", 0, "10.0.0.1"),
    ("1.1.1.1, 2.2.2.2", 1, "2.2.2.2"),
    ("1.1.1.1, 2.2.2.2", 2, "1.1.1.1"),
    ("1.1.1.1, 2.2.2.2", 3, "10.0.0.1"),
])
def test_it_takes_the_client_address_from_trusted_proxy_hops_only(
    forwarded: str | None, trusted: int, expected: str
) -> None:
    app = flask.Flask(__name__)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        config = AuthConfig(secret_key=SECRET, trusted_proxies=trusted)
        assert client_address(config) == expected


def test_it_refuses_a_disabled_user_with_the_generic_message(
    client: FlaskClient, engine: Engine
) -> None:
    disable_user(engine, "anna")

    response = log_in(client)

    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_it_refuses_a_login_without_the_right_csrf_token(
    client: FlaskClient, token: str | None
) -> None:
    login_token(client)  # the session has a token; the form does not send it
    form = {"username": "anna", "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token

    response = client.post("/login", data=form)

    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/whoami").status_code == 302


def test_it_refuses_a_login_post_from_a_client_that_never_saw_the_form(
    client: FlaskClient,
) -> None:
    response = client.post("/login", data={"username": "anna", "password": PASSWORD,
                                           "csrf_token": "x"})
    assert response.status_code == 400


def test_it_starts_a_fresh_session_on_login(client: FlaskClient) -> None:
    old_token = login_token(client)
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"

    log_in(client)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["csrf"] != old_token


def test_it_sets_a_hardened_session_cookie(engine: Engine, clock: Clock) -> None:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    for secure in (False, True):
        client = make_server(engine, clock, cookie_secure=secure).test_client()
        cookies = log_in(client).headers.getlist("Set-Cookie")
        [cookie] = [c for c in cookies if c.startswith("trio_monitor_session=")]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
        assert ("Secure" in cookie) is secure


def test_it_goes_to_a_local_next_after_login(client: FlaskClient) -> None:
    first = client.get("/reports?day=today&q=a%20b")
    assert first.status_code == 302
    assert login_next(first) == "/reports?day=today&q=a%20b"

    response = log_in(client, next_="/reports?day=today&q=a%20b")

    assert response.headers["Location"] == "/reports?day=today&q=a%20b"


@pytest.mark.parametrize("target", [
    "//evil.test", "http://evil.test", "https://evil.test/x", "/\\evil.test", "\\\\evil.test",
    "/\t/evil.test", "evil.test", "javascript:alert(1)", "",
])
def test_it_never_sends_next_to_another_host(client: FlaskClient, target: str) -> None:
    response = log_in(client, next_=target)

    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_it_sends_a_logged_in_user_from_the_login_page_to_next(client: FlaskClient) -> None:
    log_in(client)

    response = client.get("/login?next=/reports")

    assert response.status_code == 303 and response.headers["Location"] == "/reports"


# -- language ---------------------------------------------------------------------------


def test_it_shows_the_login_page_in_swedish_when_asked_and_remembers(
    client: FlaskClient,
) -> None:
    swedish = client.get("/login?lang=sv")
    assert "Användarnamn" in swedish.get_data(as_text=True)
    assert "lang=sv" in swedish.headers["Set-Cookie"]

    again = client.get("/login").get_data(as_text=True)
    assert '<html lang="sv">' in again and "In English" in again

    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Username" in english and "På svenska" in english


def test_it_uses_the_configured_default_language(engine: Engine, clock: Clock) -> None:
    client = make_server(engine, clock, default_language="sv").test_client()

    assert "Logga in" in client.get("/login").get_data(as_text=True)


def test_it_refuses_an_unknown_default_language() -> None:
    with pytest.raises(ValueError, match="en, sv"):
        AuthConfig(secret_key=SECRET, default_language="de")


# -- logout -----------------------------------------------------------------------------


def test_it_logs_out_with_the_csrf_token_and_the_session_is_gone(client: FlaskClient) -> None:
    log_in(client)
    token = client.get("/logout-form").get_data(as_text=True)

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.post("/_dash-update-component", json={}).status_code == 401


def test_it_accepts_the_logout_token_as_a_header(client: FlaskClient) -> None:
    log_in(client)
    token = client.get("/logout-form").get_data(as_text=True)

    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303
    assert client.get("/whoami").status_code == 302


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_it_refuses_a_logout_without_the_right_csrf_token(
    client: FlaskClient, token: str | None
) -> None:
    log_in(client)

    response = client.post("/logout", data={"csrf_token": token} if token else {})

    assert response.status_code == 400
    assert client.get("/whoami").json == {"user": "anna/admin"}


def test_it_refuses_logout_by_get(client: FlaskClient) -> None:
    log_in(client)

    assert client.get("/logout").status_code == 405
    assert client.get("/whoami").status_code == 200


def test_it_sends_an_anonymous_logout_to_the_login_page(client: FlaskClient) -> None:
    response = client.post("/logout")

    assert response.status_code == 303 and response.headers["Location"] == "/login"


# -- sessions over time -----------------------------------------------------------------


def test_it_ends_a_session_after_the_idle_timeout_only(
    engine: Engine, clock: Clock
) -> None:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    client = make_server(engine, clock, idle_timeout_s=3600).test_client()
    log_in(client)
    for _ in range(3):  # busy for 3 h: a wall screen stays logged in
        clock.advance(3599)
        assert client.get("/_dash-layout").status_code == 200

    clock.advance(3601)

    assert client.get("/_dash-layout").status_code == 401
    clock.advance(-3601)  # the session is gone, not merely judged stale
    assert client.get("/_dash-layout").status_code == 401


def test_it_logs_out_a_user_disabled_mid_session(
    client: FlaskClient, engine: Engine, clock: Clock
) -> None:
    log_in(client)
    disable_user(engine, "anna")

    # At once, for reads and writes alike (no bound to wait for).
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert client.get("/").status_code == 302


def test_it_ends_other_sessions_when_the_password_changes(
    server: flask.Flask, engine: Engine, clock: Clock
) -> None:
    laptop, wall_screen = server.test_client(), server.test_client()
    log_in(laptop)
    log_in(wall_screen)

    set_password(engine, "anna", "a brand new secret")

    assert laptop.get("/_dash-layout").status_code == 401
    assert wall_screen.get("/_dash-layout").status_code == 401
    assert log_in(laptop, password="a brand new secret").status_code == 303
    assert laptop.get("/_dash-layout").status_code == 200


def test_it_never_rewrites_the_cookie_and_ends_a_demoted_users_session_at_once(
    client: FlaskClient, engine: Engine, clock: Clock
) -> None:
    log_in(client)
    cookie_writes = 0
    for _ in range(40):
        clock.advance(2)
        response = client.get("/_dash-layout")
        cookie_writes += "Set-Cookie" in response.headers
    assert cookie_writes == 0  # the session lives on the server

    set_role(engine, "anna", Role.VIEWER)

    assert client.get("/whoami").status_code == 302  # logged out, not merely demoted
    log_in(client)
    assert client.get("/whoami").json == {"user": "anna/viewer"}


# -- roles ------------------------------------------------------------------------------


def test_it_requires_the_admin_role_for_changes(
    server: flask.Flask, client: FlaskClient
) -> None:
    log_in(client, "bo")
    assert client.post("/admin-action").json == {
        "error": "user 'bo' has role viewer; this needs admin"}

    admin = server.test_client()
    log_in(admin, "anna")
    assert admin.post("/admin-action").json == {"done_by": "anna"}


def test_it_denies_roles_outside_a_logged_in_request(server: flask.Flask) -> None:
    with server.test_request_context("/"), pytest.raises(PermissionDenied, match="not logged"):
        require_role(Role.VIEWER)
    assert current_user() is None


# -- the guard --------------------------------------------------------------------------


def test_it_serves_public_paths_without_a_session(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/login").status_code == 200
    with client.get("/login-assets/login.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_dash-layout"),
    ("POST", "/_dash-update-component"),
    ("GET", "/assets/x.css"),
    ("POST", "/reports"),
    ("GET", "/login-assets/../../etc/passwd"),
])
def test_it_answers_anonymous_machine_requests_with_401_json(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(path, method=method)

    if path.startswith("/login-assets/"):
        assert response.status_code == 404  # public folder, but nothing escapes it
        return
    assert response.status_code == 401
    assert response.json == {"error": "not logged in"}
    assert response.headers["Cache-Control"] == "no-store"


def test_it_redirects_anonymous_pages_even_unknown_ones(client: FlaskClient) -> None:
    for path in ("/", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 302
        assert login_next(response) == path


def test_it_refuses_every_route_without_a_session_dash_included(
    engine: Engine, clock: Clock
) -> None:
    server = make_server(engine, clock)
    app = dash.Dash(__name__, server=server, use_pages=False)
    app.layout = dash.html.Div("wall screen")
    adapter = server.url_map.bind("localhost")
    rules = list(server.url_map.iter_rules())
    paths = {rule.rule for rule in rules}
    assert {"/_dash-layout", "/_dash-dependencies", "/_dash-update-component",
            "/_reload-hash", "/_favicon.ico", "/<path:path>"} <= paths
    assert any(p.startswith("/_dash-component-suites/") for p in paths)
    client = server.test_client()

    checked = 0
    for rule in rules:
        if rule.endpoint.startswith("trio_auth.") or rule.rule == "/healthz":
            continue
        url = adapter.build(rule.endpoint, {arg: "x" for arg in rule.arguments},
                            method=sorted(rule.methods or ())[0])
        for method in sorted(rule.methods or ()):
            response = client.open(url, method=method)
            machine = "/_" in url or url.startswith(("/assets/", "/static/"))
            if method in ("GET", "HEAD") and not machine:
                assert response.status_code == 302, (method, url)
                assert response.headers["Location"].startswith("/login?next="), (method, url)
            else:
                assert response.status_code == 401, (method, url)
                if method != "HEAD":
                    assert response.json == {"error": "not logged in"}, (method, url)
            checked += 1
    assert checked > 25


def test_it_lets_a_logged_in_user_reach_dash(engine: Engine, clock: Clock) -> None:
    add_user(engine, "anna", PASSWORD, Role.ADMIN)
    server = make_server(engine, clock)
    app = dash.Dash(__name__, server=server, use_pages=False)
    app.layout = dash.html.Div("wall screen")
    client = server.test_client()
    log_in(client)

    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200


# -- headers ----------------------------------------------------------------------------


def _assert_security_headers(response: TestResponse) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {HASHES[0]};" in csp
    for part in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
                 "form-action 'self'", "base-uri 'self'"):
        assert part in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_it_sends_security_headers_on_every_kind_of_response(client: FlaskClient) -> None:
    login_page = client.get("/login")
    refused = client.get("/_dash-layout")
    redirect = client.get("/reports")
    _assert_security_headers(login_page)
    _assert_security_headers(refused)
    _assert_security_headers(redirect)
    assert login_page.headers["Cache-Control"] == "no-store"
    assert refused.headers["Cache-Control"] == "no-store"

    log_in(client)
    page = client.get("/")
    missing = client.get("/no-such-page")
    _assert_security_headers(page)
    _assert_security_headers(missing)
    assert page.status_code == 200 and missing.status_code == 404
    assert "Cache-Control" not in page.headers
