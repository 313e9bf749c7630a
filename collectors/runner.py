"""The collector process: lease, scheduler, polls, buffered fenced writes, shutdown.

Only the holder of the lease polls and writes. Every write transaction checks the lease
token it holds (fencing), so a process that was paused past its lease writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import zlib
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage import EventTuple, LeaseLost, PollWrite, SourceFacts, StorageUnavailable, Store

from .base import PollOutcome, Source
from .breaker import BreakerSnapshot, BreakerState, CircuitBreaker
from .buffer import WriteBuffer
from .clock import Clock, SystemClock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .logctx import new_poll_id, poll_context

log = logging.getLogger(__name__)

LEASE_NAME = "collector"
FLUSH_CHUNK = 50  # polls per transaction when the buffer is written after an outage


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
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self.dynamic = dynamic
        self.jobs = list(jobs)
        self.buffer = WriteBuffer(
            max_age_s=config.buffer_max_age_s, max_samples=config.buffer_max_samples
        )
        self._runtimes = {s.name: self._runtime(s) for s in sources}
        self.token: int | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._write_lock = asyncio.Lock()
        self._db_down_since_ms: int | None = None
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
        """Run until ``stop`` is set; then shut down within the configured bound."""
        renew_every = self.config.lease_ttl_s / 3
        standby_logged = False
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
            log.warning("%s %s: the lease was lost meanwhile; nothing written", job.name, what)
        except StorageUnavailable as exc:
            log.warning("%s %s: database unavailable: %s", job.name, what, exc)
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
            log.warning("cannot read stored facts of %s: %s", name, exc)
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
        try:
            token = await asyncio.to_thread(
                self.store.acquire_lease, LEASE_NAME, self.config.holder, ttl_ms, self._now_ms()
            )
        except StorageUnavailable as exc:
            log.warning("cannot acquire the collector lease: %s", exc)
            return False
        if token is None:
            return False
        self.token = token
        self.active.set()
        log.info("active: holding the collector lease", extra={"lease_token": token})
        return True

    async def _renew(self) -> None:
        assert self.token is not None
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        try:
            renewed = await asyncio.to_thread(
                self.store.renew_lease,
                LEASE_NAME, self.config.holder, self.token, ttl_ms, self._now_ms(),
            )
        except StorageUnavailable as exc:
            # Keep polling into the buffer; the fence decides later whether we may write.
            log.warning("cannot renew the collector lease: %s", exc)
            return
        if not renewed and not await self._regain_lease():
            await self._lose_lease()

    async def _regain_lease(self) -> bool:
        """After the fence refused us: take the lease again unless another collector has it.

        The lease lapses without a rival when the database was away longer than the lease;
        the polls buffered meanwhile are then still ours to write.
        """
        old = self.token
        self.token = None
        if await self._try_acquire():
            log.warning("lease expired and was re-acquired (token %s -> %s)", old, self.token)
            return True
        return False

    async def _lose_lease(self) -> None:
        log.error("lost the collector lease to another collector; going to standby")
        self.token = None
        self.active.clear()
        self._stop_polling()
        await self._cancel_inflight(0.0)
        dropped = self.buffer.drain_all()
        if dropped:
            log.error(
                "dropping %d buffered poll(s) with %d sample(s): another collector is active",
                len(dropped), sum(len(w.samples) for w in dropped),
            )

    def _start_polling(self) -> None:
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
            log.warning("cannot read the monitored targets; keeping the current set: %s", exc)
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
        bound = self.config.shutdown_timeout_s
        log.info("shutting down (bound %.1f s)", bound)
        self._stop_polling()
        await self._cancel_inflight(bound / 2)
        if self.token is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), timeout=bound / 3)
            if len(self.buffer):
                log.error(
                    "exiting with %d unwritten poll(s) (%d samples): the database is unavailable",
                    len(self.buffer), self.buffer.samples,
                )
            try:
                await asyncio.to_thread(
                    self.store.release_lease,
                    LEASE_NAME, self.config.holder, self.token, self._now_ms(),
                )
            except StorageUnavailable as exc:
                log.warning("could not release the lease (it will expire): %s", exc)
            self.token = None
        self.active.clear()
        await self.aclose()

    async def aclose(self) -> None:
        """Close every source and whatever the dynamic sources share."""
        for rt in self._runtimes.values():
            await rt.source.aclose()
        if self.dynamic is not None and self.dynamic.aclose is not None:
            await self.dynamic.aclose()
        for job in self.jobs:
            if job.aclose is not None:
                await job.aclose()

    # -- one poll ------------------------------------------------------------------------

    async def _poll_job(self, name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            await self.poll_once(name)
        except asyncio.CancelledError:
            _cancelled(f"poll {name}")
        finally:
            self._inflight.discard(task)

    async def poll_once(self, name: str) -> None:
        """Poll one source, record the outcome and write it (or buffer it)."""
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
            self.buffer.add(write, self._now_ms())
            await self.flush()

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
        log.info(
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

    async def flush(self) -> bool:
        """Write buffered polls oldest first; True when the buffer is empty afterwards."""
        async with self._write_lock:
            while len(self.buffer):
                token = self.token
                if token is None:
                    return False
                chunk = self.buffer.peek(FLUSH_CHUNK)
                try:
                    await asyncio.to_thread(
                        self.store.write_batches, chunk,
                        lease_name=LEASE_NAME, lease_token=token, now_ms=self._now_ms(),
                    )
                except StorageUnavailable as exc:
                    if self._db_down_since_ms is None:
                        self._db_down_since_ms = self._now_ms()
                    log.warning(
                        "database unavailable, %d poll(s) (%d samples) buffered: %s",
                        len(self.buffer), self.buffer.samples, exc,
                    )
                    return False
                except LeaseLost:
                    if await self._regain_lease():
                        continue
                    await self._lose_lease()
                    return False
                self.buffer.pop(len(chunk))
                await self._after_write(frozenset(w.source for w in chunk), token)
                if self._db_down_since_ms is not None:
                    log.info(
                        "database back after %.1f s; writing buffered polls",
                        (self._now_ms() - self._db_down_since_ms) / 1000,
                    )
                    self._db_down_since_ms = None
            return True


    async def _after_write(self, sources: frozenset[str], token: int) -> None:
        for job in self.jobs:
            if job.after_write is not None:
                await self._run_job(job, "after_write", job.after_write(sources, token))


def _cancelled(what: str) -> None:
    """A job cancelled by shutdown (or by losing the lease) ends here, quietly: it is the
    top of its task, and APScheduler would log the CancelledError as a failed job with a
    traceback, a screenful on every Ctrl-C. Cancelling it was our own decision."""
    log.info("%s cancelled", what)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _utcnow() -> datetime:
    return datetime.now(UTC)
