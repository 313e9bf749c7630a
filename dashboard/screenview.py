"""What a wall screen's display session sees of the alert data: no person's name, no
comment, no error text that may name a server.

A display token is a bearer secret on a screen in a shared room; if it leaks, it must not
hand out the usernames that a password guess needs or the infrastructure behind the
notifications. Pages call ``sees_people()`` and, when it is False, show the data through
these functions: who acknowledged or silenced becomes "a user", so the state itself
(acknowledged, silenced, failing) is still shown truthfully.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import flask

import auth
from storage import ChannelRow, EventRow, SilenceRow, StateRow

from .alertsmodel import AlertsData
from .i18n import Lang, language, t
from .readmodel import Snapshot


def sees_people() -> bool:
    """False for a display session (outside a request: True, e.g. Dash's validation)."""
    if not flask.has_request_context():
        return True
    user = auth.current_user()
    return user is None or not user.is_display


# Sent by assets/kiosk.js on every request of a tab that runs /kiosk's playlist, a
# logged-in user's as well as a display session's. It only changes how large charts are
# drawn, so a forged one is harmless (a user's own charts come out larger).
KIOSK_HEADER = "X-Trio-Kiosk"


def in_kiosk() -> bool:
    """The request comes from a wall screen in kiosk mode: a display session, or any
    tab that /kiosk started rotating (outside a request: False)."""
    if not flask.has_request_context():
        return False
    return not sees_people() or flask.request.headers.get(KIOSK_HEADER) == "1"


def wall_language(stored_lang: str | None, default: str) -> Lang:
    """The wall screen's language: a display session's is its token's (set in /admin or
    by the screen's own switch, which stores it there too), so a change made in /admin
    reaches the screen within a refresh; anyone else's is the page's own choice."""
    if flask.has_request_context():
        user = auth.current_user()
        if user is not None and user.is_display and user.language:
            return language(user.language, default)
    return language(stored_lang, default)


def someone(lang: str) -> str:
    return t("scr_someone", lang)


def states(rows: Iterable[StateRow], lang: str) -> tuple[StateRow, ...]:
    return tuple(replace(row, ack_by=someone(lang) if row.ack_by else None, ack_comment=None)
                 for row in rows)


def silences(rows: Iterable[SilenceRow], lang: str) -> tuple[SilenceRow, ...]:
    return tuple(replace(row, created_by=someone(lang),
                         ended_by=someone(lang) if row.ended_by else None)
                 for row in rows)


def events(rows: Iterable[EventRow], lang: str) -> tuple[EventRow, ...]:
    # An event with an actor is a person's doing (an acknowledgement): its reason is
    # their comment. The rules' own reasons (thresholds crossed) stay.
    return tuple(replace(row, actor=someone(lang), reason="") if row.actor else row
                 for row in rows)


def channels(rows: Iterable[ChannelRow]) -> tuple[ChannelRow, ...]:
    return tuple(replace(row, last_error=None) for row in rows)


def snapshot(snap: Snapshot, lang: str) -> Snapshot:
    """The wall screen's snapshot as a display session sees it."""
    return replace(snap, alert_states=states(snap.alert_states, lang),
                   silences=silences(snap.silences, lang))


def alerts(data: AlertsData, lang: str) -> AlertsData:
    """/alerts' data as a display session sees it."""
    return replace(data, states=states(data.states, lang),
                   silences=silences(data.silences, lang),
                   channels=channels(data.channels), events=events(data.events, lang))
