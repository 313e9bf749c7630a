"""Storage of the floor on SQLite and PostgreSQL: messages posted, running, withdrawn;
maintenance planned, listed, ended; each change with its audit row, bad input refused
with a clear error and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from storage import (
    AlertStore,
    FloorMessageStore,
    MaintenanceKind,
    MaintenanceScope,
    MaintenanceStore,
    UnknownMaintenance,
    UnknownMessage,
    Weekly,
)

NOW = 1_800_000_000_000
HOUR = 3_600_000


def test_it_posts_a_message_that_runs_until_it_expires(engine: Engine) -> None:
    store = FloorMessageStore(engine)
    posted = store.post("  System X down, tell callers to call back  ", displays=[3, 1, 3],
                        expires_at_ms=NOW + HOUR, actor="sara", now_ms=NOW,
                        client_addr="10.0.0.7")
    assert (posted.text, posted.displays, posted.created_by) == (
        "System X down, tell callers to call back", (1, 3), "sara")
    everywhere = store.post("Fire drill at 14:00", displays=[], expires_at_ms=NOW + 2 * HOUR,
                            actor="anna", now_ms=NOW + 1)
    assert [m.id for m in store.running(NOW + 1)] == [posted.id, everywhere.id]
    assert [m.id for m in store.running(NOW + HOUR)] == [everywhere.id]
    assert store.running(NOW + 2 * HOUR) == []
    assert posted.shown_on(3) and not posted.shown_on(2) and not posted.shown_on(None)
    assert everywhere.shown_on(2) and everywhere.shown_on(None)
    [audit_row, _] = AlertStore(engine).audit_log(action_prefix="message.")[::-1]
    assert (audit_row.action, audit_row.actor, audit_row.target, audit_row.client_addr) == (
        "message.post", "sara", f"message:{posted.id}", "10.0.0.7")
    assert audit_row.after["text"] == "System X down, tell callers to call back"


def test_it_withdraws_a_message_once_with_its_audit_row(engine: Engine) -> None:
    store = FloorMessageStore(engine)
    posted = store.post("Lunch cover", displays=[], expires_at_ms=NOW + HOUR, actor="sara",
                        now_ms=NOW)
    withdrawn = store.withdraw(posted.id, actor="anna", now_ms=NOW + 60_000)
    assert (withdrawn.withdrawn_by, withdrawn.withdrawn_at_ms) == ("anna", NOW + 60_000)
    assert store.running(NOW + 60_000) == []
    again = store.withdraw(posted.id, actor="bo", now_ms=NOW + 120_000)
    assert again.withdrawn_by == "anna"
    actions = [row.action for row in AlertStore(engine).audit_log(action_prefix="message.")]
    assert actions == ["message.withdraw", "message.post"]
    with pytest.raises(UnknownMessage, match="no floor message has id 999"):
        store.withdraw(999, actor="anna", now_ms=NOW)
    assert [m.id for m in store.recent()] == [posted.id]


@pytest.mark.parametrize("text, expires, displays, error", [
    ("   ", NOW + HOUR, [], "needs a text"),
    ("x" * 501, NOW + HOUR, [], "at most 500"),
    ("ok", NOW, [], "expire after"),
    ("ok", NOW + HOUR, ["3"], "display token ids"),
])
def test_it_refuses_a_bad_message_and_stores_nothing(
    engine: Engine, text: str, expires: int, displays: list[object], error: str
) -> None:
    store = FloorMessageStore(engine)
    with pytest.raises(ValueError, match=error):
        store.post(text, displays=displays, expires_at_ms=expires,  # type: ignore[arg-type]
                   actor="sara", now_ms=NOW)
    assert store.recent() == []
    assert AlertStore(engine).audit_log(action_prefix="message.") == []


def test_it_plans_once_and_weekly_maintenance_and_lists_what_may_still_run(
    engine: Engine
) -> None:
    store = MaintenanceStore(engine)
    scope = MaintenanceScope(rule_id=None, source="trio", entity_kind="queue",
                             entity_ids=("100", "101"))
    later = store.create(scope, reason="Switch swap", actor="sara", now_ms=NOW,
                         once=(NOW + HOUR, NOW + 2 * HOUR))
    sunday = store.create(MaintenanceScope(source="trio"), reason="Trio patching",
                          actor="anna", now_ms=NOW + 1,
                          weekly=Weekly((6,), 120, 240, "Europe/Stockholm"))
    assert (later.kind, later.scope, later.starts_at_ms) == (
        MaintenanceKind.ONCE, scope, NOW + HOUR)
    assert (sunday.kind, sunday.weekly) == (
        MaintenanceKind.WEEKLY, Weekly((6,), 120, 240, "Europe/Stockholm"))
    assert [w.id for w in store.windows(live_at_ms=NOW)] == [sunday.id, later.id]
    assert [w.id for w in store.windows(live_at_ms=NOW + 2 * HOUR)] == [sunday.id]
    ended = store.end(sunday.id, actor="sara", now_ms=NOW + 5)
    assert (ended.ended_by, ended.ended_at_ms) == ("sara", NOW + 5)
    assert [w.id for w in store.windows(live_at_ms=NOW + 10)] == [later.id]
    assert store.end(sunday.id, actor="bo", now_ms=NOW + 9).ended_by == "sara"
    audit = AlertStore(engine).audit_log(action_prefix="maintenance.")
    assert [(a.action, a.actor) for a in audit] == [
        ("maintenance.end", "sara"), ("maintenance.create", "anna"),
        ("maintenance.create", "sara")]
    assert audit[1].after["weekly"] == {"weekdays": [6], "start_minute": 120,
                                        "end_minute": 240, "timezone": "Europe/Stockholm"}
    with pytest.raises(UnknownMaintenance):
        store.end(999, actor="sara", now_ms=NOW)


@pytest.mark.parametrize("once, weekly, reason, error", [
    ((NOW + HOUR, NOW + HOUR), None, "x", "end after it starts"),
    ((NOW - 2 * HOUR, NOW - HOUR), None, "x", "over already"),
    (None, Weekly((7,), 120, 240, "Europe/Stockholm"), "x", "weekdays"),
    (None, Weekly((), 120, 240, "Europe/Stockholm"), "x", "weekdays"),
    (None, Weekly((6,), 120, 1440, "Europe/Stockholm"), "x", "minutes of the day"),
    (None, Weekly((6,), 120, 120, "Europe/Stockholm"), "x", "another time"),
    (None, Weekly((6,), 120, 240, "Europe/Nowhere"), "x", "unknown time zone"),
    ((NOW, NOW + HOUR), None, "  ", "needs a reason"),
    (None, None, "x", "either once or weekly"),
])
def test_it_refuses_bad_maintenance_and_stores_nothing(
    engine: Engine, once: tuple[int, int] | None, weekly: Weekly | None, reason: str, error: str
) -> None:
    store = MaintenanceStore(engine)
    with pytest.raises(ValueError, match=error):
        store.create(MaintenanceScope(), reason=reason, actor="sara", now_ms=NOW, once=once,
                     weekly=weekly)
    assert store.windows() == []
