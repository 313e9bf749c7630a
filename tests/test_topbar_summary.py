"""The top bar's state badge: every open alert counted, whatever the queues show, and a
link to /alerts."""

from __future__ import annotations

from dash import html

from dashboard.components.topbar import ALERTS_PATH, build_summary
from dashboard.status import SiteLevel, SiteState


def site(level: SiteLevel, warnings: int = 0, criticals: int = 0) -> SiteState:
    return SiteState(level=level, warnings=warnings, criticals=criticals, stale=0, closed=0,
                     counted=0, waiting_total=0, longest_wait_s=None,
                     agents_available_total=0)


def badge(state: SiteState, lang: str = "en") -> html.A:
    first = build_summary(state, lang)[0]
    assert isinstance(first, html.A)
    return first


def test_the_badge_leads_to_the_alerts_page_and_counts_every_open_alert() -> None:
    shown = badge(site(SiteLevel.CRITICAL, warnings=1, criticals=2))
    assert shown.href == ALERTS_PATH
    assert getattr(shown, "data-firing") == "3"


def test_a_worker_down_is_counted_when_no_queue_has_current_figures() -> None:
    # A worker alert (not a queue) firing while the queues' source is unavailable or
    # has no queues: the badge used to say only "No current data" / "No queues".
    assert badge(site(SiteLevel.UNAVAILABLE, criticals=1)).children == (
        "No current data · 1 critical")
    assert badge(site(SiteLevel.EMPTY, warnings=2), "sv").children == (
        "Inga köer rapporterade ännu · 2 varningar")
    assert badge(site(SiteLevel.EMPTY)).children == "No queues reported yet"
