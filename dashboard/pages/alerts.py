"""``/alerts``: open alerts, pending breaches, silences, notification channels and the
recent history, refreshed every refresh period.

Any logged-in user acknowledges an alert (``require_role(Role.VIEWER)``); silences,
planned maintenance and messages to the floor are for supervisors and administrators
(``auth.SILENCE``, ``auth.POST_MESSAGE``), test messages for administrators
(``require_role(Role.ADMIN)``). Each callback that changes anything checks the role
itself: a hidden button is not a check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import flask
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component

from auth import (
    POST_MESSAGE,
    SILENCE,
    PermissionDenied,
    Role,
    current_user,
    request_client_address,
    require_role,
)
from dashboard import _frame, _runtime, alertforms, floorforms, ids, screenview
from dashboard._language import current_language, page_title
from dashboard.alertsmodel import AlertsModel
from dashboard.components.alerts import (
    ACK_PANEL_HIDDEN,
    ACK_PANEL_SHOWN,
    ALR_ACK_CANCEL,
    ALR_ACK_COMMENT,
    ALR_ACK_MESSAGE,
    ALR_ACK_PANEL,
    ALR_ACK_PICK,
    ALR_ACK_SUBMIT,
    ALR_ACK_TARGET,
    ALR_ACK_TITLE,
    ALR_ACKED,
    ALR_CHANNEL_TEST,
    ALR_CHANNELS,
    ALR_CHANNELS_MESSAGE,
    ALR_FILTER_ENTITY,
    ALR_FILTER_RULE,
    ALR_FIRING,
    ALR_HISTORY,
    ALR_HISTORY_TITLE,
    ALR_PENDING,
    ALR_REFRESH,
    ALR_SILENCE_CREATE,
    ALR_SILENCE_DURATION,
    ALR_SILENCE_END,
    ALR_SILENCE_REASON,
    ALR_SILENCES,
    ALR_SILENCES_CHANGED,
    ALR_SILENCES_MESSAGE,
    ALR_TESTS,
    NO_CHOICES,
    SILENCE_SCOPE,
    ScopeChoices,
    ScopePicker,
    TestOutcome,
    build_ack_panel,
    build_channels,
    build_firing,
    build_history,
    build_pending,
    build_silence_form,
    build_silences,
    history_filter_options,
    silence_options,
)
from dashboard.components.floor import (
    ALR_FLOOR_CHANGED,
    ALR_FLOOR_EXPIRY,
    ALR_FLOOR_MAINTENANCE,
    ALR_FLOOR_MAINTENANCE_MESSAGE,
    ALR_FLOOR_MESSAGES,
    ALR_FLOOR_MESSAGES_MESSAGE,
    ALR_FLOOR_MNT_DATE,
    ALR_FLOOR_MNT_END,
    ALR_FLOOR_MNT_END_BUTTON,
    ALR_FLOOR_MNT_PLAN,
    ALR_FLOOR_MNT_REASON,
    ALR_FLOOR_MNT_REPEAT,
    ALR_FLOOR_MNT_START,
    ALR_FLOOR_MNT_WEEKDAY,
    ALR_FLOOR_POST,
    ALR_FLOOR_SCREENS,
    ALR_FLOOR_TEXT,
    ALR_FLOOR_WITHDRAW,
    MAINTENANCE_SCOPE,
    build_maintenance,
    build_maintenance_form,
    build_message_form,
    build_messages,
    when_words,
)
from dashboard.components.pageframe import build_page_frame
from dashboard.i18n import language, t
from dashboard.registry import PageCallbacks
from storage import OutboxRow

CALLBACKS = PageCallbacks()
dash.register_page(__name__, path="/alerts", title=page_title("alr_title"),
                   callbacks=CALLBACKS, nav="alr_nav", nav_order=3, kiosk="alerts", kiosk_order=3,
                   display_ids=("alr-",))


def layout(**_query: Any) -> Any:
    runtime = _runtime.current()
    lang = current_language(runtime.config.default_language)
    refresh_ms = int(runtime.config.refresh_interval_s * 1000)
    silences: list[Component] = [
        html.Div(id=ALR_SILENCES),
        html.Div(id=ALR_SILENCES_MESSAGE, role="status", className="alerts__message"),
    ]
    if _frame.parts_allowed(SILENCE):
        silences.append(build_silence_form(lang, refresh_ms, _scope_choices(lang)))
    content: list[Component] = [
        dcc.Store(id=ALR_FLOOR_CHANGED, data=0),
        dcc.Store(id=ALR_ACK_TARGET),
        dcc.Store(id=ALR_ACKED, data=0),
        dcc.Store(id=ALR_SILENCES_CHANGED, data=0),
        dcc.Store(id=ALR_TESTS, data={}),
        dcc.Interval(id=ALR_REFRESH, interval=refresh_ms),
        html.Section([
            html.Div(id=ALR_FIRING),
            html.Div(id=ALR_ACK_MESSAGE, role="status", className="alerts__message"),
            build_ack_panel(lang),
        ], className="page__section"),
        html.Section(html.Div(id=ALR_PENDING), className="page__section"),
        html.Section(silences, className="page__section"),
        html.Section(_floor_maintenance(lang), className="page__section"),
        html.Section(_floor_messages(lang), className="page__section"),
        html.Section([
            html.Div(id=ALR_CHANNELS),
            html.Div(id=ALR_CHANNELS_MESSAGE, role="status", className="alerts__message"),
        ], className="page__section"),
        html.Section([
            html.H2(t("alr_history_title", lang), id=ALR_HISTORY_TITLE,
                    className="section__title"),
            html.Div([
                dcc.Dropdown(id=ALR_FILTER_RULE, placeholder=t("alr_all_rules", lang),
                             className="dropdown"),
                dcc.Dropdown(id=ALR_FILTER_ENTITY,
                             placeholder=t("alr_all_entities", lang), className="dropdown"),
            ], className="alerts__filters"),
            html.Div(id=ALR_HISTORY),
        ], className="page__section"),
    ]
    return build_page_frame(runtime.config, _frame.csrf_token(), "/alerts", "alr_title",
                            content)


def _floor_messages(lang: str) -> list[Component]:
    """Messages to the floor: the list, and the form for supervisors and admins."""
    parts: list[Component] = [
        html.H2(t("flr_messages_title", lang), className="section__title"),
        html.Div(id=ALR_FLOOR_MESSAGES),
        html.Div(id=ALR_FLOOR_MESSAGES_MESSAGE, role="status", className="alerts__message"),
    ]
    if _frame.parts_allowed(POST_MESSAGE):
        # Dash also builds the layout outside a request (its validation layout, at
        # start): no read then, or the caches would hold data from before anything.
        displays = (_runtime.current().read_model.floor.data().displays
                    if flask.has_request_context() else ())
        parts.append(build_message_form(lang, displays, floorforms.EXPIRIES_MIN,
                                        floorforms.DEFAULT_EXPIRY_MIN))
    return parts


def _floor_maintenance(lang: str) -> list[Component]:
    """Upcoming maintenance, and the form to plan it for supervisors and admins."""
    parts: list[Component] = [
        html.H2(t("flr_maintenance_title", lang), className="section__title"),
        html.Div(id=ALR_FLOOR_MAINTENANCE),
        html.Div(id=ALR_FLOOR_MAINTENANCE_MESSAGE, role="status", className="alerts__message"),
    ]
    if _frame.parts_allowed(SILENCE):
        refresh_ms = int(_runtime.current().config.refresh_interval_s * 1000)
        parts.append(build_maintenance_form(lang, refresh_ms, _scope_choices(lang)))
    return parts


def _scope_choices(lang: str) -> ScopeChoices:
    """A scope picker's choices: rules, sources, the open alerts' entities and queues."""
    if not flask.has_request_context():  # see _floor_messages
        return NO_CHOICES
    runtime = _runtime.current()
    snapshot = runtime.read_model.snapshot()
    source = runtime.config.source_name
    return silence_options(
        _model().data(),
        queues=[(source, queue.id, queue.name) for queue in snapshot.queues],
        sources=[source, *(other.name for other in snapshot.others)],
        lang=lang,
    )


def _register_scope_choices(picker: ScopePicker) -> Callable[..., ScopeChoices]:
    """The callback that renews ``picker``'s choices on its tick, in the page's language
    (one per picker: the silence form's and the maintenance form's)."""
    @CALLBACKS.callback(
        Output(picker.rule, "options"),
        Output(picker.source, "options"),
        Output(picker.entities, "options"),
        Input(picker.tick, "n_intervals"),
        State(ids.PAGES_LANG, "data"),
    )
    def scope_choices(_n: int | None, stored_lang: str | None) -> ScopeChoices:
        return _scope_choices(language(stored_lang, _runtime.current().config.default_language))

    return scope_choices


# -- refresh ------------------------------------------------------------------------------


@CALLBACKS.callback(
    Output(ALR_FIRING, "children"),
    Output(ALR_PENDING, "children"),
    Output(ALR_SILENCES, "children"),
    Output(ALR_CHANNELS, "children"),
    Output(ALR_HISTORY, "children"),
    Output(ALR_HISTORY_TITLE, "children"),
    Output(ALR_FILTER_RULE, "options"),
    Output(ALR_FILTER_ENTITY, "options"),
    Input(ALR_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    Input(ALR_ACKED, "data"),
    Input(ALR_SILENCES_CHANGED, "data"),
    Input(ALR_TESTS, "data"),
    Input(ALR_FILTER_RULE, "value"),
    Input(ALR_FILTER_ENTITY, "value"),
)
def refresh(_n: int | None, stored_lang: str | None, _acked: Any, _silences: Any,
            tests: Any, rule_filter: Any, entity_filter: Any) -> tuple[Any, ...]:
    """Every table, from the cached data; the history filtered on demand."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    now_ms = runtime.now_ms()
    tz = runtime.config.timezone
    model = _model()
    data = model.data()
    admin = _frame.is_admin()
    may_silence = _frame.may(SILENCE)
    history = model.history(rule_filter if isinstance(rule_filter, int) else None,
                            entity_filter if isinstance(entity_filter, str) else None)
    if not screenview.sees_people():  # a wall screen: no names, comments or error texts
        data = screenview.alerts(data, lang)
        history = history if isinstance(history, str) else screenview.events(history, lang)
    outcomes = {channel: _test_row(model, channel, row_id)
                for channel, row_id in alertforms.requested_tests(tests).items()}
    rule_options, entity_options = history_filter_options(data, lang)
    return (
        _titled("alr_firing_title", lang,
                build_firing(data, now_ms, lang, can_ack=current_user() is not None, tz=tz)),
        _titled("alr_pending_title", lang, build_pending(data, now_ms, lang, tz)),
        _titled("alr_silences_title", lang,
                build_silences(data, now_ms, lang, admin=may_silence, tz=tz)),
        _titled("alr_channels_title", lang,
                build_channels(data, outcomes, now_ms, lang, admin=admin, tz=tz)),
        build_history(history, data.rule_names, now_ms, lang, tz),
        t("alr_history_title", lang),
        rule_options,
        entity_options,
    )


