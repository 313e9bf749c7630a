"""The wall screen's pure state logic: tile levels and site totals."""

from __future__ import annotations

import pytest

from dashboard import DashboardConfig, Snapshot
from dashboard.status import AlertKind, SiteLevel, TileLevel, site_state, source_alerts, tile_level
from tests.fixtures.dashboard import queue

CONFIG = DashboardConfig()  # warn 15 s, critical 20 s, SL target 80 %, stale after 15 s
NOW = 1_700_000_000_000


@pytest.mark.parametrize(
    ("wait", "service_level", "expected"),
    [
        (0.0, 95.0, TileLevel.OK),
        (14.9, 80.0, TileLevel.OK),  # the target itself is met
        (15.0, 95.0, TileLevel.WARNING),
        (19.9, 95.0, TileLevel.WARNING),
        (20.0, 95.0, TileLevel.CRITICAL),
        (300.0, 10.0, TileLevel.CRITICAL),
        (0.0, 79.9, TileLevel.WARNING),
    ],
)
def test_it_colours_a_fresh_open_queue_by_thresholds(
    wait: float, service_level: float, expected: TileLevel
) -> None:
    view = queue(ts_ms=NOW, longest_wait_s=wait, service_level_pct=service_level)
    assert tile_level(view, NOW, CONFIG) is expected


def test_it_ignores_a_missing_service_level() -> None:
    view = queue(ts_ms=NOW)
    del view.metrics["service_level_pct"]
    assert tile_level(view, NOW, CONFIG) is TileLevel.OK


def test_it_shows_a_closed_queue_as_closed_never_red() -> None:
    view = queue(ts_ms=NOW, open=0.0, longest_wait_s=900.0, service_level_pct=0.0)
    assert tile_level(view, NOW, CONFIG) is TileLevel.CLOSED


def test_it_marks_data_older_than_three_polls_stale_at_the_boundary() -> None:
    limit_ms = 3 * 5_000
    view = queue(ts_ms=NOW - limit_ms, longest_wait_s=30.0)
    assert tile_level(view, NOW, CONFIG) is TileLevel.CRITICAL
    assert tile_level(view, NOW + 1, CONFIG) is TileLevel.STALE


def test_it_prefers_stale_over_closed_because_both_are_old_news() -> None:
    view = queue(ts_ms=NOW - 60_000, open=0.0)
    assert tile_level(view, NOW, CONFIG) is TileLevel.STALE


def test_it_reports_no_data_when_the_last_poll_had_no_wait_figures() -> None:
    view = queue(ts_ms=NOW)
    view.metrics.clear()
    assert tile_level(view, NOW, CONFIG) is TileLevel.NO_DATA


def test_it_follows_the_configured_thresholds() -> None:
    strict = DashboardConfig(wait_warn_s=5, wait_crit_s=10, sl_target_pct=99)
    assert tile_level(queue(ts_ms=NOW, longest_wait_s=6), NOW, strict) is TileLevel.WARNING
    assert tile_level(queue(ts_ms=NOW, longest_wait_s=10), NOW, strict) is TileLevel.CRITICAL


def _snapshot(*queues: object, **changes: object) -> Snapshot:
    values: dict[str, object] = {
        "version": 1, "taken_at_ms": NOW, "queues": list(queues), "collector_active": True,
        **changes,
    }
    return Snapshot(**values)  # type: ignore[arg-type]


def test_it_totals_only_fresh_open_queues() -> None:
    snapshot = _snapshot(
        queue("1", "A", NOW, calls_waiting=2, longest_wait_s=16, agents_available=3),
        queue("2", "B", NOW, calls_waiting=5, longest_wait_s=25, agents_available=1),
        queue("3", "Closed", NOW, open=0.0, calls_waiting=9, longest_wait_s=99,
              agents_available=7),
        queue("4", "Stale", NOW - 60_000, calls_waiting=8, longest_wait_s=500,
              agents_available=6),
    )
    site = site_state(snapshot, NOW, CONFIG)
    assert (site.waiting_total, site.longest_wait_s, site.agents_available_total) == (7, 25, 4)
    assert (site.warnings, site.criticals, site.stale, site.closed) == (1, 1, 1, 1)
    assert site.counted == 2
    assert site.level is SiteLevel.CRITICAL


def test_it_does_not_call_stale_data_all_ok() -> None:
    snapshot = _snapshot(queue("1", "A", NOW), queue("2", "B", NOW - 60_000))
    assert site_state(snapshot, NOW, CONFIG).level is SiteLevel.STALE


def test_it_has_no_site_level_without_a_collector_or_database() -> None:
    calm = queue("1", "A", NOW)
    assert site_state(_snapshot(calm, collector_active=False), NOW, CONFIG).level is (
        SiteLevel.UNAVAILABLE)
    assert site_state(_snapshot(db_error="down"), NOW, CONFIG).level is SiteLevel.UNAVAILABLE
    assert site_state(_snapshot(calm), NOW, CONFIG).level is SiteLevel.OK


def test_it_lists_only_the_database_error_when_the_database_is_down() -> None:
    assert source_alerts(_snapshot(db_error="down", collector_active=False)) == [
        AlertKind.DB_UNAVAILABLE]
