"""The day's 15-minute intervals in the site's zone, and what the day's counters say
about each.

Trio's queue counters are the day so far: ``answered_today`` and ``abandoned_today``
count from local midnight, ``service_level_pct`` is the day's share answered within the
server's threshold. What happened *in* an interval is the counters' growth across it:

- a step between two consecutive readings counts in the interval of the later one;
- a counter that falls has been reset (midnight, or a server that restarted): the step
  counts the new value from zero, never a negative number;
- a step across a change of server (a Trio failover beginning or ending: the backup
  counts from the switchover, the primary's counters are its own) counts nothing: the
  first reading on the new server is the new baseline. ``changes`` are the times the
  collector saw the change (its ``failover`` source events); the poll's samples may be
  stamped up to ``CHANGE_SLACK_MS`` before, so a step ending in that minute counts as
  across too (a minute of real growth may be missed; the jump never counts);
- calls answered within the threshold are ``service_level_pct / 100 × answered_today``
  at each reading (the server sends the share, not the count; it rounds to 0.1 %, so an
  interval's figure carries an error of about 0.05 % of the day's answered calls).

Intervals start on the quarter hour of the local clock: midnight to midnight has 96 of
them, 92 on the day clocks go forward and 100 on the day they go back (the repeated hour
has two sets of intervals, told apart by the zone's abbreviation). Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .sitetime import site_zone

INTERVAL_MS = 15 * 60_000
CHANGE_SLACK_MS = 60_000


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of a counter (epoch ms, value)."""

    ts_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class IntervalLevel:
    """What the counters say about one interval ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    label: str  # local start, "08:15" ("02:15 CET" in the repeated hour)
    answered: float  # calls answered in the interval
    in_threshold: float  # of them, answered within the server's threshold

    @property
    def service_level_pct(self) -> float | None:
        """None when no call was answered in it (no share of nothing)."""
        if self.answered <= 0:
            return None
        return max(0.0, min(100.0, 100.0 * self.in_threshold / self.answered))


def interval_start(ts_ms: int, tz: str) -> int:
    """The start of the local quarter hour holding ``ts_ms``."""
    moment = datetime.fromtimestamp(ts_ms / 1000, site_zone(tz))
    floored = moment.replace(minute=moment.minute - moment.minute % 15, second=0,
                             microsecond=0)
    return int(floored.timestamp() * 1000)


def day_bounds(ts_ms: int, tz: str) -> tuple[int, int]:
    """``[local midnight, next local midnight)`` of the day holding ``ts_ms``."""
    zone = site_zone(tz)
    day: date = datetime.fromtimestamp(ts_ms / 1000, zone).date()
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def day_intervals(ts_ms: int, tz: str) -> list[tuple[int, int, str]]:
    """``(start_ms, end_ms, label)`` of every interval of the local day holding ``ts_ms``.

    Steps of 15 minutes of real time from local midnight: every offset in use is a
    multiple of 15 minutes, so they fall on the local quarter hours, and a day with a
    clock change has as many intervals as it has quarter hours."""
    zone = site_zone(tz)
    start, end = day_bounds(ts_ms, tz)
    offsets = {datetime.fromtimestamp(ms / 1000, zone).utcoffset()
               for ms in range(start, end, INTERVAL_MS)}
    intervals = []
    for ms in range(start, end, INTERVAL_MS):
        local = datetime.fromtimestamp(ms / 1000, zone)
        label = local.strftime("%H:%M")
        if len(offsets) > 1 and _repeated(local):
            label = f"{label} {local.strftime('%Z')}"
        intervals.append((ms, ms + INTERVAL_MS, label))
    return intervals


def _repeated(local: datetime) -> bool:
    """Whether this local wall time occurs twice that day (the hour clocks go back)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def across(before_ms: int, after_ms: int, changes: Sequence[int]) -> bool:
    """Whether a step from a reading at ``before_ms`` to one at ``after_ms`` spans a
    change of server (see the module's docstring)."""
    return any(before_ms < change and after_ms >= change - CHANGE_SLACK_MS
               for change in changes)


