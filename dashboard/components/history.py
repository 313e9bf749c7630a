"""/queues/<id>: the range picker, the charts (plain plotly dicts), the queue's agents,
its daily figures and their CSV. Pure: plain data in, components, figures or bytes out.

Charts never draw a gap as data: a missing bucket (or, raw, a pause longer than the
stale limit) breaks the line, and the x axis spans the whole range asked for, so a
chart that ends early visibly ends early. x values are local-time strings of the
site's zone: plotly re-encodes datetime objects at about 5x the cost.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from dash import dcc, html
from dash.development.base_component import Component

from specs.sltarget import ServiceLevelTarget
from specs.text import stored_name
from storage import AgentRow, DailyRow, History, Point, Resolution, Segment

from .._paths import app_path
from ..historymodel import (
    NODATA_PERIOD,
    PRESETS,
    AlertPeriod,
    QueueCharts,
    RangeError,
    RangeProblem,
    ThresholdLine,
    ViewRange,
)
from ..i18n import Lang, t
from ..metrics import QueueMetric
from . import charts
from . import format as fmt
from .format import LocalTimes

# Component ids of /queues/<id>, "hst-" first (browser tests use the strings).
HST_VIEW = "hst-view"  # {"queue": id, "range", "from", "to"}: the range the page shows
HST_LOCATION = "hst-location"  # set by the custom range form: the URL holds the range
HST_CHARTS_REFRESH = "hst-charts-refresh"
HST_AGENTS_REFRESH = "hst-agents-refresh"
HST_RANGES = "hst-ranges"  # the preset links
HST_FROM = "hst-from"
HST_FROM_LABEL = "hst-from-label"
HST_TO = "hst-to"
HST_TO_LABEL = "hst-to-label"
HST_APPLY = "hst-apply"
HST_TIME_HINT = "hst-time-hint"
HST_RANGE_MESSAGE = "hst-range-message"  # what is wrong with the custom range typed
HST_NOTICE = "hst-notice"  # what was wrong with the range in the address
HST_STATUS = "hst-status"  # stale queue, failing source, no collector
HST_LEGEND = "hst-legend"
HST_CHARTS = "hst-charts"
HST_AGENTS = "hst-agents"
HST_DAILY = "hst-daily"
HST_CSV = "hst-csv"  # the CSV download link (inside HST_DAILY)
HST_MISSING = "hst-missing"  # the "no such queue" text (an unknown id in the address)

QUEUE_PATH = "/queues/"
PRESET_LABELS = {"1h": "1 h", "8h": "8 h", "24h": "24 h", "7d": "7 d", "30d": "30 d"}
_RANK = {Resolution.RAW: 0, Resolution.MINUTE: 1, Resolution.HOUR: 2}
_RESOLUTION_KEYS = {Resolution.RAW: "hst_res_raw", Resolution.MINUTE: "hst_res_1m",
                    Resolution.HOUR: "hst_res_1h"}
LINE = charts.LINE
BAND = "rgba(88, 166, 255, 0.22)"
PERIOD_COLOURS = {"warning": "rgba(210, 153, 34, 0.22)", "critical": "rgba(248, 81, 73, 0.25)",
                  NODATA_PERIOD: "rgba(139, 148, 158, 0.25)"}
THRESHOLD_COLOURS = {"warning": "#d29922", "critical": "#f85149"}
AGENT_COLOURS = {QueueMetric.AGENTS_AVAILABLE: "#3fb950", QueueMetric.AGENTS_BUSY: "#58a6ff",
                 QueueMetric.AGENTS_PAUSED: "#8b949e"}
# Agent states as the Trio collector stores them (lower case), in the order listed.
AGENT_STATES = ("available", "busy", "wrapup", "paused")
LOGGED_OUT = "loggedout"


def queue_href(queue_id: str, view: ViewRange | None = None) -> str:
    return app_path(QUEUE_PATH + quote(queue_id, safe="") + (view.query() if view else ""))


def csv_href(queue_id: str, lang: str) -> str:
    return app_path(f"{QUEUE_PATH}{quote(queue_id, safe='')}/daily.csv?lang={lang}")


# -- the page's frame ------------------------------------------------------------------


def build_no_such_queue(queue_id: str, lang: str) -> list[Component]:
    return [html.Main(
        [html.H2(t("hst_no_such_queue", lang, queue=queue_id), className="section__title"),
         html.P(t("hst_no_such_queue_hint", lang)),
         dcc.Link(t("hst_to_wall", lang), href=app_path("/"), className="page__back")],
        className="page__body page__banner hst-missing", **fmt.data_attributes(missing=queue_id))]


def build_range_links(queue_id: str, view: ViewRange, lang: str) -> list[Component]:
    """A link per preset (client-side navigation: the URL holds the range)."""
    links: list[Component] = [
        dcc.Link(PRESET_LABELS[name], href=queue_href(queue_id, ViewRange(preset=name)),
                 className="hst-range__link" + (" hst-range__link--active"
                                                if view.preset == name else ""))
        for name in PRESETS
    ]
    if view.preset is None:
        links.append(html.Span(t("hst_custom", lang),
                               className="hst-range__link hst-range__link--active",
                               **fmt.data_attributes(range="custom")))
    return links


def build_controls(queue_id: str, view: ViewRange, start: str, end: str,
                   lang: str) -> html.Div:
    """The range picker: presets, and a custom range between two local times."""
    return html.Div([
        html.Div(build_range_links(queue_id, view, lang), id=HST_RANGES,
                 className="hst-range"),
        html.Div([
            html.Label(t("hst_from", lang), id=HST_FROM_LABEL, htmlFor=HST_FROM,
                       className="field__label"),
            dcc.Input(id=HST_FROM, value=start, type="text", className="input hst-time",
                      debounce=True),
            html.Label(t("hst_to", lang), id=HST_TO_LABEL, htmlFor=HST_TO,
                       className="field__label"),
            dcc.Input(id=HST_TO, value=end, type="text", className="input hst-time",
                      debounce=True),
            html.Button(t("hst_apply", lang), id=HST_APPLY, className="button"),
            html.Span(t("hst_time_hint", lang), id=HST_TIME_HINT, className="muted"),
        ], className="hst-custom"),
        html.Div(id=HST_RANGE_MESSAGE, className="form__message hst-message",
                 role="status"),
    ], className="hst-controls")


def range_problem_text(error: RangeError, lang: str) -> str:
    keys = {RangeProblem.UNKNOWN_PRESET: "hst_bad_preset", RangeProblem.BAD_TIME: "hst_bad_time",
            RangeProblem.MISSING_END: "hst_missing_end", RangeProblem.ORDER: "hst_bad_order",
            RangeProblem.TOO_LONG: "hst_too_long"}
    return t(keys[error.problem], lang, value=error.value,
             presets=", ".join(PRESET_LABELS.values()))


def build_notice(error: RangeError | None, lang: str) -> list[Component]:
    """What was wrong with the address's range, and that the default is shown."""
    if error is None:
        return []
    return [html.Div(f"{range_problem_text(error, lang)} {t('hst_showing_default', lang)}",
                     className="hst-notice", role="alert",
                     **fmt.data_attributes(problem=error.problem.value))]


