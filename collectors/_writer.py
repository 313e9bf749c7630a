"""The one writer: drains the buffer into the database in fenced batches, writes what
was polled before another collector took over (the late queue), and records losses."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from storage import LeaseLost, PollWrite, StorageUnavailable

from ._collector_state import (
    FLUSH_CHUNK,
    FLUSH_MAX_SAMPLES,
    LATE_CHUNK,
    LEASE_NAME,
    WRITE_GATHER_S,
    WRITER_RETRY_S,
    CollectorState,
    _iso,
    _loss_message,
)

# Every part of the collector logs as "collectors.runner": operators filter on one name.
log = logging.getLogger("collectors.runner")


class BufferWriter(CollectorState):
    """The writer task and what it writes: the buffer, the late queue, the losses."""

    async def _lease_refused(self) -> bool:
        """Settle a write refused by the fence (``_lease.LeaseKeeper``); True: still active."""
        raise NotImplementedError

    async def _writer(self) -> None:
        """The one task that writes: drains the buffer whenever a poll lands, and after a
        failure tries again with a growing pause (polls keep landing meanwhile)."""
        retry_s = WRITER_RETRY_S[0]
        loop = asyncio.get_running_loop()
        last_start = -WRITE_GATHER_S
        while True:
            pending = bool(len(self.buffer) or self._late or self._unrecorded or self._notes)
            if not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(),
                                           timeout=retry_s if pending else None)
            # Polls that land close together share one transaction: a write starts at
            # most every WRITE_GATHER_S (2000 health checks every 10 s would otherwise
            # cost a transaction, a fence check and a facts upsert each). A poll after a
            # quiet spell is written at once.
            gap = last_start + WRITE_GATHER_S - loop.time()
            if gap > 0 and not self._stopping:
                await asyncio.sleep(gap)
            self._wake.clear()
            last_start = loop.time()
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
