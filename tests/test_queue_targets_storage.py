"""Queues' own service-level targets in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import AlertStore, QueueTargetStore

NOW = 1_780_000_000_000


def test_it_sets_replaces_and_clears_a_queues_target_with_an_audit_row_each(
    engine: Engine,
) -> None:
    targets = QueueTargetStore(engine)
    assert targets.targets("trio") == {}

    targets.set_target("trio", "100", 90.0, 30, actor="admin", now_ms=NOW,
                       client_addr="10.0.0.7")
    row = targets.set_target("trio", "100", 85.0, 20, actor="boss", now_ms=NOW + 1)
    targets.set_target("trio", "101", 80.0, 20, actor="admin", now_ms=NOW + 2)
    targets.set_target("other", "100", 70.0, 60, actor="admin", now_ms=NOW + 3)

    assert (row.sl_target_pct, row.sl_threshold_s, row.updated_by) == (85.0, 20, "boss")
    mine = targets.targets("trio")
    assert {q: (r.sl_target_pct, r.sl_threshold_s) for q, r in mine.items()} == {
        "100": (85.0, 20), "101": (80.0, 20)}

    assert targets.clear_target("trio", "100", actor="admin", now_ms=NOW + 4) is True
    assert targets.clear_target("trio", "100", actor="admin", now_ms=NOW + 5) is False
    assert set(targets.targets("trio")) == {"101"}

    log = AlertStore(engine).audit_log(action_prefix="queue.sl_target")
    assert [(r.actor, r.target, r.before, r.after) for r in reversed(log)] == [
        ("admin", "queue:trio:100", None, {"sl_target_pct": 90.0, "sl_threshold_s": 30}),
        ("boss", "queue:trio:100", {"sl_target_pct": 90.0, "sl_threshold_s": 30},
         {"sl_target_pct": 85.0, "sl_threshold_s": 20}),
        ("admin", "queue:trio:101", None, {"sl_target_pct": 80.0, "sl_threshold_s": 20}),
        ("admin", "queue:other:100", None, {"sl_target_pct": 70.0, "sl_threshold_s": 60}),
        ("admin", "queue:trio:100", {"sl_target_pct": 85.0, "sl_threshold_s": 20}, None),
    ]
    assert log[-1].client_addr == "10.0.0.7"
