"""The wall screen at ``/``: one tile per queue, refreshed every few seconds.

Callbacks are registered on the app by ``register_callbacks`` (called by create_dash)
rather than with the global ``dash.callback``: Dash re-executes page modules for every
app it builds, and global registrations would pile up across apps in one process.
"""

from __future__ import annotations

import importlib
from typing import Any

import dash
import flask
from dash import ClientsideFunction, Input, Output, State, ctx

from dashboard import _runtime, ids, screenview
from dashboard.components import build_layout, build_wallboard
from dashboard.i18n import Lang, language

dash.register_page(__name__, path="/")

CLIENTSIDE_NAMESPACE = "trioWallboard"  # assets/wallboard.js
ALERTS_NAMESPACE = "trioAlerts"  # assets/alerts.js
ACTIVE_LANG_CLASS = "lang__button lang__button--active"
LANG_CLASS = "lang__button"


def layout(**_query: Any) -> Any:
    return build_layout(_runtime.current().config, _csrf_token())


def refresh(_n_intervals: int | None, stored_lang: str | None) -> tuple[Any, ...]:
    """Everything that changes on the wall screen, from the cached snapshot.

    Rendering is memoised per (snapshot, language, second): screens refreshing in the
    same second share one render, and _response_cache serves them the same bytes. The
    heartbeat is that second: the browser's watchdog times its arrival, not its value.
    """
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    now_ms = int(runtime.clock() * 1000)
    snapshot = runtime.read_model.snapshot()
    second_ms = now_ms - now_ms % 1000
    # A display session sees no names (who acknowledged): a render of its own.
    people = screenview.sees_people()
    shown = snapshot if people else screenview.snapshot(snapshot, lang)
    parts = runtime.wallboard_memo.get(
        (snapshot.version, lang, second_ms, people),
        lambda: build_wallboard(shown, second_ms, lang, runtime.config),
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
    return tuple(values)


def choose_language(_en_clicks: int | None, _sv_clicks: int | None) -> str:
    return Lang.SV.value if ctx.triggered_id == ids.WALLBOARD_LANG_SV else Lang.EN.value


def register_callbacks(app: dash.Dash, *, logout_form: bool) -> None:
    outputs = [
        Output(ids.WALLBOARD_SUMMARY, "children"),
        Output(ids.WALLBOARD_STRIP, "children"),
        Output(ids.WALLBOARD_TILES, "children"),
        Output(ids.WALLBOARD_OVERLAY_TEXT, "children"),
        Output(ids.WALLBOARD_LANG_EN, "className"),
        Output(ids.WALLBOARD_LANG_SV, "className"),
        Output(ids.WALLBOARD_HEARTBEAT, "data"),
        Output(ids.ALR_WALL_CRITICAL, "data"),
    ]
    if logout_form:
        outputs.append(Output(ids.WALLBOARD_LOGOUT_BUTTON, "children"))
    app.callback(
        *outputs,
        Input(ids.WALLBOARD_REFRESH, "n_intervals"),
        Input(ids.WALLBOARD_LANG, "data"),
    )(refresh)
    app.callback(
        Output(ids.WALLBOARD_LANG, "data"),
        Input(ids.WALLBOARD_LANG_EN, "n_clicks"),
        Input(ids.WALLBOARD_LANG_SV, "n_clicks"),
        prevent_initial_call=True,
    )(choose_language)
    _register_clientside(app)


def _register_clientside(app: dash.Dash) -> None:
    """Clock and connection watchdog run in the browser: they cost the server nothing
    and keep working while it is unreachable."""
    app.clientside_callback(
        ClientsideFunction(CLIENTSIDE_NAMESPACE, "clock"),
        Output(ids.WALLBOARD_CLOCK, "children"),
        Input(ids.WALLBOARD_TICK, "n_intervals"),
        State(ids.WALLBOARD_LANG, "data"),
    )
    app.clientside_callback(
        ClientsideFunction(CLIENTSIDE_NAMESPACE, "heartbeatSeen"),
        Output(ids.WALLBOARD_HEARTBEAT_SEEN, "data"),
        Input(ids.WALLBOARD_HEARTBEAT, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(CLIENTSIDE_NAMESPACE, "watchdog"),
        Output(ids.WALLBOARD_OVERLAY, "className"),
        Input(ids.WALLBOARD_TICK, "n_intervals"),
        Input(ids.WALLBOARD_HEARTBEAT_SEEN, "data"),
        State(ids.WALLBOARD_WATCHDOG_CONFIG, "data"),
        State(ids.WALLBOARD_OVERLAY, "className"),
    )
    _register_sound(app)


def _register_sound(app: dash.Dash) -> None:
    """The optional beep on a new critical alert, in the browser (WebAudio): the toggle
    flips a per-screen localStorage value; the beeper compares each refresh's critical
    alert ids with those it has seen."""
    app.clientside_callback(
        ClientsideFunction(ALERTS_NAMESPACE, "toggleSound"),
        Output(ids.ALR_WALL_SOUND, "data"),
        Input(ids.ALR_WALL_SOUND_BUTTON, "n_clicks"),
        State(ids.ALR_WALL_SOUND, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(ALERTS_NAMESPACE, "soundButton"),
        Output(ids.ALR_WALL_SOUND_BUTTON, "className"),
        Input(ids.ALR_WALL_SOUND, "data"),
    )
    app.clientside_callback(
        ClientsideFunction(ALERTS_NAMESPACE, "beepOnNew"),
        Output(ids.ALR_WALL_BEEPED, "data"),
        Input(ids.ALR_WALL_CRITICAL, "data"),
        State(ids.ALR_WALL_SOUND, "data"),
        prevent_initial_call=True,
    )


def _csrf_token() -> str | None:
    """``auth.csrf_token()`` for the logout form, when auth offers it and a request runs
    (Dash also calls layouts outside requests, to validate callbacks)."""
    if not flask.has_request_context():
        return None
    make_token = getattr(importlib.import_module("auth"), "csrf_token", None)
    if make_token is None:
        return None
    token: str = make_token()
    return token
