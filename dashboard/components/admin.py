"""Builders of ``/admin``: users, wall screens (display tokens) and the audit log.

Plain data in, components out. A screen's state is computed here from the stored facts
(``last_seen_at``, ``revoked_at``) by ``screen_state``, the one place that decides it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from auth import USER_ROLES, Lock, Role, User
from specs.languages import LANGUAGES
from specs.text import has, stored_name
from storage import AuditRow, DisplayRow, SessionRow

from ..i18n import t
from . import format as fmt

# Component ids of /admin, "adm-" first (browser tests use the strings).
ADM_REFRESH = "adm-refresh"
ADM_CHANGED = "adm-changed"  # set after a change: the tables reload at once
ADM_USERS = "adm-users"
ADM_USERS_MESSAGE = "adm-users-message"
# A button of a user's row: {"type": ADM_USER_ACTION, "user": name, "action": what}.
ADM_USER_ACTION = "adm-user-action"
ADM_NEW_USERNAME = "adm-new-username"
ADM_NEW_PASSWORD = "adm-new-password"
ADM_NEW_ROLE = "adm-new-role"
ADM_ADD_USER = "adm-add-user"
ADM_RESET_USER = "adm-reset-user"
ADM_RESET_PASSWORD = "adm-reset-password"
ADM_RESET_SUBMIT = "adm-reset-submit"
ADM_DISPLAYS = "adm-displays"
ADM_DISPLAYS_MESSAGE = "adm-displays-message"
ADM_DISPLAYS_CHANGED = "adm-displays-changed"  # set after a token was created or revoked
ADM_DISPLAY_NAME = "adm-display-name"
ADM_DISPLAY_CREATE = "adm-display-create"
ADM_DISPLAY_LANG = "adm-display-lang"  # the new screen's language, or "default" (the site's)
ADM_DISPLAY_TOKEN = "adm-display-token"  # the new token's address, shown once
# A token's revoke button (a confirm dialog): {"type": ADM_DISPLAY_REVOKE, "display": id}.
ADM_DISPLAY_REVOKE = "adm-display-revoke"
# A row of the screens table, for tests: {"type": ADM_DISPLAY_ROW, "display": id}.
ADM_DISPLAY_ROW = "adm-display-row"
# Login sessions and locks.
ADM_SESSIONS = "adm-sessions"
ADM_SESSIONS_MESSAGE = "adm-sessions-message"
# A session's end button: {"type": ADM_SESSION_END, "session": id, "user": name}.
ADM_SESSION_END = "adm-session-end"
ADM_LOCKS = "adm-locks"
# A lock's unlock button: {"type": ADM_UNLOCK, "user": name}.
ADM_UNLOCK = "adm-unlock"
ADM_LOGOUT_EVERYWHERE = "adm-logout-everywhere"
ADM_SESSIONS_CHANGED = "adm-sessions-changed"  # set after a session ended or a lock lifted
ADM_AUDIT = "adm-audit"
ADM_AUDIT_ACTOR = "adm-audit-actor"
ADM_AUDIT_ACTION = "adm-audit-action"
ADM_AUDIT_RANGE = "adm-audit-range"

# A screen polls every refresh period; its visits are written at most every 10 s.
# Silent for longer than this: it is shown as "stopped updating N s ago".
STOPPED_AFTER_MS = 30_000
# Silent for longer than this: flagged (and the "Screen stopped updating" alert fires).
FLAGGED_AFTER_MS = 300_000
AUDIT_LIMIT = 200
# Audit filters: action kinds (the prefix of the action) and time ranges.
AUDIT_KINDS = ("login", "user", "session", "display", "view", "rule", "silence", "alert",
               "message", "maintenance")
# The kinds whose label is not "adm_kind_<kind>".
_AUDIT_KIND_KEYS = {"message": "flr_kind_message", "maintenance": "flr_kind_maintenance"}
AUDIT_RANGES: dict[str, int | None] = {
    "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000,
    "all": None,
}
DEFAULT_RANGE = "24h"
ROTATE_EXAMPLE = "?rotate=wallboard,drift,health&every=30"


class ScreenState(StrEnum):
    """What an admin needs to know about a screen, from its stored facts."""

    # Refreshed within STOPPED_AFTER_MS.
    OK = "ok"
    # Silent for more than STOPPED_AFTER_MS: shown with its age.
    STOPPED = "stopped"
    # Silent for more than FLAGGED_AFTER_MS.
    FLAGGED = "flagged"
    # The token was never used.
    NEVER = "never"
    # The token was revoked.
    REVOKED = "revoked"


def screen_state(row: DisplayRow, now_ms: int) -> ScreenState:
    if row.revoked:
        return ScreenState.REVOKED
    if row.last_seen_at_ms is None:
        return ScreenState.NEVER
    silent_ms = now_ms - row.last_seen_at_ms
    if silent_ms > FLAGGED_AFTER_MS:
        return ScreenState.FLAGGED
    if silent_ms > STOPPED_AFTER_MS:
        return ScreenState.STOPPED
    return ScreenState.OK


@dataclass(frozen=True)
class NewToken:
    """A token just created, to show once: its name and the address to open."""

    name: str
    url: str


# -- users ------------------------------------------------------------------------------


# The name of each role a user can have, and its button: by the roles' one list.
ROLE_TEXT_KEYS = {Role.ADMIN: "adm_role_admin", Role.SUPERVISOR: "flr_role_supervisor",
                  Role.VIEWER: "adm_role_viewer"}
ROLE_BUTTON_KEYS = {Role.ADMIN: "adm_make_admin", Role.SUPERVISOR: "flr_make_supervisor",
                    Role.VIEWER: "adm_make_viewer"}


def role_text(role: str, lang: str) -> str:
    return t(ROLE_TEXT_KEYS[Role(role)], lang) if role in USER_ROLES else role


def build_users(users: Sequence[User], me: str, now_ms: int, lang: str, tz: str) -> Component:
    header = html.Tr([html.Th(t(f"adm_col_{name}", lang))
                      for name in ("user", "role", "state", "last_login", "actions")])
    rows = [_user_row(user, me, now_ms, lang, tz) for user in users]
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table adm-users")


def _user_row(user: User, me: str, now_ms: int, lang: str, tz: str) -> html.Tr:
    name: list[Any] = [user.username]
    if user.username == me:
        name.append(html.Span(f" {t('adm_you', lang)}", className="muted"))
    last = (t("adm_never", lang) if user.last_login_at_ms is None
            else fmt.short_time(user.last_login_at_ms, now_ms, tz))
    state = t("adm_disabled" if user.disabled else "adm_active", lang)
    return html.Tr([
        html.Td(name), html.Td(role_text(user.role.value, lang)),
        html.Td(state, className="muted" if user.disabled else ""), html.Td(last),
        html.Td(_user_actions(user, me, lang)),
    ], **fmt.data_attributes(user=user.username))


def _user_actions(user: User, me: str, lang: str) -> list[Component]:
    """Buttons for the changes allowed: nobody disables or demotes themselves."""
    others = [role.value for role in reversed(USER_ROLES) if role is not user.role]
    actions = ["enable" if user.disabled else "disable", *others, "end_sessions"]
    if user.username == me:  # an admin: every other role is a demotion
        actions = [a for a in actions if a not in ("disable", *others, "end_sessions")]
    labels = {"enable": "adm_enable", "disable": "adm_disable", "end_sessions": "adm_end_sessions",
              **{role.value: key for role, key in ROLE_BUTTON_KEYS.items()}}
    return [
        html.Button(t(labels[action], lang), n_clicks=0,
                    id={"type": ADM_USER_ACTION, "user": user.username, "action": action},
                    className="button button--small"
                    + (" button--danger" if action == "disable" else " button--plain"))
        for action in actions
    ]


def reset_options(users: Sequence[User]) -> list[dict[str, str]]:
    return [{"label": user.username, "value": user.username} for user in users]


def build_user_forms(lang: str) -> list[Component]:
    role_options = [{"label": role_text(role, lang), "value": role.value}
                    for role in USER_ROLES]
    add = html.Div([
        html.H3(t("adm_add_user", lang), className="section__title"),
        html.Div([
            _field("adm_username", dcc.Input(id=ADM_NEW_USERNAME, type="text",
                                             maxLength=64, className="input",
                                             autoComplete="off"), lang),
            _field("adm_password", dcc.Input(id=ADM_NEW_PASSWORD, type="password",
                                             className="input", autoComplete="new-password"),
                   lang),
            _field("adm_role", dcc.Dropdown(id=ADM_NEW_ROLE, options=role_options,
                                            value="viewer", clearable=False,
                                            className="dropdown"), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("adm_add_user", lang), id=ADM_ADD_USER, className="button"),
                 className="form__buttons"),
    ], className="form")
    reset = html.Div([
        html.H3(t("adm_reset_title", lang), className="section__title"),
        html.Div([
            _field("adm_col_user", dcc.Dropdown(id=ADM_RESET_USER,
                                                placeholder=t("adm_pick_user", lang),
                                                className="dropdown"), lang),
            _field("adm_new_password", dcc.Input(id=ADM_RESET_PASSWORD, type="password",
                                                 className="input",
                                                 autoComplete="new-password"), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("adm_reset", lang), id=ADM_RESET_SUBMIT, className="button"),
                 className="form__buttons"),
    ], className="form")
    return [add, reset]


def _field(label_key: str, control: Component, lang: str) -> html.Label:
    return html.Label([html.Span(t(label_key, lang), className="field__label"), control],
                      className="field")


# -- login sessions and locks -----------------------------------------------------------


def browser_text(user_agent: str | None) -> str:
    """A short name for a browser from its user agent ("Firefox on Linux"); the whole
    string is in the cell's title."""
    agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in agent), "")
    system = next((name for token, name in _SYSTEMS if token in agent), "")
    if browser and system:
        return f"{browser} / {system}"
    return browser or system or (agent[:40] or "–")


