"""Builders of /alerts: plain data in, components out. No I/O, no clock.

The tables are re-rendered on every refresh; the forms (acknowledge, new silence) are
built once by the page's layout, so a refresh never wipes what someone is typing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dash import dcc, html
from dash.development.base_component import Component

from alerts import AlertState
from alerts.inputs import RULE_METRIC_DISPLAYS
from specs.metrics import Display
from specs.text import has as has_text
from specs.text import localize_number, stored, stored_name
from storage import ChannelRow, EventRow, OutboxRow, SilenceRow, StateRow

from ..alertsmodel import AlertsData
from ..i18n import t
from ..metrics import QUEUE_KIND
from ..status import covering_silence
from . import format as fmt
from .tables import card_table

# Component ids of /alerts, "alr-" first (browser tests use the strings).
ALR_REFRESH = "alr-refresh"
ALR_FIRING = "alr-firing"
ALR_PENDING = "alr-pending"
ALR_HISTORY = "alr-history"
ALR_HISTORY_TITLE = "alr-history-title"
ALR_SILENCES = "alr-silences"
ALR_CHANNELS = "alr-channels"
ALR_FILTER_RULE = "alr-filter-rule"
ALR_FILTER_ENTITY = "alr-filter-entity"
# Acknowledging: a button per open alert picks it ({"type": ALR_ACK_PICK, "rule": id,
# "series": key, "alert": alert id}); the panel outside the refreshed tables takes the
# comment, so a refresh never wipes what someone is typing.
ALR_ACK_PICK = "alr-ack-pick"
ALR_ACK_TARGET = "alr-ack-target"
ALR_ACK_PANEL = "alr-ack-panel"
ALR_ACK_TITLE = "alr-ack-title"
ALR_ACK_COMMENT = "alr-ack-comment"
ALR_ACK_SUBMIT = "alr-ack-submit"
ALR_ACK_CANCEL = "alr-ack-cancel"
ALR_ACK_MESSAGE = "alr-ack-message"
ALR_ACKED = "alr-acked"  # changes after an acknowledgement: refreshes the tables
# Silences: the list (end buttons {"type": ALR_SILENCE_END, "silence": id}) and the
# admins' form.
ALR_SILENCE_END = "alr-silence-end"
ALR_SILENCES_CHANGED = "alr-silences-changed"
ALR_SILENCES_MESSAGE = "alr-silences-message"
ALR_SILENCE_FORM = "alr-silence-form"
ALR_SILENCE_TICK = "alr-silence-tick"  # refreshes the form's choices
ALR_SILENCE_RULE = "alr-silence-rule"
ALR_SILENCE_SOURCE = "alr-silence-source"
ALR_SILENCE_KIND = "alr-silence-kind"
ALR_SILENCE_ENTITIES = "alr-silence-entities"
ALR_SILENCE_DURATION = "alr-silence-duration"
ALR_SILENCE_REASON = "alr-silence-reason"
ALR_SILENCE_CREATE = "alr-silence-create"
# Channels: a test button per channel ({"type": ALR_CHANNEL_TEST, "channel": name}) and
# the outbox ids of the test messages this page asked for ({channel: id}).
ALR_CHANNEL_TEST = "alr-channel-test"
ALR_TESTS = "alr-tests"
ALR_CHANNELS_MESSAGE = "alr-channels-message"
# A row of the firing table, for browser tests: {"type": ALR_ROW, "alert": alert id}.
ALR_ROW = "alr-row"

# Open alerts (they fired and are not over), listed under "firing now".
_OPEN_STATES = frozenset({AlertState.FIRING, AlertState.RECOVERING, AlertState.NODATA})
_SEVERITY_ORDER = {"critical": 0, "warning": 1}
ENTITY_KINDS = ("queue", "target", "provider", "reconciler", "source")  # docs/DESIGN.md
DURATIONS_MIN = (15, 30, 60, 120, 240, 480, 1440, 4320, 10080)
DEFAULT_DURATION_MIN = 60
MAX_COMMENT_CHARS = 500
MAX_REASON_CHARS = 500
TestOutcome = OutboxRow | None | str  # the row, gone, or the database error


# -- shared texts -------------------------------------------------------------------------


def word(prefix: str, value: str | None, lang: str) -> str:
    """The translated word for an enum value (``alr_state_firing``), else the value."""
    if value is None:
        return "–"
    try:
        return t(f"{prefix}{value}", lang)
    except KeyError:
        return value


def entity_text(name: str, entity_id: str, kind: str, lang: str = "en") -> str:
    """"Kundtjänst (queue)", the kind in ``lang`` where the catalog names it."""
    return f"{name or entity_id} ({kind_text(kind, lang)})"


def kind_text(kind: str, lang: str) -> str:
    """A kind of entity in ``lang`` where the catalog names it (``kö``), else as stored."""
    return t(f"thr_kind_{kind}", lang) if has_text(f"thr_kind_{kind}") else kind


def alert_label(state: StateRow, rule_names: Mapping[int, str], lang: str) -> str:
    """"Longest wait · Kundtjänst (queue)": how an alert is named on the page."""
    return (f"{rule_name(state.rule_id, rule_names, lang)} · "
            f"{entity_text(state.entity_name, state.entity_id, state.entity_kind, lang)}")


def rule_name(rule_id: int, rule_names: Mapping[int, str], lang: str) -> str:
    name = rule_names.get(rule_id)
    return stored_name(name, lang) if name is not None else t("alr_rule_gone", lang, id=rule_id)


def _number(value: float) -> str:
    return f"{value:g}"


# A rule's last value beside its thresholds: percentages keep a decimal, counts and states
# are shown as they are (an unknown metric too).
_VALUE_FORMATS: Mapping[Display, Callable[[float], str]] = {
    Display.DURATION: fmt.wait,
    Display.PERCENT: lambda value: f"{value:.1f} %",
    Display.MILLISECONDS: lambda value: f"{value:.0f} ms",
}


def value_text(metric: str, value: float | None, lang: str = "en") -> str:
    """A value as its metric's declared display says: seconds as m:ss, percentages,
    milliseconds (``alerts.inputs.RULE_METRIC_DISPLAYS``); a decimal comma in Swedish."""
    if value is None:
        return "–"
    display = RULE_METRIC_DISPLAYS.get(metric, Display.NUMBER)
    shown = _VALUE_FORMATS.get(display, _number)(value)
    number, _, unit = shown.partition(" ")
    return " ".join(filter(None, (localize_number(number, lang) or number, unit)))


def _when(ts_ms: int | None, now_ms: int, lang: str, tz: str) -> str:
    if ts_ms is None:
        return t("never", lang)
    return f"{fmt.clock_time(ts_ms, now_ms, tz)} ({t('ago', lang, age=fmt.age(now_ms - ts_ms))})"


def _severity(severity: str | None, lang: str) -> html.Span:
    return html.Span(word("alr_sev_", severity, lang),
                     className=f"sev sev--{severity or 'none'}")


def _table(headers: Sequence[str], rows: list[Component], empty: str) -> Component:
    if not rows:
        return html.P(empty, className="muted")
    return card_table(headers, rows, "")


def db_error_banner(error: str, lang: str) -> html.Div:
    return html.Div(f"{t('db_unavailable', lang)}: {error}", className="page__banner")


# -- firing and pending -------------------------------------------------------------------


def is_open(state: StateRow) -> bool:
    """Listed under "firing now": an alert that fired and is not over."""
    return state.alert_id is not None or state.state in _OPEN_STATES


def build_firing(
    data: AlertsData, now_ms: int, lang: str, *, can_ack: bool, tz: str
) -> list[Component]:
    """Open alerts, critical first, the longest-running first."""
    if data.db_error is not None:
        return [db_error_banner(data.db_error, lang)]
    rows = sorted((s for s in data.states if is_open(s)),
                  key=lambda s: (_SEVERITY_ORDER.get(s.severity or "", 2),
                                 s.opened_at_ms or s.since_ms))
    headers = [t(key, lang) for key in ("alr_col_severity", "alr_col_rule", "alr_col_entity",
                                        "alr_col_value", "alr_col_state", "alr_col_since",
                                        "alr_col_ack", "alr_col_silence")]
    return [_table(headers, [_firing_row(s, data, now_ms, lang, can_ack, tz) for s in rows],
                   t("alr_no_firing", lang))]


def _firing_row(
    state: StateRow, data: AlertsData, now_ms: int, lang: str, can_ack: bool, tz: str
) -> html.Tr:
    silence = covering_silence(state, data.silences, now_ms)
    return html.Tr(
        [
            html.Td(_severity(state.severity, lang)),
            html.Td(rule_name(state.rule_id, data.rule_names, lang)),
            html.Td(entity_text(state.entity_name, state.entity_id, state.entity_kind, lang)),
            html.Td(value_text(state.metric, state.last_value, lang)),
            html.Td(word("alr_state_", state.state, lang)),
            html.Td(_when(state.opened_at_ms or state.since_ms, now_ms, lang, tz)),
            html.Td(_acknowledgement(state, now_ms, lang, can_ack, tz)),
            html.Td("" if silence is None else t(
                "alr_silenced_by", lang, id=silence.id,
                time=fmt.short_time(silence.ends_at_ms, now_ms, tz), reason=silence.reason)),
        ],
        id={"type": ALR_ROW, "alert": state.alert_id or state.series_key},
        className="alerts__row--silenced" if silence is not None else "",
        **fmt.data_attributes(state=state.state, severity=state.severity or "",
                              acked="yes" if state.ack_by else "no"),
    )


def _acknowledgement(
    state: StateRow, now_ms: int, lang: str, can_ack: bool, tz: str
) -> list[Any]:
    if state.ack_by is not None and state.ack_at_ms is not None:
        parts: list[Any] = [t("alr_ack_text", lang, user=state.ack_by,
                              time=_when(state.ack_at_ms, now_ms, lang, tz))]
        if state.ack_comment:
            parts.append(html.Div(state.ack_comment, className="alerts__comment"))
        return parts
    if not can_ack or state.alert_id is None:
        return []
    return [html.Button(
        t("alr_ack", lang), className="button button--small",
        id={"type": ALR_ACK_PICK, "rule": state.rule_id, "series": state.series_key,
            "alert": state.alert_id},
    )]


def build_pending(data: AlertsData, now_ms: int, lang: str, tz: str) -> list[Component]:
    """Breaches not held long enough to fire, and rules that could not be evaluated."""
    if data.db_error is not None:
        return []
    rows = sorted((s for s in data.states if not is_open(s)), key=lambda s: s.since_ms)
    headers = [t(key, lang) for key in ("alr_col_severity", "alr_col_rule", "alr_col_entity",
                                        "alr_col_value", "alr_col_state", "alr_col_since",
                                        "alr_col_reason")]
    return [_table(headers, [
        html.Tr(
            [
                html.Td(_severity(s.severity, lang)),
                html.Td(rule_name(s.rule_id, data.rule_names, lang)),
                html.Td(entity_text(s.entity_name, s.entity_id, s.entity_kind, lang)),
                html.Td(value_text(s.metric, s.last_value, lang)),
                html.Td(word("alr_state_", s.state, lang)),
                html.Td(_when(s.pending_since_ms or s.since_ms, now_ms, lang, tz)),
                html.Td(stored(s.reason, lang, tz=tz)),
            ],
            **fmt.data_attributes(state=s.state),
        )
        for s in rows
    ], t("alr_no_pending", lang))]


# -- history ------------------------------------------------------------------------------


def build_history(
    events: Sequence[EventRow] | str, rule_names: Mapping[int, str], now_ms: int, lang: str,
    tz: str,
) -> list[Component]:
    """Events newest first; ``events`` is the database error when it could not be read."""
    if isinstance(events, str):
        return [db_error_banner(events, lang)]
    headers = [t(key, lang) for key in ("alr_col_time", "alr_col_rule", "alr_col_entity",
                                        "alr_col_event", "alr_col_severity", "alr_col_value",
                                        "alr_col_reason", "alr_col_by")]
    return [_table(headers, [_event_row(e, rule_names, now_ms, lang, tz) for e in events],
                   t("alr_no_events", lang))]


def _event_row(
    event: EventRow, rule_names: Mapping[int, str], now_ms: int, lang: str, tz: str
) -> html.Tr:
    what = word("alr_event_", event.event, lang)
    if event.silenced:
        what += f" ({t('alr_silenced_event', lang)})"
    return html.Tr(
        [
            html.Td(fmt.moment(event.ts_ms, now_ms, tz)),
            html.Td(stored_name(rule_names.get(event.rule_id, event.rule_name), lang)),
            html.Td(entity_text(event.entity_name, event.entity_id, event.entity_kind, lang)),
            html.Td(what),
            html.Td(word("alr_sev_", event.severity, lang) if event.severity else ""),
            html.Td("–" if event.value is None else f"{event.value:g}"),
            html.Td(stored(event.reason, lang, tz=tz)),
            html.Td(event.actor or ""),
        ],
        **fmt.data_attributes(event=event.event),
    )


def history_filter_options(
    data: AlertsData, lang: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rules, entities) to filter the history by: every rule, and the entities of the
    open states and of the recent events."""
    rules = {**{e.rule_id: e.rule_name for e in data.events}, **data.rule_names}
    entities: dict[str, str] = {}
    for row in data.states:
        entities.setdefault(row.series_key,
                            entity_text(row.entity_name, row.entity_id, row.entity_kind, lang))
    for event in data.events:
        entities.setdefault(event.series_key, entity_text(
            event.entity_name, event.entity_id, event.entity_kind, lang))
    return (_options((key, stored_name(name, lang)) for key, name in rules.items()),
            _options(entities.items()))


