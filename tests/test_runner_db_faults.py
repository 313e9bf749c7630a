"""The collector against a database that is full, read-only or locked for long, with an
injected clock (issue 10, section 4): a refused write is a storage error, never a lost
lease; nothing buffered is dropped for it; what the bound forces out is recorded as a
`loss` event with its count and time range; an outage logs three kinds of line only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from dashboard.opsmodel import OpsModel

pytestmark = [pytest.mark.timeout(90),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def _distinct_ts(h: Any) -> set[int]:
    return {ts for s in h.store.series() for ts, _ in h.store.samples(s.id, 0, 2**62)}


@contextmanager
def pragma_on(engines: list[Engine], pragma: str) -> Iterator[None]:
    """Every new connection of ``engines`` runs ``pragma``; pooled ones are replaced."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(pragma)

    for engine in engines:
        event.listen(engine, "connect", on_connect)
        engine.dispose()
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "connect", on_connect)
            engine.dispose()


def _engines(h: Any) -> list[Engine]:
    store = h.collector.store
    return [store.engine, store.lease_engine]


async def test_it_keeps_the_lease_and_the_buffer_when_the_database_is_full(
    sim, harness_factory, caplog
):
    h = harness_factory(sim)
    await h.activate()
    token = h.collector.token
    await h.poll()
    h.clock.advance(5)
    pages = sqlite3.connect(make_url(h.settings.database_url).database).execute(
        "PRAGMA page_count").fetchone()[0]

    with pragma_on(_engines(h), f"PRAGMA max_page_count={pages}"):
        for _ in range(6):
            await h.poll()
            h.clock.advance(5)
            await h.collector._renew()  # the lease row is updated in place: it renews
        outage = h.collector.outage.current
        assert outage is not None and outage.write_refused
        assert "full" in outage.error
        assert len(h.collector.buffer) >= 1
        assert h.collector.token == token and h.collector.active.is_set()

    await h.poll()

    assert len(h.collector.buffer) == 0
    assert len(_distinct_ts(h)) == 8, "every poll of the outage is stored"
    assert h.collector.lost.samples == 0
    assert "database refuses writes" in caplog.text
    assert "another collector" not in caplog.text and "dropping" not in caplog.text
    storage_events = [e for e in h.store.source_events("trio") if e.kind == "storage"]
    assert len(storage_events) == 1 and "refused writes" in storage_events[0].message


async def test_a_read_only_database_longer_than_the_lease_loses_neither_lease_nor_samples(
    sim, harness_factory, caplog
):
    h = harness_factory(sim, lease_ttl_s=6)
    await h.activate()
    token = h.collector.token
    await h.poll()

    with pragma_on(_engines(h), "PRAGMA query_only=1"):
        for _ in range(4):
            h.clock.advance(3)  # 12 s: twice the lease
            await h.poll()
            await h.collector._renew()
        outage = h.collector.outage.current
        assert outage is not None and outage.write_refused and "read-only" in outage.error
        assert h.collector.token == token, "a refused write is not a lost lease"

    h.clock.advance(3)
    await h.poll()

    # Nobody else took the lease: it is taken again and everything is written with facts.
    assert h.collector.token == token + 1
    assert len(_distinct_ts(h)) == 6
    assert h.facts().last_poll_at_ms == int(h.clock.time() * 1000)
    assert h.collector.lost.samples == 0
    assert "another collector" not in caplog.text


async def test_samples_the_buffer_cannot_keep_are_recorded_as_a_loss_shown_on_health(
    sim, harness_factory, db_url
):
    h = harness_factory(sim, buffer_max_age_s=12, db_busy_timeout_s=0.05)
    await h.activate()
    locker = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    stamps = []
    try:
        for _ in range(6):
            stamps.append(int(h.clock.time() * 1000))
            await h.poll()
            h.clock.advance(5)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await h.poll()  # at 30 s: polls older than 12 s went out of the buffer (0 to 15 s)

    dropped = h.collector.buffer.dropped
    assert dropped.polls == 4
    assert h.collector.lost.samples == dropped.samples
    assert (h.collector.lost.first_ms, h.collector.lost.last_ms) == (stamps[0], stamps[3])
    losses = [e for e in h.store.source_events("trio") if e.kind == "loss"]
    assert len(losses) == 1
    assert losses[0].message.startswith(f"lost {dropped.samples} sample(s) of 4 poll(s) taken ")
    assert len(_distinct_ts(h)) == 3

    ops = OpsModel(h.engine, ttl_s=0, clock=h.clock.time)
    detail = ops.detail("trio")
    assert detail is not None
    assert any(e.reason == losses[0].message for e in detail.events), "shown on /health"


async def test_an_outage_logs_one_line_at_start_one_a_minute_and_one_at_the_end(
    sim, harness_factory, db_url, caplog
):
    h = harness_factory(sim, db_busy_timeout_s=0.05)
    await h.activate()
    await h.poll()
    locker = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        for _ in range(30):  # 150 s of polls every 5 s, with renewals between them
            h.clock.advance(5)
            await h.poll()
            await h.collector._renew()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    h.clock.advance(5)
    await h.poll()

    runner = [r.getMessage() for r in caplog.records if r.name == "collectors.runner"
              and r.levelno >= 30]
    assert sum(m.startswith("database unavailable (") for m in runner) == 1
    assert sum(m.startswith("database unavailable for ") for m in runner) == 2
    assert sum(m.startswith("database back after 150.0 s") for m in runner) == 1
    others = [m for m in runner if not m.startswith("database ")
              and "lease had expired" not in m]
    assert others == [], "nothing else about the outage at warning level"


async def test_a_database_refusing_writes_is_shown_by_status_from_the_collectors_file(
    sim, harness_factory
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from specs.collector_status import read_status, status_path
    from trio_monitor.status import gather, problems, render

    h = harness_factory(sim)
    await h.activate()
    await h.poll()

    def report():  # type: ignore[no-untyped-def]
        return gather(h.settings, h.engine, now_ms=int(h.clock.time() * 1000))

    with pragma_on(_engines(h), "PRAGMA query_only=1"):
        h.clock.advance(5)
        since = datetime.fromtimestamp(h.clock.time(), ZoneInfo(h.settings.timezone))
        await h.poll()
        h.clock.advance(5)
        await h.poll()
        h.collector._publish_status()  # the lease tick's refresh: counts move on
        shown = report()
        line = next(x for x in render(shown, int(h.clock.time() * 1000))
                    if x.startswith("storage:"))
        assert line.startswith(f"storage: failing since {since:%H:%M}: ")
        assert "read-only" in line and "2 poll(s)" in line and "0 sample(s) lost" in line
        assert line in problems(shown, h.settings, int(h.clock.time() * 1000))

    h.clock.advance(5)
    await h.poll()
    shown = report()
    assert "storage: ok" in render(shown, int(h.clock.time() * 1000))
    assert not any(p.startswith("storage") for p in problems(
        shown, h.settings, int(h.clock.time() * 1000)))

    path = status_path(h.settings.data_dir)
    h.clock.advance(h.settings.lease_ttl_s + 1)
    assert read_status(path, int(h.clock.time() * 1000)) is None, "stale once not refreshed"
    assert report().storage is None