def _titled(key: str, lang: str, body: list[Component]) -> list[Component]:
    return [html.H2(t(key, lang), className="section__title"), *body]


def _model() -> AlertsModel:
    return _runtime.current().read_model.alerts_page


def _test_row(model: AlertsModel, channel: str, row_id: int) -> TestOutcome:
    row = model.outbox_row(row_id)
    if isinstance(row, OutboxRow) and (row.channel, row.kind) != (channel, "test"):
        return None  # not this channel's test message: show nothing of it
    return row


def _scope_states(picker: ScopePicker) -> list[State]:
    """A scope picker's values, in ``alertforms``' order: rule, source, kind, entities."""
    return [State(picker.rule, "value"), State(picker.source, "value"),
            State(picker.kind, "value"), State(picker.entities, "value")]


def _acting(stored_lang: str | None, role: str, refused_key: str) -> dict[str, Any] | str:
    """Who acts on one of the page's forms (``user``, ``lang``, ``now_ms``,
    ``client_addr``: the form functions' keywords), or, when their role does not allow
    ``role``, the ``refused_key`` text in the page's language."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    try:
        user = require_role(role)
    except PermissionDenied:
        return t(refused_key, lang)
    return {"user": user.username, "lang": lang, "now_ms": runtime.now_ms(),
            "client_addr": request_client_address()}


silence_choices = _register_scope_choices(SILENCE_SCOPE)
maintenance_choices = _register_scope_choices(MAINTENANCE_SCOPE)


# -- actions ------------------------------------------------------------------------------


@CALLBACKS.callback(
    Output(ALR_ACK_TARGET, "data"),
    Output(ALR_ACK_COMMENT, "value"),
    Output(ALR_ACK_MESSAGE, "children"),
    Output(ALR_ACKED, "data"),
    Input({"type": ALR_ACK_PICK, "rule": ALL, "series": ALL, "alert": ALL},
          "n_clicks"),
    Input(ALR_ACK_SUBMIT, "n_clicks"),
    Input(ALR_ACK_CANCEL, "n_clicks"),
    State(ALR_ACK_TARGET, "data"),
    State(ALR_ACK_COMMENT, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def ack_action(_picks: Any, _submit: int | None, _cancel: int | None, target: Any,
               comment: Any, stored_lang: str | None) -> tuple[Any, ...]:
    """Pick an alert (its row's button), acknowledge it with a comment, or cancel. Any
    logged-in user may acknowledge. Outputs: the picked alert, the comment, the message,
    the tables' refresh trigger."""
    trigger = ctx.triggered_id
    if not _clicked():
        return no_update, no_update, no_update, no_update
    if isinstance(trigger, dict):
        return alertforms.pick(trigger), "", "", no_update
    if trigger == ALR_ACK_CANCEL:
        return None, "", "", no_update
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    now_ms = runtime.now_ms()
    try:
        user = require_role(Role.VIEWER)
    except PermissionDenied as err:
        return no_update, no_update, t("alr_not_logged_in", lang, error=str(err)), no_update
    outcome = alertforms.acknowledge(_model(), target, comment, user=user.username,
                                     lang=lang, now_ms=now_ms,
                                     client_addr=request_client_address())
    return (None if outcome.done else no_update, "" if outcome.done else no_update,
            outcome.message, _changed(now_ms) if outcome.changed else no_update)


@CALLBACKS.callback(
    Output(ALR_ACK_PANEL, "className"),
    Output(ALR_ACK_TITLE, "children"),
    Input(ALR_ACK_TARGET, "data"),
    Input(ids.PAGES_LANG, "data"),
)
def ack_panel(target: Any, stored_lang: str | None) -> tuple[str, str]:
    """Show the panel, naming the picked alert; hide it when none is picked."""
    choice = alertforms.picked(target)
    if choice is None:
        return ACK_PANEL_HIDDEN, ""
    lang = language(stored_lang, _runtime.current().config.default_language)
    name = alertforms.label(_model().data(), choice[0], choice[1], lang)
    return ACK_PANEL_SHOWN, t("alr_ack_for", lang, alert=name)


@CALLBACKS.callback(
    Output(ALR_SILENCES_MESSAGE, "children"),
    Output(ALR_SILENCES_CHANGED, "data"),
    Output(ALR_SILENCE_REASON, "value"),
    Input(ALR_SILENCE_CREATE, "n_clicks"),
    Input({"type": ALR_SILENCE_END, "silence": ALL}, "n_clicks"),
    *_scope_states(SILENCE_SCOPE),
    State(ALR_SILENCE_DURATION, "value"),
    State(ALR_SILENCE_REASON, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def silence_action(_create: int | None, _ends: Any, rule: Any, source: Any, kind: Any,
                   entities: Any, duration: Any, reason: Any,
                   stored_lang: str | None) -> tuple[Any, ...]:
    """Create a silence (the form) or end one early (its row's button). Supervisors and
    admins. Outputs: the message, the tables' refresh trigger, the reason field."""
    if not _clicked():
        return no_update, no_update, no_update
    who = _acting(stored_lang, SILENCE, "flr_supervisor_only")
    if isinstance(who, str):
        return who, no_update, no_update
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        outcome = alertforms.end_silence(_model(), trigger.get("silence"), **who)
    else:
        values = (rule, source, kind, entities, duration, reason)
        outcome = alertforms.create_silence(_model(), values,
                                            tz=_runtime.current().config.timezone, **who)
    return (outcome.message, _changed(who["now_ms"]) if outcome.changed else no_update,
            "" if outcome.done else no_update)


@CALLBACKS.callback(
    Output(ALR_TESTS, "data"),
    Output(ALR_CHANNELS_MESSAGE, "children"),
    Input({"type": ALR_CHANNEL_TEST, "channel": ALL}, "n_clicks"),
    State(ALR_TESTS, "data"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def test_action(_clicks: Any, tests: Any, stored_lang: str | None) -> tuple[Any, ...]:
    """Queue a test message for the channel whose button was pressed. Admins only.
    Outputs: the page's record of requested tests, the message."""
    trigger = ctx.triggered_id
    if not _clicked() or not isinstance(trigger, dict):
        return no_update, no_update
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    try:
        user = require_role(Role.ADMIN)
    except PermissionDenied:
        return no_update, t("alr_admin_only", lang)
    row_id, message = alertforms.request_test(
        _model(), trigger.get("channel"), user=user.username, lang=lang,
        link=f"{runtime.config.public_url}/alerts",
        now_ms=runtime.now_ms())
    if row_id is None:
        return no_update, message
    return {**alertforms.requested_tests(tests), trigger["channel"]: row_id}, message


def _changed(now_ms: int) -> int:
    """After an acknowledgement or a silence: this page and this process's wall screens
    read afresh (other processes see it within one refresh period). Returns the value
    that triggers the page's refresh."""
    runtime = _runtime.current()
    runtime.read_model.alerts_page.invalidate()
    runtime.read_model.invalidate()
    return now_ms


# -- helpers and registration -------------------------------------------------------------


def _clicked() -> bool:
    """Whether a button was really pressed: Dash also calls a callback when a refresh
    re-creates the buttons of its wildcard inputs (their n_clicks then None)."""
    return any(item.get("value") for item in ctx.triggered)



# -- the floor: messages and planned maintenance ---------------------------------------------


@CALLBACKS.callback(
    Output(ALR_FLOOR_MESSAGES, "children"),
    Output(ALR_FLOOR_MAINTENANCE, "children"),
    Input(ALR_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    Input(ALR_FLOOR_CHANGED, "data"),
)
def floor_refresh(_n: int | None, stored_lang: str | None, _changed_at: Any) -> tuple[Any, ...]:
    """The messages and the upcoming maintenance, from the floor model's cache."""
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    now_ms = runtime.now_ms()
    tz = runtime.config.timezone
    floor = runtime.read_model.floor.data()
    if floor.db_error is not None:
        return [], []
    people = screenview.sees_people()
    return (
        build_messages(floor.recent, floor.displays, now_ms, lang, tz,
                       can_withdraw=_frame.may(POST_MESSAGE), people=people),
        build_maintenance(floor.windows, _model().data().rule_names, now_ms, lang, tz,
                          can_end=_frame.may(SILENCE), people=people),
    )


@CALLBACKS.callback(
    Output(ALR_FLOOR_MESSAGES_MESSAGE, "children"),
    Output(ALR_FLOOR_CHANGED, "data", allow_duplicate=True),
    Output(ALR_FLOOR_TEXT, "value"),
    Input(ALR_FLOOR_POST, "n_clicks"),
    Input({"type": ALR_FLOOR_WITHDRAW, "message": ALL}, "n_clicks"),
    State(ALR_FLOOR_TEXT, "value"),
    State(ALR_FLOOR_EXPIRY, "value"),
    State(ALR_FLOOR_SCREENS, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def message_action(_post: int | None, _withdraws: Any, text: Any, expiry: Any, screens: Any,
                   stored_lang: str | None) -> tuple[Any, ...]:
    """Post a message (the form) or withdraw one (its row's button). Supervisors and
    admins. Outputs: the message, the lists' refresh trigger, the text field."""
    if not _clicked():
        return no_update, no_update, no_update
    who = _acting(stored_lang, POST_MESSAGE, "flr_messages_supervisor_only")
    if isinstance(who, str):
        return who, no_update, no_update
    runtime = _runtime.current()
    model = runtime.read_model.floor
    if isinstance(ctx.triggered_id, dict):
        outcome = floorforms.withdraw_message(model, ctx.triggered_id.get("message"), **who)
    else:
        outcome = floorforms.post_message(model, text, expiry, screens,
                                          tz=runtime.config.timezone, **who)
    return (outcome.message, _floor_changed(who["now_ms"]) if outcome.changed else no_update,
            "" if outcome.done else no_update)


@CALLBACKS.callback(
    Output(ALR_FLOOR_MAINTENANCE_MESSAGE, "children"),
    Output(ALR_FLOOR_CHANGED, "data", allow_duplicate=True),
    Output(ALR_FLOOR_MNT_REASON, "value"),
    Input(ALR_FLOOR_MNT_PLAN, "n_clicks"),
    Input({"type": ALR_FLOOR_MNT_END_BUTTON, "window": ALL}, "n_clicks"),
    *_scope_states(MAINTENANCE_SCOPE),
    State(ALR_FLOOR_MNT_REASON, "value"),
    State(ALR_FLOOR_MNT_REPEAT, "value"),
    State(ALR_FLOOR_MNT_DATE, "value"),
    State(ALR_FLOOR_MNT_WEEKDAY, "value"),
    State(ALR_FLOOR_MNT_START, "value"),
    State(ALR_FLOOR_MNT_END, "value"),
    State(ids.PAGES_LANG, "data"),
    prevent_initial_call=True,
)
def maintenance_action(_plan: int | None, _ends: Any, *values: Any) -> tuple[Any, ...]:
    """Plan maintenance (the form) or withdraw it (its row's button). Supervisors and
    admins. Outputs: the message, the lists' refresh trigger, the reason field."""
    if not _clicked():
        return no_update, no_update, no_update
    *form, stored_lang = values
    who = _acting(stored_lang, SILENCE, "flr_supervisor_only")
    if isinstance(who, str):
        return who, no_update, no_update
    runtime = _runtime.current()
    lang, now_ms, tz = who["lang"], who["now_ms"], runtime.config.timezone
    model = runtime.read_model.floor
    if isinstance(ctx.triggered_id, dict):
        outcome = floorforms.end_maintenance(model, ctx.triggered_id.get("window"), **who)
    else:
        plan = floorforms.parse_maintenance(tuple(form[:5]), *form[5:],
                                            rule_names=_model().data().rule_names, tz=tz)
        outcome = floorforms.plan_maintenance(
            model, plan, describe=lambda row: when_words(row, now_ms, lang, tz), **who)
    return (outcome.message, _floor_changed(now_ms) if outcome.changed else no_update,
            "" if outcome.done else no_update)


def _floor_changed(now_ms: int) -> int:
    """After a message or maintenance change: this process's ticker, wall screens and
    lists read afresh (other processes within one refresh period)."""
    runtime = _runtime.current()
    runtime.read_model.floor.invalidate()
    runtime.read_model.invalidate()
    return now_ms
