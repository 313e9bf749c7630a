"""/health and the wall screen's worker and drift row: pure builders over plain data."""

from __future__ import annotations

import pytest

from dashboard.components import format as fmt
from dashboard.components.health import build_health_card, build_health_grid, detail_href
from dashboard.components.site_strip import build_site_strip
from dashboard.opsmodel import OpsSnapshot, SourceHistory, uptimes
from dashboard.sites import grid_order, source_state, worst
from specs.health import HealthState
from storage import SourceFacts
from tests.fixtures.dashboard import by_class, drift_item, status, text

NOW = 1_700_000_000_000
TZ = "Europe/Stockholm"  # the site's zone (DashboardConfig.timezone)
MIN = 60_000
HOUR = 60 * MIN


@pytest.mark.parametrize("state", ["up", "degraded", "down", "pending"])
def test_it_colours_a_card_and_names_its_state(state: str) -> None:
    card = build_health_card(status(state=state, reason="HTTP 503"), SourceHistory(), NOW,
                             "en", TZ)
    [inner] = by_class(card, "card")
    assert f"card--{state}" in inner.className
    [badge] = by_class(card, "state")
    assert badge.className == f"state state--{state}" and badge.children == state.upper()


def test_it_says_pending_for_a_source_never_checked() -> None:
    never = SourceFacts(name="health:w", kind="health", url="http://w")
    assert source_state(never) is HealthState.PENDING
    assert source_state(SourceFacts(name="trio", kind="trio", url="u", last_poll_at_ms=1,
                                    breaker_state="open")) is HealthState.DOWN
    assert source_state(SourceFacts(name="h", kind="health", url="u", last_poll_at_ms=1,
                                    state="degraded")) is HealthState.DEGRADED
    card = build_health_card(status(state="pending"), SourceHistory(), NOW, "sv", TZ)
    assert "VÄNTAR" in text(card) and "aldrig" in text(card)


def test_it_shows_breaker_last_success_last_error_and_uptimes() -> None:
    source = status(state="down", reason="HTTP 503", breaker_state="open",
                    last_success_ms=NOW - 3 * MIN, last_error="HTTP 503 from GET /health")
    history = SourceHistory(latency=((NOW - MIN, 12.0), (NOW, 15.0)), uptime_24h=0.5,
                            uptime_7d=0.98765)
    card = build_health_card(source, history, NOW, "en", TZ)
    shown = text(card)
    for part in ("worker-1", "DOWN", "HTTP 503", "open", "3 min ago", "50.0 %", "98.8 %",
                 "HTTP 503 from GET /health"):
        assert part in shown
    [spark] = by_class(card, "card__spark")
    assert spark.config == {"displayModeBar": False, "staticPlot": True}
    assert card.href == detail_href("health:worker-1") == "/health?source=health%3Aworker-1"


def test_it_shows_no_uptime_when_nothing_was_checked() -> None:
    assert fmt.ratio(None) == "–"
    card = build_health_card(status(state="pending"), SourceHistory(), NOW, "en", TZ)
    assert "Uptime 24 h – Uptime 7 d –" in text(card)


def test_it_computes_uptime_over_24h_and_7d_from_one_read() -> None:
    day = 24 * HOUR
    # Up for 7 days except down for the 12 h ending 6 h ago.
    events = [(NOW - 18 * HOUR, "down"), (NOW - 6 * HOUR, "up")]
    result = uptimes("up", events, NOW)
    assert result["uptime_24h"] == pytest.approx(0.5)
    assert result["uptime_7d"] == pytest.approx(1 - 12 * HOUR / (7 * day))
    # Down since before the day window, and up again for the last 6 h.
    result = uptimes(None, [(NOW - 2 * day, "down"), (NOW - 6 * HOUR, "up")], NOW)
    assert result["uptime_24h"] == pytest.approx(0.25)
    assert uptimes(None, [], NOW) == {"uptime_24h": None, "uptime_7d": None}


def test_it_orders_the_grid_trio_then_workers_then_reconcilers() -> None:
    statuses = [status("drift:recon"), status("health:b"), status("trio"), status("health:A")]
    assert [s.name for s in grid_order(statuses)] == [
        "trio", "health:A", "health:b", "drift:recon"]


def test_it_says_when_the_database_is_unreadable_or_empty() -> None:
    failed = OpsSnapshot(version=1, taken_at_ms=NOW, db_error="PostgreSQL unreachable")
    assert text(build_health_grid(failed, NOW, "en", TZ)) == (
        "Database unavailable: PostgreSQL unreachable")
    assert text(build_health_grid(OpsSnapshot(version=1, taken_at_ms=NOW), NOW, "sv", TZ)) == (
        "Inga källor ännu")


