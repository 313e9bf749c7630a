"""`trio-monitor --version`, and a database that a newer release has migrated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import storage
from storage import SchemaOutOfDate, SchemaTooNew, check_schema, make_engine, upgrade
from trio_monitor import cli

FUTURE = "0999"


@pytest.fixture
def future_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database stamped with a revision of a release this code does not know."""
    path = tmp_path / "trio-monitor.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    finally:
        engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIO_MONITOR_DATABASE_URL", f"sqlite:///{path}")
    return path


def test_it_prints_the_installed_version() -> None:
    result = subprocess.run([sys.executable, "-m", "trio_monitor", "--version"],
                            capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 0
    from importlib.metadata import version

    assert result.stdout.strip() == f"trio-monitor {version('trio-monitor')}"


def test_it_says_a_newer_release_migrated_the_database(future_db: Path) -> None:
    engine = make_engine(f"sqlite:///{future_db}")
    try:
        with pytest.raises(SchemaTooNew) as caught:
            check_schema(engine)
    finally:
        engine.dispose()
    message = str(caught.value)
    assert f"revision {FUTURE}, newer than this version" in message
    assert storage.head_revision() in message
    assert "run `trio-monitor db upgrade`" not in message
    assert isinstance(caught.value, SchemaOutOfDate)  # callers that refuse an old one refuse it


def test_commands_refuse_it_in_one_line_and_db_upgrade_does_not_touch_it(
    future_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["status"], ["db", "upgrade"], ["users", "list"]):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        ours = [line for line in err.splitlines() if line.startswith("trio-monitor:")]
        assert len(ours) == 1 and "newer release has upgraded this database" in ours[0]
        assert "Traceback" not in err
    engine = make_engine(f"sqlite:///{future_db}")
    try:
        assert storage.current_revision(engine) == FUTURE
    finally:
        engine.dispose()


def test_an_unknown_older_revision_still_says_to_upgrade(
    future_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{future_db}")
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        with pytest.raises(SchemaOutOfDate, match="db upgrade") as caught:
            check_schema(engine)
    finally:
        engine.dispose()
    assert not isinstance(caught.value, SchemaTooNew)
