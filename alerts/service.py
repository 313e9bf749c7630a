"""Alert evaluation in the collector: rules and series in, states, events and queued
notifications out (DESIGN.md "Alerts").

The lease holder runs one ``AlertEvaluator``. It keeps the rules and the stored alert
states in memory, judges each (rule, series) with the pure ``engine.evaluate`` and writes
only what changed: a state change goes to ``AlertStore.apply`` as a compare-and-set on the
row's version, fenced by the lease token, together with its event and its outbox rows, so
a notification is queued exactly once however many collectors run. A change that loses the
compare-and-set (someone acknowledged the alert, or another collector wrote first) is
reloaded from the database and judged once more.

A new value alone is not written (the stored ``last_value`` lags; memory keeps it
current), so writes stay proportional to changes, not to samples.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy.engine import Engine

from specs.clock import Timer as Clock
from specs.clock import now_ms
from specs.errors import SpecError
from specs.sltarget import ServiceLevelTarget
from storage import (
    AlertStore,
    DriftStore,
    EventRow,
    MaintenanceRow,
    MaintenanceStore,
    OutboxItem,
    QueueTargetStore,
    RuleRow,
    StateChange,
    StateRow,
    Store,
)

from . import queue_targets
from .engine import AlertEvent, AlertState, AlertStatus, errored, evaluate
from .inputs import FloorSettings, Input, InputReader, Inputs, may_touch
from .maintenance import Mute, running_now
from .model import DEFAULT_RULES, ActiveMode, Rule, Severity, rule_as_mapping, validate_rule
from .notify.message import Notification, NotificationKind, to_payload
from .rows import (
    FIRING_EVENT_VALUES,
    bookkeep,
    differs,
    entity_label,
    failover_note,
    held,
    make_event_row,
    new_row,
    routed_channels,
    unchanged,
    with_status,
)

log = logging.getLogger(__name__)

_REPEATING_STATES = frozenset({AlertState.FIRING.value, AlertState.NODATA.value})
_ORPHAN_REASON = "no longer watched by this rule (its scope changed or the series is gone)"
_EVENT_LOOKBACK = 200  # events of one series read to find the severities an alert fired at
STALE_POLLS = 3  # a value older than this many poll intervals of its source is unknown

Key = tuple[int, str]  # (rule id, series key)
# One (rule, series) judged in a round: the change to write, or None.
_Task = Callable[["_Round"], "StateChange | None"]


@dataclass(frozen=True)
class EvaluatorConfig:
    lease_name: str  # the collector's lease, whose token fences every write
    repeat_interval_s: float = 3600.0  # 0 = never repeat
    link: str = ""  # put in every notification, e.g. https://monitor.example.se/alerts
    open_fresh_s: float = 15.0  # a queue's ``open`` value counts this long (3 polls)
    # The site's default service-level share: service-level rules are written against it
    # and move with a queue's own target (alerts/queue_targets.py).
    sl_default_pct: float = 80.0
    # The rest of the default target, the site's zone (the day's 15-minute intervals) and
    # the Trio poll interval: for the floor figures rules may watch (alerts/floor_figures).
    sl_default_threshold_s: int = 20
    timezone: str = "Europe/Stockholm"
    poll_interval_s: float = 5.0


@dataclass
class EvaluationResult:
    """What one evaluation did (for tests, logs and the benchmark)."""

    rules: int = 0
    series: int = 0  # (rule, series) pairs judged
    changes: int = 0  # state changes applied
    conflicts: int = 0  # compare-and-sets lost to another writer (reloaded)
    notifications: int = 0  # outbox rows queued
    deleted: int = 0  # states of series no rule watches any more


@dataclass(frozen=True)
class _Loaded:
    """A stored rule and what it validated to (``rule`` None: ``error`` says why not)."""

    row: RuleRow
    rule: Rule | None
    error: str | None = None


@dataclass
class _Round:
    """One evaluation: its time, the active silences (and running maintenance) and the
    work it produced."""

    now_ms: int
    silences: list[Mute]
    full: bool
    tasks: dict[Key, _Task] = field(default_factory=dict)  # planned: one per key
    changes: dict[Key, StateChange] = field(default_factory=dict)
    made_by: dict[Key, _Task] = field(default_factory=dict)  # to judge a lost CAS again
    deletes: list[Key] = field(default_factory=list)
    result: EvaluationResult = field(default_factory=EvaluationResult)


def default_rule_specs() -> list[tuple[str, dict[str, object]]]:
    """DEFAULT_RULES as (name, spec) the way ``alert_rules.spec`` stores them."""
    return [(rule.name, _spec(rule)) for rule in DEFAULT_RULES]


def seed_default_rules(engine: Engine, now_ms: int) -> int:
    """Create the shipped default rules once per database; returns how many were created
    (0 after the first time, even if people deleted them since)."""
    created = AlertStore(engine).seed_rules(default_rule_specs(), now_ms=now_ms)
    if created:
        log.info("created %d default alert rule(s)", created)
    return created


def _spec(rule: Rule) -> dict[str, object]:
    mapping = rule_as_mapping(rule)
    for name in ("id", "name", "enabled"):
        mapping.pop(name)
    return mapping


class AlertEvaluator:
    """The collector's alert job: ``on_activate``, ``after_write`` and ``run`` are the
    ``collectors.runner.LeaseJob`` callbacks. Each may raise ``storage.LeaseLost`` (nothing
    written) or ``storage.StorageUnavailable``; the runner logs them and calls again later.
    Evaluations never overlap (one lock), whichever thread or task calls them.
    """

    def __init__(
        self, engine: Engine, config: EvaluatorConfig, *, clock: Clock,
        seed_defaults: bool = True, watched: Callable[[], Collection[str]] | None = None,
        intervals: Callable[[], Mapping[str, float]] | None = None,
    ) -> None:
        """``watched``: the names of the sources the collector polls now, read on every
        tick; series and facts of other sources (a deleted health target, a reconciler
        taken out of the configuration) are not judged, and their alerts close. None:
        every source with stored data. ``intervals``: each polled source's poll interval
        in seconds, read on every tick; a stored value older than three of them is
        unknown (alerts on it are held). None: no such bound."""
        self.config = config
        self._watched = watched
        self._intervals = intervals
        self._stale_after_ms: dict[str, int] = {}
        self._engine = engine
        self._clock = clock
        self._alerts = AlertStore(engine)
        self._maintenance_store = MaintenanceStore(engine)
        self._windows: list[MaintenanceRow] | None = None
        self._reader = InputReader(
            self._alerts, Store(engine), DriftStore(engine),
            open_fresh_ms=int(config.open_fresh_s * 1000),
            floor=FloorSettings(
                ServiceLevelTarget(config.sl_default_pct, config.sl_default_threshold_s),
                config.timezone, config.poll_interval_s),
        )
        self._seed_pending = seed_defaults
        self._lock = threading.Lock()
        self._token: int | None = None  # the lease token the states were loaded under
        self._rules: dict[int, _Loaded] = {}
        self._states: dict[int, dict[str, StateRow]] = {}
        self._units: dict[Key, str] = {}
        # Series whose counters their source counts from a failover now, and since when
        # (None: unknown): said in the state's reason and in every notification.
        self._failover: dict[Key, int | None] = {}
        # Series key -> the queue's own service-level share, read every evaluation.
        self._queue_targets = QueueTargetStore(engine)
        self._own_targets: dict[str, float] = {}

    # -- the lease job ---------------------------------------------------------------------

    async def on_activate(self, token: int) -> None:
        await asyncio.to_thread(self.activate, token)

    async def after_write(self, sources: frozenset[str], token: int) -> None:
        await asyncio.to_thread(self.evaluate, token, sources)

    async def run(self, token: int) -> None:
        await asyncio.to_thread(self.evaluate, token)

    def activate(self, token: int) -> None:
        """After a takeover: seed the default rules (once per database), then load the
        rules and the stored states, so firing alerts resume without notifying again."""
        with self._lock:
            if self._seed_pending:
                self._seed()
            self._load(token)

    def evaluate(
        self, token: int, sources: Collection[str] | None = None
    ) -> EvaluationResult:
        """Judge the rules a write of ``sources`` can touch, on the values of those
        sources; or (``sources`` None, the tick) every rule on every series of the watched
        sources, with repeats and the clean-up of states no rule watches any more."""
        with self._lock:
            full = sources is None
            if self._seed_pending:
                self._seed()
            if token != self._token:
                self._load(token)
            elif full:
                self._sync_rules()
            now_ms = self._now_ms()
            rnd = _Round(now_ms, [*self._alerts.silences(active_at_ms=now_ms),
                                  *self._maintenance(now_ms, full)], full)
            if full and self._watched is not None:
                sources = set(self._watched())
            if self._intervals is not None and (full or not self._stale_after_ms):
                self._stale_after_ms = {
                    name: int(STALE_POLLS * interval_s * 1000)
                    for name, interval_s in self._intervals().items()
                }
            self._own_targets = queue_targets.read(self._queue_targets)
            self._plan(rnd, sources)
            self._run_tasks(rnd, rnd.tasks)
            if full:
                self._plan_repeats(rnd)
            self._apply(rnd, token)
            return rnd.result

    # -- loading -----------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return now_ms(self._clock.time)

    def _maintenance(self, now_ms: int, full: bool) -> list[Mute]:
        """The maintenance windows running now: they silence like a silence. The windows
        are read on the tick (a new one counts within ``alert_tick_s``); an evaluation
        after a write judges by those read last, at its own time."""
        if full or self._windows is None:
            self._windows = self._maintenance_store.windows(live_at_ms=now_ms)
        return list(running_now(self._windows, now_ms))

    def _seed(self) -> None:
        seed_default_rules(self._engine, self._now_ms())
        self._seed_pending = False

    def _load(self, token: int) -> None:
        self._rules = {}
        self._sync_rules()
        states: dict[int, dict[str, StateRow]] = {}
        for row in self._alerts.load_states():
            states.setdefault(row.rule_id, {})[row.series_key] = row
        self._states = states
        self._token = token
        count = sum(len(rows) for rows in states.values())
        log.info("alert evaluation: %d rule(s), %d stored state(s)", len(self._rules), count)

    def _sync_rules(self) -> None:
        """Re-read the rules (they are few); re-validate only those that changed."""
        loaded: dict[int, _Loaded] = {}
        for row in self._alerts.list_rules():
            known = self._rules.get(row.id)
            loaded[row.id] = known if known is not None and known.row == row else _parse(row)
        for rule_id in set(self._states) - set(loaded):
            del self._states[rule_id]  # the rule was deleted, and its states with it
        self._rules = loaded

    def _refresh(self, keys: Iterable[Key]) -> None:
        """Reload the rows of ``keys`` from the database (after an insert or a lost CAS)."""
        wanted = set(keys)
        if not wanted:
            return
        stored = {
            (row.rule_id, row.series_key): row
            for row in self._alerts.load_states(sorted({rule_id for rule_id, _ in wanted}))
        }
        for key in wanted:
            row = stored.get(key)
            if row is None:
                self._states.get(key[0], {}).pop(key[1], None)
            else:
                self._states.setdefault(key[0], {})[key[1]] = row

    def _state(self, key: Key) -> StateRow | None:
        return self._states.get(key[0], {}).get(key[1])

    def _remember(self, row: StateRow) -> None:
        self._states.setdefault(row.rule_id, {})[row.series_key] = row

    # -- planning ----------------------------------------------------------------------------

    def _plan(self, rnd: _Round, sources: Collection[str] | None) -> None:
        chosen = [
            loaded for loaded in self._rules.values()
            if rnd.full or (
                loaded.rule is not None and loaded.rule.enabled
                and sources is not None and may_touch(loaded.rule, sources)
            )
        ]
        # On the tick ``sources`` is what is watched: a rule of another source has no
        # inputs then, and its states are closed like any the rule no longer selects.
        judged = [x for x in chosen if x.rule is not None and x.rule.enabled]
        inputs = Inputs()
        if judged:
            inputs = self._reader.read(
                {x.rule.metric for x in judged if x.rule is not None},
                now_ms=rnd.now_ms, sources=sources,
                want_open=any(
                    x.rule is not None and x.rule.active is ActiveMode.WHILE_OPEN for x in judged
                ),
            )
            inputs.stale_after_ms = self._stale_after_ms
        rnd.result.rules = len(chosen)
        for loaded in chosen:
            self._plan_rule(rnd, loaded, inputs)

    def _plan_rule(self, rnd: _Round, loaded: _Loaded, inputs: Inputs) -> None:
        rule, rule_id = loaded.rule, loaded.row.id
        existing = self._states.get(rule_id, {})
        if rule is None:
            for key in list(existing):
                rnd.tasks[(rule_id, key)] = _bind(self._errored, loaded, key)
            return
        if not rule.enabled:  # judged only to close what is open; no new states
            for key in list(existing):
                rnd.tasks[(rule_id, key)] = _bind(self._judge, loaded, key, None, None)
            return
        seen: set[str] = set()
        for item in inputs.for_rule(rule):
            key = item.key
            if key in seen:
                continue
            seen.add(key)
            self._units[(rule_id, key)] = item.unit
            in_failover, since = inputs.in_failover(item)
            if in_failover:
                self._failover[(rule_id, key)] = since
            else:
                self._failover.pop((rule_id, key), None)
            rnd.tasks[(rule_id, key)] = _bind(
                self._judge, loaded, key, item, inputs.is_open(item), inputs.unknown(item)
            )
        if rnd.full:
            for key in set(existing) - seen:
                rnd.tasks[(rule_id, key)] = _bind(self._orphan, loaded, key)

    def _plan_repeats(self, rnd: _Round) -> None:
        tasks: dict[Key, _Task] = {}
        for rule_id, rows in self._states.items():
            loaded = self._rules.get(rule_id)
            if loaded is None or loaded.rule is None or not loaded.rule.enabled:
                continue
            for key in rows:
                if (rule_id, key) not in rnd.changes:
                    tasks[(rule_id, key)] = _bind(self._repeat, loaded, key)
        self._run_tasks(rnd, tasks)

    def _run_tasks(self, rnd: _Round, tasks: dict[Key, _Task]) -> None:
        for key, task in tasks.items():
            change = task(rnd)
            if change is not None:
                rnd.changes[key] = change
                rnd.made_by[key] = task

    # -- one (rule, series) ------------------------------------------------------------------

    def _judge(
        self, rnd: _Round, loaded: _Loaded, key: str, item: Input | None,
        queue_open: bool | None, unknown: str | None = None,
    ) -> StateChange | None:
        assert loaded.rule is not None
        rnd.result.series += 1
        old = self._state((loaded.row.id, key))
        if old is None and item is None:
            return None
        rule = queue_targets.for_queue(loaded.rule, self._own_targets.get(key),
                                       self.config.sl_default_pct)
        transition = evaluate(
            rule, _status(old),
            value=None if item is None else item.value,
            value_ms=None if item is None else item.ts_ms,
            now_ms=rnd.now_ms, queue_open=queue_open, unknown=unknown,
        )
        status, name = transition.status, None if item is None else item.entity_name
        if (loaded.row.id, key) in self._failover and status.state is not AlertState.OK:
            since = self._failover[(loaded.row.id, key)]
            status = replace(status, reason=f"{status.reason}; {failover_note(since)}")
        if (old is not None and transition.event is None and unchanged(old, status, name)
                and held(old.reason) == held(status.reason)):
            # The common case after a poll: only the value moved. Memory only.
            if (status.last_value_ms, status.reason) != (old.last_value_ms, old.reason):
                self._remember(replace(
                    old, last_value=status.last_value, last_value_ms=status.last_value_ms,
                    reason=status.reason,
                ))
            return None
        base = old if old is not None else new_row(loaded.row.id, key, item, loaded.rule)
        row = with_status(base, status, entity_name=name or base.entity_name)
        return self._transition(rnd, loaded, old, row, transition.event)

    def _errored(self, rnd: _Round, loaded: _Loaded, key: str) -> StateChange | None:
        old = self._state((loaded.row.id, key))
        if old is None:
            return None
        reason = f"the rule cannot be evaluated: {loaded.error}"
        transition = errored(_status(old), now_ms=rnd.now_ms, reason=reason)
        return self._transition(rnd, loaded, old, with_status(old, transition.status), None)

    def _orphan(self, rnd: _Round, loaded: _Loaded, key: str) -> StateChange | None:
        """A state whose series the rule no longer selects: close an open alert (resolved),
        then forget the state."""
        old = self._state((loaded.row.id, key))
        if old is None:
            return None
        if old.alert_id is None:
            rnd.deletes.append((loaded.row.id, key))
            return None
        closed = replace(
            old, state=AlertState.OK.value, severity=None, since_ms=rnd.now_ms,
            pending_since_ms=None, breach_ended_ms=None, reason=_ORPHAN_REASON,
        )
        return self._transition(rnd, loaded, old, closed, AlertEvent.INACTIVE)

    def _repeat(self, rnd: _Round, loaded: _Loaded, key: str) -> StateChange | None:
        """Remind of a firing alert nobody acknowledged, every repeat interval. An alert
        that fired while silenced (never notified) is told once the silence ends."""
        old = self._state((loaded.row.id, key))
        assert loaded.rule is not None
        if (
            old is None or old.alert_id is None or old.ack_by is not None
            or old.state not in _REPEATING_STATES or self._silenced(rnd, old)
        ):
            return None
        severity = Severity(old.severity) if old.severity else Severity.CRITICAL
        channels = routed_channels(loaded.rule, {severity})
        last, every_ms = old.last_notified_at_ms, int(self.config.repeat_interval_s * 1000)
        if last is None:
            kind = NotificationKind.FIRING
        elif every_ms > 0 and last + every_ms <= rnd.now_ms:
            kind = NotificationKind.REPEAT
        else:
            return None
        if not channels:
            return None
        row = replace(old, last_notified_at_ms=rnd.now_ms)
        items = self._outbox(rnd, loaded, row, kind, severity, channels)
        return StateChange(row=row, expected_version=old.version, notifications=items)

    def _transition(
        self, rnd: _Round, loaded: _Loaded, old: StateRow | None, row: StateRow,
        event: AlertEvent | None,
    ) -> StateChange | None:
        """The change to write for ``old`` -> ``row`` (with the alert's bookkeeping, its
        event and notifications), or None when only the value moved (kept in memory)."""
        assert loaded.rule is not None or event is None
        row, kind = bookkeep(old, row, event, rnd.now_ms)
        silenced = self._silenced(rnd, row)
        items: tuple[OutboxItem, ...] = ()
        if kind is not None and not silenced and loaded.rule is not None:
            severity, severities = self._notified_severities(loaded, old, row, kind)
            if kind is NotificationKind.FIRING:
                row = replace(row, last_notified_at_ms=rnd.now_ms)
            channels = routed_channels(loaded.rule, severities)
            items = self._outbox(rnd, loaded, row, kind, severity, channels, closing=old)
        if (old is not None and event is None and not differs(old, row)
                and held(old.reason) == held(row.reason)):
            self._remember(row)  # derived from ``old``: same version
            return None
        event_row = None
        if event is not None:
            event_row = make_event_row(loaded.row, old, row, event, rnd.now_ms, silenced)
        return StateChange(
            row=row, expected_version=None if old is None else old.version,
            event=event_row, notifications=items,
        )

    def _notified_severities(
        self, loaded: _Loaded, old: StateRow | None, row: StateRow, kind: NotificationKind
    ) -> tuple[Severity, set[Severity]]:
        """The severity a notification reads, and whose channels it goes to. A resolved
        alert goes to the channels of every severity it fired at (an alert that escalated
        and then de-escalated is closed for both)."""
        if kind is not NotificationKind.RESOLVED:
            severity = Severity(row.severity) if row.severity else Severity.CRITICAL
            return severity, {severity}
        assert old is not None and old.alert_id is not None
        severity = Severity(old.severity) if old.severity else Severity.CRITICAL
        events = self._alerts.events(
            rule_id=loaded.row.id, series_key=old.series_key, limit=_EVENT_LOOKBACK
        )
        fired = {
            Severity(e.severity) for e in events
            if e.alert_id == old.alert_id and e.severity
            and e.event in FIRING_EVENT_VALUES
        }
        return severity, {severity} | fired

    def _outbox(
        self, rnd: _Round, loaded: _Loaded, row: StateRow, kind: NotificationKind,
        severity: Severity, channels: Iterable[str], closing: StateRow | None = None,
    ) -> tuple[OutboxItem, ...]:
        rule = loaded.rule
        assert rule is not None
        alert_id = row.alert_id if closing is None or row.alert_id else closing.alert_id
        assert alert_id is not None
        no_data = AlertState(row.state) is AlertState.NODATA
        notification = Notification(
            alert_id=alert_id,
            rule_name=loaded.row.name,
            severity=severity,
            kind=kind,
            entity=entity_label(row),
            value=None if no_data else row.last_value,
            threshold=None if no_data else rule.threshold(severity),
            unit=self._units.get((row.rule_id, row.series_key), ""),
            since_ms=rnd.now_ms if kind is NotificationKind.RESOLVED
            else (row.opened_at_ms or rnd.now_ms),
            link=self.config.link,
            failover=(row.rule_id, row.series_key) in self._failover,
            failover_since_ms=self._failover.get((row.rule_id, row.series_key)),
        )
        payload = to_payload(notification)
        items = tuple(
            OutboxItem(channel=channel, kind=kind.value, alert_id=alert_id,
                       payload=payload, due_at_ms=rnd.now_ms)
            for channel in channels
        )
        return items

    def _silenced(self, rnd: _Round, row: StateRow) -> bool:
        return any(
            s.active_at(rnd.now_ms)
            and s.matches(row.rule_id, row.source, row.entity_kind, row.entity_id)
            for s in rnd.silences
        )

    # -- writing -----------------------------------------------------------------------------

    def _apply(self, rnd: _Round, token: int) -> None:
        failed = self._write(rnd, token)
        if failed:
            # Someone else changed these rows (an acknowledgement, another collector):
            # judge them once more on what is stored now.
            self._refresh(failed)
            retry = _Round(rnd.now_ms, rnd.silences, rnd.full, result=rnd.result)
            self._run_tasks(retry, {key: rnd.made_by[key] for key in failed})
            rnd.deletes += retry.deletes
            lost = self._write(retry, token)
            if lost:
                log.info("alert states changed meanwhile, judged again next time: %d", len(lost))
                self._refresh(lost)
        if rnd.deletes:
            rnd.result.deleted += self._alerts.delete_states(
                rnd.deletes, lease_name=self.config.lease_name, lease_token=token,
                now_ms=rnd.now_ms,
            )
            for rule_id, key in rnd.deletes:
                self._states.get(rule_id, {}).pop(key, None)

    def _write(self, rnd: _Round, token: int) -> list[Key]:
        """Apply the round's changes; returns the keys whose compare-and-set failed."""
        if not rnd.changes:
            return []
        keys = list(rnd.changes)
        changes = [rnd.changes[key] for key in keys]
        applied = self._alerts.apply(
            changes, lease_name=self.config.lease_name, lease_token=token, now_ms=rnd.now_ms
        )
        failed = []
        for key, change, ok in zip(keys, changes, applied, strict=True):
            if not ok:
                failed.append(key)
                continue
            # The store's versions: 1 for an inserted row, expected + 1 for an updated one.
            version = 1 if change.expected_version is None else change.expected_version + 1
            self._remember(replace(change.row, version=version, updated_at_ms=rnd.now_ms))
            rnd.result.notifications += len(change.notifications)
            if change.event is not None:
                _log_event(change.event)
        rnd.result.changes += len(keys) - len(failed)
        rnd.result.conflicts += len(failed)
        return failed


