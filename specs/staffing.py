"""Staffing now: how many agents a queue needs to meet its service-level target, from
the last 30 minutes of what the collector stored.

From the queue's series over the window (``WINDOW_MS``, ending now):

- offered calls = growth of ``answered_today`` + growth of ``abandoned_today`` (day
  counters; a fall is a midnight reset, see ``specs.intervals.steps``);
- arrival rate λ = offered calls / the seconds between the window's first and last
  readings;
- busy agent-seconds = ``agents_busy`` (agents on a call or in after-call work) summed
  over time: each stored reading or minute bucket's mean times the time it covers;
- average handle time h = busy agent-seconds / answered calls (talk plus after-call
  work, the time an agent is taken by a call);
- needed = the fewest agents whose Erlang C service level reaches the queue's target
  (``specs.erlang.agents_needed``), compared with ``agents_logged_in`` now.

Not enough data is said, never guessed: less than ``MIN_SPAN_MS`` of readings in the
window, fewer than ``MIN_ANSWERED`` calls answered in it, or no busy time at all.

An agent who serves several queues is counted busy in each of them while on any call
(the server's per-queue agent figures do that), so h, and the agents needed, are too
high for queues that share agents; the page says the figure is for the queue alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .erlang import ErlangResult, agents_needed
from .intervals import Reading, growth
from .sltarget import ServiceLevelTarget

WINDOW_MS = 30 * 60_000
MIN_SPAN_MS = 20 * 60_000  # two thirds of the window
MIN_ANSWERED = 10


class NotEnough(StrEnum):
    """Why no staffing figure is given (each has a text in both languages)."""

    SHORT = "short"  # readings cover less than MIN_SPAN_MS of the window
    FEW_CALLS = "few_calls"  # fewer than MIN_ANSWERED calls answered in the window
    NO_BUSY_TIME = "no_busy_time"  # answered calls but no agent ever busy: bad data
    NO_AGENTS_FIGURE = "no_agents_figure"  # agents logged in unknown now


@dataclass(frozen=True, slots=True)
class BusySpan:
    """``mean`` agents busy over ``[from_ms, to_ms)`` (a raw reading held until the next,
    or one minute bucket)."""

    from_ms: int
    to_ms: int
    mean: float


@dataclass(frozen=True, slots=True)
class Workload:
    arrival_rate: float  # calls per second
    handle_s: float  # mean handle time, seconds
    answered: float  # calls answered in the window
    offered: float  # answered + abandoned in the window
    span_ms: int  # time the readings cover

    @property
    def load(self) -> float:
        """Offered load, erlangs."""
        return self.arrival_rate * self.handle_s


@dataclass(frozen=True, slots=True)
class Staffing:
    """Agents needed now versus logged in; ``reason`` set when there is no figure."""

    logged_in: int | None
    needed: int | None = None
    reason: NotEnough | None = None
    workload: Workload | None = None
    result: ErlangResult | None = None

    @property
    def short_by(self) -> int:
        """How many more agents are needed (0 when enough, or no figure)."""
        if self.needed is None or self.logged_in is None:
            return 0
        return max(0, self.needed - self.logged_in)


def busy_seconds(spans: Sequence[BusySpan], from_ms: int, to_ms: int) -> float:
    """Agent-seconds busy within ``[from_ms, to_ms)``."""
    total = 0.0
    for span in spans:
        covered = min(span.to_ms, to_ms) - max(span.from_ms, from_ms)
        if covered > 0:
            total += span.mean * covered / 1000.0
    return total


def held(readings: Sequence[Reading], until_ms: int) -> list[BusySpan]:
    """Raw readings as spans: each value holds until the next reading (the last one until
    ``until_ms``)."""
    ends = [r.ts_ms for r in readings[1:]] + [until_ms]
    return [BusySpan(r.ts_ms, end, r.value) for r, end in zip(readings, ends, strict=True)
            if end > r.ts_ms]


def workload(
    answered: Sequence[Reading], abandoned: Sequence[Reading], busy: Sequence[BusySpan],
    changes: Sequence[int] = (),
) -> Workload | NotEnough:
    """λ and h over the readings given (the caller picks the window); see the module's
    docstring. Readings are oldest first; ``changes``: when the server changed (no
    growth counted across, ``specs.intervals.steps``)."""
    if len(answered) < 2:
        return NotEnough.SHORT
    first, last = answered[0].ts_ms, answered[-1].ts_ms
    if last - first < MIN_SPAN_MS:
        return NotEnough.SHORT
    calls = growth(answered, changes)
    if calls < MIN_ANSWERED:
        return NotEnough.FEW_CALLS
    busy_s = busy_seconds(busy, first, last)
    if busy_s <= 0:
        return NotEnough.NO_BUSY_TIME
    offered = calls + growth([r for r in abandoned if first <= r.ts_ms <= last], changes)
    return Workload(offered / ((last - first) / 1000.0), busy_s / calls, calls, offered,
                    last - first)


def staffing(
    load: Workload | NotEnough, target: ServiceLevelTarget, logged_in: float | None
) -> Staffing:
    """Agents needed for ``target`` with ``load``, beside ``logged_in``."""
    agents = None if logged_in is None else int(logged_in)
    if isinstance(load, NotEnough):
        return Staffing(agents, reason=load)
    result = agents_needed(load.arrival_rate, load.handle_s, target.pct, target.threshold_s)
    if agents is None:
        return Staffing(None, reason=NotEnough.NO_AGENTS_FIGURE, workload=load, result=result)
    return Staffing(agents, result.agents, None, load, result)
