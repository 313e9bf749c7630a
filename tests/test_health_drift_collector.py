"""Health targets and reconcilers through the real collector, against the simulator's fake
workers and reconciler over loopback, on SQLite and PostgreSQL. Each case asserts what a
user sees: the source's state and its reason, and recovery."""

from __future__ import annotations

import json

import pytest

import storage

# Tests of the collector's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = [pytest.mark.timeout(60), pytest.mark.sqlite_only]


def _targets(sim, **overrides) -> str:
    return json.dumps([
        {"name": name, "url": sim.worker_url(name), "interval_s": 10, "timeout_s": 1,
         "conditions": ['status == "ok"', "consecutive_failures < 10",
                        "age(last_successful_run) < 10m"],
         "degraded_latency_ms": 200, **overrides}
        for name in sim.worker_names
    ])


def _drift_sources(sim) -> str:
    name = sim.reconciler_names[0]
    return json.dumps([
        {"name": "recon", "url": sim.reconciler_url(name, "json"), "format": "json"},
        {"name": "recon-prom", "url": sim.reconciler_url(name, "prometheus"),
         "format": "prometheus"},
    ])


@pytest.fixture
async def site(sim, harness_factory):
    """A collector watching the simulator's workers and reconciler (no Trio site)."""
    h = harness_factory(sim, trio_base_url="", health_targets=_targets(sim),
                        drift_sources=_drift_sources(sim))
    await h.activate()
    await h.collector.sync_sources()
    return h


def state(h, source: str) -> tuple[str | None, str | None]:
    facts = h.store.source(source)
    return (facts.state, facts.state_reason) if facts else (None, None)


async def test_a_healthy_worker_is_up_with_its_latency_stored(site):
    await site.poll("health:worker-1")

    assert state(site, "health:worker-1")[0] == "up"
    latency = [r for r in site.store.latest("health:worker-1") if r.metric == "latency_ms"]
    assert len(latency) == 1 and latency[0].value >= 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_failing_worker_goes_down_after_two_failures_and_recovers(site, sim, status):
    await site.poll("health:worker-2")
    sim.control.worker("worker-2", mode="failing", status=status)

    await site.poll("health:worker-2")
    assert state(site, "health:worker-2")[0] == "up", "one failure pages nobody"
    await site.poll("health:worker-2")
    assert state(site, "health:worker-2") == ("down", f"HTTP {status}")

    sim.control.reset_worker("worker-2")
    site.clock.advance(60)  # past any breaker cool-down
    await site.poll("health:worker-2")
    assert state(site, "health:worker-2")[0] == "up"
    transitions = [(e.from_state, e.to_state) for e in site.store.source_events("health:worker-2")
                   if e.kind == "state"]
    assert transitions == [("down", "up"), ("up", "down"), (None, "up")]


async def test_a_lying_worker_is_down_with_the_condition_that_failed(site, sim):
    sim.control.worker("worker-3", mode="lying")
    for _ in range(2):
        await site.poll("health:worker-3")

    status, reason = state(site, "health:worker-3")
    assert status == "down"
    assert 'status = "error" (expected == "ok")' in (reason or "")
    assert "consecutive_failures = 12" in (reason or "")


async def test_a_worker_whose_last_run_is_old_is_down(site, sim):
    sim.control.worker("worker-1", body={"last_successful_run": "2020-01-01T00:00:00Z"})
    for _ in range(2):
        await site.poll("health:worker-1")
    assert "last_successful_run is" in (state(site, "health:worker-1")[1] or "")


async def test_a_hung_worker_times_out(site, sim):
    sim.control.worker("worker-4", mode="hang")
    for _ in range(2):
        await site.poll("health:worker-4")
    assert state(site, "health:worker-4") == ("down", "timeout after 1.0 s")


@pytest.mark.parametrize(("kind", "params", "reason"), [
    ("malformed", {}, "not JSON"),
    ("huge", {"megabytes": 20}, "over the limit"),
    ("reset", {}, "closed"),
])
async def test_a_worker_fault_is_down_with_its_reason(site, sim, kind, params, reason):
    sim.control.inject("workers", kind, **params)
    for _ in range(2):
        await site.poll("health:worker-1")
    status, why = state(site, "health:worker-1")
    assert status == "down" and reason in (why or ""), why


