"""Daemon threads for the collector's blocking calls."""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from collections.abc import Callable
from typing import Any


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """Threads for database calls that never hold the process at exit.

    asyncio's default executor joins its threads when the loop closes and again at
    interpreter exit, so one call stuck in a hung driver held SIGTERM for minutes. These
    threads are daemons and ``shutdown`` does not wait for them. (A ThreadPoolExecutor
    only because asyncio's ``set_default_executor`` insists; none of its machinery runs.)
    """

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=1)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._workers = workers
        self._daemons: list[threading.Thread] = []
        self._idle = 0
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> (
        concurrent.futures.Future[Any]
    ):
        if self._closed:
            raise RuntimeError("cannot schedule new calls after shutdown")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            # Count calls queued but not yet taken: two calls submitted back to back while
            # one thread is idle need two threads, or the second waits behind the first
            # however long it runs.
            self._pending += 1
            if self._pending > self._idle and len(self._daemons) < self._workers:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"trio-db-{len(self._daemons)}")
                self._daemons.append(thread)
                thread.start()
            self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
                if item is not None:
                    self._pending -= 1
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True
        for _ in self._daemons:
            self._queue.put(None)

