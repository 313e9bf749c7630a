"""``/queues/<queue_id>``: one queue's history.

Charts of calls waiting, longest wait, service level and agents over a range held in the
URL (``?range=24h``, or ``?from=2024-05-01T08:00&to=2024-05-01T17:00`` in the site's
local time), so a link shows the same view; the preset links and the custom form navigate
client-side. The thresholds of the enabled rules watching the queue are drawn and its
alert periods shaded; the agents of the queue and the source's state refresh every
refresh period; the daily figures of 90 days come with a CSV download at
``/queues/<queue_id>/daily.csv?lang=sv`` (behind the login like every page).
"""

from __future__ import annotations

from typing import Any

import dash
import flask
from dash import Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from auth import Actor, PermissionDenied, Role, current_user, request_client_address, require_role
from dashboard import DashboardConfig, _frame, _runtime, daymodel, historymodel, ids, slform
from dashboard._language import current_language, page_title
from dashboard.components import build_status_strip
from dashboard.components import format as fmt
from dashboard.components.history import (
    HST_AGENTS,
    HST_AGENTS_REFRESH,
    HST_APPLY,
    HST_CHARTS,
    HST_CHARTS_REFRESH,
    HST_DAILY,
    HST_FROM,
    HST_FROM_LABEL,
    HST_LEGEND,
    HST_LOCATION,
    HST_MISSING,
    HST_NOTICE,
    HST_RANGE_MESSAGE,
    HST_RANGES,
    HST_STATUS,
    HST_TIME_HINT,
    HST_TO,
    HST_TO_LABEL,
    HST_VIEW,
    build_agents,
    build_charts,
    build_controls,
    build_daily,
    build_no_such_queue,
    build_notice,
    build_range_links,
    csv_filename,
    daily_csv,
    queue_href,
    range_problem_text,
)
from dashboard.components.pageframe import build_page_frame
from dashboard.components.queueday import (
    ERL_SECTION,
    ERL_TARGET_CHANGED,
    ERL_TARGET_CURRENT,
    ERL_TARGET_MESSAGE,
    ERL_TARGET_PCT,
    ERL_TARGET_RESET,
    ERL_TARGET_S,
    ERL_TARGET_SAVE,
    build_floor,
    build_target_form,
    target_words,
)
from dashboard.historymodel import (
    PRESETS,
    HistoryModel,
    QueueInfo,
    RangeError,
    RangeProblem,
    ViewRange,
    custom_range,
    local_input,
    parse_range,
)
from dashboard.i18n import language, t
from dashboard.registry import PageCallbacks
from dashboard.status import is_stale
from storage import StorageUnavailable


def _title(queue_id: str | None = None, **_variables: Any) -> str:
    if not queue_id:
        return page_title("hst_title")()
    return t("hst_page_title", current_language(_runtime.current().config.default_language),
             queue=queue_id)


CALLBACKS = PageCallbacks()
VIEW = State(HST_VIEW, "data")  # the range shown, from the page's address
dash.register_page(__name__, path_template="/queues/<queue_id>", title=_title,
                   callbacks=CALLBACKS)

CSV_ENDPOINT = "trio_history_daily_csv"
# A relative range is redrawn when about 1/240 of it has passed (15 s for 1 h), and
# never more often than the refresh interval.
REDRAW_FRACTION = 240


def layout(queue_id: str | None = None, **query: Any) -> Any:
    runtime = _runtime.current()
    config = runtime.config
    lang = current_language(config.default_language)
    if not flask.has_request_context():
        # Dash's validation layout (at start): every id the callbacks use.
        empty = QueueInfo(config.source_name, "", "", {})
        return html.Div([_page(runtime, empty, ViewRange(), None, lang),
                         html.Div(id=HST_MISSING)])
    queue_id = queue_id or ""
    try:
        queue = historymodel.current().queue(queue_id)
    except StorageUnavailable as err:
        return _frame_of(runtime, [html.Div(f"{t('db_unavailable', lang)}: {err}",
                                            className="page__banner")])
    if queue is None:
        return _frame_of(runtime, [dcc.Store(id=HST_VIEW, data={"queue": queue_id}),
                                   html.Div(build_no_such_queue(queue_id, lang),
                                            id=HST_MISSING)])
    view, error = parse_range(query.get("range"), query.get("from"), query.get("to"),
                              config.timezone)
    return _page(runtime, queue, view, error, lang)


