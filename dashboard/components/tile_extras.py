"""The floor's lines under a queue's figures on its tile: the day's totals, the service
level of the current 15-minute interval beside the day's and the queue's target, and
staffing now ("needs 2 more" when Erlang C needs more agents than are logged in).

The day's totals come from the queue's newest values; the interval and staffing from
``dashboard.daymodel`` (read once per refresh period for all queues). Without the
model (a tile built outside the app) or while the database cannot be read, only the
day's totals are shown: the wall's status strip already says what is wrong.
"""

from __future__ import annotations

import logging

from dash import html
from dash.development.base_component import Component

from specs.sltarget import ServiceLevelTarget
from specs.staffing import Staffing
from storage import StorageUnavailable

from .. import daymodel
from .._config import DashboardConfig
from .._memo import CacheBusy
from ..i18n import t
from ..metrics import QueueMetric
from ..readmodel import QueueView
from . import format as fmt

log = logging.getLogger(__name__)


def build_tile_extras(queue: QueueView, lang: str, config: DashboardConfig) -> list[Component]:
    """The tile's floor lines (see the module's docstring); [] when there is nothing."""
    lines: list[Component] = []
    day = day_line(queue, lang)
    if day is not None:
        lines.append(day)
    floor = _floor()
    if floor is None:
        return lines
    figures = floor.queues.get(queue.id)
    if figures is None:
        return lines
    level = queue.metrics.get(QueueMetric.SERVICE_LEVEL_PCT)
    lines.append(interval_line(figures.interval.service_level_pct, level, figures.target,
                               lang))
    lines.append(staffing_line(figures.staffing, lang))
    return lines


def sl_target_pct(queue_id: str, config: DashboardConfig) -> float:
    """The service-level share the tile compares the day's level with: the queue's own
    target, else the site's default."""
    floor = _floor()
    return (floor.target(queue_id) if floor is not None
            else daymodel.default_target(config)).pct


def abandon_rate(answered: float | None, abandoned: float | None) -> float | None:
    """abandoned / (answered + abandoned) in %; None when unknown or no call at all."""
    if answered is None or abandoned is None or answered + abandoned <= 0:
        return None
    return 100.0 * abandoned / (answered + abandoned)


def day_line(queue: QueueView, lang: str) -> html.Div | None:
    """"Today 120 answered · 8 abandoned (6.3 %) · ASA 0:12" (ASA where sent)."""
    answered = queue.metrics.get(QueueMetric.ANSWERED_TODAY)
    abandoned = queue.metrics.get(QueueMetric.ABANDONED_TODAY)
    if answered is None and abandoned is None:
        return None
    text = t("erl_today_line", lang, answered=fmt.count(answered),
             abandoned=fmt.count(abandoned),
             rate=fmt.percent(abandon_rate(answered, abandoned)))
    asa = queue.metrics.get(QueueMetric.ASA_S)
    if asa is not None:
        text = f"{text} · {t('erl_asa_short', lang, asa=fmt.wait(asa))}"
    return html.Div(text, className="tile__day", **fmt.data_attributes(
        answered=fmt.count(answered), abandoned=fmt.count(abandoned)))


def interval_line(interval_pct: float | None, day_pct: float | None,
                  target: ServiceLevelTarget, lang: str) -> html.Div:
    """"SL this 15 min 92 % · today 87 % · target 80/20"; marked below when the
    interval's level is under the target."""
    below = interval_pct is not None and interval_pct < target.pct
    return html.Div(
        t("erl_interval_line", lang, interval=fmt.percent(interval_pct),
          day=fmt.percent(day_pct), target=target.text()),
        className="tile__interval" + (" tile__interval--below" if below else ""),
        **fmt.data_attributes(interval="–" if interval_pct is None else f"{interval_pct:.1f}",
                              below="1" if below else "0"),
    )


def staffing_line(staffing: Staffing, lang: str) -> html.Div:
    """"needs 2 more" (needed over logged in), "14 needed · 16 logged in", or "not
    enough data" with the reason as its title."""
    if staffing.needed is None:
        reason = t(f"erl_reason_{staffing.reason.value}", lang) if staffing.reason else ""
        return html.Div(t("erl_not_enough", lang), className="tile__staffing tile__staffing--none",
                        title=reason, **fmt.data_attributes(staffing="nodata"))
    detail = t("erl_staffed", lang, needed=staffing.needed,
               logged_in=fmt.count(staffing.logged_in))
    if staffing.short_by > 0:
        return html.Div(
            [html.Span(t("erl_needs_more", lang, n=staffing.short_by),
                       className="tile__needs"),
             html.Span(" · ", className="tile__staffing-sep"),
             html.Span(detail, className="tile__staffing-detail")],
            className="tile__staffing tile__staffing--short",
            **fmt.data_attributes(staffing="short", needs=str(staffing.short_by)))
    return html.Div(detail, className="tile__staffing",
                    **fmt.data_attributes(staffing="ok", needs="0"))


def _floor() -> daymodel.Floor | None:
    model = daymodel.current()
    if model is None:
        return None
    try:
        return model.floor()
    except (StorageUnavailable, CacheBusy) as err:
        log.debug("floor figures not read: %s", err)
        return None
