"""Real `collect` processes through database faults (issue 10, section 4): a hung
PostgreSQL (a throwaway cluster stopped with SIGSTOP), a long SQLite lock, and a
takeover by a standby during an outage longer than the lease.

What a user sees: polling goes on through the fault (no gap in the stored samples once
the database is back), the buffer reaches the database, SIGTERM ends the process within
SHUTDOWN_TIMEOUT_S with a non-zero status when samples were lost, and the log says so.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy.engine import make_url

import storage
from collectors.runner import LEASE_NAME
from tests.fixtures.live import wait_until
from tests.fixtures.pgcluster import PgCluster, pg_cluster  # noqa: F401 - fixture
from trio_monitor.collect import EXIT_SAMPLES_LOST

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

POLL_S = 0.5
LEASE_TTL_S = 3.0
SHUTDOWN_S = 4.0
# Process teardown after the collector's own bound: interpreter exit, log flush.
EXIT_SLACK_S = 1.5


class Proc:
    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def messages(self) -> list[str]:
        return [entry.get("msg", "") for entry in self.lines()]

    def count(self, text: str) -> int:
        return sum(text in m for m in self.messages())

    def terminate_timed(self) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=SHUTDOWN_S + 20)
        return code, time.monotonic() - started


@pytest.fixture
def spawn(tmp_path, sim) -> Iterator[Callable[..., Proc]]:
    procs: list[Proc] = []
    logs: list[IO[bytes]] = []

    def start(db_url: str, **env_extra: str) -> Proc:
        env = {
            **os.environ,
            "TRIO_MONITOR_DATA_DIR": str(tmp_path),
            "TRIO_MONITOR_DATABASE_URL": db_url,
            "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
            "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
            "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
            "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
            "TRIO_MONITOR_TRIO_COLLECT_AGENTS": "false",
            "TRIO_MONITOR_LEASE_TTL_S": str(LEASE_TTL_S),
            "TRIO_MONITOR_POLL_INTERVAL_S": str(POLL_S),
            "TRIO_MONITOR_POLL_DEADLINE_S": "0.4",
            "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": str(SHUTDOWN_S),
            "TRIO_MONITOR_DB_BUSY_TIMEOUT_S": "1",
            "TRIO_MONITOR_LOG_FORMAT": "json",
            # The tests count "poll ok" lines, which a successful poll logs at DEBUG.
            "TRIO_MONITOR_LOG_LEVEL": "DEBUG",
            **env_extra,
        }
        path = tmp_path / f"collector-{len(procs)}.log"
        log = open(path, "wb")
        logs.append(log)
        proc = subprocess.Popen([sys.executable, "-m", "trio_monitor", "collect"], env=env,
                                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        made = Proc(proc, path)
        procs.append(made)
        return made

    yield start
    for made in procs:
        if made.proc.poll() is None:
            made.proc.kill()
        made.proc.wait(timeout=10)
    for log in logs:
        log.close()


def sample_times(url: str) -> list[int]:
    """Distinct sample timestamps of the Trio source, oldest first."""
    engine = storage.make_engine(url, connect_timeout_s=2)
    try:
        store = storage.Store(engine)
        first = next(s for s in store.series("trio"))
        return [ts for ts, _ in store.samples(first.id, 0, 2**62)]
    except StopIteration:
        return []
    finally:
        engine.dispose()


def covered(times: list[int], from_ms: int, to_ms: int) -> int:
    return sum(from_ms <= ts < to_ms for ts in times)


def all_stored(url: str, made: int, from_ms: int, to_ms: int) -> bool:
    """Every poll the collector made during a fault (counted from its own log after the
    fault began) is stored once it is over: all of them but the one that may have been in
    flight as the fault began (its time is before ``from_ms``). Counted from the log, not
    from the wall clock: a loaded machine makes fewer polls, and losing none is the point."""
    return covered(sample_times(url), from_ms, to_ms) >= made - 1


def now_ms() -> int:
    return int(time.time() * 1000)


def test_it_polls_through_a_hung_postgres_and_exits_in_bounds_on_sigterm(
    spawn, pg_cluster: PgCluster  # noqa: F811
):
    collector = spawn(pg_cluster.url)
    wait_until(lambda: len(sample_times(pg_cluster.url)) >= 2, 30, "samples stored")

    pg_cluster.hang()
    hung_at = now_ms()
    polls_before = collector.count("poll ok")
    wait_until(lambda: collector.count("poll ok") >= polls_before + 8, 15,
               "polls go on while PostgreSQL is stopped")
    made = collector.count("poll ok") - polls_before
    pg_cluster.resume()
    resumed_at = now_ms()
    wait_until(lambda: all_stored(pg_cluster.url, made, hung_at, resumed_at), 30,
               f"the {made} polls of the hang are stored once PostgreSQL answers")
    assert collector.count("another collector") == 0
    assert collector.count("database unavailable") == 1, "one line when the outage starts"
    assert collector.count("database back after") == 1, "one line when it ends"

    pg_cluster.hang()
    wait_until(lambda: collector.count("database unavailable") == 2, 15,
               "the second hang is noticed")
    code, took = collector.terminate_timed()
    pg_cluster.resume()

    assert took <= SHUTDOWN_S + EXIT_SLACK_S, f"SIGTERM took {took:.1f} s"
    assert code == EXIT_SAMPLES_LOST
    assert any("sample(s) lost" in m for m in collector.messages())


def test_it_polls_through_a_long_sqlite_lock_and_stores_every_poll(spawn, tmp_path):
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    engine.dispose()
    collector = spawn(url)
    wait_until(lambda: len(sample_times(url)) >= 2, 30, "samples stored")

    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    locked_at = now_ms()
    polls_before = collector.count("poll ok")
    try:
        # Four busy timeouts, longer than the lease too.
        wait_until(lambda: collector.count("poll ok") >= polls_before + 8, 15,
                   "polls go on while the database is locked")
        wait_until(lambda: now_ms() - locked_at > LEASE_TTL_S * 1000 + 500, 10, "lease lapsed")
        shown = subprocess.run(
            [sys.executable, "-m", "trio_monitor", "status"], capture_output=True, text=True,
            timeout=60, cwd=tmp_path,
            env={**os.environ, "TRIO_MONITOR_DATA_DIR": str(tmp_path),
                 "TRIO_MONITOR_DATABASE_URL": url}).stdout
        assert "storage: failing since " in shown and "locked" in shown, shown
    finally:
        made = collector.count("poll ok") - polls_before
        locker.execute("ROLLBACK")
        locker.close()
    released_at = now_ms()

    wait_until(lambda: all_stored(url, made, locked_at, released_at), 30,
               f"every one of the {made} polls of the lock is stored after it")
    assert collector.count("another collector") == 0
    assert collector.count("database unavailable") == 1

    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        wait_until(lambda: collector.count("database unavailable") == 2, 15, "locked again")
        code, took = collector.terminate_timed()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert took <= SHUTDOWN_S + EXIT_SLACK_S, f"SIGTERM took {took:.1f} s"
    assert code == EXIT_SAMPLES_LOST
    assert any("sample(s) lost" in m for m in collector.messages())


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs of our own: a real file system to fill up. (Linux refuses to
    remount it read-only while the collector holds the file open for writing: the
    read-only case is in test_runner_db_faults.py, through SQLite's own refusal.)"""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        message = f"cannot mount a tmpfs (needs root): {done.stderr.strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def _fill(folder: Path) -> Path:
    """Fill the file system to the last byte: with whole 64 KiB blocks only, up to 64 KiB
    stay free, and a later small write (a page of a retried flush) would fit after all."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError:
                continue  # ENOSPC at this size: go on with a smaller one
    return filler


def test_a_full_file_system_is_a_storage_error_and_sigterm_reports_the_loss(
    spawn, small_fs
):
    url = f"sqlite:///{small_fs / 'trio.db'}"
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    engine.dispose()
    collector = spawn(url)
    wait_until(lambda: len(sample_times(url)) >= 2, 30, "samples stored")

    def break_fs() -> Path:
        return _fill(small_fs)

    def mend(filler: Path) -> None:
        filler.unlink()

    filler = break_fs()
    broken_at = now_ms()
    polls_before = collector.count("poll ok")
    wait_until(lambda: collector.count("database refuses writes") == 1, 20,
               "the refused write is logged as a storage error")
    wait_until(lambda: collector.count("poll ok") >= polls_before + 8, 15,
               "polls go on into the buffer")
    made = collector.count("poll ok") - polls_before
    mend(filler)
    mended_at = now_ms()
    wait_until(lambda: all_stored(url, made, broken_at, mended_at), 30,
               f"the {made} buffered polls are stored once the file system takes writes")
    assert collector.count("another collector") == 0 and collector.count("dropping") == 0

    filler = break_fs()
    broken_again_at = now_ms()
    polls_before = collector.count("poll ok")
    try:
        wait_until(lambda: collector.count("database refuses writes") == 2, 20, "broken again")
        wait_until(lambda: collector.count("poll ok") >= polls_before + 2, 15,
                   "polls go on into the buffer again")
        polled = collector.count("poll ok") - polls_before
        code, took = collector.terminate_timed()
    finally:
        mend(filler)
    assert took <= SHUTDOWN_S + EXIT_SLACK_S, f"SIGTERM took {took:.1f} s"
    lost = any("sample(s) lost" in m for m in collector.messages())
    if code == 0:
        # SQLite could still write into pages its files already had (a WAL reused from its
        # start needs no new block): then nothing may be missing and nothing reported lost.
        assert not lost
        assert covered(sample_times(url), broken_again_at, now_ms()) >= polled - 1
    else:
        assert code == EXIT_SAMPLES_LOST and lost


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_samples_buffered_through_an_outage_longer_than_the_lease_are_written_after_a_takeover(
    spawn, db_url, tcp_proxy
):
    url = make_url(db_url)
    proxy = tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    first = spawn(proxied)
    wait_until(lambda: len(sample_times(db_url)) >= 2, 30, "first collector writes")
    second = spawn(db_url)  # standby, with its own path to the database
    wait_until(lambda: second.count("standby") >= 1, 30, "second collector on standby")

    proxy.cut()  # only the first collector loses the database
    cut_at = now_ms()

    def taken_over() -> storage.LeaseInfo | None:
        engine = storage.make_engine(db_url)
        try:
            lease = storage.Store(engine).read_lease(LEASE_NAME)
        finally:
            engine.dispose()
        holder = lease.holder.rsplit(":", 1)[1] if lease else None
        return lease if holder == str(second.proc.pid) else None

    wait_until(taken_over, 3 * LEASE_TTL_S + 5, "the standby takes over")
    lease = taken_over()
    assert lease is not None
    proxy.restore()

    wait_until(lambda: first.count("standby") >= 1 or first.count("going to standby") >= 1,
               30, "the first collector learns of the takeover")
    wait_until(lambda: first.count("before another collector took over") >= 1, 30,
               "its buffered samples are written")
    times = sample_times(db_url)
    expected = (lease.acquired_at_ms - cut_at) / 1000 / POLL_S
    assert covered(times, cut_at, lease.acquired_at_ms) >= expected - 2, (
        "the outage's samples from before the takeover are stored")
    assert first.count("dropping") == 0

    code, took = first.terminate_timed()
    assert code == 0, "nothing was lost"
    assert took <= SHUTDOWN_S + EXIT_SLACK_S
    code, took = second.terminate_timed()
    assert code == 0 and took <= SHUTDOWN_S + EXIT_SLACK_S
