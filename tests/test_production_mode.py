"""Production mode refuses what is unsafe (issue 11): each refusal is one line naming the
setting, and exit status 2, from the real command in a subprocess."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import storage
from tests.fixtures.cli_proc import trio_cli
from trio_monitor.entropy import estimate_bits
from trio_monitor.settings import MIN_SECRET_KEY_BITS, load_settings
from trio_monitor.webapp import create_app

pytestmark = [pytest.mark.timeout(120)]

# Random keys, generated once and pinned so the test is deterministic.
GOOD_KEYS = [
    "hV3q0m2oQ1tPz-8wXr_5nB7kLcYdJfGa9sE4uTiKvR6yMbNl0OpWxZq2Ce7Ah1Dj",  # token_urlsafe(48)
    "4f9c2b8e71d03a6f5e2c9b0d8a7f6e5d4c3b2a19f8e7d6c5b4a39281706f5e4d",  # token_hex(32)
    "c1a7e99f04b2d3e58f6a0b7c2d9e1f3a",  # token_hex(16), 128 bits
]
WEAK_KEYS = {
    "one repeated character": "a" * 48,
    "a repeated pair": "ab" * 24,
    "a sequence": "abcdefghijklmnopqrstuvwxyz0123456789",
    "a repeated word": "password" * 5,
    "a repeated pattern of four classes": "Aa1!" * 12,
    "digits counting": "0123456789" * 4,
    "two characters at random": "abbabaababbbabaabbabaababaabbbabaabbababbaab",
    "a keyboard walk and a word": "qwertyuiopasdfghjklzxcvbnm-changeme-secret",
    "a long run with a tail": "x" * 40 + "Q7#",
}


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_MONITOR_")}
    return trio_cli(args, env={**clean, **env}, cwd=cwd)


@pytest.fixture
def production(tmp_path: Path) -> dict[str, str]:
    """A production configuration that is accepted; each test spoils one thing."""
    db = f"sqlite:///{tmp_path / 'data' / 'trio-monitor.db'}"
    engine = storage.make_engine(db)
    storage.upgrade(engine)
    engine.dispose()
    return {
        "TRIO_MONITOR_MODE": "production",
        "TRIO_MONITOR_DATABASE_URL": db,
        "TRIO_MONITOR_DATA_DIR": str(tmp_path / "data"),
        "TRIO_MONITOR_SECRET_KEY": GOOD_KEYS[0],
        "TRIO_MONITOR_WEB_COOKIE_SECURE": "true",
        "TRIO_MONITOR_PUBLIC_URL": "https://monitor.example.se",
        "TRIO_MONITOR_LOG_FORMAT": "json",
    }


def assert_refused(result: subprocess.CompletedProcess[str], setting: str) -> str:
    # check-config also warns about a Trio site not configured (not a refusal).
    lines = [line for line in result.stderr.strip().splitlines()
             if not line.startswith("warning: ")]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, lines
    assert setting in lines[0] and "Traceback" not in result.stderr
    return lines[0]


def test_it_accepts_a_safe_production_configuration(production, tmp_path) -> None:
    result = run("check-config", env=production, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("command", "what"), [("web", "one repeated character"),
                                               ("check-config", "a repeated word")])
def test_it_refuses_a_guessable_secret_key(production, tmp_path, command, what) -> None:
    env = {**production, "TRIO_MONITOR_SECRET_KEY": WEAK_KEYS[what]}
    line = assert_refused(run(command, env=env, cwd=tmp_path), "TRIO_MONITOR_SECRET_KEY")
    assert "guessable" in line and WEAK_KEYS[what] not in line


@pytest.mark.parametrize("what", sorted(WEAK_KEYS))
def test_it_finds_each_kind_of_guessable_key(what) -> None:
    settings = load_settings(mode="production", secret_key=WEAK_KEYS[what],
                             web_cookie_secure=True, public_url="https://m.example.se")
    [problem] = settings.web_problems()
    assert problem.startswith("TRIO_MONITOR_SECRET_KEY (or _FILE) is guessable")


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_it_estimates_random_keys_above_the_bar_and_patterns_far_below(key) -> None:
    assert estimate_bits(key) >= MIN_SECRET_KEY_BITS
    assert all(estimate_bits(weak) < MIN_SECRET_KEY_BITS * 0.75 for weak in WEAK_KEYS.values())


@pytest.mark.parametrize("command", ["web", "check-config"])
def test_it_refuses_session_cookies_without_secure(production, tmp_path, command) -> None:
    env = {**production, "TRIO_MONITOR_WEB_COOKIE_SECURE": "false"}
    assert_refused(run(command, env=env, cwd=tmp_path), "TRIO_MONITOR_WEB_COOKIE_SECURE")


def test_it_accepts_tls_ending_at_a_proxy_and_still_marks_cookies_secure(
        production, tmp_path) -> None:
    env = {**production, "TRIO_MONITOR_WEB_COOKIE_SECURE": "false",
           "TRIO_MONITOR_WEB_TLS_PROXY": "true"}
    assert run("check-config", env=env, cwd=tmp_path).returncode == 0
    settings = load_settings(
        mode="production", database_url=production["TRIO_MONITOR_DATABASE_URL"],
        secret_key=GOOD_KEYS[0], web_tls_proxy=True, public_url="https://monitor.example.se")
    engine = storage.make_engine(settings.database_url)
    try:
        app = create_app(settings, engine)
        response = app.test_client().get("/login", base_url="https://monitor.example.se")
        cookies = response.headers.getlist("Set-Cookie")
        assert cookies and all("; Secure" in c for c in cookies), cookies
    finally:
        engine.dispose()


@pytest.mark.parametrize(("command", "mode", "who"), [
    ("web", 0o644, "group and others"), ("collect", 0o640, "group"),
    ("check-config", 0o604, "others")])
def test_it_refuses_a_secret_file_others_can_read(production, tmp_path, command, mode,
                                                  who) -> None:
    path = tmp_path / "secret-key"
    path.write_text(GOOD_KEYS[0] + "\n", encoding="utf-8")
    path.chmod(mode)
    env = {k: v for k, v in production.items() if k != "TRIO_MONITOR_SECRET_KEY"}
    env["TRIO_MONITOR_SECRET_KEY_FILE"] = str(path)
    line = assert_refused(run(command, env=env, cwd=tmp_path), "TRIO_MONITOR_SECRET_KEY_FILE")
    assert f"readable by {who}" in line and f"{mode:04o}" in line and GOOD_KEYS[0] not in line
    path.chmod(0o600)
    assert run("check-config", env=env, cwd=tmp_path).returncode == 0


def test_it_checks_every_secret_file_not_only_the_key(production, tmp_path) -> None:
    path = tmp_path / "trio-password"
    path.write_text("hemlis", encoding="utf-8")
    path.chmod(0o644)
    env = {**production, "TRIO_MONITOR_TRIO_PASSWORD_FILE": str(path)}
    assert_refused(run("check-config", env=env, cwd=tmp_path),
                   "TRIO_MONITOR_TRIO_PASSWORD_FILE")


@pytest.mark.parametrize("command", ["web", "collect"])
def test_it_refuses_no_public_url(production, tmp_path, command) -> None:
    env = {k: v for k, v in production.items() if k != "TRIO_MONITOR_PUBLIC_URL"}
    assert_refused(run(command, env=env, cwd=tmp_path), "TRIO_MONITOR_PUBLIC_URL")


def test_it_names_each_problem_on_its_own_line(production, tmp_path) -> None:
    env = {**production, "TRIO_MONITOR_SECRET_KEY": "a" * 40,
           "TRIO_MONITOR_WEB_COOKIE_SECURE": "false"}
    del env["TRIO_MONITOR_PUBLIC_URL"]
    result = run("web", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    for setting in ("PUBLIC_URL", "SECRET_KEY", "WEB_COOKIE_SECURE"):
        assert sum(f"TRIO_MONITOR_{setting}" in line for line in lines) == 1, (setting, lines)


def test_it_refuses_a_public_url_of_plain_http_to_a_remote_host() -> None:
    settings = load_settings(mode="production", secret_key=GOOD_KEYS[0],
                             web_cookie_secure=True, public_url="http://monitor.example.se")
    [problem] = settings.refusals(web=True)
    assert problem.startswith("TRIO_MONITOR_PUBLIC_URL uses plain http")
    local = load_settings(mode="production", secret_key=GOOD_KEYS[0],
                          web_cookie_secure=True, public_url="http://127.0.0.1:8050")
    assert local.refusals(web=True) == []