# Order matters: Edge and Chrome's agents also say Chrome and Safari.
_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"), ("curl/", "curl"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


def build_sessions(rows: Sequence[tuple[str, SessionRow]], my_session: int | None,
                   now_ms: int, lang: str, tz: str) -> Component:
    """Live sessions: (username, session) pairs, with an end button each."""
    if not rows:
        return html.P(t("adm_no_sessions", lang), className="muted")
    header = html.Tr([html.Th(t(f"adm_col_{name}", lang))
                      for name in ("user", "browser", "addr", "last_seen", "started")]
                     + [html.Th("")])
    body = []
    for username, row in rows:
        name: list[Any] = [username]
        if row.id == my_session:
            name.append(html.Span(f" {t('adm_this_session', lang)}", className="muted"))
        body.append(html.Tr([
            html.Td(name),
            html.Td(browser_text(row.user_agent), title=row.user_agent or ""),
            html.Td(row.client_addr or "–"),
            html.Td(t("adm_ago", lang, age=fmt.age(now_ms - row.last_seen_at_ms))),
            html.Td(fmt.moment(row.created_at_ms, now_ms, tz, seconds=False)),
            html.Td(html.Button(
                t("adm_end_session", lang), n_clicks=0,
                id={"type": ADM_SESSION_END, "session": row.id, "user": username},
                className="button button--small button--danger")),
        ], **fmt.data_attributes(user=username)))
    return html.Table([html.Thead(header), html.Tbody(body)], className="table adm-sessions")


