"""The wall screen through an outage and a failover (issues 10 and 17), as pure builders:
a stale tile keeps its last values dimmed with their time in the site's zone and the alert
it is in; the top bar keeps counting every open alert; counters from a failover are
labelled on the tiles, the strip and the daily figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from dashboard import DashboardConfig, Snapshot
from dashboard.components import build_tile, build_wallboard
from dashboard.components.history import build_daily
from dashboard.readmodel import SourceView
from dashboard.status import queue_alerts
from storage import DailyRow
from tests.fixtures.dashboard import BUSY_QUEUE, alert_state, by_class, queue, text, walk

# 2026-06-01 09:36:42 UTC: 11:36:42 in Stockholm, 05:36:42 in New York.
LAST_MS = 1_780_306_602_000
NOW = LAST_MS + 125_000
STOCKHOLM = DashboardConfig(timezone="Europe/Stockholm")
NEW_YORK = DashboardConfig(timezone="America/New_York")


def source(**changes: object) -> SourceView:
    values: dict[str, object] = {
        "name": "trio", "breaker_state": "open", "breaker_opened_at_ms": LAST_MS,
        "failover_active": False, "active_url": None, "last_error": "read timed out",
        "failing_since_ms": LAST_MS, "last_success_ms": LAST_MS, "consecutive_failures": 9,
    }
    return SourceView(**{**values, **changes})  # type: ignore[arg-type]


def test_a_stale_tile_shows_its_last_values_as_of_their_time_in_the_site_zone() -> None:
    alerts = queue_alerts([alert_state()], [], {}, NOW)
    for config, local in ((STOCKHOLM, "11:36:42"), (NEW_YORK, "05:36:42")):
        tile = build_tile(queue(ts_ms=LAST_MS, **{**BUSY_QUEUE, "longest_wait_s": 95.0}),
                          NOW, "en", config, alerts)
        assert tile.className == "tile tile--stale"
        assert text(by_class(tile, "tile__marker")) == "STALE"
        assert text(by_class(tile, "tile__as-of")) == f"as of {local}"
        # The last figures are there, in the alert's colour, on a tile marked stale.
        [wait] = by_class(tile, "tile__wait-value")
        assert wait.children == "1:35" and "tile__wait-value--critical" in wait.className
        assert text(by_class(tile, "tile__stale-alert")) == "critical alert still open"


def test_a_stale_tile_says_it_in_swedish() -> None:
    alerts = queue_alerts([alert_state(severity="warning")], [], {}, NOW)
    tile = build_tile(queue(ts_ms=LAST_MS), NOW, "sv", STOCKHOLM, alerts)
    assert text(by_class(tile, "tile__stale-line")) == (
        "INAKTUELL per 11:36:42 varningslarm fortfarande öppet")


def test_a_stale_tile_of_a_day_before_shows_the_date() -> None:
    tile = build_tile(queue(ts_ms=LAST_MS), LAST_MS + 86_400_000, "en", STOCKHOLM)
    assert text(by_class(tile, "tile__as-of")) == "as of 2026-06-01 11:36:42"


def test_the_top_bar_keeps_counting_every_open_alert_while_all_tiles_are_stale() -> None:
    snapshot = Snapshot(
        version=1, taken_at_ms=NOW, collector_active=True, source=source(),
        queues=[queue("1", "A", LAST_MS), queue("2", "B", LAST_MS), queue("3", "C", LAST_MS)],
        alert_states=(
            alert_state("1"), alert_state("2", severity="warning"),
            alert_state("3", state="recovering"),
            # Not a queue: a worker's alert counts too.
            alert_state(source="health:api", entity_kind="target", entity_id="api",
                        series_key="health:api|target|api", metric="state_down"),
            alert_state("3", metric="service_level_pct", state="pending", alert_id=None,
                        severity="warning"),  # pending: not an alert yet
        ),
    )
    parts = build_wallboard(snapshot, NOW, "en", STOCKHOLM)
    state = parts.summary[0]
    assert text(state) == "3 critical · 1 warning · 3 stale"
    assert state.to_plotly_json()["props"]["data-level"] == "critical"
    assert [tile.to_plotly_json()["props"]["data-level"] for tile in parts.tiles] == [
        "stale"] * 3


def test_the_service_level_is_labelled_since_the_failover() -> None:
    failover = source(breaker_state="closed", consecutive_failures=0, failing_since_ms=None,
                      failover_active=True, active_url="https://trio-b.example/te/api",
                      failover_since_ms=LAST_MS - 54 * 60_000)  # 10:42 in Stockholm
    fresh = queue(ts_ms=NOW, **BUSY_QUEUE)
    tile = build_tile(fresh, NOW, "en", STOCKHOLM, source=failover)
    [stat] = by_class(tile, "tile__stat--service-level")
    assert text(by_class(stat, "tile__failover")) == "since failover 10:42"
    assert "sedan failover 10:42" in text(build_tile(fresh, NOW, "sv", STOCKHOLM,
                                                     source=failover))
    assert not by_class(build_tile(fresh, NOW, "en", STOCKHOLM), "tile__failover")

    snapshot = Snapshot(version=1, taken_at_ms=NOW, collector_active=True, source=failover,
                        queues=[fresh])
    strip = build_wallboard(snapshot, NOW, "en", STOCKHOLM).strip
    assert "Failover active since 10:42:42" in text(strip)
    assert "count from the switchover" in text(strip)


def daily_row(day: date, answered: int) -> DailyRow:
    return DailyRow(source="trio", queue_id="12", queue_name="Kundtjänst", day=day,
                    answered=answered, abandoned=3, abandon_rate_pct=10.0,
                    service_level_pct=81.0, avg_wait_s=12.0, max_wait_s=40.0, as_of_ms=NOW)


def test_the_daily_figures_of_the_failover_day_are_labelled_not_read_as_a_day() -> None:
    since = LAST_MS - 54 * 60_000  # 2026-06-01 10:42:42 in Stockholm
    rows = [daily_row(date(2026, 5, 31), 400), daily_row(date(2026, 6, 1), 27)]
    parts = build_daily(rows, "12", "Europe/Stockholm", "en", since)
    table = text(parts)
    assert "since failover 10:42" in table
    assert "2026-06-01: answered, abandoned and service level are counted since the " \
        "failover at 10:42" in table
    rows_by_day = {props["data-day"]: row for row in by_tag(parts, "Tr")
                   if "data-day" in (props := row.to_plotly_json()["props"])}
    assert by_class(rows_by_day["2026-06-01"], "hst-daily__failover")
    assert not by_class(rows_by_day["2026-05-31"], "hst-daily__failover")
    sv = text(build_daily(rows, "12", "Europe/Stockholm", "sv", since))
    assert "sedan failover 10:42" in sv and "inte från midnatt" in sv
    assert "failover" not in text(build_daily(rows, "12", "Europe/Stockholm", "en"))


def by_tag(node: object, tag: str) -> list[Any]:
    return [item for item in walk(node) if type(item).__name__ == tag]
