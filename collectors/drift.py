"""A reconciliation worker's drift report, read in either of its two forms.

A reconciliation worker compares the desired state of managed resources (databases with
their storage, replicas, version, CPU and memory) with their actual state and reports
where they differ. ``DriftSource`` polls ``GET <url>`` every ``interval_s``.

JSON form (``format: "json"``), one document::

    {
      "worker": {
        "healthy": true,                            # required, boolean
        "last_successful_run": "2024-05-01T12:00:00Z",  # ISO-8601 with zone or epoch s
                                                    # null: never
        "consecutive_failures": 0,                  # integer >= 0
        "cycle_duration_seconds": 4.2,              # number >= 0
        "resources_processed": 120,                 # integer >= 0
        "errors": 0                                 # integer >= 0 (a list counts its items)
      },
      "drift": [                                    # required: every drifting field now
        {"resource_id": "orders-db", "provider": "aws", "kind": "database",
         "field": "memory", "desired": "2Gi", "actual": "1536Mi",
         "detected_at": "2024-05-01T11:58:00Z"}     # ISO-8601 with zone, or epoch s
      ],
      "providers": ["aws", "gcp"]                   # optional: providers managed, even
    }                                               # those without drift

Worker fields other than ``healthy`` may be missing or null (no sample is stored then).
``desired`` / ``actual`` are strings; numbers, booleans and null are kept as their JSON
text. A record that cannot be read is skipped and counted (``records_skipped``); a
document that is not this shape is a ``SourceError(kind=bad_shape)``.

Quantities: for a field named like a resource size (``cpu``, ``memory``, ``storage``,
``disk``, ``size``, also as the last part of ``resources.limits.memory``), ``desired`` and
``actual`` are compared as Kubernetes quantities: ``1Gi`` against ``1024Mi`` is no drift.
A side that is not a quantity keeps the record as drift (raw text) and adds a warning.

Prometheus form (``format: "prometheus"``), the worker's text exposition::

    reconciliation_drift_resources{provider="aws"} 3      # gauge, one per provider
    reconciliation_cycle_duration_seconds 4.2             # gauge, or histogram/summary
    reconciliation_last_success_timestamp_seconds 1.7e9   # gauge, epoch seconds
    reconciliation_errors_total 7                         # counter

A histogram or summary of the cycle duration gives its mean (``_sum / _count``). This form
has no per-resource list, so the stored set of drifting resources is left alone.

Series stored (both forms): ``(drift:<name>, provider, <provider>, drift_count,
resources)`` and ``(drift:<name>, reconciler, <name>, <metric>)`` for the metrics of
``RECONCILER_METRICS``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from specs.clock import now_ms
from specs.drift import DRIFT_COUNT_METRIC, RECONCILER_METRICS, DriftSourceSpec
from specs.quantity import QuantityError, parse_decimal
from specs.sources import HealthState
from storage import DriftItem, Sample, SeriesKey

from .base import Assessment, BuildContext, PollOutcome, SourceKind, SourcePlan
from .clock import Clock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .http import HttpConfig, HttpResponse, HttpSeam, redact_url
from .retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

# A worker whose last successful run is older than this is degraded.
STALE_AFTER_S = 600.0
# Words that make a field a resource size, compared as a Kubernetes quantity.
QUANTITY_FIELD_WORDS = ("cpu", "memory", "storage", "disk", "size")
MAX_WARNINGS = 20
DEFAULT_RETRY = RetryPolicy(max_attempts=2)

_DRIFT_METRIC = "reconciliation_drift_resources"
_DURATION_METRIC = "reconciliation_cycle_duration_seconds"
_LAST_SUCCESS_METRIC = "reconciliation_last_success_timestamp_seconds"
_ERRORS_METRIC = "reconciliation_errors_total"
_FIELD_SPLIT_RE = re.compile(r"[./\[\]]")


class BadRecord(ValueError):
    """One drift record could not be read; it is skipped and counted."""


@dataclass(frozen=True)
class WorkerBlock:
    """The worker's report about itself; None: not reported."""

    healthy: bool | None = None
    last_success_s: float | None = None
    consecutive_failures: int | None = None
    cycle_duration_s: float | None = None
    resources_processed: int | None = None
    errors: int | None = None


