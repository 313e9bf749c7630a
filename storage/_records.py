"""Plain records passed in and out of the store.

Timestamps are epoch milliseconds (UTC) as ints, named ``*_ms``; see docs/DESIGN.md "Time".
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """Identity of one measured thing.

    The natural key is (source, entity_kind, entity_id, metric); ``unit`` and
    ``entity_name`` are attributes that the store updates when they change.
    """

    source: str
    entity_kind: str
    entity_id: str
    metric: str
    unit: str
    entity_name: str

    @property
    def natural(self) -> tuple[str, str, str, str]:
        return (self.source, self.entity_kind, self.entity_id, self.metric)


@dataclass(frozen=True, slots=True)
class Sample:
    key: SeriesKey
    ts_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class AgentRecord:
    agent_id: str
    name: str
    state: str
    state_since_ms: int | None
    queue_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """Facts about one polled endpoint, mirroring the ``sources`` table.

    Facts only: whether a source is "stale" or "degraded" is computed by readers.
    ``updated_at_ms`` is set by the store on every write (the caller's value is ignored).
    """

    name: str
    kind: str
    url: str
    last_poll_at_ms: int | None = None
    last_success_at_ms: int | None = None
    last_error: str | None = None
    last_error_at_ms: int | None = None
    failing_since_ms: int | None = None
    consecutive_failures: int = 0
    breaker_state: str = "closed"
    breaker_opened_at_ms: int | None = None
    breaker_retry_at_ms: int | None = None
    last_duration_ms: int | None = None
    failover_active: bool = False
    active_url: str | None = None
    records_skipped: int = 0
    updated_at_ms: int | None = None
    # The shown state the collector decided (health targets: up/degraded/down/pending).
    state: str | None = None
    state_reason: str | None = None
    state_since_ms: int | None = None


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One field of one managed resource whose actual state differs from the desired."""

    resource_id: str
    provider: str
    kind: str
    field: str
    desired: str
    actual: str
    detected_at_ms: int


# (ts_ms, kind, message), or for a state change (ts_ms, "state", reason, from, to).
EventTuple = tuple[int, str, str] | tuple[int, str, str, str | None, str]


@dataclass(frozen=True, slots=True)
class PollWrite:
    """Everything one poll stores.

    ``agents=None`` means the poll carries no agent list (agents are left untouched);
    ``events`` are ``(ts_ms, kind, message)`` appended to ``source_events``.
    """

    source: str
    samples: list[Sample]
    agents: list[AgentRecord] | None
    facts: SourceFacts
    events: list[EventTuple] = field(default_factory=list)
    # The full set of drifting resources a reconciler reported (None: this poll has no
    # per-resource list, e.g. the Prometheus form; the stored set is left alone).
    drift: list[DriftItem] | None = None


@dataclass(frozen=True, slots=True)
class SeriesRow:
    id: int
    key: SeriesKey
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class CurrentRow:
    """The latest value of one series, with the series' attributes."""

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
class AgentRow:
    source: str
    agent_id: str
    name: str
    state: str
    state_since_ms: int | None
    queue_ids: tuple[str, ...]
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class AgentEvent:
    id: int
    source: str
    agent_id: str
    ts_ms: int
    from_state: str | None
    to_state: str


@dataclass(frozen=True, slots=True)
class SourceEvent:
    id: int
    source: str
    ts_ms: int
    kind: str
    message: str
    from_state: str | None = None  # set on kind "state"
    to_state: str | None = None


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    name: str
    holder: str
    token: int
    acquired_at_ms: int
    expires_at_ms: int
    renewed_at_ms: int
