"""Small plotly figures as plain dicts, in the wall screen's dark colours.

Every graph is static (no mode bar, no hover): these are read at a glance, and a static
plot costs the browser least.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc

from .. import screenview
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


# Type read at a desk, and on a wall screen from four metres (kiosk mode: for_kiosk,
# which graph applies to every chart of a display session or a tab /kiosk rotates).
DESK_FONT_PX = 12
DAY_SPAN_MS = 36 * 3_600_000  # up to this, ticks are times of day
KIOSK_FONT_PX = 22


def _layout(**extra: Any) -> dict[str, Any]:
    """The common layout. Axis labels are never cut: the margins grow to hold them
    (automargin), from a small base."""
    return {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": TEXT, "size": DESK_FONT_PX},
        "margin": {"l": 8, "r": 16, "t": 10, "b": 8},
        "xaxis": {"gridcolor": GRID, "zeroline": False, "automargin": True},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "rangemode": "tozero",
                  "automargin": True},
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


def time_lines(lines: Mapping[str, Points], tz: str, *, span: tuple[int, int] | None = None,
               step: bool = False) -> dict[str, Any]:
    """One line per name over time in the site's zone ``tz``, with a legend when there
    are several. ``span``: (from, to) in epoch ms, the range the chart's title names
    ("last 24 h"): the x axis covers it whole, however little data there is. ``step``:
    counts and states, which hold their value until the next sample, drawn as steps
    (a slope between two samples would show values that never were)."""
    times = LocalTimes(tz)
    shape = "hv" if step else "linear"
    data = [
        {"type": "scatter", "mode": "lines", "name": name, "x": _times(points, tz),
         "y": [value for _, value in points], "line": {"shape": shape, "width": 1.5}}
        for name, points in lines.items()
    ]
    xaxis: dict[str, Any] = {"gridcolor": GRID, "zeroline": False, "automargin": True,
                             "type": "date", "tickformatstops": DATE_TICKS,
                             "hoverformat": DATE_HOVER}
    if span is not None:
        xaxis["range"] = [times(span[0]), times(span[1])]
        # Short labels that never turn on their side and get cut in a small card; the
        # title names the day ("last 24 h"), and plotly's month names are English only.
        xaxis["tickformat"] = "%H:%M" if span[1] - span[0] <= DAY_SPAN_MS else "%Y-%m-%d"
        del xaxis["tickformatstops"]
        xaxis["nticks"] = 6
        xaxis["tickangle"] = 0
    return {"data": data, "layout": _layout(showlegend=len(data) > 1, xaxis=xaxis,
                                            legend={"orientation": "h", "y": -0.25})}


def bars(labels: Sequence[str], counts: Sequence[int]) -> dict[str, Any]:
    return {
        "data": [{"type": "bar", "x": list(labels), "y": list(counts),
                  "marker": {"color": BAR}}],
        "layout": _layout(),
    }


KIOSK_LINE_PX = 3


def for_kiosk(figure: dict[str, Any]) -> dict[str, Any]:
    """``figure`` legible from four metres: its type KIOSK_FONT_PX (text with a size of
    its own, such as a threshold's label, in proportion) and its lines KIOSK_LINE_PX."""
    scale = KIOSK_FONT_PX / DESK_FONT_PX
    layout = dict(figure.get("layout", {}))
    layout["font"] = {**layout.get("font", {}), "size": KIOSK_FONT_PX}
    if "annotations" in layout:
        layout["annotations"] = [
            {**note, "font": {**note["font"], "size": round(note["font"]["size"] * scale)}}
            if "size" in note.get("font", {}) else note
            for note in layout["annotations"]]
    data = [{**trace, "line": {**trace["line"],
                               "width": max(trace["line"].get("width", 2), KIOSK_LINE_PX)}}
            if "line" in trace else trace
            for trace in figure.get("data", [])]
    return {**figure, "data": data, "layout": layout}


def graph(figure: dict[str, Any], class_name: str, *, kiosk: bool | None = None,
          **props: Any) -> dcc.Graph:
    """Every chart of every page, static (``props`` may give another ``config`` and an
    ``id``). ``kiosk``: drawn legible from four metres (``for_kiosk``); None, the
    default, decides by the request (``screenview.in_kiosk``: a display session, or a
    logged-in user's tab that /kiosk rotates)."""
    if kiosk is None:
        kiosk = screenview.in_kiosk()
    props.setdefault("config", {"displayModeBar": False, "staticPlot": True})
    return dcc.Graph(figure=for_kiosk(figure) if kiosk else figure, className=class_name,
                     **props)
