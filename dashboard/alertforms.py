"""The actions of /alerts: acknowledge, create and end silences, queue a test message.

Plain functions over the forms' raw values (browser data: anything may arrive), so the
page's callbacks stay thin and the rules are testable without a browser. Role checks are
the caller's (the page callbacks); every function here takes the user already checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.notify.message import NotificationKind, make_test_notification, to_payload
from storage import AlertNotOpen, OutboxItem, StorageUnavailable, UnknownSilence

from .alertsmodel import AlertsData, AlertsModel
from .components import format as fmt
from .components.alerts import (
    DURATIONS_MIN,
    MAX_COMMENT_CHARS,
    MAX_REASON_CHARS,
    alert_label,
    rule_name,
)
from .i18n import t

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action says, and whether it changed something (the tables then refresh)."""

    message: str
    changed: bool = False
    done: bool = False  # the form's input may be cleared (success, or nothing to retry)


# -- acknowledging ------------------------------------------------------------------------


def picked(target: Any) -> tuple[int, str, str] | None:
    """(rule id, series key, alert id) of the picked alert, or None. Anything malformed
    counts as nothing picked."""
    if not isinstance(target, dict):
        return None
    rule_id, series_key, alert_id = (target.get(key)
                                     for key in ("rule_id", "series_key", "alert_id"))
    if (isinstance(rule_id, bool) or not isinstance(rule_id, int)
            or not isinstance(series_key, str) or not isinstance(alert_id, str)):
        return None
    return rule_id, series_key, alert_id


def pick(button_id: dict[str, Any]) -> dict[str, Any]:
    """The stored choice for an "acknowledge" button's id."""
    return {"rule_id": button_id.get("rule"), "series_key": button_id.get("series"),
            "alert_id": button_id.get("alert")}


def label(data: AlertsData, rule_id: int, series_key: str, lang: str) -> str:
    state = data.state(rule_id, series_key)
    if state is not None:
        return alert_label(state, data.rule_names, lang)
    return f"{rule_name(rule_id, data.rule_names, lang)} · {series_key}"


def acknowledge(
    model: AlertsModel, target: Any, comment: Any, *, user: str, lang: str, now_ms: int,
    client_addr: str | None,
) -> Outcome:
    """Acknowledge the picked alert as ``user``. If it resolved (or a new alert opened
    for the series) meanwhile the store refuses, and the message says so."""
    choice = picked(target)
    if choice is None:
        return Outcome(t("alr_ack_gone", lang), done=True)
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > MAX_COMMENT_CHARS:
        return Outcome(t("alr_comment_too_long", lang, n=MAX_COMMENT_CHARS))
    rule_id, series_key, alert_id = choice
    name = label(model.data(), rule_id, series_key, lang)
    try:
        model.store.acknowledge(rule_id, series_key, alert_id=alert_id, user=user,
                                comment=text, now_ms=now_ms, client_addr=client_addr)
    except AlertNotOpen:
        return Outcome(t("alr_ack_not_open", lang, alert=name), changed=True, done=True)
    except StorageUnavailable as err:
        return Outcome(t("alr_db_error", lang, error=str(err)))
    return Outcome(t("alr_acked_done", lang, alert=name), changed=True, done=True)


# -- silences -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SilenceRequest:
    rule_id: int | None
    source: str | None
    entity_kind: str | None
    entity_ids: tuple[str, ...]
    duration_ms: int
    reason: str