def _options(pairs: Iterable[tuple[Any, str]]) -> list[dict[str, Any]]:
    return [{"label": label, "value": value}
            for value, label in sorted(pairs, key=lambda pair: (pair[1].casefold(), pair[0]))]


# -- silences -----------------------------------------------------------------------------


def build_silences(
    data: AlertsData, now_ms: int, lang: str, *, admin: bool, tz: str
) -> list[Component]:
    """Active silences first, then the recent ones; admins get an "end now" button."""
    if data.db_error is not None:
        return []
    headers = [t(key, lang) for key in ("alr_col_scope", "alr_col_period", "alr_col_reason",
                                        "alr_col_by", "alr_col_state")]
    return [_table(headers, [_silence_row(s, data.rule_names, now_ms, lang, admin, tz)
                             for s in data.silences], t("alr_no_silences", lang))]


def _silence_row(
    silence: SilenceRow, rule_names: Mapping[int, str], now_ms: int, lang: str, admin: bool,
    tz: str,
) -> html.Tr:
    return html.Tr(
        [
            html.Td(f"#{silence.id} {scope_text(silence, rule_names, lang)}"),
            html.Td(t("alr_period", lang, start=fmt.short_time(silence.starts_at_ms, now_ms, tz),
                      end=fmt.short_time(silence.ends_at_ms, now_ms, tz))),
            html.Td(silence.reason),
            html.Td(silence.created_by),
            html.Td(_silence_status(silence, now_ms, lang, admin, tz)),
        ],
        **fmt.data_attributes(silence=str(silence.id),
                              active="yes" if silence.active_at(now_ms) else "no"),
    )


