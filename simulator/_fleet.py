"""Fake workers (health endpoints) and fake reconcilers (drift), driven by the control API.

Both are plain models read by `_fleet_api`; everything is advanced lazily to the injected
clock, so tests move time instead of sleeping. Seeded: the same seed gives the same drift.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

WORKER_VERSION = "1.4.2"
WORKER_PERIOD_S = 30.0  # a healthy worker "ran" within the last 30 s
WORKER_MODES = ("healthy", "slow", "failing", "lying", "hang")
DEFAULT_SLOW_S = 2.0
DEFAULT_FAILING_STATUS = 503
LYING_FAILURES = 12

RECONCILER_MODES = ("normal", "failing", "hang", "garbage")
PROVIDERS = ("aws", "gcp", "azure")
CYCLE_PERIOD_S = 30.0
# Drift comes and goes: in sync for Exp(40 min), then drifting for 2-20 min.
MEAN_IN_SYNC_S = 40 * 60.0
DRIFT_MIN_S, DRIFT_MAX_S = 2 * 60.0, 20 * 60.0
EQUIVALENT_UNITS_CHANCE = 0.2  # "2Gi" vs "2048Mi": a reconciler's false drift
MALFORMED_ACTUAL = "1,5Gi"  # a decimal comma: not a quantity

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RESOURCE_NAMES = (
    "orders", "users", "billing", "inventory", "sessions", "analytics",
    "payments", "search", "audit", "catalog", "reports", "events",
)  # fmt: skip
_STORAGE = ("50Gi", "100Gi", "200Gi")
# field -> (desired values, {desired: real drifts}, {desired: same quantity, other units})
_FIELDS: dict[str, tuple[dict[str, tuple[str, ...]], dict[str, str]]] = {
    "storage": (
        {"50Gi": ("40Gi", "45Gi"), "100Gi": ("80Gi", "90Gi"), "200Gi": ("150Gi", "180Gi")},
        {"50Gi": "51200Mi", "100Gi": "102400Mi", "200Gi": "204800Mi"},
    ),
    "replicas": ({"3": ("2", "1", "4")}, {}),
    "version": ({"15.4": ("15.3", "14.9", "15.2")}, {}),
    "cpu": ({"500m": ("250m", "1", "750m")}, {"500m": "0.5"}),
    "memory": ({"2Gi": ("1Gi", "1536Mi", "4Gi")}, {"2Gi": "2048Mi"}),
}


class FleetError(ValueError):
    """A control request the fleet refuses (answered with 400)."""


def iso_utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_names(prefix: str, count: int, names: tuple[str, ...] | None) -> tuple[str, ...]:
    chosen = tuple(names) if names is not None else tuple(f"{prefix}-{i + 1}" for i in range(count))
    for name in chosen:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{prefix} name {name!r} must match {_NAME.pattern}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{prefix} names must be unique")
    return chosen


def _number(body: dict[str, Any], name: str, minimum: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FleetError(f"'{name}' must be a number")
    if value < minimum:
        raise FleetError(f"'{name}' must be >= {minimum}")
    return float(value)


def _status(body: dict[str, Any]) -> int | None:
    status = body.get("status")
    if status is None:
        return None
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise FleetError("'status' must be an HTTP status code between 200 and 599")
    return status


def _mode(body: dict[str, Any], modes: tuple[str, ...], default: str) -> str:
    mode = body.get("mode", default)
    if mode not in modes:
        raise FleetError(f"'mode' must be one of {', '.join(modes)}")
    return str(mode)


# -- quantities (the simulator's own, minimal: enough to count drift like a collector) ----

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z]*)$")
_SUFFIXES = {
    "": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60,
}  # fmt: skip


def quantity(text: str) -> float | None:
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None or match.group(2) not in _SUFFIXES:
        return None
    return float(match.group(1)) * _SUFFIXES[match.group(2)]


def real_drift(desired: str, actual: str) -> bool:
    """False only when both are quantities and equal ("1Gi" vs "1024Mi")."""
    a, b = quantity(desired), quantity(actual)
    if a is None or b is None:
        return desired != actual
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# -- workers ----------------------------------------------------------------------------


@dataclass
class WorkerBehaviour:
    mode: str = "healthy"
    latency_s: float | None = None
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> WorkerBehaviour:
        unknown = set(body) - {"mode", "latency_s", "status", "body"}
        if unknown:
            raise FleetError(f"unknown fields: {', '.join(sorted(unknown))}")
        extra = body.get("body", {})
        if not isinstance(extra, dict):
            raise FleetError("'body' must be a JSON object")
        return cls(
            mode=_mode(body, WORKER_MODES, "healthy"),
            latency_s=_number(body, "latency_s", 0),
            status=_status(body),
            body=dict(extra),
        )

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "latency_s": self.latency_s,
            "status": self.status,
            "body": self.body,
        }


@dataclass(frozen=True)
class WorkerAnswer:
    delay_s: float
    hang: bool
    status: int
    payload: dict[str, Any]


class Worker:
    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.phase_s = (index * 7.0) % WORKER_PERIOD_S
        self.behaviour = WorkerBehaviour()

    def answer(self, now: float) -> WorkerAnswer:
        b = self.behaviour
        last_run = now - ((now + self.phase_s) % WORKER_PERIOD_S)
        payload: dict[str, Any] = {
            "status": "ok",
            "consecutive_failures": 0,
            "last_successful_run": iso_utc(last_run),
            "version": WORKER_VERSION,
        }
        status = 200
        if b.mode == "lying":
            payload["status"] = "error"
            payload["consecutive_failures"] = LYING_FAILURES
        elif b.mode == "failing":
            status = b.status if b.status is not None else DEFAULT_FAILING_STATUS
            payload = {"status": "error", "message": f"Simulated failure: HTTP {status}."}
        payload.update(b.body)
        delay = b.latency_s if b.latency_s is not None else 0.0
        if b.mode == "slow" and b.latency_s is None:
            delay = DEFAULT_SLOW_S
        return WorkerAnswer(delay, b.mode == "hang", status, payload)


# -- reconcilers ------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagedResource:
    resource_id: str
    provider: str
    kind: str
    desired: dict[str, str]


@dataclass
class DriftEntry:
    resource_id: str
    provider: str
    kind: str
    field: str
    desired: str
    actual: str
    detected_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "provider": self.provider,
            "kind": self.kind,
            "field": self.field,
            "desired": self.desired,
            "actual": self.actual,
            "detected_at": iso_utc(self.detected_at),
        }


class _Timeline:
    """One resource's alternation of in-sync and drifting spells, drawn lazily."""

    def __init__(self, resource: ManagedResource, rng: random.Random, start: float) -> None:
        self.resource = resource
        self.rng = rng
        self.drift: DriftEntry | None = None
        # Start in the steady state: drifting with the long-run share of time.
        mean_drift = (DRIFT_MIN_S + DRIFT_MAX_S) / 2
        if rng.random() < mean_drift / (mean_drift + MEAN_IN_SYNC_S):
            began = start - rng.uniform(0, DRIFT_MIN_S)
            self.drift = self._draw(began)
            self.next_change = began + rng.uniform(DRIFT_MIN_S, DRIFT_MAX_S)
        else:
            self.next_change = start + rng.expovariate(1 / MEAN_IN_SYNC_S)

    def _draw(self, t: float) -> DriftEntry:
        rng, res = self.rng, self.resource
        name = rng.choice(sorted(res.desired))
        desired = res.desired[name]
        drifts, same = _FIELDS[name]
        if desired in same and rng.random() < EQUIVALENT_UNITS_CHANCE:
            actual = same[desired]
        else:
            actual = rng.choice(drifts[desired])
        return DriftEntry(res.resource_id, res.provider, res.kind, name, desired, actual, t)

    def advance(self, now: float) -> None:
        while self.next_change <= now:
            t = self.next_change
            if self.drift is None:
                self.drift = self._draw(t)
                self.next_change = t + self.rng.uniform(DRIFT_MIN_S, DRIFT_MAX_S)
            else:
                self.drift = None
                self.next_change = t + self.rng.expovariate(1 / MEAN_IN_SYNC_S)


