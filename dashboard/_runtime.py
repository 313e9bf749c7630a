"""Per-server state of the dashboard, kept in ``flask_app.extensions``.

Pages are modules that Dash loads itself, so they cannot be handed the engine; their
callbacks find the read model of the server that runs them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flask

from specs.clock import Clock, now_ms
from storage import AlertStore

from ._config import DashboardConfig
from ._memo import RenderMemo
from .components import WallboardParts
from .opsmodel import OpsModel
from .readmodel import ReadModel

EXTENSION_KEY = "trio_monitor.dashboard"


@dataclass
class Runtime:
    config: DashboardConfig
    read_model: ReadModel
    clock: Clock
    ops: OpsModel  # /health and /drift
    alerts: AlertStore  # /thresholds and /alerts
    # Per (snapshot, language, second, people, view): room for a few teams' screens.
    wallboard_memo: RenderMemo[WallboardParts] = field(
        default_factory=lambda: RenderMemo(64))

    def now_ms(self) -> int:
        """The injected clock's time in epoch milliseconds."""
        return now_ms(self.clock)


def install(server: flask.Flask, runtime: Runtime) -> None:
    if EXTENSION_KEY in server.extensions:
        raise RuntimeError("a dashboard is already installed on this Flask server")
    server.extensions[EXTENSION_KEY] = runtime


def current() -> Runtime:
    """The runtime of the Flask app handling this request (needs an app context)."""
    runtime: Runtime = flask.current_app.extensions[EXTENSION_KEY]
    return runtime
