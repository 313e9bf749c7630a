"""Erlang C: the agents a queue needs now to meet its service-level target.

The model (M/M/N, no abandonment): calls arrive at rate λ, each takes an agent for an
exponential handle time of mean h (talk plus after-call work), N agents serve them.
With the offered load A = λ·h (erlangs) below N:

- P(wait) = C(N, A), the Erlang C formula (computed through the Erlang B recursion,
  which stays finite for hundreds of agents where A^N/N! overflows);
- service level SL(T) = 1 − P(wait)·e^(−(N−A)·T/h): the share of calls answered within T;
- average speed of answer ASA = P(wait)·h/(N−A).

``agents_needed`` is the smallest N with SL(T) at or above the target. Pure: no clock,
no I/O; ``specs.staffing`` feeds it λ and h measured from stored series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Far above any queue's agents; a load that needs more is a garbled measurement.
MAX_AGENTS = 10_000


@dataclass(frozen=True, slots=True)
class ErlangResult:
    """The queue's figures with ``agents`` agents (``agents`` > ``load``)."""

    agents: int
    load: float  # A = λ·h, erlangs
    p_wait: float  # share of calls that wait at all
    service_level: float  # share answered within the threshold, 0..1
    asa_s: float  # average speed of answer, seconds


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability B(N, A) by the stable recursion B(k) = A·B(k−1)/(k + A·B(k−1))."""
    if agents < 0 or load < 0:
        raise ValueError(f"agents and load must not be negative: {agents}, {load}")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """P(wait) = C(N, A); 1.0 when the load is not below the agents (the queue grows)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


def figures(agents: int, arrival_rate: float, handle_s: float, threshold_s: float) -> ErlangResult:
    """SL, P(wait) and ASA of ``agents`` agents for arrivals per second and mean handle
    time; ``ValueError`` when the agents cannot keep up (N <= A) or an input is not
    positive."""
    _check(arrival_rate, handle_s, threshold_s)
    load = arrival_rate * handle_s
    if agents <= load:
        raise ValueError(f"{agents} agents cannot carry a load of {load:.2f} erlangs")
    p_wait = erlang_c(agents, load)
    service_level = 1.0 - p_wait * math.exp(-(agents - load) * threshold_s / handle_s)
    return ErlangResult(agents, load, p_wait, service_level, p_wait * handle_s / (agents - load))


def agents_needed(
    arrival_rate: float, handle_s: float, target_pct: float, threshold_s: float
) -> ErlangResult:
    """The fewest agents whose service level reaches ``target_pct`` % within
    ``threshold_s``, with their figures. ``ValueError`` on a non-positive input, a target
    outside (0, 100), or a load that would need more than ``MAX_AGENTS``."""
    _check(arrival_rate, handle_s, threshold_s)
    if not 0.0 < target_pct < 100.0:
        raise ValueError(f"a service-level target is between 0 and 100 %, not {target_pct}")
    load = arrival_rate * handle_s
    agents = max(1, math.floor(load) + 1)
    while agents <= MAX_AGENTS:
        result = figures(agents, arrival_rate, handle_s, threshold_s)
        if result.service_level * 100.0 >= target_pct:
            return result
        agents += 1
    raise ValueError(f"a load of {load:.0f} erlangs needs more than {MAX_AGENTS} agents")


def _check(arrival_rate: float, handle_s: float, threshold_s: float) -> None:
    for name, value in (("arrival rate", arrival_rate), ("handle time", handle_s)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, not {value}")
    if not (math.isfinite(threshold_s) and threshold_s >= 0):
        raise ValueError(f"threshold must be zero or more seconds, not {threshold_s}")