def _frame_of(runtime: _runtime.Runtime, content: list[Component]) -> Any:
    return build_page_frame(runtime.config, _frame.csrf_token(), "/queues", "hst_title",
                            content)


def _page(runtime: _runtime.Runtime, queue: QueueInfo, view: ViewRange,
          error: RangeError | None, lang: str) -> Any:
    config = runtime.config
    now_ms = runtime.now_ms()
    from_ms, to_ms = view.bounds(now_ms, config.timezone)
    data = {"queue": queue.queue_id, **view.as_data(),
            "problem": error.problem.value if error else None,
            "value": error.value if error else None}
    content: list[Component] = [
        dcc.Store(id=HST_VIEW, data=data),
        dcc.Location(id=HST_LOCATION, refresh="callback-nav"),
        dcc.Interval(id=HST_CHARTS_REFRESH, interval=_redraw_ms(view, config),
                     disabled=view.preset is None),
        dcc.Interval(id=HST_AGENTS_REFRESH,
                     interval=int(config.refresh_interval_s * 1000)),
        html.Div([html.H2(queue.name, className="hst-queue__name"),
                  html.Span(queue.queue_id, className="muted")], className="hst-queue"),
        html.Div(build_notice(error, lang), id=HST_NOTICE),
        build_controls(queue.queue_id, view, local_input(from_ms, config.timezone),
                       local_input(to_ms, config.timezone), lang),
        html.Div(id=HST_STATUS, className="strip hst-status", role="status"),
        html.Div(t("hst_alert_legend", lang), id=HST_LEGEND, className="muted hst-legend"),
        html.Section(id=HST_CHARTS, className="page__section hst-charts"),
        html.Section(id=HST_AGENTS, className="page__section"),
        *_floor_parts(queue, lang),
        html.Section(id=HST_DAILY, className="page__section"),
    ]
    return _frame_of(runtime, content)


def _floor_parts(queue: QueueInfo, lang: str) -> list[Component]:
    """The day so far and the queue's service-level target (its form for admins; every
    id in Dash's validation layout, read outside a request)."""
    model = daymodel.current()
    default = daymodel.default_target(_runtime.current().config)
    target = default
    if model is not None and queue.queue_id:
        try:
            target = model.target(queue.queue_id)
        except StorageUnavailable as err:
            return [html.Div(f"{t('db_unavailable', lang)}: {err}", className="page__banner")]
    user = current_user()
    admin = not flask.has_request_context() or (user is not None and user.role is Role.ADMIN)
    return [dcc.Store(id=ERL_TARGET_CHANGED),
            html.Section(id=ERL_SECTION, className="page__section erl-floor"),
            build_target_form(target, default, lang, admin=admin)]


