"""``trio-monitor maintenance add|list|remove`` in a real subprocess, on the database the
settings name (SQLite and PostgreSQL): windows planned once or weekly in the site's zone,
scoped as on /alerts, audited as on the web, and bad input refused in one line with
nothing stored.

The command reads the wall clock (as ``messages`` does): the one-off windows asserted on
lie in 2099 (always ahead) or 2001 (always past), so no assertion depends on today."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storage
from alerts import validate_rule
from dashboard.components.thresholds import spec_of
from dashboard.floorforms import once_period, weekly_window
from storage import MaintenanceKind, PollWrite, Sample, SeriesKey, Weekly
from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.dashboard import facts

pytestmark = [pytest.mark.timeout(180)]

TZ = "Europe/Stockholm"
T0 = 1_700_000_000_000


def run(db_url: str, cwd: Path, *args: str, lang: str = "en"
        ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    env = {**clean, "TRIO_MONITOR_DATABASE_URL": db_url, "TRIO_MONITOR_TIMEZONE": TZ,
           "TRIO_MONITOR_LANGUAGE": lang}
    return trio_cli(args, env=env, cwd=cwd, timeout=90)


def seed(db_url: str) -> None:
    """Queue 100 of the Trio source, and the rule "Long wait"."""
    engine = storage.make_engine(db_url)
    try:
        storage.Store(engine).write_poll(PollWrite(source="trio", samples=[
            Sample(SeriesKey("trio", "queue", "100", "longest_wait_s", "s", "Support"), T0, 5.0),
        ], agents=None, facts=facts(T0)), lease_name=None, lease_token=None, now_ms=T0)
        rule = validate_rule({"name": "Long wait", "metric": "longest_wait_s",
                              "scope": {"entity_kind": "queue"}, "direction": "above",
                              "warning": 15})
        storage.AlertStore(engine).create_rule(rule.name, spec_of(rule), True, actor="system",
                                               now_ms=T0)
    finally:
        engine.dispose()


def windows(db_url: str) -> list[storage.MaintenanceRow]:
    engine = storage.make_engine(db_url)
    try:
        return storage.MaintenanceStore(engine).windows()
    finally:
        engine.dispose()


def audit(db_url: str) -> list[tuple[str, str, str]]:
    engine = storage.make_engine(db_url)
    try:
        rows = storage.AlertStore(engine).audit_log(action_prefix="maintenance.")
    finally:
        engine.dispose()
    return [(row.actor, row.action, row.target) for row in reversed(rows)]


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_it_plans_lists_and_removes_a_weekly_window_with_audit_rows(db_url, tmp_path):
    seed(db_url)
    done = run(db_url, tmp_path, "maintenance", "add", "weekly", "--day", "sun", "--start",
               "02:00", "--end", "04:00", "--reason", "Trio upgrade", "--kind", "queue",
               "--entity", "100", "--rule", "long wait")
    assert (done.returncode, done.stdout.strip()) == (
        0, "#1 Maintenance planned: every Sunday 02:00–04:00."), done.stderr
    [row] = windows(db_url)
    assert row.kind is MaintenanceKind.WEEKLY and row.weekly == Weekly((6,), 120, 240, TZ)
    assert (row.scope.source, row.scope.entity_kind, row.scope.entity_ids) == (
        "trio", "queue", ("100",))
    assert row.scope.rule_id is not None and row.created_by == "system"

    listed = run(db_url, tmp_path, "maintenance", "list")
    assert listed.stdout.strip() == (
        "#1 · every Sunday 02:00–04:00 · Long wait · trio · queue · 100 · planned · "
        "Trio upgrade · system"), listed.stderr

    removed = run(db_url, tmp_path, "maintenance", "remove", "1")
    assert (removed.returncode, removed.stdout.strip()) == (0, "Maintenance #1 withdrawn.")
    again = run(db_url, tmp_path, "maintenance", "remove", "1")
    assert (again.returncode, again.stdout.strip()) == (0, "Maintenance #1 had already ended.")
    assert run(db_url, tmp_path, "maintenance", "list").stdout == ""
    assert "ended by system" in run(db_url, tmp_path, "maintenance", "list", "--all").stdout
    assert audit(db_url) == [("system", "maintenance.create", "maintenance:1"),
                             ("system", "maintenance.end", "maintenance:1")]


def test_it_plans_a_one_off_window_in_the_sites_zone(db_url, tmp_path):
    seed(db_url)
    done = run(db_url, tmp_path, "maintenance", "add", "once", "--start", "2099-06-01 02:00",
               "--end", "2099-06-02T01:30", "--reason", "Move", "--source", "trio",
               lang="sv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#1 Underhåll planerat: ")
    [row] = windows(db_url)
    # Stockholm is UTC+2 in June.
    assert (row.starts_at_ms, row.ends_at_ms) == (ms("2099-06-01T00:00"),
                                                  ms("2099-06-01T23:30"))
    assert (row.scope.source, row.scope.entity_kind, row.scope.rule_id) == ("trio", None, None)
    assert audit(db_url) == [("system", "maintenance.create", "maintenance:1")]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("args", "message", "lang"), [
    (("once", "--start", "2099-06-01 04:00", "--end", "2099-06-01 02:00"),
     "The end must be after the start.", "en"),
    (("once", "--start", "2099-06-01 04:00", "--end", "2099-06-01 04:00"),
     "Slutet måste komma efter början.", "sv"),
    (("once", "--start", "tomorrow", "--end", "2099-06-01 02:00"),
     "Give the start and end as YYYY-MM-DD HH:MM.", "en"),
    (("once", "--start", "2001-06-01 02:00", "--end", "2001-06-01 04:00"),
     "That maintenance would be over already.", "en"),
    (("once", "--start", "2099-06-01 02:00", "--end", "2099-06-01 04:00", "--day", "sun"),
     "--day is for weekly maintenance", "en"),
    (("weekly", "--day", "someday", "--start", "02:00", "--end", "04:00"),
     "not a weekday: 'someday'", "en"),
    (("weekly", "--day", "söndag", "--start", "2", "--end", "04:00"),
     "Give the times as HH:MM.", "en"),
    (("weekly", "--day", "sun", "--start", "02:00", "--end", "04:00", "--source", "nope"),
     "no source is named 'nope'; known: trio", "en"),
    (("weekly", "--day", "sun", "--start", "02:00", "--end", "04:00", "--kind", "agent"),
     "no entities of kind 'agent'; known: queue", "en"),
    (("weekly", "--day", "sun", "--start", "02:00", "--end", "04:00", "--kind", "queue",
      "--entity", "999"), "no queue 999 in source 'trio'", "en"),
    (("weekly", "--day", "sun", "--start", "02:00", "--end", "04:00", "--entity", "100"),
     "--entity needs --kind", "en"),
    (("weekly", "--day", "sun", "--start", "02:00", "--end", "04:00", "--rule", "Nope"),
     "no rule is named or numbered 'Nope'", "en"),
])
def test_it_refuses_bad_input_in_one_line_and_stores_nothing(db_url, tmp_path, args, message,
                                                             lang):
    seed(db_url)
    reason = ("--reason", "Trio upgrade")
    done = run(db_url, tmp_path, "maintenance", "add", *args, *reason, lang=lang)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert windows(db_url) == [] and audit(db_url) == []


@pytest.mark.sqlite_only
def test_it_refuses_a_blank_reason_and_an_unknown_window(db_url, tmp_path):
    seed(db_url)
    blank = run(db_url, tmp_path, "maintenance", "add", "weekly", "--day", "sun", "--start",
                "02:00", "--end", "04:00", "--reason", "  ")
    assert blank.returncode == 2 and "give a reason" in blank.stderr
    missing = run(db_url, tmp_path, "maintenance", "remove", "999")
    assert missing.returncode == 1 and "No maintenance #999." in missing.stderr
    assert windows(db_url) == [] and audit(db_url) == []


def test_the_shared_checks_read_local_times_across_the_clock_change() -> None:
    # 2026-03-29 02:30 does not exist in Stockholm: the window starts at the jump (01:00 UTC).
    assert once_period("2026-03-29 02:30", "2026-03-29 04:00", TZ) == (
        ms("2026-03-29T01:00"), ms("2026-03-29T02:00"))
    assert once_period("2026-03-29 04:00", "2026-03-29 02:30", TZ) == "mnt_end_before_start"
    assert weekly_window(6, "22:00", "02:00", TZ) == Weekly((6,), 22 * 60, 120, TZ)
    assert weekly_window(7, "02:00", "04:00", TZ) == "flr_bad_weekday"
