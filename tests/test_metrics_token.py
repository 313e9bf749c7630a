"""The collector's /metrics behind the metrics token, as the web app's: a bearer token over
real HTTP on loopback, and production's refusal of a bind beyond loopback without one."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import storage
from collectors.metrics import CollectorMetrics, MetricsServer
from tests.fixtures.cli_proc import trio_cli
from trio_monitor.settings import load_settings

pytestmark = [pytest.mark.timeout(60)]

# Random, generated once and pinned so the test is deterministic.
TOKEN = "kQ3v9Zr_Xw2LmT8pYb4NcD7sHf1JgE6uRa0ViK5oWzM"
GOOD_KEY = "hV3q0m2oQ1tPz-8wXr_5nB7kLcYdJfGa9sE4uTiKvR6yMbNl0OpWxZq2Ce7Ah1Dj"


def serve(bind: str, token: str | None) -> MetricsServer:
    metrics = CollectorMetrics(None, buffer_max_age_s=600, buffer_max_samples=10,
                               clock=lambda: 0.0)
    server = metrics.serve(bind, token)
    assert server is not None
    return server


@pytest.fixture
def guarded() -> Iterator[str]:
    server = serve("127.0.0.1:0", TOKEN)
    yield f"http://127.0.0.1:{server.port}/metrics"
    asyncio.run(server.aclose(2.0))


def test_the_token_opens_the_collectors_metrics(guarded) -> None:
    response = httpx.get(guarded, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 200
    assert "trio_monitor_scrape_errors_total" in response.text


@pytest.mark.parametrize("authorization", [
    None, "", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"bearer{TOKEN}", TOKEN,
    f"Basic {TOKEN}", "Bearer \u00e5\u00e4\u00f6".encode()])
def test_no_token_or_another_is_401_and_tells_nothing(guarded, authorization: str | bytes |
                                                      None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.get(guarded, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "trio_monitor" not in response.text


def test_without_a_token_the_metrics_are_open() -> None:
    server = serve("127.0.0.1:0", None)
    try:
        response = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5)
        assert response.status_code == 200 and "trio_monitor_" in response.text
    finally:
        asyncio.run(server.aclose(2.0))


def test_it_serves_on_ipv6_loopback_too() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    server = serve("[::1]:0", TOKEN)
    try:
        response = httpx.get(f"http://[::1]:{server.port}/metrics", timeout=5,
                             headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
    finally:
        asyncio.run(server.aclose(2.0))


# -- production's refusal ---------------------------------------------------------------


def production(**overrides: object) -> list[str]:
    settings = load_settings(mode="production", secret_key=GOOD_KEY, web_cookie_secure=True,
                             public_url="https://monitor.example.se", **overrides)
    return settings.refusals(web=False)


@pytest.mark.parametrize("bind", ["0.0.0.0:9108", "10.1.2.3:9108", "[::]:9108",
                                  "collector.example.se:9108"])
def test_production_refuses_a_bind_beyond_loopback_without_a_token(bind) -> None:
    [problem] = production(metrics_bind=bind)
    assert problem.startswith(f"TRIO_MONITOR_METRICS_BIND ({bind}) is not a loopback")
    assert "TRIO_MONITOR_METRICS_TOKEN" in problem
    assert production(metrics_bind=bind, metrics_token=TOKEN) == []


@pytest.mark.parametrize("bind", ["", "127.0.0.1:9108", "[::1]:9108", "localhost:9108"])
def test_production_accepts_loopback_or_no_metrics_without_a_token(bind) -> None:
    assert production(metrics_bind=bind) == []


def test_development_serves_any_bind_without_a_token() -> None:
    assert load_settings(metrics_bind="0.0.0.0:9108").refusals(web=False) == []


def test_the_token_comes_from_its_file_too(tmp_path) -> None:
    path = tmp_path / "metrics_token"
    path.write_text(TOKEN + "\n", encoding="utf-8")
    path.chmod(0o600)
    assert production(metrics_bind="0.0.0.0:9108", metrics_token_file=path) == []


def test_production_refuses_a_guessable_token_in_the_collector_too() -> None:
    [problem] = production(metrics_bind="0.0.0.0:9108", metrics_token="letmein1")
    assert problem.startswith("TRIO_MONITOR_METRICS_TOKEN (or _FILE) is guessable")
    assert "letmein1" not in problem


def test_collect_refuses_to_start_and_names_the_setting(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'data' / 'trio-monitor.db'}"
    engine = storage.make_engine(db)
    storage.upgrade(engine)
    engine.dispose()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    env = {**clean, "TRIO_MONITOR_MODE": "production", "TRIO_MONITOR_DATABASE_URL": db,
           "TRIO_MONITOR_DATA_DIR": str(tmp_path / "data"),
           "TRIO_MONITOR_SECRET_KEY": GOOD_KEY, "TRIO_MONITOR_WEB_COOKIE_SECURE": "true",
           "TRIO_MONITOR_PUBLIC_URL": "https://monitor.example.se",
           "TRIO_MONITOR_LOG_FORMAT": "json", "TRIO_MONITOR_METRICS_BIND": "0.0.0.0:9108"}
    result = trio_cli(["collect"], env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TRIO_MONITOR_METRICS_BIND (0.0.0.0:9108)" in lines[0]
    assert "Traceback" not in result.stderr
