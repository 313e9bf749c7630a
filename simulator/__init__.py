"""A faithful stand-in for the Trio Enterprise TE REST API, with fault injection.

Two servers (primary and secondary) share one simulated contact center. See README.md.
This package imports nothing from the rest of the project.
"""

from simulator._cli import main
from simulator._config import SimulatorConfig
from simulator._control_client import SimulatorControl
from simulator._faults import FaultKind
from simulator._fleet import Fleet, WorkerAnswer, build_fleet
from simulator._history import FleetMoment, fleet_history, queue_history
from simulator._model import (
    AgentState,
    Behaviour,
    ContactCenter,
    Surges,
    build_contact_center,
    day_profile,
)
from simulator._server import SimulatorServers, serve
from simulator._thread import RunningSimulator, SimulatorStartError, run_in_thread
from simulator._types import FieldTypes

__all__ = [
    "AgentState",
    "Behaviour",
    "ContactCenter",
    "FaultKind",
    "FieldTypes",
    "Fleet",
    "FleetMoment",
    "RunningSimulator",
    "SimulatorConfig",
    "SimulatorControl",
    "SimulatorServers",
    "SimulatorStartError",
    "WorkerAnswer",
    "Surges",
    "build_contact_center",
    "build_fleet",
    "day_profile",
    "fleet_history",
    "main",
    "queue_history",
    "run_in_thread",
    "serve",
]
