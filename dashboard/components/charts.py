"""Small plotly figures as plain dicts, in the wall screen's dark colours.

Every graph is static (no mode bar, no hover): these are read at a glance, and a static
plot costs the browser least.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc

from .format import LocalTimes

Points = Sequence[tuple[int, float]]

TEXT = "#e6edf3"
MUTED = "#8b949e"
GRID = "#30363d"
LINE = "#58a6ff"
BAR = "#d29922"


def _times(points: Points, tz: str) -> list[str]:
    # Local time of the site's zone, like every other time the dashboard shows.
    times = LocalTimes(tz)
    return [times(ts) for ts, _ in points]


# Time axes in ISO dates and the 24-hour clock, read alike in English and Swedish:
# plotly's defaults name months in English ("Dec 3, 2026").
DATE_TICKS: list[dict[str, Any]] = [
    {"dtickrange": [None, 86_400_000], "value": "%H:%M"},
    {"dtickrange": [86_400_000, 28 * 86_400_000], "value": "%Y-%m-%d"},
    {"dtickrange": [28 * 86_400_000, None], "value": "%Y-%m"},
]
DATE_HOVER = "%Y-%m-%d %H:%M:%S"


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": TEXT, "size": 12},
        "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
        "xaxis": {"gridcolor": GRID, "zeroline": False},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "rangemode": "tozero"},
        "showlegend": False,
        **extra,
    }


def sparkline(points: Points) -> dict[str, Any]:
    """A line without axes, for a card (its x values are the epoch milliseconds: no
    time is shown)."""
    return {
        "data": [{"type": "scatter", "mode": "lines", "x": [ts for ts, _ in points],
                  "y": [value for _, value in points], "line": {"color": LINE, "width": 1.5}}],
        "layout": _layout(margin={"l": 0, "r": 0, "t": 2, "b": 2},
                          xaxis={"visible": False}, yaxis={"visible": False,
                                                           "rangemode": "tozero"}),
    }


def time_lines(lines: Mapping[str, Points], tz: str) -> dict[str, Any]:
    """One line per name over time in the site's zone ``tz``, with a legend when there
    are several."""
    data = [
        {"type": "scatter", "mode": "lines", "name": name, "x": _times(points, tz),
         "y": [value for _, value in points]}
        for name, points in lines.items()
    ]
    return {"data": data, "layout": _layout(
        showlegend=len(data) > 1, legend={"orientation": "h", "y": -0.2},
        xaxis={"gridcolor": GRID, "zeroline": False, "tickformatstops": DATE_TICKS,
               "hoverformat": DATE_HOVER})}


def bars(labels: Sequence[str], counts: Sequence[int]) -> dict[str, Any]:
    return {
        "data": [{"type": "bar", "x": list(labels), "y": list(counts),
                  "marker": {"color": BAR}}],
        "layout": _layout(),
    }


def graph(figure: dict[str, Any], class_name: str) -> dcc.Graph:
    return dcc.Graph(figure=figure, config={"displayModeBar": False, "staticPlot": True},
                     className=class_name)
