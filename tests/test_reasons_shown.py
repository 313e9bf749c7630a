"""Reasons of alert states as /alerts shows them: a moment the engine stored as a UTC
stamp is in the site's zone with its abbreviation, in both languages; no " UTC" is left
on the page when the site is elsewhere."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard import ids as dash_ids
from dashboard.components import alerts as alr_ids
from storage import AlertStore, EventRow, StateChange, Store, series_key
from tests.fixtures.dashboard import alert_state, log_in, store_alert_states
from tests.fixtures.screens import call

pytestmark = pytest.mark.sqlite_only

# The site is in Stockholm (DashboardConfig's default zone); the engine stores UTC.
UTC_REASON = ("no fresh service_level_pct value (newest 2023-11-14 21:50:00 UTC); counted "
              "since the failover at 2023-07-01 13:00:00 UTC (the secondary server's counters)")
EVENT_REASON = "source trio failing since 2023-11-14 21:55:00 UTC"
SHOWN = {
    "en": ["newest 2023-11-14 22:50:00 CET", "failover at 2023-07-01 15:00:00 CEST",
           "failing since 2023-11-14 22:55:00 CET"],
    "sv": ["senaste 2023-11-14 22:50:00 CET", "kl. 2023-07-01 15:00:00 CEST",
           "fallerar sedan 2023-11-14 22:55:00 CET"],
}


@pytest.fixture(autouse=True)
def stored_reasons(engine: Engine, clock: ManualClock) -> None:
    now_ms = int(clock.time() * 1000)
    ids = store_alert_states(engine, [
        alert_state("3", metric="service_level_pct", state="pending", severity="warning",
                    entity_name="Ärenden", pending_since_ms=now_ms - 5_000, reason=UTC_REASON),
    ], now_ms=now_ms)
    row = alert_state("12", reason=EVENT_REASON, rule_id=ids["Longest wait"],
                      alert_id="a-12", opened_at_ms=now_ms - 60_000)
    event = EventRow(
        ts_ms=now_ms - 60_000, rule_id=row.rule_id, rule_name="Longest wait",
        series_key=series_key("trio", "queue", "12"), source="trio", entity_kind="queue",
        entity_id="12", entity_name="Kundtjänst", alert_id="a-12", event="firing",
        from_state="ok", to_state="firing", severity="critical", value=95.0,
        reason=EVENT_REASON, silenced=False)
    token = Store(engine).acquire_lease("collector", "host-1", ttl_ms=15_000, now_ms=now_ms)
    assert token is not None
    assert AlertStore(engine).apply([StateChange(row, None, event)], lease_name="collector",
                                    lease_token=token, now_ms=now_ms) == [True]


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_it_shows_every_stored_time_of_a_reason_in_the_sites_zone(
    client: FlaskClient, lang: str
) -> None:
    log_in(client, "bo")
    assert client.get("/alerts").status_code == 200
    page = call(client, alr_ids.ALR_FIRING, {alr_ids.ALR_REFRESH: 1, dash_ids.PAGES_LANG: lang},
                (alr_ids.ALR_REFRESH, "n_intervals"))
    shown = json.dumps(page, ensure_ascii=False)
    for part in SHOWN[lang]:
        assert part in shown, part
    assert " UTC" not in shown
