"""The source status strip: database, collector and source health, one line each."""

from __future__ import annotations

from dash import html

from specs.metrics import PARTIAL_PREFIX
from specs.text import stored

from ..i18n import t
from ..readmodel import Snapshot, SourceView
from ..status import AlertKind, source_alerts
from . import format as fmt


def build_status_strip(
    snapshot: Snapshot, now_ms: int, lang: str, tz: str
) -> list[html.Div]:
    """One line per alert, most serious first; an empty list when all is well. ``tz``:
    the site's zone, of every time shown."""
    return [_item(kind, _text(kind, snapshot, now_ms, lang, tz), lang)
            for kind in source_alerts(snapshot)]


def _item(kind: AlertKind, text: str, lang: str) -> html.Div:
    """One line: a long last error is cut with an ellipsis (the line never wraps and
    pushes the tiles down), whole in the title and on a click (assets/layout.js)."""
    return html.Div(text, className=f"strip__item strip__item--{kind.value} clip",
                    title=f"{text} ({t('lay_more', lang)})",
                    **fmt.data_attributes(alert=kind.value))


def _text(kind: AlertKind, snapshot: Snapshot, now_ms: int, lang: str, tz: str) -> str:
    if kind is AlertKind.DB_UNAVAILABLE:
        return f"{t('db_unavailable', lang)}: {snapshot.db_error}"
    if kind is AlertKind.NO_COLLECTOR:
        return no_collector_text(snapshot, now_ms, lang, tz)
    source = snapshot.source
    if kind is AlertKind.NOT_POLLED or source is None:
        return t("not_polled", lang)
    when = _when(source.breaker_opened_at_ms or source.failing_since_ms, now_ms, lang, tz)
    if kind is AlertKind.BREAKER_OPEN:
        text = t("breaker_open", lang, source=source.name, time=when,
                 n=source.consecutive_failures)
        return _with_error(text, source, lang, tz)
    if kind is AlertKind.BREAKER_HALF_OPEN:
        return _with_error(t("breaker_half_open", lang, source=source.name), source, lang, tz)
    if kind is AlertKind.FAILING:
        text = t("failing", lang, source=source.name, n=source.consecutive_failures,
                 time=_when(source.failing_since_ms, now_ms, lang, tz))
        return _with_error(text, source, lang, tz)
    if kind is AlertKind.PARTIAL:
        reason = (source.state_reason or "").removeprefix(PARTIAL_PREFIX)
        return t("partial", lang, source=source.name, reason=reason)
    if source.failover_since_ms is not None:
        return t("failover_since", lang, url=source.active_url or "?",
                 time=_at(source.failover_since_ms, now_ms, tz))
    return t("failover", lang, url=source.active_url or "?")


def no_collector_text(snapshot: Snapshot, now_ms: int, lang: str, tz: str) -> str:
    if snapshot.collector_expired_at_ms is None:
        return t("no_collector", lang)
    return t("no_collector_since", lang,
             time=_at(snapshot.collector_expired_at_ms, now_ms, tz))


def _with_error(text: str, source: SourceView, lang: str, tz: str) -> str:
    if not source.last_error:
        return text
    return f"{text}. {t('last_error', lang, error=stored(source.last_error, lang, tz=tz))}"


def _when(ts_ms: int | None, now_ms: int, lang: str, tz: str) -> str:
    return t("unknown_time", lang) if ts_ms is None else _at(ts_ms, now_ms, tz)


def _at(ts_ms: int, now_ms: int, tz: str) -> str:
    """In the site's zone, as the tiles' "as of" beside this line is."""
    return fmt.clock_time(ts_ms, now_ms, tz)

