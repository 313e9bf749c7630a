"""The entities the rule form offers by name, read from real storage (SQLite and
PostgreSQL): queues by their Trio names, health targets and sources from the polled
sources, drift providers and reconcilers from their series, wall screens from the
display tokens."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from dashboard.ruleform import known_entities
from dashboard.rulewords import Entity, entity_options
from storage import DisplayStore, PollWrite, Sample, SeriesKey, Store
from tests.fixtures.dashboard import facts

NOW_MS = 1_700_000_000_000


def _poll(source: str, kind: str, samples: list[tuple[str, str, str, str]]) -> PollWrite:
    """A poll of ``source`` writing (entity kind, id, name, metric) samples."""
    return PollWrite(
        source=source,
        samples=[Sample(SeriesKey(source, entity_kind, entity_id, metric, "", name), NOW_MS,
                        1.0) for entity_kind, entity_id, name, metric in samples],
        agents=None, facts=facts(NOW_MS, name=source, kind=kind))


def test_it_reads_what_rules_may_watch_by_name(engine: Engine) -> None:
    Store(engine).write_batches([
        _poll("trio", "trio", [("queue", "100", "Kundtjänst", "longest_wait_s"),
                               ("queue", "100", "Kundtjänst", "calls_waiting"),
                               ("queue", "101", "Växel", "longest_wait_s")]),
        _poll("health:worker-a", "health", [("target", "worker-a", "worker-a", "latency_ms")]),
        _poll("drift:rec-1", "drift", [("provider", "aws", "aws", "drift_count"),
                                       ("reconciler", "rec-1", "rec-1", "errors")]),
    ], lease_name=None, lease_token=None, now_ms=NOW_MS)
    screen = DisplayStore(engine).create("Lobby", "0" * 64, actor="anna", now_ms=NOW_MS)

    entities = known_entities(engine)

    assert entities.of("queue") == [Entity("queue", "trio", "100", "Kundtjänst"),
                                    Entity("queue", "trio", "101", "Växel")]
    assert entities.of("target") == [
        Entity("target", "health:worker-a", "worker-a", "worker-a")]
    assert [e.id for e in entities.of("provider")] == ["aws"]
    assert [e.id for e in entities.of("reconciler")] == ["rec-1"]
    assert [e.id for e in entities.of("source")] == ["drift:rec-1", "health:worker-a",
                                                     "trio"]
    assert entities.of("screen") == [Entity("screen", "display", str(screen.id), "Lobby")]
    assert [o["label"] for o in entity_options(entities, "queue", None, [], "sv")] == [
        "Kundtjänst", "Växel"]


def test_an_unreachable_database_offers_no_names_and_says_why_in_the_log(caplog) -> None:
    from storage import make_engine

    engine = make_engine("postgresql+psycopg://trio@127.0.0.1:1/trio_monitor",
                         connect_timeout_s=1)
    try:
        entities = known_entities(engine)
    finally:
        engine.dispose()
    assert entities.all == ()
    # The pickers still keep the ids a rule names (marked), so nothing is lost.
    assert entity_options(entities, "queue", None, ["100"], "en") == [
        {"label": "100 (not seen now)", "value": "100"}]
    assert "rule form: entities not read" in caplog.text and "127.0.0.1:1" in caplog.text