def build_locks(
    locks: Sequence[Lock], known: set[str], now_ms: int, lang: str, tz: str
) -> Component:
    """Locks in force, with an unlock button for those of existing users."""
    if not locks:
        return html.P(t("adm_no_locks", lang), className="muted")
    header = html.Tr([html.Th(t(f"adm_col_{name}", lang)) for name in ("user", "from", "until")]
                     + [html.Th("")])
    body = [
        html.Tr([
            html.Td(lock.username),
            html.Td(lock.client_addr or t("adm_every_address", lang)),
            html.Td(fmt.moment(lock.until_ms, now_ms, tz, seconds=False)),
            html.Td(html.Button(t("adm_unlock", lang), n_clicks=0,
                                id={"type": ADM_UNLOCK, "user": lock.username},
                                className="button button--small")
                    if lock.username in known else ""),
        ], **fmt.data_attributes(user=lock.username, scope=lock.scope))
        for lock in locks
    ]
    return html.Table([html.Thead(header), html.Tbody(body)], className="table adm-locks")


def build_logout_everywhere(csrf_token: str | None, logout_url: str, lang: str) -> html.Form:
    """A form posting to /logout with everywhere=1: ends every session of the admin."""
    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=csrf_token or ""),
        dcc.Input(type="hidden", name="everywhere", value="1"),
        html.Button(t("adm_logout_everywhere", lang), id=ADM_LOGOUT_EVERYWHERE,
                    type="submit", className="button button--plain"),
    ], method="POST", action=logout_url, className="form__buttons")


