"""Store: every query the other packages need, over one Engine."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection, Engine

from . import _drift, _lease, _read, _write
from ._errors import OPT_CALL_TIMEOUT
from ._records import (
    AgentEvent,
    AgentRow,
    CurrentRow,
    EventTuple,
    LeaseInfo,
    PollWrite,
    Sample,
    SeriesRow,
    SourceEvent,
    SourceFacts,
)
from ._tx import EngineStore, reading, writing


class Store(EngineStore):
    """Reads and writes over ``engine``; safe to share between threads.

    Every method runs in its own transaction and leaves none open. Any method may raise
    ``StorageUnavailable`` (database unreachable, or locked/busy past its timeout);
    nothing is written then.
    """

    def __init__(self, engine: Engine, *, lease_engine: Engine | None = None) -> None:
        """``lease_engine``: a separate small engine for the lease calls (the collector's),
        so renewing never waits for a pooled connection busy with a large write."""
        super().__init__(engine)
        self.lease_engine = lease_engine or engine
        # Series ids by natural key; filled after commits only. Plain dict operations
        # are atomic under the GIL, and a racing duplicate fill stores the same value.
        self._series_cache: dict[_write.Natural, _write.CachedSeries] = {}

    def dispose_own_engines(self) -> None:
        """Dispose the engines made for this store alone (the collector's)."""
        self.engine.dispose()
        if self.lease_engine is not self.engine:
            self.lease_engine.dispose()

    # -- write side -------------------------------------------------------------------

    def write_poll(
        self,
        write: PollWrite,
        *,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
    ) -> None:
        """Store everything one poll produced, in one transaction.

        Raises LeaseLost (nothing written) if ``lease_name`` is given and ``lease_token``
        no longer holds it at ``now_ms``; ``lease_name=None`` skips the fence (tools,
        tests). Re-writing a sample already stored is a no-op, so a retry is safe.
        """
        self.write_batches([write], lease_name=lease_name, lease_token=lease_token,
                           now_ms=now_ms)

    def write_batches(
        self,
        writes: Sequence[PollWrite],
        *,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
        bounded_fence: bool = False,
    ) -> None:
        """Like write_poll for several polls (a flushed buffer), in one transaction.

        ``bounded_fence``: instead of locking the lease row until commit, ask that the
        lease still holds past this transaction's client-side bound (see
        ``_write.check_fence_ahead``), so renewing the lease (the collector's, on its own
        connection) never waits behind a large write. The lease's TTL must then exceed
        the engine's call timeout."""
        keys = list(dict.fromkeys(s.key for w in writes for s in w.samples))
        with self._writing() as conn:
            if lease_name is not None and bounded_fence:
                _write.check_fence_ahead(conn, lease_name, lease_token, now_ms,
                                         self._fence_ahead_ms())
            elif lease_name is not None:
                _write.check_fence(conn, lease_name, lease_token, now_ms)
            ids, learnt = _write.resolve_series(conn, keys, self._series_cache, now_ms)
            rows = [(ids[s.key], s.ts_ms, s.value) for w in writes for s in w.samples]
            _write.write_samples(conn, rows)
            for write in writes:
                self._write_poll_extras(conn, write, now_ms)
            _write.write_facts_many(conn, [write.facts for write in writes], now_ms)
        self._series_cache.update(learnt)

    def _fence_ahead_ms(self) -> int:
        if self.engine.dialect.name == "sqlite":
            return 0  # BEGIN IMMEDIATE: no takeover can commit while this write runs
        return self.write_bound_ms()

    def write_bound_ms(self) -> int:
        """The client-side bound of one write transaction; 0 on SQLite, whose writes
        hold the database's write lock (the fence needs no look-ahead there)."""
        if self.engine.dialect.name == "sqlite":
            return 0
        return int(self.engine.get_execution_options().get(OPT_CALL_TIMEOUT, 30.0) * 1000)

    def write_late_samples(self, samples: Sequence[Sample], now_ms: int) -> int:
        """Store samples polled by a collector that has since lost the lease, without the
        fence and without touching ``current``, facts or agents (another collector is
        active and owns those). The caller passes only samples from before the new
        holder took over, a time nobody else polled. Returns how many were given.
        Keys already stored are skipped, so a retry is harmless."""
        keys = list(dict.fromkeys(s.key for s in samples))
        with self._writing() as conn:
            ids, learnt = _write.resolve_series(conn, keys, self._series_cache, now_ms)
            _write.insert_samples_only(conn, [(ids[s.key], s.ts_ms, s.value) for s in samples])
        self._series_cache.update(learnt)
        return len(samples)

    def append_events(self, source: str, events: Sequence[EventTuple]) -> None:
        """Append source events without the fence: facts about what happened (a loss of
        samples, a storage outage) that any collector may record."""
        with self._writing() as conn:
            _write.append_source_events(conn, source, events)

    @staticmethod
    def _write_poll_extras(conn: Connection, write: PollWrite, now_ms: int) -> None:
        if write.agents is not None:
            _write.write_agents(conn, write.source, write.agents, now_ms)
        if write.drift is not None:
            _drift.write_drift(conn, write.source, write.drift, now_ms)
        _write.append_source_events(conn, write.source, write.events)

    def update_source_facts(
        self,
        facts: SourceFacts,
        events: Sequence[EventTuple],
        *,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
    ) -> None:
        """Record a poll that produced no samples (e.g. a failure): facts and events."""
        write = PollWrite(source=facts.name, samples=[], agents=None, facts=facts,
                          events=list(events))
        self.write_batches([write], lease_name=lease_name, lease_token=lease_token,
                           now_ms=now_ms)

    # -- lease ------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, ttl_ms: int, now_ms: int) -> int | None:
        """Take or renew lease ``name``; return its fencing token, or None if held by
        someone else. A takeover after expiry increments the token."""
        with writing(self.lease_engine) as conn:
            return _lease.acquire(conn, name, holder, ttl_ms, now_ms)

    def renew_lease(self, name: str, holder: str, token: int, ttl_ms: int, now_ms: int) -> bool:
        """Extend the lease; False if it expired or another token took it over."""
        with writing(self.lease_engine) as conn:
            return _lease.renew(conn, name, holder, token, ttl_ms, now_ms)

    def release_lease(self, name: str, holder: str, token: int, now_ms: int) -> None:
        """Expire the lease now, if still held with ``token`` (lets a standby take over)."""
        with writing(self.lease_engine) as conn:
            _lease.release(conn, name, holder, token, now_ms)

    def read_lease(self, name: str) -> LeaseInfo | None:
        with reading(self.lease_engine) as conn:
            return _lease.read(conn, name)

    # -- read side --------------------------------------------------------------------

    def latest(self, source: str | None = None) -> list[CurrentRow]:
        """The current value of every series (of ``source``), with series attributes."""
        with self._reading() as conn:
            return _read.latest(conn, source)

    def series(self, source: str | None = None) -> list[SeriesRow]:
        with self._reading() as conn:
            return _read.series_rows(conn, source)

    def samples(self, series_id: int, from_ms: int, to_ms: int) -> list[tuple[int, float]]:
        """``(ts_ms, value)`` with ``from_ms <= ts_ms <= to_ms``, oldest first."""
        with self._reading() as conn:
            return _read.sample_points(conn, series_id, from_ms, to_ms)

    def sources(self) -> list[SourceFacts]:
        with self._reading() as conn:
            return _read.all_facts(conn)

    def source(self, name: str) -> SourceFacts | None:
        with self._reading() as conn:
            found = _read.all_facts(conn, name)
        return found[0] if found else None

    def source_events(self, source: str, limit: int = 100) -> list[SourceEvent]:
        """Newest first."""
        with self._reading() as conn:
            return _read.source_event_rows(conn, source, limit)

    def failover_since(self, source: str) -> int | None:
        """When the failover of ``source`` began: the time of its newest ``failover``
        event. Meaningful while its facts say ``failover_active`` (after a failover ends
        the newest event is the return). None: no failover event recorded."""
        with self._reading() as conn:
            return _read.failover_since(conn, source)

    def server_changes(self, source: str, since_ms: int) -> list[int]:
        """When the server answering for ``source`` changed (a failover began or
        ended) since ``since_ms``, oldest first: day counters jump there."""
        with self._reading() as conn:
            return _read.server_changes(conn, source, since_ms)

    def agents(self, source: str) -> list[AgentRow]:
        with self._reading() as conn:
            return _read.agent_rows(conn, source)

    def agent_events(
        self, source: str, agent_id: str | None = None, limit: int = 100
    ) -> list[AgentEvent]:
        """Newest first; all agents of ``source`` unless ``agent_id`` is given."""
        with self._reading() as conn:
            return _read.agent_event_rows(conn, source, agent_id, limit)

    def state_events(self, source: str, since_ms: int) -> tuple[str | None, list[tuple[int, str]]]:
        """For uptime: the ``to_state`` of the last "state" event before ``since_ms``
        (None: none), and ``(ts_ms, to_state)`` of the "state" events from ``since_ms``
        on, oldest first."""
        with self._reading() as conn:
            return _read.state_events(conn, source, since_ms)
