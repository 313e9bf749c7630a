"""The audit log's changes as readable field diffs, not raw JSON."""

from __future__ import annotations

from typing import Any

from dashboard.components.admin import build_change, change_lines
from storage import AuditRow
from tests.fixtures.dashboard import text


def row(action: str, before: Any, after: Any) -> AuditRow:
    return AuditRow(id=1, ts_ms=0, actor="anna", action=action, target="rule:1",
                    before=before, after=after, client_addr=None)


RULE = {"id": 1, "name": "Longest wait", "enabled": True, "builtin": True, "version": 3,
        "spec": {"metric": "longest_wait_s", "warning": 15, "critical": 20,
                 "pending_s": 30, "scope": {"entity_kind": "queue", "entity_ids": []}}}


def changed(**spec: Any) -> dict[str, Any]:
    return {**RULE, "version": 4, "spec": {**RULE["spec"], **spec}}


def test_it_shows_the_fields_that_changed_with_their_units() -> None:
    update = row("rule.update", RULE, {**changed(critical=30, pending_s=60), "enabled": False})
    assert change_lines(update, "en") == [
        "Critical threshold: 20 s → 30 s", "Enabled: yes → no",
        "Breach must hold before firing (s): 30 s → 60 s"]
    # Field names and enumerated values in the reader's language, as the rule form says them.
    assert change_lines(update, "sv")[:2] == ["Kritisk gräns: 20 s → 30 s", "På: ja → nej"]
    # The version bump of every edit is not a change anyone made.
    assert not any("version" in line for line in change_lines(update, "en"))


def test_a_percentage_rule_and_a_nested_field() -> None:
    before = {"spec": {"metric": "service_level_pct", "warning": 80,
                       "scope": {"entity_kind": "queue"}}}
    after = {"spec": {"metric": "service_level_pct", "warning": 75,
                      "scope": {"entity_kind": "target"}}}
    assert change_lines(row("rule.update", before, after), "en") == [
        "Kind of entity: queue → health target", "Warning threshold: 80 % → 75 %"]


def test_a_creation_and_a_deletion_list_what_it_had() -> None:
    created = change_lines(row("user.add", None, {"role": "viewer"}), "en")
    assert created == ["Role: viewer"]
    assert change_lines(row("user.add", None, {"role": "viewer"}), "sv") == ["Roll: läsare"]
    deleted = change_lines(row("rule.delete", RULE, None), "en")
    assert "Critical threshold: 20 s" in deleted and "Name: Longest wait" in deleted
    assert build_change(row("user.password", None, None), "en") == ""
    assert text(build_change(row("user.role", {"role": "viewer"}, {"role": "admin"}),
                             "en")) == "Role: viewer → administrator"
