"""The wall screen's pure state logic: tile levels (from alert states) and site totals."""

from __future__ import annotations

import pytest

from dashboard import DashboardConfig, Snapshot
from dashboard.status import (
    NO_ALERTS,
    AlertKind,
    QueueAlerts,
    SiteLevel,
    TileLevel,
    alerts_by_queue,
    queue_alerts,
    site_state,
    source_alerts,
    tile_level,
)
from tests.fixtures.dashboard import alert_state, queue

CONFIG = DashboardConfig()  # SL target 80 %, stale after 15 s
NOW = 1_700_000_000_000


def _alerts(*states: object) -> QueueAlerts:
    return queue_alerts(states, (), {}, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ((), TileLevel.OK),
        ((alert_state(severity="warning"),), TileLevel.WARNING),
        ((alert_state(severity="critical"),), TileLevel.CRITICAL),
        ((alert_state(state="recovering", severity="critical"),), TileLevel.CRITICAL),
        ((alert_state(state="pending", severity="warning"),), TileLevel.OK),
        ((alert_state(metric="service_level_pct", severity="warning"),), TileLevel.WARNING),
        ((alert_state(severity="warning"), alert_state(metric="service_level_pct",
                                                       severity="critical")),
         TileLevel.CRITICAL),
        ((alert_state(state="nodata", severity="critical"),), TileLevel.OK),
    ],
)
def test_it_colours_a_fresh_open_queue_by_its_alert_states(
    states: tuple[object, ...], expected: TileLevel
) -> None:
    view = queue(ts_ms=NOW, longest_wait_s=95.0, service_level_pct=50.0)
    assert tile_level(view, NOW, CONFIG, _alerts(*states)) is expected


def test_it_never_colours_by_the_configured_thresholds_without_a_state() -> None:
    strict = DashboardConfig(sl_target_pct=99)
    view = queue(ts_ms=NOW, longest_wait_s=300.0, service_level_pct=10.0)
    assert tile_level(view, NOW, strict, NO_ALERTS) is TileLevel.OK


def test_it_ignores_a_missing_service_level() -> None:
    view = queue(ts_ms=NOW)
    del view.metrics["service_level_pct"]
    assert tile_level(view, NOW, CONFIG, NO_ALERTS) is TileLevel.OK


def test_it_shows_a_closed_queue_as_closed_never_red() -> None:
    view = queue(ts_ms=NOW, open=0.0, longest_wait_s=900.0, service_level_pct=0.0)
    assert tile_level(view, NOW, CONFIG, _alerts(alert_state())) is TileLevel.CLOSED


def test_it_marks_data_older_than_three_polls_stale_at_the_boundary() -> None:
    limit_ms = 3 * 5_000
    view = queue(ts_ms=NOW - limit_ms, longest_wait_s=30.0)
    firing = _alerts(alert_state())
    assert tile_level(view, NOW, CONFIG, firing) is TileLevel.CRITICAL
    assert tile_level(view, NOW + 1, CONFIG, firing) is TileLevel.STALE


def test_it_prefers_stale_over_closed_because_both_are_old_news() -> None:
    view = queue(ts_ms=NOW - 60_000, open=0.0)
    assert tile_level(view, NOW, CONFIG, NO_ALERTS) is TileLevel.STALE


def test_it_reports_no_data_when_the_last_poll_had_no_wait_figures() -> None:
    view = queue(ts_ms=NOW)
    view.metrics.clear()
    assert tile_level(view, NOW, CONFIG, NO_ALERTS) is TileLevel.NO_DATA


def _snapshot(*queues: object, **changes: object) -> Snapshot:
    values: dict[str, object] = {
        "version": 1, "taken_at_ms": NOW, "queues": list(queues), "collector_active": True,
        **changes,
    }
    return Snapshot(**values)  # type: ignore[arg-type]


def test_it_totals_only_fresh_open_queues() -> None:
    states = (alert_state("1", severity="warning"), alert_state("2"), alert_state("3"),
              alert_state("4"))
    snapshot = _snapshot(
        queue("1", "A", NOW, calls_waiting=2, longest_wait_s=16, agents_available=3),
        queue("2", "B", NOW, calls_waiting=5, longest_wait_s=25, agents_available=1),
        queue("3", "Closed", NOW, open=0.0, calls_waiting=9, longest_wait_s=99,
              agents_available=7),
        queue("4", "Stale", NOW - 60_000, calls_waiting=8, longest_wait_s=500,
              agents_available=6),
        alert_states=states,
    )
    site = site_state(snapshot, NOW, CONFIG, alerts_by_queue(snapshot, NOW, "trio"))
    assert (site.waiting_total, site.longest_wait_s, site.agents_available_total) == (7, 25, 4)
    # Open alerts are counted whatever their tiles show (issue 10: stale is not fewer).
    assert (site.warnings, site.criticals, site.stale, site.closed) == (1, 3, 1, 1)
    assert site.counted == 2
    assert site.level is SiteLevel.CRITICAL


def test_it_does_not_call_stale_data_all_ok() -> None:
    snapshot = _snapshot(queue("1", "A", NOW), queue("2", "B", NOW - 60_000))
    assert site_state(snapshot, NOW, CONFIG, {}).level is SiteLevel.STALE


def test_it_has_no_site_level_without_a_collector_or_database() -> None:
    calm = queue("1", "A", NOW)
    assert site_state(_snapshot(calm, collector_active=False), NOW, CONFIG, {}).level is (
        SiteLevel.UNAVAILABLE)
    assert site_state(_snapshot(db_error="down"), NOW, CONFIG, {}).level is (
        SiteLevel.UNAVAILABLE)
    assert site_state(_snapshot(calm), NOW, CONFIG, {}).level is SiteLevel.OK


def test_it_lists_only_the_database_error_when_the_database_is_down() -> None:
    assert source_alerts(_snapshot(db_error="down", collector_active=False)) == [
        AlertKind.DB_UNAVAILABLE]