# -- charts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChartSpec:
    name: str  # CSS modifier and data-chart
    title_key: str
    metrics: tuple[QueueMetric, ...]
    unit: str = ""
    # Counts (calls waiting, agents in a state) hold until the next sample: steps. A
    # slope between two samples would show 2.5 calls waiting.
    step: bool = False


CHARTS = (
    ChartSpec("waiting", "hst_chart_waiting", (QueueMetric.CALLS_WAITING,), step=True),
    ChartSpec("wait", "hst_chart_wait", (QueueMetric.LONGEST_WAIT_S,), " s"),
    ChartSpec("service-level", "hst_chart_service_level", (QueueMetric.SERVICE_LEVEL_PCT,),
              " %"),
    ChartSpec("agents", "hst_chart_agents", (QueueMetric.AGENTS_AVAILABLE,
                                             QueueMetric.AGENTS_BUSY, QueueMetric.AGENTS_PAUSED),
              step=True),
)
_SERIES_NAMES = {QueueMetric.AGENTS_AVAILABLE: "available", QueueMetric.AGENTS_BUSY: "busy",
                 QueueMetric.AGENTS_PAUSED: "paused"}


def build_charts(data: QueueCharts, tz: str, raw_gap_ms: int, lang: str) -> list[Component]:
    """The resolution line, then a chart per metric group."""
    history = data.history
    times = LocalTimes(tz, seconds=history.resolution is Resolution.RAW)
    gaps = GapRule(history.segments, raw_gap_ms)
    boxes = [_chart_box(spec, chart_figure(spec, data, times, gaps, lang), lang)
             for spec in CHARTS]
    return [build_resolution(history, times, raw_gap_ms, lang),
            *build_periods(data, tz, lang), *boxes]


