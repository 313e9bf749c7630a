"""A client-side bound on every PostgreSQL call, also when the server hangs.

A stopped server (SIGSTOP, a frozen VM) keeps its TCP connections open: the kernel
acknowledges our packets and answers keepalives, so neither ``tcp_user_timeout`` nor
keepalives fire, and ``statement_timeout`` is enforced by the very server that is stopped.
libpq then waits in ``recv`` for ever. The only bound that holds is on our side: each
checked-out connection is armed with a deadline, and past it the watchdog shuts the
socket down, so the blocked call fails at once with a connection error (mapped to
``StorageUnavailable``) and the pool discards the connection.
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)

# Threads whose connection the watchdog cut since they last armed one.
_fired: set[int] = set()


def fired_here() -> bool:
    """True if the watchdog cut the connection this thread was using (for the message)."""
    return threading.get_ident() in _fired


def clear_here() -> None:
    """Forget an earlier cut: called as each storage call begins."""
    _fired.discard(threading.get_ident())


class Watchdog:
    """Arms connections (by key) with a deadline; one daemon thread cuts the late ones."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        # key -> (deadline, fd, owning thread, generation)
        self._armed: dict[int, tuple[float, int, int, int]] = {}
        self._heap: list[tuple[float, int, int]] = []
        self._generation = 0
        self._thread: threading.Thread | None = None

    def arm(self, key: int, fd: int, bound_s: float) -> None:
        owner = threading.get_ident()
        deadline = time.monotonic() + bound_s
        with self._cond:
            _fired.discard(owner)
            self._generation += 1
            self._armed[key] = (deadline, fd, owner, self._generation)
            heapq.heappush(self._heap, (deadline, key, self._generation))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="trio-db-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self, key: int) -> None:
        with self._cond:
            self._armed.pop(key, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _deadline, key, generation = heapq.heappop(self._heap)
                    armed = self._armed.get(key)
                    if armed is not None and armed[3] == generation:
                        del self._armed[key]
                        self._cut(armed[1], armed[2])
                timeout = self._heap[0][0] - now if self._heap else None
                self._cond.wait(timeout)

    @staticmethod
    def _cut(fd: int, owner: int) -> None:
        # Under the lock, and the connection is still armed, so ``fd`` is still its
        # socket (disarm runs before any close). A dup lets us shut it down without
        # closing the descriptor libpq owns.
        _fired.add(owner)
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError as err:
            log.warning("database watchdog could not take the socket: %s", err)
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError as err:
            log.warning("database watchdog could not cut the connection: %s", err)
        finally:
            sock.close()
        log.debug("database watchdog cut a connection past its deadline")


WATCHDOG = Watchdog()
