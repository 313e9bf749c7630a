"""The web app's /metrics: behind its bearer token, bounded labels, logins and screens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import auth
import storage
from tests.fixtures.live import ADMIN_PASSWORD
from trio_monitor.settings import load_settings
from trio_monitor.webapp import create_app

pytestmark = pytest.mark.sqlite_only

TOKEN = "metrics-token-for-the-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def app(db_url, engine, tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    auth.add_user(engine, "admin", ADMIN_PASSWORD, auth.Role.ADMIN)
    return create_app(load_settings(database_url=db_url, data_dir=tmp_path,
                                    metrics_token=TOKEN), engine)


def test_it_is_404_without_a_token_configured(db_url, engine, tmp_path):
    app = create_app(load_settings(database_url=db_url, data_dir=tmp_path), engine)
    response = app.test_client().get("/metrics", headers=BEARER)
    assert response.status_code == 404  # not the login page: no redirect, nothing told


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN,
                                    f"Bearer {TOKEN}x"])
def test_it_refuses_a_missing_or_wrong_token_with_401(app, header):
    headers = {"Authorization": header} if header else {}
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"trio_monitor" not in response.data


def test_it_times_requests_by_route_rule_not_by_path(app):
    client = app.test_client()
    for queue in ("1", "22", "333"):
        client.get(f"/queues/{queue}")  # redirected to the login: timed all the same
    client.get("/healthz")

    response = client.get("/metrics", headers=BEARER)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    m = samples(response.get_data(as_text=True))
    routes = {dict(labels)["route"] for name, labels in m
              if name == "trio_monitor_web_request_duration_seconds_count"}
    assert "/healthz" in routes
    assert not [r for r in routes if "333" in r or "22" in r]  # never the raw path
    healthz = (("method", "GET"), ("route", "/healthz"), ("status", "2xx"))
    assert m[("trio_monitor_web_request_duration_seconds_count", healthz)] == 1


def test_it_counts_logins_and_the_lock_they_start(app):
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"')[0]
    for _ in range(5):
        client.post("/login", data={"username": "admin", "password": "wrong",
                                    "csrf_token": token})
    client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                "csrf_token": token})

    m = samples(client.get("/metrics", headers=BEARER).get_data(as_text=True))

    assert m[("trio_monitor_web_logins_total", (("outcome", "invalid"),))] == 5
    assert m[("trio_monitor_web_logins_total", (("outcome", "locked"),))] == 1
    assert m[("trio_monitor_web_login_lockouts_total", (("scope", "address"),))] == 1
    values = {v for name, lbl in m if name.startswith("trio_monitor_web_log") for _, v in lbl}
    assert not values & {"admin", "127.0.0.1"}


def test_it_counts_active_and_silent_screens(app, engine):
    store = storage.DisplayStore(engine)
    now_ms = int(time.time() * 1000)
    seen = [("hall", now_ms - 10_000), ("desk", now_ms - 600_000), ("new", None)]
    for i, (name, at) in enumerate(seen):
        row = store.create(name, f"{i:064x}", actor="admin", now_ms=now_ms - 900_000)
        if at is not None:
            store.record_seen(row.id, storage.SeenRequest(addr="127.0.0.1", user_agent="x",
                                                          page="/kiosk"), now_ms=at)

    m = samples(app.test_client().get("/metrics", headers=BEARER).get_data(as_text=True))

    assert m[("trio_monitor_web_screens_active", ())] == 1
    assert m[("trio_monitor_web_screens_silent", ())] == 1


def test_a_database_that_cannot_be_read_costs_the_screens_not_the_scrape(app, db_url):
    path = Path(db_url.removeprefix("sqlite:///"))
    path.rename(path.with_name("moved-away.db"))  # the scrape's own engine finds no schema

    response = app.test_client().get("/metrics", headers=BEARER)

    assert response.status_code == 200
    m = samples(response.get_data(as_text=True))
    assert m[("trio_monitor_scrape_errors_total", (("part", "database"),))] == 1
    assert ("trio_monitor_web_screens_active", ()) not in m


@pytest.mark.parametrize(("token", "refused"), [
    ("letmein1", True), ("abcabcabcabcabcabcabcabc", True),
    ("kQ3v9Zr_Xw2LmT8pYb4NcD7sHf1JgE6uRa0ViK5oWzM", False)])
def test_production_refuses_a_guessable_metrics_token(db_url, tmp_path, token, refused):
    settings = load_settings(database_url=db_url, data_dir=tmp_path, metrics_token=token)
    problems = [p for p in settings.production_problems() if "METRICS_TOKEN" in p]
    assert bool(problems) is refused, problems
    assert all(token not in p for p in problems)  # the secret is never echoed
