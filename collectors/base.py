"""What every kind of source offers the collector: a name, a kind, and one ``poll``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from storage import AgentRecord, DriftItem, Sample

from .deadline import Deadline
from .errors import SourceError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ._collector_state import DynamicSources
    from .clock import Clock
    from .http import HttpConfig


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


# -- kinds of sources (the registry is ``collectors.kinds.SOURCE_KINDS``) --------------------


@dataclass(frozen=True)
class BuildContext:
    """What a kind of source is built from."""

    settings: Any  # trio_monitor.settings.Settings (collectors do not import it)
    engine: Engine
    clock: Clock
    http: HttpConfig  # the site's HTTP settings, for the kind's seams


@dataclass
class SourcePlan:
    """What the collector polls of one kind: sources fixed for the process's life, and
    sources that come and go while it runs (health targets edited in the UI)."""

    sources: list[Source] = field(default_factory=list)
    dynamic: DynamicSources | None = None


@dataclass(frozen=True)
class SourceKind:
    """One kind of source: ``plan`` builds its sources for the collector; ``watched``
    names the sources it polls now (what alerts may be about); ``intervals`` gives their
    poll intervals in seconds, by name (older values than three of them are unknown)."""

    plan: Callable[[BuildContext], SourcePlan]
    watched: Callable[[Any, Engine], set[str]]
    intervals: Callable[[Any, Engine], dict[str, float]]
