"""Store: the write path (one poll in one transaction) and the read side."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from storage import AgentRecord, PollWrite, Sample, SeriesKey, SourceFacts, Store
from storage._schema import samples as samples_table
from storage._schema import series as series_table

WAIT = SeriesKey("trio", "queue", "12", "longest_wait_s", "s", "Kundtjänst")
CALLS = SeriesKey("trio", "queue", "12", "calls_waiting", "calls", "Kundtjänst")
HEALTH = SeriesKey("workers", "worker", "sync-1", "up", "bool", "sync-1")


def facts(name: str = "trio", **changes: object) -> SourceFacts:
    return SourceFacts(name=name, kind="trio", url="http://te.example/api", **changes)  # type: ignore[arg-type]


def poll(
    samples: list[Sample],
    *,
    source: str = "trio",
    agents: list[AgentRecord] | None = None,
    events: list[tuple[int, str, str]] | None = None,
    **fact_changes: object,
) -> PollWrite:
    return PollWrite(source, samples, agents, facts(source, **fact_changes), events or [])


def write(store: Store, write: PollWrite, now_ms: int = 10_000) -> None:
    store.write_poll(write, lease_name=None, lease_token=None, now_ms=now_ms)


def count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_it_round_trips_samples_and_current(store: Store) -> None:
    write(store, poll([Sample(WAIT, 1_000, 3.0), Sample(WAIT, 2_000, 5.0),
                       Sample(CALLS, 2_000, 4.0)]))

    latest = {row.metric: row for row in store.latest()}
    assert {m: (r.ts_ms, r.value) for m, r in latest.items()} == {
        "longest_wait_s": (2_000, 5.0), "calls_waiting": (2_000, 4.0)}
    wait = latest["longest_wait_s"]
    assert (wait.source, wait.entity_kind, wait.entity_id, wait.entity_name, wait.unit) == (
        "trio", "queue", "12", "Kundtjänst", "s")
    assert store.samples(wait.series_id, 0, 10_000) == [(1_000, 3.0), (2_000, 5.0)]
    assert store.samples(wait.series_id, 1_500, 2_000) == [(2_000, 5.0)]


def test_it_creates_each_series_once(store: Store, engine: Engine) -> None:
    write(store, poll([Sample(WAIT, 1_000, 1.0)]))
    write(store, poll([Sample(WAIT, 2_000, 2.0)]))
    Store(engine).write_poll(poll([Sample(WAIT, 3_000, 3.0)]), lease_name=None,
                             lease_token=None, now_ms=3_000)  # a second process, cold cache

    assert [(s.id, s.key, s.created_at_ms) for s in store.series()] == [(1, WAIT, 10_000)]
    assert count(engine, samples_table) == 3


def test_it_renames_an_entity_in_place(store: Store, engine: Engine) -> None:
    renamed = SeriesKey("trio", "queue", "12", "longest_wait_s", "s", "Kundservice")
    write(store, poll([Sample(WAIT, 1_000, 1.0)]))
    write(store, poll([Sample(renamed, 2_000, 2.0)]))
    assert [row.entity_name for row in store.latest()] == ["Kundservice"]

    Store(engine).write_poll(poll([Sample(WAIT, 3_000, 3.0)]), lease_name=None,
                             lease_token=None, now_ms=3_000)
    write(store, poll([Sample(WAIT, 4_000, 4.0)]))  # renamed back, seen by the warm cache

    assert [s.key.entity_name for s in store.series()] == ["Kundtjänst"]
    assert count(engine, series_table) == 1


def test_it_only_moves_current_forward(store: Store) -> None:
    write(store, poll([Sample(WAIT, 5_000, 5.0)]))
    write(store, poll([Sample(WAIT, 3_000, 3.0)]))  # a late, older sample
    assert [(r.ts_ms, r.value) for r in store.latest()] == [(5_000, 5.0)]

    write(store, poll([Sample(WAIT, 6_000, 6.0), Sample(WAIT, 5_500, 5.5)]))
    assert [(r.ts_ms, r.value) for r in store.latest()] == [(6_000, 6.0)]
    assert [ts for ts, _ in store.samples(1, 0, 10_000)] == [3_000, 5_000, 5_500, 6_000]


def test_it_ignores_a_retried_batch(store: Store, engine: Engine) -> None:
    batch = poll([Sample(WAIT, 1_000, 1.0), Sample(CALLS, 1_000, 2.0)])
    write(store, batch)
    write(store, batch)  # the first commit succeeded but its answer was lost
    write(store, poll([Sample(WAIT, 1_000, 1.0), Sample(WAIT, 2_000, 2.0)]))  # partly new

    assert count(engine, samples_table) == 3
    assert store.samples(1, 0, 10_000) == [(1_000, 1.0), (2_000, 2.0)]


def test_it_writes_several_polls_in_one_batch(store: Store) -> None:
    store.write_batches(
        [poll([Sample(WAIT, 1_000, 1.0)], events=[(1_000, "breaker_open", "5 failures")]),
         poll([Sample(WAIT, 2_000, 2.0)], consecutive_failures=0),
         poll([Sample(HEALTH, 2_000, 1.0)], source="workers")],
        lease_name=None, lease_token=None, now_ms=2_500,
    )

    assert {(r.source, r.ts_ms) for r in store.latest()} == {("trio", 2_000), ("workers", 2_000)}
    assert [f.name for f in store.sources()] == ["trio", "workers"]
    assert [e.kind for e in store.source_events("trio")] == ["breaker_open"]


def test_it_keeps_the_last_facts_of_a_source_polled_twice_in_one_batch(store: Store) -> None:
    store.write_batches(
        [poll([Sample(WAIT, 1_000, 1.0)], consecutive_failures=3, last_error="HTTP 503"),
         poll([Sample(HEALTH, 1_000, 1.0)], source="workers", consecutive_failures=1),
         poll([Sample(WAIT, 2_000, 2.0)], consecutive_failures=0)],
        lease_name=None, lease_token=None, now_ms=2_500,
    )

    by_name = {f.name: f for f in store.sources()}
    assert (by_name["trio"].consecutive_failures, by_name["trio"].last_error) == (0, None)
    assert by_name["workers"].consecutive_failures == 1


def test_it_records_agent_states_and_their_changes(store: Store) -> None:
    anna = AgentRecord("7", "Anna", "available", 1_000, ("12", "13"))
    bo = AgentRecord("8", "Bo", "busy", None, ())
    write(store, poll([], agents=[anna, bo]), now_ms=1_500)
    write(store, poll([], agents=[anna, bo]), now_ms=2_500)  # unchanged: no events
    write(store, poll([], agents=[AgentRecord("7", "Anna", "busy", 3_000, ("12",))]),
          now_ms=3_500)  # Bo missing from a partial read: kept

    agents = {a.agent_id: a for a in store.agents("trio")}
    assert (agents["7"].state, agents["7"].state_since_ms, agents["7"].queue_ids) == (
        "busy", 3_000, ("12",))
    # updated_at is when the row last changed: the unchanged second write left it alone.
    assert (agents["8"].state, agents["8"].queue_ids, agents["8"].updated_at_ms) == (
        "busy", (), 1_500)
    events = store.agent_events("trio")
    assert [(e.agent_id, e.ts_ms, e.from_state, e.to_state) for e in events] == [
        ("7", 3_000, "available", "busy"),
        ("8", 1_500, None, "busy"),  # no state_since: stamped with now_ms
        ("7", 1_000, None, "available"),
    ]
    assert [e.to_state for e in store.agent_events("trio", agent_id="7", limit=1)] == ["busy"]


def test_it_leaves_agents_alone_when_a_poll_has_no_agent_list(store: Store) -> None:
    write(store, poll([], agents=[AgentRecord("7", "Anna", "busy", 1_000)]))
    write(store, poll([Sample(WAIT, 2_000, 1.0)], agents=None))
    assert [a.agent_id for a in store.agents("trio")] == ["7"]


def test_it_upserts_source_facts_and_appends_events(store: Store) -> None:
    store.update_source_facts(
        facts(last_poll_at_ms=1_000, last_error="HTTP 503 from GET .../services/state",
              last_error_at_ms=1_000, failing_since_ms=1_000, consecutive_failures=1,
              breaker_state="open", failover_active=True, active_url="http://b"),
        [(1_000, "breaker_open", "opened after 1 failure")],
        lease_name=None, lease_token=None, now_ms=1_100,
    )
    store.update_source_facts(
        facts(last_poll_at_ms=2_000, last_success_at_ms=2_000, last_duration_ms=120,
              records_skipped=2),
        [(2_000, "recovered", "back after 1 s")],
        lease_name=None, lease_token=None, now_ms=2_100,
    )

    assert store.source("trio") == facts(
        last_poll_at_ms=2_000, last_success_at_ms=2_000, last_duration_ms=120,
        records_skipped=2, updated_at_ms=2_100)
    assert store.source("nope") is None
    assert [(e.ts_ms, e.kind) for e in store.source_events("trio")] == [
        (2_000, "recovered"), (1_000, "breaker_open")]
    assert len(store.source_events("trio", limit=1)) == 1


def test_it_filters_reads_by_source(store: Store) -> None:
    write(store, poll([Sample(WAIT, 1_000, 1.0)]))
    write(store, poll([Sample(HEALTH, 1_000, 1.0)], source="workers"))

    assert [r.source for r in store.latest("workers")] == ["workers"]
    assert [s.key for s in store.series("trio")] == [WAIT]
    assert len(store.latest()) == len(store.series()) == 2
    assert store.agents("workers") == [] and store.source_events("workers") == []
