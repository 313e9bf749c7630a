"""The collector process: lease, scheduler, polls, buffered fenced writes, shutdown.

Only the holder of the lease polls and writes. Every write transaction checks the lease
token it holds (fencing), so a process that was paused past its lease writes nothing.

Polling never waits on the database: a scheduled poll puts its result into the bounded
buffer and returns; one writer task drains the buffer in batches. The lease is renewed
on its own connection (``Store.lease_engine``) and a large write never holds the lease
row, so a slow, locked, full or hung database costs no poll and no renewal. Only a
lease positively held by another collector ends this one's turn; a database that cannot
be reached or refuses writes is a storage outage, and polling goes on into the buffer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import socket
import threading
import zlib
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from specs.lease import COLLECTOR_LEASE
from storage import (
    EventTuple,
    LeaseLost,
    PollWrite,
    Sample,
    SourceFacts,
    StorageUnavailable,
    StorageWriteFailed,
    Store,
)

from .base import PollOutcome, Source
from .breaker import BreakerSnapshot, BreakerState, CircuitBreaker
from .buffer import WriteBuffer
from .clock import Clock, SystemClock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .logctx import new_poll_id, poll_context
from .outage import Loss, OutageLog

log = logging.getLogger(__name__)

LEASE_NAME = COLLECTOR_LEASE
FLUSH_CHUNK = 50  # polls per transaction when the buffer is written after an outage
# Samples per write transaction (a poll is never split): keeps each transaction well
# inside the engine's call bound, and the fence's look-ahead, on a 20 000-queue site.
FLUSH_MAX_SAMPLES = 100_000
LATE_CHUNK = 20_000  # samples per transaction when writing a superseded buffer
WRITER_RETRY_S = (0.5, 5.0)  # first and longest wait before the writer tries again
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


class Collector:
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
    ) -> None:
        self.store = store
        self._on_close = on_close
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
        self.active = asyncio.Event()

    def _now_ms(self) -> int:
        return int(self.clock.time() * 1000)

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

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; then shut down within the configured bound.

        Every database call of the process (ours and the lease jobs' ``to_thread``) runs
        on daemon threads: a call stuck in a hung driver cannot hold the exit.
        """
        asyncio.get_running_loop().set_default_executor(DaemonExecutor(DB_THREADS))
        renew_every = self.config.lease_ttl_s / 3
        standby_logged = False
        self._writer_task = asyncio.create_task(self._writer(), name="writer")
        try:
            while not stop.is_set():
                if self.token is None:
                    if await self.activate():
                        self._start_polling()
                        standby_logged = False
                    elif not standby_logged:
                        log.info("standby: another collector holds the lease")
                        standby_logged = True
                else:
                    await self._renew()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=renew_every)
        finally:
            await self._shutdown()

    async def activate(self) -> bool:
        """Take the lease if free; then resume each source as the last holder left it.

        Restoring at takeover, not at process start: a standby's view from its own start
        is stale by the time it becomes active.
        """
        if not await self._try_acquire():
            return False
        await self._restore()
        for job in self.jobs:
            if job.on_activate is not None and self.token is not None:
                await self._run_job(job, "on_activate", job.on_activate(self.token))
        return True

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

    async def _job_tick(self, name: str) -> None:
        job = next(j for j in self.jobs if j.name == name)
        token = self.token
        task = asyncio.current_task()
        assert task is not None
        # In flight like a poll: shutdown waits for it (its database work included) within
        # its bound instead of closing the engine under it.
        self._inflight.add(task)
        try:
            if token is not None:
                await self._run_job(job, "run", job.run(token))
        except asyncio.CancelledError:
            _cancelled(name)
        finally:
            self._inflight.discard(task)

    async def _restore(self) -> None:
        """Resume each source's breaker and failure facts from the database."""
        for rt in list(self._runtimes.values()):
            await self._restore_one(rt)

    async def _restore_one(self, rt: _Runtime) -> None:
        name = rt.source.name
        try:
            facts = await asyncio.to_thread(self.store.source, name)
        except StorageUnavailable as exc:
            self._db_failed(f"reading the stored facts of {name}", exc)
            return
        if facts is not None:
            rt.last_poll_ms = facts.last_poll_at_ms
            rt.last_success_ms = facts.last_success_at_ms
            rt.last_error = facts.last_error
            rt.last_error_ms = facts.last_error_at_ms
            rt.failing_since_ms = facts.failing_since_ms
            rt.failover_active = facts.failover_active
            rt.active_url = facts.active_url
            rt.state, rt.state_reason = facts.state, facts.state_reason
            rt.state_since_ms = facts.state_since_ms
            rt.breaker.restore(BreakerSnapshot(
                state=BreakerState(facts.breaker_state),
                consecutive_failures=facts.consecutive_failures,
                opened_at=_s(facts.breaker_opened_at_ms),
                retry_at=_s(facts.breaker_retry_at_ms),
                cooldown_s=None,
            ))

    async def _try_acquire(self) -> bool:
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        now_ms = self._now_ms()
        try:
            token = await asyncio.to_thread(
                self.store.acquire_lease, LEASE_NAME, self.config.holder, ttl_ms, now_ms
            )
        except StorageUnavailable as exc:
            self._db_failed("acquiring the lease", exc)
            return False
        self._db_answered()
        if token is None:
            return False
        self.token = token
        self._lease_until_ms = now_ms + ttl_ms
        self.active.set()
        log.info("active: holding the collector lease", extra={"lease_token": token})
        return True

    async def _renew(self) -> None:
        assert self.token is not None
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        now_ms = self._now_ms()
        try:
            renewed = await asyncio.to_thread(
                self.store.renew_lease,
                LEASE_NAME, self.config.holder, self.token, ttl_ms, now_ms,
            )
        except StorageUnavailable as exc:
            # Not a lost lease: keep polling into the buffer; whether another collector
            # took over is decided when the database answers again.
            self._db_failed("renewing the lease", exc)
            return
        self._db_answered()
        if renewed:
            self._lease_until_ms = now_ms + ttl_ms
        else:
            await self._lease_refused()

    async def _lease_refused(self) -> bool:
        """The database answered that our token no longer holds the lease (it expired,
        typically through an outage longer than the lease). Take it again if it is free;
        go to standby only if another collector positively holds it. True: still active.
        """
        old = self.token
        async with self._lease_lock:
            if self.token != old or old is None:
                return self.token is not None  # the other caller settled it meanwhile
            return await self._settle_lease(old)

    async def _settle_lease(self, old: int) -> bool:
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        now_ms = self._now_ms()
        try:
            token = await asyncio.to_thread(
                self.store.acquire_lease, LEASE_NAME, self.config.holder, ttl_ms, now_ms)
            info = None if token is not None else await asyncio.to_thread(
                self.store.read_lease, LEASE_NAME)
        except StorageUnavailable as exc:
            self._db_failed("taking the lease again", exc)
            return True  # still in doubt: keep polling into the buffer
        self._db_answered()
        known_until = self._lease_until_ms or now_ms
        if token is not None:
            self.token = token
            self._lease_until_ms = now_ms + ttl_ms
            if token != old:
                log.warning("the lease had expired and was taken again (token %s -> %s)",
                            old, token)
            if token not in (old, old + 1):
                # Someone held it in between: what we polled after our lease ran out may
                # overlap their turn.
                self._supersede(known_until)
            return True
        # Another collector holds it. Nobody else polled before its acquisition (when the
        # token moved by one) or, at the least, before our own lease ran out.
        cutoff = (info.acquired_at_ms if info is not None and info.token == old + 1
                  else known_until)
        log.error(
            "another collector (%s) holds the lease since %s; going to standby",
            info.holder if info else "?", _iso(info.acquired_at_ms if info else None),
            extra={"lease_token": info.token if info else None},
        )
        self.token = None
        self.active.clear()
        self._stop_polling()
        await self._cancel_inflight(0.0)
        self._supersede(cutoff)
        return False

    def _supersede(self, cutoff_ms: int) -> None:
        """Move the buffered polls to the late queue: their samples from before
        ``cutoff_ms`` (a time no other collector polled) are written without the fence and
        without facts; the rest covers another collector's turn and is not written."""
        self._late_cutoff_ms = cutoff_ms
        self._queue_late(self.buffer.drain_all())

    def _queue_late(self, writes: list[PollWrite]) -> None:
        cutoff = self._late_cutoff_ms or 0
        covered = 0
        for write in writes:
            for sample in write.samples:
                if sample.ts_ms < cutoff:
                    self._late.append((write.source, sample))
                else:
                    covered += 1
        if covered:
            log.warning(
                "%d buffered sample(s) from after %s not written: the collector that took "
                "over was polling then", covered, _iso(cutoff))
        if self._late:
            self._wake.set()

    def _start_polling(self) -> None:
        _quiet_job_skips(frozenset(job.name for job in self.jobs))
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
        self._scheduler = scheduler
        for rt in self._runtimes.values():
            self._schedule(rt)
        if self.dynamic is not None:
            scheduler.add_job(
                self.sync_sources, "interval", seconds=self.dynamic.every_s, id="sync-sources",
                max_instances=1, coalesce=True, next_run_time=_utcnow(),
            )
        for job in self.jobs:
            scheduler.add_job(
                self._job_tick, "interval", seconds=job.every_s, args=[job.name],
                id=f"job:{job.name}", name=job.name, max_instances=1, coalesce=True,
                misfire_grace_time=max(1, round(job.every_s)), next_run_time=_utcnow(),
            )
        scheduler.start()

    def _interval(self, rt: _Runtime) -> float:
        return rt.source.interval_s or self.config.poll_interval_s

    def _schedule(self, rt: _Runtime) -> None:
        """One job per source. Sources are spread over their interval by name, so 500
        targets at 10 s make a steady 50 checks per second instead of bursts of 500."""
        if self._scheduler is None:
            return
        interval = self._interval(rt)
        offset = (zlib.crc32(rt.source.name.encode()) % 1000) / 1000 * interval
        self._scheduler.add_job(
            self._poll_job,
            "interval",
            seconds=interval,
            args=[rt.source.name],
            id=f"poll:{rt.source.name}",
            name=f"poll {rt.source.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, round(interval)),
            next_run_time=_utcnow() + timedelta(seconds=offset if rt.spec is not None else 0),
        )

    async def sync_sources(self) -> None:
        """Bring the dynamic sources in line with their specs: add, replace, remove."""
        assert self.dynamic is not None
        try:
            wanted = await self.dynamic.load()
        except StorageUnavailable as exc:
            self._db_failed("reading the monitored targets; keeping the current set", exc)
            return
        current = {n: rt for n, rt in self._runtimes.items() if rt.spec is not None}
        for name, rt in current.items():
            if wanted.get(name) != rt.spec:
                await self._remove(name, "changed" if name in wanted else "removed")
        for name, spec in wanted.items():
            if name not in self._runtimes:
                rt = self._runtime(self.dynamic.build(spec), spec)
                self._runtimes[name] = rt
                await self._restore_one(rt)
                self._schedule(rt)
                log.info("monitoring %s (%s)", name, rt.source.url)

    async def _remove(self, name: str, why: str) -> None:
        rt = self._runtimes.pop(name)
        if self._scheduler is not None and self._scheduler.get_job(f"poll:{name}"):
            self._scheduler.remove_job(f"poll:{name}")
        await rt.source.aclose()
        log.info("stopped monitoring %s (%s)", name, why)

    def _stop_polling(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def _cancel_inflight(self, grace_s: float) -> None:
        tasks = set(self._inflight) - {asyncio.current_task()}
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace_s) if grace_s > 0 else (
            set(), tasks
        )
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
            log.warning("cancelled %d poll(s) still running at shutdown", len(pending))

    async def _shutdown(self) -> None:
        """Stop within ``shutdown_timeout_s`` whatever the database does: polls get 25 %
        of it, the last write runs until 65 %, releasing the lease until 80 %, closing the
        sources until 90 % (the rest is the process's own exit). A call still
        running then is abandoned (its daemon thread does not hold the exit); what stays
        unwritten is counted in ``lost`` and logged."""
        bound = self.config.shutdown_timeout_s
        loop = asyncio.get_running_loop()
        start = loop.time()

        def left(until: float) -> float:
            return max(0.05, start + bound * until - loop.time())

        log.info("shutting down (bound %.1f s)", bound)
        self._stop_polling()
        await self._cancel_inflight(bound * 0.25)
        self._stopping = True
        self._wake.set()
        writer = self._writer_task
        if writer is None and (len(self.buffer) or self._late):
            writer = asyncio.create_task(self.flush_and_stop())
        if writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer), timeout=left(0.65))
            if not writer.done():
                log.error("the last write did not finish within the shutdown bound; "
                          "abandoning it")
        self._count_unwritten()
        if self.token is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(
                    self.store.release_lease,
                    LEASE_NAME, self.config.holder, self.token, self._now_ms(),
                ), timeout=left(0.8))
            except (StorageUnavailable, TimeoutError) as exc:
                log.warning("could not release the lease (it will expire): %s",
                            str(exc) or "no answer within the shutdown bound")
            self.token = None
        self.active.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.aclose(), timeout=left(0.9))
        if self.lost.samples:
            log.error(
                "%d sample(s) of %d poll(s) taken between %s and %s were lost in this run",
                self.lost.samples, self.lost.polls, _iso(self.lost.first_ms),
                _iso(self.lost.last_ms), extra={"lost_samples": self.lost.samples},
            )

    async def flush_and_stop(self) -> None:
        await self.flush()

    def _count_unwritten(self) -> None:
        """At exit: what is still buffered or queued late is lost."""
        if self._writer_task is not None and not self._writer_task.done():
            self._writer_task.cancel()
        writes = self.buffer.drain_all()
        late = self._late
        self._late = []
        if writes or late:
            log.error(
                "exiting with %d unwritten poll(s) and %d late sample(s): the database "
                "did not take them in time", len(writes), len(late))
        for write in writes:
            self._record_loss(write.source, [s.ts_ms for s in write.samples], polls=1,
                              in_db=False)
        by_source: dict[str, list[int]] = {}
        for source, sample in late:
            by_source.setdefault(source, []).append(sample.ts_ms)
        for source, stamps in by_source.items():
            self._record_loss(source, stamps, polls=0, in_db=False)

    async def aclose(self) -> None:
        """Close every source and whatever the dynamic sources share."""
        for rt in self._runtimes.values():
            await rt.source.aclose()
        if self.dynamic is not None and self.dynamic.aclose is not None:
            await self.dynamic.aclose()
        for job in self.jobs:
            if job.aclose is not None:
                await job.aclose()
        if self._on_close is not None:
            self._on_close()

    # -- one poll ------------------------------------------------------------------------

    async def _poll_job(self, name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            await self.poll_into_buffer(name)
        except asyncio.CancelledError:
            _cancelled(f"poll {name}")
        finally:
            self._inflight.discard(task)

    async def poll_once(self, name: str) -> None:
        """Poll one source and write the outcome now (buffered if the database cannot
        take it). Tools and tests; the scheduled jobs use ``poll_into_buffer``."""
        await self.poll_into_buffer(name)
        await self.flush()

    async def poll_into_buffer(self, name: str) -> None:
        """Poll one source and put the outcome into the buffer for the writer task;
        never waits on the database."""
        rt = self._runtimes[name]
        with poll_context(name, new_poll_id()):
            if not rt.breaker.allow():
                log.debug("circuit open; next trial at %s", rt.breaker.retry_at)
                return
            started = self.clock.monotonic()
            deadline_s = (self.config.poll_deadline_s if rt.source.interval_s is None
                          else 0.8 * rt.source.interval_s)
            deadline = Deadline(self.clock, deadline_s)
            events: list[EventTuple] = []
            before = rt.breaker.state
            outcome: PollOutcome | None = None
            error: SourceError | None = None
            try:
                outcome = await rt.source.poll(deadline)
            except SourceError as exc:
                error = exc
            except Exception as exc:  # a bug must show as a failing source, not kill the loop
                log.exception("internal error while polling")
                error = SourceError(f"internal error: {exc!r}", kind=ErrorKind.PROTOCOL)
            if error is not None:
                self._on_failure(rt, error, started, events)
            else:
                assert outcome is not None
                self._on_success(rt, outcome, started, events)
            self._assess(rt, outcome, error, events)
            after = rt.breaker.state
            if after != before:
                events.append((self._now_ms(), "breaker", f"circuit {before} -> {after}"))
                log.warning("circuit %s -> %s", before, after)
            write = PollWrite(
                source=name,
                samples=outcome.samples if outcome else [],
                agents=outcome.agents if outcome else None,
                drift=outcome.drift if outcome else None,
                facts=self._facts(rt),
                events=events,
            )
            if self.token is None and self._late_cutoff_ms is not None:
                self._queue_late([write])  # finished after another collector took over
                return
            self.buffer.add(write, self._now_ms())
            self._wake.set()

    def _on_success(
        self, rt: _Runtime, outcome: PollOutcome, started: float, events: list[EventTuple]
    ) -> None:
        now_ms = self._now_ms()
        rt.breaker.record_success()
        if rt.failing_since_ms is not None:
            down_s = (now_ms - rt.failing_since_ms) / 1000
            events.append((now_ms, "recovered", f"recovered after {down_s:.0f} s"))
            log.info("recovered after %.0f s of failures", down_s)
        if outcome.failover_active != rt.failover_active:
            text = ("failover: now served by " + str(outcome.active_url)
                    if outcome.failover_active else "failover ended: back on the primary server")
            events.append((now_ms, "failover", text))
        # Notes a source gives once (e.g. how it reads zone-less times): kept as events.
        events.extend((now_ms, "warning", text) for text in outcome.warnings)
        rt.failing_since_ms = None
        rt.last_poll_ms = rt.last_success_ms = now_ms
        rt.last_duration_ms = int((self.clock.monotonic() - started) * 1000)
        rt.failover_active = outcome.failover_active
        rt.active_url = outcome.active_url
        rt.records_skipped = outcome.records_skipped
        # DEBUG: one line per poll per source (millions a day at hundreds of targets);
        # failures, recoveries and state changes are INFO or above.
        log.debug(
            "poll ok: %d samples, %d requests, %d ms",
            len(outcome.samples), outcome.requests, rt.last_duration_ms,
            extra={"samples": len(outcome.samples), "duration_ms": rt.last_duration_ms},
        )

    def _assess(self, rt: _Runtime, outcome: PollOutcome | None, error: SourceError | None,
                events: list[EventTuple]) -> None:
        assessment = rt.source.assess(outcome, error, rt.breaker.consecutive_failures)
        if assessment is None:
            return
        state, reason = assessment
        if state != rt.state:
            now_ms = self._now_ms()
            events.append((now_ms, "state", reason, rt.state, state))
            # A first state is news to nobody; a change is.
            level = logging.INFO if rt.state is None else logging.WARNING
            log.log(level, "state %s -> %s: %s", rt.state or "pending", state, reason)
            rt.state, rt.state_since_ms = state, now_ms
        rt.state_reason = reason

    def _on_failure(
        self, rt: _Runtime, exc: SourceError, started: float, events: list[EventTuple]
    ) -> None:
        now_ms = self._now_ms()
        if exc.permanent:
            rt.breaker.trip()  # a person must act; do not hammer the server meanwhile
        else:
            rt.breaker.record_failure()
        if rt.failing_since_ms is None:
            rt.failing_since_ms = now_ms
            events.append((now_ms, "failing", str(exc)))
        elif rt.last_error_kind != exc.kind:
            events.append((now_ms, "error", str(exc)))
        rt.last_poll_ms = now_ms
        rt.last_error, rt.last_error_kind, rt.last_error_ms = str(exc), exc.kind, now_ms
        rt.last_duration_ms = int((self.clock.monotonic() - started) * 1000)
        log.warning(
            "poll failed (%s%s): %s", exc.kind, ", permanent" if exc.permanent else "", exc,
            extra={"error_kind": str(exc.kind), "duration_ms": rt.last_duration_ms},
        )

    def _facts(self, rt: _Runtime) -> SourceFacts:
        b = rt.breaker
        return SourceFacts(
            name=rt.source.name,
            kind=rt.source.kind,
            url=rt.source.url,
            last_poll_at_ms=rt.last_poll_ms,
            last_success_at_ms=rt.last_success_ms,
            last_error=rt.last_error,
            last_error_at_ms=rt.last_error_ms,
            failing_since_ms=rt.failing_since_ms,
            consecutive_failures=b.consecutive_failures,
            breaker_state=str(b.state),
            breaker_opened_at_ms=_ms(b.opened_at),
            breaker_retry_at_ms=_ms(b.retry_at),
            last_duration_ms=rt.last_duration_ms,
            failover_active=rt.failover_active,
            active_url=rt.active_url,
            records_skipped=rt.records_skipped,
            updated_at_ms=self._now_ms(),
            state=rt.state,
            state_reason=rt.state_reason,
            state_since_ms=rt.state_since_ms,
        )

    # -- writing -----------------------------------------------------------------------------

    async def _writer(self) -> None:
        """The one task that writes: drains the buffer whenever a poll lands, and after a
        failure tries again with a growing pause (polls keep landing meanwhile)."""
        retry_s = WRITER_RETRY_S[0]
        while True:
            pending = bool(len(self.buffer) or self._late or self._unrecorded or self._notes)
            if not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(),
                                           timeout=retry_s if pending else None)
            self._wake.clear()
            try:
                ok = await self.flush()
            except Exception:  # a bug here must not end writing for the process's life
                log.exception("writing buffered polls failed unexpectedly")
                ok = False
            if self._stopping:
                return
            retry_s = WRITER_RETRY_S[0] if ok else min(retry_s * 2, WRITER_RETRY_S[1])

    async def flush(self) -> bool:
        """Write buffered polls oldest first, then superseded samples, then the record of
        any loss; True when nothing is left to write."""
        async with self._write_lock:
            return (await self._flush_buffer() and await self._flush_late()
                    and await self._flush_losses())

    def _buffered(self) -> str:
        text = f"{len(self.buffer)} poll(s) with {self.buffer.samples} sample(s) buffered"
        return text + (f", {len(self._late)} late sample(s)" if self._late else "")

    def _db_failed(self, what: str, exc: StorageUnavailable) -> None:
        self.outage.failed(what, exc, self._now_ms(), self._buffered(),
                           write_refused=isinstance(exc, StorageWriteFailed))

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
        what = "refused writes" if ended.write_refused else "was unavailable"
        message = (f"the database {what} from {_iso(ended.since_ms)} to {_iso(now_ms)} "
                   f"({(now_ms - ended.since_ms) / 1000:.0f} s): {ended.error}")
        # On the sources whose polls waited meanwhile: their history shows the gap's cause.
        waited = set(written) | {w.source for w in self.buffer.peek(len(self.buffer))}
        waited |= {source for source, _ in self._late}
        for source in waited:
            self._notes.setdefault(source, []).append((now_ms, "storage", message))

    async def _flush_buffer(self) -> bool:
        # The fence that locks nothing needs the write's bound well inside the lease.
        bounded = self.store.write_bound_ms() * 3 <= self.config.lease_ttl_s * 1000 + 1
        refused = 0
        while len(self.buffer):
            token = self.token
            if token is None:
                return True
            chunk = self.buffer.peek(FLUSH_CHUNK, FLUSH_MAX_SAMPLES)

            def write(chunk: list[PollWrite] = chunk, token: int = token) -> None:
                # The time is read in the thread, as the call starts: the fence that locks
                # nothing must not judge the lease by a time from before a queue's wait.
                self.store.write_batches(
                    chunk, lease_name=LEASE_NAME, lease_token=token, now_ms=self._now_ms(),
                    bounded_fence=bounded)

            try:
                await asyncio.to_thread(write)
            except StorageUnavailable as exc:
                self._db_failed(f"writing {len(chunk)} poll(s)", exc)
                return False
            except LeaseLost:
                refused += 1
                if not await self._lease_refused():
                    return True  # the buffer went to the late queue
                if self.token is None or refused > 1:
                    return False  # still in doubt: try again later
                continue  # taken again (or extended): write now
            self.buffer.pop(len(chunk))
            written = frozenset(w.source for w in chunk)
            self._db_wrote(written)
            await self._after_write(written, token)
        return True

    async def _flush_late(self) -> bool:
        """Samples polled while we were active, written after another collector took the
        lease: samples only, no fence (the cutoff made them safe), no facts."""
        while self._late:
            chunk = self._late[:LATE_CHUNK]
            try:
                await asyncio.to_thread(self.store.write_late_samples,
                                        [sample for _, sample in chunk], self._now_ms())
            except StorageUnavailable as exc:
                self._db_failed(f"writing {len(self._late)} late sample(s)", exc)
                return False
            del self._late[:len(chunk)]
            self._db_wrote(frozenset(source for source, _ in chunk))
            stamps = [sample.ts_ms for _, sample in chunk]
            log.info("wrote %d sample(s) polled between %s and %s, before another collector "
                     "took over", len(chunk), _iso(min(stamps)), _iso(max(stamps)))
        return True

    async def _flush_losses(self) -> bool:
        """Record each loss (and the end of an outage) as a source event: /health shows it."""
        for source, loss in list(self._unrecorded.items()):
            self._notes.setdefault(source, []).append(
                (self._now_ms(), "loss", _loss_message(loss)))
            del self._unrecorded[source]
        for source, events in list(self._notes.items()):
            try:
                await asyncio.to_thread(self.store.append_events, source, events)
            except StorageUnavailable as exc:
                self._db_failed("recording what the outage cost", exc)
                return False
            del self._notes[source]
        return True

    def _buffer_dropped(self, writes: list[PollWrite]) -> None:
        for write in writes:
            self._record_loss(write.source, [s.ts_ms for s in write.samples], polls=1)

    def _record_loss(self, source: str, stamps: list[int], *, polls: int,
                     in_db: bool = True) -> None:
        first, last = (min(stamps), max(stamps)) if stamps else (None, None)
        self.lost.add(len(stamps), polls, first, last)
        if in_db:
            self._unrecorded.setdefault(source, Loss()).add(len(stamps), polls, first, last)

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


class _SkippedJobFilter(logging.Filter):
    """APScheduler warns at every tick a lease job skips because its previous run is still
    waiting on the database (four lines a second for the notifier): the outage's own
    lines say it already. Skipped polls are still logged: a poll never waits on the
    database, so a skipped poll is news."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__()
        self.names = names

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "maximum number of running instances reached" not in text:
            return True
        return not any(f'job "{name} (' in text for name in self.names)


def _quiet_job_skips(names: frozenset[str]) -> None:
    logger = logging.getLogger("apscheduler.scheduler")
    for existing in logger.filters:
        if isinstance(existing, _SkippedJobFilter):
            existing.names = existing.names | names
            return
    logger.addFilter(_SkippedJobFilter(names))


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _utcnow() -> datetime:
    return datetime.now(UTC)