class Scope(Protocol):
    """What a silence and a planned maintenance window cover (``SilenceRow``,
    ``MaintenanceScope``): None, or no ids, is "every"."""

    @property
    def rule_id(self) -> int | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def entity_kind(self) -> str | None: ...
    @property
    def entity_ids(self) -> tuple[str, ...]: ...


def scope_text(scope: Scope, rule_names: Mapping[int, str], lang: str) -> str:
    """"Longest wait · trio · queue · 12, 14", or "everything"."""
    parts = []
    if scope.rule_id is not None:
        parts.append(rule_name(scope.rule_id, rule_names, lang))
    if scope.source:
        parts.append(scope.source)
    if scope.entity_kind:
        parts.append(kind_text(scope.entity_kind, lang))
    if scope.entity_ids:
        parts.append(", ".join(scope.entity_ids))
    return " · ".join(parts) if parts else t("alr_everything", lang)


def _silence_status(
    silence: SilenceRow, now_ms: int, lang: str, admin: bool, tz: str
) -> list[Any]:
    if silence.ended_at_ms is not None and silence.ended_at_ms < silence.ends_at_ms:
        return [t("alr_silence_ended_by", lang, user=silence.ended_by or "?",
                  time=fmt.short_time(silence.ended_at_ms, now_ms, tz))]
    if silence.active_at(now_ms):
        status: list[Any] = [t("alr_silence_active", lang)]
        if admin:
            status.append(html.Button(t("alr_end_silence", lang),
                                      id={"type": ALR_SILENCE_END, "silence": silence.id},
                                      className="button button--small button--danger"))
        return status
    if silence.starts_at_ms > now_ms:
        return [t("alr_silence_upcoming", lang,
                  time=fmt.short_time(silence.starts_at_ms, now_ms, tz))]
    return [t("alr_silence_expired", lang)]


