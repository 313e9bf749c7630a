"""SelfStatsStore: the aggregates /metrics reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import (
    AlertStore,
    DisplayStore,
    EventRow,
    OutboxItem,
    Resolution,
    RollupStore,
    SeenRequest,
    SelfStatsStore,
    StateChange,
    StateRow,
    Store,
    series_key,
)

LEASE = "collector"
T0 = 1_700_000_000_000


def state(rule_id: int, entity: str, to: str, severity: str | None) -> StateRow:
    return StateRow(
        rule_id=rule_id, series_key=series_key("trio", "queue", entity), source="trio",
        entity_kind="queue", entity_id=entity, entity_name=f"Queue {entity}",
        metric="longest_wait_s", state=to, severity=severity, since_ms=T0,
        pending_since_ms=None, breach_ended_ms=None, last_value=1.0, last_value_ms=T0,
        reason="r", alert_id=None, opened_at_ms=None, last_notified_at_ms=None, ack_by=None,
        ack_at_ms=None, ack_comment=None,
    )


def event(row: StateRow) -> EventRow:
    return EventRow(
        ts_ms=T0, rule_id=row.rule_id, rule_name="Long wait", series_key=row.series_key,
        source=row.source, entity_kind=row.entity_kind, entity_id=row.entity_id,
        entity_name=row.entity_name, alert_id=None, event=row.state, from_state="ok",
        to_state=row.state, severity=row.severity, value=1.0, reason="r",
    )


def note(channel: str, created_ms: int) -> OutboxItem:
    return OutboxItem(channel=channel, kind="firing", alert_id=None, payload={"t": 1},
                      due_at_ms=created_ms)


def test_it_counts_outbox_rows_channels_alert_states_and_watermarks(engine: Engine,
                                                                      store: Store) -> None:
    alerts = AlertStore(engine)
    token = store.acquire_lease(LEASE, "host-a:1", 3_600_000, now_ms=T0)
    assert token is not None
    rule_id = alerts.create_rule("Long wait", {"metric": "longest_wait_s", "direction": "above",
                                               "warning": 60.0}, True, actor="admin", now_ms=T0).id
    rows = [state(rule_id, "1", "firing", "warning"), state(rule_id, "2", "firing", "critical"),
            state(rule_id, "3", "firing", "warning"), state(rule_id, "4", "ok", None)]
    alerts.apply([StateChange(row=r, expected_version=None, event=event(r), notifications=())
                  for r in rows], lease_name=LEASE, lease_token=token, now_ms=T0)
    alerts.sync_channels([("mail", "email"), ("teams", "webhook")], now_ms=T0)
    alerts.set_channel_state("teams", state="failing", error="HTTP 404", now_ms=T0)
    alerts.enqueue([note("mail", T0 - 5_000)], now_ms=T0 - 5_000)
    alerts.enqueue([note("mail", T0), note("teams", T0)], now_ms=T0)
    claimed = alerts.claim_due(now_ms=T0 + 10_000, group_window_ms=0, lease_name=LEASE,
                               lease_token=token)
    alerts.finish([r.id for r in claimed["teams"]], status="failed", error="x",
                  now_ms=T0 + 10_000)
    alerts.finish([r.id for r in claimed["mail"]], status="queued", error="x",
                  now_ms=T0 + 10_000, retry_at_ms=T0 + 60_000)
    alerts.enqueue([note("mail", T0 + 20_000)], now_ms=T0 + 20_000)
    RollupStore(engine).roll_step(Resolution.MINUTE, T0, lease_name=None, lease_token=None,
                                  now_ms=T0)

    stats = SelfStatsStore(engine).self_stats()

    by_channel = {c.channel: c for c in stats.outbox}
    assert by_channel["mail"].rows == {"queued": 3}
    assert by_channel["mail"].oldest_queued_ms == T0 - 5_000
    assert by_channel["teams"].rows == {"failed": 1}
    assert by_channel["teams"].oldest_queued_ms is None
    assert stats.channel_states == {"mail": "ok", "teams": "failing"}
    assert stats.alert_states == {("firing", "warning"): 2, ("firing", "critical"): 1,
                                  ("ok", ""): 1}
    assert stats.rollup_watermarks["1m"] <= T0


def test_it_counts_active_and_silent_screens(engine: Engine) -> None:
    displays = DisplayStore(engine)
    seen = {"hall": T0 - 10_000, "desk": T0 - 400_000, "new": None, "gone": T0}
    for i, (name, at) in enumerate(seen.items()):
        row = displays.create(name, f"{i:064x}", actor="admin", now_ms=T0 - 900_000)
        if at is not None:
            displays.record_seen(row.id, SeenRequest(None, None, "/kiosk"), now_ms=at)
        if name == "gone":
            displays.revoke(row.id, actor="admin", now_ms=T0)

    counts = SelfStatsStore(engine).screen_counts(now_ms=T0, active_ms=120_000,
                                                  silent_ms=300_000)

    assert (counts.active, counts.silent) == (1, 1)