# -- wall screens -----------------------------------------------------------------------


def build_displays(
    rows: Sequence[DisplayRow], now_ms: int, lang: str, tz: str,
    views: Mapping[int, str] | None = None,
) -> Component:
    """``views``: view id -> name, for the column of the view each screen shows."""
    if not rows:
        return html.P(t("adm_no_displays", lang), className="muted")
    header = html.Tr([html.Th(t(f"adm_col_{name}", lang))
                      for name in ("screen", "status", "last", "addr", "page", "created",
                                   "language", "view")]
                     + [html.Th("")])
    names = views or {}
    body = [_display_row(row, now_ms, lang, tz, names) for row in rows]
    return html.Table([html.Thead(header), html.Tbody(body)], className="table adm-displays")


def _display_row(
    row: DisplayRow, now_ms: int, lang: str, tz: str, views: Mapping[int, str],
) -> html.Tr:
    state = screen_state(row, now_ms)
    last = "–" if row.last_seen_at_ms is None else (
        f"{fmt.clock_time(row.last_seen_at_ms, now_ms, tz)} · "
        + t("adm_ago", lang, age=fmt.age(now_ms - row.last_seen_at_ms)))
    return html.Tr([
        html.Td(row.name, className="adm-displays__name"),
        html.Td(status_text(row, state, now_ms, lang, tz),
                className=f"adm-screen adm-screen--{state.value}"),
        html.Td(last),
        html.Td(row.last_addr or "–", title=row.last_user_agent or ""),
        html.Td(row.last_page or "–"),
        html.Td(t("adm_by", lang, time=fmt.short_time(row.created_at_ms, now_ms, tz),
                  user=row.created_by)),
        html.Td(t(f"adm_lang_{row.language or 'default'}", lang)),
        html.Td(t("adm_view_whole_site", lang) if row.view_id is None
                else views.get(row.view_id, "–"), className="adm-displays__view"),
        html.Td(_revoke(row, lang)),
    ], id={"type": ADM_DISPLAY_ROW, "display": row.id},
        className="adm-displays__row--revoked" if row.revoked else "",
        **fmt.data_attributes(state=state.value))


def status_text(
    row: DisplayRow, state: ScreenState, now_ms: int, lang: str, tz: str
) -> str:
    if state is ScreenState.REVOKED and row.revoked_at_ms is not None:
        when = t("adm_by", lang, time=fmt.short_time(row.revoked_at_ms, now_ms, tz),
                 user=row.revoked_by or "?")
        return f"{t('adm_screen_revoked', lang)} {when}"
    if state is ScreenState.NEVER or row.last_seen_at_ms is None:
        return t("adm_screen_never", lang)
    if state is ScreenState.OK:
        return t("adm_screen_ok", lang)
    return t("adm_screen_stopped", lang, age=fmt.age(now_ms - row.last_seen_at_ms))


