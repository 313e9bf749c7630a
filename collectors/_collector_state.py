"""The collector's state and what every part of it shares: configuration, what it knows
of each source, the database's outage and the tally of losses, and how a lease job is run.

``collectors.runner.Collector`` is built in layers, each a module: this state, the
writer that drains the buffer (``_writer``), one poll (``_polling``), the scheduler
(``_scheduling``), the lease keeper (``_lease``), and the process's life (``runner``).
Each layer uses only those below it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from specs.clock import now_ms
from specs.collector_status import StorageStatus, read_status, write_status
from specs.lease import COLLECTOR_LEASE
from storage import (
    EventTuple,
    LeaseLost,
    PollWrite,
    Sample,
    StorageUnavailable,
    StorageWriteFailed,
    Store,
)

from .base import Source
from .breaker import BreakerState, CircuitBreaker
from .buffer import WriteBuffer
from .clock import Clock, SystemClock
from .outage import Loss, OutageLog

if TYPE_CHECKING:
    from .metrics import PollObserver

# Every part of the collector logs as "collectors.runner": operators filter on one name.
log = logging.getLogger("collectors.runner")

LEASE_NAME = COLLECTOR_LEASE
FLUSH_CHUNK = 50  # polls per transaction when the buffer is written after an outage
# Samples per write transaction (a poll is never split): keeps each transaction well
# inside the engine's call bound, and the fence's look-ahead, on a 20 000-queue site.
FLUSH_MAX_SAMPLES = 100_000
LATE_CHUNK = 20_000  # samples per transaction when writing a superseded buffer
WRITER_RETRY_S = (0.5, 5.0)  # first and longest wait before the writer tries again
WRITE_GATHER_S = 0.1  # the shortest time between the starts of two writes
DB_THREADS = 8


@dataclass
class RunnerConfig:
    poll_interval_s: float = 5.0
    poll_deadline_s: float = 4.0
    lease_ttl_s: float = 15.0
    buffer_max_age_s: float = 600.0
    buffer_max_samples: int = 2_000_000
    shutdown_timeout_s: float = 10.0
    breaker_failure_threshold: int = 3
    breaker_cooldown_s: float = 30.0
    breaker_max_cooldown_s: float = 600.0
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # Where the collector says how the database is doing (specs.collector_status): the
    # database cannot record its own failure. None: no such file.
    status_path: Path | None = None


@dataclass
class _Runtime:
    """What the collector knows of one source between polls (mirrors stored facts)."""

    source: Source
    breaker: CircuitBreaker
    last_poll_ms: int | None = None
    last_success_ms: int | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    last_error_ms: int | None = None
    failing_since_ms: int | None = None
    last_duration_ms: int | None = None
    failover_active: bool = False
    active_url: str | None = None
    records_skipped: int = 0
    state: str | None = None
    state_reason: str | None = None
    state_since_ms: int | None = None
    spec: Hashable = None  # what a dynamic source was built from; None for static ones


@dataclass
class DynamicSources:
    """Sources that come and go while the collector runs (health targets edited in the UI).

    ``load`` returns the wanted specs by source name (a spec is any hashable value equal
    when nothing changed, e.g. a frozen dataclass); ``build`` makes a source from one.
    The collector compares every ``every_s`` seconds and adds, replaces or removes.
    """

    load: Callable[[], Awaitable[Mapping[str, Hashable]]]
    build: Callable[[Hashable], Source]
    every_s: float = 10.0
    # Releases what the built sources share (e.g. one HTTP client); called at shutdown.
    aclose: Callable[[], Awaitable[None]] | None = None


@dataclass
class LeaseJob:
    """Work only the lease holder does (alert evaluation, notification delivery).

    ``run(token)`` is called every ``every_s`` seconds while active, with the fencing
    token to pass to fenced writes; ``on_activate(token)`` once after each takeover, before
    polling starts; ``after_write(sources, token)`` after each successful write of polls,
    with the names of the sources written. Each must return within ``deadline_s``
    (it is cancelled after) and handle its own expected errors; an unexpected one is
    logged and the job runs again next time. ``aclose`` at shutdown.
    """

    name: str
    every_s: float
    run: Callable[[int], Awaitable[None]]
    on_activate: Callable[[int], Awaitable[None]] | None = None
    after_write: Callable[[frozenset[str], int], Awaitable[None]] | None = None
    deadline_s: float = 30.0
    aclose: Callable[[], Awaitable[None]] | None = None


class CollectorState:
    """What the collector holds between calls; every layer of ``Collector`` reads it."""

    def __init__(
        self,
        store: Store,
        sources: Sequence[Source],
        config: RunnerConfig,
        *,
        clock: Clock | None = None,
        dynamic: DynamicSources | None = None,
        jobs: Sequence[LeaseJob] = (),
        on_close: Callable[[], None] | None = None,
        observer: PollObserver | None = None,
    ) -> None:
        self.store = store
        self._on_close = on_close
        self.observer = observer  # told of every poll made (the process's own metrics)
        self.config = config
        self.clock = clock or SystemClock()
        self.dynamic = dynamic
        self.jobs = list(jobs)
        self.buffer = WriteBuffer(
            max_age_s=config.buffer_max_age_s, max_samples=config.buffer_max_samples,
            on_drop=self._buffer_dropped,
        )
        self._runtimes = {s.name: self._runtime(s) for s in sources}
        self.token: int | None = None
        # Until when our lease surely holds (the expiry of our last acquire or renewal that
        # committed): no other collector can have polled before it.
        self._lease_until_ms: int | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._write_lock = asyncio.Lock()
        self._lease_lock = asyncio.Lock()  # the renewal and the writer may both be refused
        self._wake = asyncio.Event()
        self._stopping = False
        self._writer_task: asyncio.Task[None] | None = None
        self.outage = OutageLog()
        # Samples polled while this collector was active but written after another took
        # the lease: samples only, from before ``_late_cutoff_ms`` (see _supersede).
        self._late: list[tuple[str, Sample]] = []
        self._late_cutoff_ms: int | None = None
        # Losses not recorded in the database yet, and all losses of this run.
        self._unrecorded: dict[str, Loss] = {}
        # Source events to record when the database takes them (an outage that ended).
        self._notes: dict[str, list[EventTuple]] = {}
        self.lost = Loss()
        self._status_unwritable = False
        self.active = asyncio.Event()

    def _now_ms(self) -> int:
        return now_ms(self.clock.time)

    def breaker_states(self) -> dict[str, BreakerState]:
        """Each source's circuit breaker state now, by source name."""
        return {name: rt.breaker.state for name, rt in self._runtimes.items()}

    def _runtime(self, source: Source, spec: Hashable = None) -> _Runtime:
        return _Runtime(
            source=source,
            spec=spec,
            breaker=CircuitBreaker(
                failure_threshold=self.config.breaker_failure_threshold,
                base_cooldown_s=self.config.breaker_cooldown_s,
                max_cooldown_s=self.config.breaker_max_cooldown_s,
                clock=self.clock,
            ),
        )

    # -- the database's state ------------------------------------------------------------

    def _buffered(self) -> str:
        text = f"{len(self.buffer)} poll(s) with {self.buffer.samples} sample(s) buffered"
        return text + (f", {len(self._late)} late sample(s)" if self._late else "")

    def _db_failed(self, what: str, exc: StorageUnavailable) -> None:
        started = self.outage.current is None
        self.outage.failed(what, exc, self._now_ms(), self._buffered(),
                           write_refused=isinstance(exc, StorageWriteFailed))
        if started:
            self._publish_status()

    def _db_answered(self) -> None:
        """A call went through. It ends the outage unless writes were being refused (a
        full disk still answers reads and the lease): then only a write ends it."""
        if self.outage.current is not None and not self.outage.current.write_refused:
            self._db_wrote()

    def _db_wrote(self, written: frozenset[str] = frozenset()) -> None:
        now_ms = self._now_ms()
        ended = self.outage.succeeded(now_ms, self._buffered())
        if ended is None:
            return
        self._publish_status()
        what = "refused writes" if ended.write_refused else "was unavailable"
        message = (f"the database {what} from {_iso(ended.since_ms)} to {_iso(now_ms)} "
                   f"({(now_ms - ended.since_ms) / 1000:.0f} s): {ended.error}")
        # On the sources whose polls waited meanwhile: their history shows the gap's cause.
        waited = set(written) | {w.source for w in self.buffer.peek(len(self.buffer))}
        waited |= {source for source, _ in self._late}
        for source in waited:
            self._notes.setdefault(source, []).append((now_ms, "storage", message))

    def _publish_status(self) -> None:
        """Replace the status file (if configured) with the database's state now: when it
        changes and on every lease tick, which keeps the file fresh for one lease TTL."""
        path = self.config.status_path
        if path is None:
            return
        now_ms = self._now_ms()
        outage = self.outage.current
        status = StorageStatus(
            holder=self.config.holder, updated_at_ms=now_ms,
            fresh_until_ms=now_ms + int(self.config.lease_ttl_s * 1000),
            failing_since_ms=outage.since_ms if outage else None,
            reason=outage.error if outage else None,
            write_refused=outage.write_refused if outage else False,
            buffered_polls=len(self.buffer), buffered_samples=self.buffer.samples + len(self._late),
            lost_samples=self.lost.samples)
        try:
            write_status(path, status)
        except OSError as exc:  # e.g. the same full disk: the log still says it
            if not self._status_unwritable:
                log.warning("cannot write the status file %s: %s", path, exc)
            self._status_unwritable = True
        else:
            self._status_unwritable = False

    def _withdraw_status(self) -> None:
        """At exit: remove the status file if it is this collector's."""
        path = self.config.status_path
        if path is None:
            return
        mine = read_status(path, 0)
        if mine is not None and mine.holder == self.config.holder:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _buffer_dropped(self, writes: list[PollWrite]) -> None:
        for write in writes:
            self._record_loss(write.source, [s.ts_ms for s in write.samples], polls=1)

    def _record_loss(self, source: str, stamps: list[int], *, polls: int,
                     in_db: bool = True) -> None:
        first, last = (min(stamps), max(stamps)) if stamps else (None, None)
        self.lost.add(len(stamps), polls, first, last)
        if in_db:
            self._unrecorded.setdefault(source, Loss()).add(len(stamps), polls, first, last)

    # -- lease jobs -------------------------------------------------------------------------

    async def _run_job(self, job: LeaseJob, what: str, call: Awaitable[None]) -> None:
        """Run one call of a lease job within its deadline; never let it kill the loop."""
        try:
            await asyncio.wait_for(call, timeout=job.deadline_s)
        except TimeoutError:
            log.error("%s %s took longer than %.1f s; cancelled", job.name, what, job.deadline_s)
        except LeaseLost:
            # The lease loop finds out whether another collector took over; a fence
            # refused during a database outage is not news enough for a line each time.
            log.debug("%s %s: the lease was not confirmed; nothing written", job.name, what)
        except StorageUnavailable as exc:
            self._db_failed(f"{job.name} {what}", exc)
        except Exception:  # a bug in one job must not stop polling or the other jobs
            log.exception("%s %s failed unexpectedly", job.name, what)

    async def _after_write(self, sources: frozenset[str], token: int) -> None:
        for job in self.jobs:
            if job.after_write is not None:
                await self._run_job(job, "after_write", job.after_write(sources, token))


def _cancelled(what: str) -> None:
    """A job cancelled by shutdown (or by losing the lease) ends here, quietly: it is the
    top of its task, and APScheduler would log the CancelledError as a failed job with a
    traceback, a screenful on every Ctrl-C. Cancelling it was our own decision."""
    log.info("%s cancelled", what)


def _iso(ms: int | None) -> str:
    if ms is None:
        return "?"
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _loss_message(loss: Loss) -> str:
    return (f"lost {loss.samples} sample(s) of {loss.polls} poll(s) taken from "
            f"{_iso(loss.first_ms)} to {_iso(loss.last_ms)}: the database did not take "
            "them within the write buffer's bound")


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _utcnow() -> datetime:
    return datetime.now(UTC)

