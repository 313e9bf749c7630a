"""What a notification says, how it reads in English and Swedish, and how delivery fails.

A channel turns a `Message` (several `Notification`s grouped into one) into what its kind
sends (an email, a webhook call). It raises `DeliveryError` saying whether trying again
can help.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from alerts.model import Severity  # declared once, with the rules
from specs import (
    sitetime,  # every time in the site's zone, as the pages show it
    text,  # every user-facing text, one catalog
)
from specs.languages import Lang  # the languages messages are written in (the site's)


class NotificationKind(StrEnum):
    """Why a notification is sent."""

    FIRING = "firing"  # the alert just started firing (or escalated)
    RESOLVED = "resolved"  # the alert is back to OK
    REPEAT = "repeat"  # still firing after the repeat interval, not acknowledged
    TEST = "test"  # an admin pressed "send test message"


@dataclass(frozen=True)
class Notification:
    """One alert's news. `since_ms` is epoch milliseconds of when the state `kind` describes
    began: the start of firing for firing/repeat, the moment of resolution for resolved.
    `value` is None when there is no data (a no-data alert)."""

    alert_id: str
    rule_name: str
    severity: Severity
    kind: NotificationKind
    entity: str
    value: float | None
    threshold: float | None
    unit: str
    since_ms: int
    link: str
    # The value is a counter the Trio server counts from a failover (the secondary server
    # starts its counters at the switchover), since ``failover_since_ms`` when known.
    failover: bool = False
    failover_since_ms: int | None = None


def to_payload(notification: Notification) -> dict[str, object]:
    """The JSON-able form stored in the notification outbox."""
    return {
        "alert_id": notification.alert_id,
        "rule_name": notification.rule_name,
        "severity": notification.severity.value,
        "kind": notification.kind.value,
        "entity": notification.entity,
        "value": notification.value,
        "threshold": notification.threshold,
        "unit": notification.unit,
        "since_ms": notification.since_ms,
        "link": notification.link,
        "failover": notification.failover,
        "failover_since_ms": notification.failover_since_ms,
    }


def from_payload(payload: Mapping[str, Any]) -> Notification:
    """Read back ``to_payload``; raises ``ValueError``/``KeyError`` on a malformed row."""
    value, threshold = payload["value"], payload["threshold"]
    return Notification(
        alert_id=str(payload["alert_id"]),
        rule_name=str(payload["rule_name"]),
        severity=Severity(payload["severity"]),
        kind=NotificationKind(payload["kind"]),
        entity=str(payload["entity"]),
        value=None if value is None else float(value),
        threshold=None if threshold is None else float(threshold),
        unit=str(payload["unit"]),
        since_ms=int(payload["since_ms"]),
        link=str(payload["link"]),
        # Rows queued before failover labels existed lack both keys.
        failover=bool(payload.get("failover", False)),
        failover_since_ms=None if payload.get("failover_since_ms") is None
        else int(payload["failover_since_ms"]),
    )


@dataclass(frozen=True)
class Item:
    """One notification rendered: a title line and labelled facts, for every format."""

    title: str
    facts: tuple[tuple[str, str], ...]
    link: str


@dataclass(frozen=True)
class Message:
    """Notifications grouped into one message, with their text in the site's language."""

    notifications: tuple[Notification, ...]
    subject: str
    body: str
    items: tuple[Item, ...]
    lang: Lang
    tz: str


