"""The simulator's fake workers and reconcilers over real HTTP on loopback."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from simulator import RunningSimulator, SimulatorConfig

Factory = Callable[..., RunningSimulator]
START = 1_710_234_000.0  # 2024-03-12T09:00:00Z
PROVIDERS = ("aws", "gcp", "azure")


class ManualClock:
    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:  # as collectors.clock.ManualClock, for the sim fixtures
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def epoch(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


# The test's own quantity reading, independent of the simulator's.
_SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20,
           "Gi": 2**30, "Ti": 2**40}  # fmt: skip


def same_quantity(a: str, b: str) -> bool:
    ma, mb = (re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", x) for x in (a, b))
    if ma is None or mb is None or ma[2] not in _SUFFIX or mb[2] not in _SUFFIX:
        return False
    return math.isclose(float(ma[1]) * _SUFFIX[ma[2]], float(mb[1]) * _SUFFIX[mb[2]])


def counted_from_json(status: dict[str, Any]) -> dict[str, int]:
    """Resources per provider with a drift that is not a mere change of units."""
    ids: dict[str, set[str]] = {p: set() for p in PROVIDERS}
    for d in status["drift"]:
        ids.setdefault(d["provider"], set())
        if not same_quantity(d["desired"], d["actual"]):
            ids[d["provider"]].add(d["resource_id"])
    return {p: len(v) for p, v in ids.items()}


_SAMPLE = re.compile(r'^([a-z_]+)(?:\{provider="([^"]*)"\})? (\S+)$')


def parse_metrics(text: str) -> tuple[dict[str, float], dict[str, int], dict[str, str]]:
    """(plain samples, drift per provider, TYPE per metric); raises on a foreign line."""
    samples: dict[str, float] = {}
    drift: dict[str, int] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("# HELP "):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise ValueError(f"not an exposition line: {line!r}")
        name, provider, value = match.groups()
        if provider is not None:
            drift[provider] = int(float(value))
        else:
            samples[name] = float(value)
    return samples, drift, types


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fleet(sim_factory: Factory, clock: ManualClock) -> RunningSimulator:
    return sim_factory(clock=clock, warmup_s=60)


@pytest.fixture
def http() -> httpx.Client:
    with httpx.Client(timeout=5) as client:
        yield client


# -- workers ----------------------------------------------------------------------------


def test_workers_are_named_and_healthy_by_default(fleet, http, clock):
    assert fleet.worker_names == ("worker-1", "worker-2", "worker-3", "worker-4")
    assert fleet.worker_url("worker-1").startswith(fleet.primary_url.removesuffix("/te/api"))

    response = http.get(fleet.worker_url("worker-3"))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["consecutive_failures"] == 0
    assert body["version"] == "1.4.2"
    assert 0 <= clock.now - epoch(body["last_successful_run"]) < 60


def test_named_workers_and_unknown_names(sim_factory, http):
    running = sim_factory(worker_names=("alpha", "beta"), reconcilers=0, warmup_s=60)
    origin = running.primary_url.removesuffix("/te/api")

    assert running.worker_names == ("alpha", "beta")
    assert running.reconciler_names == ()
    assert http.get(f"{origin}/workers/alpha/health").status_code == 200
    assert http.get(f"{origin}/workers/worker-1/health").status_code == 404
    assert http.post(f"{running.control_url}/workers/gamma", json={}).status_code == 404
    with pytest.raises(KeyError):
        running.worker_url("gamma")
    # Served by the primary only.
    secondary = running.secondary_url.removesuffix("/te/api")
    assert http.get(f"{secondary}/workers/alpha/health").status_code == 404


def test_slow_worker_answers_late(fleet, http):
    fleet.control.worker("worker-1", mode="slow", latency_s=0.3)
    started = time.monotonic()
    response = http.get(fleet.worker_url("worker-1"))
    assert time.monotonic() - started >= 0.3
    assert response.json()["status"] == "ok"

    fleet.control.worker("worker-1", mode="slow")  # default: 2 s
    with pytest.raises(httpx.ReadTimeout):
        http.get(fleet.worker_url("worker-1"), timeout=0.5)


def test_failing_worker_answers_its_status(fleet, http):
    fleet.control.worker("worker-2", mode="failing")
    assert http.get(fleet.worker_url("worker-2")).status_code == 503

    fleet.control.worker("worker-2", mode="failing", status=500)
    response = http.get(fleet.worker_url("worker-2"))
    assert response.status_code == 500
    assert response.json()["status"] == "error"
    # The others are untouched.
    assert http.get(fleet.worker_url("worker-1")).status_code == 200


def test_lying_worker_says_200_but_reports_errors(fleet, http):
    fleet.control.worker("worker-3", mode="lying")

    response = http.get(fleet.worker_url("worker-3"))

    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert response.json()["consecutive_failures"] == 12


def test_hanging_worker_never_answers_and_releases_on_disconnect(fleet, http):
    fleet.control.worker("worker-4", mode="hang")
    for _ in range(2):
        with pytest.raises(httpx.ReadTimeout):
            http.get(fleet.worker_url("worker-4"), timeout=0.3)

    fleet.control.reset_worker("worker-4")
    assert http.get(fleet.worker_url("worker-4")).status_code == 200


def test_body_override_merges_and_reset_restores(fleet, http, clock):
    old = "2024-03-11T09:00:00Z"
    fleet.control.worker("worker-1", body={"last_successful_run": old, "extra": [1]})

    body = http.get(fleet.worker_url("worker-1")).json()
    assert body["last_successful_run"] == old
    assert body["extra"] == [1]
    assert body["status"] == "ok"

    fleet.control.reset_worker("worker-1")
    body = http.get(fleet.worker_url("worker-1")).json()
    assert "extra" not in body
    assert clock.now - epoch(body["last_successful_run"]) < 60


def test_worker_control_validates(fleet, http):
    url = f"{fleet.control_url}/workers/worker-1"
    for bad in ({"mode": "sleepy"}, {"latency_s": -1}, {"status": 42}, {"body": [1]},
                {"colour": "red"}):  # fmt: skip
        assert http.post(url, json=bad).status_code == 400, bad
    assert http.post(url, content=b"{nope").status_code == 400
    assert http.get(f"{fleet.control_url}/workers").json()["worker-1"]["mode"] == "healthy"


def test_fault_injection_applies_to_workers(fleet, http):
    fleet.control.inject("workers", "status", count=2, status=502)

    statuses = [http.get(fleet.worker_url(name)).status_code for name in fleet.worker_names]

    assert statuses == [502, 502, 200, 200]
    assert fleet.control.stats()["by_resource"]["workers"] == 4


def test_malformed_fault_on_prometheus_keeps_its_content_type(fleet, http):
    fleet.control.inject("reconcilers", "malformed", count=1)

    response = http.get(fleet.reconciler_url("reconciler-1", "prometheus"))

    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert len(response.text) < len(http.get(response.url).text)


# -- reconcilers ------------------------------------------------------------------------


def test_json_and_prometheus_forms_agree(fleet, http, clock):
    name = fleet.reconciler_names[0]
    assert name == "reconciler-1"
    for _ in range(40):
        status = http.get(fleet.reconciler_url(name)).json()
        metrics = http.get(fleet.reconciler_url(name, "prometheus"))
        samples, drift, types = parse_metrics(metrics.text)

        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert drift == counted_from_json(status)
        assert set(drift) == set(PROVIDERS)
        worker = status["worker"]
        assert worker["resources_processed"] == 12
        assert samples["reconciliation_cycle_duration_seconds"] == worker["cycle_duration_seconds"]
        assert samples["reconciliation_last_success_timestamp_seconds"] == epoch(
            worker["last_successful_run"]
        )
        assert samples["reconciliation_errors_total"] == worker["errors"] == 0
        assert types["reconciliation_errors_total"] == "counter"
        assert types["reconciliation_cycle_duration_seconds"] == "gauge"
        for d in status["drift"]:
            assert d["provider"] in PROVIDERS and d["kind"] == "database"
            assert d["desired"] != d["actual"]
            assert epoch(d["detected_at"]) <= clock.now
        clock.advance(7 * 60)


def test_drift_comes_and_goes_with_the_clock(fleet, http, clock):
    url = fleet.reconciler_url("reconciler-1")
    seen: dict[tuple[str, str, str], list[float]] = {}
    equivalent_units = 0
    for _ in range(12 * 12):  # 12 hours in 5-minute steps
        for d in http.get(url).json()["drift"]:
            key = (d["resource_id"], d["field"], d["detected_at"])
            seen.setdefault(key, []).append(clock.now)
            equivalent_units += same_quantity(d["desired"], d["actual"])
        clock.advance(300)

    last = clock.now - 300
    ended = [times for times in seen.values() if times[-1] < last]
    durations = [times[-1] - times[0] for times in ended]
    assert len(seen) >= 10  # new drift keeps starting
    assert len(ended) >= 8  # and gets reconciled
    assert max(durations) >= 5 * 60  # it lasts minutes, not one look
    assert equivalent_units > 0  # "2Gi" vs "2048Mi" shows up now and then


def test_same_seed_same_drift(sim_factory, http):
    def drift() -> list[dict[str, Any]]:
        running = sim_factory(clock=ManualClock(), warmup_s=60)
        return http.get(running.reconciler_url("reconciler-1")).json()["drift"]

    assert drift() == drift()


def test_forced_drift_appears_and_clears(fleet, http, clock):
    url_json = fleet.reconciler_url("reconciler-1")
    url_prom = fleet.reconciler_url("reconciler-1", "prometheus")
    before = parse_metrics(http.get(url_prom).text)[1]
    forced = [
        {"resource_id": "db-x", "provider": "aws", "kind": "database", "field": "memory",
         "desired": "2Gi", "actual": "1Gi"},
        {"resource_id": "db-y", "provider": "gcp", "kind": "database", "field": "memory",
         "desired": "1Gi", "actual": "1024Mi"},
        {"resource_id": "vm-z", "provider": "oci", "kind": "vm", "field": "cpu",
         "desired": "2", "actual": "1"},
    ]  # fmt: skip

    fleet.control.reconciler("reconciler-1", drift=forced)
    fleet.control.reconciler("reconciler-1", malformed_quantity=True)

    status = http.get(url_json).json()
    items = {(d["resource_id"], d["field"]): d for d in status["drift"]}
    assert items["db-x", "memory"]["actual"] == "1Gi"
    assert epoch(items["db-x", "memory"]["detected_at"]) == clock.now
    assert any(d["actual"] == "1,5Gi" for d in status["drift"])
    after = parse_metrics(http.get(url_prom).text)[1]
    assert after == counted_from_json(status)  # the malformed one counts as drift in both
    assert after["gcp"] == before["gcp"]  # 1Gi vs 1024Mi is not drift
    assert after["oci"] == 1

    # Forced drift stays while the model moves on.
    clock.advance(3600)
    assert ("db-x", "memory") in {
        (d["resource_id"], d["field"]) for d in http.get(url_json).json()["drift"]
    }

    fleet.control.clear_reconciler_drift("reconciler-1")
    status = http.get(url_json).json()
    assert not {d["resource_id"] for d in status["drift"]} & {"db-x", "db-y", "vm-z"}
    assert all(d["actual"] != "1,5Gi" for d in status["drift"])


def test_reconciler_worker_overrides_and_reset(fleet, http, clock):
    fleet.control.reconciler(
        "reconciler-1", healthy=False, consecutive_failures=3, last_success_age_s=900
    )

    worker = http.get(fleet.reconciler_url("reconciler-1")).json()["worker"]
    samples = parse_metrics(http.get(fleet.reconciler_url("reconciler-1", "prometheus")).text)[0]
    assert worker["healthy"] is False
    assert worker["consecutive_failures"] == 3
    assert epoch(worker["last_successful_run"]) == clock.now - 900
    assert samples["reconciliation_last_success_timestamp_seconds"] == clock.now - 900
    assert samples["reconciliation_healthy"] == 0
    assert samples["reconciliation_consecutive_failures"] == 3

    fleet.control.reset_reconciler("reconciler-1")
    worker = http.get(fleet.reconciler_url("reconciler-1")).json()["worker"]
    assert worker["healthy"] is True
    assert worker["consecutive_failures"] == 0
    assert clock.now - epoch(worker["last_successful_run"]) < 60


def test_reconciler_failing_hang_and_garbage_modes(fleet, http):
    name = "reconciler-1"
    urls = (fleet.reconciler_url(name), fleet.reconciler_url(name, "prometheus"))

    fleet.control.reconciler(name, mode="failing")
    assert [http.get(url).status_code for url in urls] == [503, 503]

    fleet.control.reconciler(name, mode="garbage")
    garbage_json, garbage_text = (http.get(url) for url in urls)
    assert garbage_json.status_code == garbage_text.status_code == 200
    assert garbage_json.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(garbage_json.text)
    assert garbage_text.headers["content-type"].startswith("text/plain; version=0.0.4")
    with pytest.raises(ValueError, match="not an exposition line"):
        parse_metrics(garbage_text.text)

    fleet.control.reconciler(name, mode="hang")
    with pytest.raises(httpx.ReadTimeout):
        http.get(urls[0], timeout=0.3)

    fleet.control.reset_reconciler(name)
    assert [http.get(url).status_code for url in urls] == [200, 200]


def test_reconciler_control_validates(fleet, http):
    url = f"{fleet.control_url}/reconcilers/reconciler-1"
    for bad in ({"mode": "sleepy"}, {"healthy": "no"}, {"consecutive_failures": -1},
                {"drift": [{"resource_id": "x"}]}, {"drift": "x"}, {"colour": 1}):  # fmt: skip
        assert http.post(url, json=bad).status_code == 400, bad
    assert http.post(f"{fleet.control_url}/reconcilers/nope", json={}).status_code == 404
    assert http.get(fleet.reconciler_url("reconciler-1")).json()["worker"]["healthy"] is True
    with pytest.raises(ValueError):
        fleet.reconciler_url("reconciler-1", "xml")


def test_config_rejects_bad_fleet_names():
    with pytest.raises(ValueError):
        SimulatorConfig(worker_names=("a b",))
    with pytest.raises(ValueError):
        SimulatorConfig(reconciler_names=("r", "r"))
    with pytest.raises(ValueError):
        SimulatorConfig(workers=-1)


def test_command_line_prints_worker_and_reconciler_urls():
    with subprocess.Popen(
        [sys.executable, "-m", "simulator", "--queues", "2", "--agents", "2",
         "--workers", "2", "--reconcilers", "1"],
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ) as process:  # fmt: skip
        try:
            assert process.stdout is not None
            lines = []
            while not (line := process.stdout.readline()).startswith("Press Ctrl+C"):
                assert line, "the simulator exited early"
                lines.append(line.rstrip("\n"))
            urls = [line.split()[-1] for line in lines[6:]]
            with httpx.Client(timeout=5) as client:
                statuses = [client.get(url).status_code for url in urls]
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()

    assert [u.rsplit("/", 2)[-2:] for u in urls] == [
        ["worker-1", "health"], ["worker-2", "health"],
        ["reconciler-1", "status"], ["reconciler-1", "metrics"],
    ]  # fmt: skip
    assert statuses == [200, 200, 200, 200]
    assert code == 0


def test_it_refuses_a_control_body_that_is_not_a_json_object(sim):
    with httpx.Client(base_url=sim.control_url, timeout=5) as client:
        not_json = client.post("/faults", content=b"{resource: hang")
        assert (not_json.status_code, not_json.json()) == (
            400, {"message": "the body must be JSON"})
        a_list = client.post("/workers/worker-1", json=[1, 2])
        assert a_list.status_code == 400 and "JSON object" in a_list.json()["message"]
        # A worker driven with no body at all goes back to its defaults.
        assert client.post("/workers/worker-1").status_code == 200
