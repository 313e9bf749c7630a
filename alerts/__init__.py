"""Alerting: rules people set, and the pure state machine that judges a series by them.

The rule model, schedules and the engine are pure: no I/O and no clock. ``AlertEvaluator``
(alerts.service) runs them in the collector on stored values and writes the states, events
and queued notifications; notifications are rendered and delivered by ``alerts.notify``.
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
from .service import (
    AlertEvaluator,
    EvaluationResult,
    EvaluatorConfig,
    default_rule_specs,
    seed_default_rules,
)

__all__ = [
    "DEFAULT_RULES",
    "ActiveMode",
    "AlertEvaluator",
    "AlertEvent",
    "AlertState",
    "AlertStatus",
    "Direction",
    "EvaluationResult",
    "EvaluatorConfig",
    "NoDataPolicy",
    "Rule",
    "Scope",
    "Severity",
    "SpecError",
    "Transition",
    "Window",
    "default_rule_specs",
    "errored",
    "evaluate",
    "in_window",
    "is_active",
    "rule_as_mapping",
    "seed_default_rules",
    "validate_rule",
]
