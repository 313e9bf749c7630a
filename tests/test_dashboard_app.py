"""The Dash app as the lead wires it: index page, CSP hashes, callbacks as functions."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from types import ModuleType

import flask
import pytest
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard import DashboardConfig, create_dash
from dashboard import ids as dash_ids
from storage import Store
from tests.fixtures.dashboard import (
    BUSY_QUEUE,
    alert_state,
    by_class,
    store_alert_states,
    text,
    walk,
    write_queues,
)

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def server() -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = "dashboard-tests-secret-key-of-enough-length"
    return app


def _page() -> ModuleType:
    from dashboard.pages import wallboard

    return wallboard


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@pytest.fixture
def seeded(store: Store, engine: Engine, clock: ManualClock) -> Iterator[None]:
    """Three queues; the collector's alert states say 12 is warning and 3 critical."""
    now = int(clock.time() * 1000)
    store.acquire_lease("collector", "host-1", ttl_ms=15_000, now_ms=now)
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE,
                         ("3", "Ärenden"): {**BUSY_QUEUE, "longest_wait_s": 45.0},
                         ("4", "Växel"): {**BUSY_QUEUE, "longest_wait_s": 0.0}}, now - 2_000)
    store_alert_states(engine, [alert_state("12", severity="warning"),
                                alert_state("3", severity="critical")], now_ms=now)
    yield


def test_it_serves_the_index_with_no_external_urls_and_hashes_every_inline_script(
    server: flask.Flask, engine: Engine
) -> None:
    app = create_dash(server, engine, DashboardConfig())
    hashes = app.csp_hashes()
    html = server.test_client().get("/").get_data(as_text=True)
    assert "<title>Trio Monitor</title>" in html
    assert "/assets/wallboard.css" in html and "/assets/wallboard.js" in html
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    assert tags and not [tag for tag in tags if re.search(r"(src|href)=\"(https?:)?//", tag)]
    # Executable inline scripts outside the IE-only comment must all be allowed by hash.
    body = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    inline = [
        script for attrs, script in re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
        if "src=" not in attrs and "application/json" not in attrs
    ]
    assert inline and all(_sha256(script) in hashes for script in inline)


def test_it_refuses_a_second_dashboard_on_one_server(
    server: flask.Flask, engine: Engine
) -> None:
    create_dash(server, engine, DashboardConfig())
    with pytest.raises(RuntimeError, match="already installed"):
        create_dash(server, engine, DashboardConfig())


