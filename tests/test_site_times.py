"""Every time is written in the site's zone (``specs.sitetime`` through
``dashboard.components.format``): fixed instants, Europe/Stockholm across both DST
switches, with the server's own zone set elsewhere (America/New_York) so that a time in
the server's zone would show."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from alerts.notify.message import format_time
from dashboard import DashboardConfig
from dashboard.components import build_tile, charts
from dashboard.components import format as fmt
from dashboard.components.history import build_periods
from dashboard.components.pageframe import build_frame_texts
from dashboard.historymodel import AlertPeriod, MetricAlerts, QueueCharts, QueueInfo, local_input
from dashboard.status import queue_alerts
from specs import sitetime
from storage import History, Resolution
from tests.fixtures.dashboard import BUSY_QUEUE, alert_state, by_class, queue, text

SITE = "Europe/Stockholm"


def ms(text: str) -> int:
    """An instant written in UTC, ``2024-03-31T00:59:59``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


# 2023-11-14 22:13:20 UTC: 23:13:20 in Stockholm (CET), 17:13:20 in New York.
NOW = 1_700_000_000_000
# Spring 2024: at 01:00 UTC on 31 March Stockholm goes from 02:00 CET to 03:00 CEST.
SPRING = ms("2024-03-31T01:00:00")
# Autumn 2024: at 01:00 UTC on 27 October Stockholm goes from 03:00 CEST back to 02:00 CET.
AUTUMN = ms("2024-10-27T01:00:00")


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


def test_it_writes_a_fixed_instant_in_the_sites_zone_not_the_servers() -> None:
    assert time.strftime("%H", time.localtime(NOW / 1000)) == "17"  # the server: New York
    assert fmt.clock_time(NOW, NOW, SITE) == "23:13:20"
    assert fmt.short_time(NOW, NOW, SITE) == "23:13"
    assert fmt.full_time(NOW, SITE) == "2023-11-14 23:13:20 CET"
    assert fmt.clock_time(NOW, NOW, "America/New_York") == "17:13:20"
    assert fmt.clock_time(NOW, NOW, "Asia/Tokyo") == "07:13:20"


def test_it_shows_the_date_of_a_moment_on_another_local_day() -> None:
    # 23:59:59 and 00:00:01 in Stockholm are two local days, one second apart.
    before_midnight = ms("2023-11-14T22:59:59")
    after_midnight = ms("2023-11-14T23:00:01")
    assert fmt.clock_time(before_midnight, after_midnight, SITE) == "2023-11-14 23:59:59"
    assert fmt.short_time(before_midnight, after_midnight, SITE) == "2023-11-14 23:59"
    assert fmt.short_time(after_midnight, after_midnight, SITE) == "00:00"
    # The same UTC day, yet another day in the site's zone: dated.
    assert fmt.short_time(ms("2023-11-14T23:30:00"), ms("2023-11-14T12:00:00"), SITE) == (
        "2023-11-15 00:30")
    # 00:30 in Stockholm is still 14 November in UTC and in New York: the site's day counts.
    assert fmt.clock_time(ms("2023-11-14T23:30:00"), ms("2023-11-15T08:00:00"), SITE) == (
        "00:30:00")


def test_it_follows_the_spring_switch_in_stockholm() -> None:
    assert fmt.clock_time(SPRING - 1_000, SPRING, SITE) == "01:59:59"
    assert fmt.clock_time(SPRING, SPRING, SITE) == "03:00:00"
    assert fmt.full_time(SPRING - 1_000, SITE) == "2024-03-31 01:59:59 CET"
    assert fmt.full_time(SPRING, SITE) == "2024-03-31 03:00:00 CEST"
    assert sitetime.abbreviation(SPRING - 1, SITE) == "CET"
    assert sitetime.abbreviation(SPRING, SITE) == "CEST"
    assert fmt.local_day(SPRING, SITE) == "2024-03-31"


def test_it_follows_the_autumn_switch_in_stockholm_and_tells_the_two_half_past_twos_apart(
) -> None:
    first, second = AUTUMN - 30 * 60_000, AUTUMN + 30 * 60_000
    # 02:30 comes twice: the same clock text, an hour apart; the zone tells them apart.
    assert fmt.short_time(first, second, SITE) == fmt.short_time(second, second, SITE) == "02:30"
    assert fmt.full_time(first, SITE) == "2024-10-27 02:30:00 CEST"
    assert fmt.full_time(second, SITE) == "2024-10-27 02:30:00 CET"
    assert format_time(second, SITE) == "2024-10-27 02:30:00 CET"


