"""The wall's status strip says when the last poll refused values (the source's reason)."""

from __future__ import annotations

from dashboard import Snapshot
from dashboard.components.strip import build_status_strip
from dashboard.readmodel import SourceView
from dashboard.status import AlertKind, source_alerts

SITE = "Europe/Stockholm"
NOW = 1_700_000_000_000
REASON = "partial: 2 values refused (1 calls_waiting negative, 1 open not a boolean)"


def _source(reason: str | None, failures: int = 0) -> SourceView:
    return SourceView(
        name="trio", breaker_state="closed", breaker_opened_at_ms=None, failover_active=False,
        active_url=None, last_error=None, failing_since_ms=None, last_success_ms=NOW,
        consecutive_failures=failures, state_reason=reason,
    )


def _snapshot(source: SourceView) -> Snapshot:
    return Snapshot(version=1, taken_at_ms=NOW, source=source, collector_active=True)


def test_it_shows_the_refused_values_on_the_strip_in_both_languages() -> None:
    snapshot = _snapshot(_source(REASON))

    assert source_alerts(snapshot) == [AlertKind.PARTIAL]
    english = build_status_strip(snapshot, NOW, "en", SITE)[0].children
    swedish = build_status_strip(snapshot, NOW, "sv", SITE)[0].children
    assert english == ("trio: the last poll refused some values, shown as missing:"
                       " 2 values refused (1 calls_waiting negative, 1 open not a boolean)")
    assert swedish.startswith("trio: senaste hämtningen avvisade vissa värden")


def test_it_shows_nothing_when_the_poll_was_whole() -> None:
    assert build_status_strip(_snapshot(_source("polled successfully")), NOW, "en",
                              SITE) == []


def test_it_lets_a_failing_source_speak_for_itself() -> None:
    # A failing poll's own line says more than an earlier poll's refusals.
    assert source_alerts(_snapshot(_source(REASON, failures=2))) == [AlertKind.FAILING]
