"""The scheduler of the active collector: one job per source, spread over its interval,
the dynamic sources kept in line with their specs, and the lease jobs' ticks."""

from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage import StorageUnavailable

from ._collector_state import _cancelled, _Runtime, _utcnow
from ._polling import Polling

# Every part of the collector logs as "collectors.runner": operators filter on one name.
log = logging.getLogger("collectors.runner")


class Scheduling(Polling):
    """The scheduler of polls, dynamic sources and lease jobs while the lease is held."""

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

