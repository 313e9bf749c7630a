"""/health and /drift as served: the read model over storage, the target form's
callback over HTTP with a logged-in admin or viewer (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import auth
from collectors.clock import ManualClock
from dashboard import ids as dash_ids
from dashboard.components import health as health_ids
from dashboard.components.health import FORM_FIELDS
from storage import DriftItem, HealthTargetStore, PollWrite, Sample, SeriesKey, SourceFacts, Store
from tests.fixtures.dashboard import by_class, log_in, text, walk

# Tests of the web app's behaviour, not the database's: SQLite only (the storage tests
# run on both databases).
pytestmark = pytest.mark.sqlite_only

INPUTS = [health_ids.HEALTH_FORM_INPUT_PREFIX + name for name in FORM_FIELDS]


# ``server`` and the actors using it: tests/fixtures/actors.py


def _form(**values: Any) -> list[Any]:
    defaults: dict[str, Any] = {"name": "", "url": "", "interval_s": "", "timeout_s": "",
                                "expected_status": "", "conditions": "",
                                "degraded_latency_ms": "", "down_after": "",
                                "enabled": ["enabled"]}
    return [{**defaults, **values}[name] for name in FORM_FIELDS]


def post_form(client: FlaskClient, trigger: str, values: list[Any],
              editing: str | None = None) -> Any:
    """POST the target form's callback as the browser does; the response's outputs."""
    deps = client.get("/_dash-dependencies").get_json()
    [dep] = [d for d in deps if health_ids.HEALTH_FORM_MESSAGE in d["output"]]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in dep["output"].strip(".").split("...")]
    buttons = (health_ids.HEALTH_FORM_SAVE, health_ids.HEALTH_FORM_DELETE,
               health_ids.HEALTH_FORM_NEW)
    inputs: list[Any] = [{"id": b, "property": "n_clicks", "value": 1 if b == trigger else None}
                         for b in buttons]
    state = [{"id": i, "property": "value", "value": v} for i, v in zip(INPUTS, values,
                                                                          strict=True)]
    state += [{"id": health_ids.HEALTH_FORM_EDITING, "property": "data", "value": editing},
              {"id": dash_ids.PAGES_LANG, "property": "data", "value": "en"}]
    response = client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": outputs, "inputs": inputs, "state": state,
        "changedPropIds": [f"{trigger}.n_clicks"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def _message(response: Any) -> str:
    return str(response[health_ids.HEALTH_FORM_MESSAGE]["children"])


def _error(response: Any, field: str) -> str:
    return str(response[health_ids.HEALTH_FORM_ERROR_PREFIX + field]["children"])


def test_it_creates_edits_disables_and_deletes_a_target_as_admin(
    client: FlaskClient, engine: Engine
) -> None:
    log_in(client, "anna")
    targets = HealthTargetStore(engine)
    created = post_form(client, health_ids.HEALTH_FORM_SAVE,
                        _form(name="worker-1", url="http://w1.example/health",
                              conditions='status == "ok"\n\nconsecutive_failures < 10'))
    assert _message(created) == "Saved worker-1"
    row = targets.get("worker-1")
    assert row is not None and row.conditions == ('status == "ok"',
                                                  "consecutive_failures < 10")
    assert created[health_ids.HEALTH_FORM_EDITING]["data"] == "worker-1"

    client.get("/health?edit=worker-1")
    from dashboard.pages import health

    form = health.layout(edit="worker-1")
    [url] = [c for c in walk(form) if getattr(c, "id", None) == INPUTS[1]]
    assert url.value == "http://w1.example/health"
    assert "Edit worker-1" in text(by_class(form, "section__title"))

    edited = post_form(client, health_ids.HEALTH_FORM_SAVE,
                       _form(name="ignored", url="http://w1.example/healthz",
                             interval_s="30", enabled=[]), editing="worker-1")
    assert _message(edited) == "Saved worker-1"
    row = targets.get("worker-1")
    assert row is not None and (row.url, row.interval_s, row.enabled) == (
        "http://w1.example/healthz", 30.0, False)

    deleted = post_form(client, health_ids.HEALTH_FORM_DELETE, _form(), editing="worker-1")
    assert _message(deleted) == "Deleted worker-1" and targets.get("worker-1") is None
    assert deleted[health_ids.HEALTH_FORM_EDITING]["data"] is None


def test_it_shows_validation_errors_next_to_the_field_and_saves_nothing(
    client: FlaskClient, engine: Engine
) -> None:
    log_in(client, "anna")
    bad_url = post_form(client, health_ids.HEALTH_FORM_SAVE, _form(name="w", url="ftp://x"))
    assert _error(bad_url, "url") and _error(bad_url, "name") == ""
    assert _message(bad_url) == "Not saved: check the marked field"
    bad_condition = post_form(client, health_ids.HEALTH_FORM_SAVE,
                              _form(name="w", url="http://w", conditions="status ~ 1"))
    assert _error(bad_condition, "conditions").startswith("conditions[0]: ")
    bad_timeout = post_form(client, health_ids.HEALTH_FORM_SAVE,
                            _form(name="w", url="http://w", interval_s="5", timeout_s="9"))
    assert "interval_s" in _error(bad_timeout, "timeout_s")
    assert HealthTargetStore(engine).list() == []
    post_form(client, health_ids.HEALTH_FORM_SAVE, _form(name="w", url="http://w"))
    again = post_form(client, health_ids.HEALTH_FORM_SAVE, _form(name="w", url="http://w2"))
    assert _error(again, "name") == "A target with this name already exists"


def test_it_refuses_every_form_action_to_a_viewer(
    client: FlaskClient, engine: Engine, clock: ManualClock
) -> None:
    targets = HealthTargetStore(engine)
    from specs.health import validate_target

    targets.create(validate_target({"name": "kept", "url": "http://k"}), 1)
    log_in(client, "bo")
    for trigger, editing in ((health_ids.HEALTH_FORM_SAVE, None),
                             (health_ids.HEALTH_FORM_SAVE, "kept"),
                             (health_ids.HEALTH_FORM_DELETE, "kept")):
        response = post_form(client, trigger, _form(name="new", url="http://n"), editing)
        assert _message(response) == "Only administrators can change health targets"
        assert INPUTS[0] not in response  # nothing else changes
    assert [t.name for t in targets.list()] == ["kept"]
    assert targets.get("kept").url == "http://k"  # type: ignore[union-attr]


def test_it_shows_targets_from_configuration_read_only(
    client: FlaskClient, engine: Engine
) -> None:
    from specs.health import parse_targets_json

    HealthTargetStore(engine).sync_from_config(
        parse_targets_json('[{"name": "cfg", "url": "http://cfg"}]'), 1)
    log_in(client, "anna")
    client.get("/health")
    from dashboard.pages import health

    listed = health.targets("en", 0, None)
    assert "from configuration" in text(listed) and "Edit" not in text(listed)
    assert by_class(health.layout(edit="cfg"), "form")[0].children[0].data is None
    refused = post_form(client, health_ids.HEALTH_FORM_SAVE, _form(url="http://other"),
                        editing="cfg")
    assert "comes from the configuration" in _message(refused)
    assert HealthTargetStore(engine).get("cfg").url == "http://cfg"  # type: ignore[union-attr]


def test_it_gives_the_form_to_admins_only(client: FlaskClient) -> None:
    from dashboard.pages import health

    log_in(client, "bo")
    client.get("/health")
    assert by_class(health.layout(), "form") == []
    client.post("/logout", data={"csrf_token": auth.csrf_token()})
    log_in(client, "anna")
    client.get("/health")
    assert len(by_class(health.layout(), "form")) == 1
    assert by_class(health.layout(source="health:x"), "form") == []


def _write_sources(store: Store, now: int) -> None:
    worker = SourceFacts(name="health:worker-3", kind="health", url="http://w3",
                         last_poll_at_ms=now, last_error="HTTP 503", state="down",
                         state_reason="HTTP 503", state_since_ms=now - 60_000)
    latency = SeriesKey("health:worker-3", "target", "worker-3", "latency_ms", "ms",
                        "worker-3")
    store.write_poll(PollWrite(
        source=worker.name, facts=worker, agents=None,
        samples=[Sample(latency, now - 1000, 120.0)],
        events=[(now - 3_600_000, "state", "ok", None, "up"),
                (now - 60_000, "state", "HTTP 503", "up", "down")],
    ), lease_name=None, lease_token=None, now_ms=now)
    recon = SourceFacts(name="drift:recon", kind="drift", url="http://r",
                        last_poll_at_ms=now, last_success_at_ms=now, state="up")
    count = SeriesKey("drift:recon", "provider", "aws", "drift_count", "resources", "aws")
    cycle = SeriesKey("drift:recon", "reconciler", "recon", "cycle_duration_s", "s", "recon")
    store.write_poll(PollWrite(
        source=recon.name, facts=recon, agents=None,
        samples=[Sample(count, now - 1000, 1.0), Sample(cycle, now - 1000, 2.5)],
        drift=[DriftItem("db-orders", "aws", "database", "memory", "2Gi", "1Gi",
                         now - 42 * 60_000)],
    ), lease_name=None, lease_token=None, now_ms=now)


def test_it_shows_sources_drift_and_the_wall_screen_row_from_storage(
    client: FlaskClient, store: Store, clock: ManualClock
) -> None:
    now = int(clock.time() * 1000)
    _write_sources(store, now)
    log_in(client, "bo")
    client.get("/health")
    from dashboard.pages import drift, health, wallboard

    grid = health.refresh(1, "en", 0, None)
    cards = {getattr(c, "data-source"): getattr(c, "data-state")
             for c in by_class(grid, "card")}
    assert cards == {"health:worker-3": "down", "drift:recon": "up"}
    assert "Uptime 24 h 98.3 %" in text(grid)  # down for the last minute of an hour
    detail = health.refresh(1, "en", 0, "health:worker-3")
    assert "UP → DOWN HTTP 503" in text(detail)
    page = drift.refresh(1, "en")
    assert "db-orders" in text(page) and "42 min" in text(page)
    site, *alerts = wallboard.refresh(1, "en")[1]
    assert len(alerts) == 2  # no collector, Trio not polled: still said, below the row
    assert text(site) == ("Workers: 0 up / 0 degraded / 1 down · worker-3 DOWN: HTTP 503 "
                           "1 resource drifting · db-orders memory 2Gi→1Gi for 42 min")


def test_delete_is_disabled_while_the_form_holds_a_new_target(
    client: FlaskClient, engine: Engine
) -> None:
    from dashboard.pages import health

    log_in(client, "anna")
    client.get("/health")
    [delete] = [c for c in walk(health.layout()) if getattr(c, "id", None)
                == health_ids.HEALTH_FORM_DELETE]
    assert delete.disabled is True  # nothing to delete yet

    created = post_form(client, health_ids.HEALTH_FORM_SAVE, _form(name="w", url="http://w"))
    assert created[health_ids.HEALTH_FORM_DELETE]["disabled"] is False
    client.get("/health?edit=w")
    [delete] = [c for c in walk(health.layout(edit="w")) if getattr(c, "id", None)
                == health_ids.HEALTH_FORM_DELETE]
    assert delete.disabled is False

    fresh = post_form(client, health_ids.HEALTH_FORM_NEW, _form(), editing="w")
    assert fresh[health_ids.HEALTH_FORM_DELETE]["disabled"] is True
    deleted = post_form(client, health_ids.HEALTH_FORM_DELETE, _form(), editing="w")
    assert deleted[health_ids.HEALTH_FORM_DELETE]["disabled"] is True
