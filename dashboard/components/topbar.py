"""The top bar's server-rendered part: overall state and totals across queues."""

from __future__ import annotations

from dash import html

from ..i18n import t, tn
from ..status import SiteLevel, SiteState
from . import format as fmt


def build_summary(site: SiteState, lang: str) -> list[html.Div]:
    state = html.Div(
        _state_text(site, lang),
        className=f"summary__state summary__state--{site.level.value}",
        **fmt.data_attributes(level=site.level.value),
    )
    if site.level in (SiteLevel.UNAVAILABLE, SiteLevel.EMPTY) or not site.counted:
        return [state]  # no totals: there is nothing current to add up
    return [
        state,
        _total(t("waiting", lang), str(site.waiting_total), "waiting"),
        _total(t("longest_wait_anywhere", lang), fmt.wait(site.longest_wait_s), "longest"),
        _total(t("available", lang), str(site.agents_available_total), "available"),
    ]


def _state_text(site: SiteState, lang: str) -> str:
    if site.level is SiteLevel.UNAVAILABLE:
        return t("no_current_data", lang)
    if site.level is SiteLevel.EMPTY:
        return t("no_queues", lang)
    parts = []
    if site.criticals:
        parts.append(tn("critical", site.criticals, lang))
    if site.warnings:
        parts.append(tn("warnings", site.warnings, lang))
    if site.stale:
        parts.append(tn("stale", site.stale, lang))
    return " · ".join(parts) if parts else t("all_ok", lang)


def _total(label: str, value: str, name: str) -> html.Div:
    return html.Div(
        [html.Span(label, className="summary__label"),
         html.Span(value, className="summary__value")],
        className=f"summary__total summary__total--{name}",
    )
