"""``/admin``: users, wall screens (display tokens) and the audit log. Administrators only.

Three checks, none trusting the others: a GET of /admin by anyone else is answered 403
before Dash serves it, the layout holds nothing for them (a client-side navigation asks
the layout through a callback), and every callback, reading or changing, calls
``auth.require_role(Role.ADMIN)`` itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash
import flask
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component
from sqlalchemy.engine import Engine

import auth
from auth import Actor, PermissionDenied, Role, current_user, request_client_address, require_role
from dashboard import DashboardConfig, _frame, _runtime, ids
from dashboard._language import current_language, page_title
from dashboard.components.admin import (
    ADM_ADD_USER,
    ADM_AUDIT,
    ADM_AUDIT_ACTION,
    ADM_AUDIT_ACTOR,
    ADM_AUDIT_RANGE,
    ADM_CHANGED,
    ADM_DISPLAY_CREATE,
    ADM_DISPLAY_LANG,
    ADM_DISPLAY_NAME,
    ADM_DISPLAY_REVOKE,
    ADM_DISPLAY_TOKEN,
    ADM_DISPLAYS,
    ADM_DISPLAYS_CHANGED,
    ADM_DISPLAYS_MESSAGE,
    ADM_LOCKS,
    ADM_NEW_PASSWORD,
    ADM_NEW_ROLE,
    ADM_NEW_USERNAME,
    ADM_REFRESH,
    ADM_RESET_PASSWORD,
    ADM_RESET_SUBMIT,
    ADM_RESET_USER,
    ADM_SESSION_END,
    ADM_SESSIONS,
    ADM_SESSIONS_CHANGED,
    ADM_SESSIONS_MESSAGE,
    ADM_UNLOCK,
    ADM_USER_ACTION,
    ADM_USERS,
    ADM_USERS_MESSAGE,
    AUDIT_LIMIT,
    NewToken,
    audit_since,
    build_audit,
    build_audit_filters,
    build_display_form,
    build_displays,
    build_locks,
    build_logout_everywhere,
    build_sessions,
    build_token_panel,
    build_user_forms,
    build_users,
    reset_options,
    role_text,
)
from dashboard.components.admin_views import (
    ADM_SCREEN_LANG,
    ADM_SCREEN_PICK,
    ADM_SCREEN_SAVE,
    ADM_SCREEN_VIEW,
    ADM_VIEW_DELETE,
    ADM_VIEW_NAME,
    ADM_VIEW_PICK,
    ADM_VIEW_QUEUES,
    ADM_VIEW_SAVE,
    ADM_VIEW_TITLE,
    ADM_VIEWS,
    ADM_VIEWS_CHANGED,
    ADM_VIEWS_MESSAGE,
    NEW_VIEW,
    WHOLE_SITE,
    build_screen_form,
    build_view_form,
    build_views,
    queue_names,
    queue_options,
    screen_options,
    view_options,
)
from dashboard.components.pageframe import build_page_frame
from dashboard.components.refused import refused_response
from dashboard.i18n import language, t
from dashboard.registry import PageCallbacks
from specs.languages import LANGUAGES
from storage import (
    VIEW_QUEUES_MAX,
    DisplayExists,
    DisplayStore,
    InvalidView,
    StorageUnavailable,
    UnknownDisplay,
    UnknownView,
    ViewExists,
    ViewStore,
)

# Linked for administrators only (the page refuses everyone else itself).
CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/admin", title=page_title("adm_title"),
                   callbacks=CALLBACKS, nav="adm_nav", nav_order=5, nav_role="admin")

PATH = "/admin"


def layout(**_query: Any) -> Any:
    runtime = _runtime.current()
    lang = current_language(runtime.config.default_language)
    if _frame.admin_parts_allowed():
        content = build_sections(lang, int(runtime.config.refresh_interval_s * 1000))
    else:
        content = [html.Div(t("adm_forbidden", lang), className="page__banner")]
    return build_page_frame(runtime.config, _frame.csrf_token(), PATH, "adm_title", content)


def build_sections(lang: str, refresh_ms: int) -> list[Component]:
    return [
        dcc.Store(id=ADM_CHANGED, data=0),
        dcc.Store(id=ADM_DISPLAYS_CHANGED, data=0),
        dcc.Interval(id=ADM_REFRESH, interval=refresh_ms),
        html.Section([
            html.H2(t("adm_users_title", lang), className="section__title"),
            html.Div(id=ADM_USERS),
            html.Div(id=ADM_USERS_MESSAGE, role="status", className="form__message"),
            *build_user_forms(lang),
        ], className="page__section"),
        dcc.Store(id=ADM_SESSIONS_CHANGED, data=0),
        html.Section([
            html.H2(t("adm_sessions_title", lang), className="section__title"),
            html.Div(id=ADM_SESSIONS),
            html.Div(id=ADM_SESSIONS_MESSAGE, role="status", className="form__message"),
            build_logout_everywhere(_frame.csrf_token(), _logout_url(), lang),
            html.H3(t("adm_locks_title", lang), className="section__title"),
            html.Div(id=ADM_LOCKS),
        ], className="page__section"),
        html.Section([
            html.H2(t("adm_displays_title", lang), className="section__title"),
            html.Div(id=ADM_DISPLAYS),
            html.Div(id=ADM_DISPLAYS_MESSAGE, role="status", className="form__message"),
            html.Div(id=ADM_DISPLAY_TOKEN),
            build_display_form(lang),
        ], className="page__section"),
        dcc.Store(id=ADM_VIEWS_CHANGED, data=0),
        html.Section([
            html.H2(t("adm_views_title", lang), className="section__title"),
            html.Div(id=ADM_VIEWS),
            html.Div(id=ADM_VIEWS_MESSAGE, role="status", className="form__message"),
            build_view_form(lang),
            build_screen_form(lang),
        ], className="page__section"),
        html.Section([
            html.H2(t("adm_audit_title", lang), className="section__title"),
            build_audit_filters(lang),
            html.Div(id=ADM_AUDIT),
        ], className="page__section"),
    ]


# -- reading ------------------------------------------------------------------------------


def _now_ms() -> int:
    return _runtime.current().now_ms()


def _tz() -> str:
    return _runtime.current().config.timezone


def _engine() -> Engine:
    return _runtime.current().alerts.engine


def _lang(stored: str | None) -> str:
    return language(stored, _runtime.current().config.default_language)


def _banner(text: str) -> html.Div:
    return html.Div(text, className="page__banner")


@CALLBACKS.callback(
    Output(ADM_USERS, "children"),
    Output(ADM_RESET_USER, "options"),
    Input(ids.PAGES_LANG, "data"),
    Input(ADM_CHANGED, "data"),
)
def users_table(stored_lang: str | None, _changed: Any) -> tuple[Any, Any]:
    lang = _lang(stored_lang)
    try:
        me = require_role(Role.ADMIN)
        users = auth.list_users(_engine())
    except PermissionDenied:
        return _banner(t("adm_forbidden", lang)), []
    except StorageUnavailable as err:
        return _banner(f"{t('db_unavailable', lang)}: {err}"), no_update
    return build_users(users, me.username, _now_ms(), lang, _tz()), reset_options(users)


@CALLBACKS.callback(
    Output(ADM_DISPLAYS, "children"),
    Input(ADM_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    Input(ADM_DISPLAYS_CHANGED, "data"),
    Input(ADM_VIEWS_CHANGED, "data"),
)
def displays_table(_n: int | None, stored_lang: str | None, _changed: Any,
                   _views_changed: Any = None) -> Any:
    lang = _lang(stored_lang)
    try:
        require_role(Role.ADMIN)
        rows = auth.list_displays(_engine())
        views = {view.id: view.name for view in ViewStore(_engine()).list()}
    except PermissionDenied:
        return _banner(t("adm_forbidden", lang))
    except StorageUnavailable as err:
        return _banner(f"{t('db_unavailable', lang)}: {err}")
    return build_displays(rows, _now_ms(), lang, _tz(), views)


def _logout_url() -> str:
    return (flask.request.script_root if flask.has_request_context() else "") + "/logout"


@CALLBACKS.callback(
    Output(ADM_SESSIONS, "children"),
    Output(ADM_LOCKS, "children"),
    Input(ADM_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    Input(ADM_CHANGED, "data"),
    Input(ADM_SESSIONS_CHANGED, "data"),
)
def sessions_tables(_n: int | None, stored_lang: str | None, _changed: Any,
                    _sessions_changed: Any) -> tuple[Any, Any]:
    """Every live login session (with its user) and every lock in force."""
    lang = _lang(stored_lang)
    now_ms = _now_ms()
    try:
        me = require_role(Role.ADMIN)
        engine = _engine()
        names = {user.id: user.username for user in auth.list_users(engine)}
        live = auth.sessions.list_active(engine, now_ms / 1000)
        locks = auth.active_locks(engine, now_ms, auth.installed_config())
    except PermissionDenied:
        return _banner(t("adm_forbidden", lang)), ""
    except StorageUnavailable as err:
        return _banner(f"{t('db_unavailable', lang)}: {err}"), ""
    rows = [(names.get(row.user_id, "?"), row) for row in live]
    return (build_sessions(rows, me.session_id, now_ms, lang, _tz()),
            build_locks(locks, set(names.values()), now_ms, lang, _tz()))


@CALLBACKS.callback(
    Output(ADM_SESSIONS_MESSAGE, "children"),
    Output(ADM_SESSIONS_CHANGED, "data"),
    Input({"type": ADM_SESSION_END, "session": ALL, "user": ALL}, "n_clicks"),
    Input({"type": ADM_UNLOCK, "user": ALL}, "n_clicks"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def session_change(_ends: list[int | None], _unlocks: list[int | None],
                   stored_lang: str | None) -> tuple[Any, Any]:
    """End one login session, or lift every lock on a user."""
    lang = _lang(stored_lang)
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update, no_update  # buttons (re)drawn by a table refresh
    try:
        me = require_role(Role.ADMIN)
    except PermissionDenied:
        return t("adm_denied", lang), no_update
    actor = Actor(me.username, request_client_address())
    user = str(trigger.get("user", ""))
    engine, clock = _engine(), _runtime.current().clock
    if trigger.get("type") == ADM_UNLOCK:
        error = _attempt(lambda: auth.unlock_user(engine, user, actor=actor, clock=clock),
                         lang, user=user)
        return error or t("adm_unlocked", lang, user=user), _changed(error is None)
    session_id = trigger.get("session")
    if not isinstance(session_id, int):
        return no_update, no_update
    ended: list[bool] = []
    error = _attempt(lambda: ended.append(auth.sessions.end_one(
        engine, user, session_id, actor=actor, clock=clock)), lang, user=user)
    if error is not None:
        return error, no_update
    if not ended or not ended[0]:
        return t("adm_session_gone", lang), _changed(True)
    return t("adm_session_ended", lang, user=user), _changed(True)


@CALLBACKS.callback(
    Output(ADM_AUDIT, "children"),
    Input(ids.PAGES_LANG, "data"),
    Input(ADM_CHANGED, "data"),
    Input(ADM_DISPLAYS_CHANGED, "data"),
    Input(ADM_SESSIONS_CHANGED, "data"),
    Input(ADM_AUDIT_ACTOR, "value"),
    Input(ADM_AUDIT_ACTION, "value"),
    Input(ADM_AUDIT_RANGE, "value"),
)
def audit_table(stored_lang: str | None, _changed: Any, _displays: Any, _sessions: Any,
                actor: Any, kind: Any, range_name: Any) -> Any:
    lang = _lang(stored_lang)
    now_ms = _now_ms()
    try:
        require_role(Role.ADMIN)
        rows = _runtime.current().alerts.audit_log(
            since_ms=audit_since(range_name, now_ms),
            actor=actor.strip() if isinstance(actor, str) and actor.strip() else None,
            action_prefix=f"{kind}." if isinstance(kind, str) and kind else None,
            limit=AUDIT_LIMIT)
    except PermissionDenied:
        return _banner(t("adm_forbidden", lang))
    except StorageUnavailable as err:
        return _banner(f"{t('db_unavailable', lang)}: {err}")
    return build_audit(rows, now_ms, lang, _tz())


# -- users ----------------------------------------------------------------------------------


@CALLBACKS.callback(
    Output(ADM_USERS_MESSAGE, "children"),
    Output(ADM_CHANGED, "data"),
    Output(ADM_NEW_USERNAME, "value"),
    Output(ADM_NEW_PASSWORD, "value"),
    Output(ADM_RESET_PASSWORD, "value"),
    Input(ADM_ADD_USER, "n_clicks"),
    Input({"type": ADM_USER_ACTION, "user": ALL, "action": ALL}, "n_clicks"),
    Input(ADM_RESET_SUBMIT, "n_clicks"),
    State(ADM_NEW_USERNAME, "value"),
    State(ADM_NEW_PASSWORD, "value"),
    State(ADM_NEW_ROLE, "value"),
    State(ADM_RESET_USER, "value"),
    State(ADM_RESET_PASSWORD, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def user_change(_add: int | None, _actions: list[int | None], _reset: int | None,
                *state: Any) -> tuple[Any, ...]:
    """Add a user, press a user's button (disable, enable, role) or reset a password."""
    username, password, role, reset_user, reset_password, stored_lang = state
    lang = _lang(stored_lang)
    trigger = ctx.triggered_id
    if trigger is None or not (ctx.triggered and ctx.triggered[0].get("value")):
        return (no_update,) * 5  # buttons (re)drawn by a table refresh
    try:
        me = require_role(Role.ADMIN)
    except PermissionDenied:
        return t("adm_denied", lang), no_update, no_update, no_update, no_update
    actor = Actor(me.username, request_client_address())
    if trigger == ADM_ADD_USER:
        message, done = _add_user(actor, username, password, role, lang)
        return (message, _changed(done), "" if done else no_update, "", no_update)
    if trigger == ADM_RESET_SUBMIT:
        message, done = _reset_password(actor, reset_user, reset_password, lang)
        return message, _changed(done), no_update, no_update, ""
    message, done = _user_action(actor, trigger, lang)
    return message, _changed(done), no_update, no_update, no_update