def build_periods(data: QueueCharts, tz: str, lang: str) -> list[Component]:
    """The shaded alert periods in words, oldest first: when each began (and ended), in
    the site's zone, as /alerts and the wall name them."""
    to_ms = data.history.to_ms
    periods = sorted({p for found in data.alerts.values() for p in found.periods},
                     key=lambda p: (p.start_ms, p.rule_name))
    if not periods:
        return []
    items = []
    for period in periods:
        fields = {"rule": stored_name(period.rule_name, lang),
                  "kind": t(f"hst_period_{period.kind}", lang),
                  "start": fmt.short_time(period.start_ms, to_ms, tz)}
        text = (t("hst_period_open", lang, **fields) if period.end_ms >= to_ms else
                t("hst_period", lang, end=fmt.short_time(period.end_ms, to_ms, tz), **fields))
        items.append(html.Li(text, title=fmt.full_time(period.start_ms, tz),
                             **fmt.data_attributes(period=period.kind)))
    return [html.Div([html.Span(t("hst_periods_title", lang), className="hst-periods__title"),
                      html.Ul(items, className="hst-periods__list")],
                     className="hst-periods muted")]


def _chart_box(spec: ChartSpec, figure: dict[str, Any], lang: str) -> html.Div:
    empty = not any(y is not None for trace in figure["data"] for y in trace["y"])
    return html.Div([
        html.H3(t(spec.title_key, lang), className="hst-chart__title"),
        *([html.Div(t("hst_no_points", lang), className="hst-chart__empty muted")]
          if empty else []),
        charts.graph(figure, f"hst-chart hst-chart--{spec.name}",
                     config={"displayModeBar": False, "displaylogo": False}),
    ], className="hst-chart-box", **fmt.data_attributes(chart=spec.name))


def build_resolution(history: History, times: LocalTimes, raw_gap_ms: int,
                     lang: str) -> html.Div:
    """Which resolution the charts show, the range, and which older part is coarser."""
    count = max((len(points) for points in history.points.values()), default=0)
    first = resolution_text(history.resolution, lang)
    # It starts the line: a capital ("Minutmedelvärden", "Every sample as polled").
    parts = [first[:1].upper() + first[1:],
             f"{times.short(history.from_ms)} – {times.short(history.to_ms)}",
             t("hst_points", lang, n=count)]
    parts += [t("hst_res_older", lang, time=times.short(end),
                resolution=resolution_text(source, lang))
              for source, end in _coarser_parts(history)]
    return html.Div(" · ".join(parts), className="hst-resolution",
                    **fmt.data_attributes(resolution=history.resolution.value))


def resolution_text(resolution: Resolution, lang: str) -> str:
    return t(_RESOLUTION_KEYS[resolution], lang)


def _coarser_parts(history: History) -> list[tuple[Resolution, int]]:
    """Each coarser table that served part of the range (data past the chosen
    resolution's retention), with the end of its part."""
    ends: dict[Resolution, int] = {}
    for seg in history.segments:
        if _RANK[seg.source] > _RANK[history.resolution]:
            ends[seg.source] = max(ends.get(seg.source, seg.to_ms), seg.to_ms)
    return sorted(ends.items(), key=lambda item: _RANK[item[0]], reverse=True)


