"""The collector process: lease, scheduler, polls, buffered fenced writes, shutdown.

Only the holder of the lease polls and writes. Every write transaction checks the lease
token it holds (fencing), so a process that was paused past its lease writes nothing.

Polling never waits on the database: a scheduled poll puts its result into the bounded
buffer and returns; one writer task drains the buffer in batches. The lease is renewed
on its own connection (``Store.lease_engine``) and a large write never holds the lease
row, so a slow, locked, full or hung database costs no poll and no renewal. Only a
lease positively held by another collector ends this one's turn; a database that cannot
be reached or refuses writes is a storage outage, and polling goes on into the buffer.

``Collector`` is built in layers, one module each, each using only those below it:
``_collector_state`` (configuration, per-source state, the database's outage, losses),
``_writer`` (the buffer's drain), ``_polling`` (one poll), ``_scheduling`` (the jobs),
``_lease`` (the lease keeper); this module runs the process and shuts it down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from storage import StorageUnavailable

from ._collector_state import (
    DB_THREADS,
    FLUSH_CHUNK,
    FLUSH_MAX_SAMPLES,
    LATE_CHUNK,
    LEASE_NAME,
    WRITER_RETRY_S,
    DynamicSources,
    LeaseJob,
    RunnerConfig,
    _iso,
)
from ._daemon import DaemonExecutor
from ._lease import LeaseKeeper
from .looplag import LoopLag

__all__ = [
    "DB_THREADS",
    "FLUSH_CHUNK",
    "FLUSH_MAX_SAMPLES",
    "LATE_CHUNK",
    "LEASE_NAME",
    "WRITER_RETRY_S",
    "Collector",
    "DaemonExecutor",
    "DynamicSources",
    "LeaseJob",
    "RunnerConfig",
]

log = logging.getLogger(__name__)


class Collector(LeaseKeeper):
    """One collector process: ``run`` until told to stop, then shut down within its bound.

    Built with the store, the static sources, the configuration and optionally the
    dynamic sources (targets edited while it runs) and the lease jobs."""

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; then shut down within the configured bound.

        Every database call of the process (ours and the lease jobs' ``to_thread``) runs
        on daemon threads: a call stuck in a hung driver cannot hold the exit.
        """
        asyncio.get_running_loop().set_default_executor(DaemonExecutor(DB_THREADS))
        renew_every = self.config.lease_ttl_s / 3
        standby_logged = False
        self._writer_task = asyncio.create_task(self._writer(), name="writer")
        loop_lag = LoopLag()
        lag_task = asyncio.create_task(loop_lag.run(), name="loop-lag")
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
                if self.token is not None or self.outage.current is not None:
                    self._publish_status()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=renew_every)
        finally:
            lag_task.cancel()
            log.info("event loop: longest stall %.2f s in this run (%d of %.0f s or more)",
                     loop_lag.longest_s, loop_lag.stalls, loop_lag.warn_s,
                     extra={"loop_lag_max_s": round(loop_lag.longest_s, 3)})
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
        self._withdraw_status()

    async def flush_and_stop(self) -> None:
        await self.flush()

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
