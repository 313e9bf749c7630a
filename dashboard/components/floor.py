"""Builders of /alerts' floor sections: messages to the floor (the list, the form) and
planned maintenance (upcoming, the form). Plain data in, components out; no I/O, no
clock. The forms are built once by the page's layout, so a refresh never wipes what
someone is typing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from alerts.maintenance import hhmm, next_occurrence
from specs import sitetime
from storage import (
    FLOOR_MESSAGE_MAX,
    DisplayRow,
    FloorMessageRow,
    MaintenanceKind,
    MaintenanceRow,
)

from ..i18n import t
from . import format as fmt
from .alerts import (
    MAX_REASON_CHARS,
    NO_CHOICES,
    ScopeChoices,
    ScopePicker,
    build_scope_picker,
    form_field,
    scope_text,
)

# Component ids of the floor sections of /alerts: "alr-" first, as every id of the page
# (a wall screen may show /alerts; browser tests use the strings).
ALR_FLOOR_MESSAGES = "alr-floor-messages"
ALR_FLOOR_MESSAGES_MESSAGE = "alr-floor-messages-message"
ALR_FLOOR_CHANGED = "alr-floor-changed"  # changes after an action: refreshes the lists
ALR_FLOOR_TEXT = "alr-floor-text"
ALR_FLOOR_EXPIRY = "alr-floor-expiry"
ALR_FLOOR_SCREENS = "alr-floor-screens"
ALR_FLOOR_POST = "alr-floor-post"
ALR_FLOOR_MESSAGE_FORM = "alr-floor-message-form"
ALR_FLOOR_WITHDRAW = "alr-floor-withdraw"  # {"type": ..., "message": id}
ALR_FLOOR_MAINTENANCE = "alr-floor-maintenance"
ALR_FLOOR_MAINTENANCE_MESSAGE = "alr-floor-maintenance-message"
ALR_FLOOR_MNT_RULE = "alr-floor-mnt-rule"
ALR_FLOOR_MNT_SOURCE = "alr-floor-mnt-source"
ALR_FLOOR_MNT_KIND = "alr-floor-mnt-kind"
ALR_FLOOR_MNT_ENTITIES = "alr-floor-mnt-entities"
ALR_FLOOR_MNT_TICK = "alr-floor-mnt-tick"  # renews the scope picker's choices
ALR_FLOOR_MNT_REPEAT = "alr-floor-mnt-repeat"
ALR_FLOOR_MNT_DATE = "alr-floor-mnt-date"
ALR_FLOOR_MNT_WEEKDAY = "alr-floor-mnt-weekday"
ALR_FLOOR_MNT_START = "alr-floor-mnt-start"
ALR_FLOOR_MNT_END = "alr-floor-mnt-end"
ALR_FLOOR_MNT_REASON = "alr-floor-mnt-reason"
ALR_FLOOR_MNT_PLAN = "alr-floor-mnt-plan"
ALR_FLOOR_MNT_FORM = "alr-floor-mnt-form"
ALR_FLOOR_MNT_END_BUTTON = "alr-floor-mnt-end-button"  # {"type": ..., "window": id}
MAINTENANCE_SCOPE = ScopePicker(ALR_FLOOR_MNT_RULE, ALR_FLOOR_MNT_SOURCE, ALR_FLOOR_MNT_KIND,
                                ALR_FLOOR_MNT_ENTITIES, ALR_FLOOR_MNT_TICK)
# A row of the upcoming list, for browser tests: data-maintenance="<id>".

# Listed in advance: what starts within this long (a weekly window always has a next
# run within a week).
UPCOMING_HORIZON_MS = 14 * 86_400_000


def _table(headers: Sequence[str], rows: Sequence[Component], empty: str) -> Component:
    if not rows:
        return html.P(empty, className="muted")
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(list(rows))],
                      className="table")


_field = form_field


def weekday_name(ts_ms: int, tz: str, lang: str) -> str:
    return t(f"flr_day_{sitetime.local(ts_ms, tz).weekday()}", lang)


# -- messages -------------------------------------------------------------------------------


def build_messages(
    messages: Iterable[FloorMessageRow], displays: Sequence[DisplayRow], now_ms: int,
    lang: str, tz: str, *, can_withdraw: bool, people: bool,
) -> list[Component]:
    """The running messages first, then the newest others; a supervisor gets a withdraw
    button on each running one. ``people`` False (a wall screen): no names."""
    names = {display.id: display.name for display in displays}
    headers = [t(key, lang) for key in ("flr_col_message", "flr_col_screens", "flr_col_until",
                                        "flr_col_by", "flr_col_state")]
    rows = [_message_row(m, names, now_ms, lang, tz, can_withdraw, people) for m in messages]
    return [_table(headers, rows, t("flr_no_messages", lang))]


def _message_row(
    message: FloorMessageRow, names: Mapping[int, str], now_ms: int, lang: str, tz: str,
    can_withdraw: bool, people: bool,
) -> html.Tr:
    screens = (", ".join(names.get(d, f"#{d}") for d in message.displays)
               if message.displays else t("flr_all_screens", lang))
    running = message.running_at(now_ms)
    if running:
        state: list[Any] = [t("flr_msg_running", lang)]
        if can_withdraw:
            state.append(html.Button(t("flr_withdraw", lang),
                                     id={"type": ALR_FLOOR_WITHDRAW, "message": message.id},
                                     className="button button--small button--danger"))
    elif message.withdrawn_at_ms is not None and message.withdrawn_at_ms < message.expires_at_ms:
        state = [t("flr_msg_withdrawn", lang,
                   user=message.withdrawn_by if people and message.withdrawn_by else "–",
                   time=fmt.short_time(message.withdrawn_at_ms, now_ms, tz))]
    else:
        state = [t("flr_msg_expired", lang)]
    return html.Tr(
        [html.Td(message.text), html.Td(screens),
         html.Td(fmt.moment(message.expires_at_ms, now_ms, tz, seconds=False)),
         html.Td(message.created_by if people else "–"),
         html.Td(state, className="floor__state")],
        **fmt.data_attributes(message=str(message.id), running="yes" if running else "no"),
    )


def expiry_options(expiries: Iterable[int]) -> list[dict[str, Any]]:
    return [{"label": fmt.age(minutes * 60_000), "value": minutes} for minutes in expiries]


def build_message_form(
    lang: str, displays: Sequence[DisplayRow], expiries: Sequence[int], default_expiry: int,
) -> html.Div:
    """The form of a new message: its text, how long, and which screens (none: all)."""
    screens = [{"label": display.name, "value": display.id} for display in displays]
    return html.Div([
        html.H3(t("flr_new_message", lang), className="section__title"),
        html.Div([
            _field("flr_field_text", dcc.Input(id=ALR_FLOOR_TEXT, type="text",
                                               maxLength=FLOOR_MESSAGE_MAX, className="input"),
                   lang),
            _field("flr_field_expiry", dcc.Dropdown(
                id=ALR_FLOOR_EXPIRY, options=expiry_options(expiries), value=default_expiry,
                clearable=False, className="dropdown"), lang),
            _field("flr_field_screens", dcc.Dropdown(
                id=ALR_FLOOR_SCREENS, options=screens, multi=True,
                placeholder=t("flr_all_screens", lang), className="dropdown"), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("flr_post", lang), id=ALR_FLOOR_POST, className="button"),
                 className="form__buttons"),
    ], id=ALR_FLOOR_MESSAGE_FORM, className="form")


# -- maintenance ------------------------------------------------------------------------------


def when_words(window: MaintenanceRow, now_ms: int, lang: str, tz: str) -> str:
    """"every Sunday 02:00–04:00" (in the window's zone), or a one-off's period."""
    weekly = window.weekly
    if window.kind is MaintenanceKind.WEEKLY and weekly is not None:
        days = ", ".join(t(f"flr_day_{day}", lang) for day in weekly.weekdays)
        return t("flr_weekly_text", lang, day=days, start=hhmm(weekly.start_minute),
                 end=hhmm(weekly.end_minute))
    assert window.starts_at_ms is not None and window.ends_at_ms is not None
    return t("alr_period", lang,
             start=f"{weekday_name(window.starts_at_ms, tz, lang)} "
                   f"{fmt.short_time(window.starts_at_ms, now_ms, tz)}",
             end=fmt.short_time(window.ends_at_ms, now_ms, tz))


def build_maintenance(
    windows: Iterable[MaintenanceRow], rule_names: Mapping[int, str], now_ms: int, lang: str,
    tz: str, *, can_end: bool, people: bool,
) -> list[Component]:
    """Planned maintenance, the soonest first: running ones ("running, until 04:00"),
    then what starts within ``UPCOMING_HORIZON_MS``."""
    upcoming = []
    for window in windows:
        occurrence = next_occurrence(window, now_ms)
        if occurrence is not None and occurrence.start_ms < now_ms + UPCOMING_HORIZON_MS:
            upcoming.append(occurrence)
    upcoming.sort(key=lambda o: (o.start_ms, o.window.id))
    headers = [t(key, lang) for key in ("flr_col_scope", "flr_col_when", "flr_col_next",
                                        "flr_col_reason", "flr_col_by")]
    rows = []
    for occurrence in upcoming:
        window = occurrence.window
        if occurrence.start_ms <= now_ms:
            next_text = t("flr_running_until", lang,
                          time=fmt.short_time(occurrence.end_ms, now_ms, tz))
        else:
            next_text = t("flr_starts", lang, time=(
                f"{weekday_name(occurrence.start_ms, tz, lang)} "
                f"{fmt.short_time(occurrence.start_ms, now_ms, tz)}"))
        last: list[Any] = [window.created_by if people else "–"]
        if can_end:
            last.append(html.Button(t("flr_end_maintenance", lang),
                                    id={"type": ALR_FLOOR_MNT_END_BUTTON, "window": window.id},
                                    className="button button--small button--danger"))
        rows.append(html.Tr(
            [html.Td(f"#{window.id} {scope_text(window.scope, rule_names, lang)}"),
             html.Td(when_words(window, now_ms, lang, tz)),
             html.Td(next_text, title=fmt.full_time(occurrence.start_ms, tz)),
             html.Td(window.reason), html.Td(last)],
            **fmt.data_attributes(maintenance=str(window.id),
                                  running="yes" if occurrence.start_ms <= now_ms else "no")))
    return [_table(headers, rows, t("flr_no_maintenance", lang))]


def build_maintenance_form(lang: str, refresh_ms: int,
                           choices: ScopeChoices = NO_CHOICES) -> html.Div:
    """The form of planned maintenance: its scope (the silence form's picker), once on a
    date or every week on a weekday, from and to (site time), and why. ``choices``:
    rules, sources and entities (``components.alerts.silence_options``)."""
    weekdays = [{"label": t(f"flr_day_{day}", lang), "value": day} for day in range(7)]
    repeats = [{"label": t("flr_repeat_once", lang), "value": "once"},
               {"label": t("flr_repeat_weekly", lang), "value": "weekly"}]
    return html.Div([
        html.H3(t("flr_new_maintenance", lang), className="section__title"),
        html.Div([
            *build_scope_picker(MAINTENANCE_SCOPE, lang, refresh_ms, choices),
            _field("flr_field_repeat", dcc.Dropdown(id=ALR_FLOOR_MNT_REPEAT, options=repeats,
                                                    value="weekly", clearable=False,
                                                    className="dropdown"), lang),
            _field("flr_field_date", dcc.Input(id=ALR_FLOOR_MNT_DATE, type="text",
                                               placeholder="2026-03-29", className="input"),
                   lang),
            _field("flr_field_weekday", dcc.Dropdown(id=ALR_FLOOR_MNT_WEEKDAY,
                                                     options=weekdays, value=6,
                                                     clearable=False, className="dropdown"),
                   lang),
            _field("flr_field_start", dcc.Input(id=ALR_FLOOR_MNT_START, type="text",
                                                value="02:00", className="input"), lang),
            _field("flr_field_end", dcc.Input(id=ALR_FLOOR_MNT_END, type="text",
                                              value="04:00", className="input"), lang),
            _field("alr_field_reason", dcc.Input(id=ALR_FLOOR_MNT_REASON, type="text",
                                                 maxLength=MAX_REASON_CHARS,
                                                 className="input"), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("flr_plan", lang), id=ALR_FLOOR_MNT_PLAN, className="button"),
                 className="form__buttons"),
    ], id=ALR_FLOOR_MNT_FORM, className="form")