ScopeChoices = tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]
NO_CHOICES: ScopeChoices = ([], [], [])


@dataclass(frozen=True, slots=True)
class ScopePicker:
    """The ids of one scope picker (what a silence or a maintenance window covers: a
    rule, a source, a kind of entity, entities) and of the tick that renews its choices.
    The page registers one choices callback per picker (pages/alerts.py)."""

    rule: str
    source: str
    kind: str
    entities: str
    tick: str


SILENCE_SCOPE = ScopePicker(ALR_SILENCE_RULE, ALR_SILENCE_SOURCE, ALR_SILENCE_KIND,
                            ALR_SILENCE_ENTITIES, ALR_SILENCE_TICK)


def form_field(label_key: str, control: Component, lang: str) -> html.Label:
    return html.Label([html.Span(t(label_key, lang), className="field__label"), control],
                      className="field")


def build_scope_picker(picker: ScopePicker, lang: str, refresh_ms: int,
                       choices: ScopeChoices = NO_CHOICES) -> list[Component]:
    """The picker's fields, with ``choices`` (``silence_options``) until its tick renews
    them every ``refresh_ms``; every field empty means everything."""
    rules, sources, entities = choices
    return [
        dcc.Interval(id=picker.tick, interval=refresh_ms),
        form_field("alr_field_rule", dcc.Dropdown(
            id=picker.rule, options=rules, placeholder=t("alr_all_rules", lang),
            className="dropdown"), lang),
        form_field("alr_field_source", dcc.Dropdown(
            id=picker.source, options=sources, placeholder=t("alr_any_source", lang),
            className="dropdown"), lang),
        form_field("alr_field_kind", dcc.Dropdown(
            id=picker.kind, placeholder=t("alr_any_kind", lang),
            options=[{"label": kind_text(kind, lang), "value": kind} for kind in ENTITY_KINDS],
            className="dropdown"), lang),
        form_field("alr_field_entities", dcc.Dropdown(
            id=picker.entities, options=entities, multi=True, className="dropdown"), lang),
    ]


