"""Health targets: the workers to check, editable in the UI or given in the configuration.

Values arrive validated (``specs.health.validate_target``); storage only stores them. A
target is passed as any object with the ``HealthTarget`` attributes, or a mapping of them.
Rows created from the configuration (``from_config``) are read-only here except through
``sync_from_config``. Storage never reads the clock: ``now_ms`` comes from the caller.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Row, delete, select, update
from sqlalchemy.engine import Connection

from ._errors import StorageError
from ._schema import health_targets
from ._sql import upsert_insert
from ._tx import EngineStore


class TargetExists(StorageError):
    """A target with this name exists already."""


class UnknownTarget(StorageError):
    """No target has this name."""


class ReadOnlyTarget(StorageError):
    """The target comes from the configuration: change it there, not in the UI."""


class TargetFields(Protocol):
    """What storage reads of a target (``specs.health.HealthTarget`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def interval_s(self) -> float: ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def expected_status(self) -> str: ...
    @property
    def conditions(self) -> tuple[str, ...]: ...
    @property
    def degraded_latency_ms(self) -> int | None: ...
    @property
    def down_after(self) -> int: ...
    @property
    def enabled(self) -> bool: ...


Target = TargetFields | Mapping[str, Any]

# The editable columns, in the order of HealthTarget's fields.
_VALUE_FIELDS = (
    "name", "url", "interval_s", "timeout_s", "expected_status", "conditions",
    "degraded_latency_ms", "down_after", "enabled",
)


@dataclass(frozen=True)
class HealthTargetRow:
    """One row of ``health_targets``: the ``HealthTarget`` fields plus timestamps."""

    id: int
    name: str
    url: str
    interval_s: float
    timeout_s: float
    expected_status: str
    conditions: tuple[str, ...]
    degraded_latency_ms: int | None
    down_after: int
    enabled: bool
    from_config: bool
    created_at_ms: int
    updated_at_ms: int


@dataclass(frozen=True)
class SyncSummary:
    """Names of the configuration rows ``sync_from_config`` created, changed, removed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class HealthTargetStore(EngineStore):
    """Queries on ``health_targets``; each method is one transaction.

    Any method may raise ``StorageUnavailable``. Safe to share between threads.
    """

    def list(self, enabled_only: bool = False) -> builtins.list[HealthTargetRow]:
        """All targets (or the enabled ones), by name."""
        stmt = select(health_targets).order_by(health_targets.c.name)
        if enabled_only:
            stmt = stmt.where(health_targets.c.enabled.is_(True))
        with self._reading() as conn:
            return [_row(row) for row in conn.execute(stmt)]

    def get(self, name: str) -> HealthTargetRow | None:
        with self._reading() as conn:
            return _get(conn, name)

    def create(self, target: Target, now_ms: int) -> HealthTargetRow:
        """Insert a UI target (``from_config`` false). Raises ``TargetExists``; the unique
        constraint decides, so two concurrent creators cannot both win."""
        values = _values(target)
        with self._writing() as conn:
            stmt = (
                upsert_insert(conn, health_targets)
                .values(**values, from_config=False, created_at=now_ms, updated_at=now_ms)
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(health_targets.c.id)
            )
            if conn.execute(stmt).scalar_one_or_none() is None:
                raise TargetExists(f'a health target named "{values["name"]}" exists already')
            created = _get(conn, values["name"])
        assert created is not None
        return created

    def update(self, name: str, target: Target, now_ms: int) -> HealthTargetRow:
        """Replace the fields of UI target ``name`` (a new name renames it).

        Raises ``UnknownTarget``, ``ReadOnlyTarget`` (from the configuration) and
        ``TargetExists`` (renamed onto another target's name)."""
        values = _values(target)
        with self._writing() as conn:
            _editable(conn, name)
            if values["name"] != name and _get(conn, values["name"]) is not None:
                raise TargetExists(f'a health target named "{values["name"]}" exists already')
            conn.execute(
                update(health_targets)
                .where(health_targets.c.name == name)
                .values(**values, updated_at=now_ms)
            )
            updated = _get(conn, values["name"])
        assert updated is not None
        return updated

    def delete(self, name: str) -> None:
        """Remove UI target ``name``. Raises ``UnknownTarget``, ``ReadOnlyTarget``."""
        with self._writing() as conn:
            _editable(conn, name)
            conn.execute(delete(health_targets).where(health_targets.c.name == name))

    def sync_from_config(self, targets: Iterable[Target], now_ms: int) -> SyncSummary:
        """Make the configuration rows equal ``targets``, in one transaction.

        Creates or updates each as ``from_config`` (a UI row of a configured name is taken
        over), deletes configuration rows no longer configured, leaves other UI rows alone.
        Rows whose values did not change keep their ``updated_at``."""
        wanted = {values["name"]: values for values in map(_values, targets)}
        summary = SyncSummary()
        with self._writing() as conn:
            existing = {row.name: row for row in map(_row, conn.execute(select(health_targets)))}
            for name, values in wanted.items():
                row = existing.get(name)
                if row is None:
                    conn.execute(health_targets.insert().values(
                        **values, from_config=True, created_at=now_ms, updated_at=now_ms
                    ))
                    summary.created.append(name)
                elif not row.from_config or _differs(row, values):
                    conn.execute(
                        update(health_targets)
                        .where(health_targets.c.name == name)
                        .values(**values, from_config=True, updated_at=now_ms)
                    )
                    summary.updated.append(name)
            gone = sorted(n for n, r in existing.items() if r.from_config and n not in wanted)
            if gone:
                conn.execute(delete(health_targets).where(health_targets.c.name.in_(gone)))
            summary.removed.extend(gone)
        return summary


def _get(conn: Connection, name: str) -> HealthTargetRow | None:
    # Served by uq_health_targets_name.
    row = conn.execute(
        select(health_targets).where(health_targets.c.name == name)
    ).one_or_none()
    return _row(row) if row is not None else None


def _editable(conn: Connection, name: str) -> HealthTargetRow:
    row = _get(conn, name)
    if row is None:
        raise UnknownTarget(f'no health target named "{name}"')
    if row.from_config:
        raise ReadOnlyTarget(
            f'health target "{name}" comes from the configuration; change it there'
        )
    return row


def _values(target: Target) -> dict[str, Any]:
    """Column values of ``target``; ``conditions`` as a JSON list string."""
    if isinstance(target, Mapping):
        raw = {name: target[name] for name in _VALUE_FIELDS}
    else:
        raw = {name: getattr(target, name) for name in _VALUE_FIELDS}
    raw["conditions"] = json.dumps(list(raw["conditions"]), ensure_ascii=False)
    raw["enabled"] = bool(raw["enabled"])
    return raw


def _differs(row: HealthTargetRow, values: Mapping[str, Any]) -> bool:
    current = {name: getattr(row, name) for name in _VALUE_FIELDS}
    current["conditions"] = json.dumps(list(row.conditions), ensure_ascii=False)
    return current != dict(values)


def _row(row: Row) -> HealthTargetRow:
    return HealthTargetRow(
        id=row.id,
        name=row.name,
        url=row.url,
        interval_s=float(row.interval_s),
        timeout_s=float(row.timeout_s),
        expected_status=row.expected_status,
        conditions=tuple(json.loads(row.conditions)),
        degraded_latency_ms=row.degraded_latency_ms,
        down_after=row.down_after,
        enabled=bool(row.enabled),
        from_config=bool(row.from_config),
        created_at_ms=row.created_at,
        updated_at_ms=row.updated_at,
    )
