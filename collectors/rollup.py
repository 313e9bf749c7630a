"""Rollups and retention, as lease jobs: only the active collector runs them, fenced.

Rollup (every ``interval_s``), in steps of ``storage.RollupStore``:

1. 1-minute buckets of raw samples, up to the minute closed ``grace_s`` ago. A poll's
   samples carry the poll's time and are written within its deadline, so normal samples
   are never later than that.
2. Late samples: a buffered flush after a database outage writes timestamps up to the
   buffer's maximum age old. Every run compares the raw counts of the last
   ``recheck_s`` below the watermark with the rollups and re-rolls the minutes (and
   their hours) that grew. Samples later than that are kept raw but not rolled up.
3. 1-hour buckets from the 1-minute ones, up to the hour the minute watermark closed.
4. With ``timezone`` (the site's): local-day buckets from the 1-hour ones, up to the
   local midnight the hour watermark passed (the daily figures read them).

Retention (every ``interval_s``): raw samples older than ``raw_days`` (and only below
the minute watermark less ``recheck_s``, so nothing is deleted before it is rolled up
and re-checked), 1-minute rows older than ``minute_days`` (only below the hour
watermark), 1-hour rows older than ``hour_days``; ``batch_rows`` rows per transaction;
and login failures older than ``login_failures_keep_s``.

Each run works in a thread until done or ``budget_s`` of work, leaving the rest to the
next run (catching up after an upgrade or a long stop takes several runs); every write
transaction is short (measured: see bench/history.py) so a poll's write never waits long.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from specs.clock import now_ms
from storage import Resolution, RollupStore, StepResult, UserStore

from . import _memory
from .clock import Clock
from .runner import LEASE_NAME, LeaseJob

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
SLOW_WRITE_MS = 100.0  # a write transaction this long is worth a warning
MAX_STEPS = 10_000  # per run, whatever the budget says: a guard against a stuck loop


@dataclass(frozen=True)
class RollupConfig:
    """See the module docstring; trio_monitor.settings derives grace and recheck window."""

    interval_s: float = 60.0
    grace_s: float = 120.0
    recheck_s: float = 900.0
    raw_days: int = 7
    minute_days: int = 90
    hour_days: int = 730
    batch_rows: int = 5000
    budget_s: float = 10.0
    login_failures_keep_s: float | None = None  # None: login failures are not pruned
    timezone: str | None = None  # the site's zone: its local days are rolled up (1d)


@dataclass
class RunReport:
    minutes: int = 0  # 1-minute buckets written
    hours: int = 0
    days: int = 0
    late_minutes: int = 0  # re-rolled for late samples
    deleted: int = 0
    rows_read: int = 0
    slowest_write_ms: float = 0.0
    behind: bool = False  # stopped on the budget with work left

    def add(self, step: StepResult, resolution: Resolution) -> None:
        if resolution is Resolution.MINUTE:
            self.minutes += step.buckets
        elif resolution is Resolution.HOUR:
            self.hours += step.buckets
        else:
            self.days += step.buckets
        self.rows_read += step.rows_read
        self.slowest_write_ms = max(self.slowest_write_ms, step.slowest_write_ms)


class _Job:
    """Shared by both jobs: one run at a time, a work budget, a stop flag."""

    name = ""

    def __init__(self, engine: Engine, config: RollupConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.store = RollupStore(engine, zone=config.timezone)
        self._busy = threading.Lock()
        self._closing = False

    def _now_ms(self) -> int:
        return now_ms(self.clock.time)

    async def run(self, token: int) -> None:
        report = await asyncio.to_thread(self.run_once, token)
        if report is not None:
            self._log(report)

    def run_once(self, token: int | None) -> RunReport | None:
        """One run (in the calling thread); None if the previous one is still busy.
        ``token=None`` skips the fence (tools and tests without a lease)."""
        if not self._busy.acquire(blocking=False):
            log.warning("%s: the previous run is still busy; skipping this one", self.name)
            return None
        try:
            return self._work(token, self.clock.monotonic() + self.config.budget_s)
        finally:
            self._busy.release()
            # A run reads and writes thousands of rows in this worker thread: hand the
            # freed memory back rather than keep each run's peak (collectors/_memory.py).
            _memory.trim()

    def _work(self, token: int | None, deadline: float) -> RunReport:
        raise NotImplementedError

    @staticmethod
    def _lease(token: int | None) -> str | None:
        return None if token is None else LEASE_NAME

    def _out_of_time(self, deadline: float) -> bool:
        return self._closing or self.clock.monotonic() >= deadline

    async def aclose(self) -> None:
        self._closing = True

    def _log(self, report: RunReport) -> None:
        if report.slowest_write_ms > SLOW_WRITE_MS:
            log.warning("%s: slowest write transaction took %.0f ms", self.name,
                        report.slowest_write_ms)
        level = logging.INFO if report.behind or report.late_minutes else logging.DEBUG
        log.log(level, "%s: %s", self.name, report,
                extra={"duration_ms": round(report.slowest_write_ms)})

    def _loop(self, step: Callable[[], bool], deadline: float) -> bool:
        """Call ``step`` (True: done) until done or out of time; True when done."""
        for _ in range(MAX_STEPS):
            if step():
                return True
            if self._out_of_time(deadline):
                return False
        return False


class RollupJob(_Job):
    name = "rollup"

    def _work(self, token: int | None, deadline: float) -> RunReport:
        report = RunReport()
        cutoff = self._now_ms() - round(self.config.grace_s * 1000)
        minutes_done = self._roll(Resolution.MINUTE, cutoff, token, report, deadline)
        state = self.store.state().get(Resolution.MINUTE)
        if state is None or state.watermark_ms is None:
            return report
        since = state.watermark_ms - round(self.config.recheck_s * 1000)
        late = self.store.recheck(since, lease_name=self._lease(token), lease_token=token,
                                  now_ms=self._now_ms())
        report.late_minutes = late.minutes
        report.slowest_write_ms = max(report.slowest_write_ms, late.slowest_write_ms)
        hours_done = self._roll(Resolution.HOUR, state.watermark_ms, token, report, deadline)
        days_done = True
        hour = self.store.state().get(Resolution.HOUR)
        if self.config.timezone is not None and hour is not None \
                and hour.watermark_ms is not None:
            days_done = self._roll(Resolution.DAY, hour.watermark_ms, token, report, deadline)
        report.behind = not (minutes_done and hours_done and days_done)
        return report

    def _roll(
        self, resolution: Resolution, cutoff: int, token: int | None, report: RunReport,
        deadline: float,
    ) -> bool:
        def step() -> bool:
            result = self.store.roll_step(resolution, cutoff, lease_name=self._lease(token),
                                          lease_token=token, now_ms=self._now_ms())
            report.add(result, resolution)
            return result.done

        return self._loop(step, deadline)


class RetentionJob(_Job):
    name = "retention"

    def __init__(self, engine: Engine, config: RollupConfig, clock: Clock) -> None:
        super().__init__(engine, config, clock)
        self.users = UserStore(engine)

    def _work(self, token: int | None, deadline: float) -> RunReport:
        report = RunReport()
        now = self._now_ms()
        minute = self.store.state().get(Resolution.MINUTE)
        raw_before = now - self.config.raw_days * DAY_MS
        if minute is not None and minute.watermark_ms is not None:
            # Keep what the late-sample recheck still compares against.
            raw_before = min(raw_before, minute.watermark_ms - round(self.config.recheck_s * 1000))
        done = True
        for resolution, before in (
            (Resolution.RAW, raw_before),
            (Resolution.MINUTE, now - self.config.minute_days * DAY_MS),
            (Resolution.HOUR, now - self.config.hour_days * DAY_MS),
        ):
            done = done and self._trim(resolution, before, token, report, deadline)
        report.behind = not done
        if self.config.login_failures_keep_s is not None and not self._closing:
            report.deleted += self.users.prune_failures(
                now - round(self.config.login_failures_keep_s * 1000))
        return report

    def _trim(
        self, resolution: Resolution, before: int, token: int | None, report: RunReport,
        deadline: float,
    ) -> bool:
        def step() -> bool:
            result = self.store.retention_step(
                resolution, before, batch_rows=self.config.batch_rows,
                lease_name=self._lease(token), lease_token=token, now_ms=self._now_ms())
            report.deleted += result.deleted
            report.slowest_write_ms = max(report.slowest_write_ms, result.slowest_write_ms)
            return result.done

        return self._loop(step, deadline)


def lease_jobs(engine: Engine, config: RollupConfig, clock: Clock) -> list[LeaseJob]:
    """The rollup and the retention job, for ``Collector(jobs=...)``."""
    jobs: list[_Job] = [RollupJob(engine, config, clock), RetentionJob(engine, config, clock)]
    return [
        LeaseJob(name=job.name, every_s=config.interval_s, run=job.run,
                 deadline_s=config.budget_s * 3, aclose=job.aclose)
        for job in jobs
    ]