def _changed(done: bool) -> Any:
    return _now_ms() if done else no_update


def _attempt(change: Callable[[], Any], lang: str, **names: str) -> str | None:
    """Run ``change``; None if it worked, else the readable reason."""
    try:
        change()
    except auth.InvalidUsername:
        return t("adm_bad_username", lang)
    except auth.WeakPassword:
        return t("adm_weak_password", lang, min=auth.passwords.MIN_LENGTH,
                 max=auth.passwords.MAX_LENGTH)
    except auth.UserExists:
        return t("adm_user_exists", lang, user=names.get("user", ""))
    except auth.UnknownUser:
        return t("adm_unknown_user", lang, user=names.get("user", ""))
    except StorageUnavailable as err:
        return t("adm_unavailable", lang, error=str(err))
    return None


def _add_user(actor: Actor, username: Any, password: Any, role: Any,
              lang: str) -> tuple[str, bool]:
    if not (isinstance(username, str) and username.strip() and isinstance(password, str)
            and password and role in auth.USER_ROLES):
        return t("adm_fill_user", lang), False
    name = username.strip().lower()
    error = _attempt(lambda: auth.add_user(_engine(), name, password, role, actor=actor,
                                           clock=_runtime.current().clock), lang, user=name)
    if error is not None:
        return error, False
    return t("adm_user_added", lang, user=name, role=role_text(role, lang)), True