async def test_a_reconciler_drift_starts_and_is_reconciled_with_its_duration(site, sim):
    name = sim.reconciler_names[0]
    sim.control.clear_reconciler_drift(name)
    sim.control.reconciler(name, drift=[{"resource_id": "db-test", "provider": "aws",
                                         "kind": "database", "field": "memory",
                                         "desired": "4Gi", "actual": "2Gi"}])
    await site.poll("drift:recon")

    drifting = storage.DriftStore(site.engine).current("drift:recon")
    assert any((r.resource_id, r.desired, r.actual) == ("db-test", "4Gi", "2Gi") for r in drifting)
    assert state(site, "drift:recon")[0] in ("up", "degraded")

    sim.control.clear_reconciler_drift(name)
    site.clock.advance(120)
    await site.poll("drift:recon")
    events = [e for e in storage.DriftStore(site.engine).events("drift:recon")
              if e.resource_id == "db-test"]
    assert [e.event for e in events] == ["reconciled", "started"]
    assert events[0].duration_ms is not None and events[0].duration_ms > 0


async def test_the_prometheus_form_stores_drift_counts_per_provider(site):
    await site.poll("drift:recon-prom")

    counts = {r.entity_id for r in site.store.latest("drift:recon-prom")
              if r.metric == "drift_count"}
    assert {"aws", "gcp", "azure"} <= counts
    assert state(site, "drift:recon-prom")[0] in ("up", "degraded")


async def test_a_reconciler_answering_garbage_is_down_and_recovers(site, sim):
    name = sim.reconciler_names[0]
    sim.control.reconciler(name, mode="garbage")
    await site.poll("drift:recon")
    assert state(site, "drift:recon")[0] == "down"

    sim.control.reset_reconciler(name)
    site.clock.advance(60)
    await site.poll("drift:recon")
    assert state(site, "drift:recon")[0] in ("up", "degraded")


async def test_an_unhealthy_reconciler_is_down_with_its_errors(site, sim):
    name = sim.reconciler_names[0]
    sim.control.reconciler(name, healthy=False, errors=3)
    await site.poll("drift:recon")
    assert state(site, "drift:recon") == ("down", "worker reports unhealthy: 3 errors")


async def test_targets_added_and_removed_in_the_database_are_picked_up(site, sim):
    targets = storage.HealthTargetStore(site.engine)
    targets.create({"name": "extra", "url": sim.worker_url("worker-1"), "interval_s": 10.0,
                    "timeout_s": 1.0, "expected_status": "2xx", "conditions": (),
                    "degraded_latency_ms": None, "down_after": 2, "enabled": True,
                    "from_config": False}, now_ms=0)

    await site.collector.sync_sources()
    await site.poll("health:extra")
    assert state(site, "health:extra")[0] == "up"

    targets.delete("extra")
    await site.collector.sync_sources()
    assert "health:extra" not in site.collector._runtimes


@pytest.mark.parametrize(("kind", "params", "reason"), [
    ("status", {"status": 503}, "HTTP 503"),
    ("status", {"status": 500}, "HTTP 500"),
    ("malformed", {}, "JSON"),
    ("huge", {"megabytes": 20}, "over the limit"),
    ("reset", {}, "closed"),
    ("hang", {}, "within"),
])
async def test_a_reconciler_fault_is_down_with_its_reason_and_recovers(
    site, sim, kind, params, reason
):
    await site.poll("drift:recon")
    drifting_before = storage.DriftStore(site.engine).current("drift:recon")
    sim.control.inject("reconcilers", kind, **params)

    await site.poll("drift:recon")

    status, why = state(site, "drift:recon")
    assert status == "down" and reason in (why or ""), why
    assert storage.DriftStore(site.engine).current("drift:recon") == drifting_before, (
        "a failed poll leaves the stored drift alone")

    sim.control.clear()
    site.clock.advance(60)
    await site.poll("drift:recon")
    assert state(site, "drift:recon")[0] in ("up", "degraded")
