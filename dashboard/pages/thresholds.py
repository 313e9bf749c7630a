"""``/thresholds``: the alert rules, the recent changes to them, and (admins) a form to
create, edit, backtest and delete a rule; ``?edit=<id>`` loads a rule into the form.

Every callback that changes anything checks the role itself with ``auth.require_role``
(the form being hidden is not a check). Edits are optimistic: the form carries the
version it loaded, and the store refuses a save over someone else's change.
"""

from __future__ import annotations

import time
from typing import Any

import dash
import flask
from dash import ALL, Input, Output, Patch, State, ctx, dcc, html, no_update

from alerts import Rule, SpecError
from alerts.backtest import backtestable, run_backtests
from auth import PermissionDenied, Role, request_client_address, require_role
from dashboard import _frame, _runtime, ids, ruleform
from dashboard._language import current_language, page_title
from dashboard.components.pageframe import build_page_frame
from dashboard.components.thresholds import (
    ERROR_FIELDS,
    FORM_FIELDS,
    THR_AUDIT,
    THR_BACKTEST,
    THR_CHANGED,
    THR_ENTITIES,
    THR_FIELD_PREFIX,
    THR_FORM_BACKTEST,
    THR_FORM_DELETE,
    THR_FORM_DELETE_BUTTON,
    THR_FORM_EDITING,
    THR_FORM_ERROR_PREFIX,
    THR_FORM_INPUT_PREFIX,
    THR_FORM_MESSAGE,
    THR_FORM_NEW,
    THR_FORM_SAVE,
    THR_FORM_TITLE,
    THR_RULES,
    THR_RULES_MESSAGE,
    THR_SENTENCE,
    THR_TOGGLE,
    THR_TOGGLED,
    THR_UNIT_PREFIX,
    THR_WINDOW_ADD,
    THR_WINDOW_DAYS,
    THR_WINDOW_END,
    THR_WINDOW_START,
    THR_WINDOWS,
    THRESHOLDS,
    banner,
    build_audit,
    build_backtest,
    build_backtest_message,
    build_rule_form,
    build_rules_table,
    channel_options,
    describe,
    form_title,
    form_values,
    rule_from_row,
    window_row,
    window_rows,
)
from dashboard.i18n import language, t
from dashboard.registry import PageCallbacks
from dashboard.ruleform import Actor, FormResult, RuleForm
from dashboard.rulewords import RULE_METRIC_BY_ID, Entities, metric_name
from specs.clock import now_ms
from storage import AlertStore, RuleRow, StorageUnavailable

CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/thresholds", title=page_title("thr_title"),
                   callbacks=CALLBACKS, nav="thr_nav", nav_order=4)

INPUTS = [THR_FORM_INPUT_PREFIX + name for name in FORM_FIELDS]
ERRORS = [THR_FORM_ERROR_PREFIX + name for name in ERROR_FIELDS]
AUDIT_ROWS = 50
_WINDOW_STATES = (THR_WINDOW_DAYS, THR_WINDOW_START, THR_WINDOW_END)


# What the form's callbacks read: its fields, its windows, what it edits, the language.
def _form_state() -> list[State]:
    return [
        *[State(input_id, "value") for input_id in INPUTS],
        *[State({"type": kind, "index": ALL}, "value") for kind in _WINDOW_STATES],
        State(THR_FORM_EDITING, "data"),
        State(ids.PAGES_LANG, "data"),
    ]


def _now_ms() -> int:
    return _runtime.current().now_ms()


def _editing(row: RuleRow | None) -> dict[str, int] | None:
    return None if row is None else {"id": row.id, "version": row.version}


def layout(edit: str | None = None, **_query: Any) -> Any:
    runtime = _runtime.current()
    lang = current_language(runtime.config.default_language)
    content: list[Any] = [
        dcc.Store(id=THR_CHANGED, data=0),
        dcc.Store(id=THR_TOGGLED, data=0),
        html.Div(id=THR_RULES_MESSAGE, className="form__message", role="status"),
        html.Section(id=THR_RULES, className="page__section"),
    ]
    if _frame.admin_parts_allowed():
        content.append(_form(runtime, lang, edit))
    content.append(html.Section(id=THR_AUDIT, className="page__section"))
    return build_page_frame(runtime.config, _frame.csrf_token(), "/thresholds", "thr_title",
                            content)


def _form(runtime: _runtime.Runtime, lang: str, edit: str | None) -> html.Div:
    """The form, with the rule ``edit`` loaded if it exists and still validates."""
    rows, row = (ruleform.editable(runtime.alerts, edit) if flask.has_request_context()
                 else ([], None))
    used = {name for r in rows for name in ruleform.routed_channels(r.spec)}
    entities = (ruleform.known_entities(runtime.alerts.engine) if flask.has_request_context()
                else Entities(()))
    return build_rule_form(lang, rule_from_row(row)[0] if row else None, _editing(row),
                           channel_options(runtime.config.channels, used, lang),
                           runtime.config.timezone, entities)