def _reset_password(actor: Actor, username: Any, password: Any, lang: str) -> tuple[str, bool]:
    if not (isinstance(username, str) and username and isinstance(password, str) and password):
        return t("adm_fill_reset", lang), False
    error = _attempt(lambda: auth.set_password(_engine(), username, password, actor=actor,
                                               clock=_runtime.current().clock),
                     lang, user=username)
    if error is not None:
        return error, False
    return t("adm_password_set", lang, user=username), True


def _user_action(actor: Actor, trigger: Any, lang: str) -> tuple[str, bool]:
    """A button of the users table: {"user": name, "action": what}."""
    if not isinstance(trigger, dict):
        return "", False
    user, action = str(trigger.get("user", "")), trigger.get("action")
    if user == actor.name and action in ("disable", *auth.USER_ROLES):
        return t("adm_not_self", lang), False
    engine, clock = _engine(), _runtime.current().clock
    changes: dict[Any, tuple[Callable[[], Any], str]] = {
        "disable": (lambda: auth.disable_user(engine, user, actor=actor, clock=clock),
                    t("adm_user_disabled", lang, user=user)),
        "enable": (lambda: auth.enable_user(engine, user, actor=actor, clock=clock),
                   t("adm_user_enabled", lang, user=user)),
    }
    for role in auth.USER_ROLES:
        changes[role.value] = (functools.partial(auth.set_role, engine, user, role, actor=actor,
                                                 clock=clock),
                               t("adm_role_changed", lang, user=user, role=role_text(role, lang)))
    if action == "end_sessions":
        ended: list[int] = []
        error = _attempt(lambda: ended.append(auth.sessions.end_all(
            engine, user, actor=actor, clock=clock)), lang, user=user)
        if error is not None:
            return error, False
        return t("adm_sessions_ended", lang, n=ended[0], user=user), True
    if action not in changes:
        return "", False
    change, done_text = changes[action]
    error = _attempt(change, lang, user=user)
    return (done_text, True) if error is None else (error, False)


