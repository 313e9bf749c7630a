"""``/queues/<id>``: the day so far (totals, service level now and per 15 minutes against
the queue's target, staffing by Erlang C), and the target's form for administrators."""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from specs.intervals import IntervalLevel
from specs.sltarget import ServiceLevelTarget
from specs.staffing import Staffing

from ..daymodel import QueueDay
from ..i18n import t
from ..metrics import QueueMetric
from ..readmodel import QueueView
from . import charts
from . import format as fmt
from .tile_extras import abandon_rate

ERL_SECTION = "erl-floor"
ERL_INTERVALS = "erl-intervals"
ERL_STAFFING = "erl-staffing"
ERL_TARGET = "erl-target"
ERL_TARGET_CURRENT = "erl-target-current"
ERL_TARGET_PCT = "erl-target-pct"
ERL_TARGET_S = "erl-target-s"
ERL_TARGET_SAVE = "erl-target-save"
ERL_TARGET_RESET = "erl-target-reset"
ERL_TARGET_MESSAGE = "erl-target-message"
ERL_TARGET_CHANGED = "erl-target-changed"

ABOVE = "#3fb950"
BELOW = "#f85149"
TARGET = "#e6edf3"


def build_floor(queue: QueueView | None, day: QueueDay, lang: str) -> list[Component]:
    """Today's figures, then the interval bars and the staffing line."""
    return [
        html.H2(t("erl_today_title", lang), className="section__title"),
        build_today(queue, day, lang),
        _chart(ERL_INTERVALS, t("erl_chart_intervals", lang), interval_figure(day, lang),
               None if any(iv.answered > 0 for iv in day.intervals)
               else t("erl_no_intervals", lang)),
        _chart(ERL_STAFFING, t("erl_chart_staffing", lang), staffing_figure(day, lang),
               None if any(p.needed is not None for p in day.staffing)
               else t("erl_no_staffing", lang)),
        html.P(t("erl_staffing_note", lang), className="muted"),
    ]


def build_today(queue: QueueView | None, day: QueueDay, lang: str) -> html.Div:
    metrics = queue.metrics if queue is not None else {}
    answered = metrics.get(QueueMetric.ANSWERED_TODAY)
    abandoned = metrics.get(QueueMetric.ABANDONED_TODAY)
    asa = metrics.get(QueueMetric.ASA_S)
    level = metrics.get(QueueMetric.SERVICE_LEVEL_PCT)
    interval = day.current.service_level_pct
    items = [
        ("answered", t("erl_answered", lang), fmt.count(answered)),
        ("abandoned", t("erl_abandoned", lang), fmt.count(abandoned)),
        ("abandon-rate", t("erl_abandon_rate", lang),
         fmt.percent(abandon_rate(answered, abandoned))),
        ("asa", t("erl_asa", lang),
         fmt.wait(asa) if asa is not None else t("erl_not_sent", lang)),
        ("day-sl", t("erl_day_sl", lang),
         f"{fmt.percent(level)} / {day.target.text()}"),
        ("interval-sl", t("erl_interval_sl", lang),
         f"{fmt.percent(interval)} / {day.target.text()}"),
        ("staffing", t("erl_staffing", lang), staffing_text(day.now, lang)),
    ]
    cells = [html.Div([html.Span(label, className="erl-fig__label"),
                       html.Span(value, className="erl-fig__value")],
                      className=f"erl-fig erl-fig--{name}", **fmt.data_attributes(fig=name))
             for name, label, value in items]
    detail = []
    if day.now.workload is not None:
        load = day.now.workload
        detail.append(html.P(t("erl_staffing_detail", lang, calls=load.offered,
                               minutes=load.span_ms / 60_000, handle=fmt.wait(load.handle_s)),
                             className="muted"))
    return html.Div([html.Div(cells, className="erl-figs"), *detail], className="erl-today")


def staffing_text(staffing: Staffing, lang: str) -> str:
    if staffing.needed is None:
        reason = t(f"erl_reason_{staffing.reason.value}", lang) if staffing.reason else ""
        return f"{t('erl_not_enough', lang)}: {reason}" if reason else t("erl_not_enough", lang)
    text = t("erl_staffed", lang, needed=staffing.needed,
             logged_in=fmt.count(staffing.logged_in))
    if staffing.short_by > 0:
        text = f"{text} · {t('erl_needs_more', lang, n=staffing.short_by)}"
    return text


