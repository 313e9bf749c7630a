"""Two real collector processes: one active, one standby; kill -9 and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO

import pytest

import storage
from collectors.runner import LEASE_NAME
from tests.fixtures.waits import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

LEASE_TTL_S = 5.0  # long enough that a loaded machine renews in time; takeover stays bounded


@pytest.fixture
def spawn(tmp_path, sim, db_url) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []
    env = {
        **os.environ,
        "TRIO_MONITOR_DATABASE_URL": db_url,
        "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
        "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
        "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
        "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
        "TRIO_MONITOR_LEASE_TTL_S": str(LEASE_TTL_S),
        "TRIO_MONITOR_POLL_INTERVAL_S": "0.5",
        "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": "5",
        "TRIO_MONITOR_LOG_FORMAT": "json",
    }

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"collector-{len(procs)}.log", "wb")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "trio_monitor", "collect"],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    for log in logs:
        log.close()


def holder_pid(store: storage.Store) -> int | None:
    lease = store.read_lease(LEASE_NAME)
    if lease is None or lease.expires_at_ms <= time.time() * 1000:
        return None
    return int(lease.holder.rsplit(":", 1)[1])


def lease_expiry(store: storage.Store) -> int:
    lease = store.read_lease(LEASE_NAME)
    return 0 if lease is None else lease.expires_at_ms


def newest_sample_ms(store: storage.Store) -> int:
    return max((row.ts_ms for row in store.latest()), default=0)


def test_the_standby_takes_over_after_kill_9_and_sigterm_exits_cleanly(spawn, db_url):
    engine = storage.make_engine(db_url)
    store = storage.Store(engine)
    try:
        first = spawn()
        wait_until(lambda: holder_pid(store) == first.pid, 20, "first collector active")
        second = spawn()
        wait_until(lambda: newest_sample_ms(store) > 0, 20, "samples written")
        # The standby must stay standby while the lease is renewed: past the expiry of the
        # lease it saw at its start (the processes keep real time), the first still holds it.
        seen = store.read_lease(LEASE_NAME)
        assert seen is not None
        wait_until(lambda: time.time() * 1000 > seen.expires_at_ms and lease_expiry(store)
                   > seen.expires_at_ms, 4 * LEASE_TTL_S, "the lease renewed past its expiry")
        assert holder_pid(store) == first.pid

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=5)
        killed_at_ms = time.time() * 1000
        wait_until(
            lambda: holder_pid(store) == second.pid, 2 * LEASE_TTL_S + 1,
            "standby took over within two lease periods",
        )
        wait_until(lambda: newest_sample_ms(store) > killed_at_ms, 10, "standby writes")

        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0
        lease = store.read_lease(LEASE_NAME)
        assert lease is not None and lease.expires_at_ms <= time.time() * 1000
    finally:
        engine.dispose()