class GapRule:
    """How far apart two points may be and still be joined by a line: the bucket of
    the segment they come from, or for raw samples ``raw_gap_ms`` (the stale limit)."""

    def __init__(self, segments: Sequence[Segment], raw_gap_ms: int) -> None:
        self._segments = sorted(segments, key=lambda s: s.from_ms)
        self._raw_gap_ms = raw_gap_ms

    def step(self, ts_ms: int) -> int:
        chosen = self._segments[0] if self._segments else None
        for seg in self._segments:
            if seg.from_ms <= ts_ms:
                chosen = seg
        if chosen is None or chosen.bucket_ms is None:
            return self._raw_gap_ms
        return chosen.bucket_ms

    def with_gaps(self, points: Sequence[Point]) -> list[Point | None]:
        """``points`` with None where a line must break."""
        out: list[Point | None] = []
        previous: tuple[int, int] | None = None  # (ts, step)
        for point in points:
            step = self.step(point.ts_ms)
            if previous is not None and point.ts_ms - previous[0] > max(step, previous[1]):
                out.append(None)
            out.append(point)
            previous = (point.ts_ms, step)
        return out


def chart_figure(spec: ChartSpec, data: QueueCharts, times: LocalTimes, gaps: GapRule,
                 lang: str) -> dict[str, Any]:
    history = data.history
    banded = history.resolution is not Resolution.RAW and len(spec.metrics) == 1
    traces: list[dict[str, Any]] = []
    for metric in spec.metrics:
        sid = data.queue.series.get(metric)
        points = gaps.with_gaps(history.points.get(sid, []) if sid is not None else [])
        x = _xs(points, times)
        if banded:
            traces += _band(x, points, spec.step)
        traces.append(_line(metric, x, [_y(p.mean) if p else None for p in points], lang,
                            spec.step))
    thresholds: list[ThresholdLine] = []
    periods: list[AlertPeriod] = []
    for metric in spec.metrics:
        found = data.alerts.get(metric)
        if found is not None:
            thresholds += found.thresholds
            periods += found.periods
    several = len(spec.metrics) > 1
    if not several:  # the chart's title names its one line
        for trace in traces:
            trace["showlegend"] = False
    layout = _layout(spec, times(history.from_ms), times(history.to_ms),
                     several or bool(thresholds))
    layout["shapes"] = ([_period_shape(p, times) for p in periods]
                        + [_threshold_shape(line) for line in thresholds])
    # Each threshold is named in the legend, beside a dash of its colour, lowest value
    # first: labels drawn at the lines overlapped when two values were close and were
    # cut at the chart's edge on a phone; the legend wraps and its margin grows to hold it.
    traces += [_threshold_label(line, lang, spec.unit)
               for line in sorted(thresholds, key=lambda line: line.value)]
    return {"data": traces, "layout": layout}


def _xs(points: Sequence[Point | None], times: LocalTimes) -> list[str]:
    # A gap marker takes the x of the point after it, with no y: plotly breaks the line.
    xs: list[str] = []
    for i, point in enumerate(points):
        after = point if point is not None else points[i + 1]
        xs.append(times(after.ts_ms) if after is not None else "")
    return xs


def _band(x: list[str], points: Sequence[Point | None], step: bool) -> list[dict[str, Any]]:
    """Min and max of each bucket as a shaded band under the mean."""
    common = {"type": "scatter", "mode": "lines", "x": x,
              "line": {"width": 0, "shape": "hv" if step else "linear"},
              "hoverinfo": "skip", "showlegend": False, "connectgaps": False}
    return [
        {**common, "y": [_y(p.min) if p else None for p in points]},
        {**common, "y": [_y(p.max) if p else None for p in points], "fill": "tonexty",
         "fillcolor": BAND},
    ]


def _line(metric: QueueMetric, x: list[str], y: list[float | None],
          lang: str, step: bool = False) -> dict[str, Any]:
    name = _SERIES_NAMES.get(metric)
    colour = AGENT_COLOURS.get(metric, LINE)
    return {"type": "scatter", "mode": "lines+markers", "x": x, "y": y, "connectgaps": False,
            "name": t(name, lang) if name else metric.value,
            "line": {"color": colour, "width": 1.5, "shape": "hv" if step else "linear"},
            "marker": {"color": colour, "size": _isolated(y)}}


