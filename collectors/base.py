"""What every kind of source offers the collector: a name, a kind, and one ``poll``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from storage import AgentRecord, Sample

from .deadline import Deadline


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
    warnings: list[str] = field(default_factory=list)


class Source(Protocol):
    name: str
    kind: str
    url: str

    async def poll(self, deadline: Deadline) -> PollOutcome:
        """Read the source once within ``deadline``; raise ``SourceError`` on failure."""
        ...

    async def aclose(self) -> None: ...
