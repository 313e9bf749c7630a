"""Issue 11, login and sessions, through the web app as served (auth + dashboard) on
SQLite and PostgreSQL: long passwords, refusals that all look alike, server-side sessions
that end at once, locks per (account, address), unlock from /admin and the CLI."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

import auth
from auth import Role, passwords
from collectors.clock import ManualClock
from dashboard import DashboardConfig, create_dash
from dashboard.components import admin as adm_ids
from storage import AlertStore, SessionStore, UserStore
from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.dashboard import PASSWORD, SECRET, log_in
from tests.fixtures.screens import SESSION_COOKIE, call, text_of

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"



def make_server(engine: Engine, clock: ManualClock, **config: Any) -> flask.Flask:
    """The web app as ``trio-monitor web`` builds it, with auth settings of the test's."""
    app = flask.Flask(__name__)
    app.config["CSP_SCRIPT_HASHES"] = []
    auth.install(app, engine, auth.AuthConfig(secret_key=SECRET, **config), clock=clock.time)
    create_dash(app, engine, DashboardConfig(), clock=clock.time)
    return app


@pytest.fixture
def server(engine: Engine, clock: ManualClock) -> flask.Flask:
    auth.add_user(engine, "anna", PASSWORD, Role.ADMIN, clock=clock.time)
    auth.add_user(engine, "bo", PASSWORD, Role.VIEWER, clock=clock.time)
    return make_server(engine, clock)


def client_at(server: flask.Flask, addr: str, agent: str = "") -> FlaskClient:
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    if agent:
        client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def attempt(client: FlaskClient, username: str, password: str) -> TestResponse:
    """One login POST as the form sends it; the response as it is."""
    found = CSRF_FIELD.search(client.get("/login").get_data(as_text=True))
    assert found is not None
    return client.post("/login", data={"csrf_token": found.group(1), "username": username,
                                       "password": password})


def logged_in(client: FlaskClient) -> bool:
    return client.get("/_dash-layout").status_code == 200


def replay(server: flask.Flask, cookie: str, addr: str = "192.0.2.66") -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    thief = client_at(server, addr)
    thief.set_cookie(SESSION_COOKIE, cookie)
    return thief


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    return cookie.value


def audit_rows(engine: Engine, prefix: str) -> list[Any]:
    return AlertStore(engine).audit_log(action_prefix=prefix)


# -- long passwords and refusals that look alike ---------------------------------------------


@pytest.mark.parametrize("length", [passwords.MAX_LENGTH + 1, 4097, 100_000])
def test_it_answers_long_password_probes_for_known_and_unknown_users_alike(
    server: flask.Flask, engine: Engine, length: int
) -> None:
    prober = client_at(server, "203.0.113.5")
    # Names of one length: the form shows the name typed, nothing else may differ.
    known = attempt(prober, "anna", "x" * length)
    unknown = attempt(prober, "nora", "x" * length)
    wrong = attempt(prober, "anna", "wrong password!")

    for response in (known, unknown, wrong):
        assert response.status_code == 401
    assert known.get_data() == wrong.get_data()
    assert unknown.get_data().replace(b"nora", b"anna") == known.get_data()
    assert list(known.headers.items()) == list(unknown.headers.items())
    assert list(known.headers.items()) == list(wrong.headers.items())
    assert UserStore(engine).failures_for_address("203.0.113.5", 0).count == 3
    statuses = [row.after["status"] for row in audit_rows(engine, "login.failed")]
    assert sorted(statuses) == ["invalid", "too_long", "too_long"]


def test_it_counts_long_password_probes_against_the_address_limit(
    server: flask.Flask
) -> None:
    prober = client_at(server, "203.0.113.5")
    for i in range(20):  # addr_max_failures
        assert attempt(prober, f"user{i}", "y" * 5000).status_code == 401

    limited = attempt(prober, "anna", PASSWORD)

    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert attempt(client_at(server, "198.51.100.7"), "anna", PASSWORD).status_code == 303


def test_it_answers_a_disabled_user_like_a_wrong_password(
    server: flask.Flask, engine: Engine
) -> None:
    client = client_at(server, "10.0.0.1")
    wrong = attempt(client, "bo", "wrong password!")
    auth.disable_user(engine, "bo")

    disabled = attempt(client, "bo", PASSWORD)

    assert disabled.status_code == 401 and disabled.get_data() == wrong.get_data()


# -- sessions live on the server ----------------------------------------------------------------