def _y(value: float) -> float:
    return round(value, 3)  # the JSON stays short; nobody reads a wait to the microsecond


def _isolated(y: Sequence[float | None]) -> list[int] | int:
    """Marker sizes: a dot for a value with no neighbour to draw a line to (between two
    gaps, or alone), nothing elsewhere (0 for all when there is no such value)."""
    last = len(y) - 1
    sizes = [4 if value is not None and (i == 0 or y[i - 1] is None)
             and (i == last or y[i + 1] is None) else 0
             for i, value in enumerate(y)]
    return sizes if any(sizes) else 0


def _layout(spec: ChartSpec, start: str, end: str, legend: bool) -> dict[str, Any]:
    return {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": charts.TEXT, "size": 12},
        # A small base: the margins grow to hold the axis labels (automargin), which a
        # fixed 48 px cut ("1 200 s").
        "margin": {"l": 8, "r": 16, "t": 8, "b": 8},
        # The range asked for, whole, however little of it has data.
        "xaxis": {"type": "date", "range": [start, end], "gridcolor": charts.GRID,
                  "zeroline": False, "automargin": True,
                  "tickformatstops": charts.DATE_TICKS, "hoverformat": charts.DATE_HOVER},
        "yaxis": {"gridcolor": charts.GRID, "zeroline": False, "rangemode": "tozero",
                  "ticksuffix": spec.unit, "automargin": True},
        "hovermode": "x unified",
        "showlegend": legend,
        # In the traces' order (a filled band made plotly's default reversed).
        "legend": {"orientation": "h", "y": 1.12, "x": 0, "traceorder": "normal"},
    }


def _period_shape(period: AlertPeriod, times: LocalTimes) -> dict[str, Any]:
    return {"type": "rect", "xref": "x", "yref": "paper", "x0": times(period.start_ms),
            "x1": times(period.end_ms), "y0": 0, "y1": 1, "layer": "below",
            "fillcolor": PERIOD_COLOURS[period.kind], "line": {"width": 0},
            "name": f"{period.rule_name}: {period.kind}"}


def _threshold_shape(line: ThresholdLine) -> dict[str, Any]:
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": line.value,
            "y1": line.value, "line": {"color": THRESHOLD_COLOURS[line.severity], "width": 1,
                                       "dash": "dash"},
            "name": f"{line.rule_name}: {line.severity}"}


def _threshold_label(line: ThresholdLine, lang: str, unit: str) -> dict[str, Any]:
    """A legend entry naming a threshold line (a trace with no point: the line itself is
    the shape ``_threshold_shape`` draws across the chart)."""
    colour = THRESHOLD_COLOURS[line.severity]
    return {"type": "scatter", "mode": "lines", "x": [None], "y": [None],
            "name": t(f"hst_{line.severity}_line", lang, rule=stored_name(line.rule_name, lang),
                      value=f"{line.value:g}{unit}"),
            "line": {"color": colour, "width": 2, "dash": "dash"},
            "hoverinfo": "skip", "showlegend": True}


# -- agents ---------------------------------------------------------------------------------