def _redraw_ms(view: ViewRange, config: DashboardConfig) -> int:
    span = PRESETS.get(view.preset or "", 0)
    return max(int(config.refresh_interval_s * 1000), span // REDRAW_FRACTION)


# -- callbacks --------------------------------------------------------------------------------


def _context(stored_lang: Any, view_data: Any) -> tuple[_runtime.Runtime, str, str, ViewRange]:
    runtime = _runtime.current()
    lang = language(stored_lang, runtime.config.default_language)
    queue_id = view_data.get("queue") if isinstance(view_data, dict) else None
    return runtime, lang, str(queue_id or ""), ViewRange.from_data(view_data)


def _error(view_data: Any) -> RangeError | None:
    problem = view_data.get("problem") if isinstance(view_data, dict) else None
    if not isinstance(problem, str) or problem not in RangeProblem._value2member_map_:
        return None
    return RangeError(RangeProblem(problem), str(view_data.get("value") or ""))


def _banner(err: StorageUnavailable, lang: str) -> list[Component]:
    return [html.Div(f"{t('db_unavailable', lang)}: {err}", className="page__banner")]


@CALLBACKS.callback(
    Output(HST_RANGES, "children"),
    Output(HST_FROM_LABEL, "children"),
    Output(HST_TO_LABEL, "children"),
    Output(HST_APPLY, "children"),
    Output(HST_TIME_HINT, "children"),
    Output(HST_NOTICE, "children"),
    Output(HST_LEGEND, "children"),
    Input(ids.PAGES_LANG, "data"),
    VIEW,
)
def texts(stored_lang: Any, view_data: Any) -> tuple[Any, ...]:
    """The page's fixed texts in the chosen language."""
    _, lang, queue_id, view = _context(stored_lang, view_data)
    return (build_range_links(queue_id, view, lang), t("hst_from", lang), t("hst_to", lang),
            t("hst_apply", lang), t("hst_time_hint", lang),
            build_notice(_error(view_data), lang), t("hst_alert_legend", lang))


@CALLBACKS.callback(Output(HST_MISSING, "children"), Input(ids.PAGES_LANG, "data"),
                    VIEW)
def missing(stored_lang: Any, view_data: Any) -> Any:
    _, lang, queue_id, _view = _context(stored_lang, view_data)
    return build_no_such_queue(queue_id, lang)


@CALLBACKS.callback(
    Output(HST_CHARTS, "children"),
    Input(HST_CHARTS_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    VIEW,
)
def charts(_n: Any, stored_lang: Any, view_data: Any) -> Any:
    """The charts of the range, read afresh (a relative range ends now)."""
    runtime, lang, queue_id, view = _context(stored_lang, view_data)
    config = runtime.config
    model = historymodel.current()
    try:
        queue = model.queue(queue_id)
        if queue is None:
            return []
        from_ms, to_ms = view.bounds(runtime.now_ms(), config.timezone)
        data = model.charts(queue, from_ms, to_ms)
    except StorageUnavailable as err:
        return _banner(err, lang)
    return build_charts(data, config.timezone, config.stale_after_ms, lang)


@CALLBACKS.callback(
    Output(HST_STATUS, "children"),
    Output(HST_AGENTS, "children"),
    Input(HST_AGENTS_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    VIEW,
)
def live(_n: Any, stored_lang: Any, view_data: Any) -> tuple[Any, Any]:
    """What is wrong with the data's source now, and the queue's agents."""
    runtime, lang, queue_id, _view = _context(stored_lang, view_data)
    config = runtime.config
    now_ms = runtime.now_ms()
    snapshot = runtime.read_model.snapshot()
    status: list[Component] = [*build_status_strip(snapshot, now_ms, lang, config.timezone)]
    shown = next((q for q in snapshot.queues if q.id == queue_id), None)
    if shown is not None and is_stale(shown, now_ms, config):
        status.append(html.Div(
            t("hst_stale_queue", lang, time=local_input(shown.ts_ms, config.timezone)),
            className="strip__item strip__item--stale-queue",
            **fmt.data_attributes(alert="stale-queue")))
    model = historymodel.current()
    try:
        queue = model.queue(queue_id)
        agents = model.agents(queue) if queue is not None else []
    except StorageUnavailable as err:
        return status, _banner(err, lang)
    return status, build_agents(agents, now_ms, config.timezone, lang)


@CALLBACKS.callback(Output(HST_DAILY, "children"), Input(ids.PAGES_LANG, "data"),
                    VIEW)
def daily(stored_lang: Any, view_data: Any) -> Any:
    runtime, lang, queue_id, _view = _context(stored_lang, view_data)
    model = historymodel.current()
    try:
        queue = model.queue(queue_id)
        rows = model.daily(queue) if queue is not None else []
        failover = model.failover_since(queue) if queue is not None else None
        target = model.target(queue) if queue is not None else None
    except StorageUnavailable as err:
        return _banner(err, lang)
    return build_daily(rows, queue_id, runtime.config.timezone, lang, failover, target)


@CALLBACKS.callback(
    Output(HST_LOCATION, "href"),
    Output(HST_RANGE_MESSAGE, "children"),
    Input(HST_APPLY, "n_clicks"),
    Input(HST_FROM, "n_submit"),
    Input(HST_TO, "n_submit"),
    State(HST_FROM, "value"),
    State(HST_TO, "value"),
    State(ids.PAGES_LANG, "data"),
    VIEW,
    prevent_initial_call=True,
)
def apply_custom(_clicks: Any, _submit_from: Any, _submit_to: Any, start: Any, end: Any,
                 stored_lang: Any, view_data: Any) -> tuple[Any, Any]:
    """Go to the custom range typed, or say what is wrong with it."""
    runtime, lang, queue_id, _view = _context(stored_lang, view_data)
    view, error = custom_range(start, end, runtime.config.timezone)
    if error is not None:
        return no_update, range_problem_text(error, lang)
    return queue_href(queue_id, view), ""


@CALLBACKS.callback(
    Output(ERL_SECTION, "children"),
    Input(HST_AGENTS_REFRESH, "n_intervals"),
    Input(ids.PAGES_LANG, "data"),
    Input(ERL_TARGET_CHANGED, "data"),
    VIEW,
)
def floor(_n: Any, stored_lang: Any, _changed: Any, view_data: Any) -> Any:
    """Today's figures, the 15-minute service level against the target and staffing."""
    runtime, lang, queue_id, _view = _context(stored_lang, view_data)
    model = daymodel.current()
    if model is None or not queue_id:
        return []
    try:
        day = model.day(queue_id)
    except StorageUnavailable as err:
        return _banner(err, lang)
    if day is None:
        return []
    shown = next((q for q in runtime.read_model.snapshot().queues if q.id == queue_id), None)
    return build_floor(shown, day, lang)


@CALLBACKS.callback(
    Output(ERL_TARGET_MESSAGE, "children"),
    Output(ERL_TARGET_CHANGED, "data"),
    Output(ERL_TARGET_CURRENT, "children"),
    Input(ERL_TARGET_SAVE, "n_clicks"),
    Input(ERL_TARGET_RESET, "n_clicks"),
    State(ERL_TARGET_PCT, "value"),
    State(ERL_TARGET_S, "value"),
    State(ids.PAGES_LANG, "data"),
    VIEW,
    prevent_initial_call=True,
)
def set_target(_save: Any, _reset: Any, pct: Any, seconds: Any, stored_lang: Any,
               view_data: Any) -> tuple[Any, Any, Any]:
    """Save the queue's own target, or go back to the default. Admins only, checked here."""
    runtime, lang, queue_id, _view = _context(stored_lang, view_data)
    model = daymodel.current()
    try:
        user = require_role(Role.ADMIN)
    except PermissionDenied:
        return t("erl_admin_only", lang), no_update, no_update
    if model is None or not queue_id:
        return no_update, no_update, no_update
    actor = Actor(user.username, request_client_address())
    if dash.ctx.triggered_id == ERL_TARGET_RESET:
        message, changed = slform.reset(model, queue_id, actor, runtime.now_ms(), lang)
    else:
        message, changed = slform.save(model, queue_id, pct, seconds, actor,
                                       runtime.now_ms(), lang)
    if not changed:
        return message, no_update, no_update
    try:
        words = target_words(model.target(queue_id), model.default, lang)
    except StorageUnavailable as err:
        return f"{t('db_unavailable', lang)}: {err}", no_update, no_update
    return message, runtime.now_ms(), words


# -- the CSV download ---------------------------------------------------------------------


def daily_csv_view(queue_id: str) -> flask.Response:
    """The daily figures as CSV (``?lang=sv``: Swedish headers and number format)."""
    runtime = _runtime.current()
    lang = language(flask.request.args.get("lang"), runtime.config.default_language)
    model = historymodel.current()
    try:
        queue = model.queue(queue_id)
        if queue is None:
            return flask.Response(t("hst_no_such_queue", lang, queue=queue_id), 404,
                                  mimetype="text/plain")
        rows = model.daily(queue)
        target = model.target(queue)
    except StorageUnavailable as err:
        return flask.Response(f"{t('db_unavailable', lang)}: {err}", 503,
                              mimetype="text/plain")
    name = csv_filename(queue_id, fmt.local_day(runtime.now_ms(),
                                                runtime.config.timezone))
    return flask.Response(daily_csv(rows, lang, target), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })


@CALLBACKS.setup
def _serve_history(app: dash.Dash, _config: DashboardConfig) -> None:
    """The history read model of this server, and the daily CSV download."""
    runtime: _runtime.Runtime = app.server.extensions[_runtime.EXTENSION_KEY]
    historymodel.install(app.server, HistoryModel(runtime.alerts.engine, runtime.config,
                                                  runtime.clock))
    daymodel.install(app.server, daymodel.FloorModel(runtime.alerts.engine,
                                                         runtime.config, runtime.clock))
    app.server.add_url_rule("/queues/<queue_id>/daily.csv", endpoint=CSV_ENDPOINT,
                            view_func=daily_csv_view)
