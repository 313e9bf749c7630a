"""deploy/systemd/: the units pass systemd's own checks, and they hand every secret the
product reads as a ``*_FILE`` setting through LoadCredential.

Checked with the systemd tools that work without systemd running (a container has no
PID 1 systemd): ``systemd-analyze verify`` (syntax, unknown keys, the executable),
``systemd-analyze security --offline`` (the sandbox) and ``systemd-sysusers --dry-run``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from trio_monitor.settings import ENV_PREFIX, Settings

UNITS = Path(__file__).resolve().parent.parent / "deploy" / "systemd"
INSTALLED = "/opt/trio-monitor/venv/bin/trio-monitor"
# systemd-analyze security's overall exposure, times ten: 2.0 and under is "OK".
MAX_EXPOSURE = 20
SECRETS = {"web": {"secret_key_file"}, "collect": {"trio_client_key_file", "trio_password_file"}}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is missing: apt-get install systemd")
    return path


def _unit(kind: str) -> str:
    return (UNITS / f"trio-monitor-{kind}.service").read_text(encoding="utf-8")


def _settings(unit: str, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", unit, re.M)


@pytest.fixture
def units(tmp_path: Path) -> list[Path]:
    """The units as installed, with ExecStart pointing at this checkout's command (verify
    checks that it is there and executable)."""
    command = Path(sys.executable).parent / "trio-monitor"
    assert command.exists()
    copies = []
    for kind in ("web", "collect"):
        text = _unit(kind)
        assert INSTALLED in text
        copy = tmp_path / f"trio-monitor-{kind}.service"
        copy.write_text(text.replace(INSTALLED, str(command)), encoding="utf-8")
        copies.append(copy)
    return copies


def test_it_passes_systemd_analyze_verify(units: list[Path]) -> None:
    result = subprocess.run([_tool("systemd-analyze"), "verify", "--man=no", *map(str, units)],
                            capture_output=True, text=True, timeout=60, cwd=units[0].parent)
    # Unknown keys and bad values are only warnings: any output is a failure here.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_its_sandbox_rates_ok_in_systemd_analyze_security(units: list[Path]) -> None:
    result = subprocess.run(
        [_tool("systemd-analyze"), "security", "--offline=true",
         f"--threshold={MAX_EXPOSURE}", "--no-pager", *map(str, units)],
        capture_output=True, text=True, timeout=60, cwd=units[0].parent)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["web", "collect"])
def test_it_runs_as_its_own_user_in_a_sandbox(kind: str) -> None:
    unit = _unit(kind)
    expected = {
        "ExecStart": f"{INSTALLED} {kind}", "User": "trio-monitor", "Group": "trio-monitor",
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "StateDirectory": "trio-monitor", "StateDirectoryMode": "0700",
        "Restart": "on-failure", "RestartPreventExitStatus": "2", "UMask": "0077",
    }
    assert {key: _settings(unit, key) for key in expected} == {
        key: [value] for key, value in expected.items()}
    environment = dict(v.split("=", 1) for v in _settings(unit, "Environment"))
    # The data folder is the writable state folder; everything else is read-only.
    assert environment[ENV_PREFIX + "DATA_DIR"] == "/var/lib/trio-monitor"
    assert environment[ENV_PREFIX + "MODE"] == "production"
    assert environment[ENV_PREFIX + "LOG_FORMAT"] == "json"


@pytest.mark.parametrize("kind", ["web", "collect"])
def test_it_hands_its_secrets_as_credentials_read_as_file_settings(kind: str) -> None:
    unit = _unit(kind)
    credentials = dict(c.split(":", 1) for c in _settings(unit, "LoadCredential"))
    files = {
        name.removeprefix(ENV_PREFIX).lower(): value
        for name, value in (v.split("=", 1) for v in _settings(unit, "Environment"))
        if name.endswith("_FILE")
    }
    assert set(files) == SECRETS[kind]
    secret_settings = {name for name in Settings.model_fields if name.endswith("_file")}
    assert set(files) <= secret_settings
    for setting, path in files.items():
        credential = setting.removesuffix("_file")
        assert path == f"%d/{credential}"
        assert credentials[credential] == f"/etc/trio-monitor/credentials/{credential}"
    assert "secret" not in " ".join(_settings(unit, "EnvironmentFile")).lower()


def test_every_secret_setting_has_a_credential_in_a_unit() -> None:
    """A ``*_FILE`` setting added later is handed over by a unit (or named, commented,
    for an optional one)."""
    text = _unit("web") + _unit("collect")
    for name in Settings.model_fields:
        if name.endswith("_file"):
            assert f"{ENV_PREFIX}{name.upper()}=%d/{name.removesuffix('_file')}" in text, name


def test_its_user_is_made_by_systemd_sysusers(tmp_path: Path) -> None:
    result = subprocess.run(
        [_tool("systemd-sysusers"), f"--root={tmp_path}", "--dry-run",
         str(UNITS / "trio-monitor.sysusers.conf")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Creating user 'trio-monitor'" in result.stdout + result.stderr


def _site_settings() -> dict[str, str]:
    values = dotenv_values(UNITS / "trio-monitor.env")
    return {key: value or "" for key, value in values.items()}


def test_its_site_settings_leave_the_units_own_settings_alone() -> None:
    """systemd lets EnvironmentFile= override Environment=: the example must not set
    what the units set, nor hold a secret."""
    site = _site_settings()
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    assert set(site) <= known
    for kind in ("web", "collect"):
        own = {v.split("=", 1)[0] for v in _settings(_unit(kind), "Environment")}
        assert not own & set(site), kind
    assert not [key for key in site if re.search(r"PASSWORD|_KEY$|SECRET", key)]


@pytest.mark.parametrize("kind", ["web", "collect"])
def test_production_accepts_its_settings_and_credentials_as_systemd_hands_them(
        kind: str, tmp_path: Path) -> None:
    """The unit's environment with the example site settings, and its credentials in a
    folder as systemd makes it: files that read as mode 0440 (an ACL's mask)."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    unit = _unit(kind)
    for item in _settings(unit, "LoadCredential"):
        name = item.split(":", 1)[0]
        (credentials / name).write_text(
            "Zq7-" + "".join(reversed(str(tmp_path))) + "-k3Y9pLw2xR8vN4tB6mC1", encoding="utf-8")
        (credentials / name).chmod(0o440)
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    for item in _settings(unit, "Environment"):
        key, value = item.split("=", 1)
        env[key] = value.replace("%d", str(credentials))
    env.update(_site_settings())
    env["CREDENTIALS_DIRECTORY"] = str(credentials)
    # What `web` refuses; `collect` also needs what polling Trio needs.
    problems = "s.refusals(web=True)" if kind == "web" else \
        "s.refusals(web=False) + s.trio_problems()"
    check = f"from trio_monitor.settings import load_settings; s = load_settings(); " \
            f"print({problems})"
    result = subprocess.run([sys.executable, "-c", check], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr
    # Outside the credentials folder the same files are refused as group-readable.
    del env["CREDENTIALS_DIRECTORY"]
    refused = subprocess.run([sys.executable, "-c", check], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert "readable by group" in refused.stdout
