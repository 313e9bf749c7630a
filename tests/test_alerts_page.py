"""/alerts as served: its callbacks over HTTP with a logged-in admin or viewer, over the
real alert store (SQLite and PostgreSQL). Acknowledging is for anyone logged in;
silences and test messages for admins, refused server-side to viewers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard import ids as dash_ids
from dashboard.alertforms import SilenceRequest, parse_silence
from dashboard.alertsmodel import AlertsModel
from dashboard.components import alerts as alr_ids
from dashboard.components import floor as floor_ids
from dashboard.components import format as fmt
from dashboard.components.alerts import build_firing, scope_text
from storage import AlertStore, MaintenanceScope, Store, make_engine, series_key
from tests.fixtures.dashboard import (
    BUSY_QUEUE,
    alert_state,
    by_class,
    log_in,
    silence_row,
    store_alert_states,
    text,
    write_queues,
)
from tests.fixtures.screens import call

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

KEY_12 = series_key("trio", "queue", "12")
KEY_3 = series_key("trio", "queue", "3")
ALERT_12 = "a-12-longest_wait_s"


@pytest.fixture
def now_ms(clock: ManualClock) -> int:
    return int(clock.time() * 1000)


@pytest.fixture(autouse=True)
def rules(engine: Engine, store: Store, now_ms: int) -> dict[str, int]:
    """Stored before the app starts: queues 12 (critical wait) and 3 (a pending service
    level); one mail channel."""
    write_queues(store, {("12", "Kundtjänst"): BUSY_QUEUE, ("3", "Ärenden"): BUSY_QUEUE},
                 now_ms - 1_000)
    ids = store_alert_states(engine, [
        alert_state("12", opened_at_ms=now_ms - 120_000),
        alert_state("3", metric="service_level_pct", state="pending", severity="warning",
                    entity_name="Ärenden", pending_since_ms=now_ms - 5_000, last_value=71.0),
    ], now_ms=now_ms)
    AlertStore(engine).sync_channels([("ops-mail", "email")], now_ms=now_ms)
    return ids


# ``server``, ``client`` and the other actors: tests/fixtures/actors.py; ``call`` posts a
# Dash callback as the browser does (tests/fixtures/screens.py).


def refresh(client: FlaskClient, **values: Any) -> dict[str, Any]:
    return call(client, alr_ids.ALR_FIRING, {alr_ids.ALR_REFRESH: 1, **values},
                (alr_ids.ALR_REFRESH, "n_intervals"))


def pick_id(rule_id: int, key: str = KEY_12, alert_id: str = ALERT_12) -> dict[str, Any]:
    return {"type": alr_ids.ALR_ACK_PICK, "rule": rule_id, "series": key, "alert": alert_id}


def acknowledge(client: FlaskClient, target: Any, comment: str) -> dict[str, Any]:
    return call(client, alr_ids.ALR_ACK_MESSAGE, {
        alr_ids.ALR_ACK_SUBMIT: 1, alr_ids.ALR_ACK_TARGET: target,
        alr_ids.ALR_ACK_COMMENT: comment}, (alr_ids.ALR_ACK_SUBMIT, "n_clicks"))


def create_silence(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    values = {alr_ids.ALR_SILENCE_CREATE: 1, alr_ids.ALR_SILENCE_DURATION: 60,
              **{getattr(alr_ids, f"ALR_SILENCE_{name.upper()}"): value
                 for name, value in fields.items()}}
    return call(client, alr_ids.ALR_SILENCES_MESSAGE, values,
                (alr_ids.ALR_SILENCE_CREATE, "n_clicks"))


def end_silence(client: FlaskClient, silence_id: int) -> dict[str, Any]:
    button = {"type": alr_ids.ALR_SILENCE_END, "silence": silence_id}
    return call(client, alr_ids.ALR_SILENCES_MESSAGE,
                {alr_ids.ALR_SILENCE_END: [(button, 1)]}, (button, "n_clicks"))


def send_test(client: FlaskClient, channel: str, tests: Any = None) -> dict[str, Any]:
    button = {"type": alr_ids.ALR_CHANNEL_TEST, "channel": channel}
    return call(client, alr_ids.ALR_CHANNELS_MESSAGE,
                {alr_ids.ALR_CHANNEL_TEST: [(button, 1)], alr_ids.ALR_TESTS: tests},
                (button, "n_clicks"))


# -- rendering ----------------------------------------------------------------------------


def test_it_shows_firing_and_pending_alerts_to_a_viewer_without_admin_controls(
    client: FlaskClient, rules: dict[str, int]
) -> None:
    log_in(client, "bo")
    assert client.get("/alerts").status_code == 200
    page = refresh(client)
    firing = json.dumps(page[alr_ids.ALR_FIRING], ensure_ascii=False)
    assert "Longest wait" in firing and "Kundtjänst (queue)" in firing
    assert "1:35" in firing and "critical" in firing  # 95 s as the wall screen shows it
    assert alr_ids.ALR_ACK_PICK in firing  # anyone logged in may acknowledge
    pending = json.dumps(page[alr_ids.ALR_PENDING], ensure_ascii=False)
    assert "Service level" in pending and "Ärenden (queue)" in pending and "71.0 %" in pending
    channels = json.dumps(page[alr_ids.ALR_CHANNELS])
    assert "ops-mail" in channels and alr_ids.ALR_CHANNEL_TEST not in channels
    from dashboard.pages import alerts

    assert not [c for c in by_class(alerts.layout(), "form")
                if getattr(c, "id", None) == alr_ids.ALR_SILENCE_FORM]


def test_it_gives_admins_the_silence_form_and_test_buttons_in_swedish(
    client: FlaskClient
) -> None:
    log_in(client, "anna")
    client.get("/alerts")
    from dashboard.pages import alerts

    assert [c.id for c in by_class(alerts.layout(), "form")] == [
        alr_ids.ALR_SILENCE_FORM, floor_ids.ALR_FLOOR_MNT_FORM, floor_ids.ALR_FLOOR_MESSAGE_FORM]
    page = refresh(client, **{dash_ids.PAGES_LANG: "sv"})
    assert "Aktiva nu" in json.dumps(page[alr_ids.ALR_FIRING], ensure_ascii=False)
    channels = json.dumps(page[alr_ids.ALR_CHANNELS], ensure_ascii=False)
    assert alr_ids.ALR_CHANNEL_TEST in channels and "Skicka testmeddelande" in channels


# -- acknowledging ------------------------------------------------------------------------


def test_it_acknowledges_an_alert_with_a_comment_as_a_viewer(
    client: FlaskClient, engine: Engine, rules: dict[str, int], now_ms: int
) -> None:
    log_in(client, "bo")
    client.get("/alerts")
    wait_rule = rules["Longest wait"]
    picked = call(client, alr_ids.ALR_ACK_TARGET,
                  {alr_ids.ALR_ACK_PICK: [(pick_id(wait_rule), 1)]},
                  (pick_id(wait_rule), "n_clicks"))
    target = picked[alr_ids.ALR_ACK_TARGET]
    assert target == {"rule_id": wait_rule, "series_key": KEY_12, "alert_id": ALERT_12}
    panel = call(client, alr_ids.ALR_ACK_PANEL, {alr_ids.ALR_ACK_TARGET: target})
    assert panel[alr_ids.ALR_ACK_TITLE] == "Acknowledge Longest wait · Kundtjänst (queue)"

    done = acknowledge(client, target, "  calling in two more agents ")
    assert done[alr_ids.ALR_ACK_MESSAGE] == "Acknowledged Longest wait · Kundtjänst (queue)"
    assert done[alr_ids.ALR_ACK_TARGET] is None and done[alr_ids.ALR_ACK_COMMENT] == ""
    store = AlertStore(engine)
    [state] = [s for s in store.states() if s.series_key == KEY_12]
    assert (state.ack_by, state.ack_at_ms, state.ack_comment) == (
        "bo", now_ms, "calling in two more agents")
    [event] = store.events(rule_id=wait_rule, series_key=KEY_12)
    assert (event.event, event.actor, event.reason) == (
        "acknowledged", "bo", "calling in two more agents")
    [audit] = store.audit_log(action_prefix="alert.ack")
    assert (audit.actor, audit.target) == ("bo", f"alert:{ALERT_12}")
    shown = json.dumps(refresh(client)[alr_ids.ALR_FIRING], ensure_ascii=False)
    assert "bo, " in shown and "calling in two more agents" in shown
    assert alr_ids.ALR_ACK_PICK not in shown  # acknowledged: no button any more


def test_it_says_so_when_the_alert_resolved_before_the_acknowledgement(
    client: FlaskClient, engine: Engine, rules: dict[str, int]
) -> None:
    log_in(client, "bo")
    client.get("/alerts")
    stale = {"rule_id": rules["Longest wait"], "series_key": KEY_12, "alert_id": "a-older"}
    refused = acknowledge(client, stale, "too late")
    assert refused[alr_ids.ALR_ACK_MESSAGE] == (
        "Longest wait · Kundtjänst (queue) is no longer open (it resolved, or a new alert "
        "started): nothing was acknowledged")
    store = AlertStore(engine)
    assert [s.ack_by for s in store.states() if s.series_key == KEY_12] == [None]
    assert store.events(rule_id=rules["Longest wait"]) == []
    too_long = acknowledge(client, {**stale, "alert_id": ALERT_12}, "x" * 501)
    assert too_long[alr_ids.ALR_ACK_MESSAGE].startswith("The comment is too long")
    assert alr_ids.ALR_ACK_TARGET not in too_long  # kept, to fix the comment


def test_it_answers_a_callback_without_a_session_with_401(client: FlaskClient) -> None:
    response = client.post("/_dash-update-component", json={"output": "x.children"})
    assert response.status_code == 401


# -- silences -----------------------------------------------------------------------------


def test_it_creates_and_ends_a_silence_as_admin(
    client: FlaskClient, engine: Engine, clock: ManualClock, now_ms: int
) -> None:
    log_in(client, "anna")
    client.get("/alerts")
    created = create_silence(client, entities=[KEY_12, KEY_3], reason=" lunch rush ")
    assert created[alr_ids.ALR_SILENCES_MESSAGE] == (
        f"Silenced until {fmt.short_time(now_ms + 3_600_000, now_ms, 'Europe/Stockholm')}")
    assert created[alr_ids.ALR_SILENCE_REASON] == ""
    store = AlertStore(engine)
    [silence] = store.silences(active_at_ms=now_ms)
    assert (silence.rule_id, silence.source, silence.entity_kind, silence.entity_ids) == (
        None, "trio", "queue", ("12", "3"))
    assert (silence.reason, silence.created_by, silence.ends_at_ms) == (
        "lunch rush", "anna", now_ms + 3_600_000)
    listed = json.dumps(refresh(client)[alr_ids.ALR_SILENCES], ensure_ascii=False)
    assert "lunch rush" in listed and alr_ids.ALR_SILENCE_END in listed
    firing = json.dumps(refresh(client)[alr_ids.ALR_FIRING])
    assert f"#{silence.id} until" in firing and "lunch rush" in firing  # silenced by it

    clock.advance(60)
    ended = end_silence(client, silence.id)
    assert ended[alr_ids.ALR_SILENCES_MESSAGE] == f"Silence #{silence.id} ended"
    assert store.silences(active_at_ms=now_ms + 60_000) == []
    [row] = store.silences()
    assert (row.ended_by, row.ended_at_ms) == ("anna", now_ms + 60_000)
    actions = [a.action for a in store.audit_log(action_prefix="silence.")]
    assert actions == ["silence.end", "silence.create"]
    assert "Silence #999 does not exist" == end_silence(client, 999)[
        alr_ids.ALR_SILENCES_MESSAGE]


def test_it_refuses_silences_to_a_viewer_server_side(
    client: FlaskClient, engine: Engine, now_ms: int
) -> None:
    store = AlertStore(engine)
    kept = store.create_silence(rule_id=None, source=None, entity_kind=None, entity_ids=[],
                                starts_at_ms=now_ms, ends_at_ms=now_ms + 60_000,
                                reason="deploy", actor="anna", now_ms=now_ms)
    log_in(client, "bo")
    client.get("/alerts")
    admin_only = "Only supervisors and administrators can change silences and maintenance"
    refused = create_silence(client, reason="mine", entities=[KEY_12])
    assert refused == {alr_ids.ALR_SILENCES_MESSAGE: admin_only}
    assert end_silence(client, kept.id) == {alr_ids.ALR_SILENCES_MESSAGE: admin_only}
    assert [(s.id, s.ended_at_ms) for s in store.silences()] == [(kept.id, None)]
    listed = json.dumps(refresh(client)[alr_ids.ALR_SILENCES])
    assert "deploy" in listed and alr_ids.ALR_SILENCE_END not in listed


def test_it_says_what_is_wrong_with_a_silence_and_stores_nothing(
    client: FlaskClient, engine: Engine, rules: dict[str, int]
) -> None:
    log_in(client, "anna")
    client.get("/alerts")
    message = alr_ids.ALR_SILENCES_MESSAGE
    assert create_silence(client, reason="  ")[message] == "Not silenced: give a reason"
    mixed = create_silence(client, reason="x", entities=[KEY_12, "health:w|target|w"])
    assert mixed[message].startswith("Not silenced: choose entities of one source and kind")
    other_kind = create_silence(client, reason="x", kind="target", entities=[KEY_12])
    assert other_kind[message].startswith("Not silenced: choose entities")
    assert create_silence(client, reason="x", rule=99_999)[message] == (
        "Not silenced: that rule no longer exists")
    assert create_silence(client, reason="x", duration=7)[message] == (
        "Not silenced: choose how long")
    assert AlertStore(engine).silences() == []
    whole_rule = create_silence(client, reason="tuning", rule=rules["Service level"])
    assert whole_rule[message].startswith("Silenced until")
    [silence] = AlertStore(engine).silences()
    assert (silence.rule_id, silence.source, silence.entity_ids) == (
        rules["Service level"], None, ())


def test_it_offers_the_open_alerts_entities_and_the_queues_to_silence(
    client: FlaskClient, rules: dict[str, int]
) -> None:
    log_in(client, "anna")
    client.get("/alerts")
    choices = call(client, alr_ids.ALR_SILENCE_RULE, {alr_ids.ALR_SILENCE_TICK: 0})
    assert {o["label"] for o in choices[alr_ids.ALR_SILENCE_RULE]} >= {
        "Longest wait", "Service level"}
    assert "trio" in choices[alr_ids.ALR_SILENCE_SOURCE]
    assert [(o["value"], o["label"]) for o in choices[alr_ids.ALR_SILENCE_ENTITIES]] == [
        (KEY_12, "Kundtjänst (queue)"), (KEY_3, "Ärenden (queue)")]


def test_the_maintenance_form_offers_the_same_choices_as_the_silence_form(
    client: FlaskClient, rules: dict[str, int]
) -> None:
    """One scope picker: the maintenance form's choices come from the same callback,
    renewed on its own tick, in the page's language."""
    log_in(client, "anna")
    client.get("/alerts")
    silence = call(client, alr_ids.ALR_SILENCE_RULE, {alr_ids.ALR_SILENCE_TICK: 0})
    mnt = floor_ids.MAINTENANCE_SCOPE
    maintenance = call(client, mnt.rule, {mnt.tick: 0})
    assert [maintenance[key] for key in (mnt.rule, mnt.source, mnt.entities)] == [
        silence[key] for key in (alr_ids.ALR_SILENCE_RULE, alr_ids.ALR_SILENCE_SOURCE,
                                 alr_ids.ALR_SILENCE_ENTITIES)]
    swedish = call(client, mnt.rule, {mnt.tick: 1, dash_ids.PAGES_LANG: "sv"})
    assert [o["label"] for o in swedish[mnt.entities]] == ["Kundtjänst (kö)", "Ärenden (kö)"]


