"""Alert rules: create, edit (versioned), delete, seed the shipped defaults. Every change
also appends an audit_log row in the same transaction (actions rule.create /
rule.update / rule.delete, before/after = the rule as JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ._alert_records import RuleExists, RuleRow, StaleRule, UnknownRule
from ._audit import append_audit
from ._schema import alert_rules, alert_states, app_meta
from ._sql import dumps, upsert_insert
from ._tx import EngineStore

SEEDED_KEY = "alert_rules_seeded"
SYSTEM_ACTOR = "system"
_NAME_MAX = 100  # alert_rules.name is VARCHAR(100)


class RuleQueries(EngineStore):
    """The rule methods of ``AlertStore``."""

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
            append_audit(conn, actor, "rule.create", _rule_target(created), None,
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
                .values(name=name, spec=dumps(dict(spec)), enabled=bool(enabled),
                        version=expected_version + 1, updated_at=now_ms, updated_by=actor)
            )
            try:
                changed = conn.execute(stmt).rowcount
            except sa_exc.IntegrityError as err:  # a concurrent rename took the name
                raise RuleExists(f'an alert rule named "{name}" exists already') from err
            if changed != 1:
                raise _stale(before, expected_version)
            after = _get_rule(conn, rule_id)
            append_audit(conn, actor, "rule.update", _rule_target(after), _rule_json(before),
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
            append_audit(conn, actor, "rule.delete", _rule_target(before), _rule_json(before),
                None, now_ms, client_addr)
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
                    append_audit(conn, SYSTEM_ACTOR, "rule.create", _rule_target(row), None,
                        _rule_json(row), now_ms, None)
                    created += 1
            conn.execute(
                update(app_meta).where(app_meta.c.key == SEEDED_KEY).values(value=str(created))
            )
        return created


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
        .values(name=name, spec=dumps(dict(spec)), enabled=bool(enabled),
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
