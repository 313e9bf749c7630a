"""The floor on the wall screen (pure builders): a queue under running maintenance is
drawn neutral with "maintenance until ...", counted in no total and beeped for by no
screen; a window for another queue or not running yet changes nothing; the ticker in
both languages."""

from __future__ import annotations

import pytest

from alerts.maintenance import next_occurrence
from dashboard import DashboardConfig, Snapshot
from dashboard.components import build_wallboard
from dashboard.components.ticker import TICKER_OFF, TICKER_ON, build_ticker_items
from dashboard.status import alerts_by_queue, critical_alert_ids
from storage import FloorMessageRow, MaintenanceKind, MaintenanceRow, MaintenanceScope
from tests.fixtures.dashboard import alert_state, queue, text

pytestmark = pytest.mark.sqlite_only

CONFIG = DashboardConfig()
NOW = 1_700_000_000_000  # 2023-11-14 23:13:20 CET: an hour later is the next day
HOUR = 3_600_000


def window(entity_ids: tuple[str, ...] = ("12",), start: int = NOW - HOUR,
           rule_id: int | None = None) -> MaintenanceRow:
    return MaintenanceRow(
        id=7, scope=MaintenanceScope(rule_id=rule_id, source="trio", entity_kind="queue",
                                     entity_ids=entity_ids),
        kind=MaintenanceKind.ONCE, starts_at_ms=start, ends_at_ms=NOW + HOUR, weekly=None,
        reason="Trio upgrade", created_by="sara", created_at_ms=NOW - 2 * HOUR,
        ended_at_ms=None, ended_by=None)


def snapshot(*windows: MaintenanceRow) -> Snapshot:
    running = tuple(o for w in windows if (o := next_occurrence(w, NOW)) is not None
                    and o.active_at(NOW))
    return Snapshot(version=1, taken_at_ms=NOW, queues=[queue(ts_ms=NOW)],
                    collector_active=True,
                    alert_states=(alert_state("12", severity="critical"),),
                    maintenance=running)


def test_a_queue_under_running_maintenance_says_so_instead_of_alarming() -> None:
    shown = snapshot(window())
    parts = build_wallboard(shown, NOW, "en", CONFIG)
    [tile] = parts.tiles
    assert "tile--maintenance" in tile.className and "tile--critical" not in tile.className
    assert "maintenance until 2023-11-15 00:13" in text(tile)
    assert critical_alert_ids(shown, NOW) == []
    assert "critical" not in text(parts.summary)
    swedish = build_wallboard(shown, NOW, "sv", CONFIG).tiles[0]
    assert "underhåll till 2023-11-15 00:13" in text(swedish)


@pytest.mark.parametrize("other", [
    window(entity_ids=("3",)),  # another queue
    window(start=NOW + HOUR // 2),  # planned, not started yet
    window(rule_id=99),  # another rule's alerts only
])
def test_maintenance_elsewhere_or_later_changes_nothing(other: MaintenanceRow) -> None:
    shown = snapshot(other)
    alerts = alerts_by_queue(shown, NOW, CONFIG.source_name)
    assert alerts["12"].maintenance is None
    [tile] = build_wallboard(shown, NOW, "en", CONFIG).tiles
    assert "tile--critical" in tile.className
    assert critical_alert_ids(shown, NOW) != []


def test_a_queue_covered_whole_is_marked_without_any_open_alert() -> None:
    shown = Snapshot(version=1, taken_at_ms=NOW, queues=[queue(ts_ms=NOW)],
                     collector_active=True,
                     maintenance=(next_occurrence(window(), NOW),))  # type: ignore[arg-type]
    [tile] = build_wallboard(shown, NOW, "en", CONFIG).tiles
    assert "tile--maintenance" in tile.className


def test_the_ticker_shows_each_message_with_its_expiry_in_the_sites_zone() -> None:
    message = FloorMessageRow(id=1, text="System X nere: be kunder ringa tillbaka",
                              displays=(), expires_at_ms=NOW + HOUR, created_by="sara",
                              created_at_ms=NOW, withdrawn_at_ms=None, withdrawn_by=None)
    children, shown = build_ticker_items([message], NOW, "sv", "Europe/Stockholm")
    words = text(children)
    assert shown == TICKER_ON
    assert "Meddelande" in words and "System X nere" in words and "till 2023-11-15 00:13" in words
    assert build_ticker_items([], NOW, "en", "Europe/Stockholm") == ([], TICKER_OFF)
