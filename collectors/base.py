"""What every kind of source offers the collector: a name, a kind, and one ``poll``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from storage import AgentRecord, DriftItem, Sample

from .deadline import Deadline
from .errors import SourceError


@dataclass
class PollOutcome:
    """What one successful poll received. Nothing here is invented or carried over."""

    samples: list[Sample]
    # None: this poll did not read agents (not collected, or not read in full).
    agents: list[AgentRecord] | None = None
    records_skipped: int = 0
    failover_active: bool = False
    active_url: str | None = None
    requests: int = 0
    # Things the site should know once (e.g. how zone-less timestamps are read); the
    # collector records each as a source event.
    warnings: list[str] = field(default_factory=list)
    # Values refused as unreadable or implausible (each counted in ``partial``).
    values_refused: int = 0
    # The same by "field reason" (e.g. "longest_wait_s negative") -> values refused.
    refused: Mapping[str, int] = field(default_factory=dict)
    # "partial: N values refused (why); ..." when this poll refused or skipped anything:
    # the source's state reason instead of "polled successfully". None: nothing refused.
    partial: str | None = None
    # Drift sources: the full set of drifting resources (None: no per-resource list).
    drift: list[DriftItem] | None = None


# (state, reason) a source shows after a poll, e.g. ("down", "HTTP 503").
Assessment = tuple[str, str]


class Source(Protocol):
    name: str
    kind: str
    url: str
    # Seconds between polls of this source; None: the collector's poll interval.
    interval_s: float | None

    async def poll(self, deadline: Deadline) -> PollOutcome:
        """Read the source once within ``deadline``; raise ``SourceError`` on failure."""
        ...

    def assess(
        self, outcome: PollOutcome | None, error: SourceError | None, consecutive_failures: int
    ) -> Assessment | None:
        """The state to show after this poll (exactly one of outcome/error is set), with
        its reason; None keeps the current state. ``consecutive_failures`` counts this
        poll. The collector stores it and appends a "state" event when it changes."""
        ...

    async def aclose(self) -> None: ...
