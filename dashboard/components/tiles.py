"""Queue tiles: one per queue, coloured by threshold, greyed when stale."""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component

from .. import ids
from .._config import DashboardConfig
from ..i18n import t
from ..metrics import QueueMetric
from ..readmodel import QueueView
from ..status import TileLevel, service_level_level, tile_level, wait_level
from . import format as fmt


def build_tiles(
    queues: list[QueueView], now_ms: int, lang: str, config: DashboardConfig
) -> list[Component]:
    return [build_tile(queue, now_ms, lang, config) for queue in queues]


def build_tile(
    queue: QueueView, now_ms: int, lang: str, config: DashboardConfig
) -> html.Div:
    """One tile. A stale tile shows no figures at all, only how old the last ones are."""
    level = tile_level(queue, now_ms, config)
    age = fmt.age(now_ms - queue.ts_ms)
    body: list[Component]
    if level is TileLevel.STALE:
        body = [
            html.Div(t("stale", lang), className="tile__marker"),
            html.Div(t("last_value_ago", lang, age=age), className="tile__stale-age"),
        ]
    elif level is TileLevel.CLOSED:
        body = [html.Div(t("closed", lang), className="tile__marker"), _updated(age, lang)]
    elif level is TileLevel.NO_DATA:
        body = [html.Div(t("no_data", lang), className="tile__marker"), _updated(age, lang)]
    else:
        body = [*_figures(queue, lang, config), _updated(age, lang)]
    return html.Div(
        [html.Div(queue.name, className="tile__name"), *body],
        id={"type": ids.WALLBOARD_TILE, "queue": queue.id},
        className=f"tile tile--{level.value.replace('_', '-')}",
        **fmt.data_attributes(level=level.value, queue=queue.id),
    )


def _figures(queue: QueueView, lang: str, config: DashboardConfig) -> list[Component]:
    wait = queue.metric(QueueMetric.LONGEST_WAIT_S)
    service_level = queue.metric(QueueMetric.SERVICE_LEVEL_PCT)
    target = fmt.percent(config.sl_target_pct)
    # Each figure carries its own level: the tile says "something is wrong", the colour
    # of a figure says which one.
    wait_mod = wait_level(wait, config).value
    sl_mod = service_level_level(service_level, config).value
    return [
        html.Div(
            [
                html.Span(fmt.wait(wait),
                          className=f"tile__wait-value tile__wait-value--{wait_mod}"),
                html.Span(t("longest_wait", lang), className="tile__label"),
            ],
            className="tile__wait",
        ),
        html.Div(
            [
                _stat(t("waiting", lang), fmt.count(queue.metric(QueueMetric.CALLS_WAITING)),
                      "waiting"),
                _stat(t("service_level", lang), f"{fmt.percent(service_level)} / {target}",
                      f"service-level tile__stat--{sl_mod}"),
            ],
            className="tile__row",
        ),
        html.Div(
            [
                _stat(t("available", lang),
                      fmt.count(queue.metric(QueueMetric.AGENTS_AVAILABLE)), "available"),
                _stat(t("busy", lang), fmt.count(queue.metric(QueueMetric.AGENTS_BUSY)),
                      "busy"),
                _stat(t("paused", lang), fmt.count(queue.metric(QueueMetric.AGENTS_PAUSED)),
                      "paused"),
            ],
            className="tile__row tile__agents",
        ),
    ]


def _stat(label: str, value: str, name: str) -> html.Div:
    return html.Div(
        [html.Span(value, className="tile__value"), html.Span(label, className="tile__label")],
        className=f"tile__stat tile__stat--{name}",
    )


def _updated(age: str, lang: str) -> html.Div:
    return html.Div(t("updated_ago", lang, age=age), className="tile__age")
