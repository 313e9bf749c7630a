"""The command line as a first-time operator meets it (issue 11), in real processes
(tests/fixtures/cli_proc.py; the simulator and collector tests start `python -m`):
one line and exit 2 for what the operator must fix, usage for a bare command group, no
database created by a read, files 0600 in a 0700 folder, ports in use, status --check."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import storage
from storage import PollWrite, SourceFacts, Store
from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.live import free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

NO_SCHEMA = "trio-monitor: no schema: run trio-monitor db upgrade"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    return trio_cli(args, env={**clean, **(env or {})}, cwd=cwd, timeout=timeout)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- no schema, no database created ----------------------------------------------------------


@pytest.mark.parametrize("command", [["status"], ["users", "list"], ["displays", "list"],
                                     ["status", "--check"], ["collect"]])
def test_it_says_no_schema_in_one_line_and_creates_no_database(tmp_path, command) -> None:
    result = run(*command, cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result).startswith(NO_SCHEMA)
    assert list(tmp_path.iterdir()) == []  # neither data/ nor a database file


def test_it_says_no_schema_for_an_empty_database_file(tmp_path) -> None:
    db = tmp_path / "empty.db"
    engine = storage.make_engine(f"sqlite:///{db}")
    storage.ping(engine)  # creates the empty file
    engine.dispose()
    for command in (["status"], ["users", "list"], ["displays", "list"]):
        result = run(*command, env={"TRIO_MONITOR_DATABASE_URL": f"sqlite:///{db}"},
                     cwd=tmp_path)
        assert result.returncode == 2 and one_line(result) == NO_SCHEMA, command


def test_db_current_reports_an_empty_database_without_creating_it(tmp_path) -> None:
    result = run("db", "current", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("current: empty")
    assert list(tmp_path.iterdir()) == []


# -- unsupported and missing databases -------------------------------------------------------


COMMANDS = [["check-config"], ["collect"], ["status"], ["web"], ["serve"], ["db", "upgrade"],
            ["db", "current"], ["users", "list"], ["displays", "list"], ["trio", "probe"],
            ["notify", "test", "x"]]


def test_it_refuses_an_unsupported_database_url_in_every_command(tmp_path) -> None:
    for command, url in zip(COMMANDS, ["nonsense://", "mysql://u:pw@h/db"] * len(COMMANDS),
                            strict=False):
        result = run(*command, env={"TRIO_MONITOR_DATABASE_URL": url}, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        line = one_line(result)
        assert "TRIO_MONITOR_DATABASE_URL: unsupported database URL" in line, command
        assert "pw" not in line  # a URL may carry a password: never echoed
    assert list(tmp_path.iterdir()) == []


def test_it_says_in_plain_words_that_a_postgresql_database_does_not_exist(
        tmp_path, pg_admin_url) -> None:
    from sqlalchemy.engine import make_url

    name = f"trio_missing_{os.getpid()}"
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    for command in (["status"], ["users", "list"], ["db", "upgrade"]):
        result = run(*command, env={"TRIO_MONITOR_DATABASE_URL": url}, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        line = one_line(result)
        assert f"the PostgreSQL database '{name}' does not exist" in line, line
        assert f"createdb {name}" in line


# -- files the owner only can read -----------------------------------------------------------


def test_it_creates_the_data_folder_0700_and_the_database_and_its_wal_files_0600(
        tmp_path) -> None:
    result = run("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data"
    db = data / "trio-monitor.db"
    assert mode(data) == 0o700 and mode(db) == 0o600
    # The -wal and -shm files exist while a connection is open.
    engine = storage.make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
            conn.commit()
            wal = [p for p in data.iterdir() if p.name.endswith(("-wal", "-shm"))]
            assert len(wal) == 2 and all(mode(p) == 0o600 for p in wal), wal
    finally:
        engine.dispose()


def test_it_creates_a_new_database_in_a_new_nested_folder_owner_only(tmp_path) -> None:
    db = tmp_path / "a" / "b" / "x.db"
    engine = storage.make_engine(f"sqlite:///{db}")
    try:
        storage.upgrade(engine)
    finally:
        engine.dispose()
    assert mode(db.parent) == 0o700 and mode(db) == 0o600


# -- ports in use ----------------------------------------------------------------------------


@pytest.fixture
def taken_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_web_and_serve_on_a_port_in_use_say_so_in_one_line(tmp_path, taken_port) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    engine = storage.make_engine(db)
    storage.upgrade(engine)
    engine.dispose()
    env = {"TRIO_MONITOR_DATABASE_URL": db, "TRIO_MONITOR_DATA_DIR": str(tmp_path),
           "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{taken_port}"}
    for command in ("web", "serve"):
        result = run(command, env=env, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert one_line(result).startswith(f"trio-monitor: port {taken_port} is in use")


def test_demo_on_a_port_in_use_says_so_in_one_line(tmp_path, taken_port) -> None:
    result = run("demo", "--port", str(taken_port), "--data-dir", str(tmp_path / "demo"),
                 cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result).startswith(f"trio-monitor: port {taken_port} is in use")


# -- usage and help --------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["db", "users", "displays", "trio", "notify"])
def test_a_command_group_alone_prints_its_own_usage(tmp_path, group) -> None:
    result = run(group, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: trio-monitor {group} ")
    assert "Traceback" not in result.stderr


def test_help_texts_carry_no_markup(tmp_path) -> None:
    helps = [run("--help", cwd=tmp_path)]
    helps += [run(*cmd, "--help", cwd=tmp_path) for cmd in (
        ["status"], ["demo"], ["db"], ["users"], ["users", "add"], ["displays", "add"])]
    for result in helps:
        assert result.returncode == 0, result.stderr
        assert not re.search(r"``|\*\*|:[a-z]+:`|`[^`]+`", result.stdout), result.stdout


def test_simulate_passes_its_help_and_port_to_the_simulator(tmp_path) -> None:
    helped = run("simulate", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--port" in helped.stdout and "--queues" in helped.stdout
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "trio_monitor", "simulate", "--port",
                             str(port)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/"), 30, "simulator on --port")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


# -- status and status --check ---------------------------------------------------------------


@pytest.fixture
def site(tmp_path):
    """A database and a configuration watching one Trio site, one reconciler and one
    worker (a configured health target)."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    engine = storage.make_engine(db)
    storage.upgrade(engine)
    env = {
        "TRIO_MONITOR_DATABASE_URL": db, "TRIO_MONITOR_DATA_DIR": str(tmp_path),
        "TRIO_MONITOR_TRIO_BASE_URL": "http://127.0.0.1:9/te/api",
        "TRIO_MONITOR_TRIO_CLIENT_KEY": "k", "TRIO_MONITOR_TRIO_USERNAME": "u",
        "TRIO_MONITOR_TRIO_PASSWORD": "p", "TRIO_MONITOR_POLL_INTERVAL_S": "5",
        "TRIO_MONITOR_DRIFT_SOURCES": json.dumps([{"name": "recon", "url":
                                                   "http://127.0.0.1:9/drift"}]),
        "TRIO_MONITOR_HEALTH_TARGETS": json.dumps([{"name": "worker-1", "url":
                                                    "http://127.0.0.1:9/health"}]),
    }
    from trio_monitor.settings import load_settings
    from trio_monitor.wiring import sync_configured_targets

    class _Clock:
        def time(self) -> float:
            return time.time()

    settings = load_settings(**{k.removeprefix("TRIO_MONITOR_").lower(): v
                                for k, v in env.items()})
    sync_configured_targets(settings, engine, _Clock())  # type: ignore[arg-type]
    try:
        yield env, Store(engine)
    finally:
        engine.dispose()