# -- wall screens ----------------------------------------------------------------------------


@CALLBACKS.callback(
    Output(ADM_DISPLAYS_MESSAGE, "children"),
    Output(ADM_DISPLAY_TOKEN, "children"),
    Output(ADM_DISPLAYS_CHANGED, "data"),
    Output(ADM_DISPLAY_NAME, "value"),
    Input(ADM_DISPLAY_CREATE, "n_clicks"),
    Input({"type": ADM_DISPLAY_REVOKE, "display": ALL}, "submit_n_clicks"),
    State(ADM_DISPLAY_NAME, "value"),
    State(ids.PAGES_LANG, "data"),
    State(ADM_DISPLAY_LANG, "value"),
    prevent_initial_call=True,
)
def display_change(_create: int | None, _revokes: list[int | None], name: Any,
                   stored_lang: str | None,
                   screen_lang: Any = "default") -> tuple[Any, Any, Any, Any]:
    """Create a display token (its address shown once) or revoke one."""
    lang = _lang(stored_lang)
    trigger = ctx.triggered_id
    if trigger is None or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update, no_update, no_update, no_update
    try:
        me = require_role(Role.ADMIN)
    except PermissionDenied:
        return t("adm_denied", lang), no_update, no_update, no_update
    actor = Actor(me.username, request_client_address())
    if trigger == ADM_DISPLAY_CREATE:
        return _create_display(actor, name, lang, screen_lang)
    if isinstance(trigger, dict):
        return _revoke_display(actor, trigger.get("display"), lang)
    return no_update, no_update, no_update, no_update


