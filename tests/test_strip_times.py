"""Every time on the wall's status strip and its no-collector banner is in the site's zone,
as the stale tiles' "as of" beside it is, whatever the server's zone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from dashboard import Snapshot
from dashboard.components.strip import build_status_strip, no_collector_text
from dashboard.readmodel import SourceView

# 2023-11-14 22:13:20 UTC: 23:13:20 in Stockholm, 17:13:20 in New York.
NOW = 1_700_000_000_000
SITE = "Europe/Stockholm"


@pytest.fixture(autouse=True)
def server_in_new_york() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def _failing() -> SourceView:
    return SourceView(
        name="trio", breaker_state="closed", breaker_opened_at_ms=None, failover_active=False,
        active_url=None, last_error="timeout", failing_since_ms=NOW - 60_000,
        last_success_ms=NOW - 70_000, consecutive_failures=3, state_reason="down",
    )


def test_it_says_since_when_polls_fail_in_the_sites_zone() -> None:
    snapshot = Snapshot(version=1, taken_at_ms=NOW, source=_failing(), collector_active=True)
    [line] = build_status_strip(snapshot, NOW, "en", SITE)
    assert "since 23:12:20" in line.children


def test_it_says_when_the_collector_stopped_in_the_sites_zone() -> None:
    snapshot = replace(Snapshot(version=1, taken_at_ms=NOW, source=None,
                                collector_active=False), collector_expired_at_ms=NOW - 5_000)
    assert "23:13:15" in no_collector_text(snapshot, NOW, "en", SITE)