@dataclass
class DriftReport:
    """One response, read: the worker block, drift counts per provider and, from the
    JSON form only, the drifting fields."""

    worker: WorkerBlock
    counts: dict[str, int]
    items: list[DriftItem] | None
    records_skipped: int = 0
    warnings: list[str] | None = None


class DriftSource:
    kind = "drift"

    def __init__(
        self,
        spec: DriftSourceSpec,
        seam: HttpSeam,
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.spec = spec
        self.name = f"drift:{spec.name}"
        self.url = spec.url
        self.interval_s: float | None = spec.interval_s
        self._seam = seam
        self._clock = clock
        self._retry = retry or DEFAULT_RETRY
        # Providers reported earlier by this process: one whose drift ended gets a 0
        # sample instead of keeping its last count on the wall.
        self._providers: set[str] = set()

    async def aclose(self) -> None:
        await self._seam.aclose()

    async def poll(self, deadline: Deadline) -> PollOutcome:
        response = await self._fetch(deadline)
        if self.spec.format == "prometheus":
            report = parse_drift_metrics(response.text(), response.url)
        else:
            report = parse_drift_document(response.json(), response.url)
        self._providers.update(report.counts)
        counts = {provider: report.counts.get(provider, 0) for provider in self._providers}
        ts_ms = now_ms(self._clock.time)
        samples = self._samples(report.worker, counts, ts_ms)
        if report.records_skipped:
            log.warning("%s: skipped %d unreadable drift record(s)", self.name,
                        report.records_skipped)
        return PollOutcome(
            samples=samples,
            drift=report.items,
            records_skipped=report.records_skipped,
            warnings=list(report.warnings or []),
            active_url=self.url,
            requests=1,
        )

    async def _fetch(self, deadline: Deadline) -> HttpResponse:
        async def attempt() -> HttpResponse:
            # The spec's timeout bounds each attempt; the poll's deadline bounds them all.
            bounded = Deadline(self._clock, deadline.cap(self.spec.timeout_s))
            return await self._seam.request("GET", self.url, deadline=bounded)

        response = await call_with_retry(
            attempt, policy=self._retry, deadline=deadline, clock=self._clock
        )
        if 300 <= response.status < 400:
            location = response.headers.get("location", "nowhere")
            raise SourceError(
                f"HTTP {response.status} from GET {response.url} redirects to "
                f"{redact_url(location)}; configure the final URL",
                kind=ErrorKind.HTTP_STATUS, permanent=True, status=response.status,
                url=response.url,
            )
        return response

    def _samples(self, worker: WorkerBlock, counts: Mapping[str, int], ts_ms: int
                 ) -> list[Sample]:
        return drift_samples(self.spec.name, worker, counts, ts_ms)

    def assess(
        self, outcome: PollOutcome | None, error: SourceError | None, consecutive_failures: int
    ) -> Assessment | None:
        """Down while polls fail or the worker says it is unhealthy; degraded while its
        cycles fail or its last successful run is older than ``STALE_AFTER_S``."""
        if error is not None:
            return (HealthState.DOWN.value, str(error))
        assert outcome is not None
        values = reconciler_values(outcome, self.name)
        failures = int(values.get("consecutive_failures", 0.0))
        if values.get("healthy") == 0.0:
            return (HealthState.DOWN.value, _unhealthy_reason(values, failures))
        if failures > 0:
            cycles = "cycle" if failures == 1 else "cycles"
            return (HealthState.DEGRADED.value, f"{failures} consecutive failed {cycles}")
        last_success = values.get("last_success_ts")
        if last_success is None:
            return (HealthState.UP.value,
                    "worker reports healthy" if "healthy" in values else "polled successfully")
        age_s = max(0.0, self._clock.time() - last_success)
        if age_s > STALE_AFTER_S:
            return (HealthState.DEGRADED.value, f"no successful run for {_age(age_s)}")
        return (HealthState.UP.value, f"last successful run {_age(age_s)} ago")


def drift_samples(reconciler: str, worker: WorkerBlock, counts: Mapping[str, int],
                  ts_ms: int) -> list[Sample]:
    """The samples one answer of ``reconciler`` makes (source ``drift:<reconciler>``): a
    drift count per provider and the worker block's figures."""
    source = f"drift:{reconciler}"
    samples = [
        Sample(SeriesKey(source, "provider", provider, DRIFT_COUNT_METRIC, "resources",
                         provider), ts_ms, float(count))
        for provider, count in sorted(counts.items())
    ]
    for metric, value in _worker_values(worker).items():
        key = SeriesKey(source, "reconciler", reconciler, metric,
                        RECONCILER_METRICS[metric], reconciler)
        samples.append(Sample(key, ts_ms, value))
    return samples


def reconciler_values(outcome: PollOutcome, source: str) -> dict[str, float]:
    """The reconciler block metrics of ``source`` in ``outcome``, by metric name."""
    return {
        sample.key.metric: sample.value
        for sample in outcome.samples
        if sample.key.source == source and sample.key.entity_kind == "reconciler"
    }


# -- the JSON form ----------------------------------------------------------------------


def parse_drift_document(body: Any, url: str) -> DriftReport:
    """A decoded JSON drift document -> ``DriftReport``; raises ``SourceError(bad_shape)``
    when the document is not the documented shape. Bad records are skipped and counted."""
    if not isinstance(body, dict):
        _bad_shape(url, f"the document is a {type(body).__name__}, expected an object")
    worker_raw = body.get("worker")
    drift_raw = body.get("drift")
    if not isinstance(worker_raw, dict):
        _bad_shape(url, f"'worker' is {_kind(worker_raw)}, expected an object")
    if not isinstance(drift_raw, list):
        _bad_shape(url, f"'drift' is {_kind(drift_raw)}, expected a list")
    try:
        worker = parse_worker(worker_raw)
    except BadRecord as exc:
        _bad_shape(url, f"worker: {exc}")
    providers_raw = body.get("providers", [])
    if not isinstance(providers_raw, list) or not all(
        isinstance(p, str) and p for p in providers_raw
    ):
        _bad_shape(url, f"'providers' is {_kind(providers_raw)}, expected a list of names")
    counts: Counter[str] = Counter({provider: 0 for provider in providers_raw})
    items: list[DriftItem] = []
    seen: set[tuple[str, str]] = set()
    warnings: list[str] = []
    skipped = 0
    for index, raw in enumerate(drift_raw):
        try:
            item = parse_drift_record(raw)
        except BadRecord as exc:
            skipped += 1
            _warn(warnings, f"drift[{index}] skipped: {exc}")
            continue
        counts[item.provider] += 0  # a provider seen, even if all of it is equal below
        if (item.resource_id, item.field) in seen:
            continue  # reported twice; the first one stands
        seen.add((item.resource_id, item.field))
        drifting, notes = compare(item)
        for note in notes:
            _warn(warnings, note)
        if drifting:
            items.append(item)
            counts[item.provider] += 1
    return DriftReport(worker, dict(counts), items, skipped, warnings)


def parse_worker(raw: Mapping[str, Any]) -> WorkerBlock:
    """The worker block; raises ``BadRecord`` naming the field."""
    healthy = raw.get("healthy")
    if not isinstance(healthy, bool):
        raise BadRecord(f"healthy is {healthy!r}, expected true or false")
    errors_raw = raw.get("errors")
    errors = len(errors_raw) if isinstance(errors_raw, list) else _count(raw, "errors")
    last_raw = raw.get("last_successful_run")
    return WorkerBlock(
        healthy=healthy,
        last_success_s=None if last_raw is None else _timestamp_s(last_raw,
                                                                  "last_successful_run"),
        consecutive_failures=_count(raw, "consecutive_failures"),
        cycle_duration_s=_number(raw, "cycle_duration_seconds"),
        resources_processed=_count(raw, "resources_processed"),
        errors=errors,
    )


def parse_drift_record(raw: Any) -> DriftItem:
    """One drift record; raises ``BadRecord``."""
    if not isinstance(raw, dict):
        raise BadRecord(f"a {type(raw).__name__}, expected an object")
    names: dict[str, str] = {}
    for key in ("resource_id", "provider", "kind", "field"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and key == "resource_id":
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise BadRecord(f"{key} is {value!r}, expected a non-empty string")
        names[key] = value.strip()
    for key in ("desired", "actual"):
        if key not in raw:
            raise BadRecord(f"resource {names['resource_id']} {names['field']}: no {key}")
    if "detected_at" not in raw:
        raise BadRecord(f"resource {names['resource_id']} {names['field']}: no detected_at")
    try:
        detected_s = _timestamp_s(raw["detected_at"], "detected_at")
    except BadRecord as exc:
        raise BadRecord(f"resource {names['resource_id']} {names['field']}: {exc}") from None
    return DriftItem(
        resource_id=names["resource_id"],
        provider=names["provider"],
        kind=names["kind"],
        field=names["field"],
        desired=_text(raw["desired"]),
        actual=_text(raw["actual"]),
        detected_at_ms=int(detected_s * 1000),
    )


def is_quantity_field(field: str) -> bool:
    """``memory``, ``resources.limits.cpu``, ``storage_size``: compared as quantities."""
    last = [part for part in _FIELD_SPLIT_RE.split(field.lower()) if part]
    return bool(last) and any(word in last[-1] for word in QUANTITY_FIELD_WORDS)


def compare(item: DriftItem) -> tuple[bool, list[str]]:
    """(is it drift, warnings). Equal quantities in different units are not drift; a
    side of a quantity field that is not a quantity keeps the item, with a warning."""
    if not is_quantity_field(item.field):
        return True, []
    warnings: list[str] = []
    values = []
    for side, text in (("desired", item.desired), ("actual", item.actual)):
        try:
            values.append(parse_decimal(text))
        except QuantityError:
            warnings.append(
                f"resource {item.resource_id} {item.field}: {side} {text!r} is not a quantity"
            )
    if warnings:
        return True, warnings
    return values[0] != values[1], []


# -- the Prometheus form ----------------------------------------------------------------


def parse_drift_metrics(text: str, url: str) -> DriftReport:
    """A text exposition -> ``DriftReport`` (no items); raises ``SourceError(malformed)``
    with the parser's message, ``SourceError(bad_shape)`` if no reconciliation metric is
    in it."""
    counts: dict[str, int] = {}
    durations: list[float] = []
    sums = {"sum": 0.0, "count": 0.0}
    last_success: list[float] = []
    errors: list[float] = []
    found = False
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                value = float(sample.value)
                if not math.isfinite(value):
                    continue
                name = sample.name
                if name == _DRIFT_METRIC:
                    provider = sample.labels.get("provider")
                    if not provider:
                        continue  # a count of no provider: nothing to show it under
                    counts[provider] = counts.get(provider, 0) + max(0, int(value))
                elif name == _DURATION_METRIC:
                    if "quantile" in sample.labels:
                        continue  # a summary's quantile; its _sum/_count give the mean
                    durations.append(value)
                elif name in (f"{_DURATION_METRIC}_sum", f"{_DURATION_METRIC}_count"):
                    sums[name.rsplit("_", 1)[1]] += value
                elif name == _LAST_SUCCESS_METRIC:
                    last_success.append(value)
                elif name == _ERRORS_METRIC:
                    errors.append(value)
                else:
                    continue
                found = True
    except (ValueError, IndexError) as exc:
        raise SourceError(
            f"malformed Prometheus exposition from GET {url}: "
            f"{exc or type(exc).__name__}; body starts with {text[:80]!r}",
            kind=ErrorKind.MALFORMED, url=url,
        ) from None
    if not found:
        raise SourceError(
            f"no reconciliation_* metrics in the exposition from GET {url}",
            kind=ErrorKind.BAD_SHAPE, url=url,
        )
    duration: float | None = max(durations) if durations else None
    if duration is None and sums["count"] > 0:
        duration = sums["sum"] / sums["count"]
    worker = WorkerBlock(
        last_success_s=max(last_success) if last_success else None,
        cycle_duration_s=duration,
        errors=int(sum(errors)) if errors else None,
    )
    return DriftReport(worker, counts, None)


# -- small readers ----------------------------------------------------------------------


def _worker_values(worker: WorkerBlock) -> dict[str, float]:
    values: dict[str, float | int | bool | None] = {
        "healthy": worker.healthy,
        "last_success_ts": worker.last_success_s,
        "consecutive_failures": worker.consecutive_failures,
        "cycle_duration_s": worker.cycle_duration_s,
        "resources_processed": worker.resources_processed,
        "errors": worker.errors,
    }
    return {metric: float(value) for metric, value in values.items() if value is not None}


def _number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
        math.isfinite(value) and value >= 0
    ):
        raise BadRecord(f"{key} is {value!r}, expected a number >= 0")
    return float(value)


def _count(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRecord(f"{key} is {value!r}, expected an integer >= 0")
    return value


def _timestamp_s(value: Any, key: str) -> float:
    """ISO-8601 with a time zone, or epoch seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value <= 0:
            raise BadRecord(f"{key} is {value!r}, expected epoch seconds")
        return float(value)
    if not isinstance(value, str):
        raise BadRecord(f"{key} is {value!r}, expected an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"{key} {value!r} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise BadRecord(f"{key} {value!r} has no time zone")
    return parsed.timestamp()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"


def _bad_shape(url: str, what: str) -> NoReturn:
    raise SourceError(f"drift document from GET {url}: {what}", kind=ErrorKind.BAD_SHAPE,
                      url=url)


def _warn(warnings: list[str], message: str) -> None:
    if len(warnings) < MAX_WARNINGS:
        warnings.append(message)
    log.warning("%s", message)


def _unhealthy_reason(values: dict[str, float], failures: int) -> str:
    """The worker's own word, with only the figures that back it: a count of 0 errors
    beside "unhealthy" would contradict it, so it is left out."""
    causes = []
    errors = int(values.get("errors", 0.0))
    if errors > 0:
        causes.append(_plural(errors, "error"))
    if failures > 0:
        causes.append(f"{failures} consecutive failed {'cycle' if failures == 1 else 'cycles'}")
    if not causes:
        return "worker reports unhealthy (no errors or failed cycles reported)"
    return f"worker reports unhealthy: {', '.join(causes)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


# -- the kind -------------------------------------------------------------------------------


def drift_source(spec: DriftSourceSpec, http: HttpConfig, clock: Clock) -> DriftSource:
    seam = HttpSeam(http, clock=clock, name=f"drift:{spec.name}")
    return DriftSource(spec, seam, clock=clock)


def _plan(ctx: BuildContext) -> SourcePlan:
    return SourcePlan(sources=[drift_source(spec, ctx.http, ctx.clock)
                               for spec in ctx.settings.drift_source_specs()])


def _watched(settings: Any, engine: Engine) -> set[str]:
    return {f"drift:{spec.name}" for spec in settings.drift_source_specs()}


def _intervals(settings: Any, engine: Engine) -> dict[str, float]:
    return {f"drift:{spec.name}": spec.interval_s for spec in settings.drift_source_specs()}


KIND = SourceKind(plan=_plan, watched=_watched, intervals=_intervals)