def _create_display(actor: Actor, name: Any, lang: str,
                    screen_lang: Any = "default") -> tuple[Any, Any, Any, Any]:
    try:
        created = auth.create_display(_engine(), name if isinstance(name, str) else "",
                                      actor=actor, clock=_runtime.current().clock)
        if screen_lang in LANGUAGES:
            auth.set_display_language(_engine(), created.display.id, str(screen_lang),
                                      actor=actor, clock=_runtime.current().clock)
    except auth.InvalidDisplayName:
        return t("adm_bad_display_name", lang), "", no_update, no_update
    except DisplayExists:
        return t("adm_display_exists", lang, name=str(name).strip()), "", no_update, no_update
    except StorageUnavailable as err:
        return t("adm_unavailable", lang, error=str(err)), "", no_update, no_update
    url = f"{_runtime.current().config.public_url}/display/{created.token}"
    panel = build_token_panel(NewToken(name=created.display.name, url=url), lang)
    return "", panel, _now_ms(), ""


def _revoke_display(actor: Actor, display_id: Any, lang: str) -> tuple[Any, Any, Any, Any]:
    if not isinstance(display_id, int):
        return no_update, no_update, no_update, no_update
    try:
        row = auth.revoke_display(_engine(), display_id, actor=actor,
                                  clock=_runtime.current().clock)
    except UnknownDisplay:
        return t("adm_unknown_display", lang), no_update, no_update, no_update
    except StorageUnavailable as err:
        return t("adm_unavailable", lang, error=str(err)), no_update, no_update, no_update
    return t("adm_display_revoked", lang, name=row.name), "", _now_ms(), no_update


# -- team screens ----------------------------------------------------------------------------


def _queue_names() -> dict[str, str]:
    return queue_names(_runtime.current().read_model.snapshot().queues)


