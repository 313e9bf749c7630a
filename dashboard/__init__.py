"""The Dash app: the wall screen, its read model and its components.

``create_dash(server, engine, config)`` puts the dashboard on a Flask server.
"""

from ._app import create_dash
from ._config import DashboardConfig
from .readmodel import ReadModel, Snapshot

__all__ = ["DashboardConfig", "ReadModel", "Snapshot", "create_dash"]