@pytest.mark.usefixtures("seeded")
def test_it_renders_tiles_strip_and_top_bar_from_the_main_callback(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    create_dash(server, engine, DashboardConfig(), clock=clock.time)
    with server.test_request_context("/_dash-update-component", method="POST"):
        (summary, strip, tiles, overlay, en, sv, heartbeat, critical,
         logout, title) = _page().refresh(1, "sv")
    # by name, in Swedish order: Ä after V
    assert [getattr(tile, "data-queue") for tile in tiles] == ["12", "4", "3"]
    assert [getattr(tile, "data-level") for tile in tiles] == ["warning", "ok", "critical"]
    assert text(summary[0]) == "1 kritisk · 1 varning"
    assert strip == []
    assert (overlay, logout) == ("Anslutningen till servern bröts", "Logga ut")
    assert "lang__button--active" in sv and "lang__button--active" not in en
    assert heartbeat == int(clock.time() * 1000)
    assert critical == ["a-3-longest_wait_s"]
    assert title == DashboardConfig().site_name  # no team view: the site's name


@pytest.mark.usefixtures("seeded")
def test_it_renders_once_per_snapshot_language_and_second(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    create_dash(server, engine, DashboardConfig(), clock=clock.time)
    memo = server.extensions["trio_monitor.dashboard"].wallboard_memo
    with server.test_request_context("/"):
        first = [_page().refresh(n, "en") for n in range(50)]
        _page().refresh(1, "sv")
        clock.advance(1.0)
        later = _page().refresh(1, "en")
    assert memo.builds == 3
    assert all(result[2] is first[0][2] for result in first)
    assert "updated 3 s ago" in text(later[2])


@pytest.mark.usefixtures("seeded")
def test_it_answers_the_main_callback_over_http_without_a_logout_form(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    create_dash(server, engine, DashboardConfig(logout_form=False), clock=clock.time)
    client = server.test_client()
    client.get("/")
    deps = client.get("/_dash-dependencies").get_json()
    [main] = [d for d in deps if dash_ids.WALLBOARD_TILES in d["output"]]
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in main["output"].strip(".").split("...")
    ]
    assert dash_ids.WALLBOARD_LOGOUT_BUTTON not in main["output"]
    response = client.post("/_dash-update-component", json={
        "output": main["output"], "outputs": outputs,
        "inputs": [{"id": dash_ids.WALLBOARD_REFRESH, "property": "n_intervals", "value": 1},
                   {"id": dash_ids.WALLBOARD_LANG, "property": "data", "value": None},
                   {"id": dash_ids.WALLBOARD_VIEW, "property": "data", "value": None}],
        "changedPropIds": [f"{dash_ids.WALLBOARD_REFRESH}.n_intervals"], "state": [],
    })
    assert response.status_code == 200
    payload = response.get_json()["response"]
    assert payload[dash_ids.WALLBOARD_OVERLAY_TEXT]["children"] == (
        "Connection to the server lost")
    assert "Kundtjänst" in str(payload[dash_ids.WALLBOARD_TILES]["children"])


def test_it_renders_the_layout_with_the_auth_csrf_token(
    server: flask.Flask, engine: Engine
) -> None:
    auth = pytest.importorskip("auth")
    create_dash(server, engine, DashboardConfig())
    with server.test_request_context("/"):
        layout = _page().layout()
        token = auth.csrf_token()
    [form] = by_class(layout, "logout")
    hidden = [c for c in walk(form) if getattr(c, "name", None) == "csrf_token"]
    assert [c.value for c in hidden] == [token]


def test_it_shows_database_unavailable_on_screen(
    server: flask.Flask, clock: ManualClock
) -> None:
    from storage import make_engine

    engine = make_engine("postgresql+psycopg://trio@127.0.0.1:1/trio_monitor")
    try:
        create_dash(server, engine, DashboardConfig(), clock=clock.time)
        with server.test_request_context("/"):
            summary, strip, tiles, *_ = _page().refresh(1, "en")
    finally:
        engine.dispose()
    assert text(tiles) == "Database unavailable"
    assert text(strip).startswith("Database unavailable: PostgreSQL unreachable")


@pytest.mark.usefixtures("seeded")
def test_it_serves_screens_in_the_same_second_the_same_cached_response(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    from dashboard._response_cache import RefreshResponseCache

    caches: list[RefreshResponseCache] = []
    real_install = RefreshResponseCache.install

    def spy(self: RefreshResponseCache, srv: flask.Flask) -> None:
        caches.append(self)
        real_install(self, srv)

    RefreshResponseCache.install = spy  # type: ignore[method-assign]
    try:
        create_dash(server, engine, DashboardConfig(logout_form=False), clock=clock.time)
    finally:
        RefreshResponseCache.install = real_install  # type: ignore[method-assign]
    client = server.test_client()
    client.get("/")
    [main] = [d for d in client.get("/_dash-dependencies").get_json()
              if dash_ids.WALLBOARD_TILES in d["output"]]
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in main["output"].strip(".").split("...")]

    from storage import ViewStore

    ViewStore(engine).create("team", "Team", ["4"], actor="anna",
                             now_ms=int(clock.time() * 1000))

    def refresh(tick: int, lang: str | None, view: str | None = None) -> bytes:
        response = client.post("/_dash-update-component", json={
            "output": main["output"], "outputs": outputs,
            "inputs": [{"id": dash_ids.WALLBOARD_REFRESH, "property": "n_intervals",
                        "value": tick},
                       {"id": dash_ids.WALLBOARD_LANG, "property": "data", "value": lang},
                       {"id": dash_ids.WALLBOARD_VIEW, "property": "data", "value": view}],
            "changedPropIds": [f"{dash_ids.WALLBOARD_REFRESH}.n_intervals"], "state": [],
        })
        assert response.status_code == 200
        return response.get_data()

    first = refresh(1, None)
    assert refresh(7, None) == first and caches[0].hits == 1  # another screen, same second
    swedish = refresh(2, "sv")
    assert swedish != first and b"kritisk" in swedish and caches[0].hits == 1
    # A team's screen in the same second: its own render, never another screen's bytes.
    team = refresh(4, None, "team")
    assert team != first and caches[0].hits == 1
    tiles = str(json.loads(team)["response"][dash_ids.WALLBOARD_TILES]["children"])
    assert "Växel" in tiles and "Kundtjänst" not in tiles
    assert refresh(5, None, "team") == team and caches[0].hits == 2
    clock.advance(1)
    assert refresh(3, None) != first and caches[0].hits == 2  # a new second renders anew


def test_a_fresh_app_serves_component_files_before_anyone_loaded_the_index(
    engine: Engine, clock: ManualClock
) -> None:
    """As a second gunicorn worker does: the index came from another process."""
    first = flask.Flask(__name__)
    first.secret_key = "x" * 40
    create_dash(first, engine, DashboardConfig(logout_form=False), clock=clock.time)
    index = first.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert any("react@" in s for s in scripts)

    second = flask.Flask(__name__)
    second.secret_key = "x" * 40
    create_dash(second, engine, DashboardConfig(logout_form=False), clock=clock.time)
    client = second.test_client()
    for script in scripts:
        assert client.get(script).status_code == 200, script