@CALLBACKS.callback(
    Output(ADM_VIEWS, "children"),
    Output(ADM_VIEW_PICK, "options"),
    Output(ADM_SCREEN_PICK, "options"),
    Output(ADM_SCREEN_VIEW, "options"),
    Input(ids.PAGES_LANG, "data"),
    Input(ADM_VIEWS_CHANGED, "data"),
    Input(ADM_DISPLAYS_CHANGED, "data"),
)
def views_table(stored_lang: str | None, _changed: Any, _displays: Any) -> tuple[Any, ...]:
    """The saved views with their addresses, and the choices of the two forms."""
    lang = _lang(stored_lang)
    try:
        require_role(Role.ADMIN)
        views = ViewStore(_engine()).list()
        displays = auth.list_displays(_engine())
    except PermissionDenied:
        return _banner(t("adm_forbidden", lang)), [], [], []
    except StorageUnavailable as err:
        return (_banner(f"{t('db_unavailable', lang)}: {err}"), no_update, no_update,
                no_update)
    public_url = _runtime.current().config.public_url
    return (build_views(views, displays, _queue_names(), public_url, lang),
            view_options(views, lang, none_key="adm_view_new"), screen_options(displays),
            view_options(views, lang, none_key="adm_view_whole_site"))


@CALLBACKS.callback(
    Output(ADM_VIEW_NAME, "value"),
    Output(ADM_VIEW_TITLE, "value"),
    Output(ADM_VIEW_QUEUES, "value"),
    Output(ADM_VIEW_QUEUES, "options"),
    Input(ADM_VIEW_PICK, "value"),
    Input(ADM_VIEWS_CHANGED, "data"),
    Input(ids.PAGES_LANG, "data"),
)
def view_fill(pick: Any, _changed: Any, stored_lang: str | None) -> tuple[Any, ...]:
    """The picked view's name, title and queues in the form (empty for a new one)."""
    lang = _lang(stored_lang)
    try:
        require_role(Role.ADMIN)
        view = ViewStore(_engine()).get(pick) if isinstance(pick, int) and pick else None
    except (PermissionDenied, StorageUnavailable):
        return no_update, no_update, no_update, no_update
    names = _queue_names()
    if view is None:
        return "", "", [], queue_options(names, [], lang)
    return (view.name, view.title, list(view.queue_ids),
            queue_options(names, view.queue_ids, lang))


@CALLBACKS.callback(
    Output(ADM_SCREEN_VIEW, "value"),
    Output(ADM_SCREEN_LANG, "value"),
    Input(ADM_SCREEN_PICK, "value"),
)
def screen_fill(pick: Any) -> tuple[Any, Any]:
    """The picked screen's view and language in the form."""
    try:
        require_role(Role.ADMIN)
        row = DisplayStore(_engine()).get(pick) if isinstance(pick, int) else None
    except (PermissionDenied, StorageUnavailable):
        return no_update, no_update
    if row is None:
        return WHOLE_SITE, "default"
    return row.view_id or WHOLE_SITE, row.language or "default"


