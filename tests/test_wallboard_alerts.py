"""The wall screen follows the collector's alert states: figure colours, pending marks,
acknowledgements and silences on the tiles, the critical alert ids the beep listens to,
and one snapshot (states and silences included) per refresh period."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest
from dash import Output
from sqlalchemy import event
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard import DashboardConfig, ReadModel, Snapshot, create_dash, ids
from dashboard.components import build_tile, build_wallboard
from dashboard.components import format as fmt
from dashboard.status import alerts_by_queue, critical_alert_ids, queue_alerts
from storage import AlertStore, Store
from tests.fixtures.dashboard import (
    BUSY_QUEUE,
    alert_state,
    by_class,
    queue,
    silence_row,
    store_alert_states,
    text,
    write_queues,
)

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

CONFIG = DashboardConfig()
NOW = 1_700_000_000_000


def _tile(states: list[object], *, silences: tuple[object, ...] = (),
          rule_names: dict[int, str] | None = None, lang: str = "en", **metrics: float) -> object:
    alerts = queue_alerts(states, silences, rule_names or {}, NOW)  # type: ignore[arg-type]
    view = queue(ts_ms=NOW - 2_000, **{**BUSY_QUEUE, **metrics})
    return build_tile(view, NOW, lang, CONFIG, alerts)


def _snapshot(*states: object, silences: tuple[object, ...] = ()) -> Snapshot:
    return Snapshot(version=1, taken_at_ms=NOW, queues=[queue(ts_ms=NOW)],
                    collector_active=True, alert_states=states,  # type: ignore[arg-type]
                    silences=silences)  # type: ignore[arg-type]


# -- colours and marks (pure) -------------------------------------------------------------


def test_it_colours_the_wait_critical_when_its_rule_fires_critical() -> None:
    tile = _tile([alert_state(severity="critical")], longest_wait_s=95.0)
    assert tile.className == "tile tile--critical"  # type: ignore[attr-defined]
    assert by_class(tile, "tile__wait-value--critical")
    assert by_class(tile, "tile__stat--ok")  # the service level did not breach


def test_it_keeps_the_colour_while_the_alert_recovers_whatever_the_value() -> None:
    """The hysteresis is in the states: a wait dipping under the threshold while the
    alert is recovering does not turn the tile green for a moment."""
    levels = {
        _tile([alert_state(state=state, severity="critical")],
              longest_wait_s=wait).className  # type: ignore[attr-defined]
        for state, wait in (("firing", 21), ("recovering", 16), ("recovering", 3),
                            ("firing", 22))
    }
    assert levels == {"tile tile--critical"}


def test_it_shows_a_pending_breach_neutral_with_a_small_mark() -> None:
    tile = _tile([alert_state(state="pending", severity="critical")], longest_wait_s=25.0)
    assert tile.className == "tile tile--ok"  # type: ignore[attr-defined]
    assert by_class(tile, "tile__wait-value--ok")
    assert text(by_class(tile, "tile__pending")) == "pending"
    swedish = _tile([alert_state(metric="service_level_pct", state="pending",
                                 severity="warning")], lang="sv")
    [mark] = by_class(swedish, "tile__pending")
    assert mark.children == "väntande"
    assert by_class(swedish, "tile__stat--ok")


def test_it_shows_no_threshold_colour_without_a_state() -> None:
    tile = _tile([], longest_wait_s=900.0, service_level_pct=5.0)
    assert tile.className == "tile tile--ok"  # type: ignore[attr-defined]
    assert by_class(tile, "tile__wait-value--ok") and by_class(tile, "tile__stat--ok")


def test_it_keeps_a_stale_tile_stale_whatever_the_states_say() -> None:
    alerts = queue_alerts([alert_state(ack_by="anna", ack_at_ms=NOW - 60_000),
                           alert_state(metric="calls_waiting", severity="warning")],
                          [silence_row()], {1: "Many waiting"}, NOW)
    tile = build_tile(queue(ts_ms=NOW - 60_000, longest_wait_s=95.0), NOW, "en", CONFIG,
                      alerts)
    assert tile.className == "tile tile--stale"
    assert not by_class(tile, "tile__badge")
    assert "acknowledged" not in text(tile) and "silenced" not in text(tile)
    # The alert it is in stays visible, marked as held through stale data.
    assert text(by_class(tile, "tile__stale-alert")) == "critical alert still open"
    assert tile.to_plotly_json()["props"]["data-alert"] == "critical"


def test_it_badges_a_firing_rule_on_another_metric() -> None:
    tile = _tile([alert_state(metric="calls_waiting", severity="warning", rule_id=7),
                  alert_state(metric="agents_available", state="pending", rule_id=8)],
                 rule_names={7: "Many waiting", 8: "Few agents"})
    assert tile.className == "tile tile--warning"  # type: ignore[attr-defined]
    assert [(b.children, getattr(b, "data-mark")) for b in by_class(tile, "tile__badge")] == [
        ("Few agents", "pending"), ("Many waiting", "warning")]
    assert by_class(tile, "tile__wait-value--ok")  # the wait itself is fine


def test_it_names_a_badge_in_the_readers_language() -> None:
    """A shipped rule's stored English name is translated, a rule that is gone shows its
    metric's registered name (never its id), a typed name stays as typed."""
    states = [alert_state(metric="calls_waiting", severity="warning", rule_id=7),
              alert_state(metric="agents_available", severity="critical", rule_id=8),
              alert_state(metric="agents_paused", state="pending", rule_id=9)]
    names = {7: "Source stale", 9: "Kvällspaus"}
    badges = {lang: [b.children for b in by_class(_tile(states, rule_names=names, lang=lang),
                                                  "tile__badge")]
              for lang in ("en", "sv")}
    assert badges == {"en": ["Available", "Kvällspaus", "Source stale"],
                      "sv": ["Lediga", "Kvällspaus", "Källan inaktuell"]}


