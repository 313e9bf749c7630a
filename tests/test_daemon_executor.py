"""The collector's database threads: a call that blocks never holds up a call behind it
while threads remain, and the threads never hold the process at exit."""

from __future__ import annotations

import threading

from collectors.runner import DaemonExecutor


def test_it_runs_a_second_call_while_the_first_blocks_even_when_submitted_back_to_back():
    executor = DaemonExecutor(4)
    release = threading.Event()
    try:
        # One thread idle first, so both calls below arrive while it looks free.
        executor.submit(lambda: None).result(timeout=5)
        blocked = executor.submit(release.wait, 30)
        second = executor.submit(lambda: "done")
        assert second.result(timeout=10) == "done"
        assert not blocked.done()
    finally:
        release.set()
        executor.shutdown()


def test_it_never_runs_more_threads_than_its_bound():
    executor = DaemonExecutor(2)
    release = threading.Event()
    started = threading.Semaphore(0)

    def hold() -> None:
        started.release()
        release.wait(30)

    try:
        futures = [executor.submit(hold) for _ in range(3)]
        assert started.acquire(timeout=10) and started.acquire(timeout=10)
        assert not started.acquire(timeout=0.2), "a third thread started past the bound"
        release.set()
        for future in futures:
            future.result(timeout=10)
        assert len(executor._daemons) == 2
    finally:
        release.set()
        executor.shutdown()


def test_its_threads_are_daemons():
    executor = DaemonExecutor(1)
    try:
        assert executor.submit(lambda: threading.current_thread().daemon).result(timeout=5)
    finally:
        executor.shutdown()