def test_notifications_and_pages_write_the_same_minute() -> None:
    for instant in (NOW, SPRING, AUTUMN + 90 * 60_000):
        stamped = format_time(instant, SITE)
        assert stamped == fmt.full_time(instant, SITE)
        assert stamped[11:16] == fmt.short_time(instant, instant, SITE)


def test_it_names_the_zones_abbreviation_of_the_season() -> None:
    assert sitetime.abbreviation(NOW, SITE) == "CET"
    assert sitetime.abbreviation(ms("2024-07-01T12:00:00"), SITE) == "CEST"
    assert sitetime.abbreviation(NOW, "America/New_York") == "EST"


def test_it_refuses_an_unknown_zone_by_name() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        fmt.clock_time(NOW, NOW, "Mars/Olympus")


def test_chart_times_are_local_to_the_site_across_the_switch() -> None:
    points = [(SPRING - 60_000, 1.0), (SPRING, 2.0)]
    [line] = charts.time_lines({"api": points}, SITE)["data"]
    assert line["x"] == ["2024-03-31 01:59:00", "2024-03-31 03:00:00"]
    minutes = fmt.LocalTimes(SITE, seconds=False)
    assert [minutes(AUTUMN - 60_000), minutes(AUTUMN)] == ["2024-10-27 02:59", "2024-10-27 02:00"]
    assert local_input(SPRING, SITE) == "2024-03-31 03:00"


def test_every_page_frame_names_the_sites_zone_in_both_languages() -> None:
    english = build_frame_texts("en", {"title": "alr_title", "path": "/alerts"}, SITE)
    swedish = build_frame_texts("sv", {"title": "alr_title", "path": "/alerts"}, SITE)
    assert "Times in Europe/Stockholm" in english
    assert "Tider i Europe/Stockholm" in swedish


def test_a_table_time_is_titled_with_its_date_and_zone() -> None:
    shown = fmt.moment(SPRING, SPRING, SITE)
    assert shown.children == "03:00:00"
    assert shown.title == "2024-03-31 03:00:00 CEST"
    assert shown.dateTime == "2024-03-31T03:00:00+02:00"


def test_the_queue_page_names_its_alert_periods_in_the_sites_zone() -> None:
    to_ms = ms("2023-11-14T22:30:00")  # 23:30 in Stockholm
    periods = (AlertPeriod("Longest wait", "warning", ms("2023-11-14T20:00:00"),
                           ms("2023-11-14T20:05:00")),
               AlertPeriod("Longest wait", "critical", ms("2023-11-14T22:03:00"), to_ms))
    data = QueueCharts(
        queue=QueueInfo(source="trio", queue_id="12", name="Kundtjänst", series={}),
        history=History(resolution=Resolution.RAW, from_ms=to_ms - 3_600_000 * 4,
                        to_ms=to_ms, points={}, segments=()),
        alerts={"longest_wait_s": MetricAlerts(periods=periods)})
    assert text(build_periods(data, SITE, "en")) == (
        "Alerts in this range Longest wait (warning): 21:00 – 21:05 "
        "Longest wait (critical): since 23:03")
    # The shipped rule "Longest wait" is shown by its Swedish name (specs.text.stored).
    assert "Längsta väntetid (kritisk): sedan 23:03" in text(build_periods(data, SITE, "sv"))


def test_a_firing_tile_says_since_when_in_the_sites_zone() -> None:
    opened = NOW - 7 * 60_000  # 23:06:20 in Stockholm
    alerts = queue_alerts([alert_state(opened_at_ms=opened)], (), {}, NOW)
    tile = build_tile(queue(ts_ms=NOW - 1_000, **BUSY_QUEUE), NOW, "en",
                      DashboardConfig(timezone=SITE), alerts)
    [since] = by_class(tile, "tile__since")
    assert (since.children, since.title) == ("alert since 23:06", "2023-11-14 23:06:20 CET")
    swedish = build_tile(queue(ts_ms=NOW - 1_000, **BUSY_QUEUE), NOW, "sv",
                         DashboardConfig(timezone="Asia/Tokyo"), alerts)
    assert text(by_class(swedish, "tile__since")) == "larm sedan 07:06"
    calm = build_tile(queue(ts_ms=NOW - 1_000, **BUSY_QUEUE), NOW, "en",
                      DashboardConfig(timezone=SITE))
    assert not by_class(calm, "tile__since")