def parse_silence(rule: Any, source: Any, kind: Any, entities: Any, duration: Any,
                  reason: Any, *, rule_names: dict[int, str]) -> SilenceRequest | str:
    """The form's values as a request, or the text key of what is wrong. Chosen entities
    (series keys ``source|kind|id``) must share one source and kind, which then scope
    the silence; the source and kind fields, when set, must agree with them."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        return "alr_reason_required"
    if len(text) > MAX_REASON_CHARS:
        return "alr_reason_too_long"
    if isinstance(duration, bool) or duration not in DURATIONS_MIN:
        return "alr_bad_duration"
    if rule is not None and (isinstance(rule, bool) or rule not in rule_names):
        return "alr_unknown_rule"
    source, kind, keys = source or None, kind or None, entities or []
    if (not _optional_text(source) or not _optional_text(kind)
            or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)):
        return "alr_bad_entities"
    parts = [key.split("|", 2) for key in keys]
    scopes = {(part[0], part[1]) for part in parts if len(part) == 3}
    if len(scopes) > 1 or any(len(part) != 3 or not part[2] for part in parts):
        return "alr_bad_entities"
    if scopes:
        [(entity_source, entity_kind)] = scopes
        if source not in (None, entity_source) or kind not in (None, entity_kind):
            return "alr_bad_entities"
        source, kind = entity_source, entity_kind
    return SilenceRequest(
        rule_id=rule, source=source, entity_kind=kind,
        entity_ids=tuple(dict.fromkeys(part[2] for part in parts)),
        duration_ms=int(duration) * MINUTE_MS, reason=text,
    )


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def create_silence(
    model: AlertsModel, values: tuple[Any, ...], *, user: str, lang: str, now_ms: int,
    client_addr: str | None, tz: str,
) -> Outcome:
    """``values``: the form's rule, source, kind, entities, duration and reason. The
    silence starts now; ``tz``: the site's zone, of the end time shown."""
    request = parse_silence(*values, rule_names=model.data().rule_names)
    if isinstance(request, str):
        return Outcome(t(request, lang, n=MAX_REASON_CHARS))
    try:
        silence = model.store.create_silence(
            rule_id=request.rule_id, source=request.source, entity_kind=request.entity_kind,
            entity_ids=request.entity_ids, starts_at_ms=now_ms,
            ends_at_ms=now_ms + request.duration_ms, reason=request.reason,
            actor=user, now_ms=now_ms, client_addr=client_addr)
    except ValueError as err:  # the store's own check of the period and the reason
        return Outcome(str(err))
    except StorageUnavailable as err:
        return Outcome(t("alr_db_error", lang, error=str(err)))
    return Outcome(t("alr_silence_created", lang,
                     time=fmt.short_time(silence.ends_at_ms, now_ms, tz)), changed=True, done=True)


def end_silence(
    model: AlertsModel, silence_id: Any, *, user: str, lang: str, now_ms: int,
    client_addr: str | None,
) -> Outcome:
    if isinstance(silence_id, bool) or not isinstance(silence_id, int):
        return Outcome(t("alr_unknown_silence", lang, id=silence_id))
    try:
        model.store.end_silence(silence_id, actor=user, now_ms=now_ms,
                                client_addr=client_addr)
    except UnknownSilence:
        return Outcome(t("alr_unknown_silence", lang, id=silence_id))
    except StorageUnavailable as err:
        return Outcome(t("alr_db_error", lang, error=str(err)))
    return Outcome(t("alr_silence_ended", lang, id=silence_id), changed=True)


# -- test messages ------------------------------------------------------------------------


def requested_tests(tests: Any) -> dict[str, int]:
    """The page's record of the test messages it asked for ({channel: outbox id})."""
    if not isinstance(tests, dict):
        return {}
    return {channel: row_id for channel, row_id in tests.items()
            if isinstance(channel, str) and isinstance(row_id, int)
            and not isinstance(row_id, bool)}


def request_test(
    model: AlertsModel, channel: Any, *, user: str, link: str, lang: str, now_ms: int,
) -> tuple[int | None, str]:
    """Queue a test message for ``channel`` (the collector delivers it). Returns its
    outbox id (None if nothing was queued) and what to say."""
    if not isinstance(channel, str) or channel not in {c.name for c in model.data().channels}:
        return None, t("alr_unknown_channel", lang, channel=channel)
    item = OutboxItem(
        channel=channel, kind=NotificationKind.TEST.value, alert_id=None,
        payload=to_payload(make_test_notification(now_ms, link=link)), due_at_ms=now_ms,
        requested_by=user,
    )
    try:
        [row_id] = model.store.enqueue([item], now_ms=now_ms)
    except StorageUnavailable as err:
        return None, t("alr_db_error", lang, error=str(err))
    return row_id, t("alr_test_requested", lang, channel=channel)