def build_agents(agents: Iterable[AgentRow], now_ms: int, tz: str, lang: str) -> list[Component]:
    """The queue's logged-in agents by state, with how long they have been in it."""
    rows = list(agents)
    present = sorted((a for a in rows if a.state != LOGGED_OUT), key=_agent_order)
    away = len(rows) - len(present)
    title = html.H2(t("hst_agents_title", lang), className="section__title")
    if not rows:
        return [title, html.P(t("hst_no_agents", lang), className="muted")]
    times = LocalTimes(tz)
    header = html.Tr([html.Th(t(key, lang)) for key in
                      ("hst_agent", "hst_state", "hst_in_state", "hst_since")])
    body = [
        html.Tr([
            html.Td(agent.name or agent.agent_id),
            html.Td(_agent_state(agent.state, lang),
                    className=f"hst-agent-state hst-agent-state--{agent.state}"),
            html.Td(fmt.wait((now_ms - agent.state_since_ms) / 1000)
                    if agent.state_since_ms is not None else "–"),
            html.Td(times.short(agent.state_since_ms)
                    if agent.state_since_ms is not None else "–"),
        ], **fmt.data_attributes(agent=agent.agent_id, state=agent.state))
        for agent in present
    ]
    parts: list[Component] = [title, html.Table([html.Thead(header), html.Tbody(body)],
                                                className="table hst-agents")]
    if away:
        parts.append(html.P(t("hst_logged_out", lang, n=away), className="muted"))
    return parts


def _agent_order(agent: AgentRow) -> tuple[int, str]:
    rank = AGENT_STATES.index(agent.state) if agent.state in AGENT_STATES else len(AGENT_STATES)
    return rank, (agent.name or agent.agent_id).casefold()


def _agent_state(state: str, lang: str) -> str:
    return t(f"hst_state_{state}", lang) if state in AGENT_STATES else state


# -- daily figures ----------------------------------------------------------------------------

# (text key of the column, the value of a row as the table shows it)
_DAILY_COLUMNS: tuple[tuple[str, Callable[[DailyRow], str]], ...] = (
    ("hst_col_day", lambda r: r.day.isoformat()),
    ("hst_col_answered", lambda r: fmt.count(r.answered)),
    ("hst_col_abandoned", lambda r: fmt.count(r.abandoned)),
    ("hst_col_abandon_rate", lambda r: _one_decimal(r.abandon_rate_pct, "en", " %")),
    ("hst_col_service_level", lambda r: fmt.percent(r.service_level_pct)),
    ("hst_col_avg_wait", lambda r: fmt.wait(r.avg_wait_s)),
    ("hst_col_max_wait", lambda r: fmt.wait(r.max_wait_s)),
)
_HELP_KEYS = ("hst_help_counts", "hst_help_abandon_rate", "hst_help_service_level",
              "hst_help_wait")


# Counters a Trio server in failover counts from the switchover (the vendor's manual).
_FAILOVER_COLUMNS = frozenset({"hst_col_answered", "hst_col_abandoned", "hst_col_abandon_rate",
                               "hst_col_service_level"})


def build_daily(rows: Sequence[DailyRow], queue_id: str, tz: str, lang: str,
                failover_since_ms: int | None = None,
                target: ServiceLevelTarget | None = None) -> list[Component]:
    """The daily figures, newest day first, what each column means, and the CSV link.
    ``failover_since_ms``: the start of the source's failover now under way: that day's
    counters are labelled "since failover 10:42", never read as a day's totals.
    ``target``: the queue's service-level target (its own or the site's default); a
    day's service level under it is marked, and a note says which target it was."""
    title = html.H2(t("hst_daily_title", lang), className="section__title")
    link = html.A(t("hst_csv", lang), href=csv_href(queue_id, lang), id=HST_CSV,
                  className="button button--plain hst-csv", download="")
    if not rows:
        return [title, html.P(t("hst_no_daily", lang), className="muted")]
    header = html.Tr([html.Th(t(key, lang)) for key, _ in _DAILY_COLUMNS])
    failover_day = None if failover_since_ms is None else fmt.local_day(failover_since_ms, tz)
    failover_time = None if failover_since_ms is None else fmt.time_of_day(failover_since_ms, tz)
    label = None if failover_time is None else t("since_failover", lang, time=failover_time)
    body = [html.Tr([_daily_cell(key, cell(row), label if row.day.isoformat() == failover_day
                                 else None, _below(key, row, target), lang)
                     for key, cell in _DAILY_COLUMNS],
                    **fmt.data_attributes(day=row.day.isoformat()))
            for row in reversed(rows)]
    notes = [html.Li(t(key, lang)) for key in _HELP_KEYS]
    if target is not None:
        notes.append(html.Li(
            t("hst_help_target_own" if target.own else "hst_help_target_default", lang,
              target=target_text(target, lang)),
            className="hst-daily__target",
            **fmt.data_attributes(target=target.text(), own="1" if target.own else "0")))
    if failover_day is not None:
        notes.append(html.Li(t("hst_help_failover", lang, day=failover_day, time=failover_time),
                             className="hst-daily__failover-note"))
    newest = rows[-1]
    if newest.as_of_ms is not None:
        notes.append(html.Li(t("hst_help_as_of", lang, day=newest.day.isoformat(),
                               time=LocalTimes(tz).short(newest.as_of_ms))))
    return [title, html.Div(link, className="hst-daily__actions"),
            html.Table([html.Thead(header), html.Tbody(body)], className="table hst-daily"),
            html.Ul(notes, className="hst-daily__help muted")]


