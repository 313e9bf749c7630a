"""Alerting storage: rules, per-series alert states (compare-and-set), events, silences,
acknowledgements, notification channel states, the notification outbox, the audit log.

Storage imports nothing of ours: rules are stored as a JSON mapping (``alerts``
validates it), notifications as a JSON payload. Every method is one transaction; storage
never reads the clock (``now_ms`` comes from the caller). Any method may raise
``StorageUnavailable``. Methods the collector calls while holding the lease take
``lease_name``/``lease_token`` and raise ``LeaseLost`` (nothing written) when the fence
fails, like ``Store.write_poll``.

CONTRACT (written first, implemented by the storage owner; see docs/DESIGN.md "Alerts").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from sqlalchemy import Row, Table, case, delete, func, or_, select, tuple_, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from ._engine import reading, writing
from ._errors import LeaseLost, StorageError
from ._records import CurrentRow
from ._schema import (
    alert_events,
    alert_rules,
    alert_silences,
    alert_states,
    app_meta,
    audit_log,
    current,
    lease,
    notify_channels,
    notify_outbox,
    rollup_1m,
    rollup_state,
    samples,
    series,
)
from ._sql import upsert_insert
from ._write import check_fence

_T = TypeVar("_T")

# -- errors -----------------------------------------------------------------------------


class UnknownRule(StorageError):
    """No rule has this id."""


class RuleExists(StorageError):
    """Another rule has this name."""


class StaleRule(StorageError):
    """The rule was changed by someone else since it was read (version mismatch)."""


class UnknownSilence(StorageError):
    """No silence has this id."""


class AlertNotOpen(StorageError):
    """The alert to acknowledge is no longer open (it resolved, or a newer one opened)."""


# -- records ------------------------------------------------------------------------------


def series_key(source: str, entity_kind: str, entity_id: str) -> str:
    """The key of one watched entity within a rule: ``source|entity_kind|entity_id``."""
    return f"{source}|{entity_kind}|{entity_id}"


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    name: str
    spec: dict[str, Any]  # alerts.rule_as_mapping without id, name, enabled
    enabled: bool
    builtin: bool
    version: int
    created_at_ms: int
    updated_at_ms: int
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class StateRow:
    """One row of ``alert_states``. ``version`` is ignored when passed to ``apply``."""

    rule_id: int
    series_key: str
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    metric: str
    state: str  # alerts.AlertState value
    severity: str | None
    since_ms: int
    pending_since_ms: int | None
    breach_ended_ms: int | None
    last_value: float | None
    last_value_ms: int | None
    reason: str
    alert_id: str | None  # the open alert (FIRING/RECOVERING/NODATA/ERROR after firing)
    opened_at_ms: int | None
    last_notified_at_ms: int | None
    ack_by: str | None
    ack_at_ms: int | None
    ack_comment: str | None
    version: int = 0
    updated_at_ms: int = 0


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row of ``alert_events`` (``id`` 0 when passed in; set by the store)."""

    ts_ms: int
    rule_id: int
    rule_name: str
    series_key: str
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    alert_id: str | None
    event: str  # alerts.AlertEvent value, or "acknowledged", "unacknowledged"
    from_state: str | None
    to_state: str | None
    severity: str | None
    value: float | None
    reason: str
    silenced: bool = False
    actor: str | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A notification to queue for one channel. ``payload`` is JSON-able."""

    channel: str
    kind: str  # firing | resolved | repeat | test
    alert_id: str | None
    payload: dict[str, Any]
    due_at_ms: int
    requested_by: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    channel: str
    kind: str
    alert_id: str | None
    payload: dict[str, Any]
    status: str  # queued | sending | delivered | failed
    created_at_ms: int
    due_at_ms: int
    attempts: int
    last_error: str | None
    claimed_at_ms: int | None
    finished_at_ms: int | None
    requested_by: str | None


@dataclass(frozen=True, slots=True)
class StateChange:
    """One compare-and-set on ``alert_states``, applied with its event and notifications.

    ``expected_version`` None: the row must not exist yet (insert). Otherwise the row is
    updated only if its version still equals ``expected_version`` (then version + 1).
    """

    row: StateRow
    expected_version: int | None
    event: EventRow | None = None
    notifications: tuple[OutboxItem, ...] = ()


@dataclass(frozen=True, slots=True)
class SilenceRow:
    id: int
    rule_id: int | None
    source: str | None
    entity_kind: str | None
    entity_ids: tuple[str, ...]
    starts_at_ms: int
    ends_at_ms: int
    reason: str
    created_by: str
    created_at_ms: int
    ended_at_ms: int | None
    ended_by: str | None

    def active_at(self, now_ms: int) -> bool:
        end = self.ends_at_ms
        if self.ended_at_ms is not None:
            end = min(end, self.ended_at_ms)
        return self.starts_at_ms <= now_ms < end

    def matches(self, rule_id: int, source: str, entity_kind: str, entity_id: str) -> bool:
        return (
            (self.rule_id is None or self.rule_id == rule_id)
            and (self.source is None or self.source == source)
            and (self.entity_kind is None or self.entity_kind == entity_kind)
            and (not self.entity_ids or entity_id in self.entity_ids)
        )


@dataclass(frozen=True, slots=True)
class ChannelRow:
    name: str
    kind: str
    state: str  # ok | failing
    state_since_ms: int
    last_error: str | None
    last_error_at_ms: int | None
    last_ok_at_ms: int | None
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    ts_ms: int
    actor: str
    action: str
    target: str
    before: Any  # decoded JSON or None
    after: Any
    client_addr: str | None


@dataclass(frozen=True, slots=True)
class SeriesSamples:
    """A series and its samples in a time range (backtests)."""

    series_id: int
    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    metric: str
    unit: str
    points: tuple[tuple[int, float], ...]  # (ts_ms, value), oldest first


# -- the store ----------------------------------------------------------------------------

SEEDED_KEY = "alert_rules_seeded"
SYSTEM_ACTOR = "system"
INTERRUPTED = "interrupted during delivery; it may or may not have arrived"
_NAME_MAX = 100  # alert_rules.name is VARCHAR(100)
_CHANNEL_STATES = ("ok", "failing")
_OUTBOX_STATUSES = ("queued", "sending", "delivered", "failed")
_FINISH_STATUSES = ("delivered", "failed", "queued")
_REDUCERS = ("max", "min")
_MINUTE_MS = 60_000
# Bound parameters per statement stay far below SQLite's limit (32766) and keep
# PostgreSQL's plans small.
_CHUNK = 500

Key = tuple[int, str]  # (rule_id, series_key)


class AlertStore:
    """Queries on the alerting tables. Safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _writing(self) -> AbstractContextManager[Connection]:
        return writing(self.engine)

    def _reading(self) -> AbstractContextManager[Connection]:
        return reading(self.engine)

    # rules (every change also appends an audit_log row in the same transaction:
    # actions rule.create / rule.update / rule.delete, before/after = the rule as JSON)

    def list_rules(self) -> list[RuleRow]:
        """Every rule, by name."""
        with self._reading() as conn:
            rows = conn.execute(select(alert_rules).order_by(alert_rules.c.name))
            return [_rule(row) for row in rows]

    def get_rule(self, rule_id: int) -> RuleRow:
        """Raises ``UnknownRule``."""
        with self._reading() as conn:
            return _get_rule(conn, rule_id)

    def create_rule(
        self, name: str, spec: Mapping[str, Any], enabled: bool, *, actor: str, now_ms: int,
        builtin: bool = False, client_addr: str | None = None,
    ) -> RuleRow:
        """Raises ``RuleExists`` (the unique name decides, so two concurrent creators
        cannot both win) and ``ValueError`` for an empty or too long name."""
        name = _rule_name(name)
        with self._writing() as conn:
            created = _insert_rule(conn, name, spec, enabled, builtin, actor, now_ms)
            if created is None:
                raise RuleExists(f'an alert rule named "{name}" exists already')
            _audit(conn, actor, "rule.create", _rule_target(created), None,
                   _rule_json(created), now_ms, client_addr)
        return created

    def update_rule(
        self, rule_id: int, name: str, spec: Mapping[str, Any], enabled: bool, *,
        expected_version: int, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> RuleRow:
        """Raises ``UnknownRule``, ``StaleRule``, ``RuleExists``. The rule's alert states
        are kept (the evaluator judges them by the new rule on its next run)."""
        name = _rule_name(name)
        with self._writing() as conn:
            before = _get_rule(conn, rule_id, lock=True)
            _check_version(before, expected_version)
            if name != before.name and _rule_id_named(conn, name) is not None:
                raise RuleExists(f'an alert rule named "{name}" exists already')
            stmt = (
                update(alert_rules)
                .where(alert_rules.c.id == rule_id, alert_rules.c.version == expected_version)
                .values(name=name, spec=_dumps(dict(spec)), enabled=bool(enabled),
                        version=expected_version + 1, updated_at=now_ms, updated_by=actor)
            )
            try:
                changed = conn.execute(stmt).rowcount
            except sa_exc.IntegrityError as err:  # a concurrent rename took the name
                raise RuleExists(f'an alert rule named "{name}" exists already') from err
            if changed != 1:
                raise _stale(before, expected_version)
            after = _get_rule(conn, rule_id)
            _audit(conn, actor, "rule.update", _rule_target(after), _rule_json(before),
                   _rule_json(after), now_ms, client_addr)
        return after

    def delete_rule(
        self, rule_id: int, *, expected_version: int | None, actor: str, now_ms: int,
        client_addr: str | None = None,
    ) -> RuleRow:
        """Deletes the rule and its ``alert_states`` rows (events stay: history).
        Returns the deleted row. Raises ``UnknownRule``, ``StaleRule``
        (``expected_version`` None: whatever the version)."""
        with self._writing() as conn:
            before = _get_rule(conn, rule_id, lock=True)
            if expected_version is not None:
                _check_version(before, expected_version)
            conn.execute(delete(alert_states).where(alert_states.c.rule_id == rule_id))
            conn.execute(delete(alert_rules).where(alert_rules.c.id == rule_id))
            _audit(conn, actor, "rule.delete", _rule_target(before), _rule_json(before), None,
                   now_ms, client_addr)
        return before

    def seed_rules(self, rules: Sequence[tuple[str, Mapping[str, Any]]], *, now_ms: int) -> int:
        """Create the shipped default rules once per database (marker in ``app_meta``
        key ``alert_rules_seeded``), as ``builtin`` rows by actor "system"; a later call
        creates nothing, even after people deleted them. Returns how many were created.
        A name already taken is skipped. Of two processes racing, the one that inserts
        the marker creates the rules; the other creates nothing."""
        with self._writing() as conn:
            # RETURNING, not rowcount: SQLAlchemy reports no rowcount for an INSERT on
            # psycopg unless asked to.
            marked = conn.execute(
                upsert_insert(conn, app_meta)
                .values(key=SEEDED_KEY, value="0", updated_at=now_ms)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(app_meta.c.key)
            ).scalar_one_or_none()
            if marked is None:
                return 0
            created = 0
            for name, spec in rules:
                row = _insert_rule(conn, _rule_name(name), spec, True, True, SYSTEM_ACTOR,
                                   now_ms)
                if row is not None:
                    _audit(conn, SYSTEM_ACTOR, "rule.create", _rule_target(row), None,
                           _rule_json(row), now_ms, None)
                    created += 1
            conn.execute(
                update(app_meta).where(app_meta.c.key == SEEDED_KEY).values(value=str(created))
            )
        return created

    # alert states (collector, lease holder)

    def load_states(self, rule_ids: Iterable[int] | None = None) -> list[StateRow]:
        """Every stored state (of the given rules), by rule and series key."""
        stmt = select(alert_states).order_by(alert_states.c.rule_id, alert_states.c.series_key)
        if rule_ids is not None:
            wanted = sorted(set(rule_ids))
            if not wanted:
                return []
            stmt = stmt.where(alert_states.c.rule_id.in_(wanted))  # the primary key's prefix
        with self._reading() as conn:
            return [_state(row) for row in conn.execute(stmt)]

    def apply(
        self, changes: Sequence[StateChange], *, lease_name: str, lease_token: int, now_ms: int,
    ) -> list[bool]:
        """One transaction: check the fence, then per change a compare-and-set on its row;
        only when it applied, insert its event and its notifications (outbox, status
        queued). Returns, per change, whether it applied (False: another writer changed
        the row first, or its rule was deleted; reload it). Raises ``LeaseLost`` (nothing
        written).

        An inserted row gets version 1, an updated one ``expected_version + 1``. Several
        changes of one row in one call apply in their order (the second must expect the
        version the first produced)."""
        applied = [False] * len(changes)
        with self._writing() as conn:
            check_fence(conn, lease_name, lease_token, now_ms)
            rules = _lock_rules(conn, {change.row.rule_id for change in changes})
            for indexes in _rounds(changes):
                live = [i for i in indexes if changes[i].row.rule_id in rules]
                for index in _apply_round(conn, [(i, changes[i]) for i in live], now_ms):
                    applied[index] = True
            done = [change for change, ok in zip(changes, applied, strict=True) if ok]
            _insert_events(conn, [c.event for c in done if c.event is not None])
            _queue_outbox(conn, [n for c in done for n in c.notifications], now_ms)
        return applied

    def delete_states(
        self, keys: Iterable[tuple[int, str]], *, lease_name: str, lease_token: int,
        now_ms: int | None = None,
    ) -> int:
        """Remove states of series that no longer exist or rules that changed scope.
        Returns how many rows went. Raises ``LeaseLost`` (nothing deleted) unless
        ``lease_token`` holds the lease (and, with ``now_ms``, it has not expired)."""
        wanted = list(dict.fromkeys(keys))
        with self._writing() as conn:
            if now_ms is None:
                _check_token(conn, lease_name, lease_token)
            else:
                check_fence(conn, lease_name, lease_token, now_ms)
            deleted = 0
            for chunk in _chunks(wanted):
                pk = tuple_(alert_states.c.rule_id, alert_states.c.series_key)
                deleted += conn.execute(delete(alert_states).where(pk.in_(chunk))).rowcount
            return deleted

    # people acting on alerts (web); each also appends an alert event and an audit row

    def acknowledge(
        self, rule_id: int, series_key: str, *, alert_id: str, user: str, comment: str,
        now_ms: int, client_addr: str | None = None,
    ) -> StateRow:
        """Set ``ack_by/ack_at/ack_comment`` (version + 1) if ``alert_id`` is still the
        row's open alert; raises ``AlertNotOpen`` otherwise. Appends the event
        "acknowledged" (actor ``user``, reason ``comment``) and the audit row "alert.ack"."""
        comment = comment.strip()
        key = _state_key(rule_id, series_key)
        with self._writing() as conn:
            found = conn.execute(select(alert_states).where(*key).with_for_update()).one_or_none()
            before = None if found is None else _state(found)
            if before is None or before.alert_id != alert_id:
                raise AlertNotOpen(f"alert {alert_id} is no longer open; reload the page")
            conn.execute(
                update(alert_states).where(*key).values(
                    ack_by=user, ack_at=now_ms, ack_comment=comment,
                    version=alert_states.c.version + 1, updated_at=now_ms,
                )
            )
            after = _state(conn.execute(select(alert_states).where(*key)).one())
            _insert_events(conn, [_ack_event(conn, after, user, comment, now_ms)])
            _audit(conn, user, "alert.ack", f"alert:{alert_id}", _ack_json(before),
                   _ack_json(after), now_ms, client_addr)
        return after

    def states(
        self, *, open_only: bool = False, entity_kind: str | None = None,
    ) -> list[StateRow]:
        """States for pages and the wall screen, by rule and series key. ``open_only``:
        state not ok."""
        stmt = select(alert_states).order_by(alert_states.c.rule_id, alert_states.c.series_key)
        if open_only:
            stmt = stmt.where(alert_states.c.state != "ok")
        if entity_kind is not None:
            stmt = stmt.where(alert_states.c.entity_kind == entity_kind)
        with self._reading() as conn:
            return [_state(row) for row in conn.execute(stmt)]

    def events(
        self, *, since_ms: int = 0, limit: int = 500, rule_id: int | None = None,
        series_key: str | None = None,
    ) -> list[EventRow]:
        """Alert events at or after ``since_ms``, newest first."""
        t = alert_events
        # ix_alert_events_rule_series_ts with rule (and series), else ix_alert_events_ts.
        stmt = select(t).where(t.c.ts >= since_ms).order_by(t.c.ts.desc(), t.c.id.desc())
        if rule_id is not None:
            stmt = stmt.where(t.c.rule_id == rule_id)
        if series_key is not None:
            stmt = stmt.where(t.c.series_key == series_key)
        with self._reading() as conn:
            return [_event(row) for row in conn.execute(stmt.limit(limit))]

    # silences (audit actions silence.create / silence.end)

    def create_silence(
        self, *, rule_id: int | None, source: str | None, entity_kind: str | None,
        entity_ids: Sequence[str], starts_at_ms: int, ends_at_ms: int, reason: str,
        actor: str, now_ms: int, client_addr: str | None = None,
    ) -> SilenceRow:
        """Raises ``ValueError`` when ``ends_at_ms <= starts_at_ms`` or the reason is empty."""
        if ends_at_ms <= starts_at_ms:
            raise ValueError("the silence must end after it starts")
        if not reason.strip():
            raise ValueError("a silence needs a reason")
        if isinstance(entity_ids, str):
            raise ValueError("entity_ids must be a list of ids, not one string")
        values = {
            "rule_id": rule_id, "source": source, "entity_kind": entity_kind,
            "entity_ids": _dumps([str(e) for e in entity_ids]), "starts_at": starts_at_ms,
            "ends_at": ends_at_ms, "reason": reason.strip(), "created_by": actor,
            "created_at": now_ms, "ended_at": None, "ended_by": None,
        }
        with self._writing() as conn:
            new_id = conn.execute(
                alert_silences.insert().values(**values).returning(alert_silences.c.id)
            ).scalar_one()
            created = _get_silence(conn, int(new_id))
            _audit(conn, actor, "silence.create", f"silence:{created.id}", None,
                   _silence_json(created), now_ms, client_addr)
        return created

    def end_silence(
        self, silence_id: int, *, actor: str, now_ms: int, client_addr: str | None = None,
    ) -> SilenceRow:
        """End the silence now. One already ended is returned unchanged (no audit row).
        Raises ``UnknownSilence``."""
        with self._writing() as conn:
            before = _get_silence(conn, silence_id, lock=True)
            if before.ended_at_ms is not None:
                return before
            conn.execute(
                update(alert_silences).where(alert_silences.c.id == silence_id)
                .values(ended_at=now_ms, ended_by=actor)
            )
            after = _get_silence(conn, silence_id)
            _audit(conn, actor, "silence.end", f"silence:{silence_id}", _silence_json(before),
                   _silence_json(after), now_ms, client_addr)
        return after

    def silences(self, *, active_at_ms: int | None = None, limit: int = 200) -> list[SilenceRow]:
        """Silences (only those active at ``active_at_ms`` when given), newest first."""
        t = alert_silences
        stmt = select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        if active_at_ms is not None:
            stmt = stmt.where(
                t.c.starts_at <= active_at_ms, t.c.ends_at > active_at_ms,
                or_(t.c.ended_at.is_(None), t.c.ended_at > active_at_ms),
            )
        with self._reading() as conn:
            return [_silence(row) for row in conn.execute(stmt)]

    # notification channels

    def sync_channels(self, channels: Sequence[tuple[str, str]], *, now_ms: int) -> None:
        """Make ``notify_channels`` hold exactly these (name, kind): new ones ``ok``;
        removed ones deleted; a kind change resets the row."""
        wanted = dict(channels)
        t = notify_channels
        with self._writing() as conn:
            existing = {row.name: row.kind for row in conn.execute(select(t.c.name, t.c.kind))}
            gone = [name for name in existing if name not in wanted]
            if gone:
                conn.execute(delete(t).where(t.c.name.in_(gone)))
            fresh = [
                _fresh_channel(name, kind, now_ms) for name, kind in wanted.items()
                if existing.get(name) != kind
            ]
            if fresh:
                stmt = upsert_insert(conn, t)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["name"],
                        set_={col: stmt.excluded[col] for col in fresh[0] if col != "name"},
                    ),
                    fresh,
                )

    def channels(self) -> list[ChannelRow]:
        """Every channel, by name."""
        with self._reading() as conn:
            rows = conn.execute(select(notify_channels).order_by(notify_channels.c.name))
            return [_channel(row) for row in rows]

    def set_channel_state(
        self, name: str, *, state: str, error: str | None, now_ms: int,
    ) -> None:
        """Record a delivery outcome: ``ok`` sets ``last_ok_at`` (keeps the last error for
        display); ``failing`` sets ``last_error``/``last_error_at``; ``state_since`` moves
        only when the state changes. A name not in ``notify_channels`` (no longer
        configured) is ignored. Raises ``ValueError`` for another state."""
        if state not in _CHANNEL_STATES:
            raise ValueError(f'a channel state is "ok" or "failing", not {state!r}')
        t = notify_channels
        values: dict[str, Any] = {
            "state": state,
            "state_since": case((t.c.state == state, t.c.state_since), else_=now_ms),
            "updated_at": now_ms,
        }
        if state == "ok":
            values["last_ok_at"] = now_ms
        else:
            values |= {"last_error": error or "unknown error", "last_error_at": now_ms}
        with self._writing() as conn:
            conn.execute(update(t).where(t.c.name == name).values(values))

    # notification outbox

    def enqueue(self, items: Sequence[OutboxItem], *, now_ms: int) -> list[int]:
        """Queue notifications outside a state change (test messages). Returns ids, in
        the order of ``items``."""
        if not items:
            return []
        with self._writing() as conn:
            return _insert_outbox(conn, items, now_ms)

    def claim_due(
        self, *, now_ms: int, group_window_ms: int, lease_name: str, lease_token: int,
    ) -> dict[str, list[OutboxRow]]:
        """Per channel, if its oldest queued row is due and older than the group window
        (or is a test message), mark every due queued row of that channel ``sending``
        (attempts + 1, claimed_at) and return them, oldest first. Fenced.

        "Older than the group window": created at least ``group_window_ms`` before
        ``now_ms``, so notifications of one burst go out as one message."""
        t = notify_outbox
        # A read first: the notifier asks several times a second, and an idle outbox
        # should not cost a write transaction (SQLite has one writer) each time.
        with self._reading() as conn:
            oldest = conn.execute(
                select(func.min(t.c.created_at)).where(t.c.status == "queued", t.c.due_at <= now_ms)
            ).scalar()
        if oldest is None:
            return {}
        with self._writing() as conn:
            check_fence(conn, lease_name, lease_token, now_ms)
            # ix_notify_outbox_status_due
            due = conn.execute(
                select(t).where(t.c.status == "queued", t.c.due_at <= now_ms)
                .order_by(t.c.channel, t.c.created_at, t.c.id).with_for_update()
            )
            by_channel: dict[str, list[OutboxRow]] = {}
            for row in due:
                by_channel.setdefault(row.channel, []).append(_outbox(row))
            ready = {
                channel: rows for channel, rows in by_channel.items()
                if _ready(rows, now_ms, group_window_ms)
            }
            ids = [row.id for rows in ready.values() for row in rows]
            for chunk in _chunks(ids):
                conn.execute(
                    update(t).where(t.c.id.in_(chunk), t.c.status == "queued")
                    .values(status="sending", attempts=t.c.attempts + 1, claimed_at=now_ms)
                )
        return {
            channel: [
                replace(row, status="sending", attempts=row.attempts + 1, claimed_at_ms=now_ms)
                for row in rows
            ]
            for channel, rows in ready.items()
        }

    def finish(
        self, ids: Sequence[int], *, status: str, error: str | None, now_ms: int,
        retry_at_ms: int | None = None,
    ) -> None:
        """``delivered`` or ``failed`` (finished_at set), or back to ``queued`` with
        ``due_at = retry_at_ms`` (a transient failure to retry). Only rows still
        ``sending`` change (one ``recover_interrupted`` failed stays failed). Raises
        ``ValueError`` for another status, or ``queued`` without ``retry_at_ms``."""
        if status not in _FINISH_STATUSES:
            raise ValueError(f'finish with "delivered", "failed" or "queued", not {status!r}')
        t = notify_outbox
        values: dict[str, Any] = {"status": status, "last_error": error}
        if status == "queued":
            if retry_at_ms is None:
                raise ValueError("a notification queued again needs retry_at_ms")
            values["due_at"] = retry_at_ms
        else:
            values["finished_at"] = now_ms
        with self._writing() as conn:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                conn.execute(
                    update(t).where(t.c.id.in_(chunk), t.c.status == "sending").values(values)
                )

    def recover_interrupted(self, *, now_ms: int) -> int:
        """Rows left ``sending`` by a collector that stopped mid-delivery become ``failed``
        with "interrupted during delivery; it may or may not have arrived" (never sent
        twice). Returns how many."""
        t = notify_outbox
        with self._writing() as conn:
            result = conn.execute(
                update(t).where(t.c.status == "sending")
                .values(status="failed", last_error=INTERRUPTED, finished_at=now_ms)
            )
            return int(result.rowcount)

    def outbox(
        self, *, status: str | None = None, channel: str | None = None, limit: int = 100,
    ) -> list[OutboxRow]:
        """Newest first. Raises ``ValueError`` for an unknown status."""
        t = notify_outbox
        stmt = select(t).order_by(t.c.id.desc()).limit(limit)
        if status is not None:
            if status not in _OUTBOX_STATUSES:
                raise ValueError(f"unknown outbox status {status!r}: "
                                 f"one of {', '.join(_OUTBOX_STATUSES)}")
            stmt = stmt.where(t.c.status == status)
        if channel is not None:
            stmt = stmt.where(t.c.channel == channel)
        with self._reading() as conn:
            return [_outbox(row) for row in conn.execute(stmt)]

    def outbox_row(self, row_id: int) -> OutboxRow | None:
        with self._reading() as conn:
            row = conn.execute(
                select(notify_outbox).where(notify_outbox.c.id == row_id)
            ).one_or_none()
        return None if row is None else _outbox(row)

    # audit log

    def audit(
        self, *, actor: str, action: str, target: str, before: Any = None, after: Any = None,
        now_ms: int, client_addr: str | None = None,
    ) -> None:
        """Append one audit row (``before``/``after`` JSON-encoded)."""
        with self._writing() as conn:
            _audit(conn, actor, action, target, before, after, now_ms, client_addr)

    def audit_log(
        self, *, since_ms: int | None = None, actor: str | None = None,
        action_prefix: str | None = None, limit: int = 200,
    ) -> list[AuditRow]:
        """Newest first, filtered."""
        t = audit_log
        # ix_audit_log_action_ts serves an action prefix, ix_audit_log_ts the rest.
        stmt = select(t).order_by(t.c.ts.desc(), t.c.id.desc()).limit(limit)
        if since_ms is not None:
            stmt = stmt.where(t.c.ts >= since_ms)
        if actor is not None:
            stmt = stmt.where(t.c.actor == actor)
        if action_prefix:
            stmt = stmt.where(t.c.action.startswith(action_prefix, autoescape=True))
        with self._reading() as conn:
            return [_audit_row(row) for row in conn.execute(stmt)]

    # inputs for evaluation and backtests

    def current_values(
        self, metrics: Iterable[str], *, sources: Iterable[str] | None = None,
    ) -> list[CurrentRow]:
        """The newest value of every series with one of ``metrics`` (of ``sources``)."""
        wanted = sorted(set(metrics))
        stmt = (
            select(*_SERIES_COLUMNS, current.c.ts, current.c.value)
            .join(current, current.c.series_id == series.c.id)
            .where(series.c.metric.in_(wanted))
            .order_by(*_SERIES_ORDER)
        )
        if sources is not None:
            stmt = stmt.where(series.c.source.in_(sorted(set(sources))))
        with self._reading() as conn:
            return [CurrentRow(*row) for row in conn.execute(stmt)]

    def samples_for(
        self, metric: str, *, from_ms: int, to_ms: int, source: str | None = None,
        entity_kind: str | None = None, entity_ids: Sequence[str] = (),
        max_series: int = 2000, bucket_ms: int = 0, reduce: str = "max",
    ) -> list[SeriesSamples]:
        """Samples in [from_ms, to_ms) of the series a scope selects (backtests).

        ``bucket_ms`` > 0 reduces each series to one point per bucket in SQL: ``reduce``
        "max" or "min" of the bucket's values at the bucket's start (a backtest of an
        "above" rule takes the max, so no breach is hidden by thinning). Buckets start at
        ``from_ms``. Series without samples in the range come back with no points; at
        most ``max_series`` series (by source, entity kind, entity id)."""
        if reduce not in _REDUCERS:
            raise ValueError(f'reduce must be "max" or "min", not {reduce!r}')
        if bucket_ms < 0:
            raise ValueError(f"bucket_ms must be 0 (no buckets) or positive, not {bucket_ms}")
        stmt = select(*_SERIES_COLUMNS).where(series.c.metric == metric)
        if source is not None:
            stmt = stmt.where(series.c.source == source)
        if entity_kind is not None:
            stmt = stmt.where(series.c.entity_kind == entity_kind)
        if entity_ids:
            stmt = stmt.where(series.c.entity_id.in_(sorted(set(entity_ids))))
        with self._reading() as conn:
            found = list(conn.execute(stmt.order_by(*_SERIES_ORDER).limit(max_series)))
            points = _points(conn, [row.id for row in found], from_ms, to_ms, bucket_ms,
                             reduce)
        return [SeriesSamples(*row, points=tuple(points.get(row.id, ()))) for row in found]