def build_silence_form(lang: str, refresh_ms: int,
                       choices: ScopeChoices = NO_CHOICES) -> html.Div:
    """The admins' form for a new silence: the scope picker, how long, why."""
    return html.Div(
        [
            html.H3(t("alr_new_silence", lang), className="section__title"),
            html.Div(
                [
                    *build_scope_picker(SILENCE_SCOPE, lang, refresh_ms, choices),
                    form_field("alr_field_duration", dcc.Dropdown(
                        id=ALR_SILENCE_DURATION, options=duration_options(),
                        value=DEFAULT_DURATION_MIN, clearable=False, className="dropdown"),
                        lang),
                    form_field("alr_field_reason", dcc.Input(
                        id=ALR_SILENCE_REASON, type="text", maxLength=MAX_REASON_CHARS,
                        className="input"), lang),
                ],
                className="form__fields",
            ),
            html.Div(html.Button(t("alr_create_silence", lang), id=ALR_SILENCE_CREATE,
                                 className="button"), className="form__buttons"),
        ],
        id=ALR_SILENCE_FORM,
        className="form",
    )


def duration_options() -> list[dict[str, Any]]:
    return [{"label": fmt.age(minutes * 60_000), "value": minutes} for minutes in DURATIONS_MIN]


def silence_options(
    data: AlertsData, queues: Iterable[tuple[str, str, str]], sources: Iterable[str],
    lang: str = "en",
) -> ScopeChoices:
    """(rules, sources, entities) to silence: every rule; the known sources; the open
    alerts' entities and the queues (``queues``: (source, id, name)). An entity's value
    is its series key ``source|kind|id``."""
    entities: dict[str, str] = {}
    for state in data.states:
        entities.setdefault(state.series_key, entity_text(
            state.entity_name, state.entity_id, state.entity_kind, lang))
    for source, queue_id, name in queues:
        entities.setdefault(f"{source}|{QUEUE_KIND}|{queue_id}",
                            entity_text(name, queue_id, QUEUE_KIND, lang))
    known = {*sources, *(state.source for state in data.states)}
    return (_options((key, stored_name(name, lang)) for key, name in data.rule_names.items()),
            sorted(known, key=str.casefold),
            _options(entities.items()))


