"""The wall screen at ``/``: one tile per queue, refreshed every few seconds.

``/?view=<name>`` shows a team's view (dashboard/teams.py): its title, its queues in its
order, its totals. A display token bound to a view always shows that view."""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx

from dashboard import DashboardConfig, _frame, _runtime, ids, screenview, teams
from dashboard._language import choose
from dashboard.components import build_layout, build_wallboard
from dashboard.components.layout import wall_bar_texts
from dashboard.components.wallboard import build_unknown_view
from dashboard.i18n import Lang
from dashboard.registry import Dependency, PageCallbacks

CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/", callbacks=CALLBACKS, nav="nav_wall", nav_order=0,
                   kiosk="wallboard", kiosk_order=0, display_ids=("wallboard-", "alr-"))

CLIENTSIDE_NAMESPACE = "trioWallboard"  # assets/wallboard.js
ALERTS_NAMESPACE = "trioAlerts"  # assets/alerts.js
ACTIVE_LANG_CLASS = "lang__button lang__button--active"
LANG_CLASS = "lang__button"


def layout(view: str | None = None, **_query: Any) -> Any:
    return build_layout(_runtime.current().config, _frame.csrf_token(), view=view)


def refresh_dependencies(config: DashboardConfig) -> list[Dependency]:
    outputs: list[Dependency] = [
        Output(ids.WALLBOARD_SUMMARY, "children"),
        Output(ids.WALLBOARD_STRIP, "children"),
        Output(ids.WALLBOARD_TILES, "children"),
        Output(ids.WALLBOARD_OVERLAY_TEXT, "children"),
        Output(ids.WALLBOARD_LANG_EN, "className"),
        Output(ids.WALLBOARD_LANG_SV, "className"),
        Output(ids.WALLBOARD_HEARTBEAT, "data"),
        Output(ids.ALR_WALL_CRITICAL, "data"),
    ]
    if config.logout_form:
        outputs.append(Output(ids.WALLBOARD_LOGOUT_BUTTON, "children"))
    outputs.append(Output(ids.WALLBOARD_TITLE, "children"))
    return [*outputs, Input(ids.WALLBOARD_REFRESH, "n_intervals"),
            Input(ids.WALLBOARD_LANG, "data"), Input(ids.WALLBOARD_VIEW, "data")]


@CALLBACKS.callback_for(refresh_dependencies)
def refresh(
    _n_intervals: int | None, stored_lang: str | None, asked_view: Any = None,
) -> tuple[Any, ...]:
    """Everything that changes on the wall screen, from the cached snapshot.

    Rendering is memoised per (snapshot, language, second, people, view): screens
    refreshing in the same second share one render, and _response_cache serves them the
    same bytes. The heartbeat is that second: the browser's watchdog times its arrival,
    not its value. The view is the display token's, else the address's ?view= (the
    views are part of the snapshot, so a change in /admin shows with the next one).
    """
    runtime = _runtime.current()
    lang = screenview.wall_language(stored_lang, runtime.config.default_language)
    now_ms = runtime.now_ms()
    snapshot = runtime.read_model.snapshot()
    second_ms = now_ms - now_ms % 1000
    # A display session sees no names (who acknowledged): a render of its own.
    people = screenview.sees_people()
    shown = snapshot if people else screenview.snapshot(snapshot, lang)
    view, unknown = teams.requested_view(snapshot, asked_view)
    parts = runtime.wallboard_memo.get(
        (snapshot.version, lang, second_ms, people, teams.view_key(view, unknown)),
        lambda: build_unknown_view(unknown, lang, runtime.config) if unknown is not None
        else build_wallboard(shown, second_ms, lang, runtime.config, view),
    )
    values = [
        # The workers and drift row shares the strip's output: one row of the layout.
        parts.summary, [*parts.site, *parts.strip], parts.tiles, parts.overlay_text,
        ACTIVE_LANG_CLASS if lang is Lang.EN else LANG_CLASS,
        ACTIVE_LANG_CLASS if lang is Lang.SV else LANG_CLASS,
        second_ms,
        parts.critical_ids,
    ]
    if runtime.config.logout_form:
        values.append(parts.logout_label)
    values.append(parts.title)
    return tuple(values)