@CALLBACKS.callback(
    Output(THR_RULES, "children"),
    Output(THR_AUDIT, "children"),
    Input(ids.PAGES_LANG, "data"),
    Input(THR_CHANGED, "data"),
    Input(THR_TOGGLED, "data"),
)
def tables(stored_lang: str | None, _changed: int | None, _toggled: int | None) -> Any:
    """The rules and the recent changes to them."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    now_ms = _now_ms()
    try:
        rules = runtime.alerts.list_rules()
        audit = runtime.alerts.audit_log(action_prefix="rule.", limit=AUDIT_ROWS)
    except StorageUnavailable as err:
        return [banner(f"{t('db_unavailable', lang)}: {err}")], []
    entities = ruleform.known_entities(runtime.alerts.engine)
    return (build_rules_table(rules, entities, runtime.config.channels, _frame.is_admin(),
                              now_ms, lang, runtime.config.timezone),
            build_audit(audit, now_ms, lang, runtime.config.timezone))


# -- the form's actions -----------------------------------------------------------------


@CALLBACKS.callback(
    *[Output(input_id, "value") for input_id in INPUTS],
    *[Output(error_id, "children") for error_id in ERRORS],
    Output(THR_FORM_MESSAGE, "children"),
    Output(THR_FORM_EDITING, "data"),
    Output(THR_FORM_TITLE, "children"),
    Output(THR_CHANGED, "data"),
    Output(THR_WINDOWS, "children"),
    Output(THR_FORM_DELETE_BUTTON, "disabled"),
    Input(THR_FORM_SAVE, "n_clicks"),
    Input(THR_FORM_DELETE, "submit_n_clicks"),
    Input(THR_FORM_NEW, "n_clicks"),
    *_form_state(),
    prevent_initial_call=True,
)
def form_action(_save: int | None, _delete: int | None, _new: int | None,
                *state: Any) -> tuple[Any, ...]:
    """Save, delete or start a new rule. Admins only, checked here."""
    *values, days, starts, ends, editing, stored_lang = state
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    trigger = ctx.triggered_id
    try:
        user = require_role(Role.ADMIN)
    except PermissionDenied:
        return _unchanged(t("thr_admin_only", lang))
    form = RuleForm(values, days or [], starts or [], ends or [], editing, lang)
    actor = Actor(user.username, request_client_address())
    if trigger == THR_FORM_SAVE:
        result = ruleform.save(runtime.alerts, form, actor, _now_ms(),
                               runtime.config.channels, lang)
    elif trigger == THR_FORM_DELETE:
        result = ruleform.delete(runtime.alerts, form, actor, _now_ms(), lang)
    else:
        result = FormResult(fill=True)
    return _shown(result, lang, editing)


def _unchanged(message: Any = no_update) -> tuple[Any, ...]:
    return (*[no_update] * len(INPUTS), *[no_update] * len(ERRORS), message,
            no_update, no_update, no_update, no_update, no_update)


def _shown(result: FormResult, lang: str, editing: Any) -> tuple[Any, ...]:
    config = _runtime.current().config
    values: list[Any] = [no_update] * len(INPUTS)
    windows: Any = no_update
    now_editing: Any = editing
    title: Any = no_update
    if result.fill:
        values = form_values(result.rule, config.timezone)
        windows = window_rows(result.rule.windows if result.rule else (), lang)
        now_editing = _editing(result.row) if result.rule else None
        title = form_title(result.rule, lang)
    errors = [result.errors.get(name, "") for name in ERROR_FIELDS]
    changed = now_ms(time.time) if result.changed else no_update
    # Nothing to delete before a rule is loaded (or once it is deleted), as on /health.
    return (*values, *errors, result.message, now_editing, title, changed, windows,
            now_editing is None)


# -- the form as it is edited: pickers, units and the rule in words -----------------------


@CALLBACKS.callback(
    Output(THR_FORM_INPUT_PREFIX + "entity_kind", "value", allow_duplicate=True),
    Output(THR_FORM_INPUT_PREFIX + "source", "value", allow_duplicate=True),
    Output(THR_FORM_INPUT_PREFIX + "entity_ids", "value", allow_duplicate=True),
    Input(THR_FORM_INPUT_PREFIX + "metric", "value"),
    State(THR_FORM_INPUT_PREFIX + "entity_kind", "value"),
    State(THR_FORM_EDITING, "data"),
    prevent_initial_call=True,
)
def pick_metric(metric: Any, kind: Any, editing: Any) -> tuple[Any, Any, Any]:
    """A metric picked watches its kind of entity (and its one source, if it has one):
    a new rule takes them; a rule loaded keeps its own unless they no longer fit the
    metric, so a stored rule loads and saves unchanged. Entities of another kind are
    dropped. Changes nothing stored."""
    picked = RULE_METRIC_BY_ID.get(metric) if isinstance(metric, str) else None
    if picked is None or (editing is not None and kind in ("", None, picked.entity_kind)):
        return no_update, no_update, no_update
    if kind == picked.entity_kind:
        return no_update, picked.source or no_update, no_update
    return picked.entity_kind, picked.source or "", []


@CALLBACKS.callback(
    Output(THR_SENTENCE, "children"),
    *[Output(THR_UNIT_PREFIX + name, "children") for name in THRESHOLDS],
    *[Output(THR_FIELD_PREFIX + name, "className") for name in FORM_FIELDS],
    Output(THR_FORM_INPUT_PREFIX + "metric", "options"),
    Output(THR_FORM_INPUT_PREFIX + "entity_ids", "options"),
    Output(THR_FORM_INPUT_PREFIX + "entity_ids", "placeholder"),
    Output(THR_FORM_INPUT_PREFIX + "source", "options"),
    *[Input(input_id, "value") for input_id in INPUTS],
    *[Input({"type": kind, "index": ALL}, "value") for kind in _WINDOW_STATES],
    Input(ids.PAGES_LANG, "data"),
    State(THR_ENTITIES, "data"),
)
def live(*state: Any) -> tuple[Any, ...]:
    """The rule in words as it is edited, the threshold units, the fields the metric
    needs, and the pickers' options. Reads nothing stored: anyone may see it."""
    *values, days, starts, ends, stored_lang, entities = state
    lang = language(stored_lang, _runtime.current().config.default_language)
    shown = describe(values, days or [], starts or [], ends or [],
                     Entities.from_rows(entities), lang)
    return (shown.sentence, *shown.units, *shown.classes, shown.metric_options,
            shown.entity_options, shown.entity_placeholder, shown.source_options)


