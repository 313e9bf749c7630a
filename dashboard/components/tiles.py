"""Queue tiles: one per queue, coloured by its alert states, greyed when stale.

A stale tile keeps what a supervisor needs through an outage: the last values, dimmed,
with the time they are from ("as of 11:36:42" in the site's zone) and the alert they were
in, under a STALE marker, so nothing on it can be read as current. In failover the
service level is labelled "since failover 10:42": the standby server counts it from the
switchover, not from midnight.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from dash import dcc, html
from dash.development.base_component import Component

from specs.metrics import Display, TileRow, tile_metrics
from specs.metrics import QueueMetric as MetricSpec
from specs.rule_metrics import metric_name
from specs.text import stored_name

from .. import ids
from .._config import DashboardConfig
from .._paths import app_path
from ..i18n import t
from ..metrics import QueueMetric
from ..readmodel import QueueView, SourceView
from ..status import NO_ALERTS, Badge, FigureAlert, QueueAlerts, TileLevel, has_figures, tile_level
from . import format as fmt
from .tile_extras import build_tile_extras, sl_target_pct

HISTORY_PATH = "/queues/"  # pages/queue.py


def build_tiles(
    queues: list[QueueView], now_ms: int, lang: str, config: DashboardConfig,
    alerts: Mapping[str, QueueAlerts], source: SourceView | None = None,
) -> list[Component]:
    """``alerts``: per queue id, from ``status.alerts_by_queue``; a queue without any
    open state is drawn without threshold colours. ``source``: the queues' source, for
    its failover."""
    return [build_tile(queue, now_ms, lang, config, alerts.get(queue.id, NO_ALERTS), source)
            for queue in queues]


@dataclass(frozen=True, slots=True)
class TileContext:
    """What a tile's lines are built from."""

    queue: QueueView
    now_ms: int
    lang: str
    config: DashboardConfig
    alerts: QueueAlerts
    # "since failover 10:42" while the source is in failover (its service level is
    # counted from the switchover), else None.
    since_failover: str | None


TileLine = Callable[[TileContext], list[Component]]


def _figure_lines(ctx: TileContext) -> list[Component]:
    return _figures(ctx.queue, ctx.lang, ctx.config, ctx.alerts, ctx.since_failover)


# The lines of a tile with figures, top to bottom, under its name: each a function of the
# tile's context. A new line is a function added here; the type scales to fit (a tile's
# text is sized in its --u, see assets/wallboard.css, which leaves room for about one
# more line).
TILE_LINES: tuple[TileLine, ...] = (_figure_lines,)


def build_tile(
    queue: QueueView, now_ms: int, lang: str, config: DashboardConfig,
    alerts: QueueAlerts = NO_ALERTS, source: SourceView | None = None,
) -> html.Div:
    """One tile. A stale tile shows its last figures dimmed, the time they are from and
    the alert they were in, marked STALE (see the module's docstring)."""
    level = tile_level(queue, now_ms, config, alerts)
    age = fmt.age(now_ms - queue.ts_ms)
    since = failover_label(source, now_ms, lang, config.timezone)
    ctx = TileContext(queue, now_ms, lang, config, alerts, since)
    body: list[Component]
    if level is TileLevel.STALE:
        body = _stale(queue, now_ms, lang, config, alerts, since)
    elif level is TileLevel.CLOSED:
        body = [html.Div(t("closed", lang), className="tile__marker"), _foot([], age, lang)]
    elif not has_figures(queue):
        body = [html.Div(t("no_data", lang), className="tile__marker"),
                _foot(_alert_notes(alerts, now_ms, lang, config.timezone), age, lang)]
    else:
        body = [*(line for build in TILE_LINES for line in build(ctx)),
                _foot(_alert_notes(alerts, now_ms, lang, config.timezone), age, lang)]
    body = [fit_line(line) for line in body]
    marks = {"level": level.value, "queue": queue.id}
    if alerts.maintenance is not None:
        marks["maintenance"] = str(alerts.maintenance.window.id)
    if level is TileLevel.STALE and alerts.level is not TileLevel.OK:
        marks["alert"] = alerts.level.value  # the alert held open through the outage
    return html.Div(
        [_head(queue, alerts, level, lang, link=config.logout_form), *body],
        id={"type": ids.WALLBOARD_TILE, "queue": queue.id},
        className=f"tile tile--{level.value.replace('_', '-')}"
                  + (" tile--maintenance" if alerts.maintenance is not None else ""),
        **fmt.data_attributes(**marks),
    )


def _foot(notes: list[Component], age: str, lang: str) -> html.Div:
    """The small lines at the bottom: since when the alert is open, who acknowledged,
    the silence, how old the figures are. One line on a wide tile (assets/wallboard.css)."""
    return html.Div([*notes, _updated(age, lang)], className="tile__foot")