def test_it_says_who_acknowledged_and_how_long_ago() -> None:
    tile = _tile([alert_state(ack_by="anna", ack_at_ms=NOW - 180_000, ack_comment="on it")])
    assert text(by_class(tile, "tile__note--acknowledged")) == (
        "acknowledged by anna, 3 min ago")
    swedish = _tile([alert_state(ack_by="anna", ack_at_ms=NOW - 180_000)], lang="sv")
    assert text(by_class(swedish, "tile__note--acknowledged")) == (
        "kvitterat av anna för 3 min sedan")


def test_it_says_until_when_and_why_a_queue_is_silenced() -> None:
    ends = NOW + 30 * 60_000
    mine = silence_row(1, entity_ids=("12",), entity_kind="queue", ends_at_ms=ends)
    other = silence_row(2, entity_ids=("99",), reason="not this one")
    ended = silence_row(3, ended_at_ms=NOW - 1_000, reason="over")
    tile = _tile([alert_state()], silences=(other, ended, mine))
    assert text(by_class(tile, "tile__note--silenced")) == (
        f"silenced until {fmt.short_time(ends, NOW, CONFIG.timezone)} (maintenance)")
    assert not by_class(_tile([alert_state()], silences=(other, ended)), "tile__note")


def test_it_follows_only_the_queue_source_of_the_wall_screen() -> None:
    snapshot = _snapshot(alert_state(source="trio-b"),
                         alert_state(entity_kind="target", entity_id="12"))
    assert alerts_by_queue(snapshot, NOW, "trio") == {}
    parts = build_wallboard(snapshot, NOW, "en", CONFIG)
    assert [getattr(tile, "data-level") for tile in parts.tiles] == ["ok"]


def test_it_lists_the_critical_alerts_to_beep_on_except_silenced_ones() -> None:
    worker = alert_state(source="health:w1", entity_kind="target", entity_id="w1",
                         metric="state_down", alert_id="a-w1")
    snapshot = _snapshot(
        alert_state("12", alert_id="a-12"),
        alert_state("13", severity="warning", alert_id="a-13"),
        alert_state("14", state="pending", alert_id=None),
        alert_state("15", alert_id="a-15"),
        worker,
        silences=(silence_row(entity_kind="queue", entity_ids=("15",)),),
    )
    assert critical_alert_ids(snapshot, NOW) == ["a-12", "a-w1"]
    assert build_wallboard(snapshot, NOW, "en", CONFIG).critical_ids == ["a-12", "a-w1"]


