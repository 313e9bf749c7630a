"""Callbacks of the frame shared by /health and /drift (components/pageframe.py)."""

from __future__ import annotations

import importlib
from typing import Any

import flask
from dash import Input, Output, State, ctx

from auth import Role, current_user

from . import _runtime, ids
from ._config import DashboardConfig
from ._language import choose
from .components.pageframe import build_frame_texts
from .i18n import Lang, language
from .registry import Dependency, PageCallbacks

CALLBACKS = PageCallbacks()  # registered on every app: the frame is on most pages


@CALLBACKS.callback(
    Output(ids.PAGES_LANG, "data"),
    Input(ids.PAGES_LANG_EN, "n_clicks"),
    Input(ids.PAGES_LANG_SV, "n_clicks"),
    prevent_initial_call=True,
)
def choose_language(_en_clicks: int | None, _sv_clicks: int | None) -> str:
    return choose(Lang.SV if ctx.triggered_id == ids.PAGES_LANG_SV else Lang.EN)


def frame_dependencies(config: DashboardConfig) -> list[Dependency]:
    outputs: list[Dependency] = [
        Output(ids.PAGES_TITLE, "children"),
        Output(ids.PAGES_NAV, "children"),
        Output(ids.PAGES_LANG_EN, "className"),
        Output(ids.PAGES_LANG_SV, "className"),
        Output(ids.PAGES_ZONE, "children"),
        Output(ids.PAGES_MENU, "title"),
        Output(ids.PAGES_LANG_EN, "title"),
        Output(ids.PAGES_LANG_SV, "title"),
    ]
    if config.logout_form:
        outputs.append(Output(ids.PAGES_LOGOUT_BUTTON, "children"))
    return [*outputs, Input(ids.PAGES_LANG, "data"), State(ids.PAGES_META, "data")]


@CALLBACKS.callback_for(frame_dependencies)
def frame(stored_lang: str | None, meta: dict[str, str] | None) -> tuple[Any, ...]:
    runtime = _runtime.current()
    texts = build_frame_texts(language(stored_lang, runtime.config.default_language), meta,
                              runtime.config.timezone)
    return texts if runtime.config.logout_form else texts[:-1]


def csrf_token() -> str | None:
    """``auth.csrf_token()`` for the logout form when a request runs (Dash also calls
    layouts outside requests, to validate callbacks)."""
    if not flask.has_request_context():
        return None
    make_token = getattr(importlib.import_module("auth"), "csrf_token", None)
    if make_token is None:
        return None
    token: str = make_token()
    return token


def is_admin() -> bool:
    """Whether the request's user is an admin: for showing controls only. Callbacks that
    change anything check again with ``auth.require_role`` (a hidden form is no check)."""
    return may(Role.ADMIN)


def may(required: Role) -> bool:
    """Whether the request's user's role allows ``required`` (a wall screen's never
    allows more than viewing): for showing controls only, like ``is_admin``."""
    user = current_user()
    return user is not None and not user.is_display and user.role.allows(required)


def parts_allowed(required: Role) -> bool:
    """``admin_parts_allowed`` for the parts of another role (a supervisor's forms)."""
    return not flask.has_request_context() or may(required)


def admin_parts_allowed() -> bool:
    """Admins get a page's editing parts. Outside a request Dash builds its validation
    layout (once, at start): that must hold them too, or the browser reports the
    callbacks' ids as missing on every page."""
    return not flask.has_request_context() or is_admin()