# -- rules --------------------------------------------------------------------------------


def _rule_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValueError("an alert rule needs a name")
    if len(name) > _NAME_MAX:
        raise ValueError(f"an alert rule name has at most {_NAME_MAX} characters")
    return name


def _insert_rule(
    conn: Connection, name: str, spec: Mapping[str, Any], enabled: bool, builtin: bool,
    actor: str, now_ms: int,
) -> RuleRow | None:
    """The new rule, or None when the name is taken (``uq_alert_rules_name`` decides)."""
    new_id = conn.execute(
        upsert_insert(conn, alert_rules)
        .values(name=name, spec=_dumps(dict(spec)), enabled=bool(enabled),
                builtin=bool(builtin), version=1, created_at=now_ms, updated_at=now_ms,
                updated_by=actor)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(alert_rules.c.id)
    ).scalar_one_or_none()
    return None if new_id is None else _get_rule(conn, int(new_id))


def _get_rule(conn: Connection, rule_id: int, *, lock: bool = False) -> RuleRow:
    stmt = select(alert_rules).where(alert_rules.c.id == rule_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise UnknownRule(f"no alert rule has id {rule_id}; it may have been deleted")
    return _rule(row)


def _rule_id_named(conn: Connection, name: str) -> int | None:
    # Served by uq_alert_rules_name.
    found = conn.execute(select(alert_rules.c.id).where(alert_rules.c.name == name))
    return found.scalar_one_or_none()


def _check_version(rule: RuleRow, expected_version: int) -> None:
    if rule.version != expected_version:
        raise _stale(rule, expected_version)


def _stale(rule: RuleRow, expected_version: int) -> StaleRule:
    return StaleRule(
        f'the alert rule "{rule.name}" was changed by someone else since you opened it '
        f"(version {expected_version}, now {rule.version}); reload it and try again"
    )


def _lock_rules(conn: Connection, rule_ids: set[int]) -> set[int]:
    """The ids of ``rule_ids`` that exist, locked against deletion until commit
    (PostgreSQL FOR KEY SHARE; SQLite's writer lock covers it)."""
    found: set[int] = set()
    for chunk in _chunks(sorted(rule_ids)):
        stmt = (
            select(alert_rules.c.id).where(alert_rules.c.id.in_(chunk))
            .order_by(alert_rules.c.id).with_for_update(read=True, key_share=True)
        )
        found.update(conn.execute(stmt).scalars())
    return found


def _rule_target(rule: RuleRow) -> str:
    return f"rule:{rule.id}"


def _rule_json(rule: RuleRow) -> dict[str, Any]:
    return {
        "id": rule.id, "name": rule.name, "enabled": rule.enabled, "builtin": rule.builtin,
        "version": rule.version, "spec": rule.spec,
    }


def _rule(row: Row[Any]) -> RuleRow:
    return RuleRow(
        id=int(row.id), name=row.name, spec=json.loads(row.spec), enabled=bool(row.enabled),
        builtin=bool(row.builtin), version=int(row.version), created_at_ms=int(row.created_at),
        updated_at_ms=int(row.updated_at), updated_by=row.updated_by,
    )


# -- states -------------------------------------------------------------------------------

# StateRow field -> alert_states column (the rest share their names).
_STATE_COLUMNS = {
    "since_ms": "since_at",
    "pending_since_ms": "pending_since_at",
    "breach_ended_ms": "breach_ended_at",
    "last_value_ms": "last_value_at",
    "opened_at_ms": "opened_at",
    "last_notified_at_ms": "last_notified_at",
    "ack_at_ms": "ack_at",
    "updated_at_ms": "updated_at",
}
_STATE_FIELDS = tuple(f.name for f in fields(StateRow))
_KEY_COLUMNS = ("rule_id", "series_key")
# alert_states columns in _state_values order; the key first.
_STATE_ORDER = tuple(_STATE_COLUMNS.get(name, name) for name in _STATE_FIELDS)
_STATE_SET = tuple(column for column in _STATE_ORDER if column not in _KEY_COLUMNS)


def _state_key(rule_id: int, key: str) -> tuple[ColumnElement[bool], ...]:
    return (alert_states.c.rule_id == rule_id, alert_states.c.series_key == key)


def _state_values(row: StateRow, version: int, now_ms: int) -> dict[str, Any]:
    values = {_STATE_COLUMNS.get(name, name): getattr(row, name) for name in _STATE_FIELDS}
    values["version"] = version
    values["updated_at"] = now_ms
    return values


def _state(row: Row[Any]) -> StateRow:
    mapping = row._mapping
    values = {name: mapping[_STATE_COLUMNS.get(name, name)] for name in _STATE_FIELDS}
    if values["last_value"] is not None:
        values["last_value"] = float(values["last_value"])
    return StateRow(**values)


def _rounds(changes: Sequence[StateChange]) -> list[list[int]]:
    """Indexes of ``changes`` in rounds with each row at most once per round: the n-th
    change of a row goes into round n, so a row's changes apply in their order."""
    seen: dict[Key, int] = {}
    rounds: list[list[int]] = []
    for index, change in enumerate(changes):
        key = (change.row.rule_id, change.row.series_key)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        if nth == len(rounds):
            rounds.append([])
        rounds[nth].append(index)
    return rounds


def _apply_round(
    conn: Connection, items: list[tuple[int, StateChange]], now_ms: int
) -> list[int]:
    """Apply changes of distinct rows; return the indexes of those that applied."""
    versions = _locked_versions(conn, [(c.row.rule_id, c.row.series_key) for _, c in items])
    updates = [
        (index, change) for index, change in items
        if change.expected_version is not None
        and versions.get((change.row.rule_id, change.row.series_key)) == change.expected_version
    ]
    inserts = [
        (index, change) for index, change in items
        if change.expected_version is None
        and (change.row.rule_id, change.row.series_key) not in versions
    ]
    _update_states(conn, [change for _, change in updates], now_ms)
    inserted = _insert_states(conn, [change.row for _, change in inserts], now_ms)
    return [index for index, _ in updates] + [
        index for index, c in inserts if (c.row.rule_id, c.row.series_key) in inserted
    ]


def _locked_versions(conn: Connection, keys: list[Key]) -> dict[Key, int]:
    """The version of each existing row of ``keys``, each row locked until commit
    (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE already holds the writer lock)."""
    if not keys:
        return {}
    if conn.dialect.name == "postgresql":
        # One join on two arrays: a 500-way row IN list took ~12 ms to plan per chunk.
        with _driver_cursor(conn) as cursor:
            cursor.execute(
                "SELECT s.rule_id, s.series_key, s.version FROM alert_states s "
                "JOIN unnest(%s::integer[], %s::text[]) AS k (rule_id, series_key) "
                "USING (rule_id, series_key) ORDER BY 1, 2 FOR UPDATE OF s",
                ([rule_id for rule_id, _ in keys], [key for _, key in keys]),
            )
            rows = cursor.fetchall()
        return {(int(rule_id), key): int(version) for rule_id, key, version in rows}
    t = alert_states
    found: dict[Key, int] = {}
    for chunk in _chunks(keys):
        stmt = select(t.c.rule_id, t.c.series_key, t.c.version).where(
            tuple_(t.c.rule_id, t.c.series_key).in_(chunk)  # the primary key
        )
        for rule_id, key, version in conn.execute(stmt):
            found[(int(rule_id), key)] = int(version)
    return found


def _update_states(conn: Connection, changes: list[StateChange], now_ms: int) -> None:
    """The compare-and-set of rows whose versions ``_locked_versions`` just read."""
    if not changes:
        return
    mark = _mark(conn)
    assignments = ", ".join(f'"{column}" = {mark}' for column in _STATE_SET)
    sql = (
        f"UPDATE alert_states SET {assignments} "
        f"WHERE rule_id = {mark} AND series_key = {mark} AND version = {mark}"
    )
    params = []
    for change in changes:
        expected = change.expected_version
        assert expected is not None
        values = _state_values(change.row, expected + 1, now_ms)
        params.append(tuple(values[column] for column in _STATE_SET)
                      + (change.row.rule_id, change.row.series_key, expected))
    with _driver_cursor(conn) as cursor:
        cursor.executemany(sql, params)
        changed = cursor.rowcount
    if changed != len(params):
        # The rows are locked (FOR UPDATE / SQLite's writer lock): this is a bug.
        raise RuntimeError(f"compare-and-set changed {changed} of {len(params)} locked rows")


def _insert_states(conn: Connection, rows: list[StateRow], now_ms: int) -> set[Key]:
    """Insert rows ``_locked_versions`` found missing; return the keys inserted.

    SQLite: the writer lock, held since BEGIN IMMEDIATE, kept anyone from inserting them
    meanwhile. PostgreSQL: a concurrent writer may have (the missing rows had nothing to
    lock); ON CONFLICT leaves its row alone and RETURNING tells which rows are ours."""
    if not rows:
        return set()
    sql = _insert_sql(conn, "alert_states", _STATE_ORDER)
    params = [tuple(_state_values(row, 1, now_ms).values()) for row in rows]
    if conn.dialect.name != "postgresql":
        _executemany(conn, sql, params)
        return {(row.rule_id, row.series_key) for row in rows}
    inserted: set[Key] = set()
    with _driver_cursor(conn) as cursor:
        cursor.executemany(
            sql + " ON CONFLICT (rule_id, series_key) DO NOTHING RETURNING rule_id, series_key",
            params, returning=True,
        )
        while True:
            inserted.update((int(rule_id), key) for rule_id, key in cursor.fetchall())
            if not cursor.nextset():
                break
    return inserted


def _ack_json(row: StateRow) -> dict[str, Any]:
    return {
        "rule_id": row.rule_id, "series_key": row.series_key, "alert_id": row.alert_id,
        "state": row.state, "ack_by": row.ack_by, "ack_at_ms": row.ack_at_ms,
        "ack_comment": row.ack_comment,
    }


def _ack_event(conn: Connection, row: StateRow, user: str, comment: str, now_ms: int) -> EventRow:
    rule_name = conn.execute(
        select(alert_rules.c.name).where(alert_rules.c.id == row.rule_id)
    ).scalar_one_or_none()
    return EventRow(
        ts_ms=now_ms, rule_id=row.rule_id, rule_name=rule_name or f"rule {row.rule_id}",
        series_key=row.series_key, source=row.source, entity_kind=row.entity_kind,
        entity_id=row.entity_id, entity_name=row.entity_name, alert_id=row.alert_id,
        event="acknowledged", from_state=row.state, to_state=row.state,
        severity=row.severity, value=row.last_value, reason=comment, actor=user,
    )


# -- events -------------------------------------------------------------------------------

_EVENT_COLUMNS = {"ts_ms": "ts"}
_EVENT_FIELDS = tuple(f.name for f in fields(EventRow) if f.name != "id")


_EVENT_ORDER = tuple(_EVENT_COLUMNS.get(name, name) for name in _EVENT_FIELDS)


def _insert_events(conn: Connection, events: Sequence[EventRow]) -> None:
    if events:
        _executemany(conn, _insert_sql(conn, "alert_events", _EVENT_ORDER), [
            tuple(getattr(event, name) for name in _EVENT_FIELDS) for event in events
        ])


def _event(row: Row[Any]) -> EventRow:
    mapping = row._mapping
    values = {name: mapping[_EVENT_COLUMNS.get(name, name)] for name in _EVENT_FIELDS}
    values["silenced"] = bool(values["silenced"])
    if values["value"] is not None:
        values["value"] = float(values["value"])
    return EventRow(**values, id=int(row.id))


# -- silences -----------------------------------------------------------------------------


def _get_silence(conn: Connection, silence_id: int, *, lock: bool = False) -> SilenceRow:
    stmt = select(alert_silences).where(alert_silences.c.id == silence_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise UnknownSilence(f"no silence has id {silence_id}")
    return _silence(row)


def _silence(row: Row[Any]) -> SilenceRow:
    return SilenceRow(
        id=int(row.id), rule_id=row.rule_id, source=row.source, entity_kind=row.entity_kind,
        entity_ids=tuple(json.loads(row.entity_ids)), starts_at_ms=int(row.starts_at),
        ends_at_ms=int(row.ends_at), reason=row.reason, created_by=row.created_by,
        created_at_ms=int(row.created_at), ended_at_ms=row.ended_at, ended_by=row.ended_by,
    )


def _silence_json(silence: SilenceRow) -> dict[str, Any]:
    return {
        "id": silence.id, "rule_id": silence.rule_id, "source": silence.source,
        "entity_kind": silence.entity_kind, "entity_ids": list(silence.entity_ids),
        "starts_at_ms": silence.starts_at_ms, "ends_at_ms": silence.ends_at_ms,
        "reason": silence.reason, "created_by": silence.created_by,
        "ended_at_ms": silence.ended_at_ms, "ended_by": silence.ended_by,
    }


# -- channels and outbox ------------------------------------------------------------------


def _fresh_channel(name: str, kind: str, now_ms: int) -> dict[str, Any]:
    return {
        "name": name, "kind": kind, "state": "ok", "state_since": now_ms, "last_error": None,
        "last_error_at": None, "last_ok_at": None, "updated_at": now_ms,
    }


def _channel(row: Row[Any]) -> ChannelRow:
    return ChannelRow(
        name=row.name, kind=row.kind, state=row.state, state_since_ms=int(row.state_since),
        last_error=row.last_error, last_error_at_ms=row.last_error_at,
        last_ok_at_ms=row.last_ok_at, updated_at_ms=int(row.updated_at),
    )


def _outbox_values(item: OutboxItem, now_ms: int) -> dict[str, Any]:
    return {
        "channel": item.channel, "kind": item.kind, "alert_id": item.alert_id,
        "payload": _dumps(item.payload), "status": "queued", "created_at": now_ms,
        "due_at": item.due_at_ms, "attempts": 0, "requested_by": item.requested_by,
    }


def _insert_outbox(conn: Connection, items: Sequence[OutboxItem], now_ms: int) -> list[int]:
    """Queue ``items``; returns their ids, in order."""
    if not items:
        return []
    stmt = notify_outbox.insert().returning(notify_outbox.c.id, sort_by_parameter_order=True)
    result = conn.execute(stmt, [_outbox_values(item, now_ms) for item in items])
    return [int(new_id) for new_id in result.scalars()]


def _queue_outbox(conn: Connection, items: Sequence[OutboxItem], now_ms: int) -> None:
    """Queue ``items`` in bulk, without reading their ids back."""
    if items:
        params = [tuple(_outbox_values(item, now_ms).values()) for item in items]
        columns = tuple(_outbox_values(items[0], now_ms))
        _executemany(conn, _insert_sql(conn, "notify_outbox", columns), params)


def _ready(rows: list[OutboxRow], now_ms: int, group_window_ms: int) -> bool:
    """Whether a channel's due rows go out now: a test message at once; otherwise once
    the oldest has waited the group window."""
    oldest = min(row.created_at_ms for row in rows)
    return any(row.kind == "test" for row in rows) or now_ms - oldest >= group_window_ms


def _outbox(row: Row[Any]) -> OutboxRow:
    return OutboxRow(
        id=int(row.id), channel=row.channel, kind=row.kind, alert_id=row.alert_id,
        payload=json.loads(row.payload), status=row.status, created_at_ms=int(row.created_at),
        due_at_ms=int(row.due_at), attempts=int(row.attempts), last_error=row.last_error,
        claimed_at_ms=row.claimed_at, finished_at_ms=row.finished_at,
        requested_by=row.requested_by,
    )


# -- audit --------------------------------------------------------------------------------


def _audit(
    conn: Connection, actor: str, action: str, target: str, before: Any, after: Any,
    now_ms: int, client_addr: str | None,
) -> None:
    conn.execute(audit_log.insert().values(
        ts=now_ms, actor=actor, action=action, target=target,
        before=None if before is None else _dumps(before),
        after=None if after is None else _dumps(after), client_addr=client_addr,
    ))


def _audit_row(row: Row[Any]) -> AuditRow:
    return AuditRow(
        id=int(row.id), ts_ms=int(row.ts), actor=row.actor, action=row.action,
        target=row.target, before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        client_addr=row.client_addr,
    )


# -- inputs -------------------------------------------------------------------------------

_SERIES_COLUMNS = (
    series.c.id, series.c.source, series.c.entity_kind, series.c.entity_id,
    series.c.entity_name, series.c.metric, series.c.unit,
)
_SERIES_ORDER = (series.c.source, series.c.entity_kind, series.c.entity_id, series.c.metric)


def _points(
    conn: Connection, series_ids: list[int], from_ms: int, to_ms: int, bucket_ms: int,
    reduce: str,
) -> dict[int, list[tuple[int, float]]]:
    """(ts_ms, value) per series in [from_ms, to_ms), oldest first; bucketed in SQL.

    Buckets of whole minutes read the 1-minute rollups (their per-minute min/max) below
    the rollup watermark and raw samples above it: a 7-day backtest then reads ~10k
    rows per series instead of ~120k, and still covers days whose raw samples retention
    has deleted."""
    watermark = None
    if bucket_ms >= _MINUTE_MS and bucket_ms % _MINUTE_MS == 0:
        watermark = conn.execute(
            select(rollup_state.c.watermark).where(rollup_state.c.resolution == "1m")
        ).scalar()
    if watermark is None or watermark <= from_ms:
        return _bucketed(conn, samples, series_ids, from_ms, to_ms, bucket_ms, reduce)
    origin = from_ms - from_ms % _MINUTE_MS  # rollup buckets start on whole minutes
    split = min(watermark, to_ms)
    old = _bucketed(conn, rollup_1m, series_ids, origin, split, bucket_ms, reduce)
    new = _bucketed(conn, samples, series_ids, split, to_ms, bucket_ms, reduce, origin=origin)
    pick = max if reduce == "max" else min
    for series_id, points in new.items():
        merged = dict(old.get(series_id, ()))
        for ts, value in points:  # a bucket across the watermark has a part in each
            merged[ts] = pick(merged[ts], value) if ts in merged else value
        old[series_id] = sorted(merged.items())
    return old


def _bucketed(
    conn: Connection, table: Table, series_ids: list[int], from_ms: int, to_ms: int,
    bucket_ms: int, reduce: str, *, origin: int | None = None,
) -> dict[int, list[tuple[int, float]]]:
    """Points of ``samples`` (column value) or a rollup table (columns min/max)."""
    found: dict[int, list[tuple[int, float]]] = {}
    origin = from_ms if origin is None else origin
    if table is samples:
        value = table.c.value
    else:
        value = table.c.max if reduce == "max" else table.c.min
    for chunk in _chunks(series_ids):
        # A range scan of the primary key (series_id, ts) per series.
        in_range = (table.c.series_id.in_(chunk), table.c.ts >= from_ms, table.c.ts < to_ms)
        if bucket_ms > 0:
            start = (origin + (table.c.ts - origin) // bucket_ms * bucket_ms).label("start")
            inner = select(table.c.series_id, start, value.label("value")).where(*in_range)
            buckets = inner.subquery()
            # Grouped in an outer query: PostgreSQL cannot match a GROUP BY expression
            # with bound parameters to the same expression in the select list.
            stmt = (
                select(buckets.c.series_id, buckets.c.start,
                       func.max(buckets.c.value) if reduce == "max"
                       else func.min(buckets.c.value))
                .group_by(buckets.c.series_id, buckets.c.start)
                .order_by(buckets.c.series_id, buckets.c.start)
            )
        else:
            stmt = (
                select(table.c.series_id, table.c.ts, value)
                .where(*in_range).order_by(table.c.series_id, table.c.ts)
            )
        for series_id, ts, point in conn.execute(stmt):
            found.setdefault(int(series_id), []).append((int(ts), float(point)))
    return found


# -- bulk writes through the driver ---------------------------------------------------------
# ``apply`` may carry thousands of changes. SQLAlchemy's per-row parameter handling, and on
# PostgreSQL its parsing of multi-row VALUES statements, cost more than the database did;
# one statement through the driver's executemany (psycopg pipelines it) does not. As in
# _write.insert_samples.


def _mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def _insert_sql(conn: Connection, table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join([_mark(conn)] * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


@contextmanager
def _driver_cursor(conn: Connection) -> Iterator[Any]:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


def _executemany(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    with _driver_cursor(conn) as cursor:
        cursor.executemany(sql, params)


# -- helpers ------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _check_token(conn: Connection, name: str, token: int) -> None:
    """The fence without an expiry check: ``token`` still holds lease ``name`` (nobody
    took it over). The no-op UPDATE takes the lease row's lock until commit."""
    stmt = (
        update(lease).where(lease.c.name == name, lease.c.token == token)
        .values(token=lease.c.token)
    )
    if conn.execute(stmt).rowcount != 1:
        raise LeaseLost(f"lease {name!r} is no longer held with token {token}")
