"""Settings: defaults, *_FILE secrets, readable one-line errors, masking."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures.cli_proc import trio_cli
from trio_monitor.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("TRIO_MONITOR_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_it_defaults_to_sqlite_in_the_data_folder_and_derives_the_deadline():
    settings = load_settings()
    assert settings.database_url == "sqlite:///data/trio-monitor.db"
    assert settings.poll_deadline_s == pytest.approx(4.0)


def test_it_names_the_variable_and_what_it_expects(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_POLL_INTERVAL_S", "fast")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.lines == [
        "TRIO_MONITOR_POLL_INTERVAL_S: Input should be a valid number, unable to parse "
        "string as a number, got 'fast'"
    ]


def test_it_rejects_a_deadline_longer_than_the_interval(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_POLL_INTERVAL_S", "5")
    monkeypatch.setenv("TRIO_MONITOR_POLL_DEADLINE_S", "9")
    with pytest.raises(ConfigError, match="POLL_DEADLINE_S .* must not exceed"):
        load_settings()


def test_it_rejects_unknown_metrics_in_the_field_mapping(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_TRIO_QUEUE_FIELDS", '{"wait": "x"}')
    with pytest.raises(ConfigError, match="TRIO_MONITOR_TRIO_QUEUE_FIELDS: unknown metric"):
        load_settings()


def test_it_rejects_a_mapping_that_is_not_json(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_TRIO_QUEUE_FIELDS", "{calls_waiting: x}")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        load_settings()


def test_it_merges_the_field_mapping_over_the_defaults(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_TRIO_QUEUE_FIELDS", '{"longest_wait_s": "maxwait"}')
    fields = load_settings().queue_fields
    assert fields["longest_wait_s"] == "maxwait" and fields["calls_waiting"] == "callswaiting"


def test_it_reads_secrets_from_files(monkeypatch, tmp_path: Path):
    secret = tmp_path / "pw"
    secret.write_text("hemligt-lösen\n", encoding="utf-8")
    monkeypatch.setenv("TRIO_MONITOR_TRIO_PASSWORD_FILE", str(secret))
    settings = load_settings()
    assert settings.trio_password is not None
    assert settings.trio_password.get_secret_value() == "hemligt-lösen"


def test_it_refuses_a_secret_given_twice(monkeypatch, tmp_path: Path):
    secret = tmp_path / "pw"
    secret.write_text("a", encoding="utf-8")
    monkeypatch.setenv("TRIO_MONITOR_TRIO_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("TRIO_MONITOR_TRIO_PASSWORD", "b")
    with pytest.raises(ConfigError, match="not both"):
        load_settings()


def test_it_says_which_secret_file_cannot_be_read(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("TRIO_MONITOR_TRIO_CLIENT_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="TRIO_CLIENT_KEY_FILE: cannot read"):
        load_settings()


def test_it_masks_secrets_and_database_passwords():
    settings = load_settings(
        trio_password="s3cret", trio_client_key="k3y",
        database_url="postgresql+psycopg://mon:dbpw@db:5432/mon",
    )
    shown = "\n".join(f"{k}={v}" for k, v in settings.masked().items())
    assert "s3cret" not in shown and "k3y" not in shown and "dbpw" not in shown
    assert "TRIO_MONITOR_TRIO_PASSWORD=********" in shown
    assert "postgresql+psycopg://mon:********@db:5432/mon" in shown


def test_production_refuses_plain_http_to_a_remote_trio_server():
    settings = load_settings(mode="production", trio_base_url="http://trio.example.se/te/api")
    assert any("https" in p for p in settings.production_problems())
    local = load_settings(mode="production", trio_base_url="http://127.0.0.1:8080/te/api")
    assert local.production_problems() == []


def test_every_setting_is_documented_in_config_example_env():
    example = Path(__file__).resolve().parents[1] / "config.example.env"
    documented = {
        line.split("=", 1)[0]
        for line in example.read_text(encoding="utf-8").splitlines()
        if line.startswith("TRIO_MONITOR_")
    }
    assert set(load_settings().masked()) == documented


def test_the_cli_prints_one_line_and_exits_2_on_a_bad_value(tmp_path):
    env = {**os.environ, "TRIO_MONITOR_LEASE_TTL_S": "-1"}
    result = trio_cli(["check-config"], env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "trio-monitor: configuration error: TRIO_MONITOR_LEASE_TTL_S: "
        "Input should be greater than or equal to 1, got '-1'"
    ]
    assert "Traceback" not in result.stderr


def test_it_names_the_bad_item_of_a_json_list_without_echoing_the_list(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_HEALTH_TARGETS", json.dumps([
        {"name": "ok-worker", "url": "http://10.0.0.5:8080/health"},
        {"name": "bad", "url": "ftp://10.0.0.6/health", "conditions": ['status == "ok"'] * 5},
    ]))
    with pytest.raises(ConfigError) as err:
        load_settings()
    [line] = err.value.lines
    assert line.startswith("TRIO_MONITOR_HEALTH_TARGETS: targets[1].url:")
    assert "got '[" not in line


def test_it_names_settings_that_no_longer_do_anything() -> None:
    from trio_monitor.settings import removed_settings

    found = removed_settings({"TRIO_MONITOR_WAIT_WARN_S": "15", "TRIO_MONITOR_SITE_NAME": "x"})

    assert [name for name, _ in found] == ["TRIO_MONITOR_WAIT_WARN_S"]
    assert "/thresholds" in found[0][1]


# -- configs built from the settings of their area ------------------------------------------


def test_it_builds_each_config_from_the_settings_of_the_same_name(monkeypatch):
    monkeypatch.setenv("TRIO_MONITOR_HTTP_READ_TIMEOUT_S", "7")
    monkeypatch.setenv("TRIO_MONITOR_HTTP_MAX_BODY_MB", "2")
    monkeypatch.setenv("TRIO_MONITOR_RETRY_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("TRIO_MONITOR_LEASE_TTL_S", "20")
    monkeypatch.setenv("TRIO_MONITOR_LOGIN_LOCKOUT_S", "60")
    monkeypatch.setenv("TRIO_MONITOR_SITE_NAME", "Kundtjänst")
    settings = load_settings(trio_base_url="https://trio.example.se/te/api",
                             trio_client_key="k", trio_username="u", trio_password="p",
                             trio_page_size=50)

    http = settings.http_config()
    assert (http.read_timeout_s, http.max_body_bytes, http.verify_tls) == (7.0, 2 << 20, True)
    assert settings.retry_policy().max_attempts == 5
    assert (settings.runner_config().lease_ttl_s, settings.runner_config().poll_deadline_s) \
        == (20.0, 4.0)
    rollup = settings.rollup_config()
    assert (rollup.raw_days, rollup.batch_rows, rollup.login_failures_keep_s) \
        == (7, 5000, 900 + 60)
    trio = settings.trio_config(timezone="Europe/Stockholm")
    assert (trio.password, trio.client_key, trio.page_size, trio.charset) == ("p", "k", 50,
                                                                               "utf-8")
    auth = settings.auth_config(secret_key="x" * 40, public_paths=("/healthz",))
    assert (auth.lockout_duration_s, auth.site_name, auth.default_language) \
        == (60.0, "Kundtjänst", "en")
    board = settings.dashboard_config()
    assert (board.site_name, board.source_name, board.public_url) \
        == ("Kundtjänst", "trio", "http://127.0.0.1:8050")


def test_build_refuses_a_config_field_that_has_no_setting():
    from dataclasses import dataclass

    from trio_monitor.settings._common import build

    @dataclass
    class NewConfig:
        read_timeout_s: float = 1.0
        brand_new_s: float = 2.0

    with pytest.raises(TypeError, match="no setting for http_brand_new_s"):
        build(NewConfig, load_settings(), "http_")
    assert build(NewConfig, load_settings(), "http_", keep=("brand_new_s",)).read_timeout_s \
        == 10.0


def test_it_parses_json_lists_once(monkeypatch):
    from trio_monitor.settings import _sources

    monkeypatch.setenv("TRIO_MONITOR_DRIFT_SOURCES",
                       '[{"name": "rec", "url": "http://127.0.0.1:9000/drift"}]')
    settings = load_settings()
    first = settings.drift_source_specs()
    calls = []
    monkeypatch.setattr(_sources, "parse_drift_sources_json",
                        lambda text: calls.append(text) or [])

    assert [s.name for s in first] == ["rec"]
    assert settings.drift_source_specs() == settings.drift_source_specs() == first
    assert calls == []
