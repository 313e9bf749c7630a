"""Backup and restore beside a real collector process polling the simulator."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.waits import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def sample_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])
    except sqlite3.OperationalError:  # not migrated yet, or locked for an instant
        return 0
    finally:
        conn.close()


def test_a_backup_taken_while_the_collector_writes_restores_once_it_has_stopped(
    tmp_path: Path, sim
) -> None:
    db = tmp_path / "data" / "trio-monitor.db"
    env = {
        **os.environ,
        "TRIO_MONITOR_DATABASE_URL": f"sqlite:///{db}",
        "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
        "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
        "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
        "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
        "TRIO_MONITOR_POLL_INTERVAL_S": "0.5",
        "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": "5",
        "TRIO_MONITOR_LOG_FORMAT": "json",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return trio_cli(args, env=env, cwd=tmp_path)

    assert run("db", "upgrade").returncode == 0
    with open(tmp_path / "collector.log", "wb") as log:
        collector = subprocess.Popen([sys.executable, "-m", "trio_monitor", "collect"],
                                     env=env, cwd=tmp_path, stdout=log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: sample_count(db) > 0, 60, "the collector stores samples")
            first = sample_count(db)
            wait_until(lambda: sample_count(db) > first, 60, "a second poll is stored")

            backup = tmp_path / "backup.db"
            made = run("db", "backup", str(backup))
            assert made.returncode == 0, made.stderr
            backed_up = sample_count(backup)
            assert backed_up > first
            wait_until(lambda: sample_count(db) > backed_up, 60, "polls go on after it")

            refused = run("db", "restore", str(backup))
            assert refused.returncode == 3
            assert "holds the lease" in refused.stderr
        finally:
            collector.send_signal(signal.SIGTERM)
            collector.wait(timeout=30)
    assert collector.returncode == 0

    restored = run("db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert sample_count(db) == backed_up
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    status = run("status")
    assert status.returncode == 0, status.stderr