# -- pure helpers ------------------------------------------------------------------------


def _bind(method: Callable[..., StateChange | None], *args: object) -> _Task:
    return lambda rnd: method(rnd, *args)


def _parse(row: RuleRow) -> _Loaded:
    try:
        rule = validate_rule({**row.spec, "id": row.id, "name": row.name, "enabled": row.enabled})
    except SpecError as exc:
        log.error("alert rule %r (id %d) is not valid and is not evaluated: %s",
                  row.name, row.id, exc)
        return _Loaded(row, None, str(exc))
    return _Loaded(row, rule)


def _status(row: StateRow | None) -> AlertStatus | None:
    if row is None:
        return None
    try:
        state = AlertState(row.state)
        severity = Severity(row.severity) if row.severity else None
    except ValueError:
        log.error("alert state %s of rule %d is unreadable (%s/%s); judging it afresh",
                  row.series_key, row.rule_id, row.state, row.severity)
        return None
    return AlertStatus(
        state=state, severity=severity, since_ms=row.since_ms,
        pending_since_ms=row.pending_since_ms, last_value=row.last_value,
        last_value_ms=row.last_value_ms, breach_ended_ms=row.breach_ended_ms,
        reason=row.reason,
    )


def _log_event(event: EventRow) -> None:
    if event.event == AlertEvent.PENDING.value:
        return
    level = logging.WARNING if event.event in FIRING_EVENT_VALUES else logging.INFO
    log.log(level, "alert %s%s: %s on %s: %s", event.event,
            " (silenced)" if event.silenced else "", event.rule_name, entity_label(event),
            event.reason)
