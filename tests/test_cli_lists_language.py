"""`users list` and `displays list` in the CLI's one language (TRIO_MONITOR_LANGUAGE,
else the terminal's): Swedish words and durations, times in the site's zone, the same
columns and exit statuses as in English."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

import auth
import storage
from tests.test_cli_operator import run
from trio_monitor.cli import display_line, message_line, user_line

NOW = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
TZ = "Europe/Stockholm"
_ENGLISH = re.compile(r"\b(never|ago|seen|revoked|active|disabled|last|login|view|on|"
                      r"screens?|withdrawn|by|expired|until|all)\b")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    auth.add_user(engine, "anna", "ett-långt-lösenord-1", auth.Role.ADMIN, clock=lambda: NOW / 1000)
    auth.add_user(engine, "bo", "ett-långt-lösenord-2", auth.Role.VIEWER, clock=lambda: NOW / 1000)
    auth.disable_user(engine, "bo")
    auth.create_display(engine, "Reception", clock=lambda: NOW / 1000)
    engine.dispose()
    return url


def _rows(db_url: str) -> tuple[list[auth.User], list[storage.DisplayRow]]:
    engine = storage.make_engine(db_url)
    try:
        return auth.list_users(engine), auth.list_displays(engine)
    finally:
        engine.dispose()


def test_it_lists_users_in_swedish_with_the_login_in_the_sites_zone(db_url: str) -> None:
    [anna, bo] = _rows(db_url)[0]
    anna = replace(anna, last_login_at_ms=NOW)
    assert user_line(anna, TZ, "sv").split() == [
        "anna", "admin", "aktiv", "senaste", "inloggning", "2023-11-14", "23:13:20", "CET"]
    assert user_line(bo, TZ, "sv").split() == [
        "bo", "viewer", "avstängd", "senaste", "inloggning", "aldrig"]
    assert user_line(bo, TZ, "en").split() == [
        "bo", "viewer", "disabled", "last", "login", "never"]


def test_it_lists_display_tokens_in_swedish(db_url: str) -> None:
    [screen] = _rows(db_url)[1]
    seen = replace(screen, last_seen_at_ms=NOW - 95_000, last_addr="10.0.0.7", last_page="/",
                   view_id=4)
    assert "aldrig sedd" in display_line(screen, {}, NOW, "sv")
    line = display_line(seen, {4: "sales"}, NOW, "sv")
    assert "sedd för 95 s sedan" in line and line.endswith("10.0.0.7 / teamskärm sales")
    assert "återkallad" in display_line(replace(screen, revoked_at_ms=NOW), {}, NOW, "sv")
    for row in (screen, seen, replace(screen, revoked_at_ms=NOW)):
        assert not _ENGLISH.findall(display_line(row, {4: "sales"}, NOW, "sv"))
    # English as before.
    assert "seen 95 s ago" in display_line(seen, {4: "sales"}, NOW, "en")
    assert display_line(seen, {4: "sales"}, NOW, "en").endswith("view sales")


def test_it_lists_floor_messages_in_swedish() -> None:
    row = storage.FloorMessageRow(id=3, text="Fire drill", displays=(), created_by="anna",
                                  expires_at_ms=NOW + 600_000, created_at_ms=NOW - 60_000,
                                  withdrawn_at_ms=None, withdrawn_by=None)
    withdrawn = replace(row, displays=(4, 5), withdrawn_at_ms=NOW, withdrawn_by="anna")
    assert message_line(row, NOW, TZ, "sv").split() == [
        "3", "visas", "till", "2023-11-14", "23:23:20", "CET", "skärmar", "alla", "Fire",
        "drill"]
    assert "tillbakadraget av anna" in message_line(withdrawn, NOW + 1, TZ, "sv")
    assert "utgånget" in message_line(row, NOW + 600_000, TZ, "sv")
    for shown in (row, withdrawn):
        assert not _ENGLISH.findall(message_line(shown, NOW + 1, TZ, "sv").replace(
            "Fire drill", ""))
    assert message_line(row, NOW, TZ, "en").split()[1:3] == ["on", "screens"]
    assert "withdrawn by anna" in message_line(withdrawn, NOW + 1, TZ, "en")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_list_commands_speak_swedish_with_the_same_exit_statuses(
    db_url: str, tmp_path: Path
) -> None:
    for lang, words in (("sv", ("avstängd", "aldrig sedd")), ("en", ("disabled", "seen never"))):
        env = {"TRIO_MONITOR_DATABASE_URL": db_url, "TRIO_MONITOR_LANGUAGE": lang}
        users = run("users", "list", env=env, cwd=tmp_path)
        displays = run("displays", "list", env=env, cwd=tmp_path)
        assert users.returncode == 0 and displays.returncode == 0, users.stderr + displays.stderr
        assert len(users.stdout.splitlines()) == 2 and len(displays.stdout.splitlines()) == 1
        assert words[0] in users.stdout and words[1] in displays.stdout
        if lang == "sv":
            assert not _ENGLISH.findall(users.stdout + displays.stdout)
