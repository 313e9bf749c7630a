"""Team views in storage, on SQLite and PostgreSQL: their checks, their order of queues,
their audit rows, a display token bound to one, and a view deleted under its screens."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from storage import (
    AlertStore,
    DisplayStore,
    InvalidView,
    UnknownDisplay,
    UnknownView,
    ViewExists,
    ViewStore,
    parse_queue_list,
)

NOW = 1_764_756_000_000


def test_a_view_keeps_its_queues_in_the_order_given_and_is_found_by_name(
    engine: Engine,
) -> None:
    store = ViewStore(engine)
    row = store.create(" Support ", " Support  ", ["105", "100", "101"], actor="anna",
                       now_ms=NOW, client_addr="10.0.0.9")

    assert (row.name, row.title, row.queue_ids) == ("support", "Support", ("105", "100", "101"))
    assert store.by_name("SUPPORT") == row == store.get(row.id)
    assert store.list() == [row]
    [audit] = AlertStore(engine).audit_log(action_prefix="view.")
    assert (audit.action, audit.actor, audit.target, audit.client_addr, audit.after) == (
        "view.create", "anna", f"view:{row.id}", "10.0.0.9",
        {"name": "support", "title": "Support", "queue_ids": ["105", "100", "101"]})


def test_changing_a_view_is_audited_with_before_and_after_and_a_no_change_is_not(
    engine: Engine,
) -> None:
    store = ViewStore(engine)
    row = store.create("sales", "Sales", ["1", "2"], actor="anna", now_ms=NOW)

    changed = store.update(row.id, queue_ids=["2", "1", "3"], title="Sales team",
                           actor="bo", now_ms=NOW + 5)
    same = store.update(row.id, queue_ids=["2", "1", "3"], actor="cia", now_ms=NOW + 9)

    assert changed.queue_ids == ("2", "1", "3") and changed.title == "Sales team"
    assert (changed.updated_by, changed.updated_at_ms) == ("bo", NOW + 5)
    assert same == changed
    [update, _create] = AlertStore(engine).audit_log(action_prefix="view.")
    assert update.action == "view.update" and update.actor == "bo"
    assert update.before["queue_ids"] == ["1", "2"]
    assert update.after == {"name": "sales", "title": "Sales team", "queue_ids": ["2", "1", "3"]}


@pytest.mark.parametrize(("name", "title", "queues", "why"), [
    ("", "T", ["1"], "invalid view name"),
    ("sup port", "T", ["1"], "invalid view name"),
    ("-sup", "T", ["1"], "invalid view name"),
    ("x" * 65, "T", ["1"], "invalid view name"),
    ("ok", "  ", ["1"], "invalid view title"),
    ("ok", "a\nb", ["1"], "invalid view title"),
    ("ok", "T", [], "at least one queue"),
    ("ok", "T", ["1", "2", "1"], "more than once"),
    ("ok", "T", [str(n) for n in range(61)], "at most 60"),
    ("ok", "T", ["a,b"], "invalid queue id"),
])
def test_bad_input_is_refused_with_its_reason_and_nothing_is_stored(
    engine: Engine, name: str, title: str, queues: list[str], why: str,
) -> None:
    store = ViewStore(engine)
    with pytest.raises(InvalidView, match=why):
        store.create(name, title, queues, actor="anna", now_ms=NOW)
    assert store.list() == []
    assert AlertStore(engine).audit_log(action_prefix="view.") == []


def test_names_are_unique(engine: Engine) -> None:
    store = ViewStore(engine)
    store.create("support", "Support", ["1"], actor="anna", now_ms=NOW)
    other = store.create("sales", "Sales", ["2"], actor="anna", now_ms=NOW)
    with pytest.raises(ViewExists):
        store.create("support", "Other", ["2"], actor="anna", now_ms=NOW)
    with pytest.raises(ViewExists):
        store.update(other.id, name="support", actor="anna", now_ms=NOW)
    with pytest.raises(UnknownView):
        store.update(999, title="x", actor="anna", now_ms=NOW)


def test_a_display_token_shows_its_view_until_the_view_is_deleted(engine: Engine) -> None:
    views, tokens = ViewStore(engine), DisplayStore(engine)
    view = views.create("support", "Support", ["100", "101"], actor="anna", now_ms=NOW)
    screen = tokens.create("Screen 1", "a" * 64, actor="anna", now_ms=NOW)
    assert screen.view_id is None

    views.bind(screen.id, view.id, actor="bo", now_ms=NOW + 1)
    views.bind(screen.id, view.id, actor="bo", now_ms=NOW + 2)  # unchanged: no audit row

    bound = tokens.by_token_hash("a" * 64)
    assert bound is not None and bound.view_id == view.id
    assert views.bindings() == {screen.id: view.id}
    [bind] = AlertStore(engine).audit_log(action_prefix="display.view")
    assert (bind.actor, bind.target, bind.before["view_id"], bind.after["view_id"]) == (
        "bo", f"display:{screen.id}", None, view.id)

    views.delete(view.id, actor="cia", now_ms=NOW + 3)

    after = tokens.get(screen.id)
    assert after is not None and after.view_id is None, "the screen shows the whole site"
    assert views.list() == [] and views.bindings() == {}
    [deleted] = AlertStore(engine).audit_log(action_prefix="view.delete")
    assert deleted.before["queue_ids"] == ["100", "101"] and deleted.after is None


def test_binding_needs_a_known_token_and_view(engine: Engine) -> None:
    views, tokens = ViewStore(engine), DisplayStore(engine)
    view = views.create("support", "Support", ["1"], actor="anna", now_ms=NOW)
    screen = tokens.create("Screen 1", "b" * 64, actor="anna", now_ms=NOW)
    with pytest.raises(UnknownDisplay):
        views.bind(999, view.id, actor="anna", now_ms=NOW)
    with pytest.raises(UnknownView):
        views.bind(screen.id, 999, actor="anna", now_ms=NOW)
    assert views.bindings() == {}


def test_a_queue_list_from_the_command_line_keeps_its_order() -> None:
    assert parse_queue_list("100, 101,105") == ("100", "101", "105")
    with pytest.raises(InvalidView, match="empty queue id"):
        parse_queue_list("100,,101")
    with pytest.raises(InvalidView, match="at least one"):
        parse_queue_list("")