# The lines of a tile that are one line of text however long their words get (Swedish,
# a wait of hours): each carries its length in characters (--chars; the foot also the
# length of its items side by side, --chars-row, as a wide tile shows them; a line of
# parts the length of its first, --chars-first, all a low tile shows of staffing) and
# assets/wallboard.css makes its type no larger than lets that many fit the tile's width.
ONE_LINE_CLASSES = ("tile__day", "tile__interval", "tile__staffing", "tile__stale-line",
                    "tile__foot", "tile__marker")
ROW_GAP_CHARS = 2  # the gap between the foot's items (0.8 of the unit), in characters


def fit_line(line: Component) -> Component:
    """``line`` with its length in characters (see ONE_LINE_CLASSES) when it is one of
    the one-line lines; other parts (the figures' rows) are sized by the unit alone."""
    classes = str(getattr(line, "className", "") or "").split()
    if not any(name in classes for name in ONE_LINE_CLASSES):
        return line
    style: dict[str, str] = {"--chars": str(max(1, text_length(line)))}
    parts = _children(line)
    if len(parts) > 1:  # a line of parts, of which a low tile shows the first only
        style["--chars-first"] = str(max(1, text_length(parts[0])))
    if "tile__foot" in classes:
        items = [text_length(item) for item in _children(line)]
        style["--chars"] = str(max(items, default=1))
        style["--chars-row"] = str(sum(items) + ROW_GAP_CHARS * max(0, len(items) - 1))
    shown: Any = line  # every html component has a style; Component does not say so
    shown.style = {**(getattr(line, "style", None) or {}), **style}
    return line


def text_length(node: Component | str | None) -> int:
    """The characters of text in ``node`` and everything under it."""
    if node is None:
        return 0
    if isinstance(node, str | int | float):
        return len(str(node))
    return sum(text_length(child) for child in _children(node))


def _children(node: Component) -> list[Component | str]:
    children = getattr(node, "children", None)
    if children is None:
        return []
    return list(children) if isinstance(children, list | tuple) else [children]


def _stale(
    queue: QueueView, now_ms: int, lang: str, config: DashboardConfig, alerts: QueueAlerts,
    since: str | None,
) -> list[Component]:
    """STALE, "as of <time>", the alert it is in, then the last figures dimmed (CSS)."""
    marker: list[Component | str] = [
        html.Span(t("stale", lang), className="tile__marker"),
        html.Span(t("as_of", lang, time=fmt.site_time(queue.ts_ms, now_ms, config.timezone)),
                  className="tile__as-of"),
    ]
    if alerts.level in (TileLevel.WARNING, TileLevel.CRITICAL):
        marker.append(html.Span(t(f"stale_alert_{alerts.level.value}", lang),
                                className=f"tile__stale-alert tile__stale-alert--"
                                f"{alerts.level.value}"))
    line = html.Div(marker, className="tile__stale-line")
    if queue.open is False:
        return [line, html.Div(t("closed", lang), className="tile__marker tile__dimmed")]
    if not has_figures(queue):
        return [line, html.Div(t("no_data", lang), className="tile__marker tile__dimmed")]
    return [line, *_figures(queue, lang, config, alerts, since)]


def failover_label(
    source: SourceView | None, now_ms: int, lang: str, tz: str
) -> str | None:
    """"since failover 10:42" while the source is in failover, else None."""
    if source is None or not source.failover_active:
        return None
    if source.failover_since_ms is None:
        return t("since_failover_unknown", lang)
    return t("since_failover", lang,
             time=fmt.site_time(source.failover_since_ms, now_ms, tz, seconds=False))


def badge_text(badge: Badge, lang: str) -> str:
    if badge.name is not None:
        return stored_name(badge.name, lang)
    return metric_name(badge.metric, lang)


def _head(queue: QueueView, alerts: QueueAlerts, level: TileLevel, lang: str, *,
          link: bool) -> html.Div:
    """The name, and a badge per rule on another metric (none on stale or closed tiles):
    the rule's name in ``lang`` (a shipped rule's translated, a typed one as typed), the
    metric's registered name for a rule that is gone.
    ``link``: the name links to the queue's history (an interactive session; kiosk mode
    makes the link inert, see assets/history.css)."""
    badges = [] if level in (TileLevel.STALE, TileLevel.CLOSED) else [
        html.Span(badge_text(badge, lang), className=f"tile__badge tile__badge--{badge.mark}",
                  **fmt.data_attributes(mark=badge.mark))
        for badge in alerts.badges
    ]
    name: Component | str = queue.name
    if link:
        name = dcc.Link(queue.name, href=app_path(HISTORY_PATH + quote(queue.id, safe="")),
                        className="tile__link")
    if not badges:
        return html.Div(name, className="tile__name")
    return html.Div([html.Span(name, className="tile__name"), *badges],
                    className="tile__head")


