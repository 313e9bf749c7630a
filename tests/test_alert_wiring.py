"""Alert evaluation wired into the collector: the lease job from the settings, and the real
collector polling the simulated Trio API over loopback until a queue's wait fires an alert.

The simulator and the collector share one injected clock (the ``clock`` fixture): every
other queue then shows the same seeded values at any time of day, so only the pinned queue
breaches (on the real clock another queue sometimes breached by itself).
"""

from __future__ import annotations

import json

import pytest

from alerts import default_rule_specs, seed_default_rules
from collectors.clock import ManualClock
from collectors.runner import LEASE_NAME
from storage import AlertStore, StateRow
from tests.fixtures.collect import Harness, collector_settings
from trio_monitor import wiring
from trio_monitor.settings import load_settings
from trio_monitor.webapp import create_app

# Tests of the collector's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = [pytest.mark.timeout(60), pytest.mark.sqlite_only]

CHANNELS = json.dumps([{"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}])


def test_the_alert_job_follows_the_settings(db_url, sim, clock):
    settings = collector_settings(db_url, sim, alert_tick_s=2.5)
    engine = wiring.make_engine(settings)
    try:
        [job] = wiring.alert_jobs(settings, engine, clock)
    finally:
        engine.dispose()

    assert (job.name, job.every_s) == ("alerts", 2.5)
    assert job.on_activate is not None and job.after_write is not None


def test_alerts_watch_the_configured_sources_and_the_enabled_health_targets(db_url, sim, clock):
    drift = json.dumps([{"name": "rec", "url": "http://127.0.0.1:9/drift"}])
    targets = json.dumps([{"name": "api", "url": "http://127.0.0.1:9/health"}])
    settings = collector_settings(db_url, sim, drift_sources=drift, health_targets=targets)
    engine = wiring.make_engine(settings)
    try:
        wiring.sync_configured_targets(settings, engine, clock)
        watched = wiring.watched_sources(settings, engine)
    finally:
        engine.dispose()

    assert watched == {"trio", "drift:rec", "health:api"}


def test_the_web_app_seeds_the_default_rules_once_too(db_url, engine, tmp_path):
    settings = load_settings(database_url=db_url, data_dir=tmp_path)
    create_app(settings, engine)
    create_app(settings, engine)  # a second worker process starting

    names = [r.name for r in AlertStore(engine).list_rules()]
    assert sorted(names) == sorted(name for name, _ in default_rule_specs())


def test_links_in_notifications_default_to_the_web_bind(db_url, sim):
    assert collector_settings(db_url, sim).public_base_url == "http://127.0.0.1:8050"
    custom = collector_settings(db_url, sim, public_url="https://monitor.example.se/")
    assert custom.public_base_url == "https://monitor.example.se"


async def test_a_queue_waiting_over_20_s_fires_critical_with_an_outbox_row(
    sim, harness_factory, clock
):
    h = harness_factory(sim, clock=clock, notify_channels=CHANNELS,
                        public_url="https://monitor.example.se")
    alerts = AlertStore(h.engine)
    route_longest_wait_to(alerts, "ops", clock)
    sim.control.override_queue(100, longestwaittime=25, open=True)
    await h.activate()

    await h.poll()

    state = queue_state(alerts, "Longest wait", "100")
    assert (state.state, state.severity, state.entity_name) == ("firing", "critical", "Kundtjänst")
    [row] = alerts.outbox()
    assert (row.channel, row.kind, row.alert_id) == ("ops", "firing", state.alert_id)
    assert row.payload["entity"] == "Kundtjänst (queue 100)"
    assert row.payload["link"] == "https://monitor.example.se/alerts"

    # The next poll and the tick judge the same alert: nothing new is queued.
    clock.advance(5)
    await h.poll()
    await run_alert_job(h)
    assert len(alerts.outbox()) == 1
    assert queue_state(alerts, "Longest wait", "100").alert_id == state.alert_id


async def test_a_standby_taking_over_resumes_the_alert_without_a_second_notification(
    sim, harness_factory, clock
):
    first = harness_factory(sim, clock=clock)
    alerts = AlertStore(first.engine)
    route_longest_wait_to(alerts, "ops", clock)
    sim.control.override_queue(100, longestwaittime=25, open=True)
    await first.activate()
    await first.poll()
    assert len(alerts.outbox()) == 1
    token = first.collector.token
    assert token is not None
    first.store.release_lease(LEASE_NAME, first.collector.config.holder, token,
                              int(clock.time() * 1000))  # as on SIGTERM

    second = harness_factory(sim, clock=clock)
    clock.advance(5)
    await second.activate()
    await second.poll()
    await run_alert_job(second)

    assert queue_state(alerts, "Longest wait", "100").state == "firing"
    assert len(alerts.outbox()) == 1


def route_longest_wait_to(alerts: AlertStore, channel: str, clock: ManualClock) -> None:
    """Seed the default rules and send the shipped "Longest wait" rule's critical alerts
    to ``channel`` (the defaults route nowhere until an admin says where)."""
    now_ms = int(clock.time() * 1000)
    seed_default_rules(alerts.engine, now_ms)
    rule = next(r for r in alerts.list_rules() if r.name == "Longest wait")
    alerts.update_rule(
        rule.id, rule.name, {**rule.spec, "critical_channels": [channel]}, True,
        expected_version=rule.version, actor="admin", now_ms=now_ms,
    )


def queue_state(alerts: AlertStore, rule_name: str, queue_id: str) -> StateRow:
    rule = next(r for r in alerts.list_rules() if r.name == rule_name)
    [state] = [s for s in alerts.load_states([rule.id])
               if s.series_key == f"trio|queue|{queue_id}"]
    return state


async def run_alert_job(h: Harness) -> None:
    [job] = [j for j in h.collector.jobs if j.name == "alerts"]
    assert h.collector.token is not None
    await job.run(h.collector.token)