@CALLBACKS.callback(
    Output(ADM_VIEWS_MESSAGE, "children"),
    Output(ADM_VIEWS_CHANGED, "data"),
    Output(ADM_VIEW_PICK, "value"),
    Input(ADM_VIEW_SAVE, "n_clicks"),
    Input({"type": ADM_VIEW_DELETE, "view": ALL}, "submit_n_clicks"),
    Input(ADM_SCREEN_SAVE, "n_clicks"),
    State(ADM_VIEW_PICK, "value"),
    State(ADM_VIEW_NAME, "value"),
    State(ADM_VIEW_TITLE, "value"),
    State(ADM_VIEW_QUEUES, "value"),
    State(ADM_SCREEN_PICK, "value"),
    State(ADM_SCREEN_VIEW, "value"),
    State(ADM_SCREEN_LANG, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def team_change(_save: int | None, _deletes: list[int | None], _screen: int | None,
                pick: Any, name: Any, title: Any, queues: Any, screen: Any,
                screen_view: Any, screen_lang: Any,
                stored_lang: str | None) -> tuple[Any, Any, Any]:
    """Save or delete a view, or save a screen's view and language; audited."""
    lang = _lang(stored_lang)
    trigger = ctx.triggered_id
    if trigger is None or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update, no_update, no_update
    try:
        me = require_role(Role.ADMIN)
    except PermissionDenied:
        return t("adm_denied", lang), no_update, no_update
    actor = Actor(me.username, request_client_address())
    try:
        if trigger == ADM_VIEW_SAVE:
            return _save_view(actor, pick, name, title, queues, lang)
        if trigger == ADM_SCREEN_SAVE:
            return _save_screen(actor, screen, screen_view, screen_lang, lang)
        if isinstance(trigger, dict) and isinstance(trigger.get("view"), int):
            gone = ViewStore(_engine()).delete(trigger["view"], actor=actor.name,
                                               now_ms=_now_ms(), client_addr=actor.client_addr)
            _runtime.current().read_model.invalidate()
            return t("adm_view_deleted", lang, name=gone.name), _now_ms(), NEW_VIEW
    except UnknownView:
        return t("adm_view_unknown", lang), _now_ms(), NEW_VIEW
    except UnknownDisplay:
        return t("adm_unknown_display", lang), _now_ms(), no_update
    except StorageUnavailable as err:
        return t("adm_unavailable", lang, error=str(err)), no_update, no_update
    return no_update, no_update, no_update


def _save_view(actor: Actor, pick: Any, name: Any, title: Any, queues: Any,
               lang: str) -> tuple[Any, Any, Any]:
    chosen = [str(q) for q in queues] if isinstance(queues, list) else []
    problem = _view_problem(name, title, chosen, lang)
    if problem is not None:
        return problem, no_update, no_update
    store, now = ViewStore(_engine()), _now_ms()
    try:
        if isinstance(pick, int) and pick != NEW_VIEW:
            view = store.update(pick, name=str(name), title=str(title), queue_ids=chosen,
                                actor=actor.name, now_ms=now, client_addr=actor.client_addr)
        else:
            view = store.create(str(name), str(title), chosen, actor=actor.name, now_ms=now,
                                client_addr=actor.client_addr)
    except ViewExists:
        return t("adm_view_exists", lang, name=str(name).strip().lower()), no_update, no_update
    except InvalidView as err:
        return t("adm_view_invalid", lang, reason=str(err)), no_update, no_update
    _runtime.current().read_model.invalidate()
    return t("adm_view_saved", lang, name=view.name), now, view.id


def _view_problem(name: Any, title: Any, queues: list[str], lang: str) -> str | None:
    """The form's own words for the usual mistakes (storage checks everything again)."""
    if not isinstance(name, str) or not name.strip():
        return t("adm_view_bad_name", lang)
    if not isinstance(title, str) or not title.strip():
        return t("adm_view_bad_title", lang)
    if not queues:
        return t("adm_view_no_queues", lang)
    if len(queues) > VIEW_QUEUES_MAX:
        return t("adm_view_too_many", lang, n=VIEW_QUEUES_MAX)
    return None


def _save_screen(actor: Actor, screen: Any, view: Any, screen_lang: Any,
                 lang: str) -> tuple[Any, Any, Any]:
    if not isinstance(screen, int):
        return t("adm_screen_pick_first", lang), no_update, no_update
    clock = _runtime.current().clock
    ViewStore(_engine()).bind(screen, view if isinstance(view, int) and view else None,
                              actor=actor.name, now_ms=_now_ms(),
                              client_addr=actor.client_addr)
    row = auth.set_display_language(_engine(), screen,
                                    str(screen_lang) if screen_lang in LANGUAGES else None,
                                    actor=actor, clock=clock)
    return t("adm_screen_saved", lang, name=row.name), _now_ms(), no_update


# -- wiring ----------------------------------------------------------------------------------


def _admins_only(asset_url: str) -> flask.Response | None:
    """403 for a GET (or HEAD) of /admin by anyone but an administrator (the guard has already sent
    anonymous browsers to the login page): the app's access-refused page."""
    request = flask.request
    # HEAD is a GET without the body: the same answer, so the same refusal.
    if request.method not in ("GET", "HEAD") or request.path.rstrip("/") != PATH:
        return None
    user = current_user()
    if user is None or user.role is Role.ADMIN:
        return None
    config = _runtime.current().config
    return refused_response("adm_forbidden", config.site_name, config.default_language,
                            asset_url)


@CALLBACKS.setup
def _refuse_others(app: dash.Dash, _config: DashboardConfig) -> None:
    asset_url = app.get_asset_url("")
    app.server.before_request(lambda: _admins_only(asset_url))
