"""Builders of the wall screen: plain data in, components out; no browser."""

from __future__ import annotations

from dashboard import DashboardConfig, Snapshot
from dashboard.components import build_layout, build_tile, build_wallboard
from dashboard.components import format as fmt
from dashboard.i18n import Lang, keys, language, t
from dashboard.readmodel import QueueView, SourceView
from dashboard.status import queue_alerts
from tests.fixtures.dashboard import BUSY_QUEUE, alert_state, by_class, queue, text, walk

CONFIG = DashboardConfig()
NOW = 1_700_000_000_000


def _source(**changes: object) -> SourceView:
    values: dict[str, object] = {
        "name": "trio", "breaker_state": "closed", "breaker_opened_at_ms": None,
        "failover_active": False, "active_url": "http://trio-a.example/te/api",
        "last_error": None, "failing_since_ms": None, "last_success_ms": NOW,
        "consecutive_failures": 0, **changes,
    }
    return SourceView(**values)  # type: ignore[arg-type]


def _snapshot(*queues: QueueView, **changes: object) -> Snapshot:
    values: dict[str, object] = {
        "version": 1, "taken_at_ms": NOW, "queues": list(queues), "source": _source(),
        "collector_active": True, **changes,
    }
    return Snapshot(**values)  # type: ignore[arg-type]


def test_it_shows_a_fresh_tile_with_wait_as_mss_and_service_level_against_target() -> None:
    warning = queue_alerts([alert_state(severity="warning")], (), {}, NOW)
    tile = build_tile(queue(ts_ms=NOW - 4_000, **BUSY_QUEUE), NOW, "en", CONFIG, warning)
    assert tile.className == "tile tile--warning"
    assert getattr(tile, "data-level") == "warning"
    assert getattr(tile, "data-queue") == "12"
    assert tile.id == {"type": "wallboard-tile", "queue": "12"}
    assert text(by_class(tile, "tile__wait-value")) == "0:17"
    words = text(tile)
    for expected in ("Kundtjänst", "87 % / 80 %", "Waiting", "3", "Available", "2", "Busy",
                     "5", "Paused", "1", "updated 4 s ago"):
        assert expected in words


def test_it_shows_a_stale_tile_marked_stale_with_the_time_of_its_last_values() -> None:
    # Issue 10: the last values stay (dimmed by CSS), with their time in the site's zone.
    tile = build_tile(queue(ts_ms=NOW - 125_000, **BUSY_QUEUE), NOW, "en", CONFIG)
    assert tile.className == "tile tile--stale"
    assert text(by_class(tile, "tile__marker")) == "STALE"
    as_of = fmt.site_time(NOW - 125_000, NOW, CONFIG.timezone)
    assert text(by_class(tile, "tile__as-of")) == f"as of {as_of}"
    assert "0:17" in text(by_class(tile, "tile__wait-value"))
    assert "updated" not in text(tile)


def test_it_shows_a_closed_tile_as_closed_and_neutral() -> None:
    tile = build_tile(queue(ts_ms=NOW, open=0.0, longest_wait_s=99), NOW, "sv", CONFIG)
    assert tile.className == "tile tile--closed"
    assert text(by_class(tile, "tile__marker")) == "Stängd"
    assert "1:39" not in text(tile)


def test_it_writes_the_tiles_in_swedish() -> None:
    tile = build_tile(queue(ts_ms=NOW - 3_000, **BUSY_QUEUE), NOW, "sv", CONFIG)
    words = text(tile)
    for expected in ("Längsta väntetid", "Väntar", "Servicenivå", "Lediga", "Upptagna",
                     "Paus", "uppd. 3 s sedan"):
        assert expected in words
    stale = build_tile(queue(ts_ms=NOW - 125_000), NOW, "sv", CONFIG)
    assert "INAKTUELL" in text(stale)
    assert text(by_class(stale, "tile__as-of")).startswith("per ")


def test_it_shows_an_open_breaker_with_since_and_the_last_error() -> None:
    opened = NOW - 90_000
    source = _source(breaker_state="open", breaker_opened_at_ms=opened,
                     consecutive_failures=5, failing_since_ms=NOW - 120_000,
                     last_error="HTTP 503 from GET .../services/state")
    parts = build_wallboard(_snapshot(queue(ts_ms=NOW), source=source), NOW, "en", CONFIG)
    [item] = parts.strip
    assert getattr(item, "data-alert") == "breaker-open"
    assert fmt.site_time(opened, NOW, CONFIG.timezone) in item.children
    assert "after 5 failed polls" in item.children
    assert "Last error: HTTP 503 from GET .../services/state" in item.children


def test_it_shows_failover_in_the_strip() -> None:
    source = _source(failover_active=True, active_url="http://trio-b.example/te/api")
    parts = build_wallboard(_snapshot(queue(ts_ms=NOW), source=source), NOW, "sv", CONFIG)
    [item] = parts.strip
    assert getattr(item, "data-alert") == "failover"
    assert item.children == "Reservserver i bruk: http://trio-b.example/te/api"