@dataclass
class ReconcilerOverrides:
    mode: str = "normal"
    status: int | None = None
    healthy: bool | None = None
    consecutive_failures: int | None = None
    last_success_age_s: float | None = None
    cycle_duration_s: float | None = None
    resources_processed: int | None = None
    errors: int | None = None

    def describe(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _count(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FleetError(f"'{name}' must be a non-negative integer")
    return value


_DRIFT_KEYS = ("resource_id", "provider", "kind", "field", "desired", "actual")


def _forced_drift(items: Any, now: float) -> list[DriftEntry]:
    if not isinstance(items, list):
        raise FleetError("'drift' must be a list of objects")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            raise FleetError("'drift' must be a list of objects")
        item = {"kind": "database", **item}
        missing = [k for k in _DRIFT_KEYS if not isinstance(item.get(k), str)]
        if missing:
            raise FleetError(f"each drift item needs string fields: {', '.join(missing)}")
        fields = {k: str(item[k]) for k in _DRIFT_KEYS}
        entries.append(DriftEntry(**fields, detected_at=now))
    return entries


class Reconciler:
    """A reconciler managing 12 databases over three providers; drift comes and goes."""

    def __init__(self, name: str, index: int, seed: int, start: float) -> None:
        self.name = name
        self.seed = seed
        self.phase_s = (index * 11.0) % CYCLE_PERIOD_S
        self.resources = [
            ManagedResource(
                resource_id=f"db-{base}",
                provider=PROVIDERS[i % len(PROVIDERS)],
                kind="database",
                desired={
                    "storage": _STORAGE[i % len(_STORAGE)],
                    "replicas": "3",
                    "version": "15.4",
                    "cpu": "500m",
                    "memory": "2Gi",
                },
            )
            for i, base in enumerate(_RESOURCE_NAMES)
        ]
        self._timelines = [
            _Timeline(res, random.Random(f"{seed}:{name}:{res.resource_id}"), start)
            for res in self.resources
        ]
        self.overrides = ReconcilerOverrides()
        self.forced: list[DriftEntry] = []
        self._now = start

    # -- control

    def reset(self) -> None:
        self.overrides = ReconcilerOverrides()
        self.forced.clear()

    def clear_drift(self) -> None:
        self.forced.clear()

    def control(self, body: dict[str, Any], now: float) -> None:
        """Apply a control request; validated completely before anything changes."""
        known = {
            "drift", "malformed_quantity", "mode", "status", "healthy", "consecutive_failures",
            "last_success_age_s", "cycle_duration_s", "resources_processed", "errors",
        }  # fmt: skip
        unknown = set(body) - known
        if unknown:
            raise FleetError(f"unknown fields: {', '.join(sorted(unknown))}")
        o = self.overrides
        forced = _forced_drift(body["drift"], now) if "drift" in body else []
        if body.get("malformed_quantity"):
            res = self.resources[0]
            forced.append(
                DriftEntry(res.resource_id, res.provider, res.kind, "memory",
                           res.desired["memory"], MALFORMED_ACTUAL, now)
            )  # fmt: skip
        healthy = body.get("healthy")
        if healthy is not None and not isinstance(healthy, bool):
            raise FleetError("'healthy' must be true or false")
        mode = _mode(body, RECONCILER_MODES, o.mode)
        status = _status(body)
        failures = _count(body, "consecutive_failures")
        age = _number(body, "last_success_age_s", 0)
        cycle = _number(body, "cycle_duration_s", 0)
        processed = _count(body, "resources_processed")
        errors = _count(body, "errors")
        o.mode = mode
        for attr, value in (
            ("status", status), ("healthy", healthy), ("consecutive_failures", failures),
            ("last_success_age_s", age), ("cycle_duration_s", cycle),
            ("resources_processed", processed), ("errors", errors),
        ):  # fmt: skip
            if value is not None:
                setattr(o, attr, value)
        self.forced.extend(forced)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "overrides": self.overrides.describe(),
            "forced_drift": [d.as_dict() for d in self.forced],
        }

    # -- reading

    def drift(self, now: float) -> list[DriftEntry]:
        if now > self._now:
            self._now = now
        for timeline in self._timelines:
            timeline.advance(self._now)
        found = [t.drift for t in self._timelines if t.drift is not None]
        return [*found, *self.forced]

    def worker(self, now: float) -> dict[str, Any]:
        o = self.overrides
        cycle = math.floor((now - self.phase_s) / CYCLE_PERIOD_S)
        last_run = cycle * CYCLE_PERIOD_S + self.phase_s
        duration = random.Random(f"{self.seed}:{self.name}:cycle:{cycle}").uniform(3.0, 6.0)
        return {
            "healthy": o.healthy if o.healthy is not None else True,
            "last_successful_run": (
                now - o.last_success_age_s if o.last_success_age_s is not None else last_run
            ),
            "consecutive_failures": o.consecutive_failures or 0,
            "cycle_duration_seconds": (
                o.cycle_duration_s if o.cycle_duration_s is not None else round(duration, 1)
            ),
            "resources_processed": (
                o.resources_processed if o.resources_processed is not None else len(self.resources)
            ),
            "errors": o.errors or 0,
        }

    def status_json(self, now: float) -> dict[str, Any]:
        worker = self.worker(now)
        worker["last_successful_run"] = iso_utc(worker["last_successful_run"])
        return {"worker": worker, "drift": [d.as_dict() for d in self.drift(now)]}

    def drift_counts(self, now: float) -> dict[str, int]:
        """Resources with real drift per provider (unit-only differences not counted)."""
        counted: dict[str, set[str]] = {p: set() for p in PROVIDERS}
        for d in self.drift(now):
            resources = counted.setdefault(d.provider, set())
            if real_drift(d.desired, d.actual):
                resources.add(d.resource_id)
        return {provider: len(ids) for provider, ids in counted.items()}

    def metrics_text(self, now: float) -> str:
        w = self.worker(now)
        lines = [
            "# HELP reconciliation_drift_resources Resources whose actual state differs "
            "from the desired state.",
            "# TYPE reconciliation_drift_resources gauge",
        ]
        for provider, n in self.drift_counts(now).items():
            lines.append(f'reconciliation_drift_resources{{provider="{_label(provider)}"}} {n}')
        gauges = (
            ("reconciliation_cycle_duration_seconds", "gauge",
             "Duration of the last reconciliation cycle.", w["cycle_duration_seconds"]),
            ("reconciliation_last_success_timestamp_seconds", "gauge",
             "Unix time of the last successful reconciliation cycle.",
             w["last_successful_run"]),
            ("reconciliation_errors_total", "counter", "Reconciliation errors.", w["errors"]),
            ("reconciliation_healthy", "gauge", "1 if the reconciler is healthy.",
             1 if w["healthy"] else 0),
            ("reconciliation_consecutive_failures", "gauge",
             "Failed cycles since the last success.", w["consecutive_failures"]),
            ("reconciliation_resources_processed", "gauge",
             "Resources processed in the last cycle.", w["resources_processed"]),
        )  # fmt: skip
        for metric, kind, help_text, value in gauges:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}",
                      f"{metric} {_value(value)}"]  # fmt: skip
        return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class Fleet:
    """Every fake worker and reconciler of one simulator (``build_fleet``: the names a
    simulator with default settings serves)."""

    def __init__(
        self, worker_names: tuple[str, ...], reconciler_names: tuple[str, ...], seed: int,
        start: float,
    ) -> None:  # fmt: skip
        self.workers = {name: Worker(name, i) for i, name in enumerate(worker_names)}
        self.reconcilers = {
            name: Reconciler(name, i, seed, start) for i, name in enumerate(reconciler_names)
        }


def build_fleet(seed: int, start: float, workers: int = 4, reconcilers: int = 1) -> Fleet:
    """The fleet a simulator of ``seed`` serves by default (``worker-1..``,
    ``reconciler-1..``), its drift drawn from ``start`` on: a caller can advance it
    through history and then serve it (``SimulatorConfig.fleet``)."""
    return Fleet(default_names("worker", workers, None),
                 default_names("reconciler", reconcilers, None), seed, start)
