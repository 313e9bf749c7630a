"""/queues/<id> as served: charts of stored samples at the resolution of each range, the
thresholds of the rules watching the queue, alert periods shaded from stored events, the
agents, the daily figures and their CSV, an unknown queue, a bad range, and the login in
front of it all (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

import dash
import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from alerts import validate_rule
from collectors.clock import ManualClock
from dashboard import DashboardConfig
from dashboard import ids as dash_ids
from dashboard.components import history as hst_ids
from dashboard.components.history import GapRule, daily_csv
from dashboard.components.thresholds import spec_of
from dashboard.historymodel import (
    NODATA_PERIOD,
    AlertPeriod,
    RangeProblem,
    ViewRange,
    alert_periods,
    parse_range,
)
from storage import (
    AgentRecord,
    AlertStore,
    DailyRow,
    EventRow,
    Point,
    PollWrite,
    QueueTargetStore,
    Resolution,
    RollupStore,
    Sample,
    Segment,
    SeriesKey,
    StateChange,
    Store,
)
from tests.fixtures.dashboard import (
    alert_state,
    by_class,
    facts,
    log_in,
    text,
    walk,
)

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
NOW = 1_700_000_000_000  # the clock fixture: 2023-11-14 23:13:20 in Stockholm
TZ = "Europe/Stockholm"
QUEUE = ("12", "Kundtjänst")
OTHER = ("14", "Växel")
UNITS = {"longest_wait_s": "s", "service_level_pct": "%"}


@pytest.fixture
def dashboard_config() -> DashboardConfig:
    """The app of ``server`` (tests/fixtures/actors.py) in the site's time zone."""
    return DashboardConfig(timezone=TZ)


