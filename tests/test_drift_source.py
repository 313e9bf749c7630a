"""DriftSource over real loopback HTTP (an aiohttp server started by the test), in both
forms, and its assessment of the worker with a manual clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from collectors.base import PollOutcome
from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.drift import DriftSource, is_quantity_field, parse_drift_document
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpConfig, HttpSeam
from collectors.retry import RetryPolicy
from specs.drift import DriftSourceSpec
from storage import DriftItem

NOW = 1_700_000_000.0  # ManualClock's start: 2023-11-14T22:13:20Z
NOW_ISO = "2023-11-14T22:13:20Z"


@dataclass
class Reconciler:
    """What the loopback worker answers; tests change it between polls."""

    body: str = ""
    content_type: str = "application/json"
    status: int = 200
    base: str = ""
    hits: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        return web.Response(status=self.status, text=self.body, content_type=self.content_type)

    def serve_json(self, document: Any) -> None:
        self.body, self.content_type = json.dumps(document), "application/json"

    def serve_metrics(self, text: str) -> None:
        self.body, self.content_type = text, "text/plain"


@pytest.fixture
async def reconciler() -> AsyncIterator[Reconciler]:
    rec = Reconciler()
    app = web.Application()
    app.router.add_get("/drift", rec.handle)
    app.router.add_get("/metrics", rec.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rec.base = f"http://{host}:{port}"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def sources(clock: ManualClock) -> AsyncIterator[list[DriftSource]]:
    made: list[DriftSource] = []
    yield made
    for source in made:
        await source.aclose()


@pytest.fixture
def make(reconciler: Reconciler, clock: ManualClock, sources: list[DriftSource]):
    def make(fmt: str = "json") -> DriftSource:
        path = "/metrics" if fmt == "prometheus" else "/drift"
        spec = DriftSourceSpec("db", reconciler.base + path, fmt)
        seam = HttpSeam(HttpConfig(), name="drift:db", clock=clock)
        source = DriftSource(spec, seam, clock=clock,
                             retry=RetryPolicy(max_attempts=2, base_delay_s=0))
        sources.append(source)
        return source
    return make


def worker(**changes: Any) -> dict[str, Any]:
    return {"healthy": True, "last_successful_run": "2023-11-14T22:11:20Z",
            "consecutive_failures": 0, "cycle_duration_seconds": 4.5,
            "resources_processed": 120, "errors": 0, **changes}


def drift(resource: str = "r1", field: str = "replicas", desired: Any = "3", actual: Any = "2",
          provider: str = "aws", **changes: Any) -> dict[str, Any]:
    return {"resource_id": resource, "provider": provider, "kind": "database", "field": field,
            "desired": desired, "actual": actual, "detected_at": "2023-11-14T22:03:20Z",
            **changes}


def values(outcome: PollOutcome, entity_kind: str) -> dict[str, float]:
    return {(s.key.metric if entity_kind == "reconciler" else s.key.entity_id): s.value
            for s in outcome.samples if s.key.entity_kind == entity_kind}


async def poll(source: DriftSource, clock: ManualClock) -> PollOutcome:
    return await source.poll(Deadline(clock, 10))


# -- JSON form ------------------------------------------------------------------------


async def test_it_reads_a_healthy_worker_without_drift(reconciler, make, clock) -> None:
    reconciler.serve_json({"worker": worker(), "drift": [], "providers": ["aws", "gcp"]})
    source = make()

    outcome = await poll(source, clock)

    assert outcome.drift == []
    assert values(outcome, "provider") == {"aws": 0.0, "gcp": 0.0}
    assert values(outcome, "reconciler") == {
        "healthy": 1.0, "last_success_ts": NOW - 120, "consecutive_failures": 0.0,
        "cycle_duration_s": 4.5, "resources_processed": 120.0, "errors": 0.0,
    }
    key = next(s.key for s in outcome.samples if s.key.metric == "drift_count")
    assert (key.source, key.entity_kind, key.unit) == ("drift:db", "provider", "resources")
    assert all(s.ts_ms == int(NOW * 1000) for s in outcome.samples)
    assert source.assess(outcome, None, 0) == ("up", "last successful run 2 min ago")


async def test_it_reports_drifting_resources_and_counts_per_provider(
    reconciler, make, clock
) -> None:
    reconciler.serve_json({"worker": worker(), "drift": [
        drift("r1", "replicas", 3, 2),
        drift("r2", "version", "15.4", "15.3", provider="gcp"),
        drift("r3", "memory", "2Gi", "1Gi", detected_at=1_699_999_000),
    ]})

    outcome = await poll(make(), clock)

    assert outcome.drift == [
        DriftItem("r1", "aws", "database", "replicas", "3", "2", 1_699_999_400_000),
        DriftItem("r2", "gcp", "database", "version", "15.4", "15.3", 1_699_999_400_000),
        DriftItem("r3", "aws", "database", "memory", "2Gi", "1Gi", 1_699_999_000_000),
    ]
    assert values(outcome, "provider") == {"aws": 2.0, "gcp": 1.0}
    assert outcome.records_skipped == 0
    assert outcome.warnings == []


async def test_it_does_not_count_equal_quantities_in_other_units_as_drift(
    reconciler, make, clock
) -> None:
    reconciler.serve_json({"worker": worker(), "drift": [
        drift("r1", "memory", "1Gi", "1024Mi"),
        drift("r2", "resources.limits.cpu", "500m", "0.5"),
        drift("r3", "storage", "10G", "10Gi"),
    ]})

    outcome = await poll(make(), clock)

    assert [(i.resource_id, i.field) for i in outcome.drift or []] == [("r3", "storage")]
    assert values(outcome, "provider") == {"aws": 1.0}
    assert outcome.records_skipped == 0


async def test_it_keeps_a_malformed_quantity_as_drift_with_a_warning(
    reconciler, make, clock
) -> None:
    reconciler.serve_json({"worker": worker(), "drift": [drift("r1", "memory", "1.5Gi", "1.5Gix")]})

    outcome = await poll(make(), clock)

    assert [(i.desired, i.actual) for i in outcome.drift or []] == [("1.5Gi", "1.5Gix")]
    assert outcome.warnings == ["resource r1 memory: actual '1.5Gix' is not a quantity"]
    assert outcome.records_skipped == 0


async def test_it_compares_fields_that_are_not_sizes_as_text(reconciler, make, clock) -> None:
    reconciler.serve_json({"worker": worker(), "drift": [drift("r1", "version", "1.0", "1")]})

    outcome = await poll(make(), clock)

    assert len(outcome.drift or []) == 1
    assert outcome.warnings == []


async def test_it_skips_and_counts_a_bad_record(reconciler, make, clock) -> None:
    reconciler.serve_json({"worker": worker(), "drift": [
        drift("r1"), {"resource_id": "r2"}, "nonsense", drift("r3", detected_at="yesterday"),
    ]})

    outcome = await poll(make(), clock)

    assert [i.resource_id for i in outcome.drift or []] == ["r1"]
    assert outcome.records_skipped == 3
    assert outcome.warnings[0] == "drift[1] skipped: provider is None, expected a non-empty string"


async def test_it_refuses_a_document_of_another_shape(reconciler, make, clock) -> None:
    reconciler.serve_json({"status": "ok"})

    with pytest.raises(SourceError) as caught:
        await poll(make(), clock)

    assert caught.value.kind is ErrorKind.BAD_SHAPE
    assert "'worker' is missing, expected an object" in str(caught.value)


async def test_it_refuses_a_worker_block_of_the_wrong_types(reconciler, make, clock) -> None:
    reconciler.serve_json({"worker": worker(consecutive_failures="many"), "drift": []})

    with pytest.raises(SourceError, match="worker: consecutive_failures is 'many'") as caught:
        await poll(make(), clock)

    assert caught.value.kind is ErrorKind.BAD_SHAPE


async def test_it_reports_bad_json_as_malformed(reconciler, make, clock) -> None:
    reconciler.body = "<html>oops</html>"

    with pytest.raises(SourceError) as caught:
        await poll(make(), clock)

    assert caught.value.kind is ErrorKind.MALFORMED


async def test_it_reports_an_http_error_and_is_down(reconciler, make, clock) -> None:
    reconciler.status = 503
    source = make()

    with pytest.raises(SourceError) as caught:
        await poll(source, clock)

    assert caught.value.status == 503
    assert len(reconciler.hits) == 2  # one retry within the poll
    state, reason = source.assess(None, caught.value, 1) or ("", "")
    assert state == "down" and "HTTP 503" in reason


async def test_it_sets_a_provider_whose_drift_ended_to_zero(reconciler, make, clock) -> None:
    source = make()
    reconciler.serve_json({"worker": worker(), "drift": [drift("r1", provider="gcp")]})
    await poll(source, clock)
    reconciler.serve_json({"worker": worker(), "drift": [drift("r2", provider="aws")]})

    outcome = await poll(source, clock)

    assert values(outcome, "provider") == {"aws": 1.0, "gcp": 0.0}


def test_it_keeps_the_first_of_a_field_reported_twice() -> None:
    report = parse_drift_document(
        {"worker": worker(), "drift": [drift("r1", actual="2"), drift("r1", actual="1")]}, "u"
    )
    assert [i.actual for i in report.items or []] == ["2"]
    assert report.counts == {"aws": 1}


@pytest.mark.parametrize(("field", "is_size"), [
    ("memory", True), ("resources.limits.cpu", True), ("storage_size", True),
    ("spec.disk", True), ("replicas", False), ("version", False), ("memory.policy", False),
])
def test_it_recognises_size_fields(field: str, is_size: bool) -> None:
    assert is_quantity_field(field) is is_size


# -- Prometheus form --------------------------------------------------------------------

METRICS = """\
# HELP reconciliation_drift_resources Resources drifting now.
# TYPE reconciliation_drift_resources gauge
reconciliation_drift_resources{provider="aws"} 3
reconciliation_drift_resources{provider="gcp"} 0
# TYPE reconciliation_cycle_duration_seconds histogram
reconciliation_cycle_duration_seconds_bucket{le="5.0"} 3
reconciliation_cycle_duration_seconds_bucket{le="+Inf"} 4
reconciliation_cycle_duration_seconds_sum 18.0
reconciliation_cycle_duration_seconds_count 4
# TYPE reconciliation_last_success_timestamp_seconds gauge
reconciliation_last_success_timestamp_seconds 1.69999916e+09
# TYPE reconciliation_errors_total counter
reconciliation_errors_total 7
"""


async def test_it_reads_the_prometheus_form(reconciler, make, clock) -> None:
    reconciler.serve_metrics(METRICS)
    source = make("prometheus")

    outcome = await poll(source, clock)

    assert outcome.drift is None
    assert values(outcome, "provider") == {"aws": 3.0, "gcp": 0.0}
    assert values(outcome, "reconciler") == {
        "last_success_ts": 1_699_999_160.0, "cycle_duration_s": 4.5, "errors": 7.0,
    }
    assert source.assess(outcome, None, 0) == ("degraded", "no successful run for 14 min")


async def test_it_reads_a_cycle_duration_gauge(reconciler, make, clock) -> None:
    reconciler.serve_metrics(
        "reconciliation_cycle_duration_seconds 2.5\nreconciliation_errors_total 0\n"
    )

    outcome = await poll(make("prometheus"), clock)

    assert values(outcome, "reconciler") == {"cycle_duration_s": 2.5, "errors": 0.0}
    assert values(outcome, "provider") == {}


async def test_it_takes_the_mean_of_a_summary(reconciler, make, clock) -> None:
    reconciler.serve_metrics(
        "# TYPE reconciliation_cycle_duration_seconds summary\n"
        'reconciliation_cycle_duration_seconds{quantile="0.99"} 30\n'
        "reconciliation_cycle_duration_seconds_sum 12\n"
        "reconciliation_cycle_duration_seconds_count 3\n"
        "reconciliation_drift_resources 4\n"
    )

    outcome = await poll(make("prometheus"), clock)

    assert values(outcome, "reconciler") == {"cycle_duration_s": 4.0}
    assert values(outcome, "provider") == {}


async def test_it_reports_garbage_metrics_as_malformed(reconciler, make, clock) -> None:
    reconciler.serve_metrics('reconciliation_drift_resources{provider="aws" 3\n')

    with pytest.raises(SourceError) as caught:
        await poll(make("prometheus"), clock)

    assert caught.value.kind is ErrorKind.MALFORMED
    assert "malformed Prometheus exposition from GET" in str(caught.value)
    assert "could not convert string to float" in str(caught.value)


async def test_it_refuses_metrics_without_reconciliation_series(reconciler, make, clock) -> None:
    reconciler.serve_metrics("process_cpu_seconds_total 12\n")

    with pytest.raises(SourceError) as caught:
        await poll(make("prometheus"), clock)

    assert caught.value.kind is ErrorKind.BAD_SHAPE


# -- assessment -------------------------------------------------------------------------


async def assessed(reconciler, make, clock, **changes: Any) -> tuple[str, str] | None:
    reconciler.serve_json({"worker": worker(**changes), "drift": []})
    source = make()
    return source.assess(await poll(source, clock), None, 0)


async def test_it_is_down_when_the_worker_says_it_is_unhealthy(reconciler, make, clock) -> None:
    assert await assessed(reconciler, make, clock, healthy=False, errors=3) == (
        "down", "worker reports unhealthy: 3 errors")


async def test_an_unhealthy_reason_never_counts_zero_errors(reconciler, make, clock) -> None:
    # "unhealthy: 0 errors" contradicted itself: only the figures that back it are named.
    assert await assessed(reconciler, make, clock, healthy=False, errors=0) == (
        "down", "worker reports unhealthy (no errors or failed cycles reported)")
    assert await assessed(reconciler, make, clock, healthy=False, errors=0,
                          consecutive_failures=2) == (
        "down", "worker reports unhealthy: 2 consecutive failed cycles")
    assert await assessed(reconciler, make, clock, healthy=False, errors=1,
                          consecutive_failures=1) == (
        "down", "worker reports unhealthy: 1 error, 1 consecutive failed cycle")


async def test_it_is_degraded_while_cycles_fail(reconciler, make, clock) -> None:
    assert await assessed(reconciler, make, clock, consecutive_failures=4) == (
        "degraded", "4 consecutive failed cycles")


async def test_it_is_degraded_when_the_last_success_is_old(reconciler, make, clock) -> None:
    assert await assessed(reconciler, make, clock, last_successful_run="2023-11-14T21:59:20Z") \
        == ("degraded", "no successful run for 14 min")


async def test_it_ages_the_last_success_by_the_clock(reconciler, make, clock) -> None:
    reconciler.serve_json({"worker": worker(last_successful_run=NOW_ISO), "drift": []})
    source = make()
    outcome = await poll(source, clock)
    assert source.assess(outcome, None, 0) == ("up", "last successful run 0 s ago")

    clock.advance(601)

    assert source.assess(outcome, None, 0) == ("degraded", "no successful run for 10 min")


async def test_it_is_up_when_healthy_without_a_last_success(reconciler, make, clock) -> None:
    assert await assessed(reconciler, make, clock, last_successful_run=None) == (
        "up", "worker reports healthy")


def test_it_has_the_names_the_collector_expects(make) -> None:
    source = make()
    assert (source.name, source.kind, source.interval_s) == ("drift:db", "drift", 15.0)
    assert source.url.endswith("/drift")
