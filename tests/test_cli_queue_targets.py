"""``trio-monitor queues target`` and ``queues targets`` in a real subprocess, on the
database the settings name (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import storage
from tests.fixtures.cli_proc import trio_cli

pytestmark = [pytest.mark.timeout(120)]


def run(db_url: str, cwd: Path, *args: str, lang: str = "en"
        ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    env = {**clean, "TRIO_MONITOR_DATABASE_URL": db_url, "TRIO_MONITOR_SL_TARGET_PCT": "80",
           "TRIO_MONITOR_SL_THRESHOLD_S": "20", "TRIO_MONITOR_LANGUAGE": lang}
    return trio_cli(args, env=env, cwd=cwd)


def test_it_sets_lists_and_clears_a_queues_target_with_audit_rows(db_url, tmp_path):
    done = run(db_url, tmp_path, "queues", "target", "100", "--pct", "90", "--seconds", "30")
    assert (done.returncode, done.stdout.strip()) == (
        0, "queue 100: service-level target 90/30"), done.stderr
    listed = run(db_url, tmp_path, "queues", "targets")
    assert listed.stdout.splitlines() == ["default 80/20", "queue 100: 90/30 (set by system)"]
    cleared = run(db_url, tmp_path, "queues", "target", "100", "--default")
    assert cleared.stdout.strip() == "queue 100: back to the default 80/20"

    engine = storage.make_engine(db_url)
    try:
        assert storage.QueueTargetStore(engine).targets("trio") == {}
        log = storage.AlertStore(engine).audit_log(action_prefix="queue.sl_target")
    finally:
        engine.dispose()
    assert [(r.actor, r.before is None, r.after is None) for r in reversed(log)] == [
        ("system", True, False), ("system", False, True)]


def test_it_speaks_the_sites_language(db_url, tmp_path):
    done = run(db_url, tmp_path, "queues", "target", "100", "--pct", "92.5", "--seconds", "30",
               lang="sv")
    assert (done.returncode, done.stdout.strip()) == (
        0, "kö 100: servicenivåmål 92,5/30"), done.stderr
    listed = run(db_url, tmp_path, "queues", "targets", lang="sv")
    assert listed.stdout.splitlines() == ["standardmål 80/20", "kö 100: 92,5/30 (satt av system)"]
    cleared = run(db_url, tmp_path, "queues", "target", "100", "--default", lang="sv")
    assert cleared.stdout.strip() == "kö 100: tillbaka till standardmålet 80/20"


@pytest.mark.parametrize(("args", "message"), [
    (("--pct", "100", "--seconds", "20"), "the share must be above 0 and below 100 %"),
    (("--pct", "80",), "give --pct and --seconds, or --default"),
    (("--default", "--pct", "80"), "give --pct and --seconds, or --default"),
    (("--pct", "80", "--seconds", "0"), "the threshold must be a whole number of seconds"),
])
def test_it_refuses_a_target_that_makes_no_sense_in_one_line(db_url, tmp_path, args,
                                                             message):
    done = run(db_url, tmp_path, "queues", "target", "100", *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