def _revoke(row: DisplayRow, lang: str) -> Component | str:
    if row.revoked:
        return ""
    return dcc.ConfirmDialogProvider(
        html.Button(t("adm_revoke", lang), className="button button--small button--danger"),
        id={"type": ADM_DISPLAY_REVOKE, "display": row.id},
        message=t("adm_revoke_confirm", lang, name=row.name),
    )


def build_display_form(lang: str) -> html.Div:
    return html.Div([
        html.Div([
            _field("adm_display_name", dcc.Input(id=ADM_DISPLAY_NAME, type="text",
                                                 maxLength=100, className="input",
                                                 autoComplete="off"), lang),
            # The screen's own language, kept on its token (?lang= in its address and
            # the switch on the screen change it later).
            _field("adm_col_language", dcc.Dropdown(
                id=ADM_DISPLAY_LANG, clearable=False, searchable=False, value="default",
                options=[{"label": t(f"adm_lang_{code}", lang), "value": code}
                         for code in ("default", *LANGUAGES)]), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("adm_create_display", lang), id=ADM_DISPLAY_CREATE,
                             className="button"), className="form__buttons"),
    ], className="form")


def build_token_panel(token: NewToken, lang: str) -> html.Div:
    """The new token's address, shown once (it is not stored anywhere)."""
    return html.Div([
        html.P(t("adm_token_once", lang, name=token.name)),
        html.Code(token.url, className="adm-token__url"),
        html.P(t("adm_token_rotate", lang, example=ROTATE_EXAMPLE), className="muted"),
    ], className="adm-token", role="status")


# -- audit log --------------------------------------------------------------------------


def audit_kind_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(_AUDIT_KIND_KEYS.get(kind, f"adm_kind_{kind}"), lang), "value": kind}
            for kind in AUDIT_KINDS]


def audit_range_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"adm_range_{name}", lang), "value": name} for name in AUDIT_RANGES]


def audit_since(range_name: Any, now_ms: int) -> int | None:
    """The start of a range picked in the filter (unknown: the default range)."""
    span = AUDIT_RANGES.get(range_name, AUDIT_RANGES[DEFAULT_RANGE]) \
        if isinstance(range_name, str) else AUDIT_RANGES[DEFAULT_RANGE]
    return None if span is None else now_ms - span


def build_audit_filters(lang: str) -> html.Div:
    return html.Div([
        dcc.Input(id=ADM_AUDIT_ACTOR, type="text", debounce=True, className="input",
                  placeholder=t("adm_filter_actor", lang)),
        dcc.Dropdown(id=ADM_AUDIT_ACTION, options=audit_kind_options(lang),
                     placeholder=t("adm_filter_action", lang), className="dropdown"),
        dcc.Dropdown(id=ADM_AUDIT_RANGE, options=audit_range_options(lang),
                     value=DEFAULT_RANGE, clearable=False, className="dropdown"),
    ], className="adm-audit__filters")


def build_audit(rows: Sequence[AuditRow], now_ms: int, lang: str, tz: str) -> Component:
    if not rows:
        return html.P(t("adm_no_audit", lang), className="muted")
    header = html.Tr([html.Th(t(f"adm_col_{name}", lang))
                      for name in ("time", "actor", "action", "target", "change")])
    body = [
        html.Tr([
            html.Td(fmt.moment(row.ts_ms, now_ms, tz)),
            html.Td([fmt.actor_text(row.actor, lang),
                     html.Span(f" {row.client_addr}", className="muted")
                     if row.client_addr else ""]),
            html.Td(row.action), html.Td(row.target), html.Td(build_change(row, lang)),
        ], **fmt.data_attributes(action=row.action))
        for row in rows
    ]
    table = html.Table([html.Thead(header), html.Tbody(body)], className="table adm-audit")
    if len(rows) < AUDIT_LIMIT:
        return table
    return html.Div([table, html.P(t("adm_audit_limit", lang, n=AUDIT_LIMIT), className="muted")])


