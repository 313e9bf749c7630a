"""Display tokens of wall screens: storage, the token itself, the display session as
served (login, restart, revocation, what it may not do), the audit rows of logins and
changes. Storage on SQLite and PostgreSQL; the web tests (``sqlite_only``) on SQLite."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

import auth
from auth import Actor, PermissionDenied, Role
from auth.displays import CHECK_TTL_S, SEEN_INTERVAL_S, DisplayChecker
from collectors.clock import ManualClock
from dashboard.components import admin as adm_ids
from dashboard.components import alerts as alr_ids
from storage import AlertStore, DisplayExists, DisplayStore, SeenRequest, UnknownDisplay
from storage._schema import displays as displays_table
from tests.fixtures.actors import DisplayScreen
from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.dashboard import PASSWORD, log_in
from tests.fixtures.screens import (
    SESSION_COOKIE,
    call,
    data_attribute,
    make_server,
    open_display,
    post,
    text_of,
    wallboard_refresh,
)

ROTATE = "?rotate=wallboard,drift,health&every=30"


@pytest.fixture
def now_ms(clock: ManualClock) -> int:
    return int(clock.time() * 1000)


@pytest.fixture
def screen(server: flask.Flask) -> Iterator[FlaskClient]:
    with server.test_client() as client:
        yield client


@pytest.fixture
def token(engine: Engine, clock: ManualClock) -> str:
    return auth.create_display(engine, "Skärm 3", actor=Actor("anna"), clock=clock.time).token


def display_id(engine: Engine, name: str = "Skärm 3") -> int:
    [row] = [r for r in DisplayStore(engine).list() if r.name == name and not r.revoked]
    return row.id


# -- storage ------------------------------------------------------------------------------


def test_it_stores_a_token_by_its_hash_and_audits_creation_and_revocation(
    engine: Engine, now_ms: int
) -> None:
    store = DisplayStore(engine)
    row = store.create("Screen 1", "a" * 64, actor="anna", now_ms=now_ms, client_addr="10.0.0.9")

    assert store.by_token_hash("a" * 64) == row
    assert (row.name, row.created_by, row.created_at_ms, row.revoked) == (
        "Screen 1", "anna", now_ms, False)
    assert row.last_seen_at_ms is None and store.by_token_hash("b" * 64) is None

    revoked = store.revoke(row.id, actor="bo", now_ms=now_ms + 5)
    assert (revoked.revoked_at_ms, revoked.revoked_by) == (now_ms + 5, "bo")
    assert store.revoke(row.id, actor="anna", now_ms=now_ms + 9) == revoked, "unchanged"
    audit = AlertStore(engine).audit_log(action_prefix="display.")
    assert [(a.action, a.actor, a.target, a.client_addr) for a in reversed(audit)] == [
        ("display.create", "anna", f"display:{row.id}", "10.0.0.9"),
        ("display.revoke", "bo", f"display:{row.id}", None)]
    assert audit[0].after["revoked_by"] == "bo"


def test_it_refuses_a_second_live_token_of_a_name_but_reuses_a_revoked_name(
    engine: Engine, now_ms: int
) -> None:
    store = DisplayStore(engine)
    first = store.create("Reception", "a" * 64, actor="anna", now_ms=now_ms)
    with pytest.raises(DisplayExists, match="'Reception' already exists"):
        store.create("Reception", "b" * 64, actor="anna", now_ms=now_ms)

    store.revoke(first.id, actor="anna", now_ms=now_ms)
    second = store.create("Reception", "b" * 64, actor="anna", now_ms=now_ms)

    assert [(r.id, r.revoked) for r in store.list()] == [(second.id, False), (first.id, True)]
    assert store.list(include_revoked=False) == [second]
    with pytest.raises(UnknownDisplay):
        store.revoke(999, actor="anna", now_ms=now_ms)


def test_it_records_a_screens_visit_at_most_once_per_interval(
    engine: Engine, now_ms: int
) -> None:
    store = DisplayStore(engine)
    row = store.create("Screen 1", "a" * 64, actor="anna", now_ms=now_ms)
    seen = SeenRequest(addr="10.1.2.3", user_agent="Chromium " + "x" * 500, page="/drift")

    assert store.record_seen(row.id, seen, now_ms=now_ms, min_interval_ms=10_000)
    assert not store.record_seen(row.id, seen, now_ms=now_ms + 9_999, min_interval_ms=10_000)
    assert store.record_seen(row.id, seen, now_ms=now_ms + 10_000, min_interval_ms=10_000)

    stored = store.get(row.id)
    assert stored is not None
    assert (stored.last_seen_at_ms, stored.last_addr, stored.last_page) == (
        now_ms + 10_000, "10.1.2.3", "/drift")
    assert stored.last_user_agent is not None and len(stored.last_user_agent) == 300


# -- the token ------------------------------------------------------------------------------


def test_it_makes_a_random_token_shown_once_and_stores_only_its_sha256(
    engine: Engine, clock: ManualClock
) -> None:
    new = auth.create_display(engine, "  Screen 1 ", actor=Actor("anna", "10.0.0.9"),
                              clock=clock.time)
    other = auth.create_display(engine, "Screen 2", clock=clock.time)

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", new.token)  # 32 random bytes, URL-safe
    assert new.token != other.token and new.display.name == "Screen 1"
    with engine.connect() as conn:
        stored = conn.execute(select(displays_table.c.token_hash)
                              .where(displays_table.c.id == new.display.id)).scalar_one()
    assert stored == hashlib.sha256(new.token.encode()).hexdigest() != new.token
    assert auth.find_display(engine, new.token) == new.display
    assert auth.find_display(engine, new.token[:-1] + "?") is None
    assert auth.find_display(engine, "../../etc/passwd") is None


def test_it_refuses_an_empty_or_overlong_display_name(engine: Engine) -> None:
    for name in ("", "   ", "x" * 101, "tab\there"):
        with pytest.raises(auth.InvalidDisplayName, match="1-100 characters"):
            auth.create_display(engine, name)
    assert auth.list_displays(engine) == []


def test_it_never_gives_a_user_the_display_role(engine: Engine) -> None:
    with pytest.raises(ValueError, match="use viewer, supervisor or admin"):
        auth.add_user(engine, "screen", PASSWORD, Role.DISPLAY)
    assert Role.VIEWER.allows(Role.DISPLAY) and not Role.DISPLAY.allows(Role.VIEWER)


# -- the display session ------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_screen_opens_its_address_once_and_gets_a_session_to_view(
    screen: FlaskClient, token: str, engine: Engine
) -> None:
    response = open_display(screen, token, ROTATE)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert data_attribute(page, "token") == token  # screen.js keeps it in localStorage
    assert data_attribute(page, "next") == "/kiosk?rotate=wallboard%2Cdrift%2Chealth&every=30"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "/login-assets/screen.js" in page
    assert screen.get("/kiosk?rotate=wallboard,drift&every=30").status_code == 200
    assert wallboard_refresh(screen).status_code == 200
    [login] = AlertStore(engine).audit_log(action_prefix="display.login")
    assert (login.actor, login.target) == ("display:Skärm 3", f"display:{display_id(engine)}")


@pytest.mark.sqlite_only
def test_the_session_survives_a_restart_and_never_idles_out(
    server: flask.Flask, token: str, engine: Engine, clock: ManualClock
) -> None:
    screen = server.test_client()  # not kept in a request context: another app follows
    open_display(screen, token)
    cookie = screen.get_cookie(SESSION_COOKIE)
    assert cookie is not None

    restarted = make_server(engine, clock)  # a new process: same database, same key
    with restarted.test_client() as after:
        after.set_cookie(SESSION_COOKIE, cookie.value)
        after.environ_base["HTTP_X_CSRFTOKEN"] = screen.environ_base["HTTP_X_CSRFTOKEN"]
        after.set_cookie("_csrf_token", screen.environ_base["HTTP_X_CSRFTOKEN"])
        assert after.get("/").status_code == 200
        assert wallboard_refresh(after).status_code == 200
        # Longer than a person's idle timeout (8 h), the screen polling meanwhile.
        for _ in range(10):
            clock.advance(3600)
            response = wallboard_refresh(after)
            assert response.status_code == 200
            # The cookie is signed again, so its 30-day lifetime slides.
            assert SESSION_COOKIE in response.headers.get("Set-Cookie", "")


@pytest.mark.sqlite_only
def test_revoking_ends_the_session_within_one_refresh_and_never_shows_the_login(
    screen: FlaskClient, token: str, engine: Engine, clock: ManualClock
) -> None:
    open_display(screen, token, ROTATE)
    assert wallboard_refresh(screen).status_code == 200

    auth.revoke_display(engine, display_id(engine), actor=Actor("anna"), clock=clock.time)
    clock.advance(CHECK_TTL_S)  # the per-process cache of the token's row

    refused = wallboard_refresh(screen)
    assert refused.status_code == 401
    assert refused.get_json() == {"error": "display token revoked", "display": "revoked"}
    again = open_display(screen, token, ROTATE)  # what kiosk.js does on a 401
    assert again.status_code == 403
    page = again.get_data(as_text=True)
    assert "access was revoked" in page
    assert not re.search(r'(href|action)="/login[?"]', page), "no way to the login page"
    assert data_attribute(page, "forget") == "token"


@pytest.mark.sqlite_only
def test_a_revoked_screen_loading_a_page_is_sent_to_the_revoked_page(
    screen: FlaskClient, token: str, engine: Engine, clock: ManualClock
) -> None:
    open_display(screen, token)
    auth.revoke_display(engine, display_id(engine), clock=clock.time)
    clock.advance(CHECK_TTL_S)

    response = screen.get("/drift")

    assert response.status_code == 303 and response.location == "/display/revoked"
    revoked = screen.get("/display/revoked")
    assert revoked.status_code == 403
    assert data_attribute(revoked.get_data(as_text=True), "forget") == "all"


@pytest.mark.sqlite_only
def test_an_unknown_token_or_a_bad_one_gets_the_revoked_page_not_the_login(
    screen: FlaskClient, token: str
) -> None:
    for bad in ("x" * 43, "short", token[:-1] + "A" if token[-1] != "A" else token[:-1] + "B"):
        response = screen.get(f"/display/{bad}")
        assert response.status_code == 403, bad
        assert "access was revoked" in response.get_data(as_text=True)
    assert screen.get("/").status_code == 302  # no session was opened


@pytest.mark.sqlite_only
def test_a_display_session_may_not_acknowledge_or_administer(
    display: DisplayScreen, engine: Engine
) -> None:
    screen = display.client
    assert screen.get("/admin").status_code == 403

    refused = call(screen, alr_ids.ALR_ACK_MESSAGE, {
        alr_ids.ALR_ACK_SUBMIT: 1,
        alr_ids.ALR_ACK_TARGET: {"rule_id": 1, "series_key": "trio|queue|12", "alert_id": "a"},
        alr_ids.ALR_ACK_COMMENT: "on it"}, (alr_ids.ALR_ACK_SUBMIT, "n_clicks"))
    assert "wall screen and may only view" in text_of(refused[alr_ids.ALR_ACK_MESSAGE])

    # /admin's callbacks are outside what a wall screen shows: refused before they run.
    created = post(screen, adm_ids.ADM_DISPLAYS_MESSAGE, {
        adm_ids.ADM_DISPLAY_CREATE: 1, adm_ids.ADM_DISPLAY_NAME: "Sneaky"},
        (adm_ids.ADM_DISPLAY_CREATE, "n_clicks"))
    assert created.status_code == 403
    added = post(screen, adm_ids.ADM_USERS_MESSAGE, {
        adm_ids.ADM_ADD_USER: 1, adm_ids.ADM_NEW_USERNAME: "mallory",
        adm_ids.ADM_NEW_PASSWORD: "long enough password", adm_ids.ADM_NEW_ROLE: "admin"},
        (adm_ids.ADM_ADD_USER, "n_clicks"))
    assert added.status_code == 403
    assert post(screen, adm_ids.ADM_USERS, {}).status_code == 403
    assert [r.name for r in auth.list_displays(engine)] == ["Skärm 3"]
    assert [u.username for u in auth.list_users(engine)] == ["anna", "bo"]
    assert AlertStore(engine).audit_log(action_prefix="alert.") == []


@pytest.mark.sqlite_only
def test_require_role_refuses_a_display_anything_but_viewing(
    server: flask.Flask, screen: FlaskClient, token: str, engine: Engine, clock: ManualClock
) -> None:
    open_display(screen, token)
    cookie = screen.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    with server.test_request_context("/", headers={"Cookie": f"{SESSION_COOKIE}={cookie.value}"}):
        server.preprocess_request()
        user = auth.current_user()
        assert user is not None and user.is_display and user.role is Role.DISPLAY
        assert auth.require_role(Role.DISPLAY) == user
        for role in (Role.VIEWER, Role.ADMIN):
            with pytest.raises(PermissionDenied, match="may only view"):
                auth.require_role(role)
        auth.revoke_display(engine, display_id(engine), clock=clock.time)
        with pytest.raises(PermissionDenied, match="revoked"):  # read now, not cached
            auth.require_role(Role.DISPLAY)


def test_the_nav_has_no_links_for_a_screen_and_admin_only_for_admins() -> None:
    from dashboard.components.layout import build_nav

    def links(role: str) -> list[str]:
        return [link.href for link in build_nav("/", "en", role=role).children]

    assert links("display") == []
    assert "/admin" not in links("viewer") and "/admin" in links("admin")


@pytest.mark.sqlite_only
def test_it_records_each_screens_address_agent_and_page_every_10_s(
    screen: FlaskClient, token: str, engine: Engine, clock: ManualClock
) -> None:
    open_display(screen, token)
    the_id = display_id(engine)
    start = DisplayStore(engine).get(the_id)
    assert start is not None and start.last_page == "/display"

    clock.advance(SEEN_INTERVAL_S)
    wallboard_refresh(screen, referrer="http://localhost/drift")
    clock.advance(SEEN_INTERVAL_S / 2)
    wallboard_refresh(screen, referrer="http://localhost/health")  # within 10 s: not written

    row = DisplayStore(engine).get(the_id)
    assert row is not None
    assert (row.last_seen_at_ms, row.last_addr, row.last_page) == (
        start.last_seen_at_ms + 10_000, "127.0.0.1", "/drift")
    assert row.last_user_agent is not None and "Werkzeug" in row.last_user_agent


@pytest.mark.sqlite_only
def test_a_screen_keeps_viewing_while_the_database_is_briefly_unreachable(
    engine: Engine, clock: ManualClock, now_ms: int
) -> None:
    from storage import StorageUnavailable

    class Flaky(DisplayStore):
        down = False

        def get(self, display_id: int):  # type: ignore[no-untyped-def]
            if self.down:
                raise StorageUnavailable("database is locked")
            return super().get(display_id)

    store = Flaky(engine)
    row = store.create("Screen 1", "a" * 64, actor="anna", now_ms=now_ms)
    checker = DisplayChecker(store)
    assert checker.current(row.id, clock.time()) == row
    store.down = True
    clock.advance(5)
    assert checker.current(row.id, clock.time()) == row  # the last confirmed row
    with pytest.raises(StorageUnavailable):
        DisplayChecker(store).current(row.id, clock.time())  # never confirmed: no


# -- audit ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_it_audits_logins_failed_logins_and_user_changes(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    with server.test_client() as client:
        log_in(client, "bo")
    with server.test_client() as client:
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        client.post("/login", data={"csrf_token": csrf.group(1), "username": "Bo",
                                    "password": "wrong password!"})
    admin = Actor("anna", "10.0.0.9")
    auth.set_role(engine, "bo", Role.ADMIN, actor=admin, clock=clock.time)
    auth.set_role(engine, "bo", Role.ADMIN, actor=admin, clock=clock.time)  # no change
    auth.disable_user(engine, "bo", actor=admin, clock=clock.time)
    auth.enable_user(engine, "bo", actor=admin, clock=clock.time)
    auth.set_password(engine, "bo", "another long password", actor=admin, clock=clock.time)

    rows = sorted(AlertStore(engine).audit_log(), key=lambda r: r.id)
    assert [(r.action, r.actor, r.target) for r in rows] == [
        ("user.add", "system", "user:anna"), ("user.add", "system", "user:bo"),
        ("login.ok", "bo", "user:bo"), ("login.failed", "bo", "user:bo"),
        ("user.role", "anna", "user:bo"), ("user.disable", "anna", "user:bo"),
        ("user.enable", "anna", "user:bo"), ("user.password", "anna", "user:bo")]
    assert rows[2].client_addr == "127.0.0.1"
    assert rows[3].after == {"status": "invalid"}
    assert (rows[4].before, rows[4].after) == ({"role": "viewer"}, {"role": "admin"})
    assert rows[7].before is None and rows[7].after is None  # never a password or hash
    assert rows[6].client_addr == "10.0.0.9"


# -- the alert on a silent screen ---------------------------------------------------------


def test_a_screens_silence_is_a_derived_metric_of_its_token() -> None:
    from alerts.inputs import screen_silence_inputs
    from storage import DisplayRow

    def row(display_id: int, seen: int | None, revoked: int | None = None) -> DisplayRow:
        return DisplayRow(id=display_id, name=f"Screen {display_id}", created_at_ms=0,
                          created_by="anna", revoked_at_ms=revoked, revoked_by=None,
                          last_seen_at_ms=seen, last_addr=None, last_user_agent=None,
                          last_page=None)

    inputs = screen_silence_inputs([row(1, 1_000), row(2, None), row(3, 1_000, 5)], 41_000)
    assert [(i.source, i.entity_kind, i.entity_id, i.entity_name, i.value, i.ts_ms)
            for i in inputs] == [("display", "screen", "1", "Screen 1", 40.0, 41_000)]


@pytest.mark.sqlite_only
def test_a_screen_silent_for_5_minutes_fires_the_default_rule_and_resolves(
    engine: Engine, clock: ManualClock
) -> None:
    from alerts import AlertEvaluator, EvaluatorConfig
    from storage import Store

    new = auth.create_display(engine, "Skärm 3", clock=clock.time)
    store = DisplayStore(engine)

    def screen_polls() -> None:
        store.record_seen(new.display.id, SeenRequest("10.0.0.3", "Chromium", "/"),
                          now_ms=int(clock.time() * 1000))

    token = Store(engine).acquire_lease("collector", "test", 86_400_000,
                                        int(clock.time() * 1000))
    assert token is not None
    evaluator = AlertEvaluator(engine, EvaluatorConfig(lease_name="collector", link="x"),
                               clock=clock, watched=lambda: {"trio"})  # what is polled
    evaluator.activate(token)
    alerts = AlertStore(engine)
    [rule] = [r for r in alerts.list_rules() if r.name == "Screen stopped updating"]

    screen_polls()
    clock.advance(299)
    evaluator.evaluate(token)
    [state] = alerts.load_states([rule.id])
    assert (state.state, state.entity_name, state.series_key) == (
        "ok", "Skärm 3", f"display|screen|{new.display.id}")

    clock.advance(1)
    evaluator.evaluate(token)
    [state] = alerts.load_states([rule.id])
    assert (state.state, state.severity, state.last_value) == ("firing", "warning", 300.0)

    screen_polls()
    evaluator.evaluate(token)
    assert [e.event for e in reversed(alerts.events(rule_id=rule.id))] == ["firing", "resolved"]


# -- the command line -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_cli_adds_lists_and_revokes_display_tokens(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess

    from storage import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    env = {**os.environ, "TRIO_MONITOR_DATABASE_URL": url, "TRIO_MONITOR_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return trio_cli(["displays", *args], env=env, cwd=tmp_path)

    added = run("add", "Reception 2", "--url", "https://wall.example/")
    assert added.returncode == 0, added.stderr
    found = re.search(r"https://wall\.example/display/([A-Za-z0-9_-]{43})", added.stdout)
    assert found is not None
    assert auth.find_display(engine, found.group(1)) is not None
    assert run("add", "Reception 2").returncode == 1  # a live token has that name
    assert "Reception 2" in run("list").stdout and "seen never" in run("list").stdout
    [row] = auth.list_displays(engine)
    revoked = run("revoke", str(row.id))
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in run("list").stdout
    assert run("revoke", "999").returncode == 1
    engine.dispose()


@pytest.mark.sqlite_only
def test_a_person_at_a_screens_browser_can_still_log_in(
    screen: FlaskClient, token: str
) -> None:
    open_display(screen, token)
    assert screen.get("/login").status_code == 200  # the form, not a redirect

    log_in(screen, "bo")

    assert screen.get("/login").status_code == 303  # bo is logged in: no form for him
    assert screen.get("/").status_code == 200
