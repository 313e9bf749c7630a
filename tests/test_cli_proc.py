"""The CLI tests' way to run a command (tests/fixtures/cli_proc.py): what it hands back is
what ``python -m trio_monitor`` gives, and a command past its time is killed, not waited
for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.live import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def python_m(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trio_monitor", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["--version"], ["status"], ["users", "nope"], ["db"]])
def test_it_gives_what_python_m_gives(tmp_path: Path, args: list[str]) -> None:
    """Exit code, standard output and error alike: a result, a one-line refusal (no
    schema: its own folder and environment), argparse's usage error, a group's usage."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    env["TRIO_MONITOR_DATA_DIR"] = str(tmp_path / "data")
    forked, started = trio_cli(args, env=env, cwd=tmp_path), python_m(args, env, tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        started.returncode, started.stdout, started.stderr)
    assert started.stdout or started.stderr  # each says something


def test_its_standard_input_is_not_a_terminal_like_a_pipe(tmp_path: Path) -> None:
    """``users add`` without a terminal asks for --password-file, as from a pipe."""
    env = {**os.environ, "TRIO_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    assert trio_cli(["db", "upgrade"], env=env, cwd=tmp_path).returncode == 0
    forked = trio_cli(["users", "add", "bo"], env=env, cwd=tmp_path, input="whatever\n")
    started = subprocess.run([sys.executable, "-m", "trio_monitor", "users", "add", "bo"],
                             env=env, cwd=tmp_path, capture_output=True, text=True,
                             input="whatever\n", timeout=60)
    assert forked.returncode == started.returncode == 2
    assert forked.stderr == started.stderr and "--password-file" in forked.stderr


def test_a_command_past_its_time_is_killed(tmp_path: Path) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        trio_cli(["simulate", "--port", str(free_port())], env=dict(os.environ),
                 cwd=tmp_path, timeout=2)
