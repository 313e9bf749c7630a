"""The alert rule form's actions: validate with ``alerts.validate_rule``, then store;
nothing half-saved.

Plain functions over the form's raw values, so the page's callbacks stay thin and the
rules are testable without a browser (and so these dataclasses live in a module Python
imports normally: Dash loads page modules without registering them). Role checks are the
caller's (the page callbacks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dash import dcc
from sqlalchemy.engine import Engine

from alerts import Rule, SpecError, validate_rule
from alerts.backtest import backtestable
from alerts.inputs import DISPLAY_SOURCE, HEALTH_KIND, HEALTH_PREFIX, SCREEN_KIND
from specs.text import spec_message
from storage import (
    AlertStore,
    DisplayStore,
    RuleExists,
    RuleRow,
    StaleRule,
    StorageUnavailable,
    Store,
    UnknownRule,
)

from .components.thresholds import (
    edit_href,
    error_field,
    form_mapping,
    rule_from_row,
    spec_of,
)
from .i18n import t
from .rulewords import Entities, Entity

log = logging.getLogger(__name__)

_ROUTING = ("warning_channels", "critical_channels")


@dataclass(frozen=True, slots=True)
class FormResult:
    """What the form shows after an action. ``row``/``rule``: the rule now being edited
    (None: a new one); ``fill``: replace the inputs by it; ``changed``: reload the
    tables."""

    message: Any = ""
    errors: dict[str, str] = field(default_factory=dict)
    row: RuleRow | None = None
    rule: Rule | None = None
    fill: bool = False
    changed: bool = False


@dataclass(frozen=True, slots=True)
class RuleForm:
    """One submission of the form: the inputs in FORM_FIELDS order, the time window
    rows, and ``editing`` ({"id", "version"} of the rule loaded, or None)."""

    values: Sequence[Any]
    days: Sequence[Any] = ()
    starts: Sequence[Any] = ()
    ends: Sequence[Any] = ()
    editing: Any = None
    lang: str = "en"  # of the errors of thresholds and durations that cannot be read

    @property
    def rule_id(self) -> int | None:
        return _int(self.editing.get("id")) if isinstance(self.editing, dict) else None

    @property
    def version(self) -> int | None:
        return _int(self.editing.get("version")) if isinstance(self.editing, dict) else None

    def rule(self) -> Rule:
        """The rule the form describes; raises SpecError."""
        return validate_rule(form_mapping(self.values, self.days, self.starts, self.ends,
                                          self.lang))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, for the audit log."""

    username: str
    client_addr: str | None = None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def routed_channels(spec: dict[str, Any]) -> set[str]:
    return {name for key in _ROUTING for name in spec.get(key, []) if isinstance(name, str)}


def _unknown_channel(rule: Rule, allowed: set[str], lang: str) -> FormResult | None:
    """Rules may route to configured channels only (and keep those they had)."""
    for key in _ROUTING:
        for channel in getattr(rule, key):
            if channel not in allowed:
                return FormResult(t("thr_not_saved_fields", lang),
                                  {key: t("thr_unknown_channel", lang, name=channel)})
    return None


def _spec_error(err: SpecError, lang: str) -> FormResult:
    message = spec_message(err.field, err.message, lang)
    if "[" in err.field:  # a window's field: the form marks the windows, say which one
        message = f"{err.field}: {message}"
    return FormResult(t("thr_not_saved_fields", lang), {error_field(err.field): message})


def _stale(name: str, rule_id: int, lang: str) -> FormResult:
    reload = dcc.Link(t("thr_reload", lang), href=edit_href(rule_id), refresh=True,
                      className="button button--small")
    return FormResult([t("thr_stale", lang, name=name), " ", reload])


def save(store: AlertStore, form: RuleForm, actor: Actor, now_ms: int,
         channels: Sequence[str], lang: str) -> FormResult:
    """Create (nothing being edited) or update the rule being edited, expecting the
    version the form loaded."""
    try:
        rule = form.rule()
        saved = store.get_rule(form.rule_id) if form.rule_id is not None else None
    except SpecError as err:
        return _spec_error(err, lang)
    except UnknownRule:
        return FormResult(t("thr_unknown", lang), fill=True, changed=True)
    except StorageUnavailable as err:
        return FormResult(t("thr_not_saved", lang, error=str(err)))
    kept = routed_channels(saved.spec) if saved else set()
    refused = _unknown_channel(rule, set(channels) | kept, lang)
    if refused is not None:
        return refused
    return _store(store, rule, form, actor, now_ms, lang)


