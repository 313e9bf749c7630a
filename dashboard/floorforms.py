"""The actions of /alerts' floor forms: post and withdraw messages, plan and end
maintenance. Plain functions over the forms' raw values (browser data: anything may
arrive), so the page's callbacks stay thin. Role checks are the callers'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.maintenance import first_instant
from storage import (
    FLOOR_MESSAGE_MAX,
    MaintenanceRow,
    MaintenanceScope,
    MaintenanceStore,
    StorageUnavailable,
    UnknownMaintenance,
    UnknownMessage,
    Weekly,
)

from .alertforms import Outcome, SilenceRequest, parse_silence
from .components import format as fmt
from .components.alerts import DURATIONS_MIN
from .floormodel import FloorModel
from .i18n import t

log = logging.getLogger(__name__)

# How long a message is shown, in minutes (the form's choices).
EXPIRIES_MIN = (15, 30, 60, 120, 240, 480, 1440)
DEFAULT_EXPIRY_MIN = 60
REPEAT_ONCE = "once"
REPEAT_WEEKLY = "weekly"
MINUTE_MS = 60_000
# The silence form's checks want a duration; a maintenance plan has its own times.
_ANY_DURATION = DURATIONS_MIN[0]


# -- messages -------------------------------------------------------------------------------


def post_message(
    model: FloorModel, text: Any, expiry: Any, screens: Any, *, user: str, lang: str,
    now_ms: int, client_addr: str | None, tz: str,
) -> Outcome:
    """Post from the form's raw values: a text, minutes from ``EXPIRIES_MIN``, display
    ids (none or empty: every screen) of live tokens."""
    body = text.strip() if isinstance(text, str) else ""
    if not body:
        return Outcome(t("flr_text_required", lang))
    if len(body) > FLOOR_MESSAGE_MAX:
        return Outcome(t("flr_text_too_long", lang, n=FLOOR_MESSAGE_MAX))
    if isinstance(expiry, bool) or expiry not in EXPIRIES_MIN:
        return Outcome(t("flr_bad_expiry", lang))
    chosen = screens or []
    live = {d.id for d in model.data().displays}
    if (not isinstance(chosen, list)
            or any(isinstance(d, bool) or not isinstance(d, int) or d not in live
                   for d in chosen)):
        return Outcome(t("flr_bad_screens", lang))
    try:
        posted = model.messages.post(body, displays=chosen,
                                     expires_at_ms=now_ms + int(expiry) * MINUTE_MS,
                                     actor=user, now_ms=now_ms, client_addr=client_addr)
    except StorageUnavailable as err:
        return Outcome(t("flr_db_error", lang, error=str(err)))
    log.info("floor message %d posted by %s until %d", posted.id, user, posted.expires_at_ms)
    return Outcome(t("flr_posted", lang, time=fmt.short_time(posted.expires_at_ms, now_ms, tz)),
                   changed=True, done=True)


def withdraw_message(
    model: FloorModel, message_id: Any, *, user: str, lang: str, now_ms: int,
    client_addr: str | None,
) -> Outcome:
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        return Outcome(t("flr_unknown_message", lang, id=message_id))
    try:
        model.messages.withdraw(message_id, actor=user, now_ms=now_ms, client_addr=client_addr)
    except UnknownMessage:
        return Outcome(t("flr_unknown_message", lang, id=message_id))
    except StorageUnavailable as err:
        return Outcome(t("flr_db_error", lang, error=str(err)))
    return Outcome(t("flr_withdrawn", lang, id=message_id), changed=True)


# -- maintenance ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaintenancePlan:
    scope: MaintenanceScope
    reason: str
    once: tuple[int, int] | None
    weekly: Weekly | None


def parse_maintenance(
    scope_values: tuple[Any, ...], repeat: Any, day: Any, weekday: Any, start: Any, end: Any,
    *, rule_names: dict[int, str], tz: str,
) -> MaintenancePlan | str:
    """The form's values as a plan, or the text key of what is wrong. ``scope_values``:
    rule, source, kind, entities and reason, checked as the silence form's are; times are
    HH:MM in the site's zone ``tz``; ``day`` (once) is YYYY-MM-DD, ``weekday`` (weekly)
    0-6. An end at or before the start is on the next day."""
    scoped = parse_scope(scope_values, rule_names=rule_names)
    if isinstance(scoped, str):
        return scoped
    scope, reason = scoped
    start_minute, end_minute = _minute(start), _minute(end)
    if start_minute is None or end_minute is None or start_minute == end_minute:
        return "flr_bad_time"
    if repeat == REPEAT_WEEKLY:
        weekly = weekly_window(weekday, start, end, tz)
        return weekly if isinstance(weekly, str) else MaintenancePlan(scope, reason, None,
                                                                      weekly)
    if repeat != REPEAT_ONCE:
        return "flr_bad_repeat"
    first = _date(day)
    if first is None:
        return "flr_bad_date"
    zone = ZoneInfo(tz)
    last = first + timedelta(days=1) if end_minute <= start_minute else first
    return MaintenancePlan(scope, reason,
                           (first_instant(first, start_minute, zone),
                            first_instant(last, end_minute, zone)), None)


# The checks below are shared by the form above and ``trio-monitor maintenance add``
# (trio_monitor/maintenance_cli.py): one place for what a valid plan is.


def parse_scope(
    scope_values: tuple[Any, ...], *, rule_names: dict[int, str]
) -> tuple[MaintenanceScope, str] | str:
    """``(scope, reason)`` from rule id, source, kind, entities (series keys
    ``source|kind|id``) and reason, checked as the silence form's are; else the text key
    of what is wrong."""
    rule, source, kind, entities, reason = scope_values
    request = parse_silence(rule, source, kind, entities, _ANY_DURATION, reason,
                            rule_names=rule_names)
    if isinstance(request, str):
        return request
    return _scope(request), request.reason


def weekly_window(weekday: Any, start: Any, end: Any, tz: str) -> Weekly | str:
    """Every ``weekday`` (0 = Monday) from ``start`` to ``end`` (HH:MM local to ``tz``;
    an end at or before the start is on the next day); else the text key of what is
    wrong."""
    start_minute, end_minute = _minute(start), _minute(end)
    if start_minute is None or end_minute is None or start_minute == end_minute:
        return "flr_bad_time"
    if isinstance(weekday, bool) or weekday not in range(7):
        return "flr_bad_weekday"
    return Weekly((weekday,), start_minute, end_minute, tz)


def once_period(start: Any, end: Any, tz: str) -> tuple[int, int] | str:
    """``(start_ms, end_ms)`` from two local times ``YYYY-MM-DD HH:MM`` (or with a
    ``T``) in ``tz``; a time the clocks skip is the moment of the jump. Else the text
    key of what is wrong: not such a time, or an end not after the start."""
    first, last = _local_minute(start), _local_minute(end)
    if first is None or last is None:
        return "mnt_bad_datetime"
    zone = ZoneInfo(tz)
    start_ms = first_instant(first[0], first[1], zone)
    end_ms = first_instant(last[0], last[1], zone)
    if end_ms <= start_ms:
        return "mnt_end_before_start"
    return start_ms, end_ms


def store_plan(
    store: MaintenanceStore, plan: MaintenancePlan, *, actor: str, lang: str, now_ms: int,
    client_addr: str | None,
) -> MaintenanceRow | str:
    """Store ``plan`` (audited by the store); else what is wrong, in ``lang``. May raise
    ``StorageUnavailable``."""
    try:
        return store.create(plan.scope, reason=plan.reason, actor=actor, now_ms=now_ms,
                            once=plan.once, weekly=plan.weekly, client_addr=client_addr)
    except ValueError as err:
        if "over already" in str(err):
            return t("flr_maintenance_past", lang)
        return str(err)


def plan_maintenance(
    model: FloorModel, plan: MaintenancePlan | str, *, user: str, lang: str, now_ms: int,
    client_addr: str | None, describe: Callable[[MaintenanceRow], str],
) -> Outcome:
    """Store ``plan`` (or say what was wrong with the form); ``describe(row)`` is how
    the page words its time."""
    if isinstance(plan, str):
        return Outcome(t(plan, lang, n=500))
    try:
        row = store_plan(model.maintenance, plan, actor=user, lang=lang, now_ms=now_ms,
                         client_addr=client_addr)
    except StorageUnavailable as err:
        return Outcome(t("flr_db_error", lang, error=str(err)))
    if isinstance(row, str):
        return Outcome(row)
    return Outcome(t("flr_maintenance_planned", lang, when=describe(row)),
                   changed=True, done=True)


def end_maintenance(
    model: FloorModel, window_id: Any, *, user: str, lang: str, now_ms: int,
    client_addr: str | None,
) -> Outcome:
    if isinstance(window_id, bool) or not isinstance(window_id, int):
        return Outcome(t("flr_unknown_maintenance", lang, id=window_id))
    try:
        model.maintenance.end(window_id, actor=user, now_ms=now_ms, client_addr=client_addr)
    except UnknownMaintenance:
        return Outcome(t("flr_unknown_maintenance", lang, id=window_id))
    except StorageUnavailable as err:
        return Outcome(t("flr_db_error", lang, error=str(err)))
    return Outcome(t("flr_maintenance_ended", lang, id=window_id), changed=True)


def _scope(request: SilenceRequest) -> MaintenanceScope:
    return MaintenanceScope(rule_id=request.rule_id, source=request.source,
                            entity_kind=request.entity_kind, entity_ids=request.entity_ids)


def _minute(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.strptime(value.strip(), "%H:%M")
    except ValueError:
        return None
    return parsed.hour * 60 + parsed.minute


def _local_minute(value: Any) -> tuple[date, int] | None:
    """``(day, minute of the day)`` of ``YYYY-MM-DD HH:MM`` (or ``YYYY-MM-DDTHH:MM``)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return moment.date(), moment.hour * 60 + moment.minute


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
