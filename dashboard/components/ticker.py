"""The ticker: messages to the floor, in large type along the bottom of every page a
wall screen shows (the wall, the kiosk's rotation, and a person's browser too), until
they expire or are withdrawn. Pure builders and the ids; ``dashboard/_ticker.py`` runs
the callbacks, ``assets/ticker.css`` draws it and ``assets/ticker.js`` tells it the
page's language.

Which messages: those sent to every screen, and on a display token's screen those sent
to that token. The page frame holds the ticker outside ``dash.page_container``, so it
stays through a kiosk's client-side page changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html
from dash.development.base_component import Component

from storage import FloorMessageRow

from ..i18n import t
from . import format as fmt

# Component ids, "ticker-" first: a display session may ask for them (registry's
# FRAME_OUTPUT_PREFIXES).
TICKER = "ticker"  # the bar; browser tests read it
TICKER_REFRESH = "ticker-refresh"
TICKER_LANG = "ticker-lang"  # the page's chosen language, read by assets/ticker.js
TICKER_ITEM = "ticker-item"  # {"type": TICKER_ITEM, "message": id}
# The app's outermost box (the pages and the ticker): marked while a ticker runs, so the
# page above it ends at its top (assets/ticker.css). A class set here, not a
# `body:has(.ticker--on)` rule: Chromium re-checked that rule for the whole document on
# every node a chart added, 1.4 s of style work per chart page (bench: /queues/<id>
# drew in 2.5 s with it, 0.7 s without).
TICKER_HOST = "ticker-host"

TICKER_OFF = "ticker ticker--off"
TICKER_ON = "ticker ticker--on"
HOST_OFF = "ticker-host"
HOST_ON = "ticker-host ticker-host--on"


def build_ticker(refresh_ms: int) -> html.Div:
    """The ticker's frame, empty and hidden until its first refresh."""
    return html.Div([
        dcc.Interval(id=TICKER_REFRESH, interval=refresh_ms),
        dcc.Store(id=TICKER_LANG, storage_type="memory"),
        html.Div(id=TICKER, className=TICKER_OFF, role="status"),
    ], className="ticker__frame")


def build_ticker_items(
    messages: Sequence[FloorMessageRow], now_ms: int, lang: str, tz: str
) -> tuple[list[Component], str]:
    """(children, class name) of the bar: every message with its expiry in the site's
    zone, oldest first; none: nothing, hidden."""
    if not messages:
        return [], TICKER_OFF
    items: list[Component] = [html.Span(t("flr_ticker_label", lang), className="ticker__label")]
    track = [
        html.Span(
            [html.Span(message.text, className="ticker__text"),
             html.Span(t("flr_ticker_until", lang,
                         time=fmt.short_time(message.expires_at_ms, now_ms, tz)),
                       className="ticker__until")],
            id={"type": TICKER_ITEM, "message": message.id}, className="ticker__item")
        for message in messages
    ]
    items.append(html.Div(html.Div(track, className="ticker__track"),
                          className="ticker__window"))
    return items, TICKER_ON
