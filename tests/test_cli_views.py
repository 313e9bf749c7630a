"""``trio-monitor displays add/set --queues --title`` and ``views ...`` in a real
subprocess, on the database the settings name (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import storage
from tests.fixtures.cli_proc import trio_cli

pytestmark = [pytest.mark.timeout(180)]


def run(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    env = {**clean, "TRIO_MONITOR_DATABASE_URL": db_url,
           "TRIO_MONITOR_PUBLIC_URL": "https://wall.example"}
    return trio_cli(args, env=env, cwd=cwd)


def stored(db_url: str) -> tuple[list[storage.ViewRow], list[storage.DisplayRow]]:
    engine = storage.make_engine(db_url)
    try:
        return storage.ViewStore(engine).list(), storage.DisplayStore(engine).list()
    finally:
        engine.dispose()


def test_a_screen_made_with_queues_and_a_title_shows_them_in_that_order(db_url, tmp_path):
    done = run(db_url, tmp_path, "displays", "add", "Skärm 3", "--queues", "105,100,101",
               "--title", "Support", "--language", "sv")

    assert done.returncode == 0, done.stderr
    assert "https://wall.example/display/" in done.stdout
    assert "shows view 'skarm-3': 'Support', queues 105,100,101" in done.stdout
    assert "no queue 105, 100, 101 is reported now" in done.stdout
    [view], [screen] = stored(db_url)
    assert (view.name, view.title, view.queue_ids) == ("skarm-3", "Support",
                                                       ("105", "100", "101"))
    assert (screen.view_id, screen.language) == (view.id, "sv")

    changed = run(db_url, tmp_path, "displays", "set", str(screen.id), "--queues", "101,100",
                  "--title", "Support team", "--language", "en")
    assert changed.returncode == 0, changed.stderr
    [view], [screen] = stored(db_url)
    assert (view.title, view.queue_ids, screen.language) == (
        "Support team", ("101", "100"), "en")

    engine = storage.make_engine(db_url)
    try:
        actions = [row.action for row in reversed(storage.AlertStore(engine).audit_log())]
    finally:
        engine.dispose()
    assert actions == ["display.create", "view.create", "display.view", "display.language",
                       "view.update", "display.language"]


def test_saved_views_are_added_listed_bound_changed_and_removed(db_url, tmp_path):
    assert run(db_url, tmp_path, "views", "add", "sales", "--title", "Sales",
               "--queues", "200,201").returncode == 0
    added = run(db_url, tmp_path, "displays", "add", "Floor 2", "--view", "sales")
    assert added.returncode == 0, added.stderr
    listed = run(db_url, tmp_path, "views", "list")
    [line] = listed.stdout.splitlines()
    assert "sales" in line and "/?view=sales" in line and "200,201" in line
    [_view], [screen] = stored(db_url)
    assert f"screens {screen.id} " in line
    [screen_line] = run(db_url, tmp_path, "displays", "list").stdout.splitlines()
    assert "Floor 2" in screen_line and screen_line.endswith("view sales")

    assert run(db_url, tmp_path, "views", "set", "sales", "--queues", "201").returncode == 0
    [view], _ = stored(db_url)
    assert view.queue_ids == ("201",)

    removed = run(db_url, tmp_path, "views", "remove", "sales")
    assert removed.returncode == 0, removed.stderr
    views, [screen] = stored(db_url)
    assert views == [] and screen.view_id is None


@pytest.mark.parametrize(("args", "message"), [
    (("displays", "add", "S", "--queues", "1,,2"), "empty queue id"),
    (("displays", "add", "S", "--queues", "1,1"), "listed more than once"),
    (("displays", "add", "S", "--view", "nope"), "no view named 'nope'"),
    (("displays", "add", "S", "--view", "x", "--queues", "1"), "either --view or --queues"),
    (("displays", "add", "S", "--title", "T"), "--title needs --queues"),
    (("views", "add", "Bad Name", "--title", "T", "--queues", "1"), "invalid view name"),
])
def test_bad_input_is_refused_in_one_line_and_no_screen_is_made(db_url, tmp_path, args,
                                                                 message):
    done = run(db_url, tmp_path, *args)
    assert done.returncode != 0 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert stored(db_url) == ([], [])