# -- over storage: one snapshot per period, the refresh callback -----------------------------


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_it_reads_states_and_active_silences_once_per_refresh_period(
    engine: Engine, store: Store, clock: ManualClock, statements: list[str]
) -> None:
    now = int(clock.time() * 1000)
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE}, now)
    ids = store_alert_states(engine, [alert_state("12"), alert_state(
        "12", metric="service_level_pct", state="ok", severity=None)], now_ms=now)
    alerts = AlertStore(engine)
    active = alerts.create_silence(rule_id=None, source="trio", entity_kind="queue",
                                   entity_ids=["12"], starts_at_ms=now, ends_at_ms=now + 60_000,
                                   reason="lunch", actor="anna", now_ms=now)
    ended = alerts.create_silence(rule_id=None, source=None, entity_kind=None, entity_ids=[],
                                  starts_at_ms=now, ends_at_ms=now + 60_000, reason="old",
                                  actor="anna", now_ms=now)
    alerts.end_silence(ended.id, actor="anna", now_ms=now)
    model = ReadModel(engine, DashboardConfig(refresh_interval_s=5.0), clock.time)
    statements.clear()
    first = model.snapshot()
    per_snapshot = len(statements)
    assert [(s.metric, s.state) for s in first.alert_states] == [("longest_wait_s", "firing")]
    assert [s.id for s in first.silences] == [active.id]
    assert first.rule_names[ids["Longest wait"]] == "Longest wait"
    for _ in range(40):
        clock.advance(0.1)
        assert model.snapshot() is first
    assert len(statements) == per_snapshot
    clock.advance(1.0)
    assert model.snapshot().version > first.version
    assert len(statements) == 2 * per_snapshot


@pytest.fixture
def server(engine: Engine, store: Store, clock: ManualClock) -> flask.Flask:
    now = int(clock.time() * 1000)
    write_queues(store, {("12", "Kundtjänst"): {**BUSY_QUEUE, "longest_wait_s": 95.0},
                         ("4", "Växel"): BUSY_QUEUE}, now - 1_000)
    store_alert_states(engine, [alert_state("12", last_value=95.0),
                                alert_state("4", state="pending", severity="warning")],
                       now_ms=now)
    app = flask.Flask(__name__)
    app.secret_key = "dashboard-tests-secret-key-of-enough-length"
    create_dash(app, engine, DashboardConfig(logout_form=False), clock=clock.time)
    return app


def test_the_refresh_shows_states_and_an_acknowledgement_after_invalidation(
    server: flask.Flask, engine: Engine, clock: ManualClock
) -> None:
    from dashboard.pages import wallboard

    now = int(clock.time() * 1000)
    with server.test_request_context("/"):
        values = wallboard.refresh(1, "en")
        # Each output by its place in the callback's declared outputs.
        outputs = [d.component_id for d in
                   wallboard.refresh_dependencies(DashboardConfig(logout_form=False))
                   if isinstance(d, Output)]
        tiles = values[outputs.index(ids.WALLBOARD_TILES)]
        critical = values[outputs.index(ids.ALR_WALL_CRITICAL)]
        levels = {getattr(t, "data-queue"): getattr(t, "data-level") for t in tiles}
        assert levels == {"12": "critical", "4": "ok"}
        assert text(by_class(tiles, "tile__pending")) == "pending"
        assert critical == ["a-12-longest_wait_s"]
        [state] = [s for s in AlertStore(engine).states() if s.entity_id == "12"]
        AlertStore(engine).acknowledge(state.rule_id, state.series_key,
                                       alert_id="a-12-longest_wait_s", user="anna",
                                       comment="", now_ms=now)
        read_model = server.extensions["trio_monitor.dashboard"].read_model
        cached = wallboard.refresh(1, "en")[2]
        assert "acknowledged" not in text(cached)  # one snapshot per period...
        read_model.invalidate()  # ...unless this process changed something
        fresh = wallboard.refresh(1, "en")[2]
    assert "acknowledged by anna, 0 s ago" in text(fresh)
