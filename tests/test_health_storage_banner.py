"""/health says when the database takes no writes, from the collector's status file (the
database cannot record its own failure): in the site's zone, in English and Swedish."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from collectors.clock import ManualClock
from dashboard import DashboardConfig
from dashboard import ids as dash_ids
from dashboard.components import health as health_ids
from specs.collector_status import StorageStatus, write_status
from tests.fixtures.screens import call, text_of

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def status_file(tmp_path: Path) -> Path:
    return tmp_path / "collector-status.json"


@pytest.fixture
def dashboard_config(status_file: Path) -> DashboardConfig:
    return DashboardConfig(collector_status_path=str(status_file), timezone="Europe/Stockholm")


def _grid(client: FlaskClient, lang: str) -> str:
    return text_of(call(client, health_ids.HEALTH_BODY,
                        {health_ids.HEALTH_REFRESH: 1, dash_ids.PAGES_LANG: lang},
                        (health_ids.HEALTH_REFRESH, "n_intervals"))[health_ids.HEALTH_BODY])


def _failing(clock: ManualClock, **changes: object) -> StorageStatus:
    now_ms = int(clock.time() * 1000)
    values: dict[str, object] = dict(
        holder="host:1", updated_at_ms=now_ms, fresh_until_ms=now_ms + 15_000,
        failing_since_ms=now_ms - 120_000, reason="attempt to write a readonly database",
        write_refused=True, buffered_polls=24, buffered_samples=480, lost_samples=0)
    values.update(changes)
    return StorageStatus(**values)  # type: ignore[arg-type]


def test_it_shows_a_database_refusing_writes_since_when_and_why(
    viewer: FlaskClient, clock: ManualClock, status_file: Path
) -> None:
    # The manual clock is at 2023-11-14T22:13:20Z: 23:11 in Stockholm two minutes before.
    write_status(status_file, _failing(clock))

    assert ("Storage failing since 23:11: attempt to write a readonly database. The "
            "collector holds 24 polls in memory; 0 samples lost") in _grid(viewer, "en")
    assert "Lagringen fungerar inte sedan 23:11" in _grid(viewer, "sv")


def test_it_says_nothing_when_storage_is_ok_or_the_file_is_stale(
    viewer: FlaskClient, clock: ManualClock, status_file: Path
) -> None:
    assert "Storage failing" not in _grid(viewer, "en"), "no file"
    write_status(status_file, _failing(clock, failing_since_ms=None, reason=None))
    assert "Storage failing" not in _grid(viewer, "en")
    write_status(status_file, _failing(clock, fresh_until_ms=int(clock.time() * 1000) - 1))
    assert "Storage failing" not in _grid(viewer, "en"), "from a collector that stopped"