def _figures(
    queue: QueueView, lang: str, config: DashboardConfig, alerts: QueueAlerts,
    since_failover: str | None = None,
) -> list[Component]:
    """The figures ``specs.metrics`` places on the tile, row by row. Each figure carries
    its own level: the tile says "something is wrong", the colour of a figure says which
    one."""
    figure_alerts: dict[str, FigureAlert] = {QueueMetric.LONGEST_WAIT_S: alerts.wait,
                                             QueueMetric.SERVICE_LEVEL_PCT: alerts.service_level}
    targets: dict[str, float] = {QueueMetric.SERVICE_LEVEL_PCT: sl_target_pct(queue.id, config)}
    figures: list[Component] = [
        _headline(metric, queue, lang, figure_alerts.get(metric.id, FigureAlert()))
        for metric in tile_metrics(TileRow.HEADLINE)
    ]
    for row, class_name in _ROWS:
        stats = []
        for metric in tile_metrics(row):
            value = _text(metric, queue)
            if metric.id in targets:
                value = f"{value} / {_FORMATS[metric.display](targets[metric.id])}"
            name = metric.label_key.replace("_", "-")
            marks: list[Component] = []
            figure = figure_alerts.get(metric.id)
            if figure is not None:
                name = f"{name} tile__stat--{figure.level.value}"
                marks += _pending(figure, lang)
            if metric.counted_since_failover:
                marks += _failover_mark(since_failover)
            stats.append(_stat(t(metric.label_key, lang), value, name, marks))
        figures.append(html.Div(stats, className=class_name))
    return [*figures, *build_tile_extras(queue, lang, config)]


def _headline(metric: MetricSpec, queue: QueueView, lang: str, figure: FigureAlert) -> html.Div:
    return html.Div(
        [
            html.Span(_text(metric, queue),
                      className=f"tile__wait-value tile__wait-value--{figure.level.value}"),
            html.Span([t(metric.label_key, lang), *_pending(figure, lang)],
                      className="tile__label"),
        ],
        className="tile__wait",
    )


# The tile's rows under the headline, and their classes.
_ROWS = ((TileRow.QUEUE, "tile__row"), (TileRow.AGENTS, "tile__row tile__agents"))
_FORMATS: dict[Display, Callable[[float | None], str]] = {
    Display.INTEGER: fmt.count, Display.DURATION: fmt.wait, Display.PERCENT: fmt.percent,
    Display.MILLISECONDS: lambda value: "–" if value is None else f"{value:.0f} ms",
    Display.NUMBER: lambda value: "–" if value is None else f"{value:g}",
}


def _text(metric: MetricSpec, queue: QueueView) -> str:
    return _FORMATS[metric.display](queue.metrics.get(metric.id))


def _pending(figure: FigureAlert, lang: str) -> list[Component]:
    """The small "pending" mark next to a figure's label: a breach not yet held long
    enough to fire. The figure itself stays neutral."""
    if not figure.pending:
        return []
    return [html.Span(t("alr_pending", lang), className="tile__pending")]


def _failover_mark(since: str | None) -> list[Component]:
    """The service level's label in failover: counted since the switchover."""
    if since is None:
        return []
    return [html.Span(since, className="tile__failover", **fmt.data_attributes(failover="1"))]


def _alert_notes(alerts: QueueAlerts, now_ms: int, lang: str, tz: str) -> list[Component]:
    notes: list[Component] = []
    if alerts.maintenance is not None:  # planned: its alerts colour nothing meanwhile
        notes.append(html.Div(
            t("flr_maintenance_until", lang,
              time=fmt.short_time(alerts.maintenance.end_ms, now_ms, tz)),
            className="tile__note tile__note--maintenance"))
    if alerts.opened_at_ms is not None:
        # The same minute /alerts, /queues/<id> and the notifications name.
        notes.append(html.Div(
            t("alr_tile_since", lang, time=fmt.short_time(alerts.opened_at_ms, now_ms, tz)),
            className="tile__since", title=fmt.full_time(alerts.opened_at_ms, tz)))
    if alerts.acknowledged is not None:
        user, at_ms = alerts.acknowledged
        notes.append(html.Div(t("alr_acked", lang, user=user, age=fmt.age(now_ms - at_ms)),
                              className="tile__note tile__note--acknowledged"))
    if alerts.silence is not None:
        silence = alerts.silence
        notes.append(html.Div(
            t("alr_silenced_until", lang, time=fmt.short_time(silence.ends_at_ms, now_ms, tz),
              reason=silence.reason),
            className="tile__note tile__note--silenced"))
    return notes


def _stat(label: str, value: str, name: str, marks: list[Component] | None = None) -> html.Div:
    return html.Div(
        [html.Span(value, className="tile__value"),
         html.Span([label, *marks] if marks else label, className="tile__label")],
        className=f"tile__stat tile__stat--{name}",
    )


def _updated(age: str, lang: str) -> html.Div:
    return html.Div(t("tile_updated_ago", lang, age=age), className="tile__age")
