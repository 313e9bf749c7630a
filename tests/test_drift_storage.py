"""Drift in storage: the poll's write diffs the drifting set and appends started /
reconciled events; DriftStore reads them back. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import (
    DriftEventKind,
    DriftItem,
    DriftResourceRow,
    DriftStore,
    PollWrite,
    SourceFacts,
    Store,
)

SOURCE = "drift:db"
MIN = 60_000


def item(resource: str, field: str = "replicas", actual: str = "2", *, detected: int = 0,
         provider: str = "aws") -> DriftItem:
    return DriftItem(resource, provider, "database", field, "3", actual, detected)


def write(store: Store, items: list[DriftItem] | None, now_ms: int,
          source: str = SOURCE) -> None:
    facts = SourceFacts(name=source, kind="drift", url="http://rec/drift")
    store.write_poll(PollWrite(source, [], None, facts, [], drift=items),
                     lease_name=None, lease_token=None, now_ms=now_ms)


def test_it_tracks_drift_from_start_through_reconciliation(store: Store, engine: Engine) -> None:
    drift = DriftStore(engine)
    # Poll 1: r1 and r2 start drifting.
    write(store, [item("r1", detected=1 * MIN), item("r2", "memory", "1Gi", detected=2 * MIN)],
          now_ms=3 * MIN)
    # Poll 2: r1 continues with a new actual value, r2 continues, r3 starts.
    write(store, [item("r1", actual="1", detected=1 * MIN),
                  item("r2", "memory", "1Gi", detected=2 * MIN),
                  item("r3", detected=4 * MIN)], now_ms=5 * MIN)
    # Poll 3: r1 is reconciled; r2 and r3 continue.
    write(store, [item("r2", "memory", "1Gi", detected=2 * MIN), item("r3", detected=4 * MIN)],
          now_ms=11 * MIN)

    assert [(r.resource_id, r.detected_at_ms, r.last_seen_at_ms) for r in drift.current()] == [
        ("r2", 2 * MIN, 11 * MIN), ("r3", 4 * MIN, 11 * MIN),
    ]
    events = drift.events()
    assert [(e.resource_id, e.event, e.ts_ms, e.duration_ms) for e in events] == [
        ("r1", DriftEventKind.RECONCILED, 11 * MIN, 10 * MIN),
        ("r3", DriftEventKind.STARTED, 4 * MIN, None),
        ("r2", DriftEventKind.STARTED, 2 * MIN, None),
        ("r1", DriftEventKind.STARTED, 1 * MIN, None),
    ]
    assert (events[0].desired, events[0].actual) == ("3", "1")  # the last values seen
    assert drift.durations(0) == [10 * MIN]


def test_it_updates_a_continuing_drift_without_a_new_event(store: Store, engine: Engine) -> None:
    write(store, [item("r1", actual="2", detected=MIN)], now_ms=2 * MIN)
    write(store, [item("r1", actual="1", detected=90_000)], now_ms=3 * MIN)

    assert DriftStore(engine).current() == [DriftResourceRow(
        SOURCE, "r1", "replicas", "aws", "database", "3", "1", MIN, 3 * MIN,
    )]
    assert len(DriftStore(engine).events()) == 1


def test_it_leaves_the_drift_set_alone_when_a_poll_has_no_list(
    store: Store, engine: Engine
) -> None:
    write(store, [item("r1", detected=MIN)], now_ms=2 * MIN)
    write(store, None, now_ms=3 * MIN)  # the Prometheus form

    assert [r.resource_id for r in DriftStore(engine).current()] == ["r1"]


def test_it_reconciles_everything_when_the_list_is_empty(store: Store, engine: Engine) -> None:
    write(store, [item("r1", detected=MIN), item("r1", "memory", detected=MIN)], now_ms=2 * MIN)
    write(store, [], now_ms=4 * MIN)

    assert DriftStore(engine).current() == []
    assert DriftStore(engine).durations(0) == [3 * MIN, 3 * MIN]


def test_it_keeps_the_first_of_a_field_written_twice(store: Store, engine: Engine) -> None:
    write(store, [item("r1", actual="2", detected=MIN), item("r1", actual="1", detected=MIN)],
          now_ms=2 * MIN)

    assert [r.actual for r in DriftStore(engine).current()] == ["2"]


def test_it_reads_per_source_since_a_time_and_up_to_a_limit(
    store: Store, engine: Engine
) -> None:
    write(store, [item("a1", detected=MIN)], now_ms=2 * MIN, source="drift:a")
    write(store, [item("b1", detected=3 * MIN)], now_ms=4 * MIN, source="drift:b")
    write(store, [], now_ms=6 * MIN, source="drift:a")
    write(store, [], now_ms=8 * MIN, source="drift:b")
    drift = DriftStore(engine)

    assert [r.source for r in drift.current()] == []
    assert [(e.source, e.event) for e in drift.events("drift:a")] == [
        ("drift:a", "reconciled"), ("drift:a", "started"),
    ]
    assert [e.ts_ms for e in drift.events(since_ms=3 * MIN)] == [8 * MIN, 6 * MIN, 3 * MIN]
    assert [e.ts_ms for e in drift.events(limit=1)] == [8 * MIN]
    assert drift.durations(0, "drift:b") == [5 * MIN]
    assert drift.durations(7 * MIN) == [5 * MIN]
    assert drift.durations(0) == [5 * MIN, 5 * MIN]


def test_it_lists_the_longest_drifting_first_per_source(store: Store, engine: Engine) -> None:
    write(store, [item("late", detected=5 * MIN), item("early", detected=MIN)], now_ms=6 * MIN)
    write(store, [item("other", detected=3 * MIN)], now_ms=6 * MIN, source="drift:x")

    drift = DriftStore(engine)
    assert [r.resource_id for r in drift.current()] == ["early", "other", "late"]
    assert [r.resource_id for r in drift.current(SOURCE)] == ["early", "late"]