def steps(readings: Sequence[Reading], changes: Sequence[int] = ()
          ) -> list[tuple[int, float]]:
    """``(ts_ms, growth)`` between consecutive readings (oldest first), a fall read as a
    reset to zero: the later reading's value counts in full; a step across a change of
    server counts 0."""
    out: list[tuple[int, float]] = []
    for before, after in zip(readings, readings[1:], strict=False):
        grown = after.value - before.value
        if across(before.ts_ms, after.ts_ms, changes):
            grown = 0.0
        out.append((after.ts_ms, after.value if grown < 0 else grown))
    return out


def growth(readings: Sequence[Reading], changes: Sequence[int] = ()) -> float:
    """How much a day counter grew over the readings, resets included, changes of
    server left out."""
    return sum(step for _, step in steps(readings, changes))


def in_threshold_readings(
    answered: Sequence[Reading], service_level_pct: Sequence[Reading]
) -> tuple[list[Reading], list[Reading]]:
    """The readings of ``answered`` and of the calls answered within the threshold, at
    the moments both are known. A day with no answered call has no service level; its
    calls in threshold are then 0."""
    level = {r.ts_ms: r.value for r in service_level_pct}
    both_answered: list[Reading] = []
    both_in: list[Reading] = []
    for reading in answered:
        pct = level.get(reading.ts_ms)
        if pct is None and reading.value > 0:
            continue  # answered calls without a share: nothing to count from
        both_answered.append(reading)
        both_in.append(Reading(reading.ts_ms, 0.0 if pct is None else pct / 100.0 * reading.value))
    return both_answered, both_in


def interval_levels(
    answered: Sequence[Reading], service_level_pct: Sequence[Reading],
    intervals: Sequence[tuple[int, int, str]], changes: Sequence[int] = (),
) -> list[IntervalLevel]:
    """Each interval's answered calls and those within the threshold (see the module's
    docstring). Readings are oldest first; a step before the first interval or after the
    last is left out."""
    answered_r, in_r = in_threshold_readings(answered, service_level_pct)
    totals = [[0.0, 0.0] for _ in intervals]
    index = 0
    for i in range(1, len(answered_r)):
        ts_ms = answered_r[i].ts_ms
        reset = answered_r[i].value < answered_r[i - 1].value
        # The calls in threshold reset with the answered counter, never on their own: a
        # share rounded down a little is a wobble, not a new day.
        grown = answered_r[i].value if reset else answered_r[i].value - answered_r[i - 1].value
        grown_in = in_r[i].value if reset else in_r[i].value - in_r[i - 1].value
        if across(answered_r[i - 1].ts_ms, ts_ms, changes):
            grown = grown_in = 0.0  # another server's counters: no step between them
        while index < len(intervals) and ts_ms >= intervals[index][1]:
            index += 1
        if index == len(intervals):
            break
        if ts_ms < intervals[index][0]:
            continue
        totals[index][0] += grown
        totals[index][1] += max(0.0, min(grown_in, grown))
    return [IntervalLevel(start, end, label, a, i)
            for (start, end, label), (a, i) in zip(intervals, totals, strict=True)]


def current_interval(
    answered: Sequence[Reading], service_level_pct: Sequence[Reading], now_ms: int, tz: str,
    changes: Sequence[int] = (),
) -> IntervalLevel:
    """The interval holding ``now_ms``, so far. Readings should reach back to before its
    start (a step that crosses the start counts in it)."""
    start = interval_start(now_ms, tz)
    label = datetime.fromtimestamp(start / 1000, site_zone(tz)).strftime("%H:%M")
    return interval_levels(answered, service_level_pct,
                           [(start, start + INTERVAL_MS, label)], changes)[0]