def test_it_names_a_silences_and_a_windows_scope_alike() -> None:
    scope = MaintenanceScope(rule_id=1, source="trio", entity_kind="queue",
                             entity_ids=("12", "3"))
    silence = silence_row(rule_id=1, source="trio", entity_kind="queue", entity_ids=("12", "3"))
    assert scope_text(scope, {1: "Longest wait"}, "sv") == (
        scope_text(silence, {1: "Longest wait"}, "sv")) == "Längsta väntetid · trio · kö · 12, 3"
    assert scope_text(MaintenanceScope(), {}, "en") == "everything"


# -- channels -----------------------------------------------------------------------------


def test_it_queues_a_test_message_and_shows_how_it_went(
    client: FlaskClient, engine: Engine, store: Store, clock: ManualClock, now_ms: int
) -> None:
    log_in(client, "anna")
    client.get("/alerts")
    sent = send_test(client, "ops-mail")
    assert sent[alr_ids.ALR_CHANNELS_MESSAGE] == (
        "Test message for ops-mail queued: the collector sends it")
    tests = sent[alr_ids.ALR_TESTS]
    alerts = AlertStore(engine)
    row = alerts.outbox_row(tests["ops-mail"])
    assert row is not None
    assert (row.channel, row.kind, row.status, row.requested_by, row.due_at_ms) == (
        "ops-mail", "test", "queued", "anna", now_ms)
    assert row.payload["kind"] == "test" and row.payload["link"].endswith("/alerts")
    shown = json.dumps(refresh(client, **{alr_ids.ALR_TESTS: tests})[alr_ids.ALR_CHANNELS])
    assert '"data-test": "queued"' in shown

    token = store.acquire_lease("collector", "host-1", ttl_ms=15_000, now_ms=now_ms)
    assert token is not None
    alerts.claim_due(now_ms=now_ms, group_window_ms=0, lease_name="collector",
                     lease_token=token)
    alerts.finish([row.id], status="failed", error="535 authentication failed",
                  now_ms=now_ms + 500)
    clock.advance(5)  # the next refresh period
    shown = json.dumps(refresh(client, **{alr_ids.ALR_TESTS: tests})[alr_ids.ALR_CHANNELS])
    assert "failed: 535 authentication failed" in shown
    assert send_test(client, "gone")[alr_ids.ALR_CHANNELS_MESSAGE] == (
        "gone is no longer configured")