def test_it_refuses_a_cookie_replayed_after_logout(server: flask.Flask, engine: Engine) -> None:
    laptop = client_at(server, "10.0.0.1")
    log_in(laptop, "anna")
    copied = session_cookie(laptop)
    assert logged_in(replay(server, copied))  # the copy works while the session lives

    token = laptop.get_cookie("_csrf_token")
    assert token is not None
    assert laptop.post("/logout", data={"csrf_token": token.value}).status_code == 303

    thief = replay(server, copied)
    assert thief.get("/_dash-layout").status_code == 401
    assert thief.get("/admin").status_code == 302  # to the login page: no admin rights
    assert thief.post("/_dash-update-component", json={}).status_code == 401
    assert SessionStore(engine).active(0) == []
    assert [row.revoked_reason for row in _all_sessions(engine)] == ["logout"]


@pytest.mark.parametrize("change", ["password", "disable", "demote"])
def test_it_refuses_a_replayed_cookie_at_once_after_a_change_to_the_user(
    server: flask.Flask, engine: Engine, clock: ManualClock, change: str
) -> None:
    auth.add_user(engine, "cai", PASSWORD, Role.ADMIN, clock=clock.time)
    browser = client_at(server, "10.0.0.3")
    log_in(browser, "cai")
    copied = session_cookie(browser)
    assert replay(server, copied).get("/admin").status_code == 200

    {"password": lambda: auth.set_password(engine, "cai", "another fine secret"),
     "disable": lambda: auth.disable_user(engine, "cai"),
     "demote": lambda: auth.set_role(engine, "cai", Role.VIEWER)}[change]()

    # No time passes: refused at the very next request, admin rights included.
    thief = replay(server, copied)
    assert thief.get("/admin").status_code == 302
    assert thief.get("/_dash-layout").status_code == 401
    assert not logged_in(browser)
    reasons = {row.revoked_reason for row in _all_sessions(engine)}
    assert reasons == {{"password": "password", "disable": "disabled", "demote": "role"}[change]}


def _all_sessions(engine: Engine) -> list[Any]:
    from sqlalchemy import select

    from storage._schema import sessions

    with engine.connect() as conn:
        return list(conn.execute(select(sessions)))


def test_a_promotion_keeps_the_session_and_shows_at_once(
    server: flask.Flask, engine: Engine
) -> None:
    browser = client_at(server, "10.0.0.4")
    log_in(browser, "bo")
    assert browser.get("/admin").status_code == 403

    auth.set_role(engine, "bo", Role.ADMIN)

    assert browser.get("/admin").status_code == 200


def test_it_logs_a_user_out_everywhere(server: flask.Flask, engine: Engine) -> None:
    laptop, phone = client_at(server, "10.0.0.1"), client_at(server, "10.0.0.2")
    log_in(laptop, "bo")
    log_in(phone, "bo")
    token = laptop.get_cookie("_csrf_token")
    assert token is not None

    response = laptop.post("/logout", data={"csrf_token": token.value, "everywhere": "1"})

    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not logged_in(laptop) and not logged_in(phone)
    [row] = audit_rows(engine, "session.")
    assert (row.action, row.target, row.actor, row.after) == (
        "session.end_all", "user:bo", "bo", {"sessions": 2, "reason": "logout_everywhere"})


def test_the_idle_timeout_ends_a_session_on_the_server(
    engine: Engine, clock: ManualClock
) -> None:
    auth.add_user(engine, "bo", PASSWORD, Role.VIEWER, clock=clock.time)
    server = make_server(engine, clock, idle_timeout_s=600)
    browser = client_at(server, "10.0.0.1")
    log_in(browser, "bo")
    copied = session_cookie(browser)
    for _ in range(4):
        clock.advance(590)
        assert logged_in(browser)  # active: the expiry slides

    clock.advance(601)

    assert not logged_in(replay(server, copied))


# -- /admin: sessions and locks -------------------------------------------------------------


def sessions_text(admin: FlaskClient) -> tuple[str, str]:
    found = call(admin, adm_ids.ADM_SESSIONS, {adm_ids.ADM_REFRESH: 1})
    return text_of(found[adm_ids.ADM_SESSIONS]), text_of(found[adm_ids.ADM_LOCKS])


def press(admin: FlaskClient, button: dict[str, Any]) -> str:
    values = {button["type"]: [(button, 1)]}
    return text_of(call(admin, adm_ids.ADM_SESSIONS_MESSAGE, values, (button, "n_clicks"))
                   [adm_ids.ADM_SESSIONS_MESSAGE])


