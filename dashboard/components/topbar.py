"""The top bar's server-rendered part: overall state and totals across queues."""

from __future__ import annotations

from dash import html

from ..i18n import t, tn
from ..status import SiteLevel, SiteState
from . import format as fmt

ALERTS_PATH = "/alerts"


def build_summary(
    site: SiteState, lang: str, *, service_level: bool = False,
) -> list[html.Div | html.A]:
    """The state badge (a link to /alerts: it counts the open alerts of every entity,
    queues, workers, reconcilers and sources alike) and the totals across queues.
    ``service_level``: also the queues' service level together (a team screen's)."""
    state = html.A(
        _state_text(site, lang),
        href=ALERTS_PATH,
        title=t("alr_nav", lang),
        className=f"summary__state summary__state--{site.level.value}",
        **fmt.data_attributes(level=site.level.value,
                              firing=str(site.warnings + site.criticals)),
    )
    if site.level in (SiteLevel.UNAVAILABLE, SiteLevel.EMPTY) or not site.counted:
        return [state]  # no totals: there is nothing current to add up
    totals: list[html.Div | html.A] = [
        state,
        _total(t("waiting", lang), str(site.waiting_total), "waiting"),
        _total(t("longest_wait_anywhere", lang), fmt.wait(site.longest_wait_s), "longest"),
        _total(t("available", lang), str(site.agents_available_total), "available"),
    ]
    if service_level:
        totals.append(_total(t("service_level", lang), fmt.percent(site.service_level_pct),
                             "service-level"))
    return totals


def _state_text(site: SiteState, lang: str) -> str:
    parts = []
    # Without current queue figures the open alerts (a worker down) still count.
    if site.level is SiteLevel.UNAVAILABLE:
        parts.append(t("no_current_data", lang))
    elif site.level is SiteLevel.EMPTY:
        parts.append(t("no_queues", lang))
    if site.criticals:
        parts.append(tn("critical", site.criticals, lang))
    if site.warnings:
        parts.append(tn("warnings", site.warnings, lang))
    if site.stale and site.level not in (SiteLevel.UNAVAILABLE, SiteLevel.EMPTY):
        parts.append(tn("stale_count", site.stale, lang))
    return " · ".join(parts) if parts else t("all_ok", lang)


def _total(label: str, value: str, name: str) -> html.Div:
    return html.Div(
        [html.Span(label, className="summary__label"),
         html.Span(value, className="summary__value")],
        className=f"summary__total summary__total--{name}",
    )