# -- the wall screen's row ---------------------------------------------------------------


def test_it_names_the_worst_worker_and_the_longest_drift() -> None:
    others = [
        status("health:worker-1"),
        status("health:worker-2", "degraded", reason="latency 900 ms", state_since_ms=NOW),
        status("health:worker-3", "down", reason="HTTP 503", state_since_ms=NOW - MIN),
        status("health:worker-4", "down", reason="timeout", state_since_ms=NOW),
        status("drift:recon"),
    ]
    drift = [drift_item("db-orders", "memory", NOW - 42 * MIN),
             drift_item("db-users", "replicas", NOW - 5 * MIN, "3", "2")]
    [row] = build_site_strip(others, drift, NOW, "en", TZ)
    workers, drifting = row.children
    # The counts whole; the worst item after them a .clip (cut to the room, whole on a
    # click and in its title).
    assert text(workers) == "Workers: 1 up / 1 degraded / 2 down · worker-3 DOWN: HTTP 503"
    [detail] = by_class(workers, "clip")
    assert detail.title.startswith("worker-3 DOWN: HTTP 503")
    assert getattr(workers, "data-level") == "down"
    assert text(drifting) == "2 resources drifting · db-orders memory 2Gi→1Gi for 42 min"
    [row] = build_site_strip(others, drift, NOW, "sv", TZ)
    assert text(row) == (
        "Arbetare: 1 uppe / 1 försämrade / 2 nere · worker-3 NERE: HTTP 503 "
        "2 resurser avviker · db-orders memory 2Gi→1Gi i 42 min")


def test_it_says_all_up_and_no_drift_and_shows_nothing_without_workers() -> None:
    [row] = build_site_strip([status("health:a"), status("drift:r")], [], NOW, "en", TZ)
    assert text(row) == "Workers: 1 up / 0 degraded / 0 down no drift"
    assert build_site_strip([], [], NOW, "en", TZ) == []
    assert worst([status("health:a"), status("health:b", "pending")]) is None


def test_it_names_a_reconciler_that_is_down() -> None:
    others = [status("drift:recon", "down", reason="HTTP 502")]
    [row] = build_site_strip(others, [drift_item("db", "cpu", NOW - MIN)], NOW, "en", TZ)
    assert text(row) == "1 resource drifting · recon DOWN: HTTP 502 · db cpu 2Gi→1Gi for 1 min"


def test_every_card_ends_with_its_trend_or_says_why_there_is_none() -> None:
    one_point = SourceHistory(latency=((NOW, 12.0),))  # one point draws no line
    cards = {
        "two points": build_health_card(status(), SourceHistory(
            latency=((NOW - MIN, 12.0), (NOW, 15.0))), NOW, "en", TZ),
        "one point": build_health_card(status(), one_point, NOW, "sv", TZ),
        "none": build_health_card(status(), SourceHistory(), NOW, "en", TZ),
        "trio": build_health_card(status("trio"), SourceHistory(), NOW, "en", TZ),
        "reconciler": build_health_card(status("drift:recon-1"), SourceHistory(), NOW, "sv", TZ),
    }
    assert len(by_class(cards["two points"], "card__spark")) == 1
    notes = {name: text(note) for name, card in cards.items()
             for note in by_class(card, "card__trend")}
    assert notes == {"one point": "Ingen svarstid uppmätt den senaste timmen",
                     "none": "No latency measured in the last hour",
                     "trio": "History: on each queue's page",
                     "reconciler": "Cykeltider: på sidan Avvikelser"}
    assert not any(by_class(card, "card__spark") for name, card in cards.items()
                   if name != "two points")


def test_an_address_in_the_last_error_is_one_cut_line_whole_in_its_title() -> None:
    error = ("no response within 0.5 s from GET http://127.0.0.1:34857/te/api/cc/1/services/"
             "state; gave up after 1 attempt")
    card = build_health_card(status("trio", last_error=error), SourceHistory(), NOW, "en", TZ)
    [url] = by_class(card, "fact__url")
    assert url.children == url.title == "http://127.0.0.1:34857/te/api/cc/1/services/state"
    [value] = by_class(by_class(card, "fact--last-error")[0], "fact__value")
    assert "".join(part if isinstance(part, str) else part.children
                   for part in value.children) == error  # nothing lost, in order
