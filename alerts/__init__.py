"""Alerting: rules people set, and the pure state machine that judges a series by them.

Pure parts only: no I/O and no clock. Storage, evaluation after each poll and
notifications are wired around these.
"""

from specs.health import SpecError

from .engine import AlertEvent, AlertState, AlertStatus, Transition, errored, evaluate
from .model import (
    DEFAULT_RULES,
    ActiveMode,
    Direction,
    NoDataPolicy,
    Rule,
    Scope,
    Severity,
    Window,
    rule_as_mapping,
    validate_rule,
)
from .schedule import in_window, is_active

__all__ = [
    "DEFAULT_RULES",
    "ActiveMode",
    "AlertEvent",
    "AlertState",
    "AlertStatus",
    "Direction",
    "NoDataPolicy",
    "Rule",
    "Scope",
    "Severity",
    "SpecError",
    "Transition",
    "Window",
    "errored",
    "evaluate",
    "in_window",
    "is_active",
    "rule_as_mapping",
    "validate_rule",
]
