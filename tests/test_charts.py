"""Charts as figure dicts: axis labels never cut (the margins grow to hold them), counts
drawn as steps, the x axis covering exactly the range the title names however little
data there is, and kiosk charts legible from four metres."""

from __future__ import annotations

from typing import Any

from dashboard.components import charts
from dashboard.components.drift import build_drift_page
from dashboard.components.history import CHARTS, GapRule, chart_figure
from dashboard.historymodel import QueueCharts, QueueInfo
from dashboard.metrics import QueueMetric
from dashboard.opsmodel import OpsSnapshot
from specs.sitetime import LocalTimes
from storage import History, Point, Resolution, Segment
from tests.fixtures.dashboard import walk

SITE = "Europe/Stockholm"
NOW = 1_700_000_000_000  # 2023-11-14 23:13:20 in Stockholm
HOUR = 3_600_000
DAY = 24 * HOUR


def figures(node: Any) -> list[dict[str, Any]]:
    return [item.figure for item in walk(node) if getattr(item, "figure", None)]


def test_it_covers_the_whole_span_of_the_title_however_little_data_there_is() -> None:
    # Eight minutes of data in a chart titled "last 24 h".
    points = [(NOW - 8 * 60_000, 1.0), (NOW, 2.0)]
    figure = charts.time_lines({"w": points}, SITE, span=(NOW - DAY, NOW))
    assert figure["layout"]["xaxis"]["range"] == ["2023-11-13 23:13:20",
                                                  "2023-11-14 23:13:20"]
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert figure["layout"]["xaxis"]["tickformat"] == "%H:%M"  # short, never on its side


def test_it_draws_counts_as_steps_and_measurements_as_lines() -> None:
    points = [(NOW - HOUR, 1.0), (NOW, 3.0)]
    counts = charts.time_lines({"drifting": points}, SITE, step=True)
    latency = charts.time_lines({"w": points}, SITE)
    assert [trace["line"]["shape"] for trace in counts["data"]] == ["hv"]
    assert [trace["line"]["shape"] for trace in latency["data"]] == ["linear"]


def test_its_axis_labels_get_the_room_they_need() -> None:
    for figure in (charts.time_lines({"w": [(NOW, 1.0)]}, SITE),
                   charts.bars(["< 1 min", "1-10 min"], [3, 1])):
        layout = figure["layout"]
        assert layout["xaxis"]["automargin"] and layout["yaxis"]["automargin"]


def test_a_kiosk_chart_is_legible_from_four_metres() -> None:
    desk = charts.time_lines({"w": [(NOW, 1.0)]}, SITE)
    kiosk = charts.for_kiosk(desk)
    assert kiosk["layout"]["font"]["size"] >= 20 > desk["layout"]["font"]["size"]
    assert kiosk["data"][0]["line"]["width"] > desk["data"][0]["line"]["width"]
    assert charts.for_kiosk(charts.bars(["a"], [1]))["layout"]["font"]["size"] >= 20
    assert desk["layout"]["font"]["size"] == charts.DESK_FONT_PX  # left as it was
    shown = charts.graph(desk, "chart", kiosk=True)
    assert shown.figure["layout"]["font"]["size"] >= 20


def test_every_chart_of_every_page_is_made_by_charts_graph() -> None:
    """The one place that draws a chart for the kiosk (a display session): a dcc.Graph
    made anywhere else would stay at desk size on a wall screen (the queue page's did)."""
    import pathlib

    root = pathlib.Path(charts.__file__).resolve().parents[1]
    elsewhere = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if path.name != "charts.py" and "dcc.Graph(" in path.read_text()]
    assert elsewhere == []


def test_the_drift_page_draws_its_counts_as_steps_over_the_last_24_h() -> None:
    snapshot = OpsSnapshot(version=1, taken_at_ms=NOW,
                           drift_counts={"drifting": [(NOW - HOUR, 2.0)]},
                           durations_ms=[60_000])
    desk = figures(build_drift_page(snapshot, NOW, "en", SITE))
    over_time = desk[0]
    assert over_time["data"][0]["line"]["shape"] == "hv"
    assert over_time["layout"]["xaxis"]["range"] == ["2023-11-13 23:13:20",
                                                     "2023-11-14 23:13:20"]
    # Outside a display session's request: a desk's size.
    assert all(f["layout"]["font"]["size"] == charts.DESK_FONT_PX for f in desk)


def queue_charts(points: list[Point], from_ms: int, to_ms: int) -> QueueCharts:
    series = {metric: i for i, metric in enumerate(QueueMetric)}
    return QueueCharts(
        queue=QueueInfo(source="trio", queue_id="12", name="Kundtjänst", series=series),
        history=History(resolution=Resolution.RAW, from_ms=from_ms, to_ms=to_ms,
                        points={i: points for i in series.values()},
                        segments=(Segment(Resolution.RAW, from_ms, to_ms, None),)),
        alerts={})


def test_the_queue_charts_cover_the_range_asked_with_counts_as_steps() -> None:
    # A week asked, ten minutes stored: the axis still spans the week.
    points = [Point(NOW - 600_000 + i * 60_000, v, v, v, v, 1)
              for i, v in enumerate([1.0, 3.0, 2.0])]
    data = queue_charts(points, NOW - 7 * DAY, NOW)
    times = LocalTimes(SITE)
    shapes = {}
    for spec in CHARTS:
        figure = chart_figure(spec, data, times, GapRule(data.history.segments, 120_000),
                              "en")
        layout = figure["layout"]
        assert layout["xaxis"]["range"] == ["2023-11-07 23:13:20", "2023-11-14 23:13:20"]
        assert layout["xaxis"]["automargin"] and layout["yaxis"]["automargin"]
        shapes[spec.name] = {trace["line"]["shape"] for trace in figure["data"]}
    assert shapes == {"waiting": {"hv"}, "wait": {"linear"}, "service-level": {"linear"},
                      "agents": {"hv"}}
