"""Every polled source's health and the drift as the pages show them: plain views and
the pure rules over them (state, worst item, ordering, duration bins).

The state is the one the collector decided (``sources.state``, a ``HealthState``);
a source polled before states existed (or by a collector that does not assess) gets
one derived from its facts, the same way for every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from specs.health import HealthState
from storage import DriftResourceRow, SourceFacts

from .metrics import BREAKER_OPEN

HEALTH_KIND = "health"  # a worker's health target: source "health:<name>"
DRIFT_KIND = "drift"  # a reconciler: source "drift:<name>"
HEALTH_PREFIX = f"{HEALTH_KIND}:"
DRIFT_PREFIX = f"{DRIFT_KIND}:"

# Worst first: the order of the strip's counts and of "the worst item".
SEVERITY = {HealthState.DOWN: 3, HealthState.DEGRADED: 2, HealthState.PENDING: 1,
            HealthState.UP: 0}


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source's facts and its shown state. ``enabled`` is False for a disabled
    health target (it is listed, not polled)."""

    name: str
    kind: str
    url: str
    state: HealthState
    reason: str | None = None
    state_since_ms: int | None = None
    breaker_state: str = "closed"
    last_success_ms: int | None = None
    last_error: str | None = None
    last_duration_ms: int | None = None
    consecutive_failures: int = 0
    enabled: bool = True

    @property
    def label(self) -> str:
        return display_name(self.name)


@dataclass(frozen=True, slots=True)
class DriftView:
    """One drifting field of one resource, as reported by reconciler ``source``."""

    source: str
    resource_id: str
    provider: str
    kind: str
    field: str
    desired: str
    actual: str
    since_ms: int


def display_name(source: str) -> str:
    """``health:worker-3`` -> ``worker-3``; other names unchanged."""
    for prefix in (HEALTH_PREFIX, DRIFT_PREFIX):
        if source.startswith(prefix):
            return source[len(prefix):]
    return source


def health_source(target_name: str) -> str:
    return f"{HEALTH_PREFIX}{target_name}"


def source_state(facts: SourceFacts) -> HealthState:
    """The collector's state; derived from the facts when it recorded none."""
    if facts.state is not None and facts.state in HealthState._value2member_map_:
        return HealthState(facts.state)
    if facts.last_poll_at_ms is None:
        return HealthState.PENDING
    if facts.breaker_state == BREAKER_OPEN:
        return HealthState.DOWN
    if facts.consecutive_failures > 0:
        return HealthState.DEGRADED
    return HealthState.UP


def source_status(facts: SourceFacts, *, enabled: bool = True) -> SourceStatus:
    return SourceStatus(
        name=facts.name,
        kind=facts.kind,
        url=facts.url,
        state=source_state(facts),
        reason=facts.state_reason,
        state_since_ms=facts.state_since_ms,
        breaker_state=facts.breaker_state,
        last_success_ms=facts.last_success_at_ms,
        last_error=facts.last_error,
        last_duration_ms=facts.last_duration_ms,
        consecutive_failures=facts.consecutive_failures,
        enabled=enabled,
    )


def never_checked(name: str, kind: str, url: str, *, enabled: bool = True) -> SourceStatus:
    """A configured source with no facts yet: PENDING."""
    return SourceStatus(name=name, kind=kind, url=url, state=HealthState.PENDING,
                        enabled=enabled)


def _kind_order(kind: str) -> int:
    return {HEALTH_KIND: 1, DRIFT_KIND: 2}.get(kind, 0)


def grid_order(statuses: Iterable[SourceStatus]) -> list[SourceStatus]:
    """Trio site(s) first, then workers, then reconcilers; by name within each."""
    return sorted(statuses, key=lambda s: (_kind_order(s.kind), s.label.casefold(), s.name))


def state_counts(statuses: Iterable[SourceStatus]) -> dict[HealthState, int]:
    counts = dict.fromkeys(HealthState, 0)
    for status in statuses:
        counts[status.state] += 1
    return counts


_BAD = frozenset({HealthState.DOWN, HealthState.DEGRADED})


def worst(statuses: Iterable[SourceStatus]) -> SourceStatus | None:
    """The most severe DOWN or DEGRADED source (longest in its state first), or None."""
    bad = [s for s in statuses if s.state in _BAD and s.enabled]
    if not bad:
        return None
    return min(bad, key=lambda s: (-SEVERITY[s.state], s.state_since_ms or 0, s.name))


def drift_view(row: DriftResourceRow) -> DriftView:
    return DriftView(source=row.source, resource_id=row.resource_id, provider=row.provider,
                     kind=row.kind, field=row.field, desired=row.desired, actual=row.actual,
                     since_ms=row.detected_at_ms)


def longest_first(drift: Iterable[DriftView]) -> list[DriftView]:
    return sorted(drift, key=lambda d: (d.since_ms, d.resource_id, d.field, d.source))


MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
# Upper bounds (exclusive) of the "how long did drift last" histogram; None: no bound.
DURATION_BOUNDS_MS: tuple[int | None, ...] = (
    MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, 4 * HOUR_MS, DAY_MS, None,
)
DURATION_LABELS = ("< 1 min", "1–5 min", "5–15 min", "15–60 min", "1–4 h", "4–24 h", "> 1 d")


def duration_bins(durations_ms: Sequence[int]) -> list[tuple[str, int]]:
    """How many reconciled drifts lasted how long, in fixed bins (all bins, zeros too)."""
    counts = [0] * len(DURATION_BOUNDS_MS)
    for duration in durations_ms:
        for index, bound in enumerate(DURATION_BOUNDS_MS):
            if bound is None or duration < bound:
                counts[index] += 1
                break
    return list(zip(DURATION_LABELS, counts, strict=True))
