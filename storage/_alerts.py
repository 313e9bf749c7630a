"""Alerting storage: rules, per-series alert states (compare-and-set), events, silences,
acknowledgements, notification channel states, the notification outbox, the audit log.

Storage imports nothing of ours: rules are stored as a JSON mapping (``alerts``
validates it), notifications as a JSON payload. Every method is one transaction; storage
never reads the clock (``now_ms`` comes from the caller). Any method may raise
``StorageUnavailable``. Methods the collector calls while holding the lease take
``lease_name``/``lease_token`` and raise ``LeaseLost`` (nothing written) when the fence
fails, like ``Store.write_poll``.

CONTRACT (written first, implemented by the storage owner; see docs/DESIGN.md "Alerts").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

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
class AuditRow:
    id: int
    ts_ms: int
    actor: str
    action: str
    target: str
    before: Any  # decoded JSON or None
    after: Any
    client_addr: str | None


@dataclass(frozen=True, slots=True)
class InputRow:
    """The newest stored value of one series (``current`` joined with ``series``)."""

    series_id: int
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    metric: str
    unit: str
    ts_ms: int
    value: float


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


# -- the store ----------------------------------------------------------------------------


class AlertStore:
    """Queries on the alerting tables. Safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # rules (every change also appends an audit_log row in the same transaction:
    # actions rule.create / rule.update / rule.delete, before/after = the rule as JSON)

    def list_rules(self) -> list[RuleRow]:
        """Every rule, by name."""
        raise NotImplementedError

    def get_rule(self, rule_id: int) -> RuleRow:
        """Raises ``UnknownRule``."""
        raise NotImplementedError

    def create_rule(
        self, name: str, spec: Mapping[str, Any], enabled: bool, *, actor: str, now_ms: int,
        builtin: bool = False, client_addr: str | None = None,
    ) -> RuleRow:
        """Raises ``RuleExists``."""
        raise NotImplementedError

    def update_rule(
        self, rule_id: int, name: str, spec: Mapping[str, Any], enabled: bool, *,
        expected_version: int, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> RuleRow:
        """Raises ``UnknownRule``, ``StaleRule``, ``RuleExists``. The rule's alert states
        are kept (the evaluator judges them by the new rule on its next run)."""
        raise NotImplementedError

    def delete_rule(
        self, rule_id: int, *, expected_version: int | None, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> RuleRow:
        """Deletes the rule and its ``alert_states`` rows (events stay: history).
        Returns the deleted row. Raises ``UnknownRule``, ``StaleRule``."""
        raise NotImplementedError

    def seed_rules(self, rules: Sequence[tuple[str, Mapping[str, Any]]], *, now_ms: int) -> int:
        """Create the shipped default rules once per database (marker in ``app_meta``
        key ``alert_rules_seeded``), as ``builtin`` rows by actor "system"; a later call
        creates nothing, even after people deleted them. Returns how many were created.
        A name already taken is skipped."""
        raise NotImplementedError

    # alert states (collector, lease holder)

    def load_states(self, rule_ids: Iterable[int] | None = None) -> list[StateRow]:
        """Every stored state (of the given rules)."""
        raise NotImplementedError

    def apply(
        self, changes: Sequence[StateChange], *, lease_name: str, lease_token: int, now_ms: int,
    ) -> list[bool]:
        """One transaction: check the fence, then per change a compare-and-set on its row;
        only when it applied, insert its event and its notifications (outbox, status
        queued). Returns, per change, whether it applied (False: another writer changed
        the row first; reload it). Raises ``LeaseLost`` (nothing written)."""
        raise NotImplementedError

    def delete_states(
        self, keys: Iterable[tuple[int, str]], *, lease_name: str, lease_token: int,
    ) -> int:
        """Remove states of series that no longer exist or rules that changed scope."""
        raise NotImplementedError

    # people acting on alerts (web); each also appends an alert event and an audit row

    def acknowledge(
        self, rule_id: int, series_key: str, *, alert_id: str, user: str, comment: str,
        now_ms: int, client_addr: str | None = None,
    ) -> StateRow:
        """Set ``ack_by/ack_at/ack_comment`` (version + 1) if ``alert_id`` is still the
        row's open alert; raises ``AlertNotOpen`` otherwise."""
        raise NotImplementedError

    def states(
        self, *, open_only: bool = False, entity_kind: str | None = None,
    ) -> list[StateRow]:
        """States for pages and the wall screen. ``open_only``: state not ok."""
        raise NotImplementedError

    def events(
        self, *, since_ms: int = 0, limit: int = 500, rule_id: int | None = None,
        series_key: str | None = None,
    ) -> list[EventRow]:
        """Alert events, newest first."""
        raise NotImplementedError

    # silences (audit actions silence.create / silence.end)

    def create_silence(
        self, *, rule_id: int | None, source: str | None, entity_kind: str | None,
        entity_ids: Sequence[str], starts_at_ms: int, ends_at_ms: int, reason: str,
        actor: str, now_ms: int, client_addr: str | None = None,
    ) -> SilenceRow:
        """Raises ``ValueError`` when ``ends_at_ms <= starts_at_ms`` or the reason is empty."""
        raise NotImplementedError

    def end_silence(
        self, silence_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> SilenceRow:
        """Raises ``UnknownSilence``."""
        raise NotImplementedError

    def silences(self, *, active_at_ms: int | None = None, limit: int = 200) -> list[SilenceRow]:
        """Silences (only those active at ``active_at_ms`` when given), newest first."""
        raise NotImplementedError

    # notification channels

    def sync_channels(self, channels: Sequence[tuple[str, str]], *, now_ms: int) -> None:
        """Make ``notify_channels`` hold exactly these (name, kind): new ones ``ok``;
        removed ones deleted; a kind change resets the row."""
        raise NotImplementedError

    def channels(self) -> list[ChannelRow]:
        raise NotImplementedError

    def set_channel_state(
        self, name: str, *, state: str, error: str | None, now_ms: int,
    ) -> None:
        """Record a delivery outcome: ``ok`` sets ``last_ok_at`` (keeps the last error for
        display); ``failing`` sets ``last_error``/``last_error_at``; ``state_since`` moves
        only when the state changes."""
        raise NotImplementedError

    # notification outbox

    def enqueue(self, items: Sequence[OutboxItem], *, now_ms: int) -> list[int]:
        """Queue notifications outside a state change (test messages). Returns ids."""
        raise NotImplementedError

    def claim_due(
        self, *, now_ms: int, group_window_ms: int, lease_name: str, lease_token: int,
    ) -> dict[str, list[OutboxRow]]:
        """Per channel, if its oldest queued row is due and older than the group window
        (or is a test message), mark every due queued row of that channel ``sending``
        (attempts + 1, claimed_at) and return them, oldest first. Fenced."""
        raise NotImplementedError

    def finish(
        self, ids: Sequence[int], *, status: str, error: str | None, now_ms: int,
        retry_at_ms: int | None = None,
    ) -> None:
        """``delivered`` or ``failed`` (finished_at set), or back to ``queued`` with
        ``due_at = retry_at_ms`` (a transient failure to retry)."""
        raise NotImplementedError

    def recover_interrupted(self, *, now_ms: int) -> int:
        """Rows left ``sending`` by a collector that stopped mid-delivery become ``failed``
        with "interrupted during delivery; it may or may not have arrived" (never sent
        twice). Returns how many."""
        raise NotImplementedError

    def outbox(
        self, *, status: str | None = None, channel: str | None = None, limit: int = 100,
    ) -> list[OutboxRow]:
        """Newest first."""
        raise NotImplementedError

    def outbox_row(self, row_id: int) -> OutboxRow | None:
        raise NotImplementedError

    # audit log

    def audit(
        self, *, actor: str, action: str, target: str, before: Any = None, after: Any = None,
        now_ms: int, client_addr: str | None = None,
    ) -> None:
        """Append one audit row (``before``/``after`` JSON-encoded)."""
        raise NotImplementedError

    def audit_log(
        self, *, since_ms: int | None = None, actor: str | None = None,
        action_prefix: str | None = None, limit: int = 200,
    ) -> list[AuditRow]:
        """Newest first, filtered."""
        raise NotImplementedError

    # inputs for evaluation and backtests

    def current_values(
        self, metrics: Iterable[str], *, sources: Iterable[str] | None = None,
    ) -> list[InputRow]:
        """The newest value of every series with one of ``metrics`` (of ``sources``)."""
        raise NotImplementedError

    def samples_for(
        self, metric: str, *, from_ms: int, to_ms: int, source: str | None = None,
        entity_kind: str | None = None, entity_ids: Sequence[str] = (),
        max_series: int = 2000, bucket_ms: int = 0, reduce: str = "max",
    ) -> list[SeriesSamples]:
        """Samples in [from_ms, to_ms) of the series a scope selects (backtests).

        ``bucket_ms`` > 0 reduces each series to one point per bucket in SQL: ``reduce``
        "max" or "min" of the bucket's values at the bucket's start (a backtest of an
        "above" rule takes the max, so no breach is hidden by thinning)."""
        raise NotImplementedError
