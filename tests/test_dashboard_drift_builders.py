"""/drift: the table of what drifts now, the histogram bins, the reconcilers."""

from __future__ import annotations

from dashboard.components.drift import build_drift_page, build_drift_table
from dashboard.opsmodel import OpsSnapshot, ReconcilerView
from dashboard.sites import DURATION_LABELS, duration_bins, longest_first
from tests.fixtures.dashboard import by_class, drift_item, status, text, walk

NOW = 1_700_000_000_000
TZ = "Europe/Stockholm"  # the site's zone (DashboardConfig.timezone)
MIN = 60_000


def test_it_lists_drift_longest_first_with_how_long() -> None:
    drift = longest_first([drift_item("db-b", "cpu", NOW - 5 * MIN, "2", "1"),
                           drift_item("db-a", "memory", NOW - 42 * MIN),
                           drift_item("db-c", "version", NOW - 3 * 3600_000, "16", "15")])
    table = build_drift_table(drift, NOW, "en", TZ)
    rows = [c for c in walk(table) if getattr(c, "data-resource", None)]
    assert [getattr(r, "data-resource") for r in rows] == ["db-c", "db-a", "db-b"]
    cells = [[text(cell) for cell in row.children] for row in rows]
    assert cells[1][0:4] == ["db-a", "aws", "memory", "2Gi → 1Gi"]
    assert [row[5] for row in cells] == ["3 h", "42 min", "5 min"]
    assert text(build_drift_table([], NOW, "sv", TZ)) == "Inget avviker"


def test_it_bins_how_long_drift_lasted() -> None:
    bins = duration_bins([0, 59_999, 60_000, 4 * MIN, 10 * MIN, 59 * MIN, 2 * 3600_000,
                          5 * 3600_000, 3 * 86_400_000])
    assert [label for label, _ in bins] == list(DURATION_LABELS)
    assert [count for _, count in bins] == [2, 2, 1, 1, 1, 1, 1]
    assert [count for _, count in duration_bins([])] == [0] * 7


def test_it_shows_the_reconcilers_own_health_and_the_charts() -> None:
    recon = ReconcilerView(status=status("drift:recon", "up"), healthy=True,
                           last_success_ms=NOW - 2 * MIN, consecutive_failures=0,
                           cycle_durations_s=((NOW - MIN, 1.5), (NOW, 2.0)))
    snapshot = OpsSnapshot(version=1, taken_at_ms=NOW, reconcilers=[recon],
                           drift=[drift_item("db-a", "memory", NOW - MIN)],
                           drift_counts={"aws": ((NOW - MIN, 1.0), (NOW, 1.0))},
                           durations_ms=[30_000, 90_000])
    page = build_drift_page(snapshot, NOW, "en", TZ)
    shown = text(page)
    assert "recon" in shown and "healthy" in shown and "(2 min ago)" in shown
    assert "Consecutive failures 0" in shown
    graphs = [c for c in walk(page) if type(c).__name__ == "Graph"]
    assert len(graphs) == 3  # drift over time, the cycle trend, the histogram
    [histogram] = [g for g in graphs if g.figure["data"][0]["type"] == "bar"]
    assert histogram.figure["data"][0]["y"] == [1, 1, 0, 0, 0, 0, 0]
    assert all(g.config == {"displayModeBar": False, "staticPlot": True} for g in graphs)


def test_it_says_when_there_is_nothing_yet() -> None:
    page = build_drift_page(OpsSnapshot(version=1, taken_at_ms=NOW), NOW, "en", TZ)
    assert "Nothing is drifting" in text(page) and "No reconcilers configured" in text(page)
    assert by_class(page, "drift-table") == []
