"""The trio-monitor command as an operator uses it, in real subprocesses."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.fixtures.cli_proc import trio_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def run(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    return trio_cli(args, env={**os.environ, **env}, cwd=cwd)


def test_check_config_masks_secrets(tmp_path):
    result = run(
        "check-config",
        env={"TRIO_MONITOR_TRIO_PASSWORD": "hemlis", "TRIO_MONITOR_TRIO_CLIENT_KEY": "nyckel"},
        cwd=tmp_path,
    )
    assert result.returncode == 0
    assert "hemlis" not in result.stdout and "nyckel" not in result.stdout
    assert "TRIO_MONITOR_TRIO_PASSWORD" in result.stdout and "********" in result.stdout


def test_collect_refuses_an_out_of_date_schema_and_db_upgrade_fixes_it(tmp_path, sim):
    env = {
        "TRIO_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
        "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
        "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
        "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
    }
    refused = run("collect", env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert "trio-monitor db upgrade" in refused.stderr and "Traceback" not in refused.stderr

    upgraded = run("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "empty ->" in upgraded.stdout


def test_collect_names_what_is_missing_from_a_half_configured_trio_site(tmp_path):
    result = run("collect", env={"TRIO_MONITOR_TRIO_BASE_URL": "http://127.0.0.1:9/te/api",
                                 "TRIO_MONITOR_TRIO_USERNAME": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TRIO_MONITOR_TRIO_USERNAME is not set" in result.stderr


def test_trio_probe_shows_the_fields_received_beside_the_mapping(tmp_path, sim):
    env = {
        "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
        "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
        "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
        "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
        "TRIO_MONITOR_TRIO_QUEUE_FIELDS": '{"longest_wait_s": "maxwait"}',
    }
    result = run("trio", "probe", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "longest_wait_s       maxwait              MISSING" in result.stdout
    assert "received but not mapped: longestwaittime" in result.stdout


def test_production_mode_refuses_plain_http_to_a_remote_server(tmp_path):
    env = {
        "TRIO_MONITOR_MODE": "production",
        "TRIO_MONITOR_TRIO_BASE_URL": "http://trio.example.se/te/api",
        "TRIO_MONITOR_TRIO_CLIENT_KEY": "k", "TRIO_MONITOR_TRIO_USERNAME": "u",
        "TRIO_MONITOR_TRIO_PASSWORD": "p",
    }
    result = run("collect", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "plain http to a remote host; use https" in result.stderr
