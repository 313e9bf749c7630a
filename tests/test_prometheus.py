"""Self-monitoring with a real Prometheus (Debian's package): it scrapes the collector and
the web app of the running product, both behind the metrics token, loads
docs/prometheus-rules.yml, and promtool finds nothing to lint in either exposition."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.live import LiveStack, free_port
from tests.fixtures.waits import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
DOCS = Path(__file__).resolve().parents[1] / "docs"
RULES = DOCS / "prometheus-rules.yml"
RULE_TESTS = DOCS / "prometheus-rules.test.yml"
TOKEN = secrets.token_urlsafe(24)


def _need(binary: str) -> str:
    if shutil.which(binary) is None:
        message = f"{binary} missing: apt-get install prometheus"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_need(PROMTOOL), *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.fixture
def metrics_port() -> int:
    return free_port()


@pytest.fixture
def live_env(metrics_port: int, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "tmp").mkdir()  # where `web` makes its metrics folder: seen by this test only
    return {"TRIO_MONITOR_METRICS_BIND": f"127.0.0.1:{metrics_port}",
            "TRIO_MONITOR_METRICS_TOKEN": TOKEN, "TMPDIR": str(tmp_path / "tmp")}


@pytest.fixture
def prometheus(live_stack: LiveStack, metrics_port: int, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping both endpoints every second, with the product's rules;
    its API's base URL."""
    _need(PROMETHEUS)
    token_file = tmp_path / "metrics-token"
    token_file.write_text(TOKEN, encoding="utf-8")
    token_file.chmod(0o600)
    web = live_stack.base_url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {RULES}
scrape_configs:
  - job_name: trio-monitor-collector
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["127.0.0.1:{metrics_port}"]
  - job_name: trio-monitor-web
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["{web}"]
""", encoding="utf-8")
    port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(proc, base), 60, "Prometheus answering /-/ready")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _ready(proc: subprocess.Popen[bytes], base: str) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"prometheus exited with {proc.returncode}")
    try:
        return httpx.get(base + "/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def query(base: str, expr: str) -> list[dict[str, Any]]:
    body = httpx.get(base + "/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def test_prometheus_scrapes_the_collector_and_the_web_app(prometheus, live_stack,
                                                          metrics_port) -> None:
    def both_up() -> bool:
        up = {r["metric"]["job"]: r["value"][1] for r in query(prometheus, "up")}
        return up == {"trio-monitor-collector": "1", "trio-monitor-web": "1"}

    wait_until(both_up, 90, "up == 1 for the collector and the web app")

    def active() -> bool:
        return [r["value"][1] for r in query(prometheus, "trio_monitor_collector_lease_held")] \
            == ["1"]

    wait_until(active, 60, "the collector holding the lease, as Prometheus sees it")

    def polled() -> bool:
        return bool(query(prometheus, 'trio_monitor_collector_polls_total{source="trio",'
                                      'outcome="ok"} > 0'))

    wait_until(polled, 60, "successful polls of the Trio site counted")
    assert query(prometheus, 'trio_monitor_collector_breaker_state{source="trio",'
                             'state="closed"}')[0]["value"][1] == "1"
    # A scrape is timed once it is answered: the next scrape shows it.
    wait_until(lambda: query(prometheus, 'trio_monitor_web_request_duration_seconds_count'
                                         '{route="/metrics", status="2xx"}'),
               30, "the web app's scrapes timed under their route")
    rules = httpx.get(prometheus + "/api/v1/rules", timeout=5).json()["data"]["groups"]
    loaded = [rule for group in rules for rule in group["rules"]]
    assert len(loaded) == 9 and all(rule["health"] != "err" for rule in loaded), loaded


def test_promtool_finds_nothing_to_lint_in_either_exposition(live_stack, metrics_port) -> None:
    collector_url = f"http://127.0.0.1:{metrics_port}/metrics"
    bearer = {"Authorization": f"Bearer {TOKEN}"}

    def answering() -> bool:
        try:
            return httpx.get(collector_url, timeout=1).status_code == 401
        except httpx.HTTPError:
            return False

    wait_until(answering, 60, "the collector's /metrics answering (401 without the token)")
    wait_until(lambda: "trio_monitor_collector_lease_held 1.0" in httpx.get(
        collector_url, timeout=5, headers=bearer).text, 60, "the collector active")
    web = httpx.get(live_stack.base_url + "/metrics", timeout=5, headers=bearer)
    assert web.status_code == 200
    collector = httpx.get(collector_url, timeout=5, headers=bearer)
    assert collector.status_code == 200
    for name, text in (("collector", collector.text), ("web", web.text)):
        linted = promtool("check", "metrics", stdin=text)
        assert linted.returncode == 0 and not linted.stdout.strip(), (name, linted.stdout)

    # The exposition server stops with the collector, inside its shutdown bound.
    process = live_stack.procs["collect"]
    live_stack.stop("collect")
    assert process.returncode == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(collector_url, timeout=2)


def test_the_web_workers_counts_are_summed_in_every_scrape(live_stack, tmp_path) -> None:
    """gunicorn runs two workers here; requests on fresh connections land on either, and
    whichever worker answers a scrape reports all of them (multiprocess mode), from a
    folder made for the run and removed after it."""
    line = ('trio_monitor_web_request_duration_seconds_count{method="GET",route="/healthz",'
            'status="2xx"}')

    def counts() -> set[float]:
        seen = set()
        for _ in range(4):
            with httpx.Client() as client:  # a new connection: either worker may answer
                text = client.get(live_stack.base_url + "/metrics", timeout=5,
                                  headers={"Authorization": f"Bearer {TOKEN}"}).text
            seen |= {float(row.split()[-1]) for row in text.splitlines()
                     if row.startswith(line)}
        return seen

    # Every worker tells the same count. Waited for: on a loaded machine a readiness probe
    # of the fixture that timed out at the client may still be answered (and counted) by
    # a worker that was slow to accept it.
    seen: list[set[float]] = []

    def agreed() -> bool:
        seen.append(counts())
        return len(seen[-1]) == 1

    wait_until(agreed, 30, "every worker telling the same count")
    before = seen[-1]
    for _ in range(10):
        with httpx.Client() as client:
            assert client.get(live_stack.base_url + "/healthz").status_code == 200
    assert counts() == {before.pop() + 10}
    assert httpx.get(live_stack.base_url + "/metrics", timeout=5).status_code == 401

    made = list((tmp_path / "tmp").glob("trio-monitor-metrics-*"))
    assert len(made) == 1 and list(made[0].glob("*.db"))
    live_stack.stop("web")
    assert not made[0].exists()
