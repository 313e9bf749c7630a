"""Alerting storage: its errors and the records its queries take and return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._errors import StorageError

# -- errors -----------------------------------------------------------------------------


class UnknownRule(StorageError):
    """No rule has this id."""


class RuleExists(StorageError):
    """Another rule has this name."""


class StaleRule(StorageError):
    """The rule was changed by someone else since it was read (version mismatch)."""


class UnknownSilence(StorageError):
    """No silence has this id."""


class AlertNotOpen(StorageError):
    """The alert to acknowledge is no longer open (it resolved, or a newer one opened)."""


# -- records ------------------------------------------------------------------------------


def series_key(source: str, entity_kind: str, entity_id: str) -> str:
    """The key of one watched entity within a rule: ``source|entity_kind|entity_id``."""
    return f"{source}|{entity_kind}|{entity_id}"


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    name: str
    spec: dict[str, Any]  # alerts.rule_as_mapping without id, name, enabled
    enabled: bool
    builtin: bool
    version: int
    created_at_ms: int
    updated_at_ms: int
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class StateRow:
    """One row of ``alert_states``. ``version`` is ignored when passed to ``apply``."""

    rule_id: int
    series_key: str
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    metric: str
    state: str  # alerts.AlertState value
    severity: str | None
    since_ms: int
    pending_since_ms: int | None
    breach_ended_ms: int | None
    last_value: float | None
    last_value_ms: int | None
    reason: str
    alert_id: str | None  # the open alert (FIRING/RECOVERING/NODATA/ERROR after firing)
    opened_at_ms: int | None
    last_notified_at_ms: int | None
    ack_by: str | None
    ack_at_ms: int | None
    ack_comment: str | None
    version: int = 0
    updated_at_ms: int = 0


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row of ``alert_events`` (``id`` 0 when passed in; set by the store)."""

    ts_ms: int
    rule_id: int
    rule_name: str
    series_key: str
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    alert_id: str | None
    event: str  # alerts.AlertEvent value, or "acknowledged", "unacknowledged"
    from_state: str | None
    to_state: str | None
    severity: str | None
    value: float | None
    reason: str
    silenced: bool = False
    actor: str | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A notification to queue for one channel. ``payload`` is JSON-able."""

    channel: str
    kind: str  # firing | resolved | repeat | test
    alert_id: str | None
    payload: dict[str, Any]
    due_at_ms: int
    requested_by: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    channel: str
    kind: str
    alert_id: str | None
    payload: dict[str, Any]
    status: str  # queued | sending | delivered | failed
    created_at_ms: int
    due_at_ms: int
    attempts: int
    last_error: str | None
    claimed_at_ms: int | None
    finished_at_ms: int | None
    requested_by: str | None


@dataclass(frozen=True, slots=True)
class StateChange:
    """One compare-and-set on ``alert_states``, applied with its event and notifications.

    ``expected_version`` None: the row must not exist yet (insert). Otherwise the row is
    updated only if its version still equals ``expected_version`` (then version + 1).
    """

    row: StateRow
    expected_version: int | None
    event: EventRow | None = None
    notifications: tuple[OutboxItem, ...] = ()


@dataclass(frozen=True, slots=True)
class SilenceRow:
    id: int
    rule_id: int | None
    source: str | None
    entity_kind: str | None
    entity_ids: tuple[str, ...]
    starts_at_ms: int
    ends_at_ms: int
    reason: str
    created_by: str
    created_at_ms: int
    ended_at_ms: int | None
    ended_by: str | None

    def active_at(self, now_ms: int) -> bool:
        end = self.ends_at_ms
        if self.ended_at_ms is not None:
            end = min(end, self.ended_at_ms)
        return self.starts_at_ms <= now_ms < end

    def matches(self, rule_id: int, source: str, entity_kind: str, entity_id: str) -> bool:
        return (
            (self.rule_id is None or self.rule_id == rule_id)
            and (self.source is None or self.source == source)
            and (self.entity_kind is None or self.entity_kind == entity_kind)
            and (not self.entity_ids or entity_id in self.entity_ids)
        )


@dataclass(frozen=True, slots=True)
class ChannelRow:
    name: str
    kind: str
    state: str  # ok | failing
    state_since_ms: int
    last_error: str | None
    last_error_at_ms: int | None
    last_ok_at_ms: int | None
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class SeriesSamples:
    """A series and its samples in a time range (backtests)."""

    series_id: int
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    metric: str
    unit: str
    points: tuple[tuple[int, float], ...]  # (ts_ms, value), oldest first