def test_it_shows_nothing_in_the_strip_when_all_is_well() -> None:
    parts = build_wallboard(_snapshot(queue(ts_ms=NOW)), NOW, "en", CONFIG)
    assert parts.strip == []
    assert text(parts.summary).startswith("All OK")


def test_it_replaces_the_numbers_when_no_collector_is_running() -> None:
    expired = NOW - 300_000
    snapshot = _snapshot(queue(ts_ms=NOW - 1_000, **BUSY_QUEUE), collector_active=False,
                         collector_expired_at_ms=expired)
    parts = build_wallboard(snapshot, NOW, "en", CONFIG)
    message = ("No collector is running since "
               f"{fmt.site_time(expired, NOW, CONFIG.timezone)}: numbers are not being updated")
    assert text(parts.tiles) == message
    assert text(parts.strip) == message
    assert not by_class(parts.tiles, "tile")
    assert "0:17" not in text(parts.tiles) + text(parts.summary)
    assert [getattr(s, "data-level", None) for s in parts.summary] == ["unavailable"]


def test_it_says_the_database_is_unavailable_instead_of_showing_numbers() -> None:
    snapshot = Snapshot(version=2, taken_at_ms=NOW, db_error="PostgreSQL unreachable")
    parts = build_wallboard(snapshot, NOW, "sv", CONFIG)
    assert text(parts.tiles) == "Databasen är inte tillgänglig"
    assert text(parts.strip) == "Databasen är inte tillgänglig: PostgreSQL unreachable"


def test_it_counts_warnings_and_criticals_in_the_top_bar() -> None:
    snapshot = _snapshot(
        queue("1", "A", NOW, longest_wait_s=16, calls_waiting=2, agents_available=1),
        queue("2", "B", NOW, longest_wait_s=17, calls_waiting=1, agents_available=0),
        queue("3", "C", NOW, longest_wait_s=65, calls_waiting=4, agents_available=2),
        alert_states=(alert_state("1", severity="warning"), alert_state("2", severity="warning"),
                      alert_state("3", severity="critical")),
    )
    summary = build_wallboard(snapshot, NOW, "sv", CONFIG).summary
    assert text(summary[0]) == "1 kritisk · 2 varningar"
    assert text(summary[1:]) == "Väntar 7 Längsta väntetid 1:05 Lediga 3"


def test_it_has_both_languages_for_every_text() -> None:
    for key in keys():
        english, swedish = t(key, Lang.EN), t(key, Lang.SV)
        assert english and swedish
    assert t("db_unavailable", "sv") == "Databasen är inte tillgänglig"
    assert language(None, "sv") is Lang.SV
    assert language("de", "en") is Lang.EN


def test_it_formats_waits_and_ages() -> None:
    assert [fmt.wait(s) for s in (0, 7, 65, 600, 3725, None)] == [
        "0:00", "0:07", "1:05", "10:00", "1:02:05", "–"]
    assert [fmt.age(ms) for ms in (-5, 4_000, 125_000, 7_300_000, 90_000_000)] == [
        "0 s", "4 s", "2 min", "2 h", "1 d"]
    # 2023-11-14 22:13:20 UTC is 23:13:20 in the site's zone, whatever the server's.
    assert fmt.clock_time(NOW, NOW, CONFIG.timezone) == "23:13:20"


def test_it_puts_the_csrf_token_in_the_logout_form_or_leaves_the_form_out() -> None:
    layout = build_layout(CONFIG, "tok-123")
    [form] = by_class(layout, "logout")
    assert (form.method, form.action) == ("POST", "/logout")
    hidden = [c for c in walk(form) if getattr(c, "name", None) == "csrf_token"]
    assert [(c.type, c.value) for c in hidden] == [("hidden", "tok-123")]
    assert not by_class(build_layout(DashboardConfig(logout_form=False), "x"), "logout")


def test_it_shows_no_totals_when_every_queue_is_stale() -> None:
    snapshot = _snapshot(queue("1", "A", NOW - 60_000, calls_waiting=4))
    summary = build_wallboard(snapshot, NOW, "en", CONFIG).summary
    assert text(summary) == "1 stale"


def test_it_colours_the_figure_that_breached_not_the_others() -> None:
    sl_firing = queue_alerts([alert_state(metric="service_level_pct", severity="warning")],
                             (), {}, NOW)
    low_service = build_tile(queue(ts_ms=NOW, longest_wait_s=0.0, service_level_pct=70.0),
                             NOW, "en", CONFIG, sl_firing)
    assert low_service.className == "tile tile--warning"
    assert by_class(low_service, "tile__wait-value--ok")
    assert by_class(low_service, "tile__stat--warning")

    wait_firing = queue_alerts([alert_state(severity="critical")], (), {}, NOW)
    long_wait = build_tile(queue(ts_ms=NOW, longest_wait_s=95.0, service_level_pct=90.0),
                           NOW, "en", CONFIG, wait_firing)
    assert long_wait.className == "tile tile--critical"
    assert by_class(long_wait, "tile__wait-value--critical")
    assert not by_class(long_wait, "tile__stat--warning")
