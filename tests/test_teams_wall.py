"""A team's wall screen (pure builders): the view's queues in its order, the team's
totals, its queues' alerts only, a queue that left the Trio site as a quiet "gone" tile
in no total, and an outage or a partial poll still shown as stale, not as gone."""

from __future__ import annotations

import pytest

from dashboard import DashboardConfig, Snapshot
from dashboard.components import build_wallboard
from dashboard.readmodel import SourceView
from dashboard.teams import GoneQueue, find_view, team_screen, view_key
from storage import ViewRow
from tests.fixtures.dashboard import alert_state, by_class, queue, text

pytestmark = pytest.mark.sqlite_only

CONFIG = DashboardConfig()
NOW = 1_700_000_000_000  # 2023-11-14 23:13:20 CET
OLD = NOW - 20 * 60_000  # 22:53


def view(*queue_ids: str, title: str = "Support") -> ViewRow:
    return ViewRow(id=4, name="support", title=title, queue_ids=queue_ids, created_at_ms=NOW,
                   created_by="anna", updated_at_ms=NOW, updated_by="anna")


def source(state_reason: str | None = None) -> SourceView:
    return SourceView(name="trio", breaker_state="closed", breaker_opened_at_ms=None,
                      failover_active=False, active_url=None, last_error=None,
                      failing_since_ms=None, last_success_ms=NOW,
                      consecutive_failures=0, state_reason=state_reason)


def snapshot(*queues, reason: str | None = None, states=()) -> Snapshot:  # type: ignore[no-untyped-def]
    return Snapshot(version=1, taken_at_ms=NOW, queues=list(queues), collector_active=True,
                    source=source(reason), alert_states=tuple(states),
                    views=(view("3", "1", "9", "7"),))


QUEUES = (
    queue("1", "Kundtjänst", NOW, calls_waiting=2, longest_wait_s=30, agents_available=1,
          service_level_pct=70, answered_today=100),
    queue("2", "Växel", NOW, calls_waiting=9, longest_wait_s=600, agents_available=8),
    queue("3", "Återbetalning", NOW, calls_waiting=1, longest_wait_s=95, agents_available=2,
          service_level_pct=90, answered_today=300),
    queue("9", "Returns desk", OLD, calls_waiting=7, longest_wait_s=300, agents_available=9),
)


def test_the_view_shows_its_queues_in_its_order_with_the_teams_totals() -> None:
    shown = snapshot(*QUEUES, states=(alert_state("2", severity="critical"),))
    parts = build_wallboard(shown, NOW, "en", CONFIG, find_view(shown, name="Support"))

    assert [tile.id["queue"] for tile in parts.tiles] == ["3", "1", "9", "7"]
    assert parts.title == "Support"
    summary = text(parts.summary)
    # 1+2 waiting, longest 1:35, 2+1 available, (90*300 + 70*100) / 400 = 85 %; queue 2
    # (another team's, critical) neither counts nor colours this screen.
    assert "Waiting 3" in summary and "1:35" in summary and "Available 3" in summary
    assert "85 %" in summary and "critical" not in summary.lower()
    assert parts.critical_ids == []


def test_queues_that_left_the_site_are_quiet_gone_tiles_saying_since_when() -> None:
    shown = snapshot(*QUEUES)
    parts = build_wallboard(shown, NOW, "sv", CONFIG, find_view(shown, view_id=4))
    gone = {tile.id["queue"]: tile for tile in parts.tiles
            if "tile--gone" in tile.className}

    assert set(gone) == {"9", "7"}
    assert "Returns desk" in text(gone["9"]) and "senast rapporterad 22:53" in text(gone["9"])
    assert "Finns inte längre på Trio-servern" in text(gone["7"])
    assert "senast" not in text(gone["7"]), "never reported: no time to tell"
    assert "5:00" not in text(gone["9"]) and not by_class(gone["9"], "tile__value")


@pytest.mark.parametrize("case", ["outage", "partial"])
def test_an_outage_or_a_partial_poll_is_stale_not_gone(case: str) -> None:
    queues = list(QUEUES)
    if case == "outage":  # nothing fresh: the server is unreachable, not the queue gone
        queues = [queue(q.id, q.name, OLD) for q in QUEUES]
    shown = snapshot(*queues, reason="partial: 1 record skipped" if case == "partial"
                     else None)
    team = team_screen(shown, view("3", "1", "9"), NOW, CONFIG)
    assert not any(isinstance(entry, GoneQueue) for entry in team.order)
    [*_, tile] = build_wallboard(shown, NOW, "en", CONFIG, view("3", "1", "9")).tiles
    assert "tile--stale" in tile.className


def test_the_view_is_part_of_the_render_key() -> None:
    assert view_key(None, None) is None
    assert view_key(view("1"), None) == 4
    assert view_key(None, "nope") == ("?", "nope")
    assert len({view_key(None, None), view_key(view("1"), None),
                view_key(None, "nope")}) == 3


def whole_site(shown: Snapshot, lang: str = "en") -> dict[str, object]:
    return {tile.id["queue"]: tile for tile in build_wallboard(shown, NOW, lang, CONFIG).tiles}


def test_the_whole_site_wall_shows_a_queue_that_left_the_server_as_gone_in_no_total() -> None:
    """It stayed stale for ever (and in the totals' state) on the whole-site screen."""
    shown = snapshot(*QUEUES, states=(alert_state("9", severity="critical"),))
    tiles = whole_site(shown, "sv")
    parts = build_wallboard(shown, NOW, "en", CONFIG)

    assert list(tiles) == ["1", "2", "3", "9"], "the snapshot's order, gone ones kept"
    assert "tile--gone" in tiles["9"].className  # type: ignore[attr-defined]
    assert "senast rapporterad 22:53" in text(tiles["9"])
    assert not any("tile--gone" in tiles[q].className for q in "123")  # type: ignore[attr-defined]
    # Its old figures are in no total, but its alert, still open, is counted: a screen
    # never hides an alert the engine has not ended.
    summary = text(parts.summary)
    assert "Waiting 12" in summary and "1 critical" in summary
    assert [i for i in parts.critical_ids if i.startswith("a-9-")] == parts.critical_ids != []


@pytest.mark.parametrize("case", ["outage", "partial"])
def test_the_whole_site_wall_shows_an_outage_or_a_partial_poll_as_stale(case: str) -> None:
    queues = list(QUEUES)
    if case == "outage":
        queues = [queue(q.id, q.name, OLD) for q in QUEUES]
    shown = snapshot(*queues, reason="partial: 1 record skipped" if case == "partial"
                     else None)
    tiles = whole_site(shown)
    assert "tile--stale" in tiles["9"].className  # type: ignore[attr-defined]
    assert not any("tile--gone" in t.className for t in tiles.values())  # type: ignore[attr-defined]