def test_it_refuses_test_messages_to_a_viewer(client: FlaskClient, engine: Engine) -> None:
    log_in(client, "bo")
    client.get("/alerts")
    refused = send_test(client, "ops-mail")
    assert refused == {alr_ids.ALR_CHANNELS_MESSAGE:
                       "Only administrators can change silences and send test messages"}
    assert AlertStore(engine).outbox() == []


# -- history ------------------------------------------------------------------------------


def test_it_filters_the_history_by_rule_and_entity(
    client: FlaskClient, engine: Engine, rules: dict[str, int], now_ms: int
) -> None:
    store = AlertStore(engine)
    for key in (KEY_12,):
        store.acknowledge(rules["Longest wait"], key, alert_id=ALERT_12, user="anna",
                          comment="on it", now_ms=now_ms)
    log_in(client, "bo")
    client.get("/alerts")
    everything = refresh(client)
    assert "on it" in json.dumps(everything[alr_ids.ALR_HISTORY])
    assert {o["label"] for o in everything[alr_ids.ALR_FILTER_ENTITY]} == {
        "Kundtjänst (queue)", "Ärenden (queue)"}
    by_entity = refresh(client, **{alr_ids.ALR_FILTER_ENTITY: KEY_3})
    assert "No alert events yet" in json.dumps(by_entity[alr_ids.ALR_HISTORY])
    by_rule = refresh(client, **{alr_ids.ALR_FILTER_RULE: rules["Longest wait"]})
    assert "acknowledged" in json.dumps(by_rule[alr_ids.ALR_HISTORY])


