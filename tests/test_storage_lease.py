"""The collector lease and the fence on writes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine

from storage import LeaseLost, PollWrite, Sample, SeriesKey, SourceFacts, Store, make_engine

TTL = 10_000
WAIT = SeriesKey("trio", "queue", "12", "longest_wait_s", "s", "Kundtjänst")


def test_it_grants_a_free_lease_with_token_one(store: Store) -> None:
    assert store.acquire_lease("collector", "host-a:1", TTL, now_ms=1_000) == 1
    info = store.read_lease("collector")
    assert info is not None
    assert (info.holder, info.token, info.acquired_at_ms, info.expires_at_ms,
            info.renewed_at_ms) == ("host-a:1", 1, 1_000, 11_000, 1_000)
    assert store.read_lease("other") is None


def test_it_refuses_a_lease_held_by_someone_else(store: Store) -> None:
    store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    assert store.acquire_lease("collector", "b", TTL, now_ms=10_999) is None


def test_it_renews_for_the_same_holder_keeping_the_token(store: Store) -> None:
    store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    assert store.acquire_lease("collector", "a", TTL, now_ms=5_000) == 1
    assert store.renew_lease("collector", "a", 1, TTL, now_ms=6_000) is True
    info = store.read_lease("collector")
    assert info is not None and (info.acquired_at_ms, info.expires_at_ms) == (1_000, 16_000)


def test_it_hands_an_expired_lease_over_with_a_new_token(store: Store) -> None:
    store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    assert store.acquire_lease("collector", "b", TTL, now_ms=11_000) == 2  # expiry is exclusive

    assert store.renew_lease("collector", "a", 1, TTL, now_ms=11_001) is False
    assert store.acquire_lease("collector", "a", TTL, now_ms=11_002) is None


def test_it_does_not_renew_an_expired_lease(store: Store) -> None:
    store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    assert store.renew_lease("collector", "a", 1, TTL, now_ms=11_000) is False


def test_it_releases_only_with_the_current_token(store: Store) -> None:
    store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    store.release_lease("collector", "a", 99, now_ms=2_000)  # stale token: no effect
    assert store.acquire_lease("collector", "b", TTL, now_ms=2_000) is None

    store.release_lease("collector", "a", 1, now_ms=3_000)
    assert store.acquire_lease("collector", "b", TTL, now_ms=3_000) == 2


@pytest.mark.parametrize("round_", range(3))
def test_it_lets_exactly_one_of_two_racing_processes_win(db_url: str, round_: int) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    stores = [Store(engine) for engine in engines]
    start = threading.Barrier(2)
    results: dict[str, int | None] = {}

    def contend(store: Store, holder: str) -> None:
        start.wait()
        results[holder] = store.acquire_lease("collector", holder, TTL, now_ms=1_000)

    threads = [threading.Thread(target=contend, args=(s, f"p{i}")) for i, s in enumerate(stores)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(results.values(), key=str) == [1, None]


def _poll(ts_ms: int) -> PollWrite:
    return PollWrite("trio", [Sample(WAIT, ts_ms, 1.0)], None,
                     SourceFacts("trio", "trio", "http://te"), [(ts_ms, "recovered", "ok")])


def test_it_fences_off_a_writer_whose_lease_was_taken_over(store: Store) -> None:
    old = store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    new = store.acquire_lease("collector", "b", TTL, now_ms=12_000)

    with pytest.raises(LeaseLost):
        store.write_poll(_poll(12_500), lease_name="collector", lease_token=old, now_ms=12_500)
    assert store.series() == [] and store.sources() == []
    assert store.source_events("trio") == []

    store.write_poll(_poll(13_000), lease_name="collector", lease_token=new, now_ms=13_000)
    assert [r.ts_ms for r in store.latest()] == [13_000]
    info = store.read_lease("collector")
    assert info is not None and info.renewed_at_ms == 13_000


def test_it_fences_off_a_writer_whose_lease_expired(store: Store) -> None:
    token = store.acquire_lease("collector", "a", TTL, now_ms=1_000)
    with pytest.raises(LeaseLost):
        store.update_source_facts(SourceFacts("trio", "trio", "http://te"), [],
                                  lease_name="collector", lease_token=token, now_ms=11_000)
    assert store.sources() == []


def test_it_fences_when_no_lease_row_exists(engine: Engine) -> None:
    with pytest.raises(LeaseLost):
        Store(engine).write_poll(_poll(1_000), lease_name="collector", lease_token=1,
                                 now_ms=1_000)
