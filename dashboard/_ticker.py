"""The ticker's callbacks, on every app: the page frame holds it (components/ticker.py)."""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, State, no_update

from auth import current_user

from . import _runtime
from .components.ticker import (
    HOST_OFF,
    HOST_ON,
    TICKER,
    TICKER_HOST,
    TICKER_LANG,
    TICKER_ON,
    TICKER_REFRESH,
    build_ticker_items,
)
from .registry import PageCallbacks
from .screenview import wall_language

CALLBACKS = PageCallbacks()
CLIENTSIDE_NAMESPACE = "trioTicker"  # assets/ticker.js


@CALLBACKS.callback(
    Output(TICKER, "children"),
    Output(TICKER, "className"),
    Output(TICKER_HOST, "className"),
    Input(TICKER_REFRESH, "n_intervals"),
    Input(TICKER_LANG, "data"),
    State(TICKER_HOST, "className"),
)
def refresh(_n: int | None, stored_lang: str | None, host_class: str | None,
            ) -> tuple[Any, ...]:
    """The messages this screen shows now, from the floor model's cache (one query per
    refresh period per process, however many screens); the app's box marked while they
    run (left as it is otherwise: a new class re-renders every page under it)."""
    runtime = _runtime.current()
    now_ms = runtime.now_ms()
    user = current_user()
    data = runtime.read_model.floor.data()
    messages = data.for_screen(user.display_id if user is not None else None, now_ms)
    # A display session's language is its token's (the wall's own store is in memory,
    # where assets/ticker.js cannot read it).
    lang = wall_language(stored_lang, runtime.config.default_language)
    children, shown = build_ticker_items(messages, now_ms, lang, runtime.config.timezone)
    host = HOST_ON if shown == TICKER_ON else HOST_OFF
    return children, shown, no_update if host == host_class else host


# The page's language is in its own store (the wall's or the pages' frame's): the
# browser reads whichever the page has.
CALLBACKS.clientside(
    ClientsideFunction(CLIENTSIDE_NAMESPACE, "language"),
    Output(TICKER_LANG, "data"),
    Input(TICKER_REFRESH, "n_intervals"),
)