# -- without a database -------------------------------------------------------------------


def test_it_says_the_database_is_unavailable(clock: ManualClock) -> None:
    engine = make_engine("postgresql+psycopg://trio@127.0.0.1:1/trio_monitor")
    try:
        model = AlertsModel(AlertStore(engine), 5.0, clock.time)
        data = model.data()
        assert data.db_error is not None and model.data() is data  # once per period
        shown = build_firing(data, int(clock.time() * 1000), "en", can_ack=True,
                             tz="Europe/Stockholm")
        assert text(shown).startswith("Database unavailable: ")
        assert isinstance(model.history(1, None), str)
    finally:
        engine.dispose()


# -- the silence form's rules (pure) --------------------------------------------------------


def test_it_reads_a_silence_from_the_form_values() -> None:
    rules = {4: "Longest wait"}
    assert parse_silence(4, None, None, [KEY_12], 30, " lunch ", rule_names=rules) == (
        SilenceRequest(rule_id=4, source="trio", entity_kind="queue", entity_ids=("12",),
                       duration_ms=1_800_000, reason="lunch"))
    assert parse_silence(None, "trio", "", None, 60, "r", rule_names=rules) == SilenceRequest(
        rule_id=None, source="trio", entity_kind=None, entity_ids=(), duration_ms=3_600_000,
        reason="r")
    for bad in ([KEY_12, "trio|target|x"], ["no-pipes"], ["trio|queue|"], "trio|queue|1", [1]):
        assert parse_silence(None, None, None, bad, 60, "r", rule_names=rules) == (
            "alr_bad_entities")
    assert parse_silence(None, 5, None, [], 60, "r", rule_names=rules) == "alr_bad_entities"
    assert parse_silence(True, None, None, [], 60, "r", rule_names={1: "x"}) == (
        "alr_unknown_rule")
    assert parse_silence(None, None, None, [], True, "r", rule_names=rules) == (
        "alr_bad_duration")
    assert parse_silence(None, None, None, [], 60, None, rule_names=rules) == (
        "alr_reason_required")
    assert parse_silence(None, None, None, [], 60, "r" * 501, rule_names=rules) == (
        "alr_reason_too_long")


def test_both_scope_pickers_name_the_kinds_in_the_readers_language() -> None:
    from dashboard.components.alerts import build_silence_form
    from dashboard.components.floor import build_maintenance_form

    for form, kind_id in ((build_silence_form("sv", 5000), alr_ids.ALR_SILENCE_KIND),
                          (build_maintenance_form("sv", 5000), floor_ids.ALR_FLOOR_MNT_KIND)):
        [dropdown] = [c for c in _walk(form) if getattr(c, "id", None) == kind_id]
        assert [(o["value"], o["label"]) for o in dropdown.options][:2] == [
            ("queue", "kö"), ("target", "hälsomål")]


def _walk(component: Any) -> list[Any]:
    children = getattr(component, "children", None)
    kids = children if isinstance(children, list) else [children] if children else []
    return [component, *(c for kid in kids if not isinstance(kid, str) for c in _walk(kid))]
