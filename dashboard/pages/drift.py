"""``/drift``: reconciliation drift, from the cached health and drift snapshot."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, dcc, html

from dashboard import _frame, _runtime, ids
from dashboard._language import page_title
from dashboard.components.drift import build_drift_page
from dashboard.components.pageframe import build_page_frame
from dashboard.i18n import language
from dashboard.registry import PageCallbacks

# Component ids of this page, "drift-" first.
DRIFT_REFRESH = "drift-refresh"
DRIFT_BODY = "drift-body"

CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/drift", title=page_title("drift_title"),
                   callbacks=CALLBACKS, nav="nav_drift", nav_order=2, kiosk="drift", kiosk_order=1,
                   display_ids=("drift-",))


def layout(**_query: Any) -> Any:
    config = _runtime.current().config
    content = [
        dcc.Interval(id=DRIFT_REFRESH, interval=int(config.refresh_interval_s * 1000)),
        html.Main(id=DRIFT_BODY, className="page__body"),
    ]
    return build_page_frame(config, _frame.csrf_token(), "/drift", "drift_title", content)


@CALLBACKS.callback(
    Output(DRIFT_BODY, "children"),
    Input(DRIFT_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
)
def refresh(_n: int | None, stored_lang: str | None) -> Any:
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    return build_drift_page(runtime.ops.snapshot(), runtime.now_ms(), lang,
                            runtime.config.timezone)