def _store(store: AlertStore, rule: Rule, form: RuleForm, actor: Actor, now_ms: int,
           lang: str) -> FormResult:
    try:
        if form.rule_id is None or form.version is None:
            row = store.create_rule(rule.name, spec_of(rule), rule.enabled,
                                    actor=actor.username, now_ms=now_ms,
                                    client_addr=actor.client_addr)
        else:
            row = store.update_rule(form.rule_id, rule.name, spec_of(rule), rule.enabled,
                                    expected_version=form.version, actor=actor.username,
                                    now_ms=now_ms, client_addr=actor.client_addr)
    except RuleExists:
        return FormResult(t("thr_not_saved_fields", lang), {"name": t("thr_exists", lang)})
    except StaleRule:
        return _stale(rule.name, form.rule_id or 0, lang)
    except UnknownRule:
        return FormResult(t("thr_unknown", lang), fill=True, changed=True)
    except StorageUnavailable as err:
        return FormResult(t("thr_not_saved", lang, error=str(err)))
    return FormResult(t("thr_saved", lang, name=row.name), row=row,
                      rule=rule_from_row(row)[0], fill=True, changed=True)


def delete(store: AlertStore, form: RuleForm, actor: Actor, now_ms: int,
           lang: str) -> FormResult:
    """Delete the rule being edited, if nobody changed it since the form loaded it."""
    rule_id = form.rule_id
    if rule_id is None:
        return FormResult(t("thr_nothing_to_delete", lang))
    try:
        row = store.delete_rule(rule_id, expected_version=form.version,
                                actor=actor.username, now_ms=now_ms,
                                client_addr=actor.client_addr)
    except StaleRule:
        return _stale(str(form.values[0] or rule_id), rule_id, lang)
    except UnknownRule:
        return FormResult(t("thr_unknown", lang), fill=True, changed=True)
    except StorageUnavailable as err:
        return FormResult(t("thr_not_saved", lang, error=str(err)))
    return FormResult(t("thr_deleted", lang, name=row.name), fill=True, changed=True)


def flip(store: AlertStore, rule_id: Any, version: Any, actor: Actor, now_ms: int,
         lang: str) -> Any:
    """Enable or disable a rule from the table, if it still has ``version``; the
    message to show."""
    if _int(rule_id) is None or _int(version) is None:
        return t("thr_unknown", lang)
    try:
        row = store.get_rule(rule_id)
        after = store.update_rule(row.id, row.name, row.spec, not row.enabled,
                                  expected_version=version, actor=actor.username,
                                  now_ms=now_ms, client_addr=actor.client_addr)
    except StaleRule:
        return _stale(row.name, row.id, lang).message
    except UnknownRule:
        return t("thr_unknown", lang)
    except StorageUnavailable as err:
        return t("thr_not_saved", lang, error=str(err))
    return t("thr_enabled_now" if after.enabled else "thr_disabled_now", lang, name=after.name)


def editable(store: AlertStore, edit: str | None) -> tuple[list[RuleRow], RuleRow | None]:
    """Every rule, and the one ``?edit=`` names if it exists and still validates (the
    form then offers a new rule otherwise); no rules if the database is unreachable."""
    try:
        rows = store.list_rules()
    except StorageUnavailable:
        return [], None  # the tables say the database is unavailable
    wanted = (edit or "").strip()
    row = next((r for r in rows if str(r.id) == wanted), None)
    return rows, row if row is not None and rule_from_row(row)[0] is not None else None


def saved_rule(store: AlertStore, rule_id: int | None) -> list[Rule]:
    """The rule as saved, if one is being edited, still exists and can be backtested.
    Raises ``StorageUnavailable``."""
    if rule_id is None:
        return []
    try:
        rule = rule_from_row(store.get_rule(rule_id))[0]
    except UnknownRule:
        return []
    return [rule] if rule is not None and backtestable(rule) else []



# Entity kinds whose names the series carry (queues under their Trio names).
_SERIES_KINDS = frozenset({"queue", "target", "provider", "reconciler"})


def known_entities(engine: Engine) -> Entities:
    """What rules may watch now, by name: the queues, drift providers and reconcilers of
    the stored series, every polled source and health target, the wall screens. None if
    the database is unreachable (the pickers then offer the ids rules already name)."""
    try:
        store = Store(engine)
        series = store.series()
        facts = store.sources()
        screens = DisplayStore(engine).list(include_revoked=False)
    except StorageUnavailable as err:
        log.warning("rule form: entities not read, pickers offer stored ids only: %s", err)
        return Entities(())
    found = [Entity(row.key.entity_kind, row.key.source, row.key.entity_id,
                    row.key.entity_name or row.key.entity_id)
             for row in series if row.key.entity_kind in _SERIES_KINDS]
    for fact in facts:
        found.append(Entity("source", fact.name, fact.name, fact.name))
        if fact.kind == HEALTH_KIND:
            name = fact.name.removeprefix(HEALTH_PREFIX)
            found.append(Entity("target", fact.name, name, name))
    found += [Entity(SCREEN_KIND, DISPLAY_SOURCE, str(row.id), row.name) for row in screens]
    return Entities(found)