def _daily_cell(key: str, value: str, since_failover: str | None,
                below: ServiceLevelTarget | None, lang: str) -> html.Td:
    parts: list[Component | str] = [value]
    if since_failover is not None and key in _FAILOVER_COLUMNS:
        parts += [" ", html.Span(since_failover, className="hst-daily__failover",
                                 **fmt.data_attributes(failover="1"))]
    if below is None:
        return html.Td(parts if len(parts) > 1 else value)
    text = t("hst_below_target", lang, target=target_text(below, lang))
    return html.Td(parts, className="hst-daily__below", title=text,
                   **fmt.data_attributes(below="1"))


def _below(key: str, row: DailyRow, target: ServiceLevelTarget | None
           ) -> ServiceLevelTarget | None:
    """``target`` when this is the service-level cell of a day under it."""
    if (target is None or key != "hst_col_service_level" or row.service_level_pct is None
            or row.service_level_pct >= target.pct):
        return None
    return target


def target_text(target: ServiceLevelTarget, lang: str) -> str:
    """``80/20``; ``92,5/30`` in Swedish."""
    text = target.text()
    return text.replace(".", ",") if lang == Lang.SV else text


CSV_COLUMNS = ("hst_col_queue_id", "hst_col_queue", "hst_col_day", "hst_col_answered",
               "hst_col_abandoned", "hst_col_abandon_rate", "hst_col_service_level",
               "hst_col_avg_wait_s", "hst_col_max_wait_s", "hst_col_sl_target")


def daily_csv(rows: Iterable[DailyRow], lang: str,
              target: ServiceLevelTarget | None = None) -> bytes:
    """The daily figures as CSV, oldest day first: UTF-8 with a BOM (so Excel reads
    å ä ö). Swedish: Swedish headers, ``;`` between fields and a decimal comma, as
    Excel expects them in a Swedish locale. Unknown figures are empty. The last column
    is the service-level target the page judges the days against (empty: not given)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == Lang.SV else ",", lineterminator="\r\n")
    writer.writerow([t(key, lang) for key in CSV_COLUMNS])
    for row in rows:
        writer.writerow([
            csv_text(row.queue_id), csv_text(row.queue_name), row.day.isoformat(),
            "" if row.answered is None else row.answered,
            "" if row.abandoned is None else row.abandoned,
            _one_decimal(row.abandon_rate_pct, lang),
            _one_decimal(row.service_level_pct, lang),
            _one_decimal(row.avg_wait_s, lang),
            _one_decimal(row.max_wait_s, lang),
            "" if target is None else target_text(target, lang),
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV
# injection"), also after leading spaces, also in their full-width forms.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_text(value: str) -> str:
    """A text cell from outside data (a queue's name and id come from the Trio server)
    that no spreadsheet runs: one that would start a formula gets a leading ``'``,
    which spreadsheets show as text. Numbers we format ourselves are not passed here,
    so -1.5 stays a number."""
    if value.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _one_decimal(value: float | None, lang: str, suffix: str = "") -> str:
    if value is None:
        return "–" if suffix else ""
    text = f"{value:.1f}"
    return (text.replace(".", ",") if lang == Lang.SV else text) + suffix


def csv_filename(queue_id: str, day: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in queue_id)[:40]
    return f"queue-{safe}-daily-{day}.csv"
