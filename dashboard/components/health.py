"""/health: a card per source, a source's detail, the targets list and the edit form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlencode

from dash import dcc, html
from dash.development.base_component import Component

from specs.health import HealthState
from specs.text import stored
from storage import HealthTargetRow

from .._paths import app_path
from ..i18n import t
from ..metrics import BREAKER_HALF_OPEN, BREAKER_OPEN
from ..opsmodel import OpsSnapshot, SourceDetail, SourceHistory, StateChange
from ..sites import DAY_MS, DRIFT_KIND, HEALTH_KIND, SourceStatus, health_source
from . import charts
from . import format as fmt

# Component ids of /health, "health-" first (browser tests use the strings).
HEALTH_REFRESH = "health-refresh"
HEALTH_SOURCE = "health-source"  # the source shown in detail (from ?source=), or None
HEALTH_BODY = "health-body"
HEALTH_TARGETS = "health-targets"
HEALTH_TARGETS_CHANGED = "health-targets-changed"
HEALTH_FORM = "health-form"
HEALTH_FORM_EDITING = "health-form-editing"  # name of the target being edited, or None
HEALTH_FORM_TITLE = "health-form-title"
HEALTH_FORM_MESSAGE = "health-form-message"
HEALTH_FORM_SAVE = "health-form-save"
HEALTH_FORM_DELETE = "health-form-delete"
HEALTH_FORM_NEW = "health-form-new"
# One input and one error line per field of a target: f"{prefix}{field}".
HEALTH_FORM_INPUT_PREFIX = "health-form-input-"
HEALTH_FORM_ERROR_PREFIX = "health-form-error-"
# A card of the grid, for browser tests: {"type": HEALTH_CARD, "source": name}.
HEALTH_CARD = "health-card"

HEALTH_PATH = "/health"
# The target form's fields, in the order of the form (and of the callbacks' values).
FORM_FIELDS = ("name", "url", "interval_s", "timeout_s", "expected_status", "conditions",
               "degraded_latency_ms", "down_after", "enabled")


def detail_href(name: str) -> str:
    return app_path(f"{HEALTH_PATH}?{urlencode({'source': name})}")


def edit_href(target_name: str) -> str:
    """The form with this target loaded: the URL holds what is being edited."""
    return app_path(f"{HEALTH_PATH}?{urlencode({'edit': target_name})}")


def state_badge(state: HealthState, lang: str) -> html.Span:
    return html.Span(t(f"state_{state.value}", lang),
                     className=f"state state--{state.value}",
                     **fmt.data_attributes(state=state.value))


def _kind(kind: str, lang: str) -> str:
    return t({HEALTH_KIND: "kind_health", DRIFT_KIND: "kind_drift"}.get(kind, "kind_other"),
             lang)


def breaker_text(state: str, lang: str) -> str:
    key = {BREAKER_OPEN: "breaker_open_state",
           BREAKER_HALF_OPEN: "breaker_half_open_state"}.get(state, "breaker_closed")
    return t(key, lang)


def last_success_text(last_success_ms: int | None, now_ms: int, lang: str) -> str:
    if last_success_ms is None:
        return t("never", lang)
    return t("ago", lang, age=fmt.age(now_ms - last_success_ms))


def _fact(label: str, value: str | list[Component | str], name: str) -> html.Div:
    return html.Div([html.Span(label, className="fact__label"),
                     html.Span(value, className="fact__value")],
                    className=f"fact fact--{name}")


# An address in an error ("... from GET http://host:8080/api/cc/1/services/state; gave
# up ..."): up to white space or a quote, without the sentence's punctuation after it.
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>]*[^\s\"'<>.,;:)]", re.IGNORECASE)


def error_parts(text: str) -> list[Component | str]:
    """An error's words, which wrap between words as any text, with each address in it
    as one monospace line of its own, cut with an ellipsis and whole in its title (an
    address broken at any letter over three lines was unreadable)."""
    parts: list[Component | str] = []
    end = 0
    for match in _URL.finditer(text):
        parts.append(text[end:match.start()])
        parts.append(html.Span(match.group(), title=match.group(), className="fact__url"))
        end = match.end()
    parts.append(text[end:])
    return [part for part in parts if part != ""]


def _facts(status: SourceStatus, history: SourceHistory, now_ms: int,
           lang: str, tz: str) -> list[html.Div]:
    facts = [
        _fact(t("breaker", lang), breaker_text(status.breaker_state, lang), "breaker"),
        _fact(t("last_success", lang), last_success_text(status.last_success_ms, now_ms, lang),
              "last-success"),
        _fact(t("uptime_24h", lang), fmt.ratio(history.uptime_24h, lang), "uptime-24h"),
        _fact(t("uptime_7d", lang), fmt.ratio(history.uptime_7d, lang), "uptime-7d"),
    ]
    if status.last_error:
        facts.append(_fact(t("last_error_label", lang),
                           error_parts(stored(status.last_error, lang, tz=tz)), "last-error"))
    return facts


def build_health_card(status: SourceStatus, history: SourceHistory, now_ms: int,
                      lang: str, tz: str) -> dcc.Link:
    head: list[Component] = [html.Span(status.label, className="card__name"),
                             state_badge(status.state, lang)]
    if not status.enabled:
        head.append(html.Span(t("disabled", lang), className="badge"))
    body: list[Component] = [
        html.Div(head, className="card__head"),
        html.Div(_kind(status.kind, lang), className="card__kind"),
    ]
    if status.reason:
        body.append(html.Div(error_parts(stored(status.reason, lang, tz=tz)),
                             className="card__reason"))
    body.extend(_facts(status, history, now_ms, lang, tz))
    body.append(_trend(status.kind, history, lang))
    return dcc.Link(
        html.Div(body, id={"type": HEALTH_CARD, "source": status.name},
                 className=f"card card--{status.state.value}",
                 **fmt.data_attributes(source=status.name, state=status.state.value)),
        href=detail_href(status.name),
        className="card__link",
    )


# A card's last line, for the kinds whose history is elsewhere: what to read instead.
_TREND_ELSEWHERE = {DRIFT_KIND: "hlt_trend_drift"}


def _trend(kind: str, history: SourceHistory, lang: str) -> Component:
    """A health target's latency of the last hour as a sparkline (two points at least:
    one draws nothing), or a line saying there is none; for the other kinds, where their
    history is (the Trio site's per queue, a reconciler's cycle times on /drift). Every
    card says something there: an empty space read as a chart that failed to load."""
    if kind == HEALTH_KIND:
        if len(history.latency) >= 2:
            return charts.graph(charts.sparkline(history.latency), "card__spark")
        return html.Div(t("hlt_no_latency", lang), className="card__trend muted",
                        **fmt.data_attributes(trend="none"))
    return html.Div(t(_TREND_ELSEWHERE.get(kind, "hlt_trend_trio"), lang),
                    className="card__trend muted", **fmt.data_attributes(trend="elsewhere"))


def build_health_grid(snapshot: OpsSnapshot, now_ms: int, lang: str, tz: str) -> list[Component]:
    if snapshot.db_error is not None:
        return [_banner(f"{t('db_unavailable', lang)}: {snapshot.db_error}")]
    if not snapshot.sources:
        return [_banner(t("no_sources", lang))]
    return [html.Div(
        [build_health_card(s, snapshot.history.get(s.name, SourceHistory()), now_ms, lang, tz)
         for s in snapshot.sources],
        className="cards",
    )]


def build_source_detail(detail: SourceDetail | None, name: str, now_ms: int,
                        lang: str, tz: str) -> list[Component]:
    back = dcc.Link(t("all_sources", lang), href=app_path(HEALTH_PATH), className="page__back")
    if detail is None:
        return [back, _banner(t("unknown_source", lang, name=name))]
    status = detail.status
    return [
        back,
        html.Div(
            [html.H2(status.label, className="detail__name"), state_badge(status.state, lang),
             html.Span(status.url, className="detail__url")],
            className="detail__head",
        ),
        html.Div(error_parts(stored(status.reason or "", lang, tz=tz)), className="card__reason"),
        html.Div(_facts(status, detail.history, now_ms, lang, tz), className="detail__facts"),
        html.H3(t("latency_24h", lang), className="section__title"),
        charts.graph(charts.time_lines({status.label: detail.latency_24h}, tz,
                                       span=(now_ms - DAY_MS, now_ms)), "chart")
        if detail.latency_24h else html.Div(t("no_data_yet", lang), className="muted"),
        html.H3(t("state_history", lang), className="section__title"),
        build_state_history(detail.events, now_ms, lang, tz),
    ]


def _state_name(state: str | None, lang: str) -> str:
    if state in HealthState._value2member_map_:
        return t(f"state_{state}", lang)
    return state or "–"


def build_state_history(events: Sequence[StateChange], now_ms: int,
                        lang: str, tz: str) -> html.Div | html.Table:
    if not events:
        return html.Div(t("no_events", lang), className="muted")
    return _table(
        [t("col_time", lang), t("col_change", lang), t("col_reason", lang)],
        [[fmt.clock_time(e.ts_ms, now_ms, tz),
          f"{_state_name(e.from_state, lang)} → {_state_name(e.to_state, lang)}",
          stored(e.reason, lang, tz=tz)] for e in events],
        "history",
    )


def build_targets(targets: Sequence[HealthTargetRow], is_admin: bool,
                  lang: str) -> list[Component]:
    """The stored targets; admins get an edit button on each editable one."""
    rows = []
    for target in targets:
        actions: list[Component] = []
        if target.from_config:
            actions.append(html.Span(t("from_config", lang), className="badge badge--config"))
        elif is_admin:
            actions.append(dcc.Link(t("edit", lang), href=edit_href(target.name),
                                    className="button button--small"))
        if not target.enabled:
            actions.append(html.Span(t("disabled", lang), className="badge"))
        rows.append(html.Tr([
            html.Td(dcc.Link(target.name, href=detail_href(health_source(target.name)))),
            html.Td(target.url), html.Td(f"{target.interval_s:g} s"),
            html.Td(", ".join(target.conditions)), html.Td(actions),
        ]))
    header = html.Tr([html.Th(t("field_name", lang)), html.Th(t("field_url", lang)),
                      html.Th(t("field_interval_s", lang)),
                      html.Th(t("field_conditions", lang)), html.Th("")])
    return [html.H3(t("targets", lang), className="section__title"),
            html.Table([html.Thead(header), html.Tbody(rows)], className="table targets")]


def build_target_form(lang: str, target: HealthTargetRow | None = None) -> html.Div:
    """The admin's form, for a new target or filled with ``target``."""
    fields: list[Component] = []
    values = dict(zip(FORM_FIELDS, form_values(target), strict=True))
    for name in FORM_FIELDS:
        control: Component
        if name == "conditions":
            control = dcc.Textarea(id=HEALTH_FORM_INPUT_PREFIX + name, className="input",
                                   placeholder='status == "ok"', value=str(values[name]))
        elif name == "enabled":
            control = dcc.Checklist(id=HEALTH_FORM_INPUT_PREFIX + name,
                                    options=[{"label": t("field_enabled", lang),
                                              "value": "enabled"}],
                                    value=["enabled"] if values[name] else [],
                                    className="checklist")
        else:
            control = dcc.Input(id=HEALTH_FORM_INPUT_PREFIX + name, type="text",
                                className="input", debounce=True, value=str(values[name]),
                                disabled=name == "name" and target is not None)
        fields.append(html.Label(
            [html.Span(t(f"field_{name}", lang), className="field__label"), control,
             html.Div(id=HEALTH_FORM_ERROR_PREFIX + name, className="field__error")],
            className=f"field field--{name}",
        ))
    return html.Div(
        [
            dcc.Store(id=HEALTH_FORM_EDITING, data=target.name if target else None),
            html.H3(t("edit_target", lang, name=target.name) if target
                    else t("new_target", lang),
                    id=HEALTH_FORM_TITLE, className="section__title"),
            html.Div(fields, className="form__fields"),
            html.Div(
                [html.Button(t("save", lang), id=HEALTH_FORM_SAVE, className="button"),
                 html.Button(t("delete", lang), id=HEALTH_FORM_DELETE,
                             className="button button--danger", disabled=target is None),
                 html.Button(t("new_target", lang), id=HEALTH_FORM_NEW,
                             className="button button--plain")],
                className="form__buttons",
            ),
            html.Div(id=HEALTH_FORM_MESSAGE, className="form__message", role="status"),
        ],
        id=HEALTH_FORM,
        className="form",
    )


def form_values(target: HealthTargetRow | None) -> list[object]:
    """The form's input values for ``target`` (None: empty, for a new one)."""
    if target is None:
        return ["", "", "", "", "", "", "", "", ["enabled"]]
    return [
        target.name, target.url, f"{target.interval_s:g}", f"{target.timeout_s:g}",
        target.expected_status, "\n".join(target.conditions),
        "" if target.degraded_latency_ms is None else str(target.degraded_latency_ms),
        str(target.down_after), ["enabled"] if target.enabled else [],
    ]


def _table(header: list[str], rows: list[list[str]], name: str) -> html.Table:
    return html.Table(
        [html.Thead(html.Tr([html.Th(cell) for cell in header])),
         html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows])],
        className=f"table {name}",
    )


def _banner(text: str) -> html.Div:
    return html.Div(text, className="page__banner")
