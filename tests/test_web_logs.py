"""`trio-monitor web` writes one stream: gunicorn's error and access lines come out as
JSON through the project's formatter, like every other line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import storage
from tests.fixtures.live import START_DEADLINE_S, free_port
from tests.fixtures.waits import wait_until

pytestmark = pytest.mark.sqlite_only

TOKEN = "k" * 43  # looks like a display token; unknown, so refused with 403


def _lines(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_it_logs_gunicorns_lines_as_json_in_one_stream(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TRIO_MONITOR_DATA_DIR": str(tmp_path),
           "TRIO_MONITOR_DATABASE_URL": db_url, "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{port}",
           "TRIO_MONITOR_WEB_WORKERS": "1", "TRIO_MONITOR_LOG_FORMAT": "json",
           "TRIO_MONITOR_LOG_LEVEL": "INFO", "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": "5"}
    log_path = tmp_path / "web.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "trio_monitor", "web"], env=env,
                                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        def up() -> bool:
            assert proc.poll() is None, log_path.read_text()
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, START_DEADLINE_S, "web answering /healthz")
        refused = httpx.post(f"{base}/_dash-update-component?secret=1", json={},
                             headers={"User-Agent": "log-test"}, timeout=5)
        assert refused.status_code == 401
        assert httpx.get(f"{base}/display/{TOKEN}", timeout=5).status_code == 403

        def access_lines() -> list[dict[str, object]]:
            return [e for e in _lines(log_path) if e["logger"] == "gunicorn.access"]

        wait_until(lambda: len(access_lines()) >= 2, 10, "two access lines")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)

    entries = _lines(log_path)  # every line parses: nothing bypassed the formatter
    assert any(e["logger"] == "gunicorn.error" and "Listening at" in str(e["msg"])
               for e in entries)
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    # Answered requests (the /healthz probes) are DEBUG, below this process's level.
    assert [(e["method"], e["path"], e["status"], e["level"]) for e in access] == [
        ("POST", "/_dash-update-component", 401, "info"),
        ("GET", "/display/***", 403, "info"),
    ]
    first = access[0]
    assert first["msg"] == "POST /_dash-update-component 401"
    assert first["client_addr"] == "127.0.0.1" and first["user_agent"] == "log-test"
    assert isinstance(first["duration_ms"], float) and isinstance(first["bytes"], int)
    assert TOKEN not in log_path.read_text(encoding="utf-8")
