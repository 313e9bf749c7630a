"""scripts/demo.sh and `trio-monitor demo`: numbered progress while it prepares, the
banner (with the URL prefix) only once the web app answers."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.fixtures.live import free_port
from trio_monitor.demo import Steps, app_url, cli_language
from trio_monitor.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


def _mark_installed(venv: Path) -> None:
    """The tests' environment has the project installed with these dependencies: say so
    the way demo.sh records it, so the script skips pip (tested by hand: minutes)."""
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()
                            + (REPO / "constraints.txt").read_bytes()).hexdigest()
    stamp = venv / ".trio-monitor-demo-stamp"
    if not stamp.exists() or stamp.read_text().strip() != digest:
        stamp.write_text(digest + "\n")


# Two days of history and three processes starting: minutes on a loaded 2-core machine.
@pytest.mark.timeout(600)
def test_demo_sh_numbers_its_steps_and_prints_the_prefixed_url_once_the_app_answers(
        tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    _mark_installed(venv)
    port = free_port()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TRIO_MONITOR_", "LC_", "LANG"))}
    env = {**clean, "LANG": "C.UTF-8", "TRIO_MONITOR_VENV": str(venv),
           "TRIO_MONITOR_LOG_FORMAT": "json", "TRIO_MONITOR_URL_PREFIX": "/monitor",
           # Children that need longer to stop on a loaded machine are killed: exit 1.
           "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": "30"}
    proc = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "demo.sh"), "--port", str(port), "--data-dir",
         str(tmp_path / "demo"), "--history-days", "2"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress: list[str] = []
    errors: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    # Drained in a thread: the children's log lines would fill the pipe.
    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if not line.startswith("{"):
                progress.append(line.rstrip("\n"))
            elif '"level": "error"' in line or '"level": "critical"' in line:
                errors.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        first = proc.stdout.readline()
        assert first.startswith("Trio Monitor demo"), (first, progress)
        # The banner comes only once the web app answers, under its prefix.
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        banner = first + proc.stdout.readline()
        assert f"open http://127.0.0.1:{port}/monitor/  and log in as  admin / " in banner
        assert httpx.get(f"http://127.0.0.1:{port}/monitor/", timeout=10).status_code in (
            200, 302, 303)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        reader.join(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert code == 0, (progress, errors)
    assert progress[0] == f"[1/4] using the virtual environment {venv}"
    assert progress[1] == "[2/4] packages up to date"
    assert progress[2] == "[3/4] preparing the database…"
    filling = [line for line in progress if line.startswith("[4/4] filling 2 days of history…")]
    assert filling[0].endswith("… 0 %") and filling[-1].endswith("… 100 %"), filling
    assert len(filling) <= 11  # not a terminal: one line per 10 %
    assert any(line.startswith("2 days of history filled in ") for line in progress)
    assert progress.index(filling[-1]) < progress.index(
        "starting the simulator, the collector and the web app…")


def test_it_shows_a_percentage_per_ten_on_a_pipe_and_counts_steps_after_the_scripts() -> None:
    out = io.StringIO()
    steps = Steps(before=2, total=4, lang="sv", out=out)
    steps.step("demo_step_database")
    steps.step("demo_step_history", days=30, pct=0)
    for fraction in (0.0, 0.04, 0.1, 0.15, 0.42, 0.999, 1.0):
        steps.percent("demo_step_history", fraction, days=30)
    assert out.getvalue().splitlines() == [
        "[3/4] förbereder databasen…",
        "[4/4] fyller i 30 dagars historik… 0 %",
        "[4/4] fyller i 30 dagars historik… 10 %",
        "[4/4] fyller i 30 dagars historik… 42 %",
        "[4/4] fyller i 30 dagars historik… 99 %",
        "[4/4] fyller i 30 dagars historik… 100 %",
    ]


def test_it_speaks_swedish_to_a_swedish_terminal() -> None:
    assert cli_language({"LANG": "sv_SE.UTF-8"}) == "sv"
    assert cli_language({"LC_ALL": "en_GB.UTF-8", "LANG": "sv_SE.UTF-8"}) == "en"
    assert cli_language({"LC_MESSAGES": "sv_FI", "LANG": "C"}) == "sv"
    assert cli_language({}) == "en"


def test_the_printed_address_carries_the_url_prefix(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, url_prefix="/monitor")
    assert app_url("http://127.0.0.1:8050", settings) == "http://127.0.0.1:8050/monitor/"
    root = load_settings(data_dir=tmp_path)
    assert app_url("http://127.0.0.1:8050", root) == "http://127.0.0.1:8050/"
