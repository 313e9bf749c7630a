"""``/health``: every source's state; ``/health?source=<name>`` one source's history.

Admins also get the health target form. Every callback that changes anything checks
the role itself with ``auth.require_role`` (the form being hidden is not a check).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html, no_update

from auth import PermissionDenied, Role, require_role
from dashboard import DashboardConfig, _frame, _runtime, ids, targetform
from dashboard._language import current_language, page_title
from dashboard.components.health import (
    FORM_FIELDS,
    HEALTH_BODY,
    HEALTH_FORM_DELETE,
    HEALTH_FORM_EDITING,
    HEALTH_FORM_ERROR_PREFIX,
    HEALTH_FORM_INPUT_PREFIX,
    HEALTH_FORM_MESSAGE,
    HEALTH_FORM_NEW,
    HEALTH_FORM_SAVE,
    HEALTH_FORM_TITLE,
    HEALTH_REFRESH,
    HEALTH_SOURCE,
    HEALTH_TARGETS,
    HEALTH_TARGETS_CHANGED,
    build_health_grid,
    build_source_detail,
    build_target_form,
    build_targets,
    form_values,
)
from dashboard.components.pageframe import build_page_frame
from dashboard.i18n import language, t
from dashboard.registry import PageCallbacks
from dashboard.status import storage_failing_text
from specs.clock import now_ms
from specs.collector_status import read_status

CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/health", title=page_title("health_title"),
                   callbacks=CALLBACKS, nav="nav_health", nav_order=1, kiosk="health",
                   kiosk_order=2, display_ids=("health-",))

INPUTS = [HEALTH_FORM_INPUT_PREFIX + name for name in FORM_FIELDS]
ERRORS = [HEALTH_FORM_ERROR_PREFIX + name for name in FORM_FIELDS]


def layout(source: str | None = None, edit: str | None = None, **_query: Any) -> Any:
    """``?source=`` shows one source's detail; ``?edit=`` (admins) loads a target into
    the form."""
    runtime = _runtime.current()
    lang = current_language(runtime.config.default_language)
    content: list[Any] = [
        dcc.Store(id=HEALTH_SOURCE, data=source),
        dcc.Store(id=HEALTH_TARGETS_CHANGED, data=0),
        dcc.Interval(id=HEALTH_REFRESH,
                     interval=int(runtime.config.refresh_interval_s * 1000)),
        html.Main(id=HEALTH_BODY, className="page__body"),
        html.Section(id=HEALTH_TARGETS, className="page__section"),
    ]
    if source is None and _frame.admin_parts_allowed():
        target = targetform.editable(runtime.ops.targets, edit) if edit else None
        content.append(build_target_form(lang, target))
    return build_page_frame(runtime.config, _frame.csrf_token(), "/health", "health_title",
                            content)


@CALLBACKS.callback(
    Output(HEALTH_BODY, "children"),
    Input(HEALTH_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    Input(HEALTH_TARGETS_CHANGED, "data"),
    State(HEALTH_SOURCE, "data"),
)
def refresh(_n: int | None, stored_lang: str | None, _changed: int | None,
            source: str | None) -> Any:
    """The grid, or one source's detail, from the cached snapshot."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    now_ms = runtime.now_ms()
    if not source:
        return (_storage_banner(runtime.config, now_ms, lang)
                + build_health_grid(runtime.ops.snapshot(), now_ms, lang,
                                    runtime.config.timezone))
    return build_source_detail(runtime.ops.detail(source), source, now_ms, lang,
                               runtime.config.timezone)


def _storage_banner(config: DashboardConfig, now_ms: int, lang: str) -> list[Any]:
    """The collector's word on a database that takes no writes, read from its file."""
    if not config.collector_status_path:
        return []
    status = read_status(Path(config.collector_status_path), now_ms)
    text = storage_failing_text(status, lang, config.timezone)
    return [html.Div(text, className="page__banner")] if text else []


@CALLBACKS.callback(
    Output(HEALTH_TARGETS, "children"),
    Input(ids.PAGES_LANG, "data"),
    Input(HEALTH_TARGETS_CHANGED, "data"),
    State(HEALTH_SOURCE, "data"),
)
def targets(stored_lang: str | None, _changed: int | None, source: str | None) -> Any:
    """The stored targets, under the grid (not in a source's detail)."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    snapshot = runtime.ops.snapshot()
    if source or snapshot.db_error is not None:
        return []
    return build_targets(snapshot.targets, _frame.is_admin(), lang)


@CALLBACKS.callback(
    *[Output(field_id, "value") for field_id in INPUTS],
    *[Output(error_id, "children") for error_id in ERRORS],
    Output(HEALTH_FORM_MESSAGE, "children"),
    Output(HEALTH_FORM_EDITING, "data"),
    Output(HEALTH_FORM_TITLE, "children"),
    Output(HEALTH_TARGETS_CHANGED, "data"),
    Output(HEALTH_FORM_INPUT_PREFIX + "name", "disabled"),
    Output(HEALTH_FORM_DELETE, "disabled"),
    Input(HEALTH_FORM_SAVE, "n_clicks"),
    Input(HEALTH_FORM_DELETE, "n_clicks"),
    Input(HEALTH_FORM_NEW, "n_clicks"),
    *[State(field_id, "value") for field_id in INPUTS],
    State(HEALTH_FORM_EDITING, "data"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def form_action(_save: int | None, _delete: int | None, _new: int | None,
                *state: Any) -> tuple[Any, ...]:
    """Save, delete or start a new target. Admins only, checked here."""
    *values, editing, stored_lang = state
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    trigger = ctx.triggered_id
    try:
        require_role(Role.ADMIN)
    except PermissionDenied:
        return _unchanged(t("admin_only", lang))
    store = runtime.ops.targets
    if trigger == HEALTH_FORM_SAVE:
        now_ms = runtime.now_ms()
        result = targetform.save(store, values, editing, now_ms, lang)
    elif trigger == HEALTH_FORM_DELETE:
        result = targetform.delete(store, editing, lang)
    else:
        result = targetform.FormResult(fill=True)
    if result.changed:
        runtime.ops.invalidate()
    return _shown(result, lang, editing)


def _unchanged(message: str | Any = no_update) -> tuple[Any, ...]:
    return (*[no_update] * len(INPUTS), *[no_update] * len(ERRORS), message,
            no_update, no_update, no_update, no_update, no_update)


def _shown(result: targetform.FormResult, lang: str, editing: str | None) -> tuple[Any, ...]:
    values: list[Any] = (form_values(result.target) if result.fill
                         else [no_update] * len(INPUTS))
    errors = [result.errors.get(name, "") for name in FORM_FIELDS]
    now_editing = (result.target.name if result.target else None) if result.fill else editing
    title = (t("edit_target", lang, name=now_editing) if now_editing
             else t("new_target", lang))
    changed = now_ms(time.time) if result.changed else no_update
    # The name is fixed once a target exists; there is nothing to delete before that.
    return (*values, *errors, result.message, now_editing, title, changed,
            now_editing is not None, now_editing is None)

