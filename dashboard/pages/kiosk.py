"""``/kiosk``: where a wall screen starts after ``/display/<token>`` opened its session.

Kiosk mode is a mode of the existing pages, run by ``assets/kiosk.js``: no navigation,
large type, no cursor, and a rotation through the pages of ``?rotate=`` every ``?every=``
seconds (client-side page changes, so the session and the scripts stay). This page checks
the playlist and hands it to the script, or shows what is wrong with the address.

The script also starts the screen again when the app is upgraded: every response carries
the build id (``X-Trio-Build``: ``TRIO_MONITOR_BUILD_ID`` if set, else a hash of the code
and assets), and a screen that sees it change goes through ``/display/<token>`` again.
"""

from __future__ import annotations

import os
from typing import Any

import dash
import flask
from dash import ClientsideFunction, Input, Output

from auth import current_user
from dashboard import DashboardConfig, _runtime
from dashboard._language import current_language, page_title
from dashboard.components.kiosk import (
    BUILD_HEADER,
    KSK_PLAYLIST,
    KSK_STATUS,
    PlaylistError,
    build_error,
    build_id,
    build_start,
    parse_playlist,
)
from dashboard.registry import PageCallbacks, kiosk_pages

CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/kiosk", title=page_title("ksk_nav"),
                   callbacks=CALLBACKS, display_ids=("ksk-",))

CLIENTSIDE_NAMESPACE = "trioKiosk"  # assets/kiosk.js
BUILD_ENV = "TRIO_MONITOR_BUILD_ID"

CALLBACKS.clientside(
    ClientsideFunction(CLIENTSIDE_NAMESPACE, "start"),
    Output(KSK_STATUS, "children"),
    Input(KSK_PLAYLIST, "data"),
)


def layout(rotate: str | None = None, every: str | None = None, **_query: Any) -> Any:
    lang = current_language(_runtime.current().config.default_language)
    try:
        playlist = parse_playlist(rotate, every, kiosk_pages())
    except PlaylistError as err:
        return build_error(err.text(lang), lang)
    user = current_user()
    return build_start(playlist, user is not None and user.is_display, lang)


def _build_header_hook(build: str) -> Any:
    def add_build(response: flask.Response) -> flask.Response:
        response.headers[BUILD_HEADER] = build
        return response

    return add_build


@CALLBACKS.setup
def _send_build_id(app: dash.Dash, _config: DashboardConfig) -> None:
    app.server.after_request(_build_header_hook(build_id(override=os.environ.get(BUILD_ENV))))