def calm(ts: int) -> dict[str, float]:
    return {"open": 1.0, "calls_waiting": 2.0, "longest_wait_s": 10.0 + (ts // 5000) % 7,
            "service_level_pct": 90.0, "agents_available": 3.0, "agents_busy": 4.0,
            "agents_paused": 1.0}


def write_polls(store: Store, start: int, end: int, values: Callable[[int], dict[str, float]]
                = calm, *, step: int = 5000, queue: tuple[str, str] = QUEUE,
                agents: list[AgentRecord] | None = None) -> None:
    """A poll every ``step`` ms in [start, end), written 500 polls per transaction."""
    writes = [
        PollWrite(source="trio", samples=[
            Sample(SeriesKey("trio", "queue", queue[0], metric, UNITS.get(metric, "calls"),
                             queue[1]), ts, value)
            for metric, value in values(ts).items()
        ], agents=agents if ts + step >= end else None, facts=facts(ts))
        for ts in range(start, end, step)
    ]
    for i in range(0, len(writes), 500):
        chunk = writes[i:i + 500]
        store.write_batches(chunk, lease_name=None, lease_token=None,
                            now_ms=chunk[-1].samples[0].ts_ms)


def page(client: FlaskClient) -> ModuleType:
    """The page module, with ``client``'s last request still the current one."""
    log_in(client, "bo")
    client.get("/queues/12")
    from dashboard.pages import queue

    return queue


def view_store(layout: Any) -> dict[str, Any]:
    [store] = [c for c in walk(layout) if getattr(c, "id", None) == hst_ids.HST_VIEW]
    return dict(store.data)


def graphs(children: Any) -> dict[str, dict[str, Any]]:
    """The figures of a charts callback's answer, by chart name."""
    return {box.to_plotly_json()["props"]["data-chart"]: next(
        c.figure for c in walk(box) if c.__class__.__name__ == "Graph")
        for box in by_class(children, "hst-chart-box")}


def resolution(children: Any) -> str:
    [line] = by_class(children, "hst-resolution")
    return str(line.to_plotly_json()["props"]["data-resolution"])


def mean_line(figure: dict[str, Any]) -> dict[str, Any]:
    return next(trace for trace in figure["data"] if not trace.get("hoverinfo"))


# -- charts ----------------------------------------------------------------------------------


def test_it_charts_stored_samples_at_the_resolution_each_range_needs(
    client: FlaskClient, store: Store
) -> None:
    write_polls(store, NOW - 2 * HOUR, NOW + 1)
    queue = page(client)
    layout = queue.layout(queue_id="12", range="1h")
    assert "Kundtjänst" in text(layout)
    found = {}
    for preset in ("1h", "8h", "24h", "7d", "30d"):
        view = {"queue": "12", "range": preset}
        children = queue.charts(0, "en", view)
        found[preset] = resolution(children)
        figures = graphs(children)
        assert set(figures) == {"waiting", "wait", "service-level", "agents"}
        assert len(figures["agents"]["data"]) == 3  # available, busy, paused
    assert found == {"1h": "raw", "8h": "1m", "24h": "1m", "7d": "1h", "30d": "1h"}

    one_hour = graphs(queue.charts(0, "en", {"queue": "12", "range": "1h"}))["wait"]
    line = mean_line(one_hour)
    assert len(line["y"]) == 721  # every 5-s sample of the hour, both ends included
    assert line["x"][-1] == "2023-11-14 23:13:20"  # local time of the site, as text
    assert one_hour["layout"]["xaxis"]["range"] == ["2023-11-14 22:13:20",
                                                    "2023-11-14 23:13:20"]
    assert all(trace["connectgaps"] is False for trace in one_hour["data"])
    day = graphs(queue.charts(0, "sv", {"queue": "12", "range": "24h"}))["wait"]
    band_low, band_high, mean = day["data"]
    assert band_high["fill"] == "tonexty" and band_low["y"][-1] <= mean["y"][-1] <= band_high[
        "y"][-1]
    assert "Minutmedelvärden, min–max-band" in text(queue.charts(0, "sv", {"queue": "12",
                                                                           "range": "24h"}))


def test_it_reads_rolled_up_minutes_and_shows_the_same_means(
    client: FlaskClient, store: Store, engine: Engine
) -> None:
    write_polls(store, NOW - 3 * HOUR, NOW + 1)
    queue = page(client)
    before = mean_line(graphs(queue.charts(0, "en", {"queue": "12", "range": "8h"}))["wait"])
    rollups = RollupStore(engine)
    for _ in range(20):
        step = rollups.roll_step(Resolution.MINUTE, NOW - 2 * MINUTE, lease_name=None,
                                 lease_token=None, now_ms=NOW)
        if step.done:
            break
    assert rollups.state()[Resolution.MINUTE].watermark_ms is not None
    after = mean_line(graphs(queue.charts(0, "en", {"queue": "12", "range": "8h"}))["wait"])
    assert after["y"] == pytest.approx(before["y"]) and after["x"] == before["x"]
    assert len(after["y"]) == 3 * 60 + 1


def test_it_leaves_missing_data_as_a_gap_and_says_the_queue_went_stale(
    client: FlaskClient, store: Store, clock: ManualClock
) -> None:
    write_polls(store, NOW - HOUR, NOW - 30 * MINUTE)
    write_polls(store, NOW - 25 * MINUTE, NOW - 25 * MINUTE + 1)  # one lone poll
    write_polls(store, NOW - 20 * MINUTE, NOW - 5 * MINUTE + 1)
    queue = page(client)
    raw = mean_line(graphs(queue.charts(0, "en", {"queue": "12", "range": "1h"}))["wait"])
    assert raw["y"].count(None) == 2  # breaks where polls are missing, none elsewhere
    hole = raw["y"].index(None)
    assert raw["x"][hole - 1] == "2023-11-14 22:43:15" and raw["x"][hole + 1] == \
        "2023-11-14 22:48:20"
    assert raw["y"][hole + 2] is None and raw["x"][hole + 3] == "2023-11-14 22:53:20"
    # The lone value gets a dot (nothing to draw a line to); no other value does.
    assert [i for i, size in enumerate(raw["marker"]["size"]) if size] == [hole + 1]
    minutes = mean_line(graphs(queue.charts(0, "en", {"queue": "12", "range": "8h"}))["wait"])
    assert minutes["y"].count(None) == 2

    status, _agents = queue.live(0, "en", {"queue": "12", "range": "1h"})
    assert "No new values for this queue since 2023-11-14 23:08" in text(status)
    assert "No collector is running" in text(status)


def test_gap_rule_joins_buckets_of_a_coarser_older_part_with_finer_ones() -> None:
    rule = GapRule([Segment(Resolution.HOUR, 0, 2 * HOUR, HOUR),
                    Segment(Resolution.MINUTE, 2 * HOUR, 3 * HOUR, MINUTE)], raw_gap_ms=15_000)
    points = [Point(ts, 1, 1, 1, 1, 1) for ts in (0, HOUR, 2 * HOUR, 2 * HOUR + MINUTE,
                                                 2 * HOUR + 5 * MINUTE)]
    assert [p is None for p in rule.with_gaps(points)] == [False, False, False, False, True,
                                                           False]


# -- thresholds and alert periods ---------------------------------------------------------


def create_rule(alerts: AlertStore, **fields: Any) -> Any:
    rule = validate_rule({"name": "Long wait", "metric": "longest_wait_s",
                          "scope": {"entity_kind": "queue"}, "direction": "above",
                          "warning": 15, **fields})
    return alerts.create_rule(rule.name, spec_of(rule), rule.enabled, actor="system",
                              now_ms=NOW - DAY)


def test_it_draws_the_thresholds_of_enabled_rules_watching_the_queue(
    client: FlaskClient, store: Store, engine: Engine
) -> None:
    write_polls(store, NOW - 10 * MINUTE, NOW + 1)
    alerts = AlertStore(engine)
    create_rule(alerts, critical=20)
    create_rule(alerts, name="Queue 12 service", metric="service_level_pct", direction="below",
                warning=80, critical=60, scope={"entity_kind": "queue", "entity_ids": ["12"]})
    create_rule(alerts, name="Other queue", warning=5, scope={"entity_ids": ["14"]})
    create_rule(alerts, name="Switched off", warning=7, enabled=False)
    create_rule(alerts, name="Worker latency", metric="latency_ms", warning=500,
                scope={"source": "health:api", "entity_kind": "target"})
    queue = page(client)
    figures = graphs(queue.charts(0, "en", {"queue": "12", "range": "1h"}))

    def lines(name: str) -> list[tuple[float, str]]:
        return sorted((s["y0"], s["name"]) for s in figures[name]["layout"]["shapes"]
                      if s["type"] == "line")

    assert lines("wait") == [(15, "Long wait: warning"), (20, "Long wait: critical")]
    assert lines("service-level") == [(60, "Queue 12 service: critical"),
                                      (80, "Queue 12 service: warning")]
    assert lines("waiting") == [] and lines("agents") == []
    # Named in the legend (no label drawn at the line: close values overlapped), lowest
    # first, with the unit; the chart's one line is named by its title.
    labels = [(trace["name"], trace["line"]["dash"]) for trace in figures["wait"]["data"]
              if trace.get("showlegend")]
    assert labels == [("Long wait: warning 15 s", "dash"), ("Long wait: critical 20 s", "dash")]
    assert figures["wait"]["layout"]["showlegend"] and "annotations" not in figures["wait"][
        "layout"]
    assert not figures["waiting"]["layout"]["showlegend"]


def test_the_service_level_lines_move_to_the_queues_own_target_as_the_engine_moves_them(
    client: FlaskClient, store: Store, engine: Engine
) -> None:
    write_polls(store, NOW - 10 * MINUTE, NOW + 1)
    write_polls(store, NOW - 10 * MINUTE, NOW + 1, queue=OTHER)
    alerts = AlertStore(engine)
    # Written against the default 80/20, as the shipped rule is.
    create_rule(alerts, name="Service level", metric="service_level_pct", direction="below",
                warning=80, critical=60, recovery_warning=82)
    create_rule(alerts, critical=20)
    QueueTargetStore(engine).set_target("trio", "12", 90, 30, actor="bo", now_ms=NOW)
    queue = page(client)

    def lines(queue_id: str, name: str) -> list[float]:
        figures = graphs(queue.charts(0, "en", {"queue": queue_id, "range": "1h"}))
        return sorted(s["y0"] for s in figures[name]["layout"]["shapes"] if s["type"] == "line")

    assert lines("12", "service-level") == [70, 90]  # moved by 90 - 80
    assert lines("14", "service-level") == [60, 80]  # no target of its own
    assert lines("12", "wait") == [15, 20]  # other metrics never move


def apply_events(engine: Engine, rule_id: int, steps: list[tuple[int, str, str | None, str]]
                 ) -> None:
    """Store the alert state's changes ``(ts, state, severity, event)`` with their
    events, as the evaluator does (compare-and-set, holding the lease)."""
    alerts = AlertStore(engine)
    token = Store(engine).acquire_lease("collector", "host-1", ttl_ms=10 * DAY, now_ms=NOW - DAY)
    assert token is not None
    row = replace(alert_state(state="ok", severity=None), rule_id=rule_id, alert_id=None)
    version: int | None = None
    for ts, state, severity, event in steps:
        new = replace(row, state=state, severity=severity, since_ms=ts,
                      alert_id=None if state == "ok" else "a-1")
        record = EventRow(
            ts_ms=ts, rule_id=rule_id, rule_name="Long wait", series_key=row.series_key,
            source="trio", entity_kind="queue", entity_id="12", entity_name="Kundtjänst",
            alert_id="a-1", event=event, from_state=None if version is None else row.state,
            to_state=state, severity=severity or row.severity, value=30.0, reason="")
        assert alerts.apply([StateChange(new, version, record)], lease_name="collector",
                            lease_token=token, now_ms=ts) == [True]
        version = 1 if version is None else version + 1
        row = new


def test_it_shades_alert_periods_from_the_stored_events(
    client: FlaskClient, store: Store, engine: Engine
) -> None:
    write_polls(store, NOW - 2 * HOUR, NOW + 1, step=60_000)
    rule = create_rule(AlertStore(engine), critical=20)
    apply_events(engine, rule.id, [
        (NOW - 3 * HOUR, "ok", None, "inactive"),
        (NOW - 2 * HOUR, "firing", "warning", "firing"),  # before the 1-h range
        (NOW - 50 * MINUTE, "firing", "critical", "escalated"),
        (NOW - 40 * MINUTE, "ok", None, "resolved"),
        (NOW - 20 * MINUTE, "pending", "warning", "pending"),
        (NOW - 19 * MINUTE, "firing", "warning", "firing"),  # still firing now
    ])
    queue = page(client)
    figure = graphs(queue.charts(0, "en", {"queue": "12", "range": "1h"}))["wait"]
    shaded = [(s["x0"], s["x1"], s["name"]) for s in figure["layout"]["shapes"]
              if s["type"] == "rect"]
    assert shaded == [
        ("2023-11-14 22:13:20", "2023-11-14 22:23:20", "Long wait: warning"),
        ("2023-11-14 22:23:20", "2023-11-14 22:33:20", "Long wait: critical"),
        ("2023-11-14 22:54:20", "2023-11-14 23:13:20", "Long wait: warning"),
    ]
    assert shaded[1][2] == "Long wait: critical"
    colours = {s["fillcolor"] for s in figure["layout"]["shapes"] if s["type"] == "rect"}
    assert len(colours) == 2  # coloured by severity


def event(ts: int, event_name: str, from_state: str | None, to_state: str,
          severity: str | None) -> EventRow:
    return EventRow(ts_ms=ts, rule_id=1, rule_name="r", series_key="trio|queue|12",
                    source="trio", entity_kind="queue", entity_id="12", entity_name="q",
                    alert_id="a", event=event_name, from_state=from_state, to_state=to_state,
                    severity=severity, value=None, reason="")


def test_alert_periods_start_from_the_state_before_the_range_and_merge_like_periods() -> None:
    no_events = alert_periods("r", [], alert_state(state="firing", severity="critical"), 0, 100)
    assert no_events == (AlertPeriod("r", "critical", 0, 100),)
    assert alert_periods("r", [], alert_state(state="pending", severity="warning"), 0, 100) == ()
    events = [
        event(10, "recovering", "firing", "recovering", "warning"),  # firing before the range
        event(20, "resolved", "recovering", "ok", "warning"),
        event(30, "nodata", "ok", "nodata", None),  # a no-data alert of its own
        event(40, "acknowledged", "nodata", "nodata", None),
        event(50, "nodata_resolved", "nodata", "ok", None),
        event(150, "firing", "ok", "firing", "critical"),  # after the range's end
    ]
    assert alert_periods("r", events, None, 0, 100) == (
        AlertPeriod("r", "warning", 0, 20), AlertPeriod("r", NODATA_PERIOD, 30, 50))
    cut = alert_periods("r", events[2:], None, 0, 100, complete=False)
    assert cut == (AlertPeriod("r", NODATA_PERIOD, 30, 50),)


# -- agents --------------------------------------------------------------------------------


def test_it_lists_the_queues_agents_with_state_and_time_in_state(
    client: FlaskClient, store: Store
) -> None:
    agents = [
        AgentRecord("a1", "Anna", "busy", NOW - 125_000, ("12", "14")),
        AgentRecord("a2", "Bertil", "available", NOW - 5_000, ("12",)),
        AgentRecord("a3", "Cecilia", "loggedout", NOW - HOUR, ("12",)),
        AgentRecord("a4", "David", "available", NOW - 5_000, ("14",)),
    ]
    write_polls(store, NOW - MINUTE, NOW + 1, agents=agents)
    queue = page(client)
    status, listed = queue.live(0, "sv", {"queue": "12", "range": "1h"})
    rows = [row.to_plotly_json()["props"] for row in walk(listed)
            if row.__class__.__name__ == "Tr" and "data-agent" in row.to_plotly_json()["props"]]
    assert [(r["data-agent"], r["data-state"]) for r in rows] == [("a2", "available"),
                                                                  ("a1", "busy")]
    assert "Ledig 0:05" in text(listed) and "Upptagen 2:05" in text(listed)
    assert "1 utloggade" in text(listed) and "David" not in text(listed)
    assert by_class(status, "strip__item--stale-queue") == []  # the queue is fresh


# -- daily figures and the CSV -------------------------------------------------------------


def counters(ts: int) -> dict[str, float]:
    minutes = (ts - (NOW - 2 * HOUR)) // MINUTE
    return {"answered_today": float(minutes * 2), "abandoned_today": float(minutes // 10),
            "service_level_pct": 85.0, "longest_wait_s": float(minutes % 30)}


def test_it_shows_the_daily_figures_and_serves_them_as_csv_in_both_languages(
    client: FlaskClient, store: Store
) -> None:
    write_polls(store, NOW - 2 * HOUR, NOW + 1, counters, step=MINUTE)
    queue = page(client)
    table = queue.daily("en", {"queue": "12", "range": "24h"})
    assert "2023-11-14 240 12 4.8 % 85 % 0:14 0:29" in text(table)
    assert "The figures of 2023-11-14 are as of 2023-11-14 23:13." in text(table)
    [link] = [c for c in walk(table) if getattr(c, "id", None) == hst_ids.HST_CSV]
    assert link.href == "/queues/12/daily.csv?lang=en"

    response = client.get("/queues/12/daily.csv?lang=sv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert 'filename="queue-12-daily-2023-11-14.csv"' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Kö-id", "Kö", "Dag", "Besvarade", "Tappade", "Andel tappade (%)", "Servicenivå (%)",
         "Längsta väntetid, medel (s)", "Längsta väntetid, max (s)", "Servicenivåmål (% / s)"],
        ["12", "Kundtjänst", "2023-11-14", "240", "12", "4,8", "85,0", "14,4", "29,0", "80/20"],
    ]
    english = client.get("/queues/12/daily.csv").get_data().decode("utf-8-sig")
    assert english.splitlines()[0] == ("Queue id,Queue,Day,Answered,Abandoned,Abandon rate (%),"
                                       "Service level (%),\"Longest wait, mean (s)\","
                                       "\"Longest wait, max (s)\","
                                       "Service-level target (% / s)")


def test_the_csv_leaves_unknown_figures_empty() -> None:
    from datetime import date

    row = DailyRow(source="trio", queue_id="12", queue_name="Kö", day=date(2024, 5, 1),
                   answered=None, abandoned=3, abandon_rate_pct=None, service_level_pct=None,
                   avg_wait_s=1.25, max_wait_s=4.0, as_of_ms=None)
    lines = daily_csv([row], "en").decode("utf-8-sig").splitlines()
    assert lines[1] == "12,Kö,2024-05-01,,3,,,1.2,4.0,"


def test_the_daily_table_judges_each_day_against_the_queues_own_target_and_says_which(
    client: FlaskClient, store: Store, engine: Engine
) -> None:
    write_polls(store, NOW - 2 * HOUR, NOW + 1, counters, step=MINUTE)  # the day's level: 85
    write_polls(store, NOW - 2 * HOUR, NOW + 1, counters, step=MINUTE, queue=OTHER)
    queue = page(client)

    def service_level_cell(table: Any) -> Any:
        [row] = [r for r in walk(table) if r.__class__.__name__ == "Tr"
                 and r.to_plotly_json()["props"].get("data-day") == "2023-11-14"]
        return row.children[4]

    table = queue.daily("en", {"queue": "12", "range": "24h"})
    assert getattr(service_level_cell(table), "className", None) is None  # 85 >= 80
    [note] = by_class(table, "hst-daily__target")
    assert text(note) == ("Service level is marked when under the site's default target, "
                          "80/20: this queue has no target of its own.")

    QueueTargetStore(engine).set_target("trio", "12", 92.5, 30, actor="bo", now_ms=NOW)
    table = queue.daily("sv", {"queue": "12", "range": "24h"})
    cell = service_level_cell(table)
    assert cell.className == "hst-daily__below" and cell.title == "under målet 92,5/30"
    [note] = by_class(table, "hst-daily__target")
    assert "köns eget mål, 92,5/30" in text(note)
    rows = list(csv.reader(io.StringIO(
        client.get("/queues/12/daily.csv").get_data().decode("utf-8-sig"))))
    assert rows[1][-1] == "92.5/30"
    # Another queue keeps the default.
    other = queue.daily("en", {"queue": "14", "range": "24h"})
    assert "default target, 80/20" in text(by_class(other, "hst-daily__target")[0])


# -- bad input -------------------------------------------------------------------------------


def test_an_unknown_queue_gets_a_clear_page_and_no_csv(client: FlaskClient, store: Store) -> None:
    write_polls(store, NOW - MINUTE, NOW + 1)
    queue = page(client)
    missing = queue.layout(queue_id="999", range="1h")
    assert "No such queue: 999" in text(missing)
    assert by_class(missing, "hst-charts") == []
    assert "Det finns ingen kö 999" in text(queue.missing("sv", {"queue": "999"}))
    response = client.get("/queues/999/daily.csv")
    assert response.status_code == 404 and "No such queue: 999" in response.get_data(as_text=True)


def test_a_bad_range_is_explained_and_the_default_range_shown(
    client: FlaskClient, store: Store
) -> None:
    write_polls(store, NOW - MINUTE, NOW + 1)
    queue = page(client)
    layout = queue.layout(queue_id="12", range="2w")
    data = view_store(layout)
    assert data["range"] == "24h" and data["problem"] == "unknown_preset"
    assert ("Unknown range “2w”: choose 1 h, 8 h, 24 h, 7 d, 30 d or a custom range. "
            "Showing the last 24 h instead.") in text(layout)
    swedish = queue.texts("sv", data)
    assert "Visar de senaste 24 timmarna i stället." in text(swedish[5])
    assert queue.charts(0, "en", data)  # the default range is drawn

    reversed_ = view_store(queue.layout(queue_id="12", **{"from": "2023-11-14T10:00",
                                                          "to": "2023-11-14T09:00"}))
    assert reversed_["problem"] == "order" and reversed_["range"] == "24h"
    assert queue.apply_custom(1, None, None, "yesterday", "2023-11-14 09:00", "en",
                              data) == (dash.no_update, "“yesterday” is not a time: write it "
                                        "as 2024-05-01 08:00.")
    href, message = queue.apply_custom(1, None, None, "2023-11-14 08:00", "2023-11-14 17:30",
                                       "en", data)
    assert (href, message) == ("/queues/12?from=2023-11-14T08:00&to=2023-11-14T17:30", "")


def test_a_custom_range_from_the_address_is_read_in_the_sites_time_zone(
    client: FlaskClient, store: Store
) -> None:
    write_polls(store, NOW - 2 * HOUR, NOW + 1)
    queue = page(client)
    data = view_store(queue.layout(queue_id="12", **{"from": "2023-11-14T22:00",
                                                     "to": "2023-11-14 22:30"}))
    assert (data["range"], data["from"], data["to"]) == (None, "2023-11-14T22:00",
                                                         "2023-11-14T22:30")
    figure = graphs(queue.charts(0, "en", data))["wait"]
    line = mean_line(figure)
    assert line["x"][0] == "2023-11-14 22:00:00" and line["x"][-1] == "2023-11-14 22:30:00"


def test_parse_range_reads_presets_custom_ranges_and_refuses_the_rest() -> None:
    assert parse_range(None, None, None, TZ) == (ViewRange(), None)
    assert parse_range("7D", None, None, TZ) == (ViewRange(preset="7d"), None)
    view, error = parse_range("24h", "2024-05-01", "2024-05-02T12:00+00:00", TZ)
    assert error is None and (view.start, view.end) == ("2024-05-01T00:00", "2024-05-02T14:00")
    assert view.bounds(0, TZ) == (1714514400000, 1714651200000)  # 22:00Z, 12:00Z
    problems = [parse_range(None, "2024-05-01", None, TZ)[1],
                parse_range(None, "2024-01-01", "2024-05-01", TZ)[1],
                parse_range(["1h", "8h"], None, None, TZ)[1]]
    assert [p.problem if p else None for p in problems] == [
        RangeProblem.MISSING_END, RangeProblem.TOO_LONG, RangeProblem.UNKNOWN_PRESET]


# -- the login ------------------------------------------------------------------------------


def test_the_page_its_callbacks_and_the_csv_need_a_login(
    server: flask.Flask, store: Store
) -> None:
    write_polls(store, NOW - MINUTE, NOW + 1)
    with server.test_client() as anonymous:
        response = anonymous.get("/queues/12/daily.csv?lang=sv")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
        assert anonymous.get("/queues/12?range=24h").status_code == 302
        refused = anonymous.post("/_dash-update-component", json={})
        assert refused.status_code == 401


def test_the_charts_callback_answers_over_http(client: FlaskClient, store: Store) -> None:
    write_polls(store, NOW - 10 * MINUTE, NOW + 1)
    log_in(client, "bo")
    deps = client.get("/_dash-dependencies").get_json()
    [dep] = [d for d in deps if d["output"] == f"{hst_ids.HST_CHARTS}.children"]
    response = client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": {"id": hst_ids.HST_CHARTS, "property": "children"},
        "inputs": [{"id": hst_ids.HST_CHARTS_REFRESH, "property": "n_intervals", "value": 1},
                   {"id": dash_ids.PAGES_LANG, "property": "data", "value": "en"}],
        "state": [{"id": hst_ids.HST_VIEW, "property": "data",
                   "value": {"queue": "12", "range": "1h"}}],
        "changedPropIds": [f"{hst_ids.HST_CHARTS_REFRESH}.n_intervals"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = json.dumps(response.get_json())
    assert "Every sample as polled" in body and "2023-11-14 23:13:20" in body


# -- the way in from the wall screen ---------------------------------------------------------


def test_a_wall_screen_tile_links_its_name_to_the_history_in_an_interactive_session() -> None:
    from dashboard.components import build_tile
    from tests.fixtures.dashboard import queue as queue_view

    linked = build_tile(queue_view(ts_ms=NOW), NOW, "en", DashboardConfig())
    [link] = by_class(linked, "tile__link")
    assert link.href == "/queues/12" and link.children == "Kundtjänst"
    plain = build_tile(queue_view(ts_ms=NOW), NOW, "en", DashboardConfig(logout_form=False))
    assert by_class(plain, "tile__link") == [] and "Kundtjänst" in text(plain)