def _facts(store: Store, name: str, kind: str, now_ms: int, **changes) -> None:
    values = {"last_poll_at_ms": now_ms, "last_success_at_ms": now_ms, **changes}
    facts = SourceFacts(name=name, kind=kind, url="http://127.0.0.1:9/", **values)
    store.write_poll(PollWrite(source=name, samples=[], agents=None, facts=facts),
                     lease_name=None, lease_token=None, now_ms=now_ms)


def _all_up(store: Store, now_ms: int) -> None:
    _facts(store, "trio", "trio", now_ms)
    _facts(store, "drift:recon", "drift", now_ms)
    _facts(store, "health:worker-1", "health", now_ms, state="up")


def test_status_lists_queues_workers_and_reconcilers_apart(site, tmp_path) -> None:
    env, store = site
    _all_up(store, int(time.time() * 1000))
    result = run("status", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title, name in (("Trio sites:", "trio:"), ("workers:", "health:worker-1:"),
                        ("reconcilers:", "drift:recon:"), ("queues:", None)):
        assert f"\n{title}\n" in out, out
        if name:
            section = out.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0]
            assert section.strip().startswith(name), (title, section)


def test_status_check_exits_0_with_a_collector_and_every_source_up(site, tmp_path) -> None:
    env, store = site
    now_ms = int(time.time() * 1000)
    assert store.acquire_lease("collector", "host-a:1", 600_000, now_ms) is not None
    _all_up(store, now_ms)
    result = run("status", "--check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_status_check_exits_1_with_one_line_per_problem(site, tmp_path) -> None:
    env, store = site
    now_ms = int(time.time() * 1000)
    # No lease; the Trio site failing with its breaker open; the worker down; the
    # reconciler never polled.
    _facts(store, "trio", "trio", now_ms, breaker_state="open", consecutive_failures=4,
           last_error="connect timeout", failing_since_ms=now_ms - 60_000,
           last_success_at_ms=now_ms - 3_600_000)
    _facts(store, "health:worker-1", "health", now_ms, state="down", consecutive_failures=1,
           last_error="503", failing_since_ms=now_ms)
    result = run("status", "--check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("collector: none active")
    assert "drift:recon: not polled yet" in lines
    assert any(line.startswith("trio: breaker open") and "connect timeout" in line
               for line in lines)
    assert any(line.startswith("trio: last success 60 min ago") for line in lines)
    assert "health:worker-1: state down" in lines
    assert all(":" in line for line in lines) and len(lines) == 6, lines


# -- the demo --------------------------------------------------------------------------------


def test_demo_prints_its_banner_once_the_app_answers_with_credentials_that_probe(
        tmp_path) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trio_monitor", "demo", "--port", str(port), "--data-dir",
         str(tmp_path / "demo"), "--history-days", "0"],
        env={**clean, "TRIO_MONITOR_LOG_FORMAT": "json"},
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Trio Monitor demo"), first
        # The banner comes only once the web app answers.
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        banner = first + "".join(proc.stdout.readline() for _ in range(5))
        probe = re.search(r"try it:  (.+) trio-monitor trio probe", banner)
        assert probe, banner
        assert "TRIO_MONITOR_TRIO_USERNAME=monitor" in probe.group(1)
        env = dict(item.split("=", 1) for item in probe.group(1).split())
        result = run("trio", "probe", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "queues (" in result.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0
