"""One poll of one source: call it within its deadline, update what the collector knows
of the source (breaker, failures, state), and put the outcome into the buffer."""

from __future__ import annotations

import asyncio
import logging

from storage import (
    EventTuple,
    PollWrite,
    SourceFacts,
    StorageUnavailable,
)

from ._collector_state import _ms, _Runtime, _s
from ._writer import BufferWriter
from .base import PollOutcome
from .breaker import BreakerSnapshot, BreakerState
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .logctx import new_poll_id, poll_context

# Every part of the collector logs as "collectors.runner": operators filter on one name.
log = logging.getLogger("collectors.runner")


class Polling(BufferWriter):
    """Polls into the buffer; resumes each source from its stored facts at takeover."""

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
