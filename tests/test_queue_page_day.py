"""``/queues/<id>``'s floor section and target form through the page's callbacks, as an
administrator and as a viewer (SQLite and PostgreSQL)."""

from __future__ import annotations

from types import ModuleType

import pytest
from flask.testing import FlaskClient

from dashboard import DashboardConfig
from storage import AlertStore, PollWrite, QueueTargetStore, Sample, SeriesKey, SourceFacts, Store
from tests.fixtures.dashboard import text, walk
from tests.fixtures.screens import call

NOW = 1_700_000_000_000  # the clock fixture: 2023-11-14 23:13:20 in Stockholm
FACTS = SourceFacts(name="trio", kind="trio", url="http://te.example/api")
VIEW = {"queue": "12", "range": "24h"}


@pytest.fixture
def dashboard_config() -> DashboardConfig:
    return DashboardConfig(timezone="Europe/Stockholm")


@pytest.fixture(autouse=True)
def queue_12(store: Store) -> None:
    samples = []
    for ts in range(NOW - 40 * 60_000, NOW + 1, 5000):
        values = {"answered_today": float(round((ts - NOW) / 18_000)) + 200,
                  "abandoned_today": 2.0, "service_level_pct": 85.0, "agents_busy": 10.0,
                  "agents_logged_in": 12.0, "open": 1.0}
        samples += [Sample(SeriesKey("trio", "queue", "12", m, "x", "Kundtjänst"), ts, v)
                    for m, v in values.items()]
    store.write_poll(PollWrite("trio", samples, None, FACTS), lease_name=None,
                     lease_token=None, now_ms=NOW)


def press(person: FlaskClient, button: str, pct: object = None, seconds: object = None,
          lang: str = "en") -> dict[str, object]:
    """The target form's button, as the browser posts it."""
    return call(person, "erl-target-message",
                {button: 1, "erl-target-pct": pct, "erl-target-s": seconds,
                 "pages-lang": lang, "hst-view": VIEW}, (button, "n_clicks"))


def page(person: FlaskClient) -> ModuleType:
    person.get("/queues/12")
    from dashboard.pages import queue

    return queue


def test_an_admin_sets_the_queues_target_and_the_figures_follow(admin, engine) -> None:
    queue = page(admin)
    before = text(queue.floor(0, "en", None, VIEW))
    assert "14 needed · 12 logged in · needs 2 more" in before and "/ 80/20" in before

    refused = press(admin, "erl-target-save", "150", 20)
    assert str(refused["erl-target-message"]).startswith("Not saved: the share")
    assert QueueTargetStore(engine).targets("trio") == {}
    # The fields are text: a word is refused in the reader's language, nothing stored.
    refused = press(admin, "erl-target-save", "95", "tjugo", "sv")
    assert str(refused["erl-target-message"]).startswith("Inte sparat: sekunderna")
    assert QueueTargetStore(engine).targets("trio") == {}

    saved = press(admin, "erl-target-save", "95,0", " 20 ", "sv")
    assert (saved["erl-target-message"], saved["erl-target-current"]) == (
        "Sparat: 95/20", "Köns eget mål: 95/20")
    changed = saved["erl-target-changed"]
    after = text(queue.floor(1, "en", changed, VIEW))
    assert "16 needed · 12 logged in · needs 4 more" in after and "/ 95/20" in after
    [row] = AlertStore(engine).audit_log(action_prefix="queue.sl_target")
    assert (row.actor, row.target) == ("anna", "queue:trio:12")

    graphs = {c.id: c.figure for c in walk(queue.floor(2, "en", changed, VIEW))
              if getattr(c, "figure", None) is not None}
    bars, target = graphs["erl-intervals"]["data"]
    assert target["y"][0] == 95.0 and target["name"] == "Target 95/20"
    assert bars["y"][-3:] == [85.0, 85.0, 85.0]


def test_a_viewer_sees_the_target_but_cannot_change_it(viewer, engine) -> None:
    queue = page(viewer)
    layout = queue.layout(queue_id="12")
    ids = {getattr(c, "id", None) for c in walk(layout)}
    assert "erl-target-current" in ids and "erl-target-save" not in ids
    refused = press(viewer, "erl-target-save", 95, 20)
    assert refused["erl-target-message"] == "Only administrators can change a queue's target"
    assert QueueTargetStore(engine).targets("trio") == {}