# -- channels -----------------------------------------------------------------------------


def build_channels(
    data: AlertsData, tests: Mapping[str, TestOutcome], now_ms: int, lang: str, *,
    admin: bool, tz: str,
) -> list[Component]:
    """Each channel's state; admins get a test button and see how their test went."""
    if data.db_error is not None:
        return []
    keys = ["alr_col_channel", "alr_col_kind", "alr_col_state", "alr_col_last_error",
            "alr_col_last_ok"]
    if admin:
        keys.append("alr_col_test")
    return [_table([t(key, lang) for key in keys],
                   [_channel_row(c, tests, now_ms, lang, admin, tz) for c in data.channels],
                   t("alr_no_channels", lang))]


def _channel_row(
    channel: ChannelRow, tests: Mapping[str, TestOutcome], now_ms: int, lang: str, admin: bool,
    tz: str,
) -> html.Tr:
    error: list[Any] = []
    if channel.last_error:
        error = [channel.last_error, html.Div(_when(channel.last_error_at_ms, now_ms, lang, tz),
                                              className="muted")]
    cells = [
        html.Td(channel.name),
        html.Td(channel.kind),
        html.Td([html.Span(word("alr_channel_", channel.state, lang),
                           className=f"channel--{channel.state}"),
                 html.Div(_when(channel.state_since_ms, now_ms, lang, tz), className="muted")]),
        html.Td(error),
        html.Td(_when(channel.last_ok_at_ms, now_ms, lang, tz)),
    ]
    if admin:
        cells.append(html.Td([
            html.Button(t("alr_send_test", lang), className="button button--small",
                        id={"type": ALR_CHANNEL_TEST, "channel": channel.name}),
            *_test_outcome(tests, channel.name, now_ms, lang, tz),
        ]))
    return html.Tr(cells, **fmt.data_attributes(channel=channel.name, state=channel.state))


def _test_outcome(
    tests: Mapping[str, TestOutcome], channel: str, now_ms: int, lang: str, tz: str
) -> list[html.Div]:
    if channel not in tests:
        return []
    row = tests[channel]
    if isinstance(row, str):
        text, status = f"{t('db_unavailable', lang)}: {row}", "failed"
    elif row is None:
        text, status = t("alr_test_gone", lang), "failed"
    elif row.status == "delivered":
        text, status = t("alr_test_delivered", lang,
                         time=fmt.clock_time(row.finished_at_ms or now_ms, now_ms, tz)), row.status
    elif row.status == "failed":
        text, status = t("alr_test_failed", lang, error=row.last_error or "?"), row.status
    elif row.status == "sending":
        text, status = t("alr_test_sending", lang), row.status
    else:
        text, status = t("alr_test_queued", lang,
                         time=fmt.clock_time(row.created_at_ms, now_ms, tz)), row.status
    return [html.Div(text, className=f"test test--{status}",
                     **fmt.data_attributes(test=status))]


# -- acknowledging ------------------------------------------------------------------------


def build_ack_panel(lang: str) -> html.Div:
    """Where a picked alert is acknowledged with a comment; hidden until one is picked."""
    return html.Div(
        [
            html.Div(id=ALR_ACK_TITLE, className="section__title"),
            dcc.Input(id=ALR_ACK_COMMENT, type="text", maxLength=MAX_COMMENT_CHARS,
                      placeholder=t("alr_ack_comment", lang), className="input"),
            html.Div(
                [html.Button(t("alr_ack", lang), id=ALR_ACK_SUBMIT, className="button"),
                 html.Button(t("alr_cancel", lang), id=ALR_ACK_CANCEL,
                             className="button button--plain")],
                className="form__buttons",
            ),
        ],
        id=ALR_ACK_PANEL,
        className=ACK_PANEL_HIDDEN,
    )


ACK_PANEL_SHOWN = "alerts__ack"
ACK_PANEL_HIDDEN = "alerts__ack alerts__ack--hidden"