def build_change(row: AuditRow, lang: str) -> Component | str:
    """The change as one line per field that changed (``warning: 15 s → 20 s``); a
    creation or deletion lists the fields it had. Nothing for an action without
    before and after (a password change)."""
    lines = change_lines(row, lang)
    if not lines:
        return ""
    return html.Ul([html.Li(line, className="adm-diff__line") for line in lines],
                   className="adm-diff")


def change_text(row: AuditRow, lang: str = "en") -> str:
    """The change's lines joined with "; " (one cell of text)."""
    return "; ".join(change_lines(row, lang))


# Bookkeeping that changes with every edit: not what anyone changed.
_UNSHOWN = frozenset({"id", "version", "builtin"})
# The unit of a value by its field's suffix, and of a rule's thresholds by its metric's.
_SUFFIX_UNITS = (("_pct", " %"), ("_ms", " ms"), ("_s", " s"))
_THRESHOLDS = frozenset({"warning", "critical", "recovery_warning", "recovery_critical"})


def change_lines(row: AuditRow, lang: str) -> list[str]:
    before, after = _flat(row.before), _flat(row.after)
    metric = next((str(value) for doc in (after, before) for key, value in doc.items()
                   if key.rsplit(".", 1)[-1] == "metric"), "")
    lines = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: k.removeprefix("spec.")):
        if key.rsplit(".", 1)[-1] in _UNSHOWN:
            continue
        old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if old == new:
            continue
        unit = _unit(key, metric)
        name = _field_name(key.removeprefix("spec."), lang)
        if row.before is None:  # a creation: what it was created with
            lines.append(f"{name}: {_value(new, unit, lang)}")
        elif row.after is None:  # a deletion: what it had
            lines.append(f"{name}: {_value(old, unit, lang)}")
        else:
            lines.append(f"{name}: {_value(old, unit, lang)} → {_value(new, unit, lang)}")
    return lines


_ABSENT = object()


def _flat(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``spec.scope.entity_kind``); lists stay whole."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        return {prefix or "value": doc}
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(_flat(value, name))
        else:
            flat[name] = value
    return flat


def _unit(key: str, metric: str) -> str:
    field = key.rsplit(".", 1)[-1]
    named = metric if field in _THRESHOLDS else field
    return next((unit for suffix, unit in _SUFFIX_UNITS if named.endswith(suffix)), "")


def _value(value: Any, unit: str, lang: str) -> str:
    if value is None or value is _ABSENT:
        return "–"
    if isinstance(value, bool):
        return t("lay_yes" if value else "lay_no", lang)
    if isinstance(value, int | float):
        return f"{value:g}{unit}"
    if isinstance(value, str):
        return _stored_word(value, lang)
    return _short(value, 80)


# The texts a changed field's name and an enumerated value are shown with, where the
# catalog has one (the rule form's and the user table's own words); others stay as stored.
_FIELD_TEXTS = ("thr_field_{}", "thr_col_{}", "adm_col_{}")
_VALUE_TEXTS = ("thr_direction_{}", "thr_active_{}", "thr_kind_{}", "adm_role_{}")


def _field_name(name: str, lang: str) -> str:
    last = name.rsplit(".", 1)[-1]
    return next((t(key.format(last), lang) for key in _FIELD_TEXTS if has(key.format(last))),
                name)


def _stored_word(value: str, lang: str) -> str:
    """An enumerated value in the reader's words; English the product stored itself (a
    shipped rule's name) translated; anything a person typed as typed."""
    return next((t(key.format(value), lang) for key in _VALUE_TEXTS
                 if value.isidentifier() and has(key.format(value))), stored_name(value, lang))


def _short(doc: Any, limit: int = 160) -> str:
    text = json.dumps(doc, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
