"""A long write transaction never holds up the lease's renewal (issue 10, sections 4 and
6: a large write used to lock the lease row until commit, so the renewal waited for it
and the lease was lost on every poll of a big site)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy.engine import make_url

from storage import LeaseLost, PollWrite, Sample, SeriesKey, SourceFacts, Store, make_engine
from tests.fixtures.live import wait_until

WAIT = SeriesKey("trio", "queue", "12", "longest_wait_s", "s", "Kundtjänst")
TTL_MS = 60_000

pytestmark = [pytest.mark.timeout(60), pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)]


def _poll(ts_ms: int) -> PollWrite:
    return PollWrite("trio", [Sample(WAIT, ts_ms, 1.0)], None,
                     SourceFacts("trio", "trio", "http://te"), [])


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_it_renews_the_lease_while_a_write_transaction_is_still_running(db_url: str) -> None:
    writer = make_engine(db_url, busy_timeout_s=20, call_timeout_s=30)
    lease = make_engine(db_url, busy_timeout_s=1, call_timeout_s=2, pool_size=1)
    store = Store(writer, lease_engine=lease)
    token = store.acquire_lease("collector", "a", TTL_MS, now_ms=1_000)
    assert token is not None
    failures: list[BaseException] = []

    def write() -> None:
        try:
            store.write_batches([_poll(1_500)], lease_name="collector", lease_token=token,
                                now_ms=1_500, bounded_fence=True)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            failures.append(err)

    with psycopg.connect(_libpq(db_url), autocommit=True) as locker:
        locker.execute("BEGIN")
        locker.execute("LOCK TABLE current IN EXCLUSIVE MODE")  # the write will wait here
        thread = threading.Thread(target=write)
        thread.start()
        wait_until(lambda: locker.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0] > 0,  # type: ignore[index]
            10, "the write transaction waits inside its transaction")

        started = time.monotonic()
        assert store.renew_lease("collector", "a", token, TTL_MS, now_ms=2_000)
        assert time.monotonic() - started < 1.0, "the renewal did not wait for the write"
        locker.execute("COMMIT")
    thread.join(timeout=20)
    try:
        assert failures == []
        assert [row.ts_ms for row in store.latest()] == [1_500]
    finally:
        writer.dispose()
        lease.dispose()


def test_the_look_ahead_fence_refuses_a_lease_too_close_to_its_end(db_url: str) -> None:
    writer = make_engine(db_url, call_timeout_s=5)
    store = Store(writer)
    try:
        token = store.acquire_lease("collector", "a", 8_000, now_ms=1_000)  # until 9 000
        with pytest.raises(LeaseLost):
            # 9 000 - 4 500 < 5 s: the write could outlive the lease.
            store.write_batches([_poll(4_500)], lease_name="collector", lease_token=token,
                                now_ms=4_500, bounded_fence=True)
        store.write_batches([_poll(3_500)], lease_name="collector", lease_token=token,
                            now_ms=3_500, bounded_fence=True)
        assert [row.ts_ms for row in store.latest()] == [3_500]
    finally:
        writer.dispose()