def session_ids(engine: Engine, username: str, clock: ManualClock) -> list[int]:
    return [row.id for row in auth.sessions.list_active(engine, clock.time(), username)]


def test_an_admin_sees_a_users_sessions_and_ends_one(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    admin = client_at(server, "10.0.0.9")
    log_in(admin, "anna")
    laptop = client_at(server, "198.51.100.20", FIREFOX)
    phone = client_at(server, "198.51.100.21", "curl/8.5.0")
    log_in(laptop, "bo")
    log_in(phone, "bo")
    clock.advance(120)

    listed, _locks = sessions_text(admin)
    assert "Firefox / Linux" in listed and "198.51.100.20" in listed
    assert "curl" in listed and "198.51.100.21" in listed and "2 min ago" in listed

    laptop_id = min(session_ids(engine, "bo", clock))  # the laptop logged in first
    message = press(admin, {"type": adm_ids.ADM_SESSION_END, "session": laptop_id,
                            "user": "bo"})

    assert "The session of bo ended." in message
    assert not logged_in(laptop) and logged_in(phone)
    [row] = audit_rows(engine, "session.")
    assert (row.action, row.actor, row.after["session"]) == ("session.end", "anna", laptop_id)
    assert "198.51.100.20" not in sessions_text(admin)[0]


def test_an_admin_cannot_end_a_session_through_another_users_name(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    admin = client_at(server, "10.0.0.9")
    log_in(admin, "anna")
    [admin_session] = session_ids(engine, "anna", clock)

    message = press(admin, {"type": adm_ids.ADM_SESSION_END, "session": admin_session,
                            "user": "bo"})

    assert "already ended" in message and logged_in(admin)


def test_a_viewer_can_neither_list_nor_end_sessions(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    admin = client_at(server, "10.0.0.9")
    log_in(admin, "anna")
    viewer = client_at(server, "10.0.0.8")
    log_in(viewer, "bo")

    listed, _locks = sessions_text(viewer)
    [admin_session] = session_ids(engine, "anna", clock)
    message = press(viewer, {"type": adm_ids.ADM_SESSION_END, "session": admin_session,
                             "user": "anna"})

    assert "Only administrators" in listed and "10.0.0.9" not in listed
    assert message == '"Only administrators can do this."' and logged_in(admin)


# -- locks per (account, address) -------------------------------------------------------------


def test_a_lock_from_one_address_leaves_another_address_able_to_log_in(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    attacker = client_at(server, "203.0.113.66")
    for _ in range(5):
        assert attempt(attacker, "anna", "wrong password!").status_code == 401

    assert attempt(attacker, "anna", PASSWORD).status_code == 401  # locked: same answer
    assert attempt(client_at(server, "10.0.0.1"), "anna", PASSWORD).status_code == 303

    [lock] = audit_rows(engine, "login.lock")
    assert (lock.actor, lock.target, lock.client_addr) == ("system", "user:anna",
                                                           "203.0.113.66")
    assert lock.after == {"scope": "address", "client_addr": "203.0.113.66",
                          "until_ms": int(clock.time() * 1000) + 900_000}
    # The admin's login cleared its own address only: the attacker stays locked.
    assert attempt(attacker, "anna", PASSWORD).status_code == 401


def test_refusals_by_a_lock_never_extend_it(server: flask.Flask, clock: ManualClock) -> None:
    attacker = client_at(server, "203.0.113.66")
    for _ in range(5):
        attempt(attacker, "bo", "wrong password!")
    for _ in range(10):
        clock.advance(60)
        assert attempt(attacker, "bo", "wrong password!").status_code == 401  # refused

    clock.advance(5 * 60 - 1)
    assert attempt(attacker, "bo", PASSWORD).status_code == 401  # still locked
    clock.advance(1)  # 15 min after the last failure that counted
    assert attempt(attacker, "bo", PASSWORD).status_code == 303


def test_refusals_by_a_lock_count_against_the_address_limit(server: flask.Flask) -> None:
    attacker = client_at(server, "203.0.113.66")
    for _ in range(5):
        attempt(attacker, "bo", "wrong password!")
    for _ in range(15):  # 5 counted + 15 refused = the address limit of 20
        assert attempt(attacker, "bo", "wrong password!").status_code == 401

    assert attempt(attacker, "anna", PASSWORD).status_code == 429


def test_the_account_wide_threshold_locks_every_address_and_is_audited(
    engine: Engine, clock: ManualClock
) -> None:
    auth.add_user(engine, "anna", PASSWORD, Role.ADMIN, clock=clock.time)
    server = make_server(engine, clock, lockout_failures=5, account_lockout_failures=8)
    for addr in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
        for _ in range(2):
            attempt(client_at(server, addr), "anna", "wrong password!")

    assert attempt(client_at(server, "10.0.0.1"), "anna", PASSWORD).status_code == 401

    [lock] = audit_rows(engine, "login.lock")
    assert lock.after["scope"] == "account" and lock.after["client_addr"] is None


def test_an_admin_unlocks_from_the_admin_page_and_it_is_audited(
    server: flask.Flask, engine: Engine
) -> None:
    user_browser = client_at(server, "10.0.0.7")
    for _ in range(5):
        attempt(user_browser, "bo", "wrong password!")
    for _ in range(5):
        attempt(user_browser, "ghost", "wrong password!")
    admin = client_at(server, "10.0.0.9")
    log_in(admin, "anna")

    _sessions, locks = sessions_text(admin)
    assert "bo" in locks and "10.0.0.7" in locks and "ghost" in locks
    assert locks.count(adm_ids.ADM_UNLOCK) == 1  # a made-up name's lock just runs out

    message = press(admin, {"type": adm_ids.ADM_UNLOCK, "user": "bo"})

    assert "bo unlocked." in message
    assert attempt(user_browser, "bo", PASSWORD).status_code == 303
    [row] = audit_rows(engine, "user.unlock")
    assert (row.actor, row.target, row.client_addr, row.after) == (
        "anna", "user:bo", "10.0.0.9", {"failures": 5})
    assert '"data-user": "bo"' not in sessions_text(admin)[1]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_cli_unlocks_a_user_and_it_is_audited(tmp_path: Path, clock: ManualClock) -> None:
    from storage import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    auth.add_user(engine, "bo", PASSWORD, Role.VIEWER)
    config = auth.AuthConfig(secret_key=SECRET)
    now_ms = int(clock.time() * 1000)
    for _ in range(5):
        auth.authenticate(engine, "bo", "wrong password!", "203.0.113.9", now_ms, config)
    assert auth.authenticate(engine, "bo", PASSWORD, "203.0.113.9", now_ms, config).status \
        is auth.AuthStatus.LOCKED
    env = {**os.environ, "TRIO_MONITOR_DATABASE_URL": url,
           "TRIO_MONITOR_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return trio_cli(["users", *args], env=env, cwd=tmp_path)

    done = run("unlock", "BO")
    unknown = run("unlock", "nobody")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "BO unlocked (6 failed login(s) forgotten)"  # 5 + 1 refused
    assert auth.authenticate(engine, "bo", PASSWORD, "203.0.113.9", now_ms, config).ok
    [row] = AlertStore(engine).audit_log(action_prefix="user.unlock")
    assert (row.actor, row.target) == ("system", "user:bo")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "trio-monitor: no user 'nobody'"
    engine.dispose()


# -- HEAD is a GET -------------------------------------------------------------------------


def test_head_requests_pass_the_same_guard_as_get(server: flask.Flask) -> None:
    anonymous = server.test_client()
    viewer = client_at(server, "10.0.0.8")
    log_in(viewer, "bo")
    for path in ("/", "/admin", "/thresholds", "/_dash-layout", "/assets/x.css",
                 "/queues/12/daily.csv"):
        got, head = anonymous.get(path), anonymous.head(path)
        assert (head.status_code, head.headers.get("Location")) == (
            got.status_code, got.headers.get("Location")), path
        assert head.status_code in (302, 401), path
    assert viewer.head("/admin").status_code == viewer.get("/admin").status_code == 403



# -- settings ---------------------------------------------------------------------------------


def test_it_refuses_an_account_wide_threshold_below_the_per_address_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from trio_monitor.settings import ConfigError, load_settings

    for key in list(os.environ):
        if key.startswith("TRIO_MONITOR_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    assert load_settings().login_account_lockout_failures == 100
    monkeypatch.setenv("TRIO_MONITOR_LOGIN_ACCOUNT_LOCKOUT_FAILURES", "3")

    with pytest.raises(ConfigError, match="LOGIN_ACCOUNT_LOCKOUT_FAILURES must be at least"):
        load_settings()