def interval_figure(day: QueueDay, lang: str) -> dict[str, Any]:
    """Bars of the service level per interval (none where no call was answered), green
    at or over the target, red under it, and the target as a line across."""
    labels = [iv.label for iv in day.intervals]
    levels = [iv.service_level_pct for iv in day.intervals]
    colours = [_colour(iv, day.target) for iv in day.intervals]
    data = [
        {"type": "bar", "name": t("erl_level", lang), "x": labels, "y": levels,
         "marker": {"color": colours},
         "customdata": [round(iv.answered) for iv in day.intervals],
         "hovertemplate": "%{x}: %{y:.1f} % (%{customdata})<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": t("erl_target_line", lang,
                                                         target=day.target.text()),
         "x": labels, "y": [day.target.pct] * len(labels),
         "line": {"color": TARGET, "dash": "dash", "width": 1.5}},
    ]
    layout = charts._layout(showlegend=True, legend={"orientation": "h", "y": -0.25},
                            yaxis={"range": [0, 100], "gridcolor": charts.GRID,
                                   "ticksuffix": " %", "automargin": True},
                            xaxis={"type": "category", "gridcolor": charts.GRID,
                                   "automargin": True})
    return {"data": data, "layout": layout}


def staffing_figure(day: QueueDay, lang: str) -> dict[str, Any]:
    """Agents needed (Erlang C over the 30 minutes before each interval's end) and
    logged in, as two lines over the day."""
    labels = [p.label for p in day.staffing]
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": t("erl_needed", lang),
         "x": labels, "y": [p.needed for p in day.staffing], "line": {"shape": "hv"}},
        {"type": "scatter", "mode": "lines", "name": t("erl_logged_in", lang),
         "x": labels, "y": [p.logged_in for p in day.staffing], "line": {"shape": "hv"}},
    ]
    layout = charts._layout(showlegend=True, legend={"orientation": "h", "y": -0.25},
                            xaxis={"type": "category", "gridcolor": charts.GRID,
                                   "automargin": True})
    return {"data": data, "layout": layout}


def build_target_form(target: ServiceLevelTarget, default: ServiceLevelTarget, lang: str,
                      *, admin: bool) -> html.Div:
    """The queue's target in words; for an administrator, the form that changes it."""
    current = html.Div(target_words(target, default, lang), id=ERL_TARGET_CURRENT)
    parts: list[Component] = [html.H2(t("erl_target_title", lang), className="section__title"),
                              current]
    if admin:
        parts += [
            html.Div([
                html.Label([t("erl_target_pct", lang),
                            dcc.Input(id=ERL_TARGET_PCT, type="text",
                                      value=_plain(target.pct), className="form__input")]),
                html.Label([t("erl_target_s", lang),
                            dcc.Input(id=ERL_TARGET_S, type="text", inputMode="numeric",
                                      value=_plain(target.threshold_s),
                                      className="form__input")]),
                html.Button(t("erl_target_save", lang), id=ERL_TARGET_SAVE,
                            className="button"),
                html.Button(t("erl_target_reset", lang), id=ERL_TARGET_RESET,
                            className="button button--secondary"),
            ], className="form__row"),
            html.Div(id=ERL_TARGET_MESSAGE, role="status", className="form__message"),
            html.P(t("erl_target_note", lang), className="muted"),
        ]
    return html.Div(parts, id=ERL_TARGET, className="page__section erl-target")


def _plain(value: float) -> str:
    """A figure as the text field shows it: ``80``, ``95.5``. The fields are text inputs
    (Dash's number input has English-only stepper labels); the share's has no inputMode,
    as Dash's Input takes no "decimal" and "numeric" gives a phone no decimal sign."""
    return f"{value:g}"


def target_words(target: ServiceLevelTarget, default: ServiceLevelTarget, lang: str) -> str:
    if target.own:
        return t("erl_target_own", lang, target=target.text())
    return t("erl_target_default", lang, target=default.text())


def _colour(interval: IntervalLevel, target: ServiceLevelTarget) -> str:
    level = interval.service_level_pct
    return BELOW if level is not None and level < target.pct else ABOVE


def _chart(name: str, title: str, figure: dict[str, Any], empty: str | None) -> html.Div:
    return html.Div([
        html.H3(title, className="hst-chart__title"),
        *([html.Div(empty, className="hst-chart__empty muted")] if empty else []),
        charts.graph(figure, f"hst-chart {name}", id=name,
                     config={"displayModeBar": False, "displaylogo": False}),
    ], className="hst-chart-box", **fmt.data_attributes(chart=name))