def bar_text_dependencies(config: DashboardConfig) -> list[Dependency]:
    outputs: list[Dependency] = [
        Output(ids.WALLBOARD_CLOCK, "title"),
        Output(ids.ALR_WALL_SOUND_BUTTON, "title"),
        Output(ids.ALR_WALL_SOUND_BUTTON, "aria-label"),
        Output(ids.WALLBOARD_LANG_EN, "title"),
        Output(ids.WALLBOARD_LANG_SV, "title"),
    ]
    if config.logout_form:
        outputs += [Output(ids.WALLBOARD_MENU, "title"), Output(ids.WALLBOARD_NAV, "children")]
    return [*outputs, Input(ids.WALLBOARD_LANG, "data")]


@CALLBACKS.callback_for(bar_text_dependencies, prevent_initial_call=True)
def bar_texts(stored_lang: str | None) -> tuple[Any, ...]:
    """The bar's words that the refresh does not render, after a switch of language
    (the layout built them in the language of the page's load): not in the refresh,
    whose response is shared by every viewer, while the navigation is per role."""
    runtime = _runtime.current()
    lang = screenview.wall_language(stored_lang, runtime.config.default_language)
    return wall_bar_texts(runtime.config, lang)


@CALLBACKS.callback(
    Output(ids.WALLBOARD_LANG, "data"),
    Input(ids.WALLBOARD_LANG_EN, "n_clicks"),
    Input(ids.WALLBOARD_LANG_SV, "n_clicks"),
    prevent_initial_call=True,
)
def choose_language(_en_clicks: int | None, _sv_clicks: int | None) -> str:
    return choose(Lang.SV if ctx.triggered_id == ids.WALLBOARD_LANG_SV else Lang.EN)


# The clock and the connection watchdog run in the browser: they cost the server
# nothing and keep working while it is unreachable.
CALLBACKS.clientside(
    ClientsideFunction(CLIENTSIDE_NAMESPACE, "clock"),
    Output(ids.WALLBOARD_CLOCK, "children"),
    Input(ids.WALLBOARD_TICK, "n_intervals"),
    State(ids.WALLBOARD_LANG, "data"),
    State(ids.WALLBOARD_WATCHDOG_CONFIG, "data"),
)
CALLBACKS.clientside(
    ClientsideFunction(CLIENTSIDE_NAMESPACE, "heartbeatSeen"),
    Output(ids.WALLBOARD_HEARTBEAT_SEEN, "data"),
    Input(ids.WALLBOARD_HEARTBEAT, "data"),
    prevent_initial_call=True,
)
CALLBACKS.clientside(
    ClientsideFunction(CLIENTSIDE_NAMESPACE, "watchdog"),
    Output(ids.WALLBOARD_OVERLAY, "className"),
    Input(ids.WALLBOARD_TICK, "n_intervals"),
    Input(ids.WALLBOARD_HEARTBEAT_SEEN, "data"),
    State(ids.WALLBOARD_WATCHDOG_CONFIG, "data"),
    State(ids.WALLBOARD_OVERLAY, "className"),
)

# The optional beep on a new critical alert, in the browser (WebAudio): the toggle flips a
# per-screen localStorage value; the beeper compares each refresh's critical alert ids
# with those it has seen.
CALLBACKS.clientside(
    ClientsideFunction(ALERTS_NAMESPACE, "toggleSound"),
    Output(ids.ALR_WALL_SOUND, "data"),
    Input(ids.ALR_WALL_SOUND_BUTTON, "n_clicks"),
    State(ids.ALR_WALL_SOUND, "data"),
    prevent_initial_call=True,
)
CALLBACKS.clientside(
    ClientsideFunction(ALERTS_NAMESPACE, "soundButton"),
    Output(ids.ALR_WALL_SOUND_BUTTON, "className"),
    Input(ids.ALR_WALL_SOUND, "data"),
)
CALLBACKS.clientside(
    ClientsideFunction(ALERTS_NAMESPACE, "beepOnNew"),
    Output(ids.ALR_WALL_BEEPED, "data"),
    Input(ids.ALR_WALL_CRITICAL, "data"),
    State(ids.ALR_WALL_SOUND, "data"),
    prevent_initial_call=True,
)
