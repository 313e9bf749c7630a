"""The Dash app factory: the wall screen on a Flask server the caller owns."""

from __future__ import annotations

import time
from pathlib import Path

import dash
import flask
from sqlalchemy.engine import Engine

import auth
from specs.clock import Clock
from storage import AlertStore

from . import _frame, _runtime, _ticker, ids, registry
from ._config import DashboardConfig
from ._response_cache import RefreshResponseCache
from .components.ticker import HOST_OFF, TICKER_HOST, build_ticker
from .opsmodel import OpsModel
from .readmodel import ReadModel

_HERE = Path(__file__).resolve().parent
PAGES_FOLDER = registry.PAGES_FOLDER
ASSETS_FOLDER = _HERE / "assets"
# Dash derives page module names from the app's name: "dashboard" makes the page
# "dashboard.pages.wallboard", the module's importable name.
_APP_NAME = __package__ or "dashboard"


def create_dash(
    server: flask.Flask,
    engine: Engine,
    config: DashboardConfig,
    *,
    clock: Clock = time.time,
) -> dash.Dash:
    """Build the dashboard on ``server``. One per server.

    Serves everything itself (no CDN) and runs no inline script of its own: clientside
    callbacks live in ``assets/``. ``app.csp_hashes()`` then covers every inline script
    Dash serves (its renderer bootstrap and the pages title callback).
    """
    _runtime.install(server, _runtime.Runtime(
        config=config, read_model=ReadModel(engine, config, clock), clock=clock,
        ops=OpsModel(engine, config.refresh_interval_s, clock), alerts=AlertStore(engine),
    ))
    app = dash.Dash(
        _APP_NAME,
        server=server,  # type: ignore[arg-type]  # dash types a server as a callable
        # The browser asks under the prefix; the server is mounted there (the prefix is
        # in SCRIPT_NAME), so its routes are at its root.
        requests_pathname_prefix=config.url_prefix + "/",
        routes_pathname_prefix="/",
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(ASSETS_FOLDER),
        title=config.site_name,
        update_title=None,  # type: ignore[arg-type]
        serve_locally=True,
        compress=False,
    )
    # The floor's ticker sits beside the pages, so it stays through page changes.
    app.layout = dash.html.Div([dash.page_container,
                                build_ticker(int(config.refresh_interval_s * 1000))],
                               id=TICKER_HOST, className=HOST_OFF)
    # Dash has just run every page module: each declared its callbacks at register_page.
    _frame.CALLBACKS.register(app, config)
    _ticker.CALLBACKS.register(app, config)
    for page in registry.pages():
        page.callbacks.register(app, config)
    auth.declare_display_scope(server, registry.display_pages(),
                               registry.display_output_prefixes())
    _prime_pages_router(server)
    _register_component_suites(app, server)
    refresh_outputs = [key for key in app.callback_map
                       if f"{ids.WALLBOARD_HEARTBEAT}.data" in key]
    if len(refresh_outputs) != 1:
        raise RuntimeError(f"expected one wall screen refresh callback, found {refresh_outputs}")
    RefreshResponseCache(refresh_outputs[0], size=32).install(server)
    return app


def _register_component_suites(app: dash.Dash, server: flask.Flask) -> None:
    """Fill Dash's list of servable component files now, in every worker.

    Dash records which files of ``/_dash-component-suites/`` it may serve only while it
    renders the index page. Under gunicorn a worker that has not rendered the index yet
    then answers the browser's request for React with a 500, and the screen stays blank.
    """
    with server.test_request_context("/"):
        app.index()


def _prime_pages_router(server: flask.Flask) -> None:
    """Run Dash's pages router setup now rather than on the first request.

    It registers an inline clientside callback (the page title) that would otherwise
    appear after ``csp_hashes()`` was taken, and be blocked by the browser.
    """
    hooks = [
        hook for hook in server.before_request_funcs.get(None, [])
        if getattr(hook, "__name__", "") == "router_sync"
    ]
    if len(hooks) != 1:
        raise RuntimeError(
            f"expected one Dash pages router hook on the server, found {len(hooks)}: "
            "Dash's internals changed; check dashboard/_app.py"
        )
    with server.app_context():
        hooks[0]()
