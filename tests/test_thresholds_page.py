"""/thresholds as served: the rules table, the rule form's callbacks over HTTP with a
logged-in admin or viewer, optimistic edits, the backtest on stored samples and the audit
of rule changes (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from typing import Any

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from alerts import validate_rule
from collectors.clock import ManualClock
from dashboard import DashboardConfig
from dashboard import ids as dash_ids
from dashboard.components import thresholds as thr_ids
from dashboard.components.thresholds import ERROR_FIELDS, FORM_FIELDS, spec_of
from storage import AlertStore, PollWrite, Sample, SeriesKey, Store
from tests.fixtures.dashboard import by_class, facts, log_in, text, walk

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

INPUTS = [thr_ids.THR_FORM_INPUT_PREFIX + name for name in FORM_FIELDS]
WINDOW_KINDS = (thr_ids.THR_WINDOW_DAYS, thr_ids.THR_WINDOW_START, thr_ids.THR_WINDOW_END)
BUTTONS = (thr_ids.THR_FORM_SAVE, thr_ids.THR_FORM_DELETE, thr_ids.THR_FORM_NEW)
MINUTE = 60_000
HOUR = 60 * MINUTE


@pytest.fixture
def dashboard_config() -> DashboardConfig:
    """The app of ``server`` (tests/fixtures/actors.py) with two notification channels."""
    return DashboardConfig(channels=("ops-mail", "teams"))


@pytest.fixture
def alerts(engine: Engine) -> AlertStore:
    return AlertStore(engine)


def now_ms(clock: ManualClock) -> int:
    return int(clock.time() * 1000)


def _form(**values: Any) -> list[Any]:
    defaults: dict[str, Any] = {
        "name": "Long wait", "metric": "longest_wait_s", "source": "", "entity_kind": "queue",
        "entity_ids": [], "direction": "above", "severity": "critical", "warning": "15",
        "critical": "",
        "recovery_warning": "", "recovery_critical": "", "pending_s": "0",
        "keep_firing_for_s": "0", "no_data_after_s": "", "no_data": "keep_last",
        "active": "always", "timezone": "Europe/Stockholm", "warning_channels": [],
        "critical_channels": [], "enabled": ["enabled"],
    }
    return [{**defaults, **values}[name] for name in FORM_FIELDS]


def _dependency(client: FlaskClient, output_id: str) -> dict[str, Any]:
    deps = client.get("/_dash-dependencies").get_json()
    [dep] = [d for d in deps if f"{output_id}." in d["output"]
             and "@" not in d["output"]]
    return dict(dep)


def _outputs(dep: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
            for part in dep["output"].strip(".").split("...")]


def _windows(rows: list[tuple[list[int], str, str]]) -> list[list[dict[str, Any]]]:
    return [[{"id": {"type": kind, "index": i}, "property": "value", "value": row[k]}
             for i, row in enumerate(rows)] for k, kind in enumerate(WINDOW_KINDS)]


def _state(values: list[Any], editing: Any,
           windows: list[tuple[list[int], str, str]] | None = None) -> list[Any]:
    state: list[Any] = [{"id": i, "property": "value", "value": v}
                        for i, v in zip(INPUTS, values, strict=True)]
    state += _windows(windows or [([], "", "")])
    state += [{"id": thr_ids.THR_FORM_EDITING, "property": "data", "value": editing},
              {"id": dash_ids.PAGES_LANG, "property": "data", "value": "en"}]
    return state


def post(client: FlaskClient, dep: dict[str, Any], inputs: list[Any], state: list[Any],
         changed: str) -> Any:
    """POST one callback as the browser does (CSRF header set by log_in)."""
    outputs: Any = _outputs(dep)
    if not dep["output"].startswith(".."):
        [outputs] = outputs  # a single output is sent as itself, not in a list
    response = client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": outputs, "inputs": inputs, "state": state,
        "changedPropIds": [changed]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def post_form(client: FlaskClient, trigger: str, values: list[Any], editing: Any = None,
              windows: list[tuple[list[int], str, str]] | None = None) -> Any:
    dep = _dependency(client, thr_ids.THR_FORM_MESSAGE)
    prop = {thr_ids.THR_FORM_DELETE: "submit_n_clicks"}
    inputs = [{"id": b, "property": prop.get(b, "n_clicks"), "value": 1 if b == trigger
               else None} for b in BUTTONS]
    return post(client, dep, inputs, _state(values, editing, windows),
                f"{trigger}.{prop.get(trigger, 'n_clicks')}")


def post_backtest(client: FlaskClient, values: list[Any], editing: Any = None) -> Any:
    dep = _dependency(client, thr_ids.THR_BACKTEST)
    inputs = [{"id": thr_ids.THR_FORM_BACKTEST, "property": "n_clicks", "value": 1}]
    response = post(client, dep, inputs, _state(values, editing),
                    f"{thr_ids.THR_FORM_BACKTEST}.n_clicks")
    return response[thr_ids.THR_BACKTEST]["children"]


def post_toggle(client: FlaskClient, rule_id: int, version: int) -> Any:
    dep = _dependency(client, thr_ids.THR_RULES_MESSAGE)
    button = {"type": thr_ids.THR_TOGGLE, "rule": rule_id, "version": version}
    inputs = [[{"id": button, "property": "n_clicks", "value": 1}]]
    state = [{"id": dash_ids.PAGES_LANG, "property": "data", "value": "en"}]
    changed = json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"
    return post(client, dep, inputs, state, changed)


def jtext(node: Any) -> str:
    """All the text of components as a callback returns them (JSON), space separated."""
    if isinstance(node, list):
        return " ".join(part for part in (jtext(item) for item in node) if part)
    if isinstance(node, dict):
        return jtext(node.get("props", node).get("children"))
    return "" if node is None else str(node)


def _message(response: Any) -> str:
    return jtext(response[thr_ids.THR_FORM_MESSAGE]["children"])


def _error(response: Any, name: str) -> str:
    return str(response[thr_ids.THR_FORM_ERROR_PREFIX + name]["children"])


def _editing(response: Any) -> Any:
    return response[thr_ids.THR_FORM_EDITING]["data"]


def _page(client: FlaskClient, path: str = "/thresholds", **query: str) -> Any:
    client.get(path)
    from dashboard.pages import thresholds

    return thresholds


def _create(alerts: AlertStore, now: int, **fields: Any) -> Any:
    rule = validate_rule({"name": "Long wait", "metric": "longest_wait_s",
                          "scope": {"entity_kind": "queue"}, "direction": "above",
                          "warning": 15, **fields})
    return alerts.create_rule(rule.name, spec_of(rule), rule.enabled, actor="system",
                              now_ms=now)


# -- reading ----------------------------------------------------------------------------


def test_it_shows_every_rule_to_a_viewer_without_any_edit_control(
    client: FlaskClient, alerts: AlertStore, clock: ManualClock
) -> None:
    _create(alerts, now_ms(clock), recovery_warning=12, critical=20, pending_s=30,
            no_data_after_s=90, no_data="alerting", active="windows",
            windows=[{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "17:00"}],
            critical_channels=["teams", "gone"])
    log_in(client, "bo")
    page = _page(client)
    assert by_class(page.layout(), "form") == []
    rules, audit = page.tables("en", 0, 0)
    # The rule in the words of the form's sentence, durations as the tiles show them.
    assert ("Long wait Alert when Longest wait in every queue is at or above 0:15 (warning) "
            "or 0:20 (critical) for 30 s; recover below 0:12 (warning).") in text(rules)
    assert "after 1:30: alert" in text(rules)  # the no-data limit as the tiles write it
    assert "Mon–Fri 08:00–17:00 (Europe/Stockholm)" in text(rules)
    assert "critical → teams, gone (not configured)" in text(rules)
    assert "Edit" not in text(rules) and "Disable" not in text(rules)
    assert "created" in text(audit) and "system" in text(audit)


def test_it_gives_the_form_to_admins_with_a_rule_loaded_from_the_address(
    client: FlaskClient, alerts: AlertStore, clock: ManualClock
) -> None:
    row = _create(alerts, now_ms(clock), warning_channels=["ops-mail"])
    log_in(client, "anna")
    page = _page(client, f"/thresholds?edit={row.id}")
    form = page.layout(edit=str(row.id))
    [store] = [c for c in walk(form) if getattr(c, "id", None) == thr_ids.THR_FORM_EDITING]
    assert store.data == {"id": row.id, "version": 1}
    [name] = [c for c in walk(form) if getattr(c, "id", None) == INPUTS[0]]
    assert name.value == "Long wait"
    [routing] = [c for c in walk(form)
                 if getattr(c, "id", None) == thr_ids.THR_FORM_INPUT_PREFIX + "warning_channels"]
    assert routing.value == ["ops-mail"]
    assert [o["value"] for o in routing.options] == ["ops-mail", "teams"]
    assert "Edit Long wait" in text(by_class(form, "section__title"))
    rules, _audit = page.tables("en", 0, 0)
    assert "Edit" in text(rules) and "Disable" in text(rules)
    fresh = page.layout(edit="999")  # unknown: a new rule
    [store] = [c for c in walk(fresh) if getattr(c, "id", None) == thr_ids.THR_FORM_EDITING]
    assert store.data is None


# -- changing -----------------------------------------------------------------------------


def test_it_creates_edits_and_deletes_a_rule_as_admin_with_audit_rows(
    client: FlaskClient, alerts: AlertStore
) -> None:
    log_in(client, "anna")
    created = post_form(client, thr_ids.THR_FORM_SAVE,
                        _form(warning_channels=["ops-mail"], active="windows"),
                        windows=[([0, 1, 2, 3, 4], "08:00", "17:00"), ([], "", "")])
    assert _message(created) == "Saved Long wait"
    [row] = alerts.list_rules()
    assert _editing(created) == {"id": row.id, "version": 1}
    assert row.spec["windows"] == [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "17:00"}]
    assert (row.updated_by, row.spec["warning_channels"]) == ("anna", ["ops-mail"])

    edited = post_form(client, thr_ids.THR_FORM_SAVE,
                       _form(name="Long wait, queue 12", warning="18", entity_ids="12",
                             recovery_warning="15", enabled=[]),
                       editing=_editing(created))
    assert _message(edited) == "Saved Long wait, queue 12"
    row = alerts.get_rule(row.id)
    assert (row.name, row.version, row.enabled) == ("Long wait, queue 12", 2, False)
    assert row.spec["scope"]["entity_ids"] == ["12"] and row.spec["warning"] == 18

    deleted = post_form(client, thr_ids.THR_FORM_DELETE, _form(), editing=_editing(edited))
    assert _message(deleted) == "Deleted Long wait, queue 12"
    assert alerts.list_rules() == [] and _editing(deleted) is None

    audit = alerts.audit_log(action_prefix="rule.")
    assert [(a.action, a.actor, a.client_addr) for a in audit] == [
        ("rule.delete", "anna", "127.0.0.1"), ("rule.update", "anna", "127.0.0.1"),
        ("rule.create", "anna", "127.0.0.1")]
    _rules, shown = _page(client).tables("en", 0, 0)
    changes = text(by_class(shown, "thr-audit__change"))
    assert "name: Long wait → Long wait, queue 12" in changes
    assert "warning: 15 → 18" in changes and "recovery_warning: – → 15" in changes
    assert "scope.entity_ids: – → 12" in changes and "enabled: on → off" in changes
    assert "active: windows → always" in changes
    assert "windows: Mon–Fri 08:00–17:00 → –" in changes
    assert "version" not in changes


def test_it_enables_and_disables_a_rule_from_the_table(
    client: FlaskClient, alerts: AlertStore, clock: ManualClock
) -> None:
    row = _create(alerts, now_ms(clock))
    log_in(client, "anna")
    off = post_toggle(client, row.id, row.version)
    assert jtext(off[thr_ids.THR_RULES_MESSAGE]) == "Disabled Long wait"
    assert alerts.get_rule(row.id).enabled is False
    stale = post_toggle(client, row.id, row.version)  # the button of the old version
    assert "changed by someone else meanwhile" in jtext(stale[thr_ids.THR_RULES_MESSAGE])
    assert alerts.get_rule(row.id).enabled is False
    on = post_toggle(client, row.id, row.version + 1)
    assert jtext(on[thr_ids.THR_RULES_MESSAGE]) == "Enabled Long wait"
    assert alerts.get_rule(row.id).version == 3


def test_the_server_refuses_every_change_to_a_viewer_even_a_forged_one(
    client: FlaskClient, alerts: AlertStore, clock: ManualClock
) -> None:
    row = _create(alerts, now_ms(clock))
    log_in(client, "bo")
    editing = {"id": row.id, "version": row.version}
    for trigger, version in ((thr_ids.THR_FORM_SAVE, None), (thr_ids.THR_FORM_SAVE, editing),
                             (thr_ids.THR_FORM_DELETE, editing)):
        response = post_form(client, trigger, _form(name="Forged", warning="1"), version)
        assert _message(response) == "Only administrators can change alert rules"
        assert INPUTS[0] not in response  # nothing else changes
    toggled = post_toggle(client, row.id, row.version)
    assert jtext(toggled[thr_ids.THR_RULES_MESSAGE]) == (
        "Only administrators can change alert rules")
    assert "Only administrators" in jtext(post_backtest(client, _form()))
    assert [(r.name, r.version, r.enabled) for r in alerts.list_rules()] == [
        ("Long wait", 1, True)]
    assert [a.action for a in alerts.audit_log(action_prefix="rule.")] == ["rule.create"]


def test_it_shows_validation_errors_next_to_the_field_and_saves_nothing(
    client: FlaskClient, alerts: AlertStore
) -> None:
    log_in(client, "anna")
    cases = [
        (_form(warning="", critical=""), "warning", "set a warning or a critical threshold"),
        (_form(warning="20", critical="15"), "critical", "must be more than warning"),
        (_form(recovery_warning="16"), "recovery_warning", "at most the warning threshold"),
        (_form(metric="Longest Wait"), "metric", "must be a series metric name"),
        (_form(active="windows"), "windows", "add at least one time window"),
        (_form(pending_s="-1"), "pending_s",
         '"-1" is not a duration: write it like 0:20, 20 s, 1:30 or 5 min'),
        (_form(pending_s="200:00:00"), "pending_s", "between 0 and"),
        (_form(warning="0:2x"), "warning", '"0:2x" is not a duration'),
        (_form(metric="service_level_pct", warning="8o"), "warning", '"8o" is not a number'),
        (_form(timezone="Mars/Olympus"), "timezone", "not a known time zone"),
        (_form(critical_channels=["pager"]), "critical_channels",
         "pager is not a configured notification channel"),
    ]
    for values, field, expected in cases:
        response = post_form(client, thr_ids.THR_FORM_SAVE, values)
        assert _message(response) == "Not saved: check the marked field"
        assert expected in _error(response, field), (field, response)
        others = [name for name in ERROR_FIELDS if name != field]
        assert all(_error(response, name) == "" for name in others)
    bad_window = post_form(client, thr_ids.THR_FORM_SAVE, _form(active="windows"),
                           windows=[([0], "8", "17:00")])
    assert _error(bad_window, "windows").startswith("windows[0].start: ")
    assert alerts.list_rules() == [] and alerts.audit_log(action_prefix="rule.") == []

    post_form(client, thr_ids.THR_FORM_SAVE, _form())
    again = post_form(client, thr_ids.THR_FORM_SAVE, _form(warning="30"))
    assert _error(again, "name") == "Another rule already has this name"
    assert len(alerts.list_rules()) == 1


def test_it_refuses_to_save_over_a_change_made_meanwhile(
    client: FlaskClient, alerts: AlertStore, clock: ManualClock
) -> None:
    row = _create(alerts, now_ms(clock))
    log_in(client, "anna")
    loaded = {"id": row.id, "version": row.version}
    alerts.update_rule(row.id, row.name, {**row.spec, "warning": 25}, True,
                       expected_version=row.version, actor="carl", now_ms=now_ms(clock))
    stale = post_form(client, thr_ids.THR_FORM_SAVE, _form(warning="18"), editing=loaded)
    assert _message(stale).startswith("Long wait was changed by someone else meanwhile")
    assert "Reload" in _message(stale) and INPUTS[0] not in stale
    deleted = post_form(client, thr_ids.THR_FORM_DELETE, _form(), editing=loaded)
    assert "changed by someone else meanwhile" in _message(deleted)
    kept = alerts.get_rule(row.id)
    assert (kept.version, kept.spec["warning"], kept.updated_by) == (2, 25, "carl")

    alerts.delete_rule(row.id, expected_version=None, actor="carl", now_ms=now_ms(clock))
    gone = post_form(client, thr_ids.THR_FORM_SAVE, _form(),
                     editing={"id": row.id, "version": 2})
    assert _message(gone) == "The rule no longer exists: someone deleted it meanwhile"
    assert _editing(gone) is None and alerts.list_rules() == []


def test_it_keeps_a_channel_no_longer_configured_on_a_rule_saved_unchanged(
    client: FlaskClient, alerts: AlertStore, clock: ManualClock
) -> None:
    row = _create(alerts, now_ms(clock), critical=20, critical_channels=["old-pager"])
    log_in(client, "anna")
    saved = post_form(client, thr_ids.THR_FORM_SAVE,
                      _form(critical="25", critical_channels=["old-pager"]),
                      editing={"id": row.id, "version": 1})
    assert _message(saved) == "Saved Long wait"
    assert alerts.get_rule(row.id).spec["critical_channels"] == ["old-pager"]


# -- the backtest -------------------------------------------------------------------------


def _write_waits(store: Store, points: list[tuple[int, float]], queue: str = "12") -> None:
    key = SeriesKey("trio", "queue", queue, "longest_wait_s", "s", f"Queue {queue}")
    store.write_batches(
        [PollWrite(source="trio", samples=[Sample(key, ts, value)], agents=None,
                   facts=facts(ts)) for ts, value in points],
        lease_name=None, lease_token=None, now_ms=points[-1][0])


def _breach(start_ms: int, value: float) -> list[tuple[int, float]]:
    """Calm, a breach of 30 s, then calm again for a few minutes."""
    return [(start_ms - MINUTE, 0.0), (start_ms, value), (start_ms + 10_000, value),
            (start_ms + 20_000, value), (start_ms + 30_000, 0.0),
            (start_ms + 3 * MINUTE, 0.0)]


def test_it_backtests_the_edited_rule_against_the_saved_one_over_24_h_and_7_d(
    client: FlaskClient, alerts: AlertStore, store: Store, clock: ManualClock
) -> None:
    now = now_ms(clock)
    _write_waits(store, _breach(now - 3 * 24 * HOUR, 25.0) + _breach(now - 2 * HOUR, 16.0))
    row = _create(alerts, now, critical=20)
    log_in(client, "anna")
    shown = post_backtest(client, _form(warning="18", critical="20"),
                          editing={"id": row.id, "version": row.version})
    cells = {(c["props"]["data-span"], i % 2): jtext(c) for i, c in enumerate(_cells(shown))}
    # 4 minutes stored of the 24 h asked: no share of time from so little.
    assert cells[("24h", 0)] == (
        "0 alerts (0 warning, 0 critical) on 0 of 1 series 24 h asked, 4 min stored "
        "no share of time: less than 10 % of the range is stored")
    assert cells[("24h", 1)].startswith("1 alert (1 warning, 0 critical) on 1 of 1 series")
    assert cells[("7d", 0)].startswith("1 alert (0 warning, 1 critical) on 1 of 1 series")
    assert cells[("7d", 1)].startswith("2 alerts (1 warning, 1 critical) on 1 of 1 series")
    assert "Last 7 d (one-minute resolution)" in jtext(shown)


def test_the_backtest_says_how_much_data_it_had_and_a_share_only_over_enough(
    client: FlaskClient, store: Store, clock: ManualClock
) -> None:
    # 6 h of samples, one a minute, above the warning for the last hour: enough for the
    # 24 h span (over 10 % of it), too little for the 7 d span.
    now = now_ms(clock)
    start = now - 6 * HOUR
    _write_waits(store, [(start + i * MINUTE, 20.0 if i >= 300 else 0.0)
                         for i in range(6 * 60)])
    log_in(client, "anna")
    shown = post_backtest(client, _form(warning="15"))
    cells = {c["props"]["data-span"]: jtext(c) for c in _cells(shown)}
    assert "24 h asked, 6 h stored" in cells["24h"]
    assert re.search(r"firing 1\d\.\d % of the time", cells["24h"]), cells["24h"]
    assert "7 d asked, 6 h stored" in cells["7d"]
    assert "%" not in cells["7d"].replace("10 %", "")
    assert "no share of time: less than 10 % of the range is stored" in cells["7d"]


def _cells(children: Any) -> list[dict[str, Any]]:
    """The result cells of a backtest table, as JSON from the callback."""
    found: list[dict[str, Any]] = []

    def walk_json(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk_json(item)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if "data-span" in props:
                found.append(node)
            walk_json(props.get("children"))

    walk_json(children)
    return found


def test_it_says_why_a_derived_metric_or_a_bad_form_cannot_be_backtested(
    client: FlaskClient
) -> None:
    log_in(client, "anna")
    derived = post_backtest(client, _form(metric="state_down", entity_kind="target",
                                          warning="", critical="1"))
    assert "Health target down is computed from stored facts" in jtext(derived)
    assert "cannot be backtested" in jtext(derived)
    bad = post_backtest(client, _form(warning="x"))
    assert "Cannot backtest: warning:" in jtext(bad)
    empty = post_backtest(client, _form())
    assert jtext(empty).count("No stored samples of Longest wait in this scope") == 2


def test_it_adds_an_empty_time_window_row_on_request(client: FlaskClient) -> None:
    log_in(client, "anna")
    deps = client.get("/_dash-dependencies").get_json()
    [dep] = [d for d in deps if d["output"].startswith(f"{thr_ids.THR_WINDOWS}.children@")]
    days = [{"id": {"type": thr_ids.THR_WINDOW_DAYS, "index": i}, "property": "value",
             "value": [0]} for i in range(2)]
    response = client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": {"id": thr_ids.THR_WINDOWS,
                                             "property": "children@" + dep["output"]
                                             .split("@")[1]},
        "inputs": [{"id": thr_ids.THR_WINDOW_ADD, "property": "n_clicks", "value": 1}],
        "state": [days, {"id": dash_ids.PAGES_LANG, "property": "data", "value": "sv"}],
        "changedPropIds": [f"{thr_ids.THR_WINDOW_ADD}.n_clicks"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    patch = response.get_json()["response"][thr_ids.THR_WINDOWS]["children"]
    [operation] = patch["operations"]
    added = operation["params"]["value"]
    assert operation["operation"] == "Append" and "Mån" in json.dumps(added, ensure_ascii=False)
    assert json.dumps({"type": thr_ids.THR_WINDOW_START, "index": 2}) in json.dumps(added)


def test_a_metric_picked_sets_its_kind_on_a_new_rule_and_keeps_a_loaded_rules_own(
    client: FlaskClient,
) -> None:
    from dashboard.pages.thresholds import pick_metric

    log_in(client, "anna")
    _page(client)
    nothing = (dash.no_update,) * 3
    # A new rule: the metric's kind (and its one source, for the wall screens).
    assert pick_metric("state_down", "", None) == ("target", "", [])
    assert pick_metric("screen_silence_s", "queue", None) == ("screen", "display", [])
    # A loaded rule keeps its own kind, "any kind" too, so it saves back unchanged...
    assert pick_metric("longest_wait_s", "", {"id": 1, "version": 1}) == nothing
    assert pick_metric("longest_wait_s", "queue", {"id": 1, "version": 1}) == nothing
    # ...unless the metric picked is measured on another kind: its entities then go.
    assert pick_metric("drift_oldest_s", "queue", {"id": 1, "version": 1}) == (
        "provider", "", [])
    assert pick_metric("some_series", "queue", None) == nothing  # no registry: as it is
