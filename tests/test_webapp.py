"""The web app as `trio-monitor web` builds it: nothing but the login and /healthz is public."""

from __future__ import annotations

import pytest

from trio_monitor.settings import load_settings
from trio_monitor.webapp import create_app

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

# The wall screens' token login and revoked page are public by design (issue 6).
PUBLIC_ENDPOINTS = {"trio_auth.login", "trio_auth.logout", "trio_auth.static", "healthz",
                    "trio_auth.display", "trio_auth.display_revoked",
                    # Guarded by its own bearer token (404 without one configured).
                    "trio_metrics"}


@pytest.fixture
def app(db_url, engine, tmp_path):
    return create_app(load_settings(database_url=db_url, data_dir=tmp_path), engine)


def test_every_route_of_the_real_app_is_refused_without_a_session(app):
    """Enumerates the URL map, so a route added later cannot slip through unguarded."""
    adapter = app.url_map.bind("localhost")
    client = app.test_client()
    rules = list(app.url_map.iter_rules())
    assert {r.endpoint for r in rules} >= PUBLIC_ENDPOINTS

    checked = 0
    for rule in rules:
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            url = adapter.build(rule.endpoint, {arg: "x" for arg in rule.arguments},
                                method=method)
            response = client.open(url, method=method)
            assert response.status_code in (302, 401), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login?next="), (method, url)
            checked += 1
    assert checked >= 15  # Dash index, layout, dependencies, update, suites, assets, ...


def test_the_public_routes_reveal_nothing(app):
    client = app.test_client()
    health = client.get("/healthz")
    assert health.get_json() == {"status": "ok"}
    login = client.get("/login")
    assert login.status_code == 200 and b"csrf_token" in login.data
    assert "script-src 'self' 'sha256-" in login.headers["Content-Security-Policy"]
    assert login.headers["X-Content-Type-Options"] == "nosniff"


def test_an_oversized_body_is_refused_before_dash_sees_it(app):
    response = app.test_client().post("/login", data={"x": "a" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_workers_starting_together_share_one_generated_secret_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from trio_monitor.webapp import secret_key

    settings = load_settings(data_dir=tmp_path / "data")
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: secret_key(settings), range(32)))
    assert len(keys) == 1 and len(keys.pop()) >= 32
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret_key"]