class DeliveryError(Exception):
    """A failed delivery. `permanent`: a person must act (bad address, refused credentials,
    a 4xx from a webhook); trying again will not help. Otherwise it is transient and worth
    retrying, no sooner than `retry_after_s` when that is given."""

    def __init__(
        self, message: str, *, permanent: bool, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after_s = retry_after_s

    def __str__(self) -> str:
        return self.message


class Channel(Protocol):
    """Somewhere messages go. `deliver` returns when the receiver accepted the message and
    raises `DeliveryError` otherwise (never anything else for an expected failure)."""

    async def deliver(self, message: Message) -> None: ...




def _w(key: str, lang: Lang, **fields: object) -> str:
    """A notification's text ``ntf_<key>`` from the catalog (specs/locale/)."""
    return text.t(f"ntf_{key}", lang, **fields)


_KIND_ORDER = (
    NotificationKind.FIRING,
    NotificationKind.REPEAT,
    NotificationKind.RESOLVED,
    NotificationKind.TEST,
)
_SUBJECT_NAMES = 3  # alerts named in a subject before "…"
# Names come from people and from the Trio server: any of them may hold a line break or
# a control character. In a header that raises inside the email library (and fails the
# whole grouped message); in a card it breaks the layout.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_MAX_CHARS = 250
NAME_MAX_CHARS = 200


def one_line(text: str, max_chars: int = SUBJECT_MAX_CHARS) -> str:
    """``text`` safe for one line and a mail header: every control character and line
    break (C0, DEL, C1, U+2028/9) becomes a space, runs of spaces one, and at most
    ``max_chars`` characters (cut with "…"). The one sanitiser of headers and names."""
    flat = " ".join(_CONTROL_RE.sub(" ", text).split())
    if len(flat) <= max_chars:
        return flat
    return flat[: max_chars - 1].rstrip() + "…"


def more_text(hidden: int, lang: Lang) -> str:
    """"… and 12 more" in ``lang``."""
    return _w("more", lang, n=hidden)


def parse_lang(lang: str) -> Lang:
    try:
        return Lang(lang)
    except ValueError:
        raise ValueError(f"unknown language {lang!r}: expected 'en' or 'sv'") from None


def zone(tz: str) -> ZoneInfo:
    """The time zone named `tz`; `ValueError` naming it if it is unknown."""
    return sitetime.site_zone(tz)


def make_test_notification(now_ms: int, *, link: str = "") -> Notification:
    """The notification a "send test message" button sends."""
    return Notification(
        alert_id="test",
        rule_name="Test",
        severity=Severity.WARNING,
        kind=NotificationKind.TEST,
        entity="",
        value=None,
        threshold=None,
        unit="",
        since_ms=now_ms,
        link=link,
    )


def render_message(notifications: Sequence[Notification], lang: str, tz: str) -> Message:
    """Group `notifications` into one `Message`: firing first, critical before warning."""
    if not notifications:
        raise ValueError("a message needs at least one notification")
    language = parse_lang(lang)
    zone(tz)
    ordered = tuple(sorted(notifications, key=_order))
    subject, body = _render(ordered, language, tz)
    items = tuple(render_item(n, language, tz) for n in ordered)
    return Message(ordered, subject, body, items, language, tz)


def render_text(notifications: Sequence[Notification], lang: str, tz: str) -> tuple[str, str]:
    """(subject, body) of one message about all `notifications`, in `lang` ("en"/"sv"),
    times in `tz`. Raises `ValueError` for an empty list, an unknown language or zone."""
    message = render_message(notifications, lang, tz)
    return message.subject, message.body


def render_item(n: Notification, lang: Lang, tz: str) -> Item:
    """One notification as a title and facts (value, since when), in `lang`."""
    when = format_time(n.since_ms, tz)
    if n.kind is NotificationKind.TEST:
        return Item(_w("test_body", lang), ((_w("sent", lang), when),), n.link)
    label = _w("resolved_title" if n.kind is NotificationKind.RESOLVED else n.severity.value,
               lang)
    # A shipped rule's name in the message's language (a name someone typed as typed).
    names = (one_line(text.stored_name(n.rule_name, lang), NAME_MAX_CHARS),
             one_line(n.entity, NAME_MAX_CHARS))
    title = " · ".join(part for part in (label, *names) if part)
    facts: list[tuple[str, str]] = []
    if n.value is not None or n.kind is not NotificationKind.RESOLVED:
        value = format_value(n.value, n.unit, lang)
        if n.threshold is not None:
            value += f" ({_w('threshold', lang)} {format_value(n.threshold, n.unit, lang)})"
        facts.append((_w("value", lang), value))
    since = _w("resolved_at" if n.kind is NotificationKind.RESOLVED else "since", lang)
    facts.append((since, when))
    if n.failover:
        note = _w("failover_unknown", lang) if n.failover_since_ms is None else _w(
            "failover_since", lang, time=format_time(n.failover_since_ms, tz))
        facts.append((_w("failover", lang), note))
    return Item(title, tuple(facts), n.link)


def format_value(value: float | None, unit: str, lang: Lang) -> str:
    """`value` with at most two decimals, a decimal comma in Swedish, and its unit."""
    if value is None:
        return _w("no_data", lang)
    if not math.isfinite(value):
        text = str(value)
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        if text == "-0":
            text = "0"
        if lang is Lang.SV:
            text = text.replace(".", ",")
    if not unit:
        return text
    if unit == "%" and lang is Lang.EN:  # "82.5%" in English, "82,5 %" in Swedish
        return f"{text}%"
    return f"{text} {unit}"


def format_time(epoch_ms: int, tz: str) -> str:
    """Local time in the site's zone `tz` with its abbreviation, e.g.
    "2024-03-05 14:03:07 CET": a message is read anywhere."""
    return sitetime.stamp(epoch_ms, tz)


def _order(n: Notification) -> tuple[int, int]:
    return _KIND_ORDER.index(n.kind), 0 if n.severity is Severity.CRITICAL else 1


def _render(ordered: tuple[Notification, ...], lang: Lang, tz: str) -> tuple[str, str]:
    items = [render_item(n, lang, tz) for n in ordered]
    if all(n.kind is NotificationKind.TEST for n in ordered):
        subject = _w("test_subject", lang)
    else:
        subject = _subject(ordered, lang)
    blocks = []
    for item in items:
        lines = [item.title, *(f"  {label}: {value}" for label, value in item.facts)]
        if item.link:
            lines.append(f"  {_w('link', lang)}: {item.link}")
        blocks.append("\n".join(lines))
    return subject, "\n\n".join(blocks) + "\n"


def _subject(ordered: tuple[Notification, ...], lang: Lang) -> str:
    """E.g. "3 alerts firing: Longest wait (Kundtjänst), …", or counts per kind when mixed."""
    counts: Counter[NotificationKind] = Counter(
        n.kind for n in ordered if n.kind is not NotificationKind.TEST
    )
    parts = []
    for kind in _KIND_ORDER:
        count = counts[kind]
        if count:
            parts.append(text.tn(f"ntf_count_{kind.value}", count, lang))
    rules = [text.stored_name(n.rule_name, lang) for n in ordered]
    names = [f"{rule} ({n.entity})" if n.entity else rule for rule, n in zip(rules, ordered,
                                                                                strict=True)]
    shown = ", ".join(names[:_SUBJECT_NAMES])
    if len(names) > _SUBJECT_NAMES:
        shown += ", …"
    prefix = ""
    if counts[NotificationKind.FIRING] or counts[NotificationKind.REPEAT]:
        prefix = f"[{_w(ordered[0].severity.value, lang)}] "  # the worst: critical sorts first
    return one_line(f"{prefix}{', '.join(parts)}: {shown}")