# -- enabling and disabling from the table ----------------------------------------------


@CALLBACKS.callback(
    Output(THR_RULES_MESSAGE, "children"),
    Output(THR_TOGGLED, "data"),
    Input({"type": THR_TOGGLE, "rule": ALL, "version": ALL}, "n_clicks"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def toggle(_clicks: list[int | None], stored_lang: str | None) -> tuple[Any, Any]:
    """Enable or disable the rule whose button was pressed. Admins only, checked here;
    the button carries the version shown, so a rule changed meanwhile is not flipped."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    trigger = ctx.triggered_id
    pressed = ctx.triggered[0].get("value") if ctx.triggered else None
    if not isinstance(trigger, dict) or not pressed:
        return no_update, no_update  # buttons (re)drawn by a table refresh
    try:
        user = require_role(Role.ADMIN)
    except PermissionDenied:
        return t("thr_admin_only", lang), no_update
    message = ruleform.flip(runtime.alerts, trigger.get("rule"), trigger.get("version"),
                            Actor(user.username, request_client_address()), _now_ms(), lang)
    return message, now_ms(time.time)


@CALLBACKS.callback(
    Output(THR_WINDOWS, "children", allow_duplicate=True),
    Input(THR_WINDOW_ADD, "n_clicks"),
    State({"type": THR_WINDOW_DAYS, "index": ALL}, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def add_window(_clicks: int | None, days: list[Any] | None, stored_lang: str | None) -> Any:
    """One more empty time window row (changes nothing stored)."""
    lang = language(stored_lang, _runtime.current().config.default_language)
    rows = Patch()
    rows.append(window_row(len(days or []), None, lang))
    return rows


# -- the backtest ------------------------------------------------------------------------


@CALLBACKS.callback(
    Output(THR_BACKTEST, "children"),
    Input(THR_FORM_BACKTEST, "n_clicks"),
    *_form_state(),
    prevent_initial_call=True,
)
def backtest(_clicks: int | None, *state: Any) -> Any:
    """How often the rule as edited, and as saved, would have fired on stored data."""
    *values, days, starts, ends, editing, stored_lang = state
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    try:
        require_role(Role.ADMIN)
    except PermissionDenied:
        return build_backtest_message(t("thr_admin_only", lang))
    form = RuleForm(values, days or [], starts or [], ends or [], editing, lang)
    try:
        rules = [form.rule(), *ruleform.saved_rule(runtime.alerts, form.rule_id)]
    except SpecError as err:
        return build_backtest_message(t("thr_bt_fix_form", lang, error=str(err)))
    except StorageUnavailable as err:
        return build_backtest_message(t("thr_bt_failed", lang, error=str(err)))
    return _run(runtime.alerts, rules, lang)


def _run(store: AlertStore, rules: list[Rule], lang: str) -> Any:
    if not backtestable(rules[0]):
        return build_backtest_message(t("thr_bt_derived", lang,
                                        metric=metric_name(rules[0].metric, lang)))
    started = time.perf_counter()
    try:
        reports = run_backtests(store, rules, now_ms=_now_ms())
    except StorageUnavailable as err:
        return build_backtest_message(t("thr_bt_failed", lang, error=str(err)))
    return build_backtest(reports, rules, time.perf_counter() - started, lang)
