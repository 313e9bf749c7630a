"""Alert state rows: how a judged status becomes the stored row, the bookkeeping of the
alert it belongs to (opened, continued, closed), the event appended for it and the
channels it is routed to. Pure: no I/O and no clock (``alerts.service`` writes them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Protocol

from storage import EventRow, RuleRow, StateRow

from .engine import HELD, AlertEvent, AlertState, AlertStatus
from .inputs import Input, utc_time
from .model import Rule, Severity
from .notify.message import NotificationKind

# Events that close an open alert with a "resolved" notification (when it reaches OK).
CLOSING_EVENTS = frozenset({AlertEvent.RESOLVED, AlertEvent.INACTIVE, AlertEvent.NODATA_RESOLVED})
# Events that tell people an alert is firing (or firing worse).
FIRING_EVENTS = frozenset({AlertEvent.FIRING, AlertEvent.ESCALATED, AlertEvent.NODATA})
FIRING_EVENT_VALUES = frozenset(event.value for event in FIRING_EVENTS)
CLOSED_STATES = frozenset({AlertState.OK, AlertState.PENDING})
# StateRow fields whose change is written; last_value, last_value_ms and reason follow
# along when something is written, and live in memory until then.
PERSISTED = (
    "state", "severity", "since_ms", "pending_since_ms", "breach_ended_ms", "alert_id",
    "opened_at_ms", "last_notified_at_ms", "ack_by", "ack_at_ms", "ack_comment",
    "entity_name", "metric",
)


def unchanged(old: StateRow, status: AlertStatus, entity_name: str | None) -> bool:
    """Whether judging ``old`` to ``status`` changes nothing that is written."""
    return (
        old.state == status.state.value
        and old.severity == (None if status.severity is None else status.severity.value)
        and old.since_ms == status.since_ms
        and old.pending_since_ms == status.pending_since_ms
        and old.breach_ended_ms == status.breach_ended_ms
        and (entity_name is None or entity_name == old.entity_name)
    )


def with_status(row: StateRow, status: AlertStatus, **fields: Any) -> StateRow:
    return replace(
        row, **fields, state=status.state.value,
        severity=None if status.severity is None else status.severity.value,
        since_ms=status.since_ms, pending_since_ms=status.pending_since_ms,
        breach_ended_ms=status.breach_ended_ms, last_value=status.last_value,
        last_value_ms=status.last_value_ms, reason=status.reason,
    )


def new_row(rule_id: int, key: str, item: Input | None, rule: Rule) -> StateRow:
    assert item is not None
    return StateRow(
        rule_id=rule_id, series_key=key, source=item.source, entity_kind=item.entity_kind,
        entity_id=item.entity_id, entity_name=item.entity_name, metric=rule.metric,
        state=AlertState.OK.value, severity=None, since_ms=0, pending_since_ms=None,
        breach_ended_ms=None, last_value=None, last_value_ms=None, reason="",
        alert_id=None, opened_at_ms=None, last_notified_at_ms=None, ack_by=None,
        ack_at_ms=None, ack_comment=None,
    )


def bookkeep(
    old: StateRow | None, row: StateRow, event: AlertEvent | None, now_ms: int
) -> tuple[StateRow, NotificationKind | None]:
    """Open, continue or close the alert of ``row``; returns which notification it makes.

    An alert opens on ``firing`` (a new id; a no-data alert it supersedes is not
    resolved separately) and on ``nodata`` when none is open; it is continued through
    escalations, recoveries and spells of no data; it closes when the state is back to
    OK (or pending), with a "resolved" notification if people were told it fired.
    """
    open_id = None if old is None else old.alert_id
    if event is AlertEvent.FIRING or (event in FIRING_EVENTS and open_id is None):
        opened = replace(
            row, alert_id=uuid.uuid4().hex, opened_at_ms=now_ms, last_notified_at_ms=None,
            ack_by=None, ack_at_ms=None, ack_comment=None,
        )
        return opened, NotificationKind.FIRING
    if event in FIRING_EVENTS:
        return row, NotificationKind.FIRING
    if open_id is not None and AlertState(row.state) in CLOSED_STATES:
        assert old is not None
        told = old.last_notified_at_ms is not None
        kind = NotificationKind.RESOLVED if event in CLOSING_EVENTS and told else None
        closed = replace(
            row, alert_id=None, opened_at_ms=None, last_notified_at_ms=None,
            ack_by=None, ack_at_ms=None, ack_comment=None,
        )
        return closed, kind
    return row, None


def held(reason: str) -> bool:
    """Whether a reason says the alert is held because its data is unknown. Its start and
    end are written (the rest of a reason lives in memory until something else changes),
    so /alerts says why an alert is kept open through an outage."""
    return HELD in reason


def differs(old: StateRow, new: StateRow) -> bool:
    return any(getattr(old, name) != getattr(new, name) for name in PERSISTED)


def routed_channels(rule: Rule, severities: Iterable[Severity]) -> tuple[str, ...]:
    """The routed channels of ``severities``, critical's first, without repeats."""
    ordered = sorted(set(severities), key=lambda s: s is not Severity.CRITICAL)
    names: list[str] = []
    for severity in ordered:
        names += rule.critical_channels if severity is Severity.CRITICAL else rule.warning_channels
    return tuple(dict.fromkeys(names))


class Entity(Protocol):
    @property
    def entity_name(self) -> str: ...
    @property
    def entity_kind(self) -> str: ...
    @property
    def entity_id(self) -> str: ...


def entity_label(row: Entity) -> str:
    """How a notification names the watched thing, e.g. "Kundtjänst (queue 12)"."""
    if row.entity_name == row.entity_id:
        return f"{row.entity_name} ({row.entity_kind})"
    return f"{row.entity_name} ({row.entity_kind} {row.entity_id})"


def make_event_row(
    rule: RuleRow, old: StateRow | None, row: StateRow, event: AlertEvent, now_ms: int,
    silenced: bool,
) -> EventRow:
    alert_id = row.alert_id if row.alert_id is not None else (old.alert_id if old else None)
    severity = row.severity if row.severity is not None else (old.severity if old else None)
    return EventRow(
        ts_ms=now_ms, rule_id=rule.id, rule_name=rule.name, series_key=row.series_key,
        source=row.source, entity_kind=row.entity_kind, entity_id=row.entity_id,
        entity_name=row.entity_name, alert_id=alert_id, event=event.value,
        from_state=None if old is None else old.state, to_state=row.state, severity=severity,
        value=None if event is AlertEvent.NODATA else row.last_value, reason=row.reason,
        silenced=silenced,
    )


def failover_note(since_ms: int | None) -> str:
    """What a reason says of a counter its source counts from a failover."""
    when = "" if since_ms is None else f" at {utc_time(since_ms)}"
    return f"counted since the failover{when} (the secondary server's counters)"
