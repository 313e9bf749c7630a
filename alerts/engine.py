"""The alert state machine: one rule, one series, one pure step at a time.

``evaluate`` reads no clock and stores nothing: the caller passes the persisted
``AlertStatus`` back in with the newest value and ``now_ms``, stores the returned status
with compare-and-set on the old state, and appends the event. A restart resumes from the
stored status, so it never re-notifies.

Timing: the pending period is measured between sample timestamps (a breach must be
*seen* to hold, so a tick without new data never promotes it); keep-firing-for and
no-data are measured against ``now_ms`` (so a tick can end them without new data).

An alert that has fired stays one alert until it is closed by ``resolved`` or
``inactive``: escalation, de-escalation, recovering, a re-breach while recovering and a
spell of no data (``nodata`` .. ``nodata_resolved``) all continue it, so ``firing`` is
never sent twice for it.

Unknown is not closed (DESIGN.md "Alerts"): while what a rule needs is unknown (the
caller's ``unknown`` reason: its source failing, its value stale; or a ``while_open``
rule's queue open or closed unknown), an open alert is held as it is, or goes NODATA
where the rule's no-data policy is ``alerting``. Nothing closes then but an
administrator's disabling of the rule; schedule windows ending, keep-firing-for running
out and missing data wait for known, fresh values. No data under policy ``ok`` opens no
alert and closes none either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from .model import ActiveMode, Direction, NoDataPolicy, Rule, Severity
from .schedule import is_active


class AlertState(StrEnum):
    """The state of one rule on one series, declared once (tiles and alerts read it)."""

    OK = "ok"  # within thresholds, inactive, or not judged yet: nothing open
    PENDING = "pending"  # breaching for less than pending_s: shown, not notified
    FIRING = "firing"  # breach held for pending_s: notified, with a severity
    RECOVERING = "recovering"  # value recovered, still firing for keep_firing_for_s
    NODATA = "nodata"  # no value for no_data_after_s under policy alerting: notified
    ERROR = "error"  # the caller could not evaluate the rule (see ``errored``)


class AlertEvent(StrEnum):
    """What a transition means for history and notifications."""

    PENDING = "pending"  # a breach started; it fires if it holds for pending_s
    FIRING = "firing"  # a new alert: the one event that opens it
    ESCALATED = "escalated"  # a firing warning reached critical
    DEESCALATED = "deescalated"  # a firing critical fell past its recovery to warning
    RECOVERING = "recovering"  # the value recovered; firing is kept for a while
    RESOLVED = "resolved"  # the alert that fired is over
    NODATA = "nodata"  # data stopped (policy alerting)
    NODATA_RESOLVED = "nodata_resolved"  # data returned; the status tells what it shows
    INACTIVE = "inactive"  # the rule became inactive (schedule, closed queue, disabled)


@dataclass(frozen=True)
class AlertStatus:
    """What is persisted per rule and series; ``evaluate`` gets it back next time."""

    state: AlertState
    # FIRING/RECOVERING: the firing severity. PENDING: the severity it would fire at.
    # NODATA/ERROR: the severity of an alert that was firing when it began, else None.
    severity: Severity | None
    # When the state began; FIRING and RECOVERING keep the alert's first firing time.
    since_ms: int
    pending_since_ms: int | None = None  # timestamp of the first breaching sample
    last_value: float | None = None
    last_value_ms: int | None = None
    breach_ended_ms: int | None = None  # RECOVERING: timestamp of the recovered sample
    reason: str = ""


@dataclass(frozen=True)
class Transition:
    """The outcome of one evaluation. ``changed``: the state or severity differs from
    the status passed in (a missing status counts as changed); ``event`` is None for
    changes nobody is told about (a pending cancelled, a re-breach while recovering)."""

    status: AlertStatus
    changed: bool
    event: AlertEvent | None


_RANK = {Severity.WARNING: 1, Severity.CRITICAL: 2}
# Reasons, in English like every stored reason (the pages show them as they are).
OPEN_UNKNOWN = "queue open or closed unknown"
HELD = "kept open until the data is known again"
DISABLED = "rule disabled by an administrator"
# States of an alert that has fired and not resolved (with their severity set).
_FIRED_STATES = frozenset(
    {AlertState.FIRING, AlertState.RECOVERING, AlertState.NODATA, AlertState.ERROR}
)


def evaluate(
    rule: Rule,
    status: AlertStatus | None,
    *,
    value: float | None,
    value_ms: int | None,
    now_ms: int,
    queue_open: bool | None = None,
    unknown: str | None = None,
) -> Transition:
    """One step of ``rule`` on its series.

    ``status``: the stored status (None for a series never evaluated). ``value`` /
    ``value_ms``: the newest sample, or None when there is none; a value without a
    timestamp counts as taken at ``now_ms``; a non-finite value or one older than the
    status's last value is ignored. ``queue_open``: for ``while_open`` rules (None =
    unknown). ``unknown``: why the caller cannot vouch for the value now (its source
    failing, the value stale), None when it is known. Order of precedence: disabled,
    then unknown (held, or no data under policy alerting), then inactive, then no data,
    then the value against the thresholds.
    """
    before = status or AlertStatus(state=AlertState.OK, severity=None, since_ms=now_ms)
    seen = _observe(before, value, value_ms, now_ms)
    if unknown is None and rule.active is ActiveMode.WHILE_OPEN and queue_open is None:
        unknown = OPEN_UNKNOWN
    if not rule.enabled:
        after, event = _inactive(rule, seen, now_ms, queue_open)
    elif unknown is not None:
        after, event = _on_unknown(rule, seen, now_ms, unknown)
    elif not is_active(rule, now_ms, queue_open=queue_open):
        after, event = _inactive(rule, seen, now_ms, queue_open)
    elif _no_data(rule, seen, now_ms):
        after, event = _on_no_data(rule, seen, now_ms)
    elif seen.last_value is None or seen.last_value_ms is None:
        after, event = seen, None  # nothing to judge yet
    else:
        after, event = _judge(rule, seen, seen.last_value, seen.last_value_ms, now_ms)
    changed = status is None or (after.state, after.severity) != (status.state, status.severity)
    return Transition(after, changed, event)


def errored(status: AlertStatus | None, *, now_ms: int, reason: str) -> Transition:
    """ERROR for a rule the caller could not evaluate (its series unreadable). An alert
    that was firing keeps its severity, so the next ``evaluate`` continues it."""
    before = status or AlertStatus(state=AlertState.OK, severity=None, since_ms=now_ms)
    since = before.since_ms if before.state is AlertState.ERROR else now_ms
    after = replace(
        before, state=AlertState.ERROR, severity=_fired(before), since_ms=since,
        pending_since_ms=None, breach_ended_ms=None, reason=reason,
    )
    changed = status is None or (after.state, after.severity) != (status.state, status.severity)
    return Transition(after, changed, None)


def _observe(
    status: AlertStatus, value: float | None, value_ms: int | None, now_ms: int
) -> AlertStatus:
    if value is None or not math.isfinite(value):
        return status
    ts = now_ms if value_ms is None else value_ms
    if status.last_value_ms is not None and ts < status.last_value_ms:
        return status  # an older sample than one already judged
    return replace(status, last_value=float(value), last_value_ms=ts)


def _fired(status: AlertStatus) -> Severity | None:
    """The severity of an alert that has fired and not resolved, else None."""
    return status.severity if status.state in _FIRED_STATES else None


def _is_open(status: AlertStatus) -> bool:
    """Whether something was notified that still needs closing."""
    return status.state is AlertState.NODATA or _fired(status) is not None


def _ok(status: AlertStatus, now_ms: int, reason: str) -> AlertStatus:
    since = status.since_ms if status.state is AlertState.OK else now_ms
    return replace(
        status, state=AlertState.OK, severity=None, since_ms=since,
        pending_since_ms=None, breach_ended_ms=None, reason=reason,
    )


def _on_unknown(
    rule: Rule, status: AlertStatus, now_ms: int, why: str
) -> tuple[AlertStatus, AlertEvent | None]:
    """Nothing is closed on what nobody knows: an open alert is held (its severity, its
    timers) with a reason saying why; a pending breach is dropped quietly (it was never
    told, and a gap must not count as a breach seen to hold); under policy alerting a
    spell without data past ``no_data_after_s`` becomes NODATA as it would otherwise."""
    if rule.no_data is NoDataPolicy.ALERTING and _no_data(rule, status, now_ms):
        if status.state is AlertState.NODATA:
            return status, None
        after, event = _on_no_data(rule, status, now_ms)
        return replace(after, reason=f"{after.reason} ({why})"), event
    if status.state is AlertState.PENDING:
        return _ok(status, now_ms, why), None
    if _is_open(status):
        return replace(status, reason=f"{why}; {HELD}"), None
    return _ok(status, now_ms, why), None


def _inactive(
    rule: Rule, status: AlertStatus, now_ms: int, queue_open: bool | None
) -> tuple[AlertStatus, AlertEvent | None]:
    if not rule.enabled:
        reason = DISABLED
    elif queue_open is False:
        reason = "queue closed"
    else:
        reason = "outside the rule's time windows"
    event = AlertEvent.INACTIVE if _is_open(status) else None
    return _ok(status, now_ms, reason), event


def _no_data(rule: Rule, status: AlertStatus, now_ms: int) -> bool:
    if rule.no_data_after_s is None:
        return False
    # Never any value: count from when this status began (a new rule waits too).
    newest = status.since_ms if status.last_value_ms is None else status.last_value_ms
    return now_ms - newest > rule.no_data_after_s * 1000


def _on_no_data(
    rule: Rule, status: AlertStatus, now_ms: int
) -> tuple[AlertStatus, AlertEvent | None]:
    reason = f"no data for over {rule.no_data_after_s:g} s"
    if rule.no_data is NoDataPolicy.KEEP_LAST:
        return status, None
    if rule.no_data is NoDataPolicy.ALERTING:
        if status.state is AlertState.NODATA:
            return status, None
        nodata = replace(
            status, state=AlertState.NODATA, severity=_fired(status), since_ms=now_ms,
            pending_since_ms=None, breach_ended_ms=None, reason=reason,
        )
        return nodata, AlertEvent.NODATA
    # Policy OK: missing data is no alert of its own, but it is no all-clear either: an
    # alert that fired is held until a value says how it stands.
    if _fired(status) is not None:
        return replace(status, reason=f"{reason}; {HELD}"), None
    if status.state is AlertState.NODATA:
        # Only after an edit from policy alerting: the administrator's rule now says
        # missing data is no alert, so the no-data alert closes, saying why.
        return _ok(status, now_ms, f"{reason}; no-data policy changed to ok"), (
            AlertEvent.NODATA_RESOLVED)
    return _ok(status, now_ms, reason), None


def _judge(
    rule: Rule, status: AlertStatus, value: float, value_ms: int, now_ms: int
) -> tuple[AlertStatus, AlertEvent | None]:
    fired = _fired(status)
    # While recovering the value has already passed the recovery threshold: a re-breach
    # must cross the threshold again, not merely the recovery threshold.
    held = None if status.state is AlertState.RECOVERING else fired
    level = _level(rule, value, held)
    leaving_nodata = status.state is AlertState.NODATA
    if fired is None:
        return _not_fired(rule, status, level, value, value_ms, now_ms)
    if level is not None:
        if leaving_nodata:
            event: AlertEvent | None = AlertEvent.NODATA_RESOLVED
        elif _RANK[level] > _RANK[fired]:
            event = AlertEvent.ESCALATED
        elif _RANK[level] < _RANK[fired]:
            event = AlertEvent.DEESCALATED
        else:
            event = None  # still firing, or a re-breach while recovering: the same alert
        continuing = status.state in (AlertState.FIRING, AlertState.RECOVERING)
        firing = replace(
            status, state=AlertState.FIRING, severity=level,
            since_ms=status.since_ms if continuing else now_ms,
            pending_since_ms=None, breach_ended_ms=None,
            reason=_describe(rule, value, level),
        )
        return firing, event
    ended = value_ms
    if status.state is AlertState.RECOVERING and status.breach_ended_ms is not None:
        ended = status.breach_ended_ms
    if now_ms - ended >= rule.keep_firing_for_s * 1000:
        return _ok(status, now_ms, _describe(rule, value, None)), AlertEvent.RESOLVED
    if status.state is AlertState.RECOVERING:
        return status, None
    if leaving_nodata:
        event = AlertEvent.NODATA_RESOLVED
    else:
        event = AlertEvent.RECOVERING if status.state is AlertState.FIRING else None
    recovering = replace(
        status, state=AlertState.RECOVERING,
        since_ms=status.since_ms if status.state is AlertState.FIRING else now_ms,
        pending_since_ms=None, breach_ended_ms=ended,
        reason=f"{_describe(rule, value, None)}; firing kept for {rule.keep_firing_for_s:g} s",
    )
    return recovering, event


def _not_fired(
    rule: Rule,
    status: AlertStatus,
    level: Severity | None,
    value: float,
    value_ms: int,
    now_ms: int,
) -> tuple[AlertStatus, AlertEvent | None]:
    """OK, PENDING, a no-data alert that never fired, or ERROR: nothing fired yet."""
    leaving_nodata = status.state is AlertState.NODATA
    event: AlertEvent | None = AlertEvent.NODATA_RESOLVED if leaving_nodata else None
    if level is None:
        return _ok(status, now_ms, _describe(rule, value, None)), event
    start = value_ms
    pending = status.state is AlertState.PENDING
    if pending and status.pending_since_ms is not None:
        start = status.pending_since_ms
    if value_ms - start >= rule.pending_s * 1000:
        # Leaving a no-data alert straight into a new one: "firing" supersedes it.
        firing = replace(
            status, state=AlertState.FIRING, severity=level, since_ms=now_ms,
            pending_since_ms=None, breach_ended_ms=None, reason=_describe(rule, value, level),
        )
        return firing, AlertEvent.FIRING
    if not leaving_nodata and not pending:
        event = AlertEvent.PENDING
    waiting = replace(
        status, state=AlertState.PENDING, severity=level,
        since_ms=status.since_ms if pending else now_ms,
        pending_since_ms=start, breach_ended_ms=None,
        reason=f"{_describe(rule, value, level)} for {(value_ms - start) / 1000:g} s"
        f" of {rule.pending_s:g} s",
    )
    return waiting, event


def _level(rule: Rule, value: float, held: Severity | None) -> Severity | None:
    """The severity ``value`` is at. ``held``: the severity firing now, which holds (with
    every lower one) until the value passes its recovery threshold: the hysteresis."""
    for severity in (Severity.CRITICAL, Severity.WARNING):
        threshold = rule.threshold(severity)
        if threshold is None:
            continue
        if _breaches(rule.direction, value, threshold):
            return severity
        recovery = rule.recovery(severity)
        if (
            held is not None
            and _RANK[held] >= _RANK[severity]
            and recovery is not None
            and not _recovered(rule.direction, value, recovery)
        ):
            return severity
    return None


def _breaches(direction: Direction, value: float, threshold: float) -> bool:
    # At the threshold breaches "above" (a 15 s wait warns at 15 s) but not "below"
    # (80 % meets an 80 % target): the wall screen's colours use the same comparisons.
    return value >= threshold if direction is Direction.ABOVE else value < threshold


def _recovered(direction: Direction, value: float, recovery: float) -> bool:
    # The complement of _breaches, so a recovery threshold equal to its threshold
    # leaves no gap in which the alert neither breaches nor recovers.
    return value < recovery if direction is Direction.ABOVE else value >= recovery


def _describe(rule: Rule, value: float, level: Severity | None) -> str:
    if level is None:
        return f"{rule.metric} = {value:g}, within thresholds"
    word = "at or above" if rule.direction is Direction.ABOVE else "below"
    return f"{rule.metric} = {value:g} ({level.value} {word} {rule.threshold(level):g})"
